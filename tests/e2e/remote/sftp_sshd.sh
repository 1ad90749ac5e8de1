#!/usr/bin/env bash
# push/pull/save/restore over SFTP to OpenSSH's sshd with a key made here:
# uploads go to PATH.part and are renamed (also over an existing file); an
# unknown host is refused (exit 4) unless --insecure-host.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_sshd
mkdir -p "$WORK/remote"
head -c 700000 /dev/urandom >"$WORK/f.bin"

HOME=$SSH_HOME run_ferry push "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/remote/f.bin" || fail "pushed file differs"
[ ! -e "$WORK/remote/f.bin.part" ] || fail ".part left behind"
head -c 5000 /dev/urandom >"$WORK/f2.bin"
HOME=$SSH_HOME run_ferry push "$WORK/f2.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 0
cmp "$WORK/f2.bin" "$WORK/remote/f.bin" || fail "overwrite failed"
HOME=$SSH_HOME run_ferry push "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 0

HOME=$SSH_HOME run_ferry pull "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pulled file differs"

make_workspace "$WORK/ws" 1
HOME=$SSH_HOME run_ferry save "$WORK/ws" "$SFTP_BASE$WORK/remote/ws.tar.zst"
assert_exit 0
HOME=$SSH_HOME run_ferry restore "$SFTP_BASE$WORK/remote/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restored tree differs"

HOME=$SSH_HOME run_ferry pull "$SFTP_BASE$WORK/remote/none.bin" -o "$WORK/x"
assert_exit 1
assert_one_error_line 'no such object'

# unknown host: refused, nothing written; --insecure-host accepts it
mv "$SSH_HOME/.ssh/known_hosts" "$SSH_HOME/.ssh/known_hosts.off"
HOME=$SSH_HOME run_ferry push "$WORK/f.bin" "$SFTP_BASE$WORK/remote/new.bin"
assert_exit 4
assert_one_error_line 'unknown host: its key is not in .*known_hosts'
[ ! -e "$WORK/remote/new.bin" ] && [ ! -e "$WORK/remote/new.bin.part" ] || fail "refused host got data"
HOME=$SSH_HOME run_ferry push --insecure-host "$WORK/f.bin" "$SFTP_BASE$WORK/remote/new.bin"
assert_exit 0
# a changed host key: refused even with --insecure-host
echo "[127.0.0.1]:$SSHD_PORT $(ssh-keygen -q -t ed25519 -N '' -f "$WORK/other" >/dev/null && cut -d' ' -f1,2 "$WORK/other.pub")" >"$SSH_HOME/.ssh/known_hosts"
HOME=$SSH_HOME run_ferry pull --insecure-host "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 4
assert_one_error_line 'host key does not match'
exit 0
