#!/usr/bin/env bash
# An exclude rule without '/' matches a name at any depth: '*.pyc' files
# anywhere, and 'cache' directories anywhere (with all they hold).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
exclude_ws "$WORK/ws"
run_ferry pack "$WORK/ws" -o "$WORK/a.tar.zst" --exclude '*.pyc' --exclude cache
assert_exit 0
expect_paths "$WORK/a.tar.zst" a a/b a/b/tmp a/b/tmp/t a/b/z.txt a/z.txt build build/o.o \
  data data/raw data/raw/r.bin keep.log logs logs/a.log logs/keep.log out out/sub out/sub/o \
  src src/build src/m.py src/pkg tmp tmp/t top.txt x x/data x/data/raw x/data/raw/r.bin x/top.txt
