#!/usr/bin/env python3
"""treecmp.py A B [--no-mtime] [--ignore NAME]... - compare two trees.

Compares every entry below A and B (not the roots): type, permission bits
(07777), size and sha256 of regular files, symlink targets, mtimes in
nanoseconds (unless --no-mtime; symlinks too), and hardlink groups (files
that share an inode in A share one in B).  Prints each difference and
exits 1 if there is any.  --ignore NAME skips a top-level entry (e.g. the
.ferry directory GNU tar extracts from a ferry archive).
"""
import hashlib
import os
import stat
import sys


def scan(root, ignore):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirs[:] = [d for d in dirs if d not in ignore]
            files = [f for f in files if f not in ignore]
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            st = os.lstat(p)
            e = {"mode": stat.S_IMODE(st.st_mode), "mtime": st.st_mtime_ns, "ino": st.st_ino}
            if stat.S_ISLNK(st.st_mode):
                e["type"] = "l"
                e["target"] = os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                e["type"] = "d"
            elif stat.S_ISREG(st.st_mode):
                e["type"] = "f"
                e["size"] = st.st_size
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                e["sha"] = h.hexdigest()
                e["nlink"] = st.st_nlink
            else:
                e["type"] = "other"
            out[rel] = e
    return out


def groups(tree):
    by_ino = {}
    for rel, e in tree.items():
        if e["type"] == "f" and e["nlink"] > 1:
            by_ino.setdefault(e["ino"], []).append(rel)
    return sorted(sorted(v) for v in by_ino.values() if len(v) > 1)


def main():
    args = sys.argv[1:]
    mtime = "--no-mtime" not in args
    ignore = set()
    rest = []
    i = 0
    while i < len(args):
        if args[i] == "--no-mtime":
            pass
        elif args[i] == "--ignore":
            i += 1
            ignore.add(args[i])
        else:
            rest.append(args[i])
        i += 1
    a, b = scan(rest[0], ignore), scan(rest[1], ignore)
    diffs = []
    for rel in sorted(set(a) | set(b)):
        if rel not in a:
            diffs.append("only in B: %r" % rel)
            continue
        if rel not in b:
            diffs.append("only in A: %r" % rel)
            continue
        x, y = a[rel], b[rel]
        for k in ("type", "mode", "size", "sha", "target"):
            if x.get(k) != y.get(k):
                diffs.append("%r: %s %r != %r" % (rel, k, x.get(k), y.get(k)))
        if mtime and x["mtime"] != y["mtime"]:
            diffs.append("%r: mtime %d != %d" % (rel, x["mtime"], y["mtime"]))
    if groups(a) != groups(b):
        diffs.append("hardlink groups differ: %r != %r" % (groups(a), groups(b)))
    for d in diffs[:40]:
        print(d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
