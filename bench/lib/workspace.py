"""The benchmarks' generated ML-style workspace, its content manifest, the
page-cache and inode hygiene that keeps unpack timings honest, and the
timed run of one command.

make_workspace(root, scale): deterministic for a given scale; scale 1 is
about 5,500 files and 1.2 GiB (see bench/pack's docstring for the layout).
"""
import hashlib
import os
import random
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
    for dirpath, dirs, files in os.walk(root, topdown=False):
        for n in files + dirs:
            os.utime(os.path.join(dirpath, n), (MTIME, MTIME),
                     follow_symlinks=False)
    os.utime(root, (MTIME, MTIME))


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


def spread_inodes(path, who="bench"):
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
    if subprocess.call(["chattr", "+T", path], stderr=subprocess.DEVNULL) != 0:
        print("%s: could not chattr +T %s (not ext4?); unpack timings may suffer "
              "from trees deleted just before" % (who, path), file=sys.stderr)


def timed(cmd, log, env=None):
    """Run a shell command under /usr/bin/time (its output appended to the
    file log), then sync.  Returns (seconds incl. sync, exit code, peak RSS
    of its biggest process in MiB, CPU seconds)."""
    tfile = log + ".time"
    t0 = time.monotonic()
    with open(log, "ab") as lf:
        lf.write(("$ %s\n" % cmd).encode())
        lf.flush()
        rc = subprocess.call(["/usr/bin/time", "-f", "%M %U %S", "-o", tfile,
                              "bash", "-c", cmd], stdout=lf, stderr=lf,
                             stdin=subprocess.DEVNULL, env=env)
    subprocess.call(["sync"])
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
