#!/usr/bin/env bash
# --header values never follow a redirect to another host: libcurl strips
# only Authorization and Cookie, so an X-Api-Key would reach whatever host
# a 302 names.  With --header, pull and restore follow a redirect only to
# the same scheme, host and port, and refuse another (exit 4, "redirected
# to another host") before a request reaches it.  Without --header, and to
# the same origin, redirects are followed as before.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
head -c 300000 /dev/urandom >"$WORK/f.bin"
make_workspace "$WORK/ws" 1
run_ferry pack "$WORK/ws" -o "$WORK/ws.tar.zst"
assert_exit 0
key='X-Api-Key: K3Y-S3CR3T'

# B serves the data and logs the headers it sees; A 302s everything to B
start_hostile other serve "$WORK/f.bin"
other=$HOSTILE_URL
start_hostile other-ws serve "$WORK/ws.tar.zst"
other_ws=$HOSTILE_URL
start_hostile redir redirect "$other"
redir=$HOSTILE_URL
start_hostile redir-ws redirect "$other_ws"
redir_ws=$HOSTILE_URL

run_ferry pull "$redir/f.bin" -o "$WORK/g.bin" --header "$key"
assert_exit 4
assert_one_error_line "^ferry: $redir/f.bin: redirected to another host \($other/moved/f.bin\): refused"
[ ! -e "$WORK/g.bin" ] && [ ! -e "$WORK/g.bin.part" ] || fail "refused pull left a file"
run_ferry restore "$redir_ws/ws.tar.zst" "$WORK/back" --header "$key"
assert_exit 4
assert_one_error_line "redirected to another host"
[ ! -e "$WORK/back" ] || fail "refused restore created DIR"
grep -q 'K3Y-S3CR3T' "$WORK/redir.log" || fail "the first host did not get the header (test broken)"
! grep -q 'K3Y-S3CR3T' "$WORK/other.log" "$WORK/other-ws.log" || fail "the header reached another host: $(cat "$WORK/other.log")"
! grep -q '"method"' "$WORK/other.log" || fail "a request reached the other host"

# no --header: redirects are followed
run_ferry pull "$redir/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "redirected pull differs"
run_ferry restore "$redir_ws/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "redirected restore differs"

# the same origin: followed with the header
start_hostile self redirect self "$WORK/f.bin"
run_ferry pull "$HOSTILE_URL/f.bin" -o "$WORK/h.bin" --header "$key"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/h.bin" || fail "same-origin redirected pull differs"
grep '"/moved/f.bin"' "$WORK/self.log" | grep -q 'K3Y-S3CR3T' || fail "the header did not follow a same-origin redirect"
exit 0
