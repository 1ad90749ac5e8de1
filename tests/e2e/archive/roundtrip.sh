#!/usr/bin/env bash
# pack -> unpack of a generated workspace gives an identical tree: contents,
# modes (0444, 0755, 0700, a read-only directory), symlinks inside and
# outside the tree (kept as links, dangling ones too), hardlinks, empty
# dirs, unicode and 255-byte names, names with spaces/newlines/'%', a deep
# tree past the 255-byte ustar limit, nanosecond mtimes, a 200 MiB random
# file and a compressible one.  verify passes; the default names work; the
# data-writer threads and the inline path give the same tree.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

mkdir -p "$WORK/src"
python3 - "$WORK/src" <<'PY'
import os, sys
r = sys.argv[1]
def w(rel, data=b"x\n", mode=None):
    p = os.path.join(r, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(p, mode)
w("data/file.txt", b"hello world\n" * 1000)
w("données/été.txt", "unicode ✓\n".encode())
w("日本語/ファイル.txt", b"nihongo\n")
w("emoji/🚀.md", b"rocket\n")
w("a" * 251 + ".txt", b"long ascii name\n")
w("é" * 127 + "x", b"long utf-8 name, 255 bytes\n")
w("odd/sp ace", b"space\n")
w("odd/new\nline", b"newline\n")
w("odd/pct%41name", b"percent\n")
deep = "/".join("level%02d" % i for i in range(40))          # > 255 bytes
w(deep + "/deep.txt", b"deep\n")
os.makedirs(os.path.join(r, "empty1"))
os.makedirs(os.path.join(r, deep, "empty2"))
w("bin/run.sh", b"#!/bin/sh\necho hi\n", 0o755)
w("cfg/frozen.json", b'{"frozen": true}\n', 0o444)
w("private/key", b"secret\n", 0o600)
os.chmod(os.path.join(r, "private"), 0o700)
w("ro/inside.txt", b"in a read-only dir\n")
w("hl/a", b"linked content\n")
os.makedirs(os.path.join(r, "other"))
os.link(os.path.join(r, "hl/a"), os.path.join(r, "hl/b"))
os.link(os.path.join(r, "hl/a"), os.path.join(r, "other/c"))
os.symlink("data/file.txt", os.path.join(r, "link_in"))
os.symlink("data", os.path.join(r, "link_dir"))
os.symlink("/usr/bin/python3", os.path.join(r, "link_out_abs"))
os.symlink("../../somewhere/else", os.path.join(r, "data/link_out_rel"))
os.symlink("missing-target", os.path.join(r, "dangling"))
w("text/big.log", b"".join(b"2024-01-01 step=%d loss=%.4f lr=3e-4\n" % (i, 1.0 / (i + 1)) for i in range(400000)))
with open(os.path.join(r, "big.bin"), "wb") as f:
    for _ in range(200):
        f.write(os.urandom(1 << 20))
# distinct nanosecond mtimes everywhere, bottom-up so directories keep theirs
t = 1700000000_123456789
for dirpath, dirs, files in os.walk(r, topdown=False):
    for n in files + dirs:
        t += 1_000_001_001
        os.utime(os.path.join(dirpath, n), ns=(t, t), follow_symlinks=False)
os.chmod(os.path.join(r, "ro"), 0o555)
PY

cd "$WORK" || fail "cd"
run_ferry pack src
assert_exit 0
[ -f "$WORK/src.tar.zst" ] || fail "default archive name src.tar.zst not used"
[ ! -e "$WORK/src.tar.zst.part" ] || fail ".part left behind"
grep -q '^packed ' "$WORK/err" || fail "no summary line: $(cat "$WORK/err")"
grep -q 'ratio' "$WORK/err" || fail "summary has no ratio"

run_ferry verify src.tar.zst
assert_exit 0
grep -q 'every file matches the manifest' "$WORK/err" || fail "verify: $(cat "$WORK/err")"
zstd -tq src.tar.zst || fail "zstd -t rejects the archive"

mkdir "$WORK/elsewhere"
cd "$WORK/elsewhere" || fail "cd"
run_ferry unpack ../src.tar.zst
assert_exit 0
[ -d "$WORK/elsewhere/src" ] || fail "default unpack directory ./src not used"
grep -q 'every file matches the manifest' "$WORK/err" || fail "unpack did not verify: $(cat "$WORK/err")"
assert_same_tree "$WORK/src" "$WORK/elsewhere/src"
[ ! -e "$WORK/elsewhere/src/.ferry" ] || fail "the manifest was extracted"
no_staging "$WORK/elsewhere/src"

# into an existing empty directory, by an explicit -C
mkdir "$WORK/empty-target"
run_ferry unpack "$WORK/src.tar.zst" -C "$WORK/empty-target"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/empty-target"

# the same without writer threads (every file written by libarchive)
FERRY_UNPACK_WRITERS=0 run_ferry unpack "$WORK/src.tar.zst" -C "$WORK/inline"
assert_exit 0
assert_same_tree "$WORK/src" "$WORK/inline"
chmod -R u+w "$WORK" 2>/dev/null
exit 0
