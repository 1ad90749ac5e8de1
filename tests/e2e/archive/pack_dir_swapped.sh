#!/usr/bin/env bash
# A directory replaced by a symlink while pack runs (after the scan, before
# pack reads the files in it) is not walked through: its files are warned
# about as vanished and the archive holds nothing from where the symlink
# points.
#
# Deterministic as in growing_file.sh: pack writes into an undrained 4 KiB
# pipe and the first file packed holds 64 MB, so once the pipe is full the
# scan is over and sub/ is not read yet; only then is sub/ swapped.  Pack
# opens files a bounded way ahead of the one it reads (at most 64 files):
# the 80 small files between the first file and sub/ keep sub/'s files
# from being opened before the swap.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3 zstd tar
small_ws "$WORK/ws"
head -c 64000000 /dev/urandom >"$WORK/ws/0-first.bin"
for i in $(seq 10 89); do printf 'pad %s\n' "$i" >"$WORK/ws/1-pad-$i.txt"; done
mkdir -p "$WORK/outside"
printf 'outside secret\n' >"$WORK/outside/numbers.txt"
printf 'outside secret\n' >"$WORK/outside/random.bin"

python3 "$(dirname "$0")/pack_paused.py" "$FERRY" "$WORK/ws" "$WORK/a.tar.zst" "$WORK/err" \
  "mv '$WORK/ws/sub' '$WORK/sub.moved' && ln -s '$WORK/outside' '$WORK/ws/sub'" ||
  fail "the pack run failed: $(cat "$WORK/err")"
grep -q "^ferry: warning: .*sub/numbers.txt: vanished" "$WORK/err" || fail "no warning for sub/numbers.txt: $(cat "$WORK/err")"
if tar -I zstd -xOf "$WORK/a.tar.zst" 2>/dev/null | grep -q 'outside secret'; then
  fail "the archive holds a file from behind the symlink"
fi
tar -I zstd -tf "$WORK/a.tar.zst" | grep -q '^a.txt$' || fail "a.txt missing: $(tar -I zstd -tf "$WORK/a.tar.zst")"
run_ferry verify "$WORK/a.tar.zst"
assert_exit 0
exit 0
