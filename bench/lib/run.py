#!/usr/bin/env python3
"""run.py - time one download command against the bench swarm, once.

usage: run.py --tool T --scenario S --run N --out DIR --csv FILE --bytes B
              [--sums FILE] [--timeout S] [--tracker-port P] [--events]
              [--no-verify] [--keep] -- CMD...

* DIR must not exist; it is created empty for this run.
* CMD runs under `/usr/bin/time -f "%M %U %S"` (peak RSS of the process tree
  it waits for, and its user + system CPU seconds) in its own session, with a hard --timeout; on timeout, or if this script
  gets SIGINT/SIGTERM, the whole tree is stopped (TERM, then KILL).
* While CMD runs, its sockets are sampled every 0.1 s (`ss`, by socket inode of
  the tree's open fds): any socket not on 127.0.0.1 marks the run net=VIOLATION,
  and the TCP bytes received from peers (not the tracker) give first_data (first
  sample with >= 1 MiB in) and last_data (last sample that saw >= 64 KiB more).
* --events: CMD's stdout is JSON lines (`ferry --json`); each line is time-stamped
  on arrival, giving ev_meta (metadata event), ev_first (first progress with
  done > 0), ev_complete (first progress with done == total) and ev_done (the
  `done` event), in seconds after start.
* Afterwards every file listed in --sums must exist under DIR/NAME/ (or DIR/)
  with that sha256: verified=yes|no. DIR/.ferry (resume state) is ignored.
Appends one CSV row to --csv and prints a one-line summary.
"""
import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

MiB = 1 << 20
FIELDS = ["tool", "scenario", "run", "rc", "seconds", "mib_s", "rss_mib", "cpu_s", "verified", "net",
          "first_data", "last_data", "rx_mib", "ev_meta", "ev_first", "ev_complete", "ev_done",
          "note"]


class Sampler(threading.Thread):
    def __init__(self, root, tracker_port, t0, interval=0.1):
        super().__init__(daemon=True)
        self.root, self.t0, self.interval = root, t0, interval
        self.tracker_suffix = ":%d" % tracker_port if tracker_port else None
        self.stop_ev = threading.Event()
        self.rx = {}           # socket inode -> most bytes_received seen
        self.total = 0
        self.first = self.last = None
        self.bad = []

    def run(self):
        while not self.stop_ev.wait(self.interval):
            self.sample()

    def sample(self):
        inodes = benchlib.socket_inodes(benchlib.descendants(self.root))
        if not inodes:
            return
        t = time.monotonic() - self.t0
        for s in benchlib.ss_sockets():
            if s["ino"] not in inodes:
                continue
            if not benchlib.on_loopback(s):
                desc = "%s %s %s -> %s" % (s["proto"], s["state"], s["local"], s["peer"])
                if desc not in self.bad:
                    self.bad.append(desc)
            if s["proto"] != "tcp" or (self.tracker_suffix and s["peer"].endswith(self.tracker_suffix)):
                continue
            if s["rx"] > self.rx.get(s["ino"], 0):
                self.rx[s["ino"]] = s["rx"]
        total = sum(self.rx.values())
        if self.first is None and total >= MiB:
            self.first = t
        if total - self.total >= 65536:
            self.last = t
        self.total = total


