#!/usr/bin/env python3
"""zframes.py ARCHIVE [OFFSET] - where ferry's stored zstd frames are.

A stored frame is written by ferry itself: header 28 b5 2f fd 04 39, raw
blocks (3-byte header: bit 0 last, bits 1-2 type, bits 3-23 size), then the
4-byte checksum.  Without OFFSET: one line "START END" per stored frame
(END is one past its checksum).  With OFFSET: "yes" if that byte is inside
the payload of a raw block of a stored frame, else "no".
"""
import sys

HEAD = bytes.fromhex("28b52ffd0439")


def frames(data):
    """(start, end, [(payload_start, payload_end), ...]) per stored frame"""
    at = 0
    while True:
        at = data.find(HEAD, at)
        if at < 0:
            return
        p, payloads = at + len(HEAD), []
        while True:
            bh = int.from_bytes(data[p:p + 3], "little")
            payloads.append((p + 3, p + 3 + (bh >> 3)))
            p += 3 + (bh >> 3)
            if bh & 1:
                break
        yield at, p + 4, payloads
        at = p + 4


def main():
    data = open(sys.argv[1], "rb").read()
    if len(sys.argv) > 2:
        off = int(sys.argv[2])
        hit = any(a <= off < b for _, _, pl in frames(data) for a, b in pl)
        print("yes" if hit else "no")
    else:
        for start, end, _ in frames(data):
            print(start, end)


main()
