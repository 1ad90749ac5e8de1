#!/usr/bin/env bash
# Entries that clash with earlier ones, and names no filesystem holds, are
# the archive's fault, never an I/O error (issue 9, found by fuzz_mutate):
# a non-directory where earlier entries made a directory (named, or as a
# parent), and a path through a file an earlier entry made, are refused
# by unpack, verify and list alike (exit 4); a symlink without a target is
# corrupt (exit 3); a name longer than the filesystem allows fails unpack
# with exit 3 and one line in which the name's control bytes are escaped.
# A file given twice is not a clash: the later one wins, as in tar.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup

# evil NAME PYTHON: $WORK/NAME.tar from PYTHON (t is the open tarfile)
evil() {
  tarpy "
t = tarfile.open('$WORK/$1.tar', 'w', format=tarfile.PAX_FORMAT)
def f(name, data=b'x'):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
def d(name):
    ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; t.addfile(ti)
def sym(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; t.addfile(ti)
$2
t.close()"
}


evil implicit "f('a/b'); sym('a', '$WORK/victim')"
alike "$WORK/implicit.tar" 4 "entry 'a': would replace a directory of earlier entries"
evil named "d('a'); f('a')"
alike "$WORK/named.tar" 4 "entry 'a': would replace a directory of earlier entries"
evil throughfile "f('a'); f('a/b')"
alike "$WORK/throughfile.tar" 4 "entry 'a/b': path goes through a file of an earlier entry"
evil nolink "f('ok'); sym('l', '')"
alike "$WORK/nolink.tar" 3 "entry 'l': corrupt: a symlink without a target"

# a name component of 300 bytes, starting with an escape sequence
evil long "f('ok'); f('\x1b[2J' + 'n' * 296)"
run_ferry unpack "$WORK/long.tar" -C "$WORK/t/out"
assert_exit 3
assert_one_error_line "entry '.x1b\[2Jnnn.*': File name too long"
grep -q $'\x1b' "$WORK/err" && fail "a raw escape byte on stderr"
hostile_check

# the same file twice: the later one wins
evil twice "f('a', b'first'); f('a', b'second')"
run_ferry unpack "$WORK/twice.tar" -C "$WORK/twice"
assert_exit 0
[ "$(cat "$WORK/twice/a")" = second ] || fail "the later copy should win"
exit 0
