#!/usr/bin/env bash
# SPEC: an output that exists and is a device, FIFO or socket is written
# into directly, never replaced (`-o /dev/null` must not destroy
# /dev/null).  pack and make-torrent are pointed at a character device and
# a FIFO made here (never the real /dev/null): the nodes survive, the FIFO's
# reader gets a complete archive / torrent, and no .part is left.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/ws/sub"
echo hello >"$WORK/ws/a.txt"
head -c 100000 /dev/urandom >"$WORK/ws/sub/b.bin"
mknod -m 666 "$WORK/null" c 1 3 2>/dev/null || skip "cannot mknod (not root?)"
mkfifo "$WORK/fifo"

is_null_dev() { [ -c "$1" ] && [ "$(stat -c %t:%T "$1")" = 1:3 ]; }

run_ferry pack "$WORK/ws" -o "$WORK/null" --format tar.zst
assert_exit 0
is_null_dev "$WORK/null" || fail "pack replaced the character device: $(ls -l "$WORK/null")"
[ ! -e "$WORK/null.part" ] || fail "pack left null.part"

run_ferry make-torrent "$WORK/ws" -o "$WORK/null"
assert_exit 0
is_null_dev "$WORK/null" || fail "make-torrent replaced the character device"
[ ! -e "$WORK/null.part" ] || fail "make-torrent left null.part"

# a symlink to the device is written through, not replaced
ln -s "$WORK/null" "$WORK/link.tar.zst"
run_ferry pack "$WORK/ws" -o "$WORK/link.tar.zst"
assert_exit 0
[ -L "$WORK/link.tar.zst" ] || fail "pack replaced a symlink to a device"
is_null_dev "$WORK/null" || fail "the device behind the link was replaced"

# FIFO: a reader started here receives the whole archive
timeout 60 cat "$WORK/fifo" >"$WORK/from-fifo.tar.zst" &
reader=$!
run_ferry pack "$WORK/ws" -o "$WORK/fifo" --format tar.zst
assert_exit 0
wait "$reader" || fail "the FIFO reader failed"
[ -p "$WORK/fifo" ] || fail "pack replaced the FIFO"
[ ! -e "$WORK/fifo.part" ] || fail "pack left fifo.part"
run_ferry verify "$WORK/from-fifo.tar.zst"
assert_exit 0

timeout 60 cat "$WORK/fifo" >"$WORK/from-fifo.torrent" &
reader=$!
run_ferry make-torrent "$WORK/ws" -o "$WORK/fifo"
assert_exit 0
wait "$reader" || fail "the FIFO reader failed"
[ -p "$WORK/fifo" ] || fail "make-torrent replaced the FIFO"
[ "$(bt infohash "$WORK/from-fifo.torrent")" = "$(sed -n 's/.*btih:\([0-9a-f]*\).*/\1/p' "$WORK/out")" ] \
  || fail "the torrent read from the FIFO does not match the magnet link"

# a directory as output is an error, not a rename over it
mkdir "$WORK/adir"
run_ferry pack "$WORK/ws" -o "$WORK/adir" --format tar.zst
[ "$RC" -ne 0 ] || fail "pack -o DIRECTORY succeeded"
[ -d "$WORK/adir" ] || fail "the directory was replaced"
exit 0
