#!/usr/bin/env bash
# One JSON schema for every command (doc/json.md): each command runs once
# with --json over real inputs (a fetch from a local `ferry seed`, pack,
# unpack, list, verify, push/pull/save/restore to file:// and s3rver,
# ls, rm, up, down, and a few failures), each run's events in a file of
# its own.  Every event must match doc/ferry-events.schema.json (Debian's
# python3-jsonschema), carry its run's command word, and hold no negative
# number; every run says "start" exactly once, first (once per part in
# `up`), and ends with "done" (or "error" when it failed).  The checker
# itself must refuse an event without "command" and one with a -1.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema (scripts/deps)"
CHECK=("/usr/bin/python3" "$FERRY_TESTS_DIR/e2e/json_check.py" "$JSON_SCHEMA")

# the checker: a good event passes, a bad one fails
printf '%s\n' '{"event":"warning","v":1,"command":"pack","message":"m"}' >"$WORK/good.jsonl"
"${CHECK[@]}" "$WORK/good.jsonl" 2>"$WORK/check.err" || fail "a good event refused: $(cat "$WORK/check.err")"
printf '%s\n' '{"event":"warning","v":1,"message":"m"}' >"$WORK/nocmd.jsonl"
"${CHECK[@]}" "$WORK/nocmd.jsonl" 2>"$WORK/check.err" && fail "an event without command passed"
grep -q "'command' is a required property" "$WORK/check.err" || fail "no reason: $(cat "$WORK/check.err")"
printf '%s\n' '{"event":"done","v":1,"command":"push","url":"u","bytes":-1,"parts":1,"retries":0,"seconds":0.1}' >"$WORK/neg.jsonl"
"${CHECK[@]}" "$WORK/neg.jsonl" 2>"$WORK/check.err" && fail "an event with -1 passed"
grep -q -- "-1 is less than the minimum" "$WORK/check.err" || fail "no reason: $(cat "$WORK/check.err")"

runs=()
# jrun NAME EXPECTED-EXIT ARGS...: ferry --json ARGS with its events in
# $WORK/ev/NAME.jsonl (the copy FERRY_TEST_JSON_LOG makes: stdout and
# stderr alike), then appended to this test's log, which lib.sh checks too
mkdir -p "$WORK/ev"
jrun() {
  local name=$1 want=$2; shift 2
  FERRY_TEST_JSON_LOG="$WORK/ev/$name.jsonl" run_ferry --json "$@"
  [ "$RC" -eq "$want" ] || { cat "$WORK/err" >&2; fail "$name: ferry $* exited $RC, not $want"; }
  [ -s "$WORK/ev/$name.jsonl" ] || fail "$name: no events"
  cat "$WORK/ev/$name.jsonl" >>"$FERRY_TEST_JSON_LOG"
  runs+=("$name:$want:$1")
}

export FERRY_PROGRESS_INTERVAL=0 # every progress event there is
make_payload "$WORK/src/bundle" 1 3
jrun make_torrent 0 make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
magnet=$(sed -n 's/.*"magnet":"\([^"]*\)".*/\1/p' "$WORK/out")
FERRY_TEST_JSON_LOG="$WORK/ev/seed.jsonl" start_seed "$WORK/b.torrent" "$WORK/src"
net=(--peer "127.0.0.1:$SEED_PORT" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50)
jrun fetch 0 fetch "$WORK/b.torrent" -o "$WORK/dst" "${net[@]}"
same_tree "$WORK/src" "$WORK/dst" || fail "fetch: files differ"
jrun fetch_again 0 fetch "$WORK/b.torrent" -o "$WORK/dst" "${net[@]}"
jrun fetch_list 0 fetch "$magnet" --list "${net[@]}"
jrun fetch_bad 3 fetch 'magnet:?xt=urn:btih:xyz'

make_workspace "$WORK/ws" 1
jrun pack 0 pack "$WORK/ws" -o "$WORK/ws.tar.zst"
jrun pack_stdout 0 pack "$WORK/ws" -o - # events on stderr
jrun unpack 0 unpack "$WORK/ws.tar.zst" -C "$WORK/un"
jrun unpack_refused 4 unpack "$WORK/ws.tar.zst" -C "$WORK/un"
jrun list 0 list "$WORK/ws.tar.zst"
jrun verify 0 verify "$WORK/ws.tar.zst"
jrun verify_missing 1 verify "$WORK/nothing.tar.zst"
jrun usage 2 pack --no-such-option
jrun unknown 2 pakc "$WORK/ws"

