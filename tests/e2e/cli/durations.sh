#!/usr/bin/env bash
# Durations everywhere a time is taken (issue 15): 90s, 10m, 1h30m
# (units compounded, largest first), a bare number is seconds.  Every
# option that takes a time accepts them (fetch --timeout, --stall-timeout,
# --seed-time; seed --seed-time; the storage commands' --stall-timeout;
# up --timeout, --autosave; down --autosave), so does ferry.ini
# (autosave, seed-time), and a compound value is honoured: fetch
# --timeout 0m2s with nothing to fetch from gives up with exit 5.  A
# malformed one is a usage error naming the option.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/b"
printf 'x\n' >"$WORK/b/f"
run_ferry make-torrent "$WORK/b" -o "$WORK/b.torrent"
assert_exit 0
net=(--listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}")

# fetch --list of a .torrent starts nothing: every time option parsed
run_ferry fetch "$WORK/b.torrent" --list --timeout 10m --stall-timeout 1h30m \
  --seed-time 2h15m30s "${net[@]}"
assert_exit 0
grep -q 'b/f$' "$WORK/out" || fail "fetch --list: $(cat "$WORK/out")"
run_ferry fetch "$WORK/b.torrent" --list --timeout=90 --seed-time=1.5h "${net[@]}"
assert_exit 0

# the other commands: the value is parsed before --help stops the run
for args in "seed --seed-time 1h30m" "push --stall-timeout 1m30s" \
  "pull --stall-timeout 2m" "save --stall-timeout 1h" "restore --stall-timeout 90s" \
  "ls --stall-timeout 1m30s" "rm --stall-timeout 30s" "up --timeout 1h30m" \
  "up --stall-timeout 10m" "up --autosave=1h30m" "down --autosave 1h30m"; do
  # shellcheck disable=SC2086 # words on purpose
  run_ferry $args --help
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "$args: $(cat "$WORK/err")"
done

# malformed: a trailing number without a unit, units out of order
run_ferry fetch "$WORK/b.torrent" --list --timeout 1h30 "${net[@]}"
assert_exit 2
assert_one_error_line "^ferry: --timeout: bad duration '1h30' \(e.g. 90s, 10m, 1h30m\)$"
run_ferry seed "$WORK/b.torrent" -d "$WORK" --seed-time 30m1h "${net[@]}"
assert_exit 2
assert_one_error_line "^ferry: --seed-time: bad duration '30m1h' \(e.g. 90s, 10m, 1h30m\)$"
run_ferry down --autosave 1d1d
assert_exit 2
assert_one_error_line "^ferry: --autosave: bad duration '1d1d'"

# ferry.ini: compound durations; a bad one names file, line and key
cat >"$WORK/ferry.ini" <<INI
[bundle "tools"]
source = $WORK/b.torrent
dest = $WORK/tools
seed-time = 1h30m
INI
cat >"$WORK/bad.ini" <<INI
[bundle "tools"]
source = $WORK/b.torrent
dest = $WORK/tools
seed-time = 1h30
INI
run_ferry up -f "$WORK/bad.ini" --no-seed "${net[@]}" --stall-timeout 1m
assert_exit 3
assert_one_error_line "^ferry: $WORK/bad.ini:4: seed-time: bad duration '1h30' \(e.g. 90s, 10m, 1h30m\)$"

# a compound --timeout is honoured: nothing to fetch from, exit 5
magnet="magnet:?xt=urn:btih:$(printf 'ferry-durations-%s' "$$" | sha1sum | cut -c1-40)"
t0=$(date +%s)
run_ferry fetch "$magnet" -o "$WORK/dst" --timeout 0m2s --stall-timeout 1h "${net[@]}"
t1=$(date +%s)
assert_exit 5
[ $((t1 - t0)) -lt 60 ] || fail "--timeout 0m2s gave up after $((t1 - t0)) s"
exit 0
