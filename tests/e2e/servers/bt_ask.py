#!/usr/bin/env python3
"""bt_ask.py - ask a seeder for the same block over two connections.

usage: bt_ask.py HOST PORT INFOHASH_HEX [SECONDS]

Opens connection A as a peer that speaks the fast extension (BEP 6), says
it has no piece (HAVE_NONE) and is interested, waits to be unchoked and
requests block 0 of piece 0 (16 KiB); then, with A still open and without
announcing that it has anything, does the same over connection B.  Prints
one line, "A=X B=Y", where X and Y are what answered the request:
"piece" (the data), "reject" (REJECT_REQUEST), "choked" (never unchoked)
or "none" (nothing within the time).  A plain seed answers both with the
data; `ferry seed --send-once` turns B away while A is getting the piece.
Every read is bounded by SECONDS (default 10) per connection.
"""
import os
import socket
import struct
import sys
import time

BLOCK = 16384


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


def messages(sock, deadline):
    """Yield (id, body) until the deadline or the connection ends."""
    try:
        while True:
            (n,) = struct.unpack(">I", recv_exact(sock, 4, deadline))
            if n == 0:
                continue
            if n > (1 << 20):
                return
            msg = recv_exact(sock, n, deadline)
            yield msg[0], msg[1:]
    except (TimeoutError, EOFError, OSError):
        return


def ask(host, port, ih, secs):
    deadline = time.monotonic() + secs
    sock = socket.create_connection((host, port), timeout=secs)
    reserved = b"\0" * 7 + b"\x04"  # fast extension
    sock.sendall(b"\x13BitTorrent protocol" + reserved + ih +
                 b"-AK0001-" + os.urandom(12))
    hs = recv_exact(sock, 68, deadline)
    if hs[28:48] != ih:
        raise SystemExit("bt_ask: info-hash mismatch")
    sock.sendall(struct.pack(">IB", 1, 15))  # have none
    sock.sendall(struct.pack(">IB", 1, 2))   # interested
    state = "choked"
    for mid, body in messages(sock, deadline):
        if mid == 1 and state == "choked":  # unchoke
            state = "none"
            sock.sendall(struct.pack(">IBIII", 13, 6, 0, 0, BLOCK))
        elif mid == 7 and len(body) >= 8:  # piece
            if struct.unpack(">II", body[:8]) == (0, 0):
                return sock, "piece"
        elif mid == 16 and len(body) == 12:  # reject request
            if struct.unpack(">III", body) == (0, 0, BLOCK):
                return sock, "reject"
    return sock, state


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    host, port, ih = argv[1], int(argv[2]), bytes.fromhex(argv[3])
    secs = float(argv[4]) if len(argv) > 4 else 10.0
    a, ra = ask(host, port, ih, secs)
    b, rb = ask(host, port, ih, secs)
    print("A=%s B=%s" % (ra, rb))
    a.close()
    b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
