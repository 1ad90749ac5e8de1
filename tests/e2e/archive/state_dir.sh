#!/usr/bin/env bash
# fetch's state directory DIR/.ferry never travels in an archive (issue 9,
# item 1): a planted DIR/.ferry/<hash>.resume once steered a later
# `ferry fetch -o DIR`.  unpack skips every entry at the top-level .ferry
# (after --strip-components; a file, a directory or a symlink named .ferry)
# with one warning that counts them, and exits 0; a .ferry deeper down is
# ordinary data.  pack leaves a top-level DIR/.ferry out.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup
tarpy "
t = tarfile.open('$WORK/evil.tar', 'w', format=tarfile.PAX_FORMAT)
def add(name, data=None, type=None, link=None):
    ti = tarfile.TarInfo(name)
    if type: ti.type = type
    if link: ti.linkname = link
    if data is not None: ti.size = len(data)
    t.addfile(ti, io.BytesIO(data) if data is not None else None)
add('.ferry', type=tarfile.DIRTYPE)
add('.ferry/0123456789abcdef0123456789abcdef01234567.resume', b'd12:mapped_filesld4:path9:/etc/evilee')
add('data.txt', b'kept\n')
add('sub/.ferry/notes', b'an ordinary file\n')
t.close()"
run_ferry unpack "$WORK/evil.tar" -C "$WORK/t/out"
assert_exit 0
[ "$(grep -c '^ferry: ' "$WORK/err")" -eq 1 ] || fail "expected one line: $(cat "$WORK/err")"
grep -qx "ferry: warning: $WORK/evil.tar: 2 entries under .ferry/ not unpacked (fetch's state directory: a cache, never taken from an archive)" "$WORK/err" \
  || fail "warning: $(cat "$WORK/err")"
[ ! -e "$WORK/t/out/.ferry" ] && [ ! -L "$WORK/t/out/.ferry" ] || fail ".ferry was unpacked"
grep -qx kept "$WORK/t/out/data.txt" || fail "data.txt missing"
[ -f "$WORK/t/out/sub/.ferry/notes" ] || fail "a deeper .ferry was skipped"
no_staging "$WORK/t/out"

# after --strip-components; and a .ferry symlink pointing elsewhere
tarpy "
t = tarfile.open('$WORK/strip.tar', 'w', format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo('top/.ferry'); ti.type = tarfile.SYMTYPE; ti.linkname = '$WORK/victim'; t.addfile(ti)
ti = tarfile.TarInfo('top/a'); data = b'a\n'; ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()"
run_ferry unpack "$WORK/strip.tar" -C "$WORK/t/s" --strip-components 1
assert_exit 0
grep -q "1 entries under .ferry/ not unpacked" "$WORK/err" || fail "warning: $(cat "$WORK/err")"
[ ! -e "$WORK/t/s/.ferry" ] && [ ! -L "$WORK/t/s/.ferry" ] || fail ".ferry symlink was unpacked"
grep -qx a "$WORK/t/s/a" || fail "a missing"
rm -rf "$WORK/t/out" "$WORK/t/s"
hostile_check

# pack leaves DIR/.ferry out (a deeper .ferry stays); the archive verifies
small_ws "$WORK/ws"
mkdir -p "$WORK/ws/.ferry" "$WORK/ws/sub/.ferry"
printf 'state\n' >"$WORK/ws/.ferry/abc.resume"
printf 'x\n' >"$WORK/ws/sub/.ferry/keep"
run_ferry pack "$WORK/ws" -o "$WORK/ws.tar.zst"
assert_exit 0
archive_paths "$WORK/ws.tar.zst" >"$WORK/paths"
grep -q '^\.ferry' "$WORK/paths" && fail "pack stored .ferry: $(cat "$WORK/paths")"
grep -qx 'sub/.ferry/keep' "$WORK/paths" || fail "pack dropped sub/.ferry"
run_ferry verify "$WORK/ws.tar.zst"
assert_exit 0
run_ferry unpack "$WORK/ws.tar.zst" -C "$WORK/back"
assert_exit 0
! grep -q '^ferry: ' "$WORK/err" || fail "unexpected warning: $(cat "$WORK/err")"
rm -rf "$WORK/ws/.ferry"
assert_same_tree "$WORK/ws" "$WORK/back"
exit 0
