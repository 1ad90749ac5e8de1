#!/usr/bin/env bash
# sftp://ALIAS/PATH goes where ~/.ssh/config sends ssh: HostName, Port, User
# and IdentityFile of a Host alias, read through `ssh -G` (OpenSSH's own
# parser).  The URL's own user and port win over the config's.  A host
# that could pass for an option never reaches ssh; ProxyJump, which ferry
# cannot follow, is a warning.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need ssh
unset SSH_AUTH_SOCK SSH_AGENT_PID FERRY_SSH_KEY_PASSPHRASE
start_sshd
mkdir -p "$WORK/remote"
head -c 200000 /dev/urandom >"$WORK/f.bin"
H=$SSH_HOME
me=$(id -un)
# the accepted key under a name ssh would not try by itself
mkdir -p "$WORK/keys"
mv "$H/.ssh/id_ed25519" "$WORK/keys/vm_key"
mv "$H/.ssh/id_ed25519.pub" "$WORK/keys/vm_key.pub"
cat >"$H/.ssh/config" <<CONF
Host myvm
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $me
  IdentityFile $WORK/keys/vm_key
Host wrongport
  HostName 127.0.0.1
  Port 1
  User $me
  IdentityFile $WORK/keys/vm_key
Host jumpvm
  HostName 127.0.0.1
  Port $SSHD_PORT
  User $me
  IdentityFile $WORK/keys/vm_key
  ProxyJump nobody@bastion.invalid
Host nobodyvm
  HostName 127.0.0.1
  Port $SSHD_PORT
  User nobody-$$
  IdentityFile $WORK/keys/vm_key
CONF
chmod 600 "$H/.ssh/config"

HOME=$H run_ferry push "$WORK/f.bin" "sftp://myvm$WORK/remote/f.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/remote/f.bin" || fail "pushed file differs"
HOME=$H run_ferry pull "sftp://myvm$WORK/remote/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pulled file differs"
make_workspace "$WORK/ws" 1
HOME=$H run_ferry save "$WORK/ws" "sftp://myvm$WORK/remote/ws.tar.zst"
assert_exit 0
HOME=$H run_ferry restore "sftp://myvm$WORK/remote/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restored tree differs"

# the URL's port and user win over the config's
HOME=$H run_ferry pull "sftp://wrongport:$SSHD_PORT$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/h.bin" || fail "pulled file differs (URL port)"
HOME=$H run_ferry pull "sftp://$me@nobodyvm$WORK/remote/f.bin" -o "$WORK/i.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/i.bin" || fail "pulled file differs (URL user)"
HOME=$H run_ferry pull --retries 0 "sftp://nobodyvm$WORK/remote/f.bin" -o "$WORK/j.bin"
assert_exit 1
assert_one_error_line "login denied for user 'nobody-$$'"

# ProxyJump: a warning, then straight to HostName
HOME=$H run_ferry pull "sftp://jumpvm$WORK/remote/f.bin" -o "$WORK/k.bin"
assert_exit 0
grep -q "^ferry: warning: sftp://jumpvm$WORK/remote/f.bin: the ssh config sets ProxyJump or ProxyCommand, which ferry cannot follow: connecting straight to 127.0.0.1" "$WORK/err" \
  || { cat "$WORK/err" >&2; fail "no ProxyJump warning"; }

# a broken config: a warning naming ssh's complaint, then the URL as given
cp "$H/.ssh/config" "$WORK/config.good"
printf 'Host broken\n  NoSuchOption yes\n' >>"$H/.ssh/config"
HOME=$H run_ferry pull "sftp://$me@127.0.0.1:$SSHD_PORT$WORK/remote/f.bin" -o "$WORK/l.bin" --ssh-key "$WORK/keys/vm_key"
assert_exit 0
grep -q "^ferry: warning: .*ssh -G 127.0.0.1: exit 255: .*Bad configuration option: nosuchoption; using the URL as given" "$WORK/err" \
  || { cat "$WORK/err" >&2; fail "no warning for a broken config"; }
cp "$WORK/config.good" "$H/.ssh/config"

# without ssh on PATH the alias means nothing, and a plain URL still works
HOME=$H PATH=/nonexistent run_ferry pull --ssh-key "$WORK/keys/vm_key" "sftp://$me@127.0.0.1:$SSHD_PORT$WORK/remote/f.bin" -o "$WORK/m.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/m.bin" || fail "pulled file differs (no ssh)"
exit 0
