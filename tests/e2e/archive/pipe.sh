#!/usr/bin/env bash
# `pack -o -` and `unpack -` join through a pipe: identical tree; with
# --json the pack's events go to stderr (stdout carries the archive), the
# unpack's to stdout; list and verify read stdin too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
small_ws "$WORK/src"
"$FERRY" --json pack "$WORK/src" -o - 2>"$WORK/pack.json" \
  | "$FERRY" --json unpack - -C "$WORK/dst" >"$WORK/unpack.json" 2>"$WORK/unpack.err"
st=("${PIPESTATUS[@]}")
[ "${st[0]}" -eq 0 ] && [ "${st[1]}" -eq 0 ] || fail "pipe exits: ${st[*]}: $(cat "$WORK/pack.json" "$WORK/unpack.err")"
assert_same_tree "$WORK/src" "$WORK/dst"
python3 - "$WORK/pack.json" "$WORK/unpack.json" <<'PY' || fail "bad JSON events"
import json, sys
for path, op in ((sys.argv[1], "pack"), (sys.argv[2], "unpack")):
    ev = [json.loads(l) for l in open(path)]
    assert ev, path
    assert all(list(e)[:3] == ["event", "v", "command"] for e in ev), ev
    assert all(e["command"] == op for e in ev), ev
    done = [e for e in ev if e["event"] == "done"]
    assert len(done) == 1, ev
    assert done[0]["files"] == 4, done
    assert [e["event"] for e in ev if e["event"] == "start"] == ["start"], ev
PY
"$FERRY" -q pack "$WORK/src" -o - | "$FERRY" list - >"$WORK/list.txt" || fail "pack | list"
grep -q ' sub/random.bin$' "$WORK/list.txt" || fail "list - shows nothing"
"$FERRY" -q pack "$WORK/src" -o - | "$FERRY" verify - 2>"$WORK/verify.err" || fail "pack | verify"
grep -q 'stdin: ok' "$WORK/verify.err" || fail "verify -: $(cat "$WORK/verify.err")"
# unpack - needs -C
run_ferry unpack - </dev/null
assert_exit 2
assert_one_error_line "needs -C DIR"
exit 0
