#!/usr/bin/env python3
"""trfetch.py - transmission-cli 3.00 as a one-shot, loopback-only downloader.

usage: trfetch.py [--timeout S] [--port P] TORRENT OUTDIR

transmission-cli seeds forever and has no command-line switch for DHT, LPD or
IPv6, so this wrapper:
  * writes a fresh config dir (under /tmp) whose settings.json turns off DHT,
    LPD, PEX, uTP and port forwarding, binds IPv4 to 127.0.0.1 and sets the
    peer port (--port, default: a free one chosen now);
  * runs it with LD_PRELOAD=no_inet6.so (built from tests/e2e/servers/noipv6.c into the config
    dir with cc), so it opens no IPv6 socket at all;
  * passes `-f DONE_SCRIPT`, which transmission runs once every piece is
    verified; the script creates a marker file, and on seeing it the wrapper
    sends SIGINT (transmission-cli's clean stop) and waits for the exit;
  * re-reads the settings.json transmission saved on exit and fails if DHT,
    LPD or port forwarding came back on or the bind address changed.
Exit 0 only when the download completed. Bounded by --timeout (default 300 s).

transmission 3.00 ignores tracker peers on loopback (127.x) and allows one connection
per IP, so on loopback it gets data only from a seeder that dials in (the bench
seeders re-announce every second to find it): treat its numbers as a floor.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def build_shim(dest_dir):
    out = os.path.join(dest_dir, "no_inet6.so")
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", out,
                    os.path.join(HERE, "..", "..", "tests", "e2e", "servers", "noipv6.c"), "-ldl"], check=True, timeout=120)
    return out


def stop(proc, grace=10.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("torrent")
    ap.add_argument("outdir")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--shim", help="prebuilt no_inet6.so (default: build one now)")
    a = ap.parse_args()

    outdir = os.path.abspath(a.outdir)
    os.makedirs(outdir, exist_ok=True)
    cfg = tempfile.mkdtemp(prefix="ferry-bench-tr.", dir="/tmp")
    proc = None

    def on_signal(signum, _frame):
        if proc is not None:
            stop(proc, 5.0)
        shutil.rmtree(cfg, ignore_errors=True)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        shim = a.shim or build_shim(cfg)
    except (OSError, subprocess.SubprocessError) as e:
        shutil.rmtree(cfg, ignore_errors=True)
        sys.stderr.write("trfetch: cannot build the no-IPv6 shim (%s); refusing to run\n" % e)
        return 1
    port = a.port or benchlib.free_ports(1)[0]
    marker = os.path.join(cfg, "complete")
    script = os.path.join(cfg, "on-done.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ntouch '%s'\n" % marker)
    os.chmod(script, 0o755)
    settings = {
        "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
        "utp-enabled": False, "port-forwarding-enabled": False,
        "bind-address-ipv4": benchlib.LOOPBACK,
        "peer-port": port, "peer-port-random-on-start": False,
        "blocklist-enabled": False, "download-dir": outdir,
        "incomplete-dir-enabled": False, "rename-partial-files": False,
        "speed-limit-down-enabled": False, "speed-limit-up-enabled": False,
        "alt-speed-enabled": False, "ratio-limit-enabled": False,
        "script-torrent-done-enabled": True, "script-torrent-done-filename": script,
        "message-level": 1,
    }
    with open(os.path.join(cfg, "settings.json"), "w") as f:
        json.dump(settings, f, indent=1)
    env = dict(os.environ, LD_PRELOAD=shim)
    log_path = os.path.join(cfg, "transmission.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["transmission-cli", "-g", cfg, "-w", outdir, "-p", str(port), "-f", script, a.torrent],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + a.timeout
        done = exited = False
        while time.monotonic() < deadline:
            if os.path.exists(marker):
                done = True
                break
            if proc.poll() is not None:
                exited = True
                break
            time.sleep(0.05)
        rc = stop(proc)
    ok = done
    if ok:
        with open(os.path.join(cfg, "settings.json")) as f:
            s = json.load(f)
        for k, v in (("dht-enabled", False), ("lpd-enabled", False),
                     ("port-forwarding-enabled", False), ("bind-address-ipv4", benchlib.LOOPBACK)):
            if s.get(k) != v:
                sys.stderr.write("trfetch: transmission saved %s=%r\n" % (k, s.get(k)))
                ok = False
    else:
        why = "exited early (rc=%s)" % rc if exited else "timed out after %gs" % a.timeout
        sys.stderr.write("trfetch: %s; transmission log tail:\n" % why)
        with open(log_path, "rb") as f:
            sys.stderr.write(f.read()[-1500:].decode(errors="replace") + "\n")
    shutil.rmtree(cfg, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
