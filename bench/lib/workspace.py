"""The benchmarks' generated workspaces, their content manifest, the
fresh filesystems and page-cache and inode hygiene that keep unpack
timings honest, and the timed run of one command.

make_workspace(root, scale): the ML-style one, deterministic for a given
scale; scale 1 is about 5,500 files and 1.2 GiB (see bench/pack's
docstring for the layout).
make_small_workspace(root, scale): many small source files (scale 1:
150,000 files of 0-30 KiB in 3,000 directories, about 1.1 GB), what a
venv, a conda env or node_modules looks like.
FreshFs: a new ext4 on a loop image for every use, always cleaned up.
"""
import hashlib
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time

MIB = 1 << 20
MTIME = 1704067200  # 2024-01-01T00:00:00Z

WORDS = ("model layer attention head embed token batch step epoch loss grad "
         "norm lr warmup decay optimizer adam checkpoint shard rank world cuda "
         "device stream kernel fused matmul softmax dropout residual block "
         "encoder decoder vocab sample eval train val accuracy throughput "
         "latency memory cache queue worker").split()


# ------------------------------------------------------------ workspace

def text(rng, kind, nbytes):
    out, n, i = [], 0, 0
    while n < nbytes:
        if kind == "log":
            s = ("2024-01-%02d %02d:%02d:%02d INFO [rank%d] step=%d loss=%.4f "
                 "lr=%.3e grad_norm=%.3f tok/s=%d %s\n" % (
                     1 + i % 28, i % 24, i % 60, (i * 7) % 60, i % 8, i,
                     0.5 + 2.5 * rng.random(), 3e-4 * rng.random(),
                     4 * rng.random(), rng.randrange(10000, 90000),
                     rng.choice(WORDS)))
        elif kind == "jsonl":
            s = ('{"step": %d, "loss": %.5f, "eval_loss": %.5f, "lr": %.6e, '
                 '"tag": "%s"}\n' % (i, 3 * rng.random(), 3 * rng.random(),
                                     1e-3 * rng.random(), rng.choice(WORDS)))
        elif kind == "csv":
            s = "data/images/train/class_%02d/img_%06d.jpg,%d,%.4f,%s\n" % (
                rng.randrange(50), i, rng.randrange(50), rng.random(),
                rng.choice(WORDS))
        else:
            w = rng.sample(WORDS, 4)
            s = "    %s_%s = self.%s(%s, dim=%d)\n" % (
                w[0], w[1], w[2], w[3], rng.randrange(1, 4096))
        out.append(s)
        n += len(s)
        i += 1
    return "".join(out)[:nbytes].encode()


def put(root, rel, data, mode=None):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(p, mode)


