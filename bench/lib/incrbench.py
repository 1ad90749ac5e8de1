"""bench/save's incremental scenario (issue 17): `ferry save --incremental`
into a save set against `restic backup`, step by step, then the restore
of the last state (a full layer + 10 deltas) against `ferry restore` of
one plain archive of the same tree and against `restic restore`.

Per run, on a fresh copy of the workspace (cp -a, not timed):

  step 0   the first save (ferry: a full layer; restic: the first snapshot)
  step 1   (a) a new 50 MiB checkpoint (incompressible)
  step 2   (b) 100 source files edited (a line appended)
  step 3   (c) a directory deleted (data/images/val/class_09, ~100 images)
  step 4   (d) nothing changed
  5..11    7 more small changes, so that ferry's last state is a full
           layer + 10 deltas (an unchanged save writes no delta)

Each step saves with every tool, one after the other (the order rotates
from run to run): `ferry save WS file://SET/ --incremental`, the same into
s3rver (s3://bkt/...), `restic backup .` into a local repository.  Bytes
uploaded: ferry's `--json` done event (archive_bytes: layer, index and
state); restic's repository growth on disk.  Then, each into a new ext4
on a loop image (workspace.FreshFs; or a new directory if that cannot be
made): `ferry restore` of the set (file:// and S3), `ferry restore` of
one plain archive of the final tree (`ferry save WS URL` first, not
timed) and `restic restore latest`.  Every command is timed from a sync
to the sync after it; the first run compares every restored tree with the
workspace.  CPU: user + system seconds of the command (what 2 cores
can overlap at best: a restore whose CPU time is near 2 x its wall time
has nothing left for more parallel downloads to win).

restic against s3rver: restic 0.14 (minio-go v7.0.46) sends every PUT
over plain http as STREAMING-AWS4-HMAC-SHA256-PAYLOAD, an aws-chunked body
with a signature line per chunk; s3rver 3.7 does not decode aws-chunked
bodies, so tests/e2e/servers/s3.js answers BadDigest to restic's
Content-MD5 (and without that check it would store the chunk framing as
the object, a corrupt repository).  `restic init` fails, so only restic's
local repository is measured; checked again at each run (--restic-s3)."""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

from workspace import MIB, FreshFs, FreshFsError, evict, manifest, timed, warm

WHO = "bench/save"
RESTIC_S3_WHY = ("restic 0.14 (minio-go) PUTs aws-chunked bodies "
                 "(STREAMING-AWS4-HMAC-SHA256-PAYLOAD) over http, which "
                 "s3rver 3.7 does not decode: BadDigest")


def _tree_bytes(root):
    total = 0
    for d, _, files in os.walk(root):
        for n in files:
            try:
                total += os.lstat(os.path.join(d, n)).st_size
            except OSError:
                pass
    return total


def _sources(ws):
    out = []
    for d, _, files in os.walk(os.path.join(ws, "src")):
        out += [os.path.join(d, n) for n in files if n.startswith("mod_")]
    return sorted(out)


def _edit(ws, n, step):
    rng = random.Random(1000 + step)
    src = _sources(ws)
    for p in rng.sample(src, min(n, len(src))):
        with open(p, "ab") as f:
            f.write(b"# edited at step %d\n" % step)


