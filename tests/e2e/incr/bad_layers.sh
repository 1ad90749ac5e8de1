#!/usr/bin/env bash
# A set whose state names a layer that is missing (exit 3, naming it), a
# layer that is damaged (exit 3, naming it), or a layer of another set
# that the state's size and SHA-256 vouch for (exit 4): DIR is untouched
# every time, and no staging directory is left beside it.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
. "$(dirname "$0")/incr.bash"
ws=$WORK/ws
make_workspace "$ws" 1
set=file://$WORK/set/
run_ferry save "$ws" "$set" --incremental
assert_exit 0
echo changed >"$ws/src/new.txt"
run_ferry save "$ws" "$set" --incremental
assert_exit 0
# another set with the same kind of layers
run_ferry save "$ws" "file://$WORK/other/" --incremental
assert_exit 0
echo other >"$ws/src/new.txt"
run_ferry save "$ws" "file://$WORK/other/" --incremental
assert_exit 0

mkdir -p "$WORK/dir" && echo mine >"$WORK/dir/keep"
snap "$WORK/dir" >"$WORK/dir.snap"
untouched() {
  snap "$WORK/dir" | diff - "$WORK/dir.snap" >&2 || fail "$1: DIR was touched"
  ls -a "$WORK" | grep -q 'dir\.ferry-' && fail "$1: a staging directory was left"
  return 0
}
l1=$(cd "$WORK/set" && ls layer-00000001-*)
l2=$(cd "$WORK/set" && ls layer-00000002-*)

# 1. a missing layer
mv "$WORK/set/$l1" "$WORK/l1.saved"
run_ferry restore --force "$set" "$WORK/dir"
assert_exit 3
assert_one_error_line "$l1: missing"
untouched missing

# 2. a damaged layer of the same size: found by its SHA-256 (or the
# archive's own checks) while it is applied
cp "$WORK/l1.saved" "$WORK/set/$l1"
python3 - "$WORK/set/$l2" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0x55
open(p, 'wb').write(bytes(b))
PY
run_ferry restore --force "$set" "$WORK/dir"
assert_exit 3
grep -q "$l2" "$WORK/err" || fail "the damaged layer is not named: $(cat "$WORK/err")"
untouched damaged

# 2b. the layer intact again (the byte flipped back), its state naming
# another SHA-256 (the size kept): only the SHA-256 (taken on its own
# thread) can tell: exit 3, naming it
python3 - "$WORK/set/$l2" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[len(b) // 2] ^= 0x55
open(p, 'wb').write(bytes(b))
PY
cp "$WORK/set/state-00000002.json" "$WORK/state2.saved"
python3 - "$WORK/set/state-00000002.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
h = s['layers'][1]['sha256']
s['layers'][1]['sha256'] = ('0' if h[0] != '0' else '1') + h[1:]
json.dump(s, open(sys.argv[1], 'w'))
PY
run_ferry restore --force "$set" "$WORK/dir"
assert_exit 3
assert_one_error_line "$l2: corrupt: not the size or SHA-256 state 2 names"
untouched "sha-256"
cp "$WORK/state2.saved" "$WORK/set/state-00000002.json"

# 3. a layer of another set, put where the state names its delta (the
# state rewritten to vouch for its size and SHA-256): refused, exit 4
o2=$(cd "$WORK/other" && ls layer-00000002-*)
cp "$WORK/other/$o2" "$WORK/set/$l2"
python3 - "$WORK/set/state-00000002.json" "$WORK/set/$l2" <<'PY'
import hashlib, json, os, sys
st, layer = sys.argv[1], sys.argv[2]
s = json.load(open(st))
data = open(layer, 'rb').read()
s['layers'][1]['size'] = len(data)
s['layers'][1]['sha256'] = hashlib.sha256(data).hexdigest()
json.dump(s, open(st, 'w'))
PY
run_ferry restore --force "$set" "$WORK/dir"
assert_exit 4
assert_one_error_line "a layer of another set"
untouched foreign

# 4. a state that is not JSON: the newest is skipped with a warning, the
# one before restores; asked for by --state it is exit 3
echo '{"ferry_set": 1, "broken' >"$WORK/set/state-00000009.json"
cp "$WORK/l1.saved" "$WORK/set/$l1"
run_ferry restore --force --state 1 "$set" "$WORK/dir"
assert_exit 0
run_ferry restore --force --state 9 "$set" "$WORK/dir2"
assert_exit 3
assert_one_error_line 'state-00000009.json: not a ferry state'
exit 0
