#!/usr/bin/env bash
# An entry with an absolute path is refused (exit 4) and not written,
# neither at that path nor stripped into the target.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup
tarpy "
t = tarfile.open('$WORK/evil.tar', 'w', format=tarfile.GNU_FORMAT)
for n, data in (('ok.txt', b'fine'), ('$WORK/victim/abs.txt', b'pwned')):
    ti = tarfile.TarInfo(n); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()"
run_ferry unpack "$WORK/evil.tar" -C "$WORK/t/out"
assert_exit 4
assert_one_error_line "entry '/.*abs.txt': absolute path"
hostile_check
exit 0
