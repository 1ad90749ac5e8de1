#!/usr/bin/env bash
# --color (issue 15): the "ferry:" error line in red, warnings in yellow,
# a finished progress line in green, all on stderr.  auto (the default)
# colours only when stderr is a terminal, TERM is set and not "dumb", and
# NO_COLOR is unset or empty (no-color.org: an empty NO_COLOR does not
# count); always and never win over all of that; --json output is never
# coloured.  The terminal is a real pseudo-terminal (python3's pty).
. "$(dirname "$0")/../lib.sh"
need python3

ESC=$'\x1b'
RED="${ESC}[31m" YELLOW="${ESC}[33m" GREEN="${ESC}[32m" RESET="${ESC}[0m"

# on_pty ENV... -- ARGS...: run ferry with stderr on a pseudo-terminal
# (stdout in $WORK/out), what it wrote there in $WORK/tty, exit in $RC.
on_pty() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  env -u NO_COLOR "${envs[@]}" python3 - "$WORK/out" "$WORK/tty" "$FERRY" "$@" <<'PY'
import os, pty, select, subprocess, sys, time
out, tty, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
with open(out, "wb") as so:
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=so, stderr=slave)
os.close(slave)
data, deadline = b"", time.monotonic() + 120
while time.monotonic() < deadline:
    r, _, _ = select.select([master], [], [], 1)
    if not r:
        if p.poll() is not None:
            break
        continue
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the child closed its end
        break
    if not chunk:
        break
    data += chunk
try:
    rc = p.wait(timeout=max(1, deadline - time.monotonic()))
except subprocess.TimeoutExpired:
    p.kill()
    rc = 124
open(tty, "wb").write(data)
sys.exit(rc)
PY
  RC=$?
}
has() { grep -qF -- "$2" "$1"; }

M="$WORK/missing.tar.zst"

# --- not a terminal: auto is off, always is on, never is off ---------------
run_ferry list "$M"
assert_exit 1
has "$WORK/err" "$ESC" && fail "auto, not a terminal: coloured"
assert_one_error_line "^ferry: $M: No such file or directory$"
for form in "--color=always" "--color always" "--colour=always"; do
  # shellcheck disable=SC2086
  run_ferry $form list "$M"
  assert_exit 1
  [ "$(cat "$WORK/err")" = "${RED}ferry: $M: No such file or directory${RESET}" ] ||
    fail "$form: $(cat -v "$WORK/err")"
done
NO_COLOR=1 run_ferry --color=always list "$M" # an explicit --color wins
has "$WORK/err" "$RED" || fail "--color=always with NO_COLOR=1: $(cat -v "$WORK/err")"
run_ferry --color=never list "$M"
has "$WORK/err" "$ESC" && fail "--color=never: coloured"
# --json: never, not even with always (events may share stderr)
run_ferry --color=always --json list "$M"
assert_exit 1
has "$WORK/err" "$ESC" && fail "--json --color=always: stderr coloured"
has "$WORK/out" "$ESC" && fail "--json --color=always: stdout coloured"

# --- a pseudo-terminal: auto -------------------------------------------------
on_pty TERM=xterm -- list "$M"
[ "$RC" -eq 1 ] || fail "pty: exit $RC"
has "$WORK/tty" "${RED}ferry: $M: No such file or directory${RESET}" || fail "auto on a terminal: $(cat -v "$WORK/tty")"
on_pty TERM=xterm NO_COLOR= -- list "$M" # empty: does not count
has "$WORK/tty" "$RED" || fail "NO_COLOR= (empty): not coloured: $(cat -v "$WORK/tty")"
on_pty TERM=xterm NO_COLOR=1 -- list "$M"
[ "$RC" -eq 1 ] || fail "pty: exit $RC"
has "$WORK/tty" "$ESC" && fail "NO_COLOR=1: coloured: $(cat -v "$WORK/tty")"
has "$WORK/tty" "ferry: $M: No such file or directory" || fail "NO_COLOR=1: $(cat -v "$WORK/tty")"
on_pty TERM=dumb -- list "$M"
has "$WORK/tty" "$ESC" && fail "TERM=dumb: coloured"
on_pty -u TERM -- list "$M"
has "$WORK/tty" "$ESC" && fail "no TERM: coloured"
on_pty TERM=xterm -- --color=never list "$M"
has "$WORK/tty" "$ESC" && fail "--color=never on a terminal: coloured"
on_pty TERM=xterm -- --json list "$M"
[ "$RC" -eq 1 ] || fail "pty --json: exit $RC"
has "$WORK/tty" "$ESC" && fail "--json on a terminal: coloured"
has "$WORK/out" "$ESC" && fail "--json on a terminal: stdout coloured"
grep -q '"event":"error"' "$WORK/out" || fail "--json: no error event: $(cat "$WORK/out")"

# --- progress: a finished line is green ------------------------------------
mkdir -p "$WORK/b"
head -c 300000 /dev/zero >"$WORK/b/f"
on_pty TERM=xterm -- make-torrent "$WORK/b" -o "$WORK/b1.torrent"
[ "$RC" -eq 0 ] || fail "make-torrent on a pty: exit $RC: $(cat -v "$WORK/tty")"
has "$WORK/tty" "${GREEN}hash 100.0%" || fail "no green 100% line: $(cat -v "$WORK/tty")"
has "$WORK/out" "$ESC" && fail "make-torrent: the magnet on stdout is coloured"
run_ferry make-torrent "$WORK/b" -o "$WORK/b2.torrent" # not a terminal: plain
assert_exit 0
has "$WORK/err" "$ESC" && fail "make-torrent, auto, not a terminal: coloured"
run_ferry --color=always make-torrent "$WORK/b" -o "$WORK/b3.torrent"
# (fixed strings: ESC [ is no regular expression)
grep -F "${GREEN}hash 100.0%" "$WORK/err" | grep -qF "$RESET" || fail "--color=always progress: $(cat -v "$WORK/err")"

# --- warnings are yellow: an archive with a FIFO (skipped, exit 0) ---------
python3 - "$WORK/fifo.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    f = tarfile.TarInfo("a.txt"); data = b"hello\n"; f.size = len(data)
    t.addfile(f, io.BytesIO(data))
    p = tarfile.TarInfo("pipe"); p.type = tarfile.FIFOTYPE
    t.addfile(p)
PY
run_ferry --color=always unpack "$WORK/fifo.tar" -C "$WORK/u1"
assert_exit 0
grep -F "${YELLOW}ferry: warning: " "$WORK/err" | grep -qF "$RESET" || fail "warning not yellow: $(cat -v "$WORK/err")"
run_ferry unpack "$WORK/fifo.tar" -C "$WORK/u2"
assert_exit 0
grep -q '^ferry: warning: ' "$WORK/err" || fail "no plain warning: $(cat -v "$WORK/err")"
exit 0
