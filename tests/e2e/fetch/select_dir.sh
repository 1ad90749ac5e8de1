#!/usr/bin/env bash
# --select speaks the exclude dialect (doc/FETCH.md, "--select"): a rule
# that matches a parent directory selects everything below it, so 'sub/'
# fetches the files under every directory named sub (it found nothing when
# --select used fnmatch); '/sub/' is anchored (with or without the top
# directory); '!' takes files back and the last matching rule decides.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 2 4   # file0.bin sub/file1.bin file2.bin sub/file3.bin
mkdir -p "$WORK/src/bundle/lib/sub"
head -c 70000 /dev/urandom >"$WORK/src/bundle/lib/sub/deep.bin"
head -c 50000 /dev/urandom >"$WORK/src/bundle/subway.bin"
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent" --piece-size 16
assert_exit 0
start_seed "$WORK/b.torrent" "$WORK/src"

all=(file0.bin sub/file1.bin file2.bin sub/file3.bin lib/sub/deep.bin subway.bin)

. "$(dirname "$0")/select.bash"

select_fetch sub/file1.bin sub/file3.bin lib/sub/deep.bin -- 'sub/'
select_fetch sub/file1.bin sub/file3.bin -- '/sub/'
select_fetch lib/sub/deep.bin -- 'bundle/lib/'
select_fetch sub/file1.bin lib/sub/deep.bin subway.bin -- 'sub*' '!*3.bin'
exit 0
