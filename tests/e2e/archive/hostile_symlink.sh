#!/usr/bin/env bash
# Writing through a symlink the archive itself created is refused (exit 4):
# an absolute link to a directory outside, a relative one climbing out, and
# a link to '.' used as a path prefix.  Nothing outside changes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup
for target in "$WORK/victim" "../../victim" "."; do
  tarpy "
t = tarfile.open('$WORK/evil.tar', 'w', format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo('link'); ti.type = tarfile.SYMTYPE; ti.linkname = '$target'; t.addfile(ti)
ti = tarfile.TarInfo('link/secret'); data = b'overwritten'; ti.size = len(data)
t.addfile(ti, io.BytesIO(data))
t.close()"
  run_ferry unpack "$WORK/evil.tar" -C "$WORK/t/out"
  assert_exit 4
  assert_one_error_line "entry 'link/secret': path goes through a symlink"
  hostile_check
done
grep -qx secret "$WORK/victim/secret" || fail "victim overwritten"
exit 0
