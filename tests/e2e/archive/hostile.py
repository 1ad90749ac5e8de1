#!/usr/bin/env python3
"""hostile.py KIND OUT [ARGS] - build a small hostile archive byte by byte.

Kinds:
  zip-size DECLARED         one deflated entry 'f' holding 12 bytes whose
                            local and central headers declare DECLARED
                            uncompressed bytes (zip64 fields when needed)
  zip-crc                   one deflated entry 'f' whose CRC-32 is wrong in
                            both headers (the data decodes fine)
  zip-inconsistent          the local header's CRC-32 differs from the
                            central directory's
  sparse OFFSET REALSIZE [manifest HASH]
                            an old-GNU sparse tar ('S' entry 's'): one data
                            block of 512 bytes ('x') mapped at OFFSET, the
                            file REALSIZE bytes long; with 'manifest', a
                            ferry manifest listing 's' with that XXH3-128
                            HASH follows as the last entry

Nothing here is a valid archive of ferry's: each is made to test a refusal.
"""
import struct
import sys
import zlib

DATA = b"hello world\n"  # 12 bytes


# ------------------------------------------------------------------- zip


def zip_bytes(name, comp, crc_local, crc_central, usize, csize):
    name = name.encode()
    big = usize > 0xFFFFFFFE or csize > 0xFFFFFFFE

    def extra(central):
        if not big:
            return b""
        body = struct.pack("<QQ", usize, csize)
        if central:
            body += struct.pack("<Q", 0)  # local header offset
        return struct.pack("<HH", 1, len(body)) + body

    u32 = 0xFFFFFFFF if big else usize
    c32 = 0xFFFFFFFF if big else csize
    ver = 45 if big else 20
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, ver, 0, 8, 0, 0x21,
                        crc_local, c32, u32, len(name), len(extra(False)))
    local += name + extra(False) + comp
    cext = extra(True)
    off = 0xFFFFFFFF if big else 0
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | ver,
                          ver, 0, 8, 0, 0x21, crc_central, c32, u32,
                          len(name), len(cext), 0, 0, 0, 0o100644 << 16, off)
    central += name + cext
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                       len(local), 0)
    return local + central + eocd


def deflate(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


# ------------------------------------------------------------------- tar


def octal(n, width):
    return ("%0*o" % (width - 1, n)).encode() + b"\0"


def num(n, width):
    """tar number field: octal when it fits, else base-256 (GNU)"""
    if n < 8 ** (width - 1):
        return octal(n, width)
    return b"\x80" + n.to_bytes(width - 1, "big")


def checksum(h):
    h[148:156] = b" " * 8
    h[148:156] = ("%06o" % sum(h)).encode() + b"\0 "


def gnu_sparse_header(name, offset, numbytes, realsize):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = octal(0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = num(numbytes, 12)  # bytes stored
    h[136:148] = octal(1700000000, 12)
    h[156:157] = b"S"
    h[257:265] = b"ustar  \0"
    h[386:398] = num(offset, 12)  # sparse[0].offset
    h[398:410] = num(numbytes, 12)  # sparse[0].numbytes
    h[482:483] = b"\0"  # isextended
    h[483:495] = num(realsize, 12)
    checksum(h)
    return bytes(h)


def ustar_header(name, size):
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = octal(0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = octal(size, 12)
    h[136:148] = octal(1700000000, 12)
    h[156:157] = b"0"
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    checksum(h)
    return bytes(h)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def sparse_tar(offset, realsize, manifest_hash=None):
    out = gnu_sparse_header("s", offset, 512, realsize) + b"x" * 512
    if manifest_hash is not None:
        mf = ("ferry-manifest 1\nf %d %s s\nend 1 1 %d\n" %
              (realsize, manifest_hash, realsize)).encode()
        out += ustar_header(".ferry/manifest", len(mf)) + pad(mf)
    return out + b"\0" * 1024


def main(argv):
    kind, out = argv[1], argv[2]
    crc = zlib.crc32(DATA)
    comp = deflate(DATA)
    if kind == "zip-size":
        data = zip_bytes("f", comp, crc, crc, int(argv[3]), len(comp))
    elif kind == "zip-crc":
        bad = crc ^ 0x5A5A5A5A
        data = zip_bytes("f", comp, bad, bad, len(DATA), len(comp))
    elif kind == "zip-inconsistent":
        data = zip_bytes("f", comp, crc ^ 1, crc, len(DATA), len(comp))
    elif kind == "sparse":
        h = argv[6] if len(argv) > 6 and argv[5] == "manifest" else None
        data = sparse_tar(int(argv[3]), int(argv[4]), h)
    else:
        sys.exit("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(sys.argv)
