#!/usr/bin/env python3
"""benchlib.py - small helpers for bench/fetch (standard library only).

Subcommands:
  payload DIR TOTAL_BYTES NFILES   write a deterministic pseudo-random payload
                                   (file sizes not piece-aligned; half in sub/)
  sums DIR OUTFILE                 sha256 of every file: "HEX  relative/path"
  tinfo FILE.torrent               print "INFOHASH NAME TOTAL_BYTES PIECE_LENGTH"
  magnet FILE.torrent [--peer H:P]...
                                   magnet with xt, dn, tr (every tracker), x.pe
  scrape ANNOUNCE_URL INFOHASH     print "complete incomplete downloaded"
  ports N                          print N distinct free TCP ports on 127.0.0.1
  wait-listen PORT SECONDS         exit 0 once something listens on 127.0.0.1:PORT
  netcheck PID...                  exit 1 (and print them) if any socket of these
                                   processes or their descendants is not on 127.0.0.1
"""
import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "scripts", "lib"))
from bencode import bdecode, info_bytes  # noqa: E402  (scripts/lib/bencode.py)

LOOPBACK = "127.0.0.1"
MiB = 1 << 20


# ---------------------------------------------------------------- torrents
def torrent_facts(path):
    with open(path, "rb") as f:
        buf = f.read()
    meta, _ = bdecode(buf)
    info = meta[b"info"]
    ih = hashlib.sha1(info_bytes(buf)).hexdigest()
    if b"files" in info:
        total = sum(f[b"length"] for f in info[b"files"])
    else:
        total = info[b"length"]
    trackers = []
    if b"announce" in meta:
        trackers.append(meta[b"announce"].decode())
    for tier in meta.get(b"announce-list", []):
        for t in tier:
            if t.decode() not in trackers:
                trackers.append(t.decode())
    return {"infohash": ih, "name": info[b"name"].decode(), "total": total,
            "piece_length": info[b"piece length"], "trackers": trackers}