def _add(ws, rel, nbytes, step):
    p = os.path.join(ws, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    rng = random.Random(2000 + step)
    with open(p, "wb") as f:
        left = nbytes
        while left > 0:
            f.write(rng.randbytes(min(left, 16 * MIB)))
            left -= 16 * MIB


def _append(ws, rel, nbytes, step):
    words = b"step loss grad epoch batch token lr warmup eval "
    with open(os.path.join(ws, rel), "ab") as f:
        f.write((b"%d " % step + words) * (nbytes // (len(words) + 4)))


def _rmdir(ws, rel):
    shutil.rmtree(os.path.join(ws, rel))


# (label, change); None: no change.  Steps 1-4 are issue 17's (a)-(d).
STEPS = [
    ("full save", None),
    ("(a) +50 MiB checkpoint", lambda ws, k: _add(
        ws, "checkpoints/step-00500.safetensors", 50 * MIB, k)),
    ("(b) 100 sources edited", lambda ws, k: _edit(ws, 100, k)),
    ("(c) directory deleted", lambda ws, k: _rmdir(
        ws, "data/images/val/class_09")),
    ("(d) unchanged", None),
    ("log +1 MiB", lambda ws, k: _append(ws, "logs/train-000.log", MIB, k)),
    ("10 sources edited", lambda ws, k: _edit(ws, 10, k)),
    ("+50 MiB ckpt, 1st deleted", lambda ws, k: (
        _add(ws, "checkpoints/step-01000.safetensors", 50 * MIB, k),
        os.unlink(os.path.join(ws, "checkpoints/step-00500.safetensors")))),
    ("run directory deleted", lambda ws, k: _rmdir(ws, "runs/" + max(
        n for n in os.listdir(os.path.join(ws, "runs")) if n.startswith("exp-")))),
    ("100 sources edited", lambda ws, k: _edit(ws, 100, k)),
    ("new image dir (+1 MiB)", lambda ws, k: [
        _add(ws, "data/images/new/img_%02d.jpg" % i, 64 << 10, 100 * k + i)
        for i in range(16)]),
    ("100 sources edited", lambda ws, k: _edit(ws, 100, k)),
]


def _run(cmd, env, tmp, out=None):
    log = os.path.join(tmp, "bench.log")
    subprocess.call(["sync"])
    secs, code, rss, cpu = timed("set -euo pipefail; " + cmd, log, env)
    if code != 0:
        sys.exit("%s: command failed (exit %d, see %s): %s" % (WHO, code, log, cmd))
    return secs, rss, cpu


def _done_bytes(path):
    with open(path) as f:
        ev = [json.loads(x) for x in f if x.startswith("{")]
    done = [e for e in ev if e.get("event") == "done"]
    if not done:
        sys.exit("%s: no done event in %s" % (WHO, path))
    return done[-1]


def restic_s3_works(env, tmp):
    """Does `restic init` work against the s3rver in env?  (ok, why)"""
    e = dict(env)
    e["RESTIC_REPOSITORY"] = "s3:%s/bkt/restic-probe" % env["AWS_ENDPOINT_URL"]
    try:
        r = subprocess.run(["restic", "init"], env=e, capture_output=True,
                           text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False, "restic init did not finish in 120 s"
    if r.returncode == 0:
        return True, ""
    last = (r.stderr.strip().splitlines() or ["?"])[-1]
    if "Content-MD5" in last:
        return False, RESTIC_S3_WHY
    return False, "restic init: " + last


class Dest:
    """Where a restore lands: a fresh ext4 per restore, else a new dir."""

    def __init__(self, tmp, size, files):
        self.tmp = tmp
        self.fs = FreshFs(tmp, max(3 * size, 2 << 30), max(65536, 4 * files),
                          tag="incr-fresh")
        self.fresh = True
        self.n = 0
        self.why = ""

    def setup(self):
        self.n += 1
        if self.fresh:
            try:
                return os.path.join(self.fs.setup(), "out")
            except FreshFsError as e:
                self.fresh, self.why = False, str(e)
                print("%s: no fresh ext4 (%s): restoring into new directories"
                      % (WHO, e), file=sys.stderr)
        return os.path.join(self.tmp, "incr-out-%d" % self.n)

    def teardown(self, out):
        if self.fresh:
            self.fs.teardown()
        else:
            evict(out)

    def describe(self):
        return (self.fs.describe() if self.fresh else
                "new directories beside the workspace (%s)" % self.why)


def scenario(a, ferry, tmp, ws_src, env):
    """Run the scenario a.runs times; print its tables (markdown)."""
    if shutil.which("restic") is None:
        sys.exit("%s: needs restic (Debian package 'restic'; scripts/deps)" % WHO)
    ver = subprocess.run(["restic", "version"], capture_output=True,
                         text=True).stdout.strip()
    env = dict(env)
    env["RESTIC_PASSWORD"] = "bench-save-%d" % random.getrandbits(32)
    env["RESTIC_CACHE_DIR"] = os.path.join(tmp, "restic-cache")
    ref0, size = manifest(ws_src)
    dest = Dest(tmp, size, len(ref0))
    th = " --threads %d" % a.threads
    q = "$F -q --json"
    tools = [
        ("ferry file", q + " save $WS file://$R/set/ --incremental" + th + " >$R/ev.json"),
        ("ferry s3", q + " save $WS s3://bkt/incr-$RUN/ --incremental" + th + " >$R/ev.json"),
        ("restic local", "cd $WS && restic -q -r $R/restic backup . >/dev/null"),
    ]
    restores = [
        ("ferry restore set (file)", "$F -q restore file://$R/set/ $OUT"),
        ("ferry restore full (file)", "$F -q restore file://$R/full.tar.zst $OUT"),
        ("ferry restore set (s3)", "$F -q restore s3://bkt/incr-$RUN/ $OUT"),
        ("ferry restore full (s3)", "$F -q restore s3://bkt/full-$RUN.tar.zst $OUT"),
        ("restic restore (local)", "restic -q -r $R/restic restore latest --target $OUT >/dev/null"),
    ]
    s3ok, s3why = restic_s3_works(env, tmp)
    if s3ok:
        tools.append(("restic s3", "cd $WS && restic -q -r s3:$AWS_ENDPOINT_URL/bkt/"
                      "restic-$RUN backup . >/dev/null"))
        restores.append(("restic restore (s3)", "restic -q -r s3:$AWS_ENDPOINT_URL/bkt/"
                         "restic-$RUN restore latest --target $OUT >/dev/null"))
    else:
        print("%s: restic against s3rver not measured: %s" % (WHO, s3why), file=sys.stderr)
    # res[(step, tool)] = [(secs, bytes, rss)]; rres[name] = [(secs, rss)]
    res, rres, loads, layers = {}, {}, [], None
    for r in range(a.runs):
        loads.append(os.getloadavg()[0])
        R = os.path.join(tmp, "incr-%d" % r)
        ws = os.path.join(R, "ws")
        os.makedirs(R)
        subprocess.check_call(["cp", "-a", ws_src, ws])
        env.update({"R": R, "WS": ws, "RUN": str(r)})
        subprocess.check_call(["restic", "-q", "-r", os.path.join(R, "restic"), "init"],
                              env=env, stdout=subprocess.DEVNULL)
        if s3ok:
            subprocess.check_call(["restic", "-q", "-r", "s3:%s/bkt/restic-%d" % (
                env["AWS_ENDPOINT_URL"], r), "init"], env=env, stdout=subprocess.DEVNULL)
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        for k, (label, change) in enumerate(STEPS):
            if change is not None:
                change(ws, k)
            for name, cmd in order:
                repo = os.path.join(R, "restic")
                before = _tree_bytes(repo) if name == "restic local" else 0
                secs, rss, _ = _run(cmd, env, tmp)
                if name.startswith("ferry"):
                    ev = _done_bytes(os.path.join(R, "ev.json"))
                    nbytes = ev["archive_bytes"]
                    if k == len(STEPS) - 1:
                        layers = ev["layers"]
                elif name == "restic local":
                    nbytes = _tree_bytes(repo) - before
                else:
                    nbytes = None
                res.setdefault((k, name), []).append((secs, nbytes, rss))
                print("run %d  step %2d %-26s %-13s %6.2f s  %9s bytes  %5.0f MiB"
                      % (r + 1, k, label, name, secs, nbytes, rss), file=sys.stderr)
        # one plain archive of the final tree, for the full-restore rows
        _run("$F -q save $WS file://$R/full.tar.zst" + th, env, tmp)
        _run("$F -q save $WS s3://bkt/full-$RUN.tar.zst" + th, env, tmp)
        ref = manifest(ws)[0] if r == 0 else None
        # every store read once, so that every restore reads from the
        # page cache (what ran since may have pushed some of it out)
        bkt = os.path.join(tmp, "s3data", "bkt")
        for root in (os.path.join(R, "set"), os.path.join(R, "restic"),
                     os.path.join(bkt, "incr-%d" % r)):
            for d, _, files in os.walk(root):
                for n in files:
                    warm(os.path.join(d, n))
        warm(os.path.join(bkt, "full-%d.tar.zst._S3rver_object" % r))
        warm(os.path.join(R, "full.tar.zst"))
        order = restores[r % len(restores):] + restores[:r % len(restores)]
        for name, cmd in order:
            env["OUT"] = dest.setup()
            try:
                secs, rss, cpu = _run(cmd, env, tmp)
                if ref is not None and manifest(env["OUT"])[0] != ref:
                    sys.exit("%s: %s left a tree that differs from the workspace"
                             % (WHO, name))
            finally:
                dest.teardown(env["OUT"])
            rres.setdefault(name, []).append((secs, rss, cpu))
            print("run %d  %-28s %6.2f s  %5.0f MiB  %5.2f s CPU" % (r + 1, name, secs, rss, cpu),
                  file=sys.stderr)
        shutil.rmtree(R)
    loads.append(os.getloadavg()[0])
    report(a, ver, dest, res, rres, tools, restores, loads, layers, size, s3why)


def report(a, ver, dest, res, rres, tools, restores, loads, layers, size, s3why):
    med = lambda xs: statistics.median(xs)  # noqa: E731
    print("\n## bench/save, incremental — %s, %d runs, median; load average "
          "(1 min) %s\n" % (time.strftime("%Y-%m-%d"), a.runs,
                            " / ".join("%.1f" % x for x in loads)))
    print("Workspace %.0f MiB; %s; ferry's last state: %s layers (a full + "
          "deltas); restores into: %s.%s\n"
          % (size / MIB, ver, layers, dest.describe(),
             "" if not s3why else " restic on s3rver: not measured (%s)." % s3why))
    names = [t[0] for t in tools]
    print("| step | " + " | ".join("%s s | %s MB" % (n, n) for n in names)
          + " | time ferry file / restic | bytes ferry / restic |")
    print("|---|" + "---:|---:|" * len(names) + "---:|---:|")
    for k, (label, _) in enumerate(STEPS):
        cells, t, b = [], {}, {}
        for n in names:
            rs = res[(k, n)]
            t[n] = med(x[0] for x in rs)
            b[n] = med(x[1] for x in rs) if rs[0][1] is not None else None
            cells.append("%.2f | %s" % (t[n], "%.2f" % (b[n] / 1e6) if b[n] is not None else "?"))
        rb = b.get("restic local")
        print("| %d %s | %s | %.2f× | %s |" % (
            k, label, " | ".join(cells), t["ferry file"] / t["restic local"],
            "%.2f×" % (b["ferry file"] / rb) if rb else "(restic +0)"))
    print("\n| restore (fresh ext4) | time (s) | CPU (s) | peak RSS (MiB) | vs one full archive "
          "| restic / this |")
    print("|---|---:|---:|---:|---:|---:|")
    m = {n: med(x[0] for x in rres[n]) for n, _ in restores}
    for n, _ in restores:
        vs = rs = ""
        where = "s3" if "(s3)" in n else "file"
        if "restore set" in n:
            vs = "%.2f×" % (m[n] / m["ferry restore full (%s)" % where])
            rk = "restic restore (local)" if where == "file" else "restic restore (s3)"
            if rk in m:
                rs = "%.2f×" % (m[rk] / m[n])
        print("| `%s` | %.2f | %.2f | %.0f | %s | %s |" % (
            n, m[n], med(x[2] for x in rres[n]), max(x[1] for x in rres[n]), vs, rs))
