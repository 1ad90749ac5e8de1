#!/usr/bin/env python3
"""pack_paused.py FERRY WS OUT ERR CMD: run `ferry pack WS -o - --format
tar.zst` into a 4 KiB pipe that is not drained, and once the pipe is full
(ferry is then inside the first file packed, as long as that file is larger
than what ferry buffers) run the shell command CMD; then drain the pipe
into OUT.  ferry's stderr goes to ERR.  Exits with ferry's exit code."""
import array
import fcntl
import os
import subprocess
import sys
import termios
import time

ferry, ws, out, errpath, cmd = sys.argv[1:6]
F_SETPIPE_SZ = 1031
r, w = os.pipe()
fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
with open(errpath, "wb") as err:
    p = subprocess.Popen([ferry, "pack", ws, "-o", "-", "--format", "tar.zst"],
                         stdout=w, stderr=err)
os.close(w)


def queued():
    buf = array.array("i", [0])
    fcntl.ioctl(r, termios.FIONREAD, buf)
    return buf[0]


end = time.time() + 60
while queued() < 4096:
    if p.poll() is not None:
        sys.exit("ferry ended before the pipe filled (exit %d)" % p.returncode)
    if time.time() > end:
        p.kill()
        sys.exit("the pipe did not fill in 60 s")
    time.sleep(0.001)
if subprocess.call(cmd, shell=True) != 0:
    p.kill()
    sys.exit("the command failed: " + cmd)
with open(out, "wb") as f:
    while True:
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        f.write(chunk)
sys.exit(p.wait())