def alive(pid):
    """Running (not gone, not a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def stop_tree(p, grace=10.0):
    """Stop the command we started and everything under it: SIGTERM to its
    session's process group and to each descendant PID, wait up to `grace` s
    for all of them, then SIGKILL what is left."""
    pids = benchlib.descendants(p.pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass
        for q in pids:
            try:
                os.kill(q, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            p.poll()
            if p.returncode is not None and not any(alive(q) for q in pids if q != p.pid):
                return
            time.sleep(0.05)
    p.poll()


def verify(out, sums_file, name):
    base = os.path.join(out, name) if os.path.isdir(os.path.join(out, name)) else out
    want = {}
    with open(sums_file) as f:
        for line in f:
            h, rel = line.rstrip("\n").split("  ", 1)
            want[rel] = h
    problems = []
    for rel, h in sorted(want.items()):
        p = os.path.join(base, rel)
        if not os.path.isfile(p):
            problems.append("missing " + rel)
        elif benchlib.sha256_file(p) != h:
            problems.append("sha256 differs: " + rel)
    for d, dirs, files in os.walk(out):
        if ".ferry" in dirs:
            dirs.remove(".ferry")
        for fn in files:
            rel = os.path.relpath(os.path.join(d, fn), base)
            if rel not in want:
                problems.append("extra file " + os.path.relpath(os.path.join(d, fn), out))
    return problems


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--bytes", type=int, required=True, help="payload bytes (for MiB/s)")
    ap.add_argument("--name", default="", help="torrent name (top directory)")
    ap.add_argument("--sums")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--tracker-port", type=int, default=0)
    ap.add_argument("--events", action="store_true")
    ap.add_argument("--no-verify", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--log", help="CMD's stderr (and stdout unless --events) go here")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command")
    if os.path.exists(a.out):
        ap.error("--out %s exists" % a.out)
    os.makedirs(a.out)
    tfile = a.out + ".rss"
    log = open(a.log or os.devnull, "ab")
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1"

    proc = None

    def on_signal(signum, _frame):
        if proc is not None:
            stop_tree(proc, 5.0)
        if not a.keep:
            shutil.rmtree(a.out, ignore_errors=True)
        # die of the same signal, so the calling shell sees the interrupt too
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    events = {}

    def read_events(stream, t0):
        for raw in stream:
            t = time.monotonic() - t0
            log.write(raw)
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            kind = ev.get("event")
            if kind == "metadata":
                events.setdefault("ev_meta", t)
            elif kind == "progress" and ev.get("phase") == "fetch":
                done, total = ev.get("done", 0) or 0, ev.get("total", -1) or -1
                if done > 0:
                    events.setdefault("ev_first", t)
                if total > 0 and done >= total:
                    events.setdefault("ev_complete", t)
            elif kind == "done":
                events.setdefault("ev_done", t)
                events.setdefault("ev_complete", t)

    t0 = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", tfile, "--"] + cmd,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if a.events else log, stderr=log,
                            env=env, start_new_session=True)
    reader = None
    if a.events:
        reader = threading.Thread(target=read_events, args=(proc.stdout, t0), daemon=True)
        reader.start()
    sampler = Sampler(proc.pid, a.tracker_port, t0)
    sampler.start()
    note = ""
    try:
        rc = proc.wait(a.timeout)
    except subprocess.TimeoutExpired:
        stop_tree(proc)
        rc = 124
        note = "timeout %gs" % a.timeout
    secs = time.monotonic() - t0
    sampler.stop_ev.set()
    sampler.join(5)
    if reader:
        reader.join(5)
    log.flush()

    rss, cpu = 0.0, None
    try:
        with open(tfile) as f:
            m, u, sy = f.read().strip().splitlines()[-1].split()
        rss, cpu = int(m) / 1024.0, float(u) + float(sy)
    except (OSError, ValueError, IndexError):
        pass
    if a.no_verify:
        verified = "n/a" if rc == 0 else "no"
        problems = []
    else:
        problems = verify(a.out, a.sums, a.name)
        verified = "yes" if rc == 0 and not problems else "no"
        if problems:
            note = (note + "; " if note else "") + "; ".join(problems[:3])
    if rc not in (0, 124) and not note:
        note = "exit %d" % rc
    net = "VIOLATION" if sampler.bad else "ok"
    if sampler.bad:
        note = (note + "; " if note else "") + "net: " + ", ".join(sampler.bad[:3])
    row = {
        "tool": a.tool, "scenario": a.scenario, "run": a.run, "rc": rc,
        "seconds": "%.3f" % secs,
        "mib_s": "%.1f" % (a.bytes / MiB / secs) if not a.no_verify else "",
        "rss_mib": "%.1f" % rss, "cpu_s": "%.2f" % cpu if cpu is not None else "",
        "verified": verified, "net": net,
        "first_data": "%.2f" % sampler.first if sampler.first is not None else "",
        "last_data": "%.2f" % sampler.last if sampler.last is not None else "",
        "rx_mib": "%.1f" % (sampler.total / MiB),
        "note": note,
    }
    for k in ("ev_meta", "ev_first", "ev_complete", "ev_done"):
        row[k] = "%.2f" % events[k] if k in events else ""
    new = not os.path.exists(a.csv)
    with open(a.csv, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow(row)
    extra = ""
    if row["first_data"]:
        extra += " first_data=%ss last_data=%ss" % (row["first_data"], row["last_data"] or "?")
    if a.events and events:
        extra += " json: meta=%s first=%s complete=%s done=%s" % tuple(
            row[k] or "-" for k in ("ev_meta", "ev_first", "ev_complete", "ev_done"))
    print("  %-22s %-10s run %d: %7.2f s %8s MiB/s rss %7.1f MiB cpu %5s s verified=%s net=%s rc=%d%s%s" % (
        a.tool, a.scenario, a.run, secs, row["mib_s"] or "-", rss, row["cpu_s"] or "-", verified, net, rc, extra,
        ("  [" + note + "]") if note else ""), flush=True)
    if not a.keep:
        shutil.rmtree(a.out, ignore_errors=True)
        try:
            os.unlink(tfile)
        except OSError:
            pass
    return 0 if rc == 0 and verified != "no" else 1


if __name__ == "__main__":
    sys.exit(main())
