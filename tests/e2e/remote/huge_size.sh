#!/usr/bin/env bash
# A server that declares an absurd size (Content-Length, Content-Range near
# INT64_MAX, or a number too large for 64 bits) cannot make pull or restore
# overflow, allocate without bound or hang: anything above 5 TiB (S3's
# largest object) is refused at once (exit 1), and pull also refuses an
# object larger than the free space where it would be written.  Nothing is
# left behind.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
TIB=$((1 << 40))

# run_bounded ARGS...: run_ferry, but a hang (60 s) fails the test
run_bounded() {
  timeout --kill-after=5 60 "$FERRY" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  [ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "ferry $* hung"
  [ "$RC" -le 128 ] || { cat "$WORK/err" >&2; fail "ferry $* crashed (exit $RC)"; }
}

# also when HEAD is refused (the size then comes from a GET of byte 0) and
# when that GET is answered 200 (Content-Length)
for spec in size size+nohead=403 size+nohead=403+norange; do
for size in 9223372036854775807 99999999999999999999999 $((5 * TIB + 1)); do
  start_hostile "$spec-$size" "$spec" "$size"
  url="$HOSTILE_URL/ws.tar.zst"
  run_bounded pull "$url" -o "$WORK/got.bin" --retries 0
  assert_exit 1
  assert_one_error_line "^ferry: $url: the server says the object is (at least )?[0-9]+ bytes, more than 5 TiB, the largest object ferry accepts$"
  run_bounded pull "$url" -o - --retries 0
  assert_exit 1
  assert_one_error_line "more than 5 TiB"
  [ ! -s "$WORK/out" ] || fail "pull -o - wrote data"
  run_bounded restore "$url" "$WORK/back" --retries 0
  assert_exit 1
  assert_one_error_line "^ferry: $url: the server says the object is (at least )?[0-9]+ bytes, more than 5 TiB"
  [ ! -e "$WORK/got.bin" ] && [ ! -e "$WORK/got.bin.part" ] && [ ! -e "$WORK/back" ] \
    || fail "$spec $size: something was left behind: $(ls "$WORK")"
done
done

# 5 TiB - 1 passes the bound but not the free space check
free=$(df -P -B1 "$WORK" | awk 'NR == 2 {print $4}')
if [ -n "$free" ] && [ "$free" -lt $((5 * TIB - 1)) ]; then
  for spec in size size+nohead=403; do
    start_hostile "$spec-big" "$spec" $((5 * TIB - 1))
    run_bounded pull "$HOSTILE_URL/big.bin" -o "$WORK/big.bin" --retries 0
    assert_exit 1
    assert_one_error_line "^ferry: $WORK/big.bin: not enough space: the object is 5.00 TiB, [0-9.]+ [KMGT]?i?B free$"
    [ ! -e "$WORK/big.bin" ] && [ ! -e "$WORK/big.bin.part" ] || fail "refused pull left a file"
    # only the GET of byte 0 that asked for the size, if HEAD was refused
    grep '"GET' "$WORK/$spec-big.log" | grep -qv '"Range": "bytes=0-0"' \
      && fail "$spec: a GET was sent for an object that cannot fit"
  done
fi
exit 0
