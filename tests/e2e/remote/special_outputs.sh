#!/usr/bin/env bash
# SPEC: an output that is a device, FIFO or socket is written into
# directly, never replaced by a .part and a rename.  pull -o NODE takes the
# bytes in order (ranged GETs arrive out of order and a FIFO cannot seek),
# for HTTP and file:// sources; push FILE file://NODE writes into the
# node.  The nodes are made here (never the real /dev/null) and are still
# nodes afterwards.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
[ "$(id -u)" -eq 0 ] || skip "mknod needs root"
head -c 700000 /dev/urandom >"$WORK/f.bin"   # 11 chunks of 64 KiB
mkdir -p "$WORK/www"
cp "$WORK/f.bin" "$WORK/www/f.bin"
start_http web "$WORK/www"
mknod "$WORK/null" c 1 3 || skip "cannot mknod"
mkfifo "$WORK/fifo"

# read_fifo OUT: a reader on $WORK/fifo, in the background, into OUT
read_fifo() {
  start_bg "cat-$(basename "$1")" sh -c 'exec cat "$1" >"$2"' sh "$WORK/fifo" "$1"
  READER=$BG_PID
}
# nodes_intact: the nodes are still what they were, nothing beside them
nodes_intact() {
  [ -c "$WORK/null" ] || fail "$1: $WORK/null is no longer a character device"
  [ -p "$WORK/fifo" ] || fail "$1: $WORK/fifo is no longer a FIFO"
  [ ! -e "$WORK/null.part" ] && [ ! -e "$WORK/fifo.part" ] || fail "$1: a .part was made"
}

run_ferry pull "${HTTP_URL}f.bin" -o "$WORK/null"
assert_exit 0
nodes_intact "pull -o chardev"

read_fifo "$WORK/pulled.bin"
run_ferry pull "${HTTP_URL}f.bin" -o "$WORK/fifo"
assert_exit 0
wait_for 10 bash -c "! kill -0 $READER" || fail "the FIFO reader did not see the end"
cmp "$WORK/f.bin" "$WORK/pulled.bin" || fail "pull -o FIFO delivered other bytes"
nodes_intact "pull -o FIFO"

read_fifo "$WORK/pulled2.bin"
run_ferry pull "file://$WORK/f.bin" -o "$WORK/fifo"
assert_exit 0
wait_for 10 bash -c "! kill -0 $READER" || fail "the FIFO reader did not see the end"
cmp "$WORK/f.bin" "$WORK/pulled2.bin" || fail "pull file:// -o FIFO delivered other bytes"
nodes_intact "pull file:// -o FIFO"

run_ferry push "$WORK/f.bin" "file://$WORK/null"
assert_exit 0
nodes_intact "push file://chardev"

read_fifo "$WORK/pushed.bin"
run_ferry push "$WORK/f.bin" "file://$WORK/fifo"
assert_exit 0
wait_for 10 bash -c "! kill -0 $READER" || fail "the FIFO reader did not see the end"
cmp "$WORK/f.bin" "$WORK/pushed.bin" || fail "push file://FIFO delivered other bytes"
nodes_intact "push file://FIFO"

# a missing object touches no node (and makes no .part beside it)
run_ferry pull "${HTTP_URL}none.bin" -o "$WORK/null"
assert_exit 1
assert_one_error_line 'no such object'
nodes_intact "pull of a missing object"
exit 0
