#!/usr/bin/env bash
# Archive formats follow the name (SPEC): pack -o NAME (and save's object
# name) with an extension ferry does not write, or with none (a FIFO
# named "pipe"), is refused with exit 2 and one line naming what ferry
# writes, before anything is created; --format says what to write under
# any name, and "-" (stdout) is tar.zst.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
small_ws "$WORK/src"
magic() { od -An -tx1 -N4 "$1" | tr -d ' \n'; }
WRITES="not \.tar\.zst, \.tar\.gz, \.tar\.xz, \.tar or \.zip, the formats ferry writes: rename it or give --format"
mkfifo "$WORK/pipe"

for name in ws.tar.bz2 ws.tbz2 ws.7z ws.tar.lz4 noext; do
  run_ferry pack "$WORK/src" -o "$WORK/$name"
  assert_exit 2
  assert_one_error_line "^ferry: pack: $WORK/$name: $WRITES \(see 'ferry pack --help'\)$"
  [ ! -e "$WORK/$name" ] && [ ! -e "$WORK/$name.part" ] || fail "$name: refused pack left a file"
done
# a FIFO: refused before it is opened (this would block otherwise)
timeout 20 "$FERRY" pack "$WORK/src" -o "$WORK/pipe" >"$WORK/out" 2>"$WORK/err"
RC=$?
assert_exit 2
assert_one_error_line "^ferry: pack: $WORK/pipe: $WRITES"
[ -p "$WORK/pipe" ] || fail "the FIFO was replaced"

# --format writes what it says under any name
run_ferry pack "$WORK/src" -o "$WORK/ws.tar.bz2" --format tar.zst
assert_exit 0
[ "$(magic "$WORK/ws.tar.bz2")" = 28b52ffd ] || fail "--format tar.zst did not write zstd"
run_ferry pack "$WORK/src" -o "$WORK/plain" --format tar.gz
assert_exit 0
[[ $(magic "$WORK/plain") == 1f8b* ]] || fail "--format tar.gz did not write gzip"
# stdout: tar.zst unless --format
"$FERRY" -q pack "$WORK/src" -o - >"$WORK/stdout.bin" || fail "pack -o - failed"
[ "$(magic "$WORK/stdout.bin")" = 28b52ffd ] || fail "pack -o - did not write zstd"

# save: the object's name decides too (a pre-signed query is not the name);
# refused before anything connects (nothing listens on port 9)
mkdir -p "$WORK/store"
run_ferry save "$WORK/src" "file://$WORK/store/ws.tar.bz2"
assert_exit 2
assert_one_error_line "^ferry: save: $WORK/store/ws.tar.bz2: $WRITES \(see 'ferry save --help'\)$"
[ -z "$(ls -A "$WORK/store")" ] || fail "refused save wrote: $(ls -A "$WORK/store")"
run_ferry save "$WORK/src" "http://127.0.0.1:9/b/ws.7z?X-Amz-Signature=sekritsig"
assert_exit 2
assert_one_error_line "^ferry: save: ws\.7z: $WRITES"
run_ferry save "$WORK/src" "http://127.0.0.1:9/?X-Amz-Signature=sekritsig"
assert_exit 2
assert_one_error_line "X-Amz-Signature=\*\*\*: $WRITES"
! grep -q sekritsig "$WORK/err" || fail "a signature was shown"
run_ferry save "$WORK/src" "file://$WORK/store/ws.tar.bz2" --format tar.zst
assert_exit 0
[ "$(magic "$WORK/store/ws.tar.bz2")" = 28b52ffd ] || fail "save --format tar.zst did not write zstd"
exit 0
