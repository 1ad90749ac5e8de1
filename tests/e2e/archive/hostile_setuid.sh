#!/usr/bin/env bash
# SPEC: setuid/setgid bits are stripped (the rest of the mode is kept) and
# the unpack succeeds; owners from the archive are not restored.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup
tarpy "
t = tarfile.open('$WORK/suid.tar', 'w', format=tarfile.PAX_FORMAT)
for n, mode in (('suid', 0o4755), ('sgid', 0o2750), ('both', 0o6711), ('sticky', 0o1777)):
    ti = tarfile.TarInfo(n); ti.size = 2; ti.mode = mode; ti.uid = 4242; ti.gid = 4242
    ti.uname = 'nobodyhere'; ti.gname = 'nobodyhere'
    t.addfile(ti, io.BytesIO(b'#!'))
t.close()"
run_ferry unpack "$WORK/suid.tar" -C "$WORK/t/out"
assert_exit 0
[ "$(stat -c %a "$WORK/t/out/suid")" = 755 ] || fail "suid: $(stat -c %a "$WORK/t/out/suid")"
[ "$(stat -c %a "$WORK/t/out/sgid")" = 750 ] || fail "sgid: $(stat -c %a "$WORK/t/out/sgid")"
[ "$(stat -c %a "$WORK/t/out/both")" = 711 ] || fail "both: $(stat -c %a "$WORK/t/out/both")"
[ "$(stat -c %a "$WORK/t/out/sticky")" = 1777 ] || fail "sticky: $(stat -c %a "$WORK/t/out/sticky")"
[ "$(stat -c %u "$WORK/t/out/suid")" = "$(id -u)" ] || fail "owner from the archive restored"
exit 0
