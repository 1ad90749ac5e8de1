# tests/e2e/archive/helpers.bash - helpers for the archive scripts (pack,
# unpack, list, verify).
# Source after lib.sh:   . "$(dirname "$0")/helpers.bash"
# (Not named *.sh: every *.sh here is a test.)

ARCHIVE_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# treecmp A B [--no-mtime] [--ignore NAME]: identical trees, or print why.
treecmp() { python3 "$ARCHIVE_TESTS/treecmp.py" "$@"; }

# assert_same_tree A B [opts]: fail with the differences.
assert_same_tree() {
  local out
  out=$(treecmp "$@") || fail "trees differ: $1 vs $2"$'\n'"$out"
}

# snapshot DIR [-mindepth 1]: a listing of DIR and everything below it
# (type, mode, size, mtime, path, link target), to prove a tree was left
# untouched.  With -mindepth 1 DIR's own line is left out (its mtime
# changes when a staging directory is made and removed in it).
snapshot() {
  local d=$1; shift
  (cd "$d" && find . "$@" -printf '%y %m %s %T@ %p %l\n' | LC_ALL=C sort)
}

# small_ws DIR: a small workspace: text, a random file, a subdir, a symlink.
small_ws() {
  mkdir -p "$1/sub/deeper" "$1/empty"
  printf 'hello\n' >"$1/a.txt"
  seq 1 20000 >"$1/sub/numbers.txt"
  head -c 300000 /dev/urandom >"$1/sub/random.bin"
  printf 'x\n' >"$1/sub/deeper/x.txt"
  ln -s ../a.txt "$1/sub/link"
}

# no_staging DIR: nothing named DIR.ferry-* is left beside DIR.
no_staging() {
  local left
  left=$(ls -d "$1".ferry-* 2>/dev/null)
  [ -z "$left" ] || fail "staging left behind: $left"
}

# tarpy SCRIPT: run Python with tarfile to build a (hostile) archive.
tarpy() { python3 -c "import tarfile, io, sys, os
$1"; }

# archive_paths ARCHIVE: the entry paths `ferry list` shows, sorted, one a line.
archive_paths() {
  "$FERRY" --json list "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("event") == "entry":
        print(e["path"])' | LC_ALL=C sort
}

# expect_paths ARCHIVE PATH...: the archive holds exactly these paths.
expect_paths() {
  local archive=$1; shift
  printf '%s\n' "$@" | LC_ALL=C sort >"$WORK/expected.paths"
  archive_paths "$archive" >"$WORK/actual.paths"
  diff -u "$WORK/expected.paths" "$WORK/actual.paths" >&2 || fail "unexpected archive contents"
}

# exclude_ws DIR: files for the exclude tests.
exclude_ws() {
  mkdir -p "$1"/{src/pkg,data/raw,x/data/raw,cache,src/cache,build,logs,a/b/tmp,tmp,out/sub}
  touch "$1"/{top.txt,src/m.py,src/m.pyc,src/pkg/n.pyc,data/raw/r.bin,x/data/raw/r.bin}
  touch "$1"/{cache/c,src/cache/c,build/o.o,src/build,logs/a.log,logs/keep.log,keep.log}
  touch "$1"/{a/b/tmp/t,tmp/t,a/b/z.txt,a/z.txt,out/sub/o,x/top.txt}
}

# hostile_setup: $WORK/victim (files an attack aims at) and $WORK/t (where
# the target $WORK/t/out would be created); remembers how both look.
hostile_setup() {
  mkdir -p "$WORK/victim" "$WORK/t"
  printf 'secret\n' >"$WORK/victim/secret"
  { snapshot "$WORK/victim"; snapshot "$WORK/t" -mindepth 1; } >"$WORK/before.snap"
}

# hostile_check: victim and t look exactly as before (no target, no staging).
hostile_check() {
  { snapshot "$WORK/victim"; snapshot "$WORK/t" -mindepth 1; } >"$WORK/after.snap"
  diff -u "$WORK/before.snap" "$WORK/after.snap" >&2 || fail "something outside the target changed"
}

# corrupt_setup: $WORK/src, its archive $WORK/good.tar.zst, and a target
# $WORK/target holding an older tree, with its snapshot.
corrupt_setup() {
  small_ws "$WORK/src"
  head -c 2000000 /dev/urandom >"$WORK/src/sub/big-random.bin"
  seq 1 300000 >"$WORK/src/sub/big-text.txt"
  "$FERRY" -q pack "$WORK/src" -o "$WORK/good.tar.zst" || fail "pack failed"
  mkdir -p "$WORK/target/old"
  printf 'old tree\n' >"$WORK/target/old/file"
  snapshot "$WORK/target" >"$WORK/target.snap"
}

# target_untouched: $WORK/target is as corrupt_setup left it, no staging.
target_untouched() {
  snapshot "$WORK/target" | diff -u "$WORK/target.snap" - >&2 || fail "target changed"
  no_staging "$WORK/target"
}

# flip FILE OFFSET: invert one byte.
flip() {
  python3 -c "
import sys
p, o = sys.argv[1], int(sys.argv[2])
with open(p, 'r+b') as f:
    f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0xff]))" "$1" "$2"
}

