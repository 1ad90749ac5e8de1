#!/usr/bin/env bash
# One part failing does not stop the others; up exits with the worst
# part's code and that part's error as its one line: a bundle whose
# .torrent file is missing (1), a bundle nobody seeds (5, --stall-timeout),
# while the workspace (file://, no save yet) is made empty.
. "$(dirname "$0")/../lib.sh"

cat >"$WORK/ferry.ini" <<INI
[workspace]
path   = $WORK/ws
remote = file://$WORK/saves/ws.tar.zst

[bundle "gone"]
source = $WORK/missing.torrent
dest   = $WORK/gone

[bundle "lonely"]
source = magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567
dest   = $WORK/lonely
INI
run_ferry up -f "$WORK/ferry.ini" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 2s
assert_exit 5
assert_one_error_line "^ferry: bundle lonely: magnet: no metadata for [0-9]+ s"
grep -qE '^gone .*failed \(exit 1\)' "$WORK/err" || fail "gone not failed in the table: $(cat "$WORK/err")"
grep -qE '^lonely .*failed \(exit 5\) +magnet:\?xt=urn:btih:0123456789abcdef' "$WORK/err" || fail "lonely not failed in the table"
grep -qE '^workspace .*no save yet: empty +file://' "$WORK/err" || fail "workspace not made"
[ -d "$WORK/ws" ] || fail "no workspace directory"

# without the stalled bundle: the worst is the missing file (1)
sed -i '/^\[bundle "lonely"\]/,$d' "$WORK/ferry.ini"
run_ferry up -f "$WORK/ferry.ini" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
assert_exit 1
assert_one_error_line "^ferry: bundle gone: $WORK/missing.torrent: not a magnet link, URL or .torrent file"
