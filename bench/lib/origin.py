#!/usr/bin/env python3
"""origin.py - helpers for bench/fetch --origin ferry.

usage: origin.py sha1row CSV SCENARIO RUN BYTES
           time one SHA-1 pass over BYTES bytes held in memory (hashlib,
           i.e. OpenSSL's SHA-1, the one libtorrent uses), append it to CSV
           as a row of tool "sha1-pass" (run.py's columns) and print it
       origin.py fresh-setup WORK BYTES
           a new, empty ext4 on a loop image under WORK (workspace.FreshFs,
           image BYTES big); prints its mount point, or nothing (exit 1)
           when that is not possible here (not root, no mkfs.ext4/losetup)
       origin.py fresh-teardown WORK BYTES
           unmount it, detach the loop device, remove the image
       origin.py fresh-describe WORK BYTES
           one line saying what fresh-setup makes
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import FIELDS  # noqa: E402
from workspace import FreshFs, FreshFsError, sha1_pass  # noqa: E402

MiB = 1 << 20
TAG = "fetch-target"


def sha1row(csv_path, scenario, run, nbytes):
    secs = sha1_pass(nbytes)
    row = {k: "" for k in FIELDS}
    row.update(tool="sha1-pass", scenario=scenario, run=run, rc="0",
               seconds="%.3f" % secs, mib_s="%.1f" % (nbytes / MiB / secs),
               verified="n/a", net="ok")
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow(row)
    print("   %-22s run %s  %6.3f s  %7.1f MiB/s  (one SHA-1 pass, in memory)"
          % ("sha1-pass", run, secs, nbytes / MiB / secs))
    return 0


def fresh(work, nbytes):
    return FreshFs(work, nbytes, 4096, tag=TAG)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    cmd, args = argv[1], argv[2:]
    if cmd == "sha1row":
        return sha1row(args[0], args[1], args[2], int(args[3]))
    if cmd == "fresh-setup":
        if os.geteuid() != 0:
            return 1
        try:
            print(fresh(args[0], int(args[1])).setup())
        except FreshFsError as e:
            print("origin: fresh file system: %s" % e, file=sys.stderr)
            return 1
        return 0
    if cmd == "fresh-teardown":
        fresh(args[0], int(args[1])).teardown()
        return 0
    if cmd == "fresh-describe":
        print(fresh(args[0], int(args[1])).describe())
        return 0
    print("origin: unknown subcommand %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
