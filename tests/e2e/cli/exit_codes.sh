#!/usr/bin/env bash
# One rule per kind of failure, the same in every command (issue 10, item
# 5; README "Exit codes"):
#   2 the command line itself: unknown option (of a command or of ferry),
#     missing argument, a value that does not parse or is out of range
#     (--max-down above 2G, a --peer port), an output that is a directory
#   1 a file, directory or object named on the command line that is not
#     there, an output whose directory is not there, a --peer host that
#     does not resolve: I/O and network
#   3 an input that is there but of the wrong kind (a directory given as an
#     archive or .torrent, a file given as DIR) or malformed (not a URL)
# Each row: the exact exit code and exactly one "ferry: ..." line, nothing
# created.
. "$(dirname "$0")/../lib.sh"
need python3

mkdir -p "$WORK/ws/sub" "$WORK/adir"
printf 'hello\n' >"$WORK/ws/a.txt"
printf 'x\n' >"$WORK/afile"
"$FERRY" -q pack "$WORK/ws" -o "$WORK/ws.tar.zst" || fail "pack"
"$FERRY" -q make-torrent "$WORK/ws" -o "$WORK/ws.torrent" >/dev/null || fail "make-torrent"
M="$WORK/missing"
net=(--listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --timeout 20)
snet=(--listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --seed-time 1)
mkdir -p "$WORK/.t"
snap() { find "$WORK" -path "$WORK/out" -prune -o -path "$WORK/err" -prune -o -path "$WORK/.t" -prune -o -print | sort; }
snap >"$WORK/.t/before"

# expect CODE REGEX ARGS...: ferry ARGS exits CODE, one matching line,
# nothing new under $WORK
expect() {
  local code=$1 re=$2; shift 2
  run_ferry "$@"
  [ "$RC" -eq "$code" ] || { cat "$WORK/err" >&2; fail "ferry $*: expected exit $code, got $RC"; }
  assert_one_error_line "$re"
  snap >"$WORK/.t/after"
  diff "$WORK/.t/before" "$WORK/.t/after" >&2 || fail "ferry $*: left something behind"
}

# --- 2: the command line itself -------------------------------------------
for cmd in fetch make-torrent seed pack unpack list verify push pull save restore; do
  expect 2 "^ferry: $cmd: unknown option '--bogus' \(see 'ferry $cmd --help'\)$" "$cmd" --bogus
done
expect 2 "^ferry: unknown option '--jsn' \(did you mean '--json'\?\)$" --jsn list "$WORK/ws.tar.zst"
expect 2 "^ferry: unpack: missing ARCHIVE \(see 'ferry unpack --help'\)$" unpack
expect 2 "^ferry: --color: 'bogus' is not auto, always or never$" list "$WORK/ws.tar.zst" --color bogus
expect 2 "^ferry: --max-down: '3G' is more than 2G, the largest limit libtorrent takes \(0 = unlimited\)$" \
  fetch "$WORK/ws.torrent" -o "$WORK/never" --max-down 3G "${net[@]}"
expect 2 "^ferry: --max-up: '2049M' is more than 2G, " seed "$WORK/ws.torrent" -d "$WORK" --max-up 2049M "${snet[@]}"
expect 2 "^ferry: --peer: '127.0.0.1:99999': port 99999 is out of range \(1-65535\)$" \
  fetch "$WORK/ws.torrent" -o "$WORK/never" --peer 127.0.0.1:99999 "${net[@]}"
expect 2 "^ferry: --peer: 'nocolon' is not HOST:PORT$" fetch "$WORK/ws.torrent" -o "$WORK/never" --peer nocolon "${net[@]}"
expect 2 "^ferry: pack: -o: $WORK/adir is a directory" pack "$WORK/ws" -o "$WORK/adir"
expect 2 "^ferry: make-torrent: -o: $WORK/adir is a directory" make-torrent "$WORK/ws" -o "$WORK/adir"

