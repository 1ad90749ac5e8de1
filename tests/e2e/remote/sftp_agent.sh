#!/usr/bin/env bash
# SFTP logs in with the SSH agent (SSH_AUTH_SOCK) as ssh does, even when a
# ~/.ssh/id_ed25519 exists that the server does not accept: the key the
# server knows is only in an ssh-agent started here.  Without the agent
# the login is denied, and the one error line says what was tried.
# --ssh-key FILE adds the agent too, as ssh -i does.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
need ssh-agent ssh-add
unset SSH_AUTH_SOCK SSH_AGENT_PID FERRY_SSH_KEY_PASSPHRASE
start_sshd
mkdir -p "$WORK/remote"
head -c 300000 /dev/urandom >"$WORK/f.bin"
H=$SSH_HOME

# the authorized key goes into the agent and leaves ~/.ssh; a key the
# server does not know takes its place as ~/.ssh/id_ed25519
mkdir -p "$WORK/keys"
mv "$H/.ssh/id_ed25519" "$WORK/keys/good"
mv "$H/.ssh/id_ed25519.pub" "$WORK/keys/good.pub"
ssh-keygen -q -t ed25519 -N '' -C unauthorized -f "$H/.ssh/id_ed25519" || fail "ssh-keygen"
start_bg agent ssh-agent -D -a "$WORK/agent.sock"
wait_for 10 test -S "$WORK/agent.sock" || fail "ssh-agent did not start: $(cat "$WORK/agent.log")"
SSH_AUTH_SOCK="$WORK/agent.sock" ssh-add "$WORK/keys/good" 2>"$WORK/ssh-add.log" || fail "ssh-add: $(cat "$WORK/ssh-add.log")"
rm "$WORK/keys/good"

# no agent: the only key is refused, and the message names it
HOME=$H run_ferry push --retries 0 "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 1
assert_one_error_line "login denied for user '$(id -un)': $H/.ssh/id_ed25519: not accepted"
[ ! -e "$WORK/remote/f.bin" ] && [ ! -e "$WORK/remote/f.bin.part" ] || fail "denied login wrote data"

# the agent: push, pull, save and restore log in with its key
export SSH_AUTH_SOCK="$WORK/agent.sock"
HOME=$H run_ferry push "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/remote/f.bin" || fail "pushed file differs"
HOME=$H run_ferry pull "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pulled file differs"
make_workspace "$WORK/ws" 1
HOME=$H run_ferry save "$WORK/ws" "$SFTP_BASE$WORK/remote/ws.tar.zst"
assert_exit 0
HOME=$H run_ferry restore "$SFTP_BASE$WORK/remote/ws.tar.zst" "$WORK/back"
assert_exit 0
same_workspace "$WORK/ws" "$WORK/back" || fail "restored tree differs"

# no key file at all: the agent alone
mkdir -p "$WORK/home2/.ssh"
cp "$H/.ssh/known_hosts" "$WORK/home2/.ssh/"
HOME=$WORK/home2 run_ferry pull "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/a.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/a.bin" || fail "pulled file differs (agent alone)"

# --ssh-key with a key the server refuses: the agent is still tried
HOME=$H run_ferry pull --ssh-key "$H/.ssh/id_ed25519" "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/h.bin" || fail "pulled file differs (--ssh-key)"

# an agent without the key: both are named in the error
SSH_AUTH_SOCK="$WORK/agent.sock" ssh-add -D 2>/dev/null || fail "ssh-add -D"
HOME=$H run_ferry pull --retries 0 "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/i.bin"
assert_exit 1
assert_one_error_line "login denied for user '$(id -un)': the agent: none of its keys accepted; $H/.ssh/id_ed25519: not accepted"
[ ! -e "$WORK/i.bin" ] || fail "denied pull created its output"
exit 0
