#!/usr/bin/env python3
"""fuzz_mutate.py --ferry FERRY [options] - mutate ferry-made archives.

Builds a small workspace (files of a few sizes incl. empty and 300 KB, a
subdirectory, a symlink, a hardlink, an executable, an empty directory),
packs it with ferry into every format ferry writes, then mutates each
archive deterministically (seeded by format and mutant number) and runs
`ferry verify`, `ferry list` and `ferry unpack -C t/out` on every mutant,
each in a fresh sandbox directory that is its working directory.

Mutations: raw ones on the archive as stored (byte flips anywhere, in the
first or last bytes, truncation, inserted, deleted or zeroed bytes); tar
ones on the decompressed tar, recompressed so they reach the tar reader
(size fields set to 2^62, 8 GiB, 0xFFFFFFFF or off by a little, header
bytes, type flags, link targets and names changed, pax "size" records,
pax and old-GNU sparse maps with offsets of 2^55, data and manifest bytes
changed, a cut inside a member; every header checksum recomputed); zip
ones on the local and central headers (sizes 0xFFFFFFFF or 2^62 through
a zip64 extra, CRC-32, method, name length, offsets, data descriptors,
traversal names); zstd ones (frame windows above 2^27, block headers,
frame checksums).

Every run must: exit 3 or 4, or exit 0 only if the mutation was harmless
(unpack: the tree is identical to the workspace in content, types and
link targets; verify/list: the archive is intact by content, judged by
Python's own readers; some classes, e.g. a wrong zip CRC-32, may never
pass) or took ferry's manifest away (renamed it, say onto another
member's name: then the mutant is, for all anyone can tell, another
tool's archive, which ferry checks for structure only, so exit 0 must
come with "no ferry manifest" and unpack must give what the archive holds
as Python reads it); print exactly one non-warning "ferry:" line on failure; print no
sanitizer report; leave the sandbox unchanged except for the target (no
staging directory, no target after a failure); finish within --timeout
seconds (10); stay within --max-rss MiB (256) of peak RSS.

On failure it prints one line per failing run (format#index, class, what
was mutated, the problem) and a reproducer:
    python3 fuzz_mutate.py --ferry FERRY --only FORMAT:INDEX [--keep DIR]
which rebuilds the same workspace, packs it again, replays that mutant and
prints ferry's stderr of each command (--keep leaves the mutant for a
manual run).  Only ferry's manifest entry differs between two packs (it
carries the pack time), so a mutant replays the same mutation at the same
offsets.  Exit status: 0 pass, 1 failures.
"""
import argparse
import concurrent.futures
import gzip
import hashlib
import io
import lzma
import os
import random
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
import zlib

FORMATS = ["tar.zst", "tar.gz", "tar.xz", "tar", "zip"]
MTIME_NS = 1700000000_123456789
CAP = 64 << 20  # bytes an oracle decompresses at most; files ferry may write
SAN_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
             "runtime error:", "UndefinedBehaviorSanitizer",
             "ThreadSanitizer", "MemorySanitizer", "AddressSanitizer:")

# ------------------------------------------------------------ workspace


def make_ws(root):
    """A deterministic workspace; returns its expected content map."""
    rng = random.Random(20261127)
    os.makedirs(os.path.join(root, "sub", "deeper"))
    os.makedirs(os.path.join(root, "emptydir"))

    def put(rel, data, mode=0o644):
        p = os.path.join(root, rel)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)

    put("a.txt", b"hello\n")
    put("empty", b"")
    put("one", b"x")
    put("sub/random.bin", rng.randbytes(300000))
    words = b"model layer loss step grad norm token batch epoch cuda".split()
    lines = [b"%d %s %s\n" % (i, rng.choice(words), rng.choice(words))
             for i in range(9000)]
    put("sub/text.txt", b"".join(lines))
    put("sub/edge.bin", rng.randbytes(4097))
    put("sub/run.sh", b"#!/bin/sh\necho hi\n", 0o755)
    put("sub/deeper/n.txt", b"".join(b"%d\n" % i for i in range(2000)))
    os.symlink("../a.txt", os.path.join(root, "sub", "link"))
    os.link(os.path.join(root, "a.txt"), os.path.join(root, "sub", "hard.txt"))
    for dirpath, dirs, files in os.walk(root, topdown=False):
        for name in files + dirs:
            os.utime(os.path.join(dirpath, name), ns=(MTIME_NS, MTIME_NS),
                     follow_symlinks=False)
    os.utime(root, ns=(MTIME_NS, MTIME_NS))
    return tree_map(root)


