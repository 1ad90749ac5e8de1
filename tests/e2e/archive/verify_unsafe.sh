#!/usr/bin/env bash
# verify and list run unpack's entry safety checks (issue 9): whatever
# unpack refuses as unsafe, they refuse too, with the same exit (4) and the
# same line -- a ferry archive whose hardlink was pointed at '../a.txt', and
# hostile archives (an absolute path, a '..' path, a path through an
# archive symlink, a hardlink to a later entry).  Nothing outside changes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need python3
hostile_setup


# the case issue 9 names: a ferry archive, its hardlink edited to ../a.txt
small_ws "$WORK/src"
ln "$WORK/src/a.txt" "$WORK/src/sub/hard.txt"
"$FERRY" -q pack "$WORK/src" -o "$WORK/good.tar" || fail "pack"
python3 - "$WORK/good.tar" "$WORK/dotdot.tar" <<'PY' || fail "edit"
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    for m in src:
        if m.name == "sub/hard.txt":
            m.linkname = "../a.txt"
        t.addfile(m, src.extractfile(m) if m.isfile() else None)
PY
alike "$WORK/dotdot.tar" 4 "^ferry: $WORK/dotdot.tar: entry 'sub/hard.txt': hardlink target contains '\.\.'$"

# evil NAME PYTHON: $WORK/NAME.tar from PYTHON (t is the open tarfile)
evil() {
  tarpy "
t = tarfile.open('$WORK/$1.tar', 'w', format=tarfile.PAX_FORMAT)
def f(name, data=b'x'):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
def sym(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; t.addfile(ti)
def hard(name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.LNKTYPE; ti.linkname = target; t.addfile(ti)
$2
t.close()"
}
evil abs "f('ok'); f('$WORK/victim/secret')"
alike "$WORK/abs.tar" 4 "entry '$WORK/victim/secret': absolute path"
evil dots "f('ok'); f('sub/../../victim/secret')"
alike "$WORK/dots.tar" 4 "entry 'sub/\.\./\.\./victim/secret': path contains '\.\.'"
evil through "sym('l', '$WORK/victim'); f('l/secret')"
alike "$WORK/through.tar" 4 "entry 'l/secret': path goes through a symlink"
evil later "hard('h', 'later'); f('later')"
alike "$WORK/later.tar" 4 "entry 'h': hardlink target is not an earlier file"
grep -qx secret "$WORK/victim/secret" || fail "victim changed"
exit 0
