#!/usr/bin/env bash
# -H/--human (issue 15): `ferry list` and `fetch --list` print sizes as
# 1.50 MiB instead of bytes (-h stays --help, as in every command);
# without it the columns stay bytes, and --json always carries bytes.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/ws/sub"
head -c 1572864 /dev/zero >"$WORK/ws/big.bin"  # 1.50 MiB
head -c 1000 /dev/zero >"$WORK/ws/sub/small"   # 1000 B
head -c 2048 /dev/zero >"$WORK/ws/two.bin"     # 2.00 KiB
"$FERRY" -q pack "$WORK/ws" -o "$WORK/ws.tar.zst" || fail "pack"
"$FERRY" -q make-torrent "$WORK/ws" -o "$WORK/ws.torrent" >/dev/null || fail "make-torrent"
net=(--listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}")

# list: bytes by default, human with -H and --human
run_ferry list "$WORK/ws.tar.zst"
assert_exit 0
grep -qE '^-rw-r--r-- +1572864 .* big\.bin$' "$WORK/out" || fail "list: $(cat "$WORK/out")"
for h in -H --human; do
  run_ferry list "$h" "$WORK/ws.tar.zst"
  assert_exit 0
  grep -qE '^-rw-r--r-- +1\.50 MiB .* big\.bin$' "$WORK/out" || fail "list $h: $(cat "$WORK/out")"
  grep -qE '^-rw-r--r-- +1000 B .* sub/small$' "$WORK/out" || fail "list $h: $(cat "$WORK/out")"
  grep -qE '^-rw-r--r-- +2\.00 KiB .* two\.bin$' "$WORK/out" || fail "list $h: $(cat "$WORK/out")"
done
run_ferry --json list -H "$WORK/ws.tar.zst"
assert_exit 0
grep -q '"path":"big.bin".*"size":1572864' "$WORK/out" || fail "list --json -H: $(cat "$WORK/out")"

# fetch --list: index, size, path
run_ferry fetch "$WORK/ws.torrent" --list "${net[@]}"
assert_exit 0
grep -qP '^\d+\t1572864\tws/big\.bin$' "$WORK/out" || fail "fetch --list: $(cat "$WORK/out")"
run_ferry fetch "$WORK/ws.torrent" --list -H "${net[@]}"
assert_exit 0
grep -qP '^\d+\t1\.50 MiB\tws/big\.bin$' "$WORK/out" || fail "fetch --list -H: $(cat "$WORK/out")"
grep -qP '^\d+\t1000 B\tws/sub/small$' "$WORK/out" || fail "fetch --list -H: $(cat "$WORK/out")"
run_ferry --json fetch "$WORK/ws.torrent" --list --human "${net[@]}"
assert_exit 0
grep -q '"size":1572864,"path":"ws/big.bin"' "$WORK/out" || fail "fetch --list --json: $(cat "$WORK/out")"

# -h is still help
run_ferry list -h
assert_exit 0
grep -q '^usage: ferry list' "$WORK/out" || fail "list -h: $(head -1 "$WORK/out")"
exit 0