def make_workspace(root, scale):
    rng = random.Random(20240101)
    noise = random.Random(42)
    os.makedirs(root)
    for i in range(max(1, round(5000 * scale))):
        split = "val" if i % 10 == 9 else "train"
        size = rng.randrange(20 << 10, (200 << 10) + 1)
        put(root, "data/images/%s/class_%02d/img_%06d.jpg" % (split, i % 50, i),
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + noise.randbytes(size - 11))
    shard = max(MIB, int(300 * MIB * scale))
    for k in (1, 2):
        p = os.path.join(root, "checkpoints",
                         "model-%05d-of-00002.safetensors" % k)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            left = shard
            while left > 0:
                n = min(left, 16 * MIB)
                f.write(noise.randbytes(n))
                left -= n
    put(root, "checkpoints/model.safetensors.index.json",
        b'{"metadata": {"total_size": %d}}\n' % (2 * shard))
    put(root, "data/labels/train.csv", text(rng, "csv", int(8 * MIB * scale)))
    put(root, "data/labels/val.csv", text(rng, "csv", int(1 * MIB * scale)))
    nlogs = max(1, round(24 * scale))
    for i in range(nlogs):
        put(root, "logs/train-%03d.log" % i,
            text(rng, "log", int(60 * MIB * scale / nlogs)))
    nruns = max(1, round(8 * scale))
    for i in range(nruns):
        put(root, "runs/exp-%02d/metrics.jsonl" % i,
            text(rng, "jsonl", int(30 * MIB * scale / nruns)))
        put(root, "runs/exp-%02d/config.json" % i,
            b'{"lr": %.2e, "seed": %d}\n' % (rng.random() * 1e-3, i))
    for i in range(max(1, round(400 * scale))):
        pkg = "src/pkg%02d" % (i % 20)
        put(root, "%s/mod_%03d.py" % (pkg, i),
            b"import torch\n\n\nclass Block%d(torch.nn.Module):\n" % i
            + text(rng, "py", rng.randrange(500, 12000)))
        if not os.path.exists(os.path.join(root, pkg, "__init__.py")):
            put(root, pkg + "/__init__.py", b"")
    for name in ("base", "large", "small", "sweep"):
        put(root, "configs/%s.yaml" % name,
            "".join("%s_%d: %f\n" % (rng.choice(WORDS), k, rng.random())
                    for k in range(60)).encode())
    put(root, "configs/frozen.json", b'{"frozen": true}\n', 0o444)
    for name in ("train.sh", "eval.sh"):
        put(root, "scripts/" + name, b"#!/bin/sh\nexec python -m src \"$@\"\n",
            0o755)
    put(root, "README.md", b"# workspace\n")
    os.symlink("model-00001-of-00002.safetensors",
               os.path.join(root, "checkpoints/latest.safetensors"))
    os.symlink("images/train", os.path.join(root, "data/current"))
    os.symlink("base.yaml", os.path.join(root, "configs/default.yaml"))
    os.symlink("exp-%02d" % min(3, nruns - 1), os.path.join(root, "runs/latest"))
    for d in ("outputs", ".cache/tmp", "runs/exp-00/artifacts"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    set_mtimes(root)


def set_mtimes(root):
    for dirpath, dirs, files in os.walk(root, topdown=False):
        for n in files + dirs:
            os.utime(os.path.join(dirpath, n), (MTIME, MTIME),
                     follow_symlinks=False)
    os.utime(root, (MTIME, MTIME))


# ------------------------------------------------------------ small files

SMALL_SEED = 20240607
IDENT = ("path name value config state item node index count size data "
         "buffer request response handler client server session token "
         "parser reader writer stream record field schema table column "
         "cache entry key result error message context options args kwargs "
         "logger event callback future task worker pool thread lock queue "
         "module package plugin loader registry factory builder wrapper "
         "array tensor shape dtype device offset length width height").split()
IMPORTS = ("os sys re json typing logging functools itertools collections "
           "dataclasses pathlib contextlib abc warnings numpy torch").split()


def source_text(rng, nbytes):
    """Python-like source: imports, classes, methods, docstrings, comments,
    literals, with identifiers drawn from small vocabularies."""
    out, n = [], 0

    def ident():
        return "%s_%s" % (rng.choice(IDENT), rng.choice(IDENT + WORDS))

    while n < nbytes:
        k = rng.random()
        if k < 0.08:
            s = "import %s\nfrom %s import %s, %s\n\n" % (
                rng.choice(IMPORTS), rng.choice(IMPORTS), ident(), ident())
        elif k < 0.2:
            name = "".join(w.capitalize() for w in rng.sample(IDENT, 2))
            a, b = ident(), ident()
            s = ('\n\nclass %s(%s):\n    """%s the %s of a %s.\n\n'
                 '    The %s is kept until %s() is called.\n    """\n\n'
                 '    def __init__(self, %s, %s=None):\n'
                 '        self.%s = %s\n        self.%s = %s or {}\n' % (
                     name, rng.choice(("object", "Exception", "dict")),
                     rng.choice(WORDS).capitalize(), rng.choice(IDENT),
                     rng.choice(IDENT), rng.choice(IDENT), ident(),
                     a, b, a, a, b, b))
        elif k < 0.6:
            a, b, c = ident(), ident(), ident()
            s = ("\n    def %s(self, %s, %s=%d):\n"
                 "        # %s %s before %s\n"
                 "        if %s is None:\n"
                 "            raise ValueError(\"%s: %%r\" %% (%s,))\n"
                 "        %s = self.%s.get(%s, %s)\n"
                 "        for %s in range(%s):\n"
                 "            %s += len(%s)\n"
                 "        return %s\n" % (
                     c, a, b, rng.randrange(0, 4096), rng.choice(WORDS),
                     rng.choice(IDENT), rng.choice(WORDS), a, c, a, c,
                     rng.choice(IDENT), a, b, rng.choice("ijkn"), b, c, a, c))
        elif k < 0.75:
            s = "%s = {\n%s}\n" % (ident().upper(), "".join(
                '    "%s": %s,\n' % (ident(), rng.choice((
                    str(rng.randrange(100000)), "None", "True", "False",
                    '"%s"' % rng.choice(WORDS))))
                for _ in range(rng.randrange(2, 9))))
        elif k < 0.9:
            s = "# %s\n" % " ".join(rng.choice(WORDS + IDENT)
                                    for _ in range(rng.randrange(4, 12)))
        else:
            s = "    %s = self.%s(%s, dim=%d)\n" % (
                ident(), ident(), ident(), rng.randrange(1, 4096))
        out.append(s)
        n += len(s)
    return "".join(out).encode()


def make_small_workspace(root, scale, seed=SMALL_SEED):
    """round(150,000 x scale) files of 0-30 KiB (6% empty, the others about
    7.5 KiB on average) in round(3,000 x scale) directories below
    lib/python3.11/site-packages, plus bin/ (0755 scripts, a symlink) and
    pyvenv.cfg; every mtime 2024-01-01.  Each file is a slice of a pool of
    generated source text (up to 48 MiB, more than a compressor's window),
    starting on a line and behind a line naming the file.  Deterministic
    for a given scale and seed."""
    rng = random.Random(seed)
    nfiles = max(50, round(150000 * scale))
    ndirs = max(10, round(3000 * scale))
    pool = source_text(rng, min(48 * MIB, max(8 * MIB, nfiles * 7600)))
    base = "lib/python3.11/site-packages"
    # lib, lib/python3.11, site-packages, then top-level packages, then
    # sub-packages at most 6 levels below site-packages
    dirs, depth = ["lib", "lib/python3.11", base], [0, 0, 0]
    while len(dirs) < ndirs:
        i = len(dirs)
        if i < 3 + max(1, ndirs // 10):
            parent, d = base, 1
        else:
            j = rng.randrange(3, i)
            while depth[j] >= 6:
                j = rng.randrange(3, i)
            parent, d = dirs[j], depth[j] + 1
        dirs.append("%s/%s_%d" % (parent, rng.choice(IDENT + WORDS), i))
        depth.append(d)
    os.makedirs(root)
    for d in dirs:
        os.makedirs(os.path.join(root, d), exist_ok=True)
    places = dirs[2:]
    weights = [min(50.0, rng.paretovariate(1.2)) for _ in places]
    exts = (".py",) * 16 + (".pyi", ".pyi", ".json", ".txt", ".cfg", ".md")
    for i, d in enumerate(rng.choices(places, weights, k=nfiles)):
        name = "%s_%d%s" % (rng.choice(IDENT + WORDS), i, rng.choice(exts))
        size = 0
        if rng.random() >= 0.06:
            size = min(30 << 10, int(rng.expovariate(1 / 7800.0)))
        head = b"# %s/%s (bench/pack small workspace, file %d)\n" % (
            d.encode(), name.encode(), i)
        off = pool.find(b"\n", rng.randrange(len(pool) - (32 << 10))) + 1
        with open(os.path.join(root, d, name), "wb") as f:
            f.write((head + pool[off:off + size])[:size])
    put(root, "pyvenv.cfg", b"home = /usr/bin\ninclude-system-site-packages"
        b" = false\nversion = 3.11.2\n")
    for name in ("python3", "pip", "ferry-bench"):
        put(root, "bin/" + name, b"#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n",
            0o755)
    os.symlink("python3", os.path.join(root, "bin/python"))
    set_mtimes(root)


def ensure_workspace(work, kind, scale, who="bench"):
    """The workspace of this kind ("big": make_workspace, "small":
    make_small_workspace) and scale in work: generated once (into a .part
    directory, renamed when complete) and reused by every later run given
    the same work directory."""
    src = os.path.join(work, "ws-%s-s%g" % (kind, scale))
    if not os.path.isdir(src):
        part = src + ".part"
        if os.path.lexists(part):
            subprocess.call(["rm", "-rf", "--one-file-system", part])
        t0 = time.monotonic()
        (make_small_workspace if kind == "small" else make_workspace)(
            part, scale)
        os.rename(part, src)
        print("%s: generated %s in %.1f s" % (who, src,
                                               time.monotonic() - t0),
              flush=True)
    return src


def manifest(root):
    """path -> (type, mode, size, sha256 | link target) for every entry."""
    out, total = {}, 0
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("l", mode, 0, os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("d", mode, 0, "")
            else:
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(4 * MIB), b""):
                        h.update(chunk)
                out[rel] = ("f", mode, st.st_size, h.hexdigest())
                total += st.st_size
    return out, total


def evict(root):
    """Sync, then drop the page cache of every file below root (kept on
    disk), so finished runs do not crowd memory."""
    subprocess.call(["sync"])
    for dirpath, dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(dirpath, n)
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def spread_inodes(path, who="bench", quiet=False):
    """Ask ext4 to place each directory made in path like a top-level one
    (chattr +T: the Orlov allocator picks a fresh block group for it).

    ext4 without a journal does not reuse an inode freed in the last 60 s
    (360 s while its inode-table block is dirty): recently_deleted() in the
    kernel's inode allocator.  A tree created near a big tree deleted just
    before (the last benchmark's, in the same parent) pays a scan past those
    inodes for every new file, and unpacks get several times slower,
    whichever tool runs.  Spread out, the benchmark's trees land in block
    groups without such inodes.  Benchmarks also keep their unpacked trees
    until the end instead of deleting them between runs."""
    if subprocess.call(["chattr", "+T", path],
                       stderr=subprocess.DEVNULL) != 0 and not quiet:
        print("%s: could not chattr +T %s (not ext4?); unpack timings may suffer "
              "from trees deleted just before" % (who, path), file=sys.stderr)


def run_bounded(argv, timeout=120, log=None):
    """Run argv (output to the file object log, or discarded) for at most
    timeout seconds; on timeout or on an exception such as Ctrl-C it is
    killed (waited for at most 5 s more).  Returns the exit code, 124 on
    timeout, 127 if it cannot start."""
    out = log if log is not None else subprocess.DEVNULL
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=out)
    except OSError:
        return 127
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _reap(p, 5)
        return 124
    except BaseException:
        p.kill()
        _reap(p, 5)
        raise


def _reap(p, secs):
    try:
        p.wait(secs)
    except subprocess.TimeoutExpired:
        pass


def sync(path=None):
    """sync, or `sync -f path` (that file system only), at most 600 s."""
    run_bounded(["sync", "-f", path] if path else ["sync"], 600)


def _stop_group(p):
    """SIGTERM to the process group p leads; once p and every process of
    the group are gone, return; after 5 s, SIGKILL, and 5 s more."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            p.poll()
            try:
                os.killpg(p.pid, 0)
            except ProcessLookupError:
                if p.returncode is not None:
                    return
            except OSError:
                pass
            time.sleep(0.05)
    _reap(p, 5)


def timed(cmd, log, env=None, sync_path=None, timeout=None):
    """Run a shell command under /usr/bin/time (its output appended to the
    file log), in a process group of its own that is stopped after timeout
    seconds (exit code 124) or when we are interrupted, then `sync` (or
    `sync -f sync_path`).  Returns (seconds incl. sync, exit code, peak RSS
    of its biggest process in MiB, CPU seconds)."""
    tfile = log + ".time"
    t0 = time.monotonic()
    with open(log, "ab") as lf:
        lf.write(("$ %s\n" % cmd).encode())
        lf.flush()
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", tfile,
                              "bash", "-c", cmd], stdout=lf, stderr=lf,
                             stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            _stop_group(p)
            rc = 124
            lf.write(b"(stopped after %g s)\n" % timeout)
        except BaseException:
            _stop_group(p)
            raise
    sync(sync_path)
    secs = time.monotonic() - t0
    rss = cpu = 0.0
    try:
        with open(tfile) as f:
            last = f.read().strip().splitlines()[-1].split()
        rss, cpu = int(last[0]) / 1024.0, float(last[1]) + float(last[2])
        os.unlink(tfile)
    except (OSError, IndexError, ValueError):
        pass
    return secs, rc, rss, cpu


# ------------------------------------------------------------ fresh ext4

class FreshFsError(Exception):
    pass


def _mounted(path):
    """Is something mounted on path (as /proc/self/mounts spells it)?"""
    want = os.path.realpath(path)
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                mp = line.split()[1]
                mp = re.sub(r"\\([0-7]{3})",
                            lambda m: chr(int(m.group(1), 8)), mp)
                if mp == want:
                    return True
    except OSError:
        pass
    return False


class FreshFs:
    """A new, empty ext4 for every use, on a sparse loop image in work:

        fs = FreshFs(work, nbytes, inodes)
        try:
            mnt = fs.setup()    # mkfs.ext4, losetup, mount
            ...
        finally:
            fs.teardown()       # umount, losetup -d, image removed

    mkfs initializes inode tables and journal itself (lazy_itable_init=0,
    lazy_journal_init=0), so no background zeroing competes with what is
    timed; 4 KiB blocks whatever the size; the loop device uses direct I/O
    on the image where it can, so its writes are not cached twice.
    teardown() finds what to undo from the system (/proc/self/mounts,
    `losetup -j IMAGE`), not from memory, so it also cleans up after a
    setup() that was interrupted half-way; it blocks SIGINT/SIGTERM/SIGHUP
    while it runs, bounds every wait, and falls back to a lazy unmount when
    the file system stays busy."""

    def __init__(self, work, nbytes, inodes, tag="fresh"):
        self.work = work
        self.nbytes = nbytes
        self.inodes = inodes
        self.image = os.path.join(work, tag + ".img")
        self.mnt = os.path.join(work, tag + ".mnt")
        self.dio = True
        self.log = os.path.join(work, tag + ".log")

    def _run(self, argv, timeout=120):
        with open(self.log, "ab") as lf:
            lf.write(("$ %s\n" % " ".join(argv)).encode())
            lf.flush()
            return run_bounded(argv, timeout, lf)

    def describe(self):
        return ("mkfs.ext4 on a %.1f GiB sparse loop image, %s, 4 KiB "
                "blocks, journal, inode tables zeroed by mkfs" % (
                    self.nbytes / (1 << 30),
                    "direct I/O" if self.dio else "buffered I/O"))

    def setup(self):
        """A fresh ext4 mounted; returns its mount point.  Raises
        FreshFsError (after undoing what it did) when that fails."""
        self.teardown()
        try:
            fd = os.open(self.image, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
            try:
                os.ftruncate(fd, self.nbytes)
            finally:
                os.close(fd)
            if self._run(["mkfs.ext4", "-q", "-F", "-b", "4096",
                          "-N", str(self.inodes), "-E",
                          "lazy_itable_init=0,lazy_journal_init=0,nodiscard",
                          self.image], 600) != 0:
                raise FreshFsError("mkfs.ext4 failed")
            argv = ["losetup", "--find", "--show"]
            if self.dio and self._run(argv + ["--direct-io=on", self.image]):
                self.dio = False
                self._loop_detach()
            if not self.dio and self._run(argv + [self.image]) != 0:
                raise FreshFsError("losetup failed")
            devs = self._loop_devs()
            if len(devs) != 1:
                raise FreshFsError("losetup -j found %d devices" % len(devs))
            try:
                with open("/sys/block/%s/loop/dio" % os.path.basename(
                        devs[0])) as f:
                    self.dio = f.read().strip() == "1"
            except OSError:
                pass
            os.makedirs(self.mnt, exist_ok=True)
            if self._run(["mount", "-t", "ext4", devs[0], self.mnt]) != 0:
                raise FreshFsError("mount failed")
            if not _mounted(self.mnt):
                raise FreshFsError("not mounted after mount")
            return self.mnt
        except FreshFsError as e:
            said = self._last_said()
            self.teardown()
            raise FreshFsError("%s: %s" % (e, said)) from None
        except OSError as e:
            self.teardown()
            raise FreshFsError(str(e)) from None

    def _last_said(self):
        """The last line a command wrote to the log, not an echoed command."""
        try:
            with open(self.log, errors="replace") as f:
                lines = [x.strip() for x in f if x.strip()]
        except OSError:
            return "?"
        said = [x for x in lines if not x.startswith("$ ")]
        return said[-1] if said and lines[-1] == said[-1] else "no message"

    def _loop_devs(self):
        try:
            out = subprocess.run(["losetup", "-j", self.image], text=True,
                                 capture_output=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            return []
        return [line.split(":", 1)[0] for line in out.splitlines() if line]

    def _loop_detach(self):
        for dev in self._loop_devs():
            self._run(["losetup", "-d", dev], 60)

    def teardown(self):
        """Unmount, detach, remove the image; idempotent, bounded."""
        sigs = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
        try:
            if _mounted(self.mnt):
                deadline = time.monotonic() + 20
                while (self._run(["umount", self.mnt], 60) != 0 and
                       _mounted(self.mnt) and time.monotonic() < deadline):
                    time.sleep(0.5)
                if _mounted(self.mnt):
                    self._run(["umount", "-l", self.mnt], 60)
            # a device still busy (lazy unmount) is detached by the kernel
            # once its last user lets go (losetup -d sets autoclear)
            self._loop_detach()
            for rm in (lambda: os.unlink(self.image),
                       lambda: os.rmdir(self.mnt)):
                try:
                    rm()
                except FileNotFoundError:
                    pass
                except OSError as e:
                    print("bench: cleaning up: %s" % e, file=sys.stderr)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


# ------------------------------------------------------------ floor

def warm(path):
    """Read path once, so that it is in the page cache."""
    with open(path, "rb") as f:
        while f.read(8 * MIB):
            pass


def warm_tree(root):
    """Read every regular file below root once (symlinks not followed), so
    the tree is in the page cache: a VM's memory may have reclaimed pages
    not touched for a minute (DAMON's pageout on this one), and a pack
    timed half-cold measures the disk's luck, not the packer."""
    for d, dirs, files in os.walk(root):
        for n in files:
            p = os.path.join(d, n)
            try:
                fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    while os.read(fd, 8 * MIB):
                        pass
            finally:
                os.close(fd)


def drop_caches():
    """Write back, then drop the page cache (root): the next read of any
    file comes from the disk, as for files a VM wrote long ago.  False
    when the kernel refuses."""
    sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
        return True
    except OSError:
        return False


def write_floor(dirpath, nbytes, src, tries=2):
    """Seconds for `dd bs=8M conv=fdatasync` to copy nbytes of
    incompressible data (src: a file of at least that many, read into the
    page cache first; made when missing or short) into one new file in
    dirpath, the best of `tries` files: what the disk below dirpath takes
    at best, with no per-file cost.  dd, not a Python loop: writing from
    Python cost this kernel several times the copy (3.7 s, not 0.4 s, for
    1.2 GiB).  The files stay."""
    if not os.path.exists(src) or os.path.getsize(src) < nbytes:
        rng = random.Random(7)
        with open(src + ".part", "wb") as f:
            left = nbytes
            while left > 0:
                f.write(rng.randbytes(min(left, 8 * MIB)))
                left -= 8 * MIB
        os.rename(src + ".part", src)
    warm(src)  # in the page cache, as an archive would be
    best = None
    for t in range(tries):
        path = os.path.join(dirpath, "floor.bin" if t == 0 else
                            "floor%d.bin" % t)
        t0 = time.monotonic()
        r = subprocess.run(["dd", "if=" + src, "of=" + path, "bs=8M",
                            "iflag=count_bytes", "count=%d" % nbytes,
                            "conv=fdatasync", "status=none"],
                           capture_output=True)
        dt = time.monotonic() - t0
        if r.returncode != 0:
            if t == 0:
                sys.exit("floor: dd failed: %s" % r.stderr.decode().strip())
            if os.path.exists(path):  # no room for a second file
                os.unlink(path)
            break
        best = dt if best is None else min(best, dt)
    return best


def sha1_pass(nbytes, chunk=8 * MIB):
    """Seconds for one SHA-1 pass over nbytes already in memory."""
    buf = random.Random(8).randbytes(chunk)
    h = hashlib.sha1()
    t0 = time.monotonic()
    left = nbytes
    while left >= chunk:
        h.update(buf)
        left -= chunk
    h.update(buf[:left])
    h.digest()
    return time.monotonic() - t0