# ---------------------------------------------------------------- payload
def write_payload(out, total, nfiles):
    """Deterministic bytes: AES-128-CTR keystream from openssl (fast), one IV per
    file. Sizes are uneven on purpose (odd byte counts) so no file boundary falls
    on a piece boundary; the sizes add up to exactly `total` bytes."""
    key = "66657272792d62656e63682d6b657921"  # "ferry-bench-key!"
    weights = [1.0 + 0.37 * ((i * 7) % 5 - 2) / 2 for i in range(nfiles)]
    scale = total / sum(weights)
    sizes = [int(w * scale) | 1 for w in weights[:-1]]
    sizes.append(total - sum(sizes))
    if sizes[-1] < 0:
        raise SystemExit("payload: size too small for %d files" % nfiles)
    os.makedirs(out, exist_ok=True)
    for i, size in enumerate(sizes):
        sub = "sub" if nfiles > 1 and i >= nfiles // 2 else ""
        d = os.path.join(out, sub)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "part-%02d.bin" % i)
        iv = "%032x" % (0xFE000000 + i)
        with open(path, "wb") as f:
            enc = subprocess.Popen(
                ["openssl", "enc", "-aes-128-ctr", "-K", key, "-iv", iv, "-nosalt",
                 "-in", "/dev/zero"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            left = size
            try:
                while left > 0:
                    chunk = enc.stdout.read(min(left, 4 * MiB))
                    if not chunk:
                        raise SystemExit("payload: openssl stopped early")
                    f.write(chunk)
                    left -= len(chunk)
            finally:
                enc.kill()
                enc.wait()
    return sizes


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


def tree_sums(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for fn in sorted(files):
            p = os.path.join(d, fn)
            out.append((sha256_file(p), os.path.relpath(p, root)))
    return out


# ---------------------------------------------------------------- network
def free_ports(n):
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((LOOPBACK, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def listening(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def scrape(announce, ih_hex, timeout=5.0):
    u = urllib.parse.urlsplit(announce)
    if not u.path.endswith("/announce"):
        raise SystemExit("scrape: tracker URL does not end in /announce")
    path = u.path[: -len("announce")] + "scrape"
    q = "info_hash=" + urllib.parse.quote(bytes.fromhex(ih_hex), safe="")
    url = urllib.parse.urlunsplit((u.scheme, u.netloc, path, q, ""))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=timeout) as r:
        body = r.read()
    d, _ = bdecode(body)
    e = d.get(b"files", {}).get(bytes.fromhex(ih_hex), {})
    return e.get(b"complete", 0), e.get(b"incomplete", 0), e.get(b"downloaded", 0)


def descendants(root):
    """root and every descendant PID (via /proc/PID/task/TID/children)."""
    seen, todo = set(), [root]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for tid in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/children" % (p, tid)) as f:
                    todo.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return seen


def socket_inodes(pids):
    out = set()
    for p in pids:
        d = "/proc/%d/fd" % p
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            try:
                t = os.readlink(os.path.join(d, n))
            except OSError:
                continue
            if t.startswith("socket:["):
                out.add(t[8:-1])
    return out


def ss_sockets():
    """Every TCP/UDP socket: list of dicts proto, state, local, peer, ino, rx
    (bytes_received, TCP only). One `ss` call (netlink; no /proc scan)."""
    try:
        txt = subprocess.run(["ss", "-Htuaine"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    lines = txt.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line or line[0] in " \t":
            continue
        cols = line.split()
        if len(cols) < 6:
            continue
        ino = ""
        for c in cols[6:]:
            if c.startswith("ino:"):
                ino = c[4:]
        rx = 0
        if i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t"):
            for tok in lines[i + 1].split():
                if tok.startswith("bytes_received:"):
                    rx = int(tok.split(":", 1)[1])
        out.append({"proto": cols[0], "state": cols[1], "local": cols[4],
                    "peer": cols[5], "ino": ino, "rx": rx})
    return out


def on_loopback(sock):
    """Bound to 127.0.0.1 and talking to 127.0.0.1 (or to nobody yet)."""
    local_ok = sock["local"].startswith(LOOPBACK + ":") or sock["local"].startswith(LOOPBACK + "%")
    peer_ok = sock["peer"].startswith(LOOPBACK + ":") or sock["peer"].endswith(":*")
    return local_ok and peer_ok


def netcheck(pids):
    tree = set()
    for p in pids:
        tree |= descendants(p)
    inodes = socket_inodes(tree)
    bad = [s for s in ss_sockets() if s["ino"] in inodes and not on_loopback(s)]
    for s in bad:
        print("netcheck: NOT LOOPBACK: %s %s %s -> %s" % (s["proto"], s["state"], s["local"], s["peer"]))
    n = sum(1 for s in ss_sockets() if s["ino"] in inodes)
    if not bad:
        print("netcheck: ok (%d sockets, all on %s)" % (n, LOOPBACK))
    return 0 if not bad else 1


# ---------------------------------------------------------------- main
def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    cmd, args = argv[1], argv[2:]
    if cmd == "payload":
        sizes = write_payload(args[0], int(args[1]), int(args[2]))
        print(" ".join(str(s) for s in sizes))
    elif cmd == "sums":
        with open(args[1], "w") as f:
            for h, rel in tree_sums(args[0]):
                f.write("%s  %s\n" % (h, rel))
    elif cmd == "tinfo":
        t = torrent_facts(args[0])
        print(t["infohash"], t["name"], t["total"], t["piece_length"])
    elif cmd == "magnet":
        t = torrent_facts(args[0])
        q = ["xt=urn:btih:" + t["infohash"], "dn=" + urllib.parse.quote(t["name"], safe="")]
        q += ["tr=" + urllib.parse.quote(x, safe="") for x in t["trackers"]]
        rest = args[1:]
        while rest:
            if rest[0] != "--peer" or len(rest) < 2:
                raise SystemExit("magnet: unexpected argument %r" % rest[0])
            q.append("x.pe=" + rest[1])
            rest = rest[2:]
        print("magnet:?" + "&".join(q))
    elif cmd == "scrape":
        print(*scrape(args[0], args[1]))
    elif cmd == "ports":
        print(*free_ports(int(args[0])))
    elif cmd == "wait-listen":
        deadline = time.monotonic() + float(args[1])
        while time.monotonic() < deadline:
            if listening(int(args[0])):
                return 0
            time.sleep(0.1)
        return 1
    elif cmd == "netcheck":
        return netcheck([int(x) for x in args])
    else:
        print("benchlib: unknown subcommand %s" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
