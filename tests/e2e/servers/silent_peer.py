#!/usr/bin/env python3
"""silent_peer.py - a "peer" on 127.0.0.1:PORT that accepts TCP connections
and never sends a byte (it reads and discards what it gets).  Logs one line
"accepted" per connection on stdout, so a test can tell it was tried.

usage: silent_peer.py PORT
"""
import socket
import sys
import threading


def drain(conn):
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: silent_peer.py PORT")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(16)
    print("listening", flush=True)
    while True:
        conn, _ = srv.accept()
        print("accepted", flush=True)
        threading.Thread(target=drain, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
