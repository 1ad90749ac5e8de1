#!/usr/bin/env bash
# `ferry --json fetch` events carry the fields doc/FETCH.md lists: start
# (infohash, dir, resume), metadata (name, files, selected, size), progress
# (phase, done, total, session_down ...), done (name, bytes, session_down,
# hash_failures), with "v":1, one object per line on stdout; and
# `ferry --json seed` prints `seeding` (name, infohash, port, super_seed,
# send_once).
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 2 3
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/b.torrent")
size=$(payload_bytes "$WORK/src/bundle")
start_seed "$WORK/b.torrent" "$WORK/src"
grep -q "^{\"event\":\"seeding\",\"v\":1,\"command\":\"seed\",\"name\":\"bundle\",\"infohash\":\"$ih\",\"port\":$SEED_PORT,\"super_seed\":false,\"send_once\":false}$" "$WORK/seed.log" \
  || fail "seeding event: $(grep seeding "$WORK/seed.log")"

run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 50
assert_exit 0
same_tree "$WORK/src" "$WORK/dst" || fail "files differ"
python3 - "$WORK/out" "$ih" "$WORK/dst" "$size" <<'PY' || fail "JSON events are not as documented"
import json, sys
path, ih, dst, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
bad = []
ev = []
for n, line in enumerate(open(path), 1):
    try:
        o = json.loads(line)
    except ValueError:
        bad.append("line %d is not JSON: %r" % (n, line[:80])); continue
    if list(o)[:2] != ["event", "v"] or o["v"] != 1:
        bad.append("line %d does not start with event, v:1" % n)
    ev.append(o)
def first(name):
    return next((o for o in ev if o.get("event") == name), None)
s = first("start")
if not s or s.get("infohash") != ih or s.get("dir") != dst or not str(s.get("resume", "")).startswith(dst + "/.ferry/"):
    bad.append("start event: %r (want infohash %s, dir %s, resume in DIR/.ferry)" % (s, ih, dst))
m = first("metadata")
if not m or m.get("name") != "bundle" or m.get("files") != 3 or m.get("selected") != 3 or m.get("size") != size:
    bad.append("metadata event: %r" % (m,))
p = first("progress")
if not p or not all(k in p for k in ("phase", "done", "total", "rate", "peers", "seeds", "eta", "session_down", "session_up")):
    bad.append("progress event: %r" % (p,))
d = [o for o in ev if o.get("event") == "done"]
if len(d) != 1 or d[0].get("bytes") != size or d[0].get("session_down", 0) < size or d[0].get("hash_failures") != 0 \
        or d[0].get("name") != "bundle":
    bad.append("done events: %r" % (d,))
if ev and ev[-1].get("event") != "done":
    bad.append("last event is %r, not done" % ev[-1].get("event"))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
