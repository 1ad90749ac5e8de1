#!/usr/bin/env bash
# An entry with a '..' component is refused (exit 4, naming the entry),
# even after good entries, and nothing is written anywhere.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 zstd
hostile_setup
for name in '../escape.txt' 'sub/../../escape.txt' '..'; do
  tarpy "
t = tarfile.open(sys.argv[1] if len(sys.argv) > 1 else '$WORK/evil.tar', 'w', format=tarfile.PAX_FORMAT)
for n, data in (('ok.txt', b'fine'), ('$name', b'pwned')):
    ti = tarfile.TarInfo(n); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()"
  zstd -qf "$WORK/evil.tar" -o "$WORK/evil.tar.zst"
  run_ferry unpack "$WORK/evil.tar.zst" -C "$WORK/t/out"
  assert_exit 4
  assert_one_error_line "entry '.*\.\..*': path contains '\.\.'"
  hostile_check
done
exit 0
