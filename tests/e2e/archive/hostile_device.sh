#!/usr/bin/env bash
# SPEC: device nodes and FIFOs are skipped with a warning naming them; the
# rest unpacks and the exit is 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup
tarpy "
t = tarfile.open('$WORK/dev.tar', 'w', format=tarfile.PAX_FORMAT)
ti = tarfile.TarInfo('null'); ti.type = tarfile.CHRTYPE; ti.devmajor = 1; ti.devminor = 3; t.addfile(ti)
ti = tarfile.TarInfo('sda'); ti.type = tarfile.BLKTYPE; ti.devmajor = 8; ti.devminor = 0; t.addfile(ti)
ti = tarfile.TarInfo('pipe'); ti.type = tarfile.FIFOTYPE; t.addfile(ti)
ti = tarfile.TarInfo('ok.txt'); ti.size = 2; t.addfile(ti, io.BytesIO(b'ok'))
t.close()"
run_ferry unpack "$WORK/dev.tar" -C "$WORK/t/out"
assert_exit 0
grep -q "warning: .*entry 'null': character device skipped" "$WORK/err" || fail "no warning: $(cat "$WORK/err")"
grep -q "warning: .*entry 'sda': block device skipped" "$WORK/err" || fail "no warning for sda"
grep -q "warning: .*entry 'pipe': FIFO skipped" "$WORK/err" || fail "no warning for the FIFO"
[ -e "$WORK/t/out/null" ] || [ -e "$WORK/t/out/sda" ] || [ -e "$WORK/t/out/pipe" ] && fail "a special file was created"
[ "$(cat "$WORK/t/out/ok.txt")" = ok ] || fail "ok.txt missing"
exit 0