# bg_ferry NAME ARGS...: ferry in the background, itself (not a wrapper), so
# a test can kill -9 it; PID in $FPID, stopped at exit by lib.sh.
bg_ferry() {
  local name=$1; shift
  "$FERRY" "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  FPID=$!
  _bg_pids+=("$FPID")
}

# text_ws DIR MB: a workspace of compressible text, slow to pack at -19.
text_ws() {
  mkdir -p "$1"
  python3 - "$1" "$2" <<'PY'
import os, random, sys
d, mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
words = "model layer loss step grad norm token batch epoch cuda kernel".split()
for i in range(4):
    with open(os.path.join(d, "log%d.txt" % i), "w") as f:
        n = 0
        while n < mb * (1 << 20) // 4:
            line = "%d %s %s %.6f\n" % (n, rng.choice(words), rng.choice(words), rng.random())
            f.write(line)
            n += len(line)
PY
}

# alike ARCHIVE EXIT PATTERN: unpack (into $WORK/t/out), verify and list
# each exit EXIT with one error line matching PATTERN, the same line from
# all three, and leave what hostile_setup snapshotted as it was.
alike() {
  local cmd
  for cmd in unpack verify list; do
    if [ "$cmd" = unpack ]; then
      run_ferry unpack "$1" -C "$WORK/t/out"
    else
      run_ferry "$cmd" "$1"
    fi
    [ "$RC" -eq "$2" ] || { cat "$WORK/err" >&2; fail "$cmd $1: expected exit $2, got $RC"; }
    assert_one_error_line "$3"
    if [ "$cmd" = unpack ]; then
      cp "$WORK/err" "$WORK/unpack.err"
    else
      diff -u "$WORK/unpack.err" "$WORK/err" >&2 || fail "$cmd and unpack say different things"
    fi
    hostile_check
  done
}

# rss_run ARGS...: ferry under /usr/bin/time; exit in $RC, max RSS (KiB) in
# $RSS, stdout/stderr in $WORK/out and $WORK/err
rss_run() {
  /usr/bin/time -o "$WORK/rss" -f %M "$FERRY" "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  RSS=$(tail -1 "$WORK/rss")
}

# refused_small ARCHIVE PATTERN: list, verify and unpack into $WORK/target
# refuse ARCHIVE (exit 3, one line matching PATTERN) in under 64 MiB, and
# the target is untouched
refused_small() {
  local cmd
  for cmd in list verify; do
    rss_run $cmd "$1"
    assert_exit 3
    assert_one_error_line "$2"
    [ "$RSS" -lt 65536 ] || fail "$cmd: max RSS $RSS KiB"
  done
  rss_run unpack "$1" -C "$WORK/target" --force
  assert_exit 3
  assert_one_error_line "$2"
  [ "$RSS" -lt 65536 ] || fail "unpack: max RSS $RSS KiB"
  target_untouched
}