def tree_map(root):
    """relpath -> ("d",) | ("f", sha256) | ("l", target) | ("?", mode)"""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("l", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("d",)
            elif stat.S_ISREG(st.st_mode):
                if st.st_size > CAP:
                    out[rel] = ("f", "size %d" % st.st_size)
                    continue
                with open(p, "rb") as f:
                    out[rel] = ("f", hashlib.sha256(f.read()).hexdigest())
            else:
                out[rel] = ("?", oct(st.st_mode))
    return out


def tree_diff(want, got, limit=4):
    """A short description of how got differs from want, or ''."""
    diffs = []
    for k in sorted(set(want) | set(got)):
        if k not in got:
            diffs.append("missing " + k)
        elif k not in want:
            diffs.append("extra %s %s" % (k, got[k][0]))
        elif want[k] != got[k]:
            diffs.append("%s: %s, want %s" % (k, str(got[k])[:60], str(want[k])[:60]))
    if not diffs:
        return ""
    more = " (+%d more)" % (len(diffs) - limit) if len(diffs) > limit else ""
    return "; ".join(diffs[:limit]) + more


# ------------------------------------------------------------ compression


def run_filter(cmd, data, cap=CAP):
    """Run a filter command on data; (ok, output up to cap).  More output
    than cap is not ok (and stops the filter)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)

    def feed():
        try:
            p.stdin.write(data)
            p.stdin.close()
        except OSError:
            pass

    th = threading.Thread(target=feed)
    th.start()
    out = p.stdout.read(cap + 1)
    if len(out) > cap:
        p.kill()
    p.stdout.close()
    rc = p.wait()
    th.join()
    return rc == 0 and len(out) <= cap, out


def decompress(fmt, data):
    """The inner tar of a tar.* archive, or None if it does not decompress
    cleanly (strictly: no trailing garbage, every checksum right)."""
    try:
        if fmt == "tar":
            return data
        if fmt == "tar.gz":
            out, rest = [], data
            while rest:
                d = zlib.decompressobj(wbits=31)
                chunk = d.decompress(rest, CAP)
                if d.unconsumed_tail or not d.eof:
                    return None
                out.append(chunk)
                rest = d.unused_data
            return b"".join(out)
        if fmt == "tar.xz":
            d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
            out = d.decompress(data, CAP)
            if not d.eof or d.unused_data or len(out) >= CAP:
                return None
            return out
        if fmt == "tar.zst":
            ok, out = run_filter(["zstd", "-q", "-d", "-c"], data)
            return out if ok else None
    except (OSError, EOFError, zlib.error, lzma.LZMAError):
        return None
    return None


def compress(fmt, tar):
    if fmt == "tar":
        return tar
    if fmt == "tar.gz":
        return gzip.compress(tar, 6, mtime=0)
    if fmt == "tar.xz":
        return lzma.compress(tar, format=lzma.FORMAT_XZ, preset=1)
    if fmt == "tar.zst":
        ok, out = run_filter(["zstd", "-q", "-3", "-c"], tar)
        assert ok, "zstd failed"
        return out
    raise ValueError(fmt)


# ------------------------------------------------------------ oracle


def clean_name(name):
    """A member name as ferry cleans it: no "." or empty components."""
    return "/".join(c for c in name.split("/") if c not in ("", "."))


def oracle_content(fmt, data):
    """What the archive holds as Python's readers see it: a tree_map()-like
    map (later members win, as in an extraction; parent directories that
    no member names are there too), without ferry's manifest and anything
    else under the top-level .ferry/ (never unpacked); and whether ferry's
    manifest was among the members.  (None, False) if Python's readers
    complain (a wrong CRC-32, a stream that does not decompress cleanly,
    data after the end)."""
    got, has_mf = {}, False
    try:
        if fmt == "zip":
            z = zipfile.ZipFile(io.BytesIO(data))
            members = []
            for info in z.infolist():
                if info.file_size > CAP:
                    return None, False
                kind = (info.external_attr >> 16) & 0o170000
                body = z.read(info)  # checks the CRC-32
                if info.is_dir():
                    members.append((info.filename, ("d",)))
                elif kind == stat.S_IFLNK:
                    members.append((info.filename, ("l", body.decode("utf-8", "replace"))))
                else:
                    members.append((info.filename, ("f", hashlib.sha256(body).hexdigest())))
        else:
            tar = decompress(fmt, data)
            if tar is None:
                return None, False
            t = tarfile.open(fileobj=io.BytesIO(tar), mode="r:")
            members = []
            for m in t:
                if m.issparse() or (m.size > CAP and not m.isdir()):
                    return None, False
                if m.isdir():
                    members.append((m.name, ("d",)))
                elif m.issym():
                    members.append((m.name, ("l", m.linkname)))
                elif m.isfile() or m.islnk() or m.type not in tarfile.SUPPORTED_TYPES:
                    f = t.extractfile(m)  # unknown types read as files, as
                    body = f.read() if f else b""  # libarchive reads them
                    if not m.islnk() and len(body) != m.size:
                        return None, False
                    members.append((m.name, ("f", hashlib.sha256(body).hexdigest())))
                else:
                    members.append((m.name, ("?", m.type)))
            # what follows the end of the archive must be zeros
            if tar[t.offset:].strip(b"\0"):
                return None, False
    except Exception:  # any complaint of Python's readers
        return None, False
    for raw, what in members:
        name = clean_name(raw)
        if name == ".ferry/manifest":
            has_mf = True
        if name == "" or name.split("/")[0] == ".ferry":
            continue
        got[name] = what
        parts = name.split("/")
        for i in range(1, len(parts)):
            got.setdefault("/".join(parts[:i]), ("d",))
    return got, has_mf


def oracle_intact(fmt, data, want):
    """Is the archive intact by content (Python's readers agree it holds
    exactly the workspace, and ferry's manifest)?"""
    got, has_mf = oracle_content(fmt, data)
    return got == want and has_mf


# ------------------------------------------------------------ tar surgery

BLOCK = 512


def tar_num(field):
    if field and field[0] & 0x80:
        v = int.from_bytes(field[1:], "big")
        return v
    s = field.split(b"\0", 1)[0].strip(b" ")
    return int(s, 8) if s else 0


def tar_set_num(hdr, off, length, value):
    s = b"%0*o" % (length - 1, value)
    if len(s) <= length - 1:
        hdr[off:off + length] = s + b"\0"
    else:  # base-256
        hdr[off:off + length] = b"\x80" + value.to_bytes(length - 1, "big")


def tar_fix_sum(hdr):
    hdr[148:156] = b" " * 8
    hdr[148:156] = b"%06o\0 " % (sum(hdr[:BLOCK]) & 0o777777)


def tar_headers(tar):
    """[(offset, typeflag, size, name)] of every header block."""
    out, off = [], 0
    while off + BLOCK <= len(tar):
        hdr = tar[off:off + BLOCK]
        if hdr == b"\0" * BLOCK:
            break
        size = tar_num(hdr[124:136])
        typ = hdr[156:157]
        name = hdr[0:100].split(b"\0", 1)[0]
        out.append((off, typ, size, name))
        data = size if typ not in (b"1", b"2", b"5", b"3", b"4", b"6") else 0
        off += BLOCK + (data + BLOCK - 1) // BLOCK * BLOCK
    return out


def pick_header(rng, hdrs, kinds):
    cand = [h for h in hdrs if h[1] in kinds]
    return rng.choice(cand or hdrs)


def m_tar_size_huge(rng, tar, ctx):
    hdrs = tar_headers(tar)
    h = pick_header(rng, hdrs, [b"0", b"x"] if rng.random() < 0.8 else [b"5", b"2", b"1"])
    v = rng.choice([1 << 62, (1 << 33) - 1, 0xFFFFFFFF, (1 << 63) - 1, 1 << 40])
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    tar_set_num(hdr, 124, 12, v)
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "size of %r (%s) = %d" % (h[3], h[1], v)


def m_tar_size_off(rng, tar, ctx):
    hdrs = tar_headers(tar)
    h = pick_header(rng, hdrs, [b"0", b"x"])
    v = max(0, h[2] + rng.choice([-1, 1, -511, 511, 512, -512, 513, 4096, -h[2]]))
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    tar_set_num(hdr, 124, 12, v)
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "size of %r %d -> %d" % (h[3], h[2], v)


def m_tar_hdr_flip(rng, tar, ctx):
    h = rng.choice(tar_headers(tar))
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    where = []
    for _ in range(rng.randint(1, 3)):
        o = rng.choice([i for i in range(500) if not 148 <= i < 156])
        hdr[o] ^= rng.randint(1, 255)
        where.append(o)
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "header %r bytes %s" % (h[3], where)


def m_tar_type(rng, tar, ctx):
    h = rng.choice(tar_headers(tar))
    t = rng.choice([b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"x", b"g",
                    b"L", b"K", b"S", b"V", b"M", b"\0", b"Z"])
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    hdr[156:157] = t
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "type of %r %s -> %s" % (h[3], h[1], t)


def m_tar_link(rng, tar, ctx):
    h = pick_header(rng, tar_headers(tar), [b"1", b"2"])
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    old = hdr[157:257].split(b"\0", 1)[0]
    new = rng.choice([t for t in (b"../a.txt", b"a.tx", b"../../../victim/secret",
                                  ctx["sandbox_abs"] + b"/victim/secret", b"sub/deeper",
                                  b"nonexistent", b"sub", b"../b.txt") if len(t) < 100])
    if new == old:
        new = b"a.txt"
    hdr[157:257] = new.ljust(100, b"\0")
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "link target of %r %r -> %r" % (h[3], old, new)


def m_tar_name(rng, tar, ctx):
    h = pick_header(rng, tar_headers(tar), [b"0", b"5", b"2", b"1"])
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    new = rng.choice([n for n in (b"../../victim/pwn", ctx["sandbox_abs"] + b"/victim/pwn",
                                  b"sub/link/pwn", b"./sub/../../pwn", b".ferry/x.resume",
                                  b"sub//random.bin", b"a.txt", b"") if len(n) < 100])
    hdr[0:100] = new.ljust(100, b"\0")
    hdr[345:500] = b"\0" * 155  # no ustar prefix
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "name of %r -> %r" % (h[3], new)


def pax_records(recs):
    """A pax extended header body from [(key, value)]."""
    out = b""
    for k, v in recs:
        body = b" %s=%s\n" % (k, v)
        n = len(body) + 1
        while len(str(n).encode()) + len(body) != n:
            n += 1
        out += str(n).encode() + body
    return out


def replace_pax(tar, h, body):
    """Replace the body of the pax header h (one block max)."""
    assert len(body) <= BLOCK
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    tar_set_num(hdr, 124, 12, len(body))
    tar_fix_sum(hdr)
    old_blocks = (h[2] + BLOCK - 1) // BLOCK
    assert old_blocks == 1
    return (tar[:h[0]] + bytes(hdr) + body.ljust(BLOCK, b"\0") +
            tar[h[0] + 2 * BLOCK:])


def pax_for_file(rng, tar):
    """A pax header that precedes a regular file with data, and the file."""
    hdrs = tar_headers(tar)
    pairs = [(hdrs[i], hdrs[i + 1]) for i in range(len(hdrs) - 1)
             if hdrs[i][1] == b"x" and hdrs[i + 1][1] == b"0" and hdrs[i + 1][2] > 0
             and hdrs[i][2] <= BLOCK]
    return rng.choice(pairs) if pairs else (None, None)


def m_tar_pax_size(rng, tar, ctx):
    px, f = pax_for_file(rng, tar)
    if px is None:
        return m_tar_size_huge(rng, tar, ctx)
    v = rng.choice([1 << 62, (1 << 63) - 1, 1 << 34, f[2] + 1, f[2] * 2 + 7,
                    99999999999999999999999])
    body = pax_records([(b"mtime", b"1700000000.123456789"), (b"size", b"%d" % v)])
    return replace_pax(tar, px, body), "pax size=%d for %r (%d bytes)" % (v, f[3], f[2])


def m_tar_pax_sparse(rng, tar, ctx):
    px, f = pax_for_file(rng, tar)
    if px is None:
        return m_tar_gnu_sparse(rng, tar, ctx)
    n = f[2]
    off, real = rng.choice([(1 << 55, (1 << 55) + n), (1 << 40, (1 << 40) + n),
                            (0, n // 2), (n, n), (1 << 62, 1 << 62)])
    body = pax_records([(b"GNU.sparse.size", b"%d" % real),
                        (b"GNU.sparse.numblocks", b"1"),
                        (b"GNU.sparse.offset", b"%d" % off),
                        (b"GNU.sparse.numbytes", b"%d" % n),
                        (b"GNU.sparse.name", f[3])])
    return replace_pax(tar, px, body), "pax sparse map %d+%d, real size %d for %r" % (off, n, real, f[3])


def m_tar_gnu_sparse(rng, tar, ctx):
    h = pick_header(rng, tar_headers(tar), [b"0"])
    hdr = bytearray(tar[h[0]:h[0] + BLOCK])
    n = h[2]
    off, real = rng.choice([(1 << 55, (1 << 55) + n), (1 << 40, (1 << 40) + n),
                            (0, n // 2), (1 << 62, 1 << 62)])
    hdr[156:157] = b"S"
    hdr[257:265] = b"ustar  \0"
    hdr[345:500] = b"\0" * 155
    tar_set_num(hdr, 386, 12, off)
    tar_set_num(hdr, 398, 12, n)
    hdr[482] = 0
    tar_set_num(hdr, 483, 12, real)
    tar_fix_sum(hdr)
    return tar[:h[0]] + bytes(hdr) + tar[h[0] + BLOCK:], "GNU sparse map %d+%d, real size %d for %r" % (off, n, real, h[3])


def m_tar_data(rng, tar, ctx):
    cand = [h for h in tar_headers(tar) if h[1] == b"0" and h[2] > 0
            and not h[3].startswith(b".ferry")]
    h = rng.choice(cand)
    o = h[0] + BLOCK + rng.randrange(h[2])
    b = bytearray(tar)
    b[o] ^= rng.randint(1, 255)
    return bytes(b), "data byte %d of %r" % (o - h[0] - BLOCK, h[3])


def manifest_at(tar):
    cand = [h for h in tar_headers(tar) if h[3] == b".ferry/manifest"]
    if not cand:
        return None, None
    h = cand[0]
    return h, tar[h[0] + BLOCK:h[0] + BLOCK + h[2]]


def m_tar_manifest(rng, tar, ctx):
    """A digit of the size or hash of a file line: a mismatch."""
    h, body = manifest_at(tar)
    if h is None:
        return m_tar_data(rng, tar, ctx)
    spots, at = [], 0
    for line in body.split(b"\n"):
        f = line.split(b" ")
        if len(f) >= 4 and f[0] == b"f":
            start = at + 2
            spots += range(start, start + len(f[1]) + 1 + len(f[2]))
        at += len(line) + 1
    i = rng.choice([x for x in spots if body[x:x + 1] != b" "])
    old = chr(body[i])
    new = rng.choice([c for c in "0123456789abcdef" if c != old])
    b = bytearray(tar)
    b[h[0] + BLOCK + i] = ord(new)
    return bytes(b), "manifest line %d: %r -> %r" % (body[:i].count(b"\n"), old, new)


def m_tar_manifest_magic(rng, tar, ctx):
    """A byte of the manifest's first line: not a manifest any more."""
    h, body = manifest_at(tar)
    if h is None:
        return m_tar_data(rng, tar, ctx)
    i = rng.randrange(body.index(b"\n"))
    b = bytearray(tar)
    b[h[0] + BLOCK + i] ^= rng.choice([0x01, 0x20, 0x40])
    return bytes(b), "manifest magic byte %d: %r -> %r" % (i, chr(body[i]), chr(b[h[0] + BLOCK + i]))


def m_tar_cut(rng, tar, ctx):
    cand = [h for h in tar_headers(tar) if h[1] == b"0" and h[2] > 1]
    h = rng.choice(cand)
    at = h[0] + BLOCK + rng.randrange(1, h[2])
    return tar[:at], "inner tar cut at %d, inside %r" % (at, h[3])


TAR_CLASSES = {
    "tar_size_huge": m_tar_size_huge, "tar_size_off": m_tar_size_off,
    "tar_hdr_flip": m_tar_hdr_flip, "tar_type": m_tar_type,
    "tar_link": m_tar_link, "tar_name": m_tar_name,
    "tar_pax_size": m_tar_pax_size, "tar_pax_sparse": m_tar_pax_sparse,
    "tar_gnu_sparse": m_tar_gnu_sparse, "tar_data": m_tar_data,
    "tar_manifest": m_tar_manifest, "tar_manifest_magic": m_tar_manifest_magic,
    "tar_cut": m_tar_cut,
}

# ------------------------------------------------------------ raw mutations


def m_flip(rng, data, ctx, lo=0, hi=None):
    b = bytearray(data)
    hi = len(b) if hi is None else min(hi, len(b))
    offs = sorted(rng.randrange(lo, hi) for _ in range(rng.randint(1, 4)))
    for o in offs:
        b[o] ^= rng.randint(1, 255)
    return bytes(b), "flip bytes %s" % offs


def m_flip_head(rng, data, ctx):
    return m_flip(rng, data, ctx, 0, 64)


def m_flip_tail(rng, data, ctx):
    return m_flip(rng, data, ctx, max(0, len(data) - 1024))


def m_truncate(rng, data, ctx):
    at = rng.choice([rng.randrange(1, len(data)), len(data) - rng.randint(1, 64)])
    return data[:at], "truncate to %d of %d" % (at, len(data))


def m_insert(rng, data, ctx):
    at = rng.randrange(len(data))
    ins = rng.randbytes(rng.choice([1, 2, 7, 64, 513]))
    return data[:at] + ins + data[at:], "insert %d bytes at %d" % (len(ins), at)


def m_delete(rng, data, ctx):
    at = rng.randrange(len(data) - 1)
    n = rng.choice([1, 3, 64, 512])
    return data[:at] + data[at + n:], "delete %d bytes at %d" % (n, at)


def m_zero(rng, data, ctx):
    n = rng.choice([16, 512, 4096])
    at = rng.randrange(max(1, len(data) - n))
    return data[:at] + b"\0" * n + data[at + n:], "zero %d bytes at %d" % (n, at)


RAW_CLASSES = {
    "flip": m_flip, "flip_head": m_flip_head, "flip_tail": m_flip_tail,
    "truncate": m_truncate, "insert": m_insert, "delete": m_delete,
    "zero": m_zero,
}

# ------------------------------------------------------------ zstd


def zstd_frames(data):
    """[(start, fhd_offset, single_segment, [block header offsets], end)]"""
    out, p = [], 0
    while p + 6 <= len(data):
        magic = int.from_bytes(data[p:p + 4], "little")
        if 0x184D2A50 <= magic <= 0x184D2A5F:
            p += 8 + int.from_bytes(data[p + 4:p + 8], "little")
            continue
        if magic != 0xFD2FB528:
            break
        fhd = data[p + 4]
        ss = (fhd >> 5) & 1
        q = p + 5 + (0 if ss else 1)
        q += [0, 1, 2, 4][fhd & 3]
        fcs = (fhd >> 6) & 3
        q += [1 if ss else 0, 2, 4, 8][fcs]
        blocks = []
        while q + 3 <= len(data):
            bh = int.from_bytes(data[q:q + 3], "little")
            blocks.append(q)
            size = 1 if (bh >> 1) & 3 == 1 else bh >> 3
            q += 3 + size
            if bh & 1:
                break
        if fhd & 4:
            q += 4
        out.append((p, p + 4, ss, blocks, q))
        p = q
    return out


def m_zstd_window(rng, data, ctx):
    fr = rng.choice(zstd_frames(data))
    log = rng.choice([28, 29, 31])
    wd = (log - 10) << 3
    p = fr[1]
    fhd = data[p]
    if fr[2]:  # single segment: clear the flag, add a window descriptor
        return (data[:p] + bytes([fhd & ~0x20 & 0xFF, wd]) + data[p + 1:],
                "frame at %d: single segment -> window 2^%d" % (fr[0], log))
    return (data[:p + 1] + bytes([wd]) + data[p + 2:],
            "frame at %d: window 2^%d" % (fr[0], log))


def m_zstd_block(rng, data, ctx):
    fr = rng.choice([f for f in zstd_frames(data) if f[3]])
    q = rng.choice(fr[3])
    b = bytearray(data)
    bh = int.from_bytes(b[q:q + 3], "little")
    new = rng.choice([bh ^ (1 << rng.randrange(1, 24)), bh | 0x6, (bh & 7) | (0x1FFFFF << 3)])
    b[q:q + 3] = (new & 0xFFFFFF).to_bytes(3, "little")
    return bytes(b), "block header at %d: %06x -> %06x" % (q, bh, new & 0xFFFFFF)


def m_zstd_checksum(rng, data, ctx):
    fr = rng.choice([f for f in zstd_frames(data) if data[f[1]] & 4])
    b = bytearray(data)
    o = fr[4] - 4 + rng.randrange(4)
    b[o] ^= rng.randint(1, 255)
    return bytes(b), "checksum byte %d of frame at %d" % (o, fr[0])


ZSTD_CLASSES = {"zstd_window": m_zstd_window, "zstd_block": m_zstd_block,
                "zstd_checksum": m_zstd_checksum}

# ------------------------------------------------------------ zip


def zip_entries(data):
    """Central directory entries: dicts with cd (offset), lho, name, csize,
    usize, crc, flags, method, nlen, xlen; and the EOCD offset."""
    eocd = data.rfind(b"PK\x05\x06")
    n = struct.unpack_from("<H", data, eocd + 10)[0]
    cd = struct.unpack_from("<I", data, eocd + 16)[0]
    out, p = [], cd
    for _ in range(n):
        (sig, _vm, _vn, flags, method, _t, _d, crc, csize, usize, nlen, xlen,
         clen, _disk, _ia, _ea, lho) = struct.unpack_from("<IHHHHHHIIIHHHHHII", data, p)
        assert sig == 0x02014B50
        name = data[p + 46:p + 46 + nlen]
        lnlen, lxlen = struct.unpack_from("<HH", data, lho + 26)
        dat = lho + 30 + lnlen + lxlen
        out.append(dict(cd=p, lho=lho, name=name, csize=csize, usize=usize,
                        crc=crc, flags=flags, method=method, nlen=nlen,
                        xlen=xlen, lxlen=lxlen, data=dat,
                        desc=dat + csize if flags & 8 else None))
        p += 46 + nlen + xlen + clen
    return out, eocd


def put32(b, off, v):
    struct.pack_into("<I", b, off, v & 0xFFFFFFFF)


def m_zip_lfh_sizes(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice([x for x in ents if x["usize"] > 0] or ents)
    b = bytearray(data)
    cs = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, e["csize"] + 1, e["csize"]])
    us = rng.choice([0xFFFFFFFF, 0x7FFFFFFF, e["usize"] + 1, 1 << 31])
    put32(b, e["lho"] + 18, cs)
    put32(b, e["lho"] + 22, us)
    note = ""
    if rng.random() < 0.5:
        struct.pack_into("<H", b, e["lho"] + 6, e["flags"] & ~8)
        put32(b, e["lho"] + 14, e["crc"])
        note = ", no data descriptor"
    return bytes(b), "local sizes of %r: %#x/%#x%s" % (e["name"], cs, us, note)


def m_zip_cd_sizes(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice([x for x in ents if x["usize"] > 0] or ents)
    b = bytearray(data)
    cs = rng.choice([0xFFFFFFFF, e["csize"] + 1, e["csize"] - 1, 0])
    us = rng.choice([0xFFFFFFFF, 1 << 31, e["usize"] + 1, 0])
    put32(b, e["cd"] + 20, cs)
    put32(b, e["cd"] + 24, us)
    return bytes(b), "central sizes of %r: %#x/%#x" % (e["name"], cs, us)


def zip64_extra(usize, csize, room):
    body = struct.pack("<HHQQ", 1, 16, usize, csize)
    pad = room - len(body)
    assert pad >= 4
    return body + struct.pack("<HH", 0xCAFE, pad - 4) + b"\0" * (pad - 4)


def m_zip64(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice([x for x in ents if x["usize"] > 0 and x["lxlen"] >= 24] or ents)
    if e["lxlen"] < 24:
        return m_zip_lfh_sizes(rng, data, ctx)
    b = bytearray(data)
    us = rng.choice([1 << 62, (1 << 32) + e["usize"], 1 << 40, e["usize"] * 4096])
    ex = e["lho"] + 30 + len(e["name"])
    b[ex:ex + e["lxlen"]] = zip64_extra(us, e["csize"], e["lxlen"])
    put32(b, e["lho"] + 18, 0xFFFFFFFF)
    put32(b, e["lho"] + 22, 0xFFFFFFFF)
    note = ""
    if rng.random() < 0.6:  # sizes from the header, not a descriptor
        struct.pack_into("<H", b, e["lho"] + 6, e["flags"] & ~8)
        put32(b, e["lho"] + 14, e["crc"])
        note = ", no data descriptor"
    if rng.random() < 0.5 and e["xlen"] >= 24:  # the central entry too
        cx = e["cd"] + 46 + e["nlen"]
        b[cx:cx + e["xlen"]] = zip64_extra(us, e["csize"], e["xlen"])
        put32(b, e["cd"] + 20, 0xFFFFFFFF)
        put32(b, e["cd"] + 24, 0xFFFFFFFF)
        note += ", central too"
    return bytes(b), "zip64 size %d for %r (%d bytes)%s" % (us, e["name"], e["usize"], note)


def m_zip_crc(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice([x for x in ents if x["usize"] > 0])
    crc = e["crc"] ^ (1 << rng.randrange(32))
    b = bytearray(data)
    put32(b, e["cd"] + 16, crc)
    if e["desc"] is not None and data[e["desc"]:e["desc"] + 4] == b"PK\x07\x08":
        put32(b, e["desc"] + 4, crc)
    else:
        put32(b, e["lho"] + 14, crc)
    return bytes(b), "CRC-32 of %r %08x -> %08x" % (e["name"], e["crc"], crc)


def m_zip_method(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice(ents)
    m = rng.choice([0, 8, 12, 14, 93, 95, 99, 0xFFFF])
    if m == e["method"]:
        m = 0 if m else 8
    b = bytearray(data)
    struct.pack_into("<H", b, e["lho"] + 8, m)
    if rng.random() < 0.7:
        struct.pack_into("<H", b, e["cd"] + 10, m)
    return bytes(b), "method of %r %d -> %d" % (e["name"], e["method"], m)


def m_zip_data(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice([x for x in ents if x["csize"] > 0])
    o = e["data"] + rng.randrange(e["csize"])
    b = bytearray(data)
    b[o] ^= rng.randint(1, 255)
    return bytes(b), "data byte %d of %r (method %d)" % (o - e["data"], e["name"], e["method"])


def m_zip_namelen(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice(ents)
    b = bytearray(data)
    where = rng.choice(["local", "central"])
    off = e["lho"] + 26 if where == "local" else e["cd"] + 28
    v = rng.choice([0, 1, e["nlen"] - 1, e["nlen"] + 1, 0xFFFF])
    struct.pack_into("<H", b, off, v & 0xFFFF)
    return bytes(b), "%s name length of %r -> %d" % (where, e["name"], v)


def m_zip_name(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice([x for x in ents if len(x["name"]) >= 6])
    n = len(e["name"])
    new = rng.choice([b"../../" + b"x" * (n - 6), b"/" + b"y" * (n - 1),
                      b"sub/link/" + b"z" * (n - 9) if n >= 10 else b"../" + b"w" * (n - 3)])
    b = bytearray(data)
    ln = e["lho"] + 30
    b[ln:ln + n] = new
    if rng.random() < 0.7:
        b[e["cd"] + 46:e["cd"] + 46 + n] = new
    return bytes(b), "name %r -> %r" % (e["name"], new)


def m_zip_eocd(rng, data, ctx):
    _, eocd = zip_entries(data)
    b = bytearray(data)
    field = rng.choice([(8, 2), (10, 2), (12, 4), (16, 4)])
    v = rng.choice([0, 1, 0xFFFF, 0xFFFFFFFF, 7, len(data) + 100])
    if field[1] == 2:
        struct.pack_into("<H", b, eocd + field[0], v & 0xFFFF)
    else:
        put32(b, eocd + field[0], v)
    return bytes(b), "EOCD field at +%d -> %#x" % (field[0], v)


def m_zip_lho(rng, data, ctx):
    ents, _ = zip_entries(data)
    e = rng.choice(ents)
    other = rng.choice(ents)["lho"]
    v = rng.choice([other, e["lho"] + 1, 0xFFFFFFFF, len(data) - 22])
    b = bytearray(data)
    put32(b, e["cd"] + 42, v)
    return bytes(b), "local header offset of %r %d -> %d" % (e["name"], e["lho"], v)


def m_zip_desc(rng, data, ctx):
    ents, _ = zip_entries(data)
    cand = [x for x in ents if x["desc"] is not None and x["usize"] > 0
            and data[x["desc"]:x["desc"] + 4] == b"PK\x07\x08"]
    if not cand:
        return m_zip_cd_sizes(rng, data, ctx)
    e = rng.choice(cand)
    b = bytearray(data)
    which = rng.choice([8, 12])
    v = rng.choice([0xFFFFFFFF, 0, e["usize"] + 1, e["usize"] - 1])
    put32(b, e["desc"] + which, v)
    return bytes(b), "descriptor %s of %r -> %#x" % ("csize" if which == 8 else "usize", e["name"], v)


ZIP_CLASSES = {
    "zip_lfh_sizes": m_zip_lfh_sizes, "zip_cd_sizes": m_zip_cd_sizes,
    "zip64": m_zip64, "zip_crc": m_zip_crc, "zip_method": m_zip_method,
    "zip_data": m_zip_data, "zip_namelen": m_zip_namelen,
    "zip_name": m_zip_name, "zip_eocd": m_zip_eocd, "zip_lho": m_zip_lho,
    "zip_desc": m_zip_desc,
}

# Classes whose mutants are corrupt by definition: no command may exit 0
# on them, even if the bytes that come out are right (SPEC: every
# checksum the format carries is checked; item 5: windows above 2^27).
MUST_FAIL = {"zip_crc", "zstd_window", "zstd_checksum", "tar_data", "zip_data",
             "tar_manifest", "tar_manifest_magic"}


def classes_for(fmt):
    names = list(RAW_CLASSES)
    if fmt != "zip":
        names += list(TAR_CLASSES)
    if fmt == "tar.zst":
        names += list(ZSTD_CLASSES)
    if fmt == "zip":
        names += list(ZIP_CLASSES)
    return names


def make_mutant(fmt, idx, orig, inner, seed, ctx):
    names = classes_for(fmt)
    cls = names[idx % len(names)]
    rng = random.Random("%d:%s:%d" % (seed, fmt, idx))
    if cls in TAR_CLASSES:
        tar, desc = TAR_CLASSES[cls](rng, inner, ctx)
        data = compress(fmt, tar)
    elif cls in ZSTD_CLASSES:
        data, desc = ZSTD_CLASSES[cls](rng, orig, ctx)
    elif cls in ZIP_CLASSES:
        data, desc = ZIP_CLASSES[cls](rng, orig, ctx)
    else:
        data, desc = RAW_CLASSES[cls](rng, orig, ctx)
    return cls, desc, data


# ------------------------------------------------------------ running


def snapshot(root, skip=None):
    """Everything below root but the skip subtree: path -> description."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        if skip is not None:
            dirs[:] = [d for d in dirs if os.path.join(dirpath, d) != skip]
            files = [f for f in files if os.path.join(dirpath, f) != skip]
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            desc = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
            if stat.S_ISDIR(st.st_mode):  # its mtime moves when a staging
                pass                      # dir is made and removed in it
            elif stat.S_ISLNK(st.st_mode):
                desc += (os.readlink(p),)
            else:
                desc += (st.st_size, st.st_mtime_ns)
                if stat.S_ISREG(st.st_mode) and st.st_size <= (1 << 20):
                    with open(p, "rb") as f:
                        desc += (hashlib.sha256(f.read()).hexdigest(),)
            out[os.path.relpath(p, root)] = desc
    return out


def run_cmd(cmd, cwd, timeout, logbase):
    """Run cmd; returns dict(rc, sig, timed_out, secs, rss_kib, err)."""
    out_path, err_path = logbase + ".out", logbase + ".err"
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=fo,
                             stderr=fe, start_new_session=True)
    lock = threading.Lock()
    state = {"reaped": False, "timed_out": False, "sent": 0}

    def kill(sig):
        with lock:
            if not state["reaped"]:
                state["timed_out"] = True
                state["sent"] = sig
                try:
                    os.killpg(p.pid, sig)  # the group of the process we started
                except ProcessLookupError:
                    pass

    t1 = threading.Timer(timeout, kill, (signal.SIGTERM,))
    t2 = threading.Timer(timeout + 2, kill, (signal.SIGKILL,))
    t1.start()
    t2.start()
    _, status, ru = os.wait4(p.pid, 0)
    with lock:
        state["reaped"] = True
    t1.cancel()
    t2.cancel()
    p.returncode = -1  # reaped here; keep Popen from waiting again
    secs = time.monotonic() - t0
    with open(err_path, "rb") as f:
        err = f.read().decode("utf-8", "replace")
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + sig
    return dict(rc=rc, sig=sig, timed_out=state["timed_out"], secs=secs,
                rss_kib=ru.ru_maxrss, err=err, sent=state["sent"])


def check_run(name, r, args, must_fail, ok_if_zero):
    """Problems with one run (a list of strings)."""
    probs = []
    if r["timed_out"]:
        how = ("SIGTERM ignored, SIGKILL after 2 s" if r["sent"] == signal.SIGKILL
               else "exit %d after SIGTERM" % r["rc"])
        probs.append("timed out after %.0f s (%s)" % (args.timeout, how))
    elif r["sig"]:
        probs.append("killed by signal %d%s" % (r["sig"], " = SIGXFSZ, wrote a file over 64 MiB"
                                                 if r["sig"] == signal.SIGXFSZ else ""))
    san = [ln for ln in r["err"].splitlines() if any(m in ln for m in SAN_MARKS)]
    if san:
        probs.append("sanitizer: " + san[0].strip()[:160])
    if r["rss_kib"] > args.max_rss * 1024:
        probs.append("peak RSS %d MiB > %d MiB" % (r["rss_kib"] // 1024, args.max_rss))
    if r["timed_out"] or r["sig"]:
        return probs
    rc = r["rc"]
    if rc == 0:
        if must_fail:
            probs.append("exit 0 on a mutant that must be refused")
        elif not ok_if_zero[0]:
            probs.append("exit 0 but " + ok_if_zero[1])
    elif rc in (3, 4):
        lines = [ln for ln in r["err"].splitlines()
                 if ln.startswith("ferry: ") and not ln.startswith("ferry: warning:")]
        if len(lines) != 1:
            probs.append("%d non-warning 'ferry:' lines on stderr, want 1" % len(lines))
    else:
        first = [ln for ln in r["err"].splitlines() if ln.startswith("ferry: ")]
        probs.append("exit %d, want 3 or 4 (%s)" % (rc, (first or ["no ferry: line"])[0][:160]))
    return probs


def run_mutant(fmt, idx, cls, desc, data, ctx, args):
    """Run verify, list, unpack on one mutant; returns (results, problems)."""
    sb = os.path.join(ctx["work"], "sb", "%s-%d" % (fmt, idx))
    shutil.rmtree(sb, ignore_errors=True)
    os.makedirs(os.path.join(sb, "victim"))
    os.makedirs(os.path.join(sb, "t"))
    with open(os.path.join(sb, "victim", "secret"), "wb") as f:
        f.write(b"secret\n")
    arch = "m." + fmt
    with open(os.path.join(sb, arch), "wb") as f:
        f.write(data)
    logs = os.path.join(ctx["work"], "logs")
    before = snapshot(sb)
    must_fail = cls in MUST_FAIL
    if cls == "zip_data" and "(method 0)" not in desc:
        # a flip in a deflated entry may hit the unused bits that pad its
        # last byte: the entry decodes to the same bytes, its CRC-32 holds,
        # and no checksum the format carries covers those bits; such a
        # mutant is harmless (exit 0 only if Python's reader agrees)
        must_fail = False
    intact = None  # by content: unpack gave the workspace, or Python agrees
    identical = False
    # A mutant without ferry's manifest (renamed, e.g. onto another member's
    # name, or its header turned into another's long name) is, as far as
    # anyone can tell, another tool's archive: ferry checks its structure
    # only, so exit 0 is right if ferry's result is what the archive holds
    # (Python's readers agree), not the workspace.
    content, has_mf = oracle_content(fmt, data)
    foreign = content is not None and not has_mf
    problems, results = [], {}
    target = os.path.join(sb, "t", "out")
    for name, cmd in (("unpack", [args.ferry, "unpack", arch, "-C", "t/out"]),
                      ("verify", [args.ferry, "verify", arch]),
                      ("list", [args.ferry, "list", arch])):
        r = run_cmd(cmd, sb, args.timeout, os.path.join(logs, "%s-%d-%s" % (fmt, idx, name)))
        results[name] = r
        if name == "unpack":
            if r["rc"] == 0 and not r["timed_out"] and not r["sig"]:
                d = tree_diff(ctx["want"], tree_map(target)) if os.path.isdir(target) \
                    else "no target"
                identical = not d
                if not identical and foreign and os.path.isdir(target):
                    d2 = tree_diff(content, tree_map(target))
                    if "no ferry manifest" not in r["err"]:
                        d2 = d2 or "ferry does not say it has no manifest"
                    ok = (not d2, "the unpacked tree differs from what this "
                          "archive without a manifest holds: " + d2)
                else:
                    ok = (identical, "the unpacked tree differs: " + d)
            else:
                ok = (True, "")
        else:
            if r["rc"] == 0 and intact is None:
                intact = identical or foreign or oracle_intact(fmt, data, ctx["want"])
            ok = (bool(intact), "the archive is not intact by content")
        probs = check_run(name, r, args, must_fail, ok)
        after = snapshot(sb, skip=target)
        if after != before:
            changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            staging = [k for k in changed if ".ferry-" in k]
            # a process killed by SIGKILL or SIGXFSZ cannot clean up; that
            # kill is reported already
            if staging and r["sig"] not in (signal.SIGKILL, signal.SIGXFSZ):
                probs.append("staging left: " + ", ".join(staging[:3]))
            other = [k for k in changed if ".ferry-" not in k]
            if other:
                probs.append("changed outside the target: " + ", ".join(other[:3]))
        if name == "unpack" and r["rc"] != 0 and os.path.lexists(target):
            probs.append("a target was left after a failed unpack")
        for p in probs:
            problems.append((name, p))
        shutil.rmtree(target, ignore_errors=True)
        for k in set(snapshot(sb)) - set(before):  # undo for the next command
            p = os.path.join(sb, k)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.lexists(p):
                os.unlink(p)
    return results, problems


def pack_all(args, work, ws):
    out = {}
    for fmt in args.formats:
        path = os.path.join(work, "orig", "ws." + fmt)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        p = subprocess.run([args.ferry, "-q", "pack", ws, "-o", path, "--threads", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            sys.exit("ferry pack %s failed: %s" % (fmt, p.stderr.decode(errors="replace")))
        with open(path, "rb") as f:
            out[fmt] = f.read()
    return out


def set_limits(args):
    # files ferry writes stay below 64 MiB (a mutant declaring 4 GiB must
    # not fill the disk); no core files
    resource.setrlimit(resource.RLIMIT_FSIZE, (CAP, CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with open(args.ferry, "rb") as f:
        binary = f.read()
    asan = b"__asan_init" in binary or b"libasan" in binary
    if asan:  # a hard stop far above the bound, so a runaway cannot eat the VM
        opts = os.environ.get("ASAN_OPTIONS", "")
        os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "hard_rss_limit_mb=2048"
    return asan


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--work", help="work directory (default: a new temp dir)")
    ap.add_argument("--per-format", type=int, default=40)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--only", help="FORMAT:INDEX[,FORMAT:INDEX...]: replay these mutants")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--max-rss", type=int, default=256, help="MiB")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--budget", type=float, default=200.0,
                    help="seconds; mutants not started by then are reported")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.ferry = os.path.abspath(args.ferry)
    args.formats = args.formats.split(",")
    started = time.monotonic()
    asan = set_limits(args)
    work = os.path.abspath(args.work) if args.work else tempfile.mkdtemp(prefix="ferry-fuzz-")
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    ws = os.path.join(work, "ws")
    shutil.rmtree(ws, ignore_errors=True)
    want = make_ws(ws)
    origs = pack_all(args, work, ws)
    me = os.path.relpath(os.path.abspath(__file__))
    if me.startswith(".."):
        me = os.path.abspath(__file__)
    repro = "python3 %s --ferry %s" % (me, args.ferry)

    jobs = []
    if args.only:
        for item in args.only.split(","):
            fmt, idx = item.rsplit(":", 1)
            jobs.append((fmt, int(idx)))
    else:
        jobs = [(fmt, i) for fmt in args.formats for i in range(args.per_format)]
    for fmt in sorted({j[0] for j in jobs}):
        if fmt not in origs:
            sys.exit("unknown format %s" % fmt)

    ctx = {"work": work, "want": want}
    inner = {fmt: decompress(fmt, origs[fmt]) if fmt != "zip" else None for fmt in origs}
    failures, lock = [], threading.Lock()

    # the intact archives first: exit 0 everywhere; their cost sets the scale
    print("ferry: %s (%s)" % (args.ferry, "ASan" if asan else "no ASan"))
    base_ok = True
    for fmt in sorted({j[0] for j in jobs}):
        ctx["sandbox_abs"] = b""
        res, probs = run_mutant(fmt, -1, "none", "intact", origs[fmt], ctx, args)
        print("intact %-7s %7d bytes sha256 %s: %s" % (
            fmt, len(origs[fmt]), hashlib.sha256(origs[fmt]).hexdigest()[:16],
            ", ".join("%s exit %d %.2f s %d MiB" % (n, r["rc"], r["secs"], r["rss_kib"] // 1024)
                      for n, r in res.items())))
        for n, r in res.items():
            if r["rc"] != 0:
                probs.append((n, "exit %d on the intact archive: %s" % (r["rc"], r["err"].strip()[:200])))
        if inner[fmt] is None and fmt != "zip":
            probs.append(("-", "Python cannot decompress the intact archive"))
        if not oracle_intact(fmt, origs[fmt], want):
            probs.append(("-", "Python's readers do not see the workspace in the intact archive"))
        for n, p in probs:
            print("FAIL intact %s %s: %s" % (fmt, n, p))
            base_ok = False
    if not base_ok:
        return 1

    def one(job):
        fmt, idx = job
        if not args.only and time.monotonic() - started > args.budget:
            return fmt, idx, "-", "not run: time budget exhausted", [("-", "skipped (budget)")], {}
        sb_abs = os.path.join(work, "sb", "%s-%d" % (fmt, idx)).encode()
        mctx = dict(ctx, sandbox_abs=sb_abs)
        cls, desc, data = make_mutant(fmt, idx, origs[fmt], inner[fmt], args.seed, mctx)
        res, probs = run_mutant(fmt, idx, cls, desc, data, mctx, args)
        if not probs and not args.keep:
            shutil.rmtree(os.path.join(work, "sb", "%s-%d" % (fmt, idx)), ignore_errors=True)
        return fmt, idx, cls, desc, probs, res

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        results = list(ex.map(one, jobs))

    nruns = 0
    for fmt, idx, cls, desc, probs, res in results:
        nruns += len(res)
        if args.only:
            print("== %s#%d %s: %s" % (fmt, idx, cls, desc))
            for n, r in res.items():
                print("   %s: exit %d, %.2f s, %d MiB; stderr: %s" % (
                    n, r["rc"], r["secs"], r["rss_kib"] // 1024, r["err"].strip()[:600]))
            print("   mutant: %s" % os.path.join(work, "sb", "%s-%d" % (fmt, idx), "m." + fmt))
        for n, p in probs:
            failures.append((fmt, idx, cls, desc, n, p))
    by_class = {}
    for fmt, idx, cls, desc, n, p in failures:
        print("FAIL %s#%d %s [%s] %s: %s" % (fmt, idx, cls, desc, n, p))
        kind = p.split(":")[0]
        if kind.startswith("exit 0 but the unpacked"):
            kind = "exit 0 but the unpacked tree differs"
        by_class.setdefault((cls, n, kind), []).append("%s:%d" % (fmt, idx))
    if failures:
        print("\nfailing classes (class, command, problem: mutants):")
        for (cls, n, kind), ids in sorted(by_class.items()):
            print("  %-15s %-6s %s: %s" % (cls, n, kind, " ".join(sorted(set(ids)))))
        print("\nreproduce a mutant (same seed, same mutation; ferry's manifest"
              " entry carries the pack time, so bytes near the end may differ):")
        seen = set()
        for (cls, n, kind), ids in sorted(by_class.items()):
            if cls not in seen:
                seen.add(cls)
                print("  %s --seed %d --only %s --keep" % (repro, args.seed, sorted(ids)[0]))
    busy = sum(r["secs"] for x in results for r in x[5].values())
    print("%d mutants, %d runs (%.0f s of ferry), %d failing runs, %.0f s in all" % (
        len(results), nruns, busy, len(failures), time.monotonic() - started))
    if not args.keep and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    elif args.keep:
        print("work directory kept: %s" % work)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
