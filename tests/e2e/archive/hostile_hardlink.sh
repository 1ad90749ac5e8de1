#!/usr/bin/env bash
# A hardlink whose target is not an earlier file of the archive is refused
# (exit 4): absolute target, '..' target, a target only coming later, and a
# target reached through an archive symlink.  The victim keeps one link.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup
check() { # LINKNAME PATTERN [PRE-SYMLINK]
  tarpy "
t = tarfile.open('$WORK/evil.tar', 'w', format=tarfile.PAX_FORMAT)
if '${3:-}':
    ti = tarfile.TarInfo('sl'); ti.type = tarfile.SYMTYPE; ti.linkname = '${3:-}'; t.addfile(ti)
ti = tarfile.TarInfo('hl'); ti.type = tarfile.LNKTYPE; ti.linkname = '$1'; t.addfile(ti)
ti = tarfile.TarInfo('later'); ti.size = 1; t.addfile(ti, io.BytesIO(b'x'))
t.close()"
  run_ferry unpack "$WORK/evil.tar" -C "$WORK/t/out"
  assert_exit 4
  assert_one_error_line "entry 'hl': $2"
  hostile_check
}
check "$WORK/victim/secret" "hardlink to an absolute path"
check "../../victim/secret" "hardlink target contains '\.\.'"
check "later" "hardlink target is not an earlier file"
check "sl/secret" "hardlink target goes through a symlink" "$WORK/victim"
[ "$(stat -c %h "$WORK/victim/secret")" -eq 1 ] || fail "victim got a second link"

# a hardlink to an earlier file is fine
tarpy "
t = tarfile.open('$WORK/good.tar', 'w', format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo('f'); ti.size = 2; t.addfile(ti, io.BytesIO(b'ok'))
ti = tarfile.TarInfo('d/g'); ti.type = tarfile.LNKTYPE; ti.linkname = 'f'; t.addfile(ti)
t.close()"
run_ferry unpack "$WORK/good.tar" -C "$WORK/good"
assert_exit 0
[ "$(stat -c %i "$WORK/good/f")" = "$(stat -c %i "$WORK/good/d/g")" ] || fail "hardlink not restored"
exit 0
