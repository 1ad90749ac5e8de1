#!/usr/bin/env python3
"""bt.py - torrent helpers for the e2e tests (no third-party modules; the
bencoding is scripts/lib/bencode.py, shared with bench/).

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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "scripts", "lib"))
from bencode import bdecode, bencode, info_bytes  # noqa: E402  (scripts/lib/bencode.py)


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
