#!/usr/bin/env bash
# A truncated archive is refused as corrupt (exit 3) by unpack --force and
# by verify, wherever it is cut; the existing target stays as it was and
# no staging directory is left.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
corrupt_setup
size=$(stat -c %s "$WORK/good.tar.zst")
for keep in $((size - 5)) $((size - 200)) $((size / 2)) 4000 100; do
  head -c "$keep" "$WORK/good.tar.zst" >"$WORK/cut.tar.zst"
  run_ferry unpack "$WORK/cut.tar.zst" -C "$WORK/target" --force
  assert_exit 3
  assert_one_error_line "cut.tar.zst: .*(truncated|Truncated)"
  target_untouched
  run_ferry verify "$WORK/cut.tar.zst"
  assert_exit 3
done
run_ferry verify "$WORK/good.tar.zst"
assert_exit 0
exit 0
