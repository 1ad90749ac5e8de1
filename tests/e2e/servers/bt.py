#!/usr/bin/env python3
"""bt.py - bencode helpers for the e2e tests (no third-party modules).

  bt.py infohash FILE.torrent        v1 info-hash (hex) of a .torrent
  bt.py piece-length FILE.torrent    its piece length in bytes
  bt.py resume-have FILE.resume      pieces marked done in a libtorrent
                                     resume file (0 if it has none)
  bt.py craft OUT.torrent CONTENT_DIR PIECE_LEN NAME PATH...
        write a multi-file torrent named NAME whose files have the given
        paths ('/'-separated, taken verbatim: '..' elements stay), with
        deterministic contents (file I: 10000 + 777*I bytes) and correct
        piece hashes; file I's content also goes to CONTENT_DIR/I.bin.
  bt.py craft1 OUT.torrent CONTENT_DIR PIECE_LEN NAME
        the same for a single-file torrent named NAME (verbatim).
  bt.py hostile-resume OUT.resume FILE.torrent OUTSIDE_DIR TRACKER_URL
        a libtorrent resume file for FILE.torrent's info-hash, as an
        attacker would plant it in DIR/.ferry/: every file mapped to an
        absolute path under OUTSIDE_DIR, save_path OUTSIDE_DIR, an extra
        tracker and web seed, a peer, flags (paused, seed mode, upload
        mode) and a 1 B/s download limit.
"""
import hashlib
import os
import sys


def bdecode(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        j = data.index(b"e", i)
        return int(data[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            items.append(v)
        if c == b"l":
            return items, i + 1
        return dict(zip(items[0::2], items[1::2])), i + 1
    if c.isdigit():
        j = data.index(b":", i)
        n = int(data[i:j])
        return data[j + 1:j + 1 + n], j + 1 + n
    raise ValueError("bad bencode at offset %d" % i)


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def info_bytes(data):
    """The raw bytes of the top-level 'info' value (what the info-hash hashes)."""
    i = 1
    while data[i:i + 1] != b"e":
        k, i = bdecode(data, i)
        start = i
        _, i = bdecode(data, i)
        if k == b"info":
            return data[start:i]
    raise ValueError("no info dict")


def content(i):
    n = 10000 + 777 * i
    out, ctr = b"", 0
    while len(out) < n:
        out += hashlib.sha256(b"craft-%d-%d" % (i, ctr)).digest()
        ctr += 1
    return out[:n]


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "infohash":
        data = open(argv[2], "rb").read()
        print(hashlib.sha1(info_bytes(data)).hexdigest())
    elif cmd == "piece-length":
        t, _ = bdecode(open(argv[2], "rb").read())
        print(t[b"info"][b"piece length"])
    elif cmd == "resume-have":
        r, _ = bdecode(open(argv[2], "rb").read())
        pieces = r.get(b"pieces", b"")
        print(sum(1 for b in pieces if b & 1))
    elif cmd == "craft":
        out, cdir, plen, name, paths = argv[2], argv[3], int(argv[4]), argv[5], argv[6:]
        os.makedirs(cdir, exist_ok=True)
        blob, files = b"", []
        for i, p in enumerate(paths):
            c = content(i)
            with open(os.path.join(cdir, "%d.bin" % i), "wb") as f:
                f.write(c)
            blob += c
            files.append({"length": len(c), "path": p.split("/")})
        pieces = b"".join(hashlib.sha1(blob[k:k + plen]).digest()
                          for k in range(0, len(blob), plen))
        info = {"name": name, "piece length": plen, "pieces": pieces, "files": files}
        with open(out, "wb") as f:
            f.write(bencode({"info": info, "created by": "ferry e2e"}))
        print(hashlib.sha1(bencode(info)).hexdigest())
    elif cmd == "craft1":
        out, cdir, plen, name = argv[2], argv[3], int(argv[4]), argv[5]
        os.makedirs(cdir, exist_ok=True)
        c = content(0)
        with open(os.path.join(cdir, "0.bin"), "wb") as f:
            f.write(c)
        pieces = b"".join(hashlib.sha1(c[k:k + plen]).digest()
                          for k in range(0, len(c), plen))
        info = {"name": name, "piece length": plen, "pieces": pieces, "length": len(c)}
        with open(out, "wb") as f:
            f.write(bencode({"info": info, "created by": "ferry e2e"}))
        print(hashlib.sha1(bencode(info)).hexdigest())
    elif cmd == "hostile-resume":
        out, tfile, outside, tracker = argv[2], argv[3], argv[4], argv[5]
        data = open(tfile, "rb").read()
        t, _ = bdecode(data)
        info = t[b"info"]
        nfiles = len(info.get(b"files", [None]))
        res = {
            "file-format": "libtorrent resume file",
            "file-version": 1,
            "info-hash": hashlib.sha1(info_bytes(data)).digest(),
            "name": info[b"name"],
            "save_path": outside,
            "mapped_files": [os.path.join(outside, "d%d" % i, "mapped-%d" % i)
                             for i in range(nfiles)],
            "trackers": [[tracker]],
            "url-list": [tracker.replace("/announce", "/seed")],
            "peers": bytes([127, 0, 0, 1, 0, 9]),
            "paused": 1, "seed_mode": 1, "upload_mode": 1, "auto_managed": 1,
            "download_rate_limit": 1,
        }
        with open(out, "wb") as f:
            f.write(bencode(res))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
