#!/usr/bin/env bash
# unpack's writer threads make regular files while the main thread goes on
# reading (issue 12); the tree must still be the one the archive says, in
# its order, as if one thread had made it:
# - a name given twice: the later entry wins, whatever the two are (a file
#   over a symlink, a symlink over a file, a file over a file);
# - a hardlink links the file as it was when the link came, even when a
#   later entry replaces that name;
# - files before their directories' entries, read-only files and
#   directories: contents, exact modes (whatever the umask) and mtimes;
# - many files in many directories, big and small: the same tree with the
#   writers as without them (FERRY_UNPACK_WRITERS=0).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3

tarpy "
t = tarfile.open('$WORK/order.tar', 'w', format=tarfile.PAX_FORMAT)
def f(name, data, mode=0o644):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = mode
    ti.mtime = 1700000000; t.addfile(ti, io.BytesIO(data))
def d(name, mode):
    ti = tarfile.TarInfo(name); ti.type = tarfile.DIRTYPE; ti.mode = mode
    ti.mtime = 1600000000; t.addfile(ti)
def sym(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target
    t.addfile(ti)
def hard(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.LNKTYPE; ti.linkname = target
    t.addfile(ti)
f('c', b'first')
hard('h', 'c')
f('c', b'second')
sym('s', 'nowhere')
f('s', b'a file now')
f('t', b'a file first')
sym('t', 'target')
f('twice', b'one')
f('twice', b'two')
f('x/y/z', b'deep', 0o400)
d('x/y', 0o500)
d('x', 0o555)
for i in range(300):
    f('many/d%02d/f%03d' % (i % 7, i), os.urandom(i * 97), (0o644, 0o755, 0o600, 0o444)[i % 4])
for i in range(7):
    d('many/d%02d' % i, 0o750)
d('many', 0o755)
t.close()"

check_order() {
  local out=$1
  [ "$(cat "$out/c")" = second ] || fail "c: the later file should win"
  [ "$(cat "$out/h")" = first ] || fail "h: should link the first c"
  [ -f "$out/s" ] && [ ! -L "$out/s" ] && [ "$(cat "$out/s")" = "a file now" ] ||
    fail "s: the file after the symlink should win"
  [ "$(readlink "$out/t")" = target ] || fail "t: the symlink after the file should win"
  [ "$(cat "$out/twice")" = two ] || fail "twice: the later copy should win"
  [ "$(cat "$out/x/y/z")" = deep ] || fail "x/y/z: wrong content"
  [ "$(stat -c %a "$out/x")" = 555 ] || fail "x: mode $(stat -c %a "$out/x"), not 555"
  [ "$(stat -c %a "$out/x/y")" = 500 ] || fail "x/y: mode $(stat -c %a "$out/x/y")"
  [ "$(stat -c %a "$out/x/y/z")" = 400 ] || fail "x/y/z: mode $(stat -c %a "$out/x/y/z")"
  [ "$(stat -c %Y "$out/x")" = 1600000000 ] || fail "x: mtime $(stat -c %Y "$out/x")"
  [ "$(stat -c %Y "$out/c")" = 1700000000 ] || fail "c: mtime $(stat -c %Y "$out/c")"
  [ "$(stat -c %a "$out/many/d03/f003")" = 444 ] || fail "f003: mode $(stat -c %a "$out/many/d03/f003")"
  [ "$(stat -c %s "$out/many/d05/f299")" = $((299 * 97)) ] || fail "f299: wrong size"
}

# with the writers (the default), and under a umask that would strip bits
(umask 077 && "$FERRY" unpack -q "$WORK/order.tar" -C "$WORK/w") 2>"$WORK/err" ||
  fail "unpack with writers failed: $(cat "$WORK/err")"
check_order "$WORK/w"
(umask 077 && FERRY_UNPACK_WRITERS=0 "$FERRY" unpack -q "$WORK/order.tar" -C "$WORK/n") 2>"$WORK/err" ||
  fail "unpack without writers failed: $(cat "$WORK/err")"
check_order "$WORK/n"
assert_same_tree "$WORK/w" "$WORK/n"

# a workspace packed by ferry: many directories, small and big files (one
# big enough for the main thread to share its writes), read-only ones
python3 - "$WORK/ws" <<'EOF'
import os, random, sys
root = sys.argv[1]
rng = random.Random(12)
for i in range(1500):
    d = os.path.join(root, "pkg%02d" % (i % 40), "sub%d" % (i % 3))
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "m%04d.py" % i)
    with open(p, "wb") as fh:
        fh.write(("x = %d\n" % i).encode() * rng.randrange(0, 4000))
    os.chmod(p, (0o644, 0o755, 0o600, 0o444, 0o640)[i % 5])
with open(os.path.join(root, "big.bin"), "wb") as fh:
    fh.write(os.urandom(9 << 20))
os.makedirs(os.path.join(root, "ro"))
open(os.path.join(root, "ro", "kept"), "w").write("kept\n")
os.chmod(os.path.join(root, "ro"), 0o555)
EOF
"$FERRY" pack -q "$WORK/ws" -o "$WORK/ws.tar.zst" || fail "pack failed"
(umask 077 && "$FERRY" unpack -q "$WORK/ws.tar.zst" -C "$WORK/ws-w") || fail "unpack failed"
assert_same_tree "$WORK/ws" "$WORK/ws-w"
(umask 077 && FERRY_UNPACK_WRITERS=0 "$FERRY" unpack -q "$WORK/ws.tar.zst" -C "$WORK/ws-n") ||
  fail "unpack without writers failed"
assert_same_tree "$WORK/ws" "$WORK/ws-n"
chmod -R u+w "$WORK/w" "$WORK/n" "$WORK/ws" "$WORK/ws-w" "$WORK/ws-n"
exit 0