store="file://$WORK/store"
jrun push_file 0 push "$WORK/ws.tar.zst" "$store/a.tar.zst"
jrun pull_file 0 pull "$store/a.tar.zst" -o "$WORK/a.tar.zst"
jrun save_file 0 save "$WORK/ws" "$store/s.tar.zst"
jrun restore_file 0 restore "$store/s.tar.zst" "$WORK/r1"
jrun ls_file 0 ls "$store/"
jrun rm_file 0 rm "$store/a.tar.zst"

start_s3
s3="s3://$S3_BUCKET"
jrun push_s3 0 push "$WORK/ws.tar.zst" "$s3/a.tar.zst"
jrun pull_s3 0 pull "$s3/a.tar.zst" -o "$WORK/a3.tar.zst"
jrun pull_s3_missing 1 pull "$s3/nothing" -o "$WORK/n"
jrun save_s3 0 save "$WORK/ws" "$s3/s.tar.zst"
jrun restore_s3 0 restore "$s3/s.tar.zst" "$WORK/r2"
same_workspace "$WORK/ws" "$WORK/r2" || fail "restore: tree differs"
jrun ls_s3 0 ls "$s3/"
jrun rm_s3 0 rm -f "$s3/a.tar.zst" "$s3/gone"

cat >"$WORK/ferry.ini" <<INI
[workspace]
path   = $WORK/vm/work
remote = $s3/vm/work.tar.zst

[bundle "tools"]
source = $magnet
dest   = $WORK/vm/tools
INI
jrun up_empty 0 up -f "$WORK/ferry.ini" --no-lsd --no-upnp --no-dht --peer "127.0.0.1:$SEED_PORT" --listen 127.0.0.1:0 --stall-timeout 20
echo hi >"$WORK/vm/work/new.txt"
jrun down 0 down -f "$WORK/ferry.ini"
rm -rf "$WORK/vm/work"
jrun up 0 up -f "$WORK/ferry.ini" --no-lsd --no-upnp --no-dht --peer "127.0.0.1:$SEED_PORT" --listen 127.0.0.1:0 --stall-timeout 20
[ -f "$WORK/vm/work/new.txt" ] || fail "up: workspace not restored"

# seed's own events, once it has stopped
stop_bg "$SEED_PID" INT
cat "$WORK/ev/seed.jsonl" >>"$FERRY_TEST_JSON_LOG"
runs+=("seed:stopped:seed")

"${CHECK[@]}" "$WORK"/ev/*.jsonl || fail "events that do not match the schema"

/usr/bin/python3 - "$WORK/ev" "${runs[@]}" <<'PY' || fail "runs break the rules of doc/json.md"
import json, os, sys
evdir, bad = sys.argv[1], []
for run in sys.argv[2:]:
    name, want, command = run.split(":")
    ev = [json.loads(l) for l in open(os.path.join(evdir, name + ".jsonl"))]
    where = "%s (%s)" % (name, command)
    for e in ev:
        if list(e)[:3] != ["event", "v", "command"]:
            bad.append("%s: fields do not start with event, v, command: %s" % (where, e))
        want_cmd = None if name == "unknown" else command
        if e.get("command") != want_cmd:
            bad.append("%s: command %r in %s" % (where, e.get("command"), e))
        for k, v in e.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                bad.append("%s: %s is negative in %s" % (where, k, e))
    top = [e for e in ev if "bundle" not in e]
    starts = [e for e in top if e["event"] == "start"]
    if want == "2":
        # a usage error: nothing started, one error
        if starts or [e["event"] for e in top] != ["error"]:
            bad.append("%s: a usage error printed %s" % (where, [e["event"] for e in top]))
        continue
    # a run that failed before it started has no start; else one, first
    if len(starts) > 1 or (starts and top[0]["event"] != "start") or \
            (want in ("0", "stopped") and not starts):
        bad.append("%s: %d start events, first %s" % (where, len(starts), top[0]["event"]))
    last = top[-1]["event"]
    if want in ("0", "stopped") and last != "done":
        bad.append("%s: the last event is %s, not done" % (where, last))
    if want not in ("0", "stopped") and last != "error":
        bad.append("%s: a failed run ends with %s, not error" % (where, last))
    if want == "0" and sum(e["event"] == "done" for e in top) != 1:
        bad.append("%s: not one done event" % where)
    # up: each part starts once, first among its events
    parts = {}
    for e in ev:
        if "bundle" in e and e["event"] != "part":
            parts.setdefault(e["bundle"], []).append(e["event"])
    for b, names in parts.items():
        if names.count("start") != 1 or names[0] != "start":
            bad.append("%s: part %s: %s" % (where, b, names))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
