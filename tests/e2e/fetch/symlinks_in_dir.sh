#!/usr/bin/env bash
# -o DIR may hold what an earlier session left (a restored workspace): a
# symlink there must never carry fetch's writes out of DIR.  A symlinked
# top directory, subdirectory, file or state directory (.ferry), or a FIFO
# in a file's place, is refused with exit 4 before anything is written, and
# the link targets stay untouched.  A torrent whose top directory is named
# .ferry (fetch's own state directory) is refused too.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 1 3
: >"$WORK/src/bundle/sub/empty"  # libtorrent makes empty files as it checks
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
magnet=$(cat "$WORK/out")
start_seed "$WORK/b.torrent" "$WORK/src"

# attempt LABEL PATTERN [SOURCE]: fetch SOURCE (default the .torrent) into $WORK/dst-LABEL (prepared by the caller)
# must exit 4 with one error line matching PATTERN, outside stays as it was.
attempt() {
  local label=$1 pattern=$2 source=${3:-$WORK/b.torrent} before
  before=$(tree_snapshot "$WORK/outside"; cat "$WORK/outside/target")
  run_ferry fetch "$source" -o "$WORK/dst-$label" --peer "127.0.0.1:$SEED_PORT" \
    --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 10 --timeout 30
  [ "$RC" -eq 4 ] || { cat "$WORK/err" >&2; fail "$label: expected exit 4, got $RC"; }
  assert_one_error_line "$pattern"
  [ "$(tree_snapshot "$WORK/outside"; cat "$WORK/outside/target")" = "$before" ] \
    || fail "$label: fetch changed the directory a symlink points at: $(find "$WORK/outside")"
}

mkdir -p "$WORK/outside"
echo keep >"$WORK/outside/target"

mkdir -p "$WORK/dst-top"
ln -s "$WORK/outside" "$WORK/dst-top/bundle"
attempt top '^ferry: .*dst-top/bundle: is a symlink'

# by magnet: the paths are checked when the metadata arrives, before any write
mkdir -p "$WORK/dst-magnet/bundle"
ln -s "$WORK/outside" "$WORK/dst-magnet/bundle/sub"
attempt magnet '^ferry: .*dst-magnet/bundle/sub(/empty)?: is (or passes through )?a symlink' "$magnet"

mkdir -p "$WORK/dst-sub/bundle"
ln -s "$WORK/outside" "$WORK/dst-sub/bundle/sub"
attempt sub '^ferry: .*dst-sub/bundle/sub: is a symlink'

mkdir -p "$WORK/dst-file/bundle"
ln -s "$WORK/outside/target" "$WORK/dst-file/bundle/file0.bin"
attempt file '^ferry: .*dst-file/bundle/file0.bin: is a symlink'

mkdir -p "$WORK/dst-state"
ln -s "$WORK/outside" "$WORK/dst-state/.ferry"
attempt state '^ferry: .*dst-state/.ferry: is a symlink'

mkdir -p "$WORK/dst-fifo/bundle"
mkfifo "$WORK/dst-fifo/bundle/file0.bin"
attempt fifo '^ferry: .*dst-fifo/bundle/file0.bin: exists and is not a regular file'
[ -p "$WORK/dst-fifo/bundle/file0.bin" ] || fail "the FIFO was replaced"

# the same DIR without the link fetches fine (the checks are not over-eager)
rm "$WORK/dst-sub/bundle/sub"
run_ferry fetch "$WORK/b.torrent" -o "$WORK/dst-sub" --peer "127.0.0.1:$SEED_PORT" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 60
assert_exit 0
same_tree "$WORK/src" "$WORK/dst-sub" || fail "files differ"
stop_bg "$SEED_PID"

# a torrent named .ferry would write into fetch's state directory
tag="ferry-state-$$"
bt craft "$WORK/state.torrent" "$WORK/c-state" 16384 .ferry "$tag.resume" "x/$tag" >/dev/null
run_ferry fetch "$WORK/state.torrent" -o "$WORK/dst-named" --listen 127.0.0.1:0 \
  "${LOOPBACK_FLAGS[@]}" --stall-timeout 5 --timeout 20
assert_exit 4
assert_one_error_line "^ferry: .*\.ferry/$tag.*state directory"
[ -z "$(find "$WORK/dst-named" -name "*$tag*")" ] || fail "the .ferry torrent wrote into DIR"
bt craft1 "$WORK/state1.torrent" "$WORK/c-state1" 16384 .ferry >/dev/null
run_ferry fetch "$WORK/state1.torrent" -o "$WORK/dst-named1" --listen 127.0.0.1:0 \
  "${LOOPBACK_FLAGS[@]}" --stall-timeout 5 --timeout 20
assert_exit 4
assert_one_error_line '^ferry: \.ferry: the torrent writes into \.ferry/'
exit 0
