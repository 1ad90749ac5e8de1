#!/usr/bin/env bash
# --max-up / --max-down hold for the whole transfer, however many requests
# are in flight: a 40 MiB push to s3rver at --max-up 10M in 1 MiB parts, 4
# at a time, takes at least 3.5 s (4.0 s at the rate; the bucket's start
# and burst allow about 0.6 MiB more) where 4 connections each limited to
# 10M would take about 1 s; the same for a pull at --max-down 10M (40 ranged
# GETs, 4 at a time) and with --parallel 8.  save and restore take the
# options too.  The bytes arrive intact.
#
# Timing: the lower bounds are the check (a loaded machine is only slower).
# The upper bound, 15 s, is generous on purpose: unlimited, these transfers
# take under 2.5 s here even with sanitizers; it catches a limit that gets
# stuck (requests resumed late or starved), not a slow machine.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export FERRY_S3_PART_SIZE=$((1024 * 1024))
start_s3
head -c 40M /dev/urandom >"$WORK/f.bin"

# timed MIN MAX WHAT ARGS...: run ferry; exit 0 in MIN..MAX seconds
timed() {
  local min=$1 max=$2 what=$3; shift 3
  local t0=$EPOCHREALTIME
  run_ferry "$@"
  local secs; secs=$(echo "$EPOCHREALTIME - $t0" | bc)
  assert_exit 0
  echo "$what: $secs s" >&2
  [ "$(echo "$secs >= $min" | bc)" = 1 ] || fail "$what took $secs s: faster than the limit allows (>= $min s)"
  [ "$(echo "$secs <= $max" | bc)" = 1 ] || fail "$what took $secs s: far slower than the limit (<= $max s)"
}

timed 3.5 15 "push --max-up 10M" --json push "$WORK/f.bin" "s3://$S3_BUCKET/f.bin" --max-up 10M
[ "$(json_last done parts "$WORK/out")" = 40 ] || fail "push: expected 40 parts: $(tail -1 "$WORK/out")"
timed 3.5 15 "pull --max-down 10M" --json pull "s3://$S3_BUCKET/f.bin" -o "$WORK/g.bin" --max-down 10M
cmp -s "$WORK/f.bin" "$WORK/g.bin" || fail "pull: content differs"
timed 3.5 15 "push --max-up 10M --parallel 8" push "$WORK/f.bin" "s3://$S3_BUCKET/f8.bin" --max-up 10M --parallel 8
rm -f "$WORK/g.bin"
timed 3.5 15 "pull --max-down 10M --parallel 8" pull "s3://$S3_BUCKET/f8.bin" -o "$WORK/g.bin" --max-down 10M --parallel 8
cmp -s "$WORK/f.bin" "$WORK/g.bin" || fail "pull --parallel 8: content differs"
# --max-up limits uploads only, --max-down downloads only
timed 0 15 "pull --max-up 1K" pull "s3://$S3_BUCKET/f.bin" -o "$WORK/h.bin" --max-up 1K

# save and restore: 6 MiB of incompressible files at 2M take >= 2.5 s
mkdir -p "$WORK/ws"
head -c 6M /dev/urandom >"$WORK/ws/blob.bin"
timed 2.5 15 "save --max-up 2M" save "$WORK/ws" "s3://$S3_BUCKET/ws.tar.zst" --max-up 2M
timed 2.5 15 "restore --max-down 2M" restore "s3://$S3_BUCKET/ws.tar.zst" "$WORK/back" --max-down 2M
cmp -s "$WORK/ws/blob.bin" "$WORK/back/blob.bin" || fail "restore: content differs"

# the rate syntax is fetch's
run_ferry push "$WORK/f.bin" "s3://$S3_BUCKET/x.bin" --max-up 10Q
assert_exit 2
assert_one_error_line "^ferry: --max-up: '10Q' is not a rate"
exit 0
