#!/usr/bin/env bash
# Every format pack writes round-trips through unpack and verify: tar.gz,
# tar.xz, tar and zip, chosen by --format or by the -o extension; each is
# the format it claims to be.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
small_ws "$WORK/src"
chmod 0755 "$WORK/src/sub/deeper/x.txt"
# the first N bytes (default 4: a gzip header's bytes 4-7 are its time)
magic() { od -An -tx1 -N"${2:-4}" "$1" | tr -d ' \n'; }
for f in tar.gz tar.xz tar zip; do
  run_ferry pack "$WORK/src" -o "$WORK/by-ext.$f"
  assert_exit 0
  run_ferry pack "$WORK/src" -o "$WORK/by-flag.bin" --format "$f"
  assert_exit 0
  [ "$(magic "$WORK/by-ext.$f")" = "$(magic "$WORK/by-flag.bin")" ] || fail "$f: --format and extension disagree"
  case $f in
    tar.gz) [[ $(magic "$WORK/by-ext.$f") == 1f8b* ]] || fail "not gzip" ;;
    tar.xz) [[ $(magic "$WORK/by-ext.$f" 6) == fd377a585a00 ]] || fail "not xz" ;;
    zip) [[ $(magic "$WORK/by-ext.$f") == 504b0304* ]] || fail "not zip" ;;
    tar) [ "$(dd if="$WORK/by-ext.$f" bs=1 skip=257 count=5 2>/dev/null)" = ustar ] || fail "not tar" ;;
  esac
  run_ferry verify "$WORK/by-ext.$f"
  assert_exit 0
  grep -q 'every file matches the manifest' "$WORK/err" || fail "$f: verify: $(cat "$WORK/err")"
  run_ferry unpack "$WORK/by-ext.$f" -C "$WORK/dst-$f"
  assert_exit 0
  grep -q 'every file matches the manifest' "$WORK/err" || fail "$f: unpack: $(cat "$WORK/err")"
  if [ "$f" = zip ]; then
    assert_same_tree "$WORK/src" "$WORK/dst-$f" --no-mtime   # zip keeps seconds
  else
    assert_same_tree "$WORK/src" "$WORK/dst-$f"
  fi
done
run_ferry pack "$WORK/src" -o "$WORK/l.tar.gz" --level 9
assert_exit 0
run_ferry pack "$WORK/src" -o "$WORK/l.tar.zst" --level 19 --threads 2
assert_exit 0
run_ferry verify "$WORK/l.tar.zst"
assert_exit 0
run_ferry pack "$WORK/src" -o "$WORK/x.tar" --format rar
assert_exit 2
assert_one_error_line "pack: --format: 'rar' is not"
exit 0
