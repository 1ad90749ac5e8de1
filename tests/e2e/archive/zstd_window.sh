#!/usr/bin/env bash
# zstd windows are capped (issue 9, item 5): a few KB of .tar.zst made with
# `zstd --long=31` declares a 2 GiB window; without --long, list, verify
# and unpack refuse it at its frame header (exit 3, one line naming the
# window and the --long that accepts it) and stay small in memory; with
# --long (31) or --long=31 it is read; --long=30 is not enough; a LOG
# outside 27..31 is a usage error.  ferry's own archives need no --long.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need zstd python3
[ -x /usr/bin/time ] || skip "needs /usr/bin/time"
# a tar of one 160 MiB file of zeros, through zstd --long=31 from a pipe
# (no size known: the frame keeps its 2 GiB window)
n=$((160 << 20))
{ python3 -c "
import sys, tarfile
ti = tarfile.TarInfo('zeros'); ti.size = int(sys.argv[1])
sys.stdout.buffer.write(ti.tobuf(format=tarfile.USTAR_FORMAT))" "$n"
  head -c "$n" /dev/zero; head -c 1024 /dev/zero; } | zstd -q --long=31 -c >"$WORK/ws.tar.zst" || fail "zstd"
[ "$(stat -c %s "$WORK/ws.tar.zst")" -lt 100000 ] || fail "fixture too big"
mkdir -p "$WORK/target/old"; printf 'old\n' >"$WORK/target/old/f"
snapshot "$WORK/target" >"$WORK/target.snap"

msg="^ferry: $WORK/ws.tar.zst: zstd window of 2 GiB exceeds the 128 MiB limit \(use --long=31 to accept it\)$"
refused_small "$WORK/ws.tar.zst" "$msg"
# stdin too
"$FERRY" list - <"$WORK/ws.tar.zst" >"$WORK/out" 2>"$WORK/err"; RC=$?
assert_exit 3
assert_one_error_line "^ferry: -: zstd window of 2 GiB exceeds the 128 MiB limit"

# not enough
run_ferry verify --long=30 "$WORK/ws.tar.zst"
assert_exit 3
assert_one_error_line "^ferry: $WORK/ws.tar.zst: zstd window of 2 GiB exceeds the 1 GiB limit \(use --long=31 to accept it\)$"
# the opt-in
run_ferry list --long "$WORK/ws.tar.zst"
assert_exit 0
grep -q ' zeros$' "$WORK/out" || fail "list --long: $(cat "$WORK/out")"
run_ferry unpack --long=31 "$WORK/ws.tar.zst" -C "$WORK/target" --force
assert_exit 0
[ "$(stat -c %s "$WORK/target/zeros")" = "$n" ] || fail "unpack --long: wrong size"

# usage errors
for bad in --long=26 --long=32 --long=x; do
  run_ferry list "$bad" "$WORK/ws.tar.zst"
  assert_exit 2
  assert_one_error_line "^ferry: --long: "
done

# ferry's own archives: no --long needed
small_ws "$WORK/src"
"$FERRY" -q pack "$WORK/src" -o "$WORK/own.tar.zst" --level 19 || fail "pack"
run_ferry verify "$WORK/own.tar.zst"
assert_exit 0
exit 0
