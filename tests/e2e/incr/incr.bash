# tests/e2e/incr/incr.bash - helpers for the incremental set tests (source
# after lib.sh).
#
# snap DIR: every entry below DIR (not DIR itself), one line each: path,
# type, mode, mtime in ns, size, and a file's SHA-256 or a link's target;
# two trees are the same when their snaps are.
snap() {
  python3 - "$1" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
out = []
for d, dirs, files in os.walk(root):
    for n in sorted(dirs + files):
        p = os.path.join(d, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, root)
        if stat.S_ISLNK(st.st_mode):
            what = 'l ' + os.readlink(p)
        elif stat.S_ISDIR(st.st_mode):
            what = 'd'
        else:
            with open(p, 'rb') as f:
                what = 'f %d %s' % (st.st_size, hashlib.sha256(f.read()).hexdigest())
        out.append('%s %o %d %s' % (rel, stat.S_IMODE(st.st_mode), st.st_mtime_ns, what))
print('\n'.join(sorted(out)))
PY
}

# same_snap A B: the trees A and B are the same (snap), else the diff.
same_snap() {
  snap "$1" >"$WORK/snap-a"
  snap "$2" >"$WORK/snap-b"
  diff -u "$WORK/snap-a" "$WORK/snap-b" >&2
}

# keep_state NAME DIR: a copy of DIR (modes and times kept) as state NAME.
keep_state() { rm -rf "$WORK/state-$1" && cp -a "$2" "$WORK/state-$1"; }
