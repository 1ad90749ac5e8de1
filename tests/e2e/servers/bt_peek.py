#!/usr/bin/env python3
"""bt_peek.py - look at what a seeder announces to a new peer.

usage: bt_peek.py HOST PORT INFOHASH_HEX NUM_PIECES [SECONDS]

Connects as a plain BitTorrent peer (no extension bits: no fast extension,
so a seed has to announce its pieces with BITFIELD or HAVE messages), stays
not interested, and reads the seeder's messages until a BITFIELD or a HAVE
came, for at most SECONDS (default 3), or until the connection closes.
Prints one line:

    bitfield=N haves=M unchoked=0|1

N is the number of pieces set in the BITFIELD message (-1 if none came),
M the number of distinct pieces announced with HAVE.  A normal seed sends a
full bitfield (N = NUM_PIECES) right after the handshake; a BEP 16 super
seed sends no bitfield (or an empty one) and HAVE for one piece at a time
(libtorrent 2.0.8 drops the two HAVEs meant for the handshake and sends
one per second to a peer that has been not interested for 10 s).  Exit 1 if the handshake
fails or the info-hash does not match.  Every read is bounded by the
deadline; loopback only (the tests pass 127.0.0.1).
"""
import os
import socket
import struct
import sys
import time


def recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    host, port, ih_hex, npieces = argv[1], int(argv[2]), argv[3], int(argv[4])
    secs = float(argv[5]) if len(argv) > 5 else 3.0
    ih = bytes.fromhex(ih_hex)
    deadline = time.monotonic() + secs
    sock = socket.create_connection((host, port), timeout=secs)
    pstr = b"BitTorrent protocol"
    sock.sendall(bytes([len(pstr)]) + pstr + b"\0" * 8 + ih +
                 b"-PK0001-" + os.urandom(12))
    try:
        hs = recv_exact(sock, 68, deadline)
    except (TimeoutError, EOFError, OSError):
        sys.stderr.write("bt_peek: no handshake\n")
        return 1
    if hs[28:48] != ih:
        sys.stderr.write("bt_peek: info-hash mismatch\n")
        return 1
    bitfield, haves, unchoked = -1, set(), 0
    try:
        while True:
            (n,) = struct.unpack(">I", recv_exact(sock, 4, deadline))
            if n == 0:
                continue  # keep-alive
            if n > (1 << 20):
                break  # nothing a seed announces is this big
            msg = recv_exact(sock, n, deadline)
            mid, body = msg[0], msg[1:]
            if mid == 1:
                unchoked = 1
            elif mid == 4 and len(body) == 4:
                (piece,) = struct.unpack(">I", body)
                if piece < npieces:
                    haves.add(piece)
                    break
            elif mid == 5:
                bits = sum(bin(b).count("1") for b in body)
                bitfield = bits if bitfield < 0 else bitfield + bits
                if bits > 0:
                    break
    except (TimeoutError, EOFError, OSError):
        pass
    sock.close()
    print("bitfield=%d haves=%d unchoked=%d" % (bitfield, len(haves),
                                                 unchoked))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
