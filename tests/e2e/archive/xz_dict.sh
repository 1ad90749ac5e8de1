#!/usr/bin/env bash
# xz dictionaries get the zstd window's limit (issue 9, item 5): libarchive
# would let liblzma take up to 1 GiB for a few KB of .tar.xz made with
# `xz --lzma2=dict=1GiB`; ferry decodes xz itself with a 128 MiB limit
# (exit 3, one line, small RSS) unless --long raises it.  ferry's own
# tar.xz (64 MiB dictionary at --level 9) needs no --long; a damaged or
# truncated tar.xz is exit 3 (a damaged one 3 or 4).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need xz python3
[ -x /usr/bin/time ] || skip "needs /usr/bin/time"
n=$((160 << 20))
{ python3 -c "
import sys, tarfile
ti = tarfile.TarInfo('zeros'); ti.size = int(sys.argv[1])
sys.stdout.buffer.write(ti.tobuf(format=tarfile.USTAR_FORMAT))" "$n"
  head -c "$n" /dev/zero; head -c 1024 /dev/zero; } | xz -q -0 --lzma2=dict=1GiB -c >"$WORK/ws.tar.xz" || fail "xz"
[ "$(stat -c %s "$WORK/ws.tar.xz")" -lt 200000 ] || fail "fixture too big"
mkdir -p "$WORK/target/old"; printf 'old\n' >"$WORK/target/old/f"
snapshot "$WORK/target" >"$WORK/target.snap"

msg="^ferry: $WORK/ws.tar.xz: xz dictionary needs 1\.00 GiB of memory, more than the 128 MiB limit \(--long=31 accepts up to 2 GiB\)$"
refused_small "$WORK/ws.tar.xz" "$msg"
# nested in gzip: libarchive does not decode xz at all any more
gzip -c "$WORK/ws.tar.xz" >"$WORK/nested.tar.gz"
rss_run list "$WORK/nested.tar.gz"
assert_exit 3
[ "$RSS" -lt 65536 ] || fail "nested: max RSS $RSS KiB"

run_ferry list --long "$WORK/ws.tar.xz"
assert_exit 0
grep -q ' zeros$' "$WORK/out" || fail "list --long: $(cat "$WORK/out")"

# ferry's own tar.xz at --level 9, as is and damaged
small_ws "$WORK/src"
"$FERRY" -q pack "$WORK/src" -o "$WORK/own.tar.xz" --level 9 || fail "pack"
run_ferry verify "$WORK/own.tar.xz"
assert_exit 0
run_ferry unpack "$WORK/own.tar.xz" -C "$WORK/own"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/own"
size=$(stat -c %s "$WORK/own.tar.xz")
cp "$WORK/own.tar.xz" "$WORK/bad.tar.xz"
flip "$WORK/bad.tar.xz" $((size / 2))
run_ferry verify "$WORK/bad.tar.xz"
# corrupt xz data (3), or caught by the manifest before xz's check (4)
[ "$RC" -eq 3 ] || [ "$RC" -eq 4 ] || fail "damaged: exit $RC: $(cat "$WORK/err")"
assert_one_error_line "^ferry: $WORK/bad.tar.xz: "
head -c $((size / 2)) "$WORK/own.tar.xz" >"$WORK/cut.tar.xz"
run_ferry verify "$WORK/cut.tar.xz"
assert_exit 3
assert_one_error_line "^ferry: $WORK/cut.tar.xz: .*truncated"
# from a pipe too
"$FERRY" verify - <"$WORK/own.tar.xz" >"$WORK/out" 2>"$WORK/err"; RC=$?
assert_exit 0
exit 0