# --- 1: missing inputs, outputs with no directory, hosts that do not resolve
nf="No such file or directory"
expect 1 "^ferry: $M.torrent: not a magnet link, URL or .torrent file: $nf$" fetch "$M.torrent" -o "$WORK/never" "${net[@]}"
expect 1 "^ferry: $M.torrent: not a magnet link, URL or .torrent file: $nf$" seed "$M.torrent" -d "$WORK" "${snet[@]}"
expect 1 "^ferry: $M: $nf$" seed "$WORK/ws.torrent" -d "$M" "${snet[@]}"
expect 1 "^ferry: $M: $nf$" make-torrent "$M" -o "$WORK/m.torrent"
expect 1 "^ferry: $M: $nf$" pack "$M"
expect 1 "^ferry: $M: $nf$" pack "$M" -o "$WORK/m.tar.zst"
expect 1 "^ferry: $M: $nf$" pack "$WORK/ws" -o "$WORK/m.tar.zst" --exclude-from "$M"
expect 1 "^ferry: $M: $nf$" save "$M" "file://$WORK/m.tar.zst"
expect 1 "^ferry: $M.tar.zst: $nf$" unpack "$M.tar.zst" -C "$WORK/never"
expect 1 "^ferry: $M.tar.zst: $nf$" list "$M.tar.zst"
expect 1 "^ferry: $M.tar.zst: $nf$" verify "$M.tar.zst"
expect 1 "^ferry: $M.tar.zst: $nf$" push "$M.tar.zst" "file://$WORK/m.tar.zst"
expect 1 "^ferry: $M.tar.zst: no such object$" pull "file://$M.tar.zst" -o "$WORK/m.tar.zst"
expect 1 "^ferry: $M.tar.zst: no such object$" restore "file://$M.tar.zst" "$WORK/never"
expect 1 "^ferry: $M/x.tar.zst: $nf$" pack "$WORK/ws" -o "$M/x.tar.zst"
expect 1 "^ferry: $M/x.torrent: $nf$" make-torrent "$WORK/ws" -o "$M/x.torrent"
expect 1 "^ferry: $M/x.tar.zst: $nf$" pull "file://$WORK/ws.tar.zst" -o "$M/x.tar.zst"
# a --peer host that does not resolve is a network failure; looked up in a
# network namespace of our own, so the lookup never leaves this machine
if unshare -n true 2>/dev/null; then
  printf '#!/bin/sh\nexec unshare -n "%s" "$@"\n' "$FERRY" >"$WORK/.t/ferry-netns"
  chmod +x "$WORK/.t/ferry-netns"
  real=$FERRY FERRY="$WORK/.t/ferry-netns"
  expect 1 "^ferry: --peer: nosuchhost.invalid:6881: cannot resolve the host: " \
    fetch "$WORK/ws.torrent" -o "$WORK/never" --peer nosuchhost.invalid:6881 "${net[@]}"
  expect 1 "^ferry: --peer: nosuchhost.invalid:6881: cannot resolve the host: " \
    seed "$WORK/ws.torrent" -d "$WORK" --peer nosuchhost.invalid:6881 "${snet[@]}"
  FERRY=$real
else
  echo "note: no unshare -n, the --peer lookup row is skipped" >&2
fi

# --- 3: there, but the wrong kind, or malformed -----------------------------
expect 3 "^ferry: $WORK/adir: is a directory$" fetch "$WORK/adir" -o "$WORK/never" "${net[@]}"
expect 3 "^ferry: $WORK/adir: is a directory$" unpack "$WORK/adir" -C "$WORK/never"
expect 3 "^ferry: $WORK/adir: is a directory$" list "$WORK/adir"
expect 3 "^ferry: $WORK/adir: is a directory$" verify "$WORK/adir"
expect 3 "^ferry: $WORK/adir: not a regular file$" push "$WORK/adir" "file://$WORK/m"
expect 3 "^ferry: $WORK/afile: not a directory$" pack "$WORK/afile"
expect 3 "^ferry: $WORK/afile: not a directory$" save "$WORK/afile" "file://$WORK/m.tar.zst"
expect 3 "^ferry: $WORK/afile: not a directory$" seed "$WORK/ws.torrent" -d "$WORK/afile" "${snet[@]}"
expect 3 "^ferry: $WORK/afile: not a valid .torrent" fetch "$WORK/afile" -o "$WORK/never" "${net[@]}"
expect 3 "^ferry: $M: not a URL \(use file://$M for a local file\)$" pull "$M"
expect 3 "^ferry: missing: not a URL \(s3://, http\(s\)://, sftp://, file://\)$" pull missing -o "$WORK/m"

# 2G itself is taken (libtorrent's int: one byte/s less); --list needs no peer
run_ferry fetch "$WORK/ws.torrent" --list --max-down 2G --max-up 2G -o "$WORK/never" "${net[@]}"
assert_exit 0
grep -q 'a.txt' "$WORK/out" || fail "fetch --list printed no file"
exit 0
