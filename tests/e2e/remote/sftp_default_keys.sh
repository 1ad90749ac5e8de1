#!/usr/bin/env bash
# With no agent and no --ssh-key, SFTP tries every default key in ssh's
# order (~/.ssh/id_rsa, id_ecdsa, id_ed25519, id_dsa), one connection
# each, until the server accepts one: here only the second, id_ecdsa.
# -v names each key given up on; --retries is not used up by them.  With
# none accepted, the error lists every key tried.  The same holds when
# the list comes from ssh -G (a ~/.ssh/config exists).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
unset SSH_AUTH_SOCK SSH_AGENT_PID FERRY_SSH_KEY_PASSPHRASE
start_sshd
mkdir -p "$WORK/remote"
head -c 200000 /dev/urandom >"$WORK/f.bin"
H=$SSH_HOME
rm "$H/.ssh/id_ed25519" "$H/.ssh/id_ed25519.pub"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$H/.ssh/id_rsa" || fail "ssh-keygen rsa"
ssh-keygen -q -t ecdsa -N '' -f "$H/.ssh/id_ecdsa" || fail "ssh-keygen ecdsa"
ssh-keygen -q -t ed25519 -N '' -f "$H/.ssh/id_ed25519" || fail "ssh-keygen ed25519"
cp "$H/.ssh/id_ecdsa.pub" "$WORK/sshd/authorized_keys"

for how in "defaults" "ssh -G"; do
  if [ "$how" = "ssh -G" ]; then
    command -v ssh >/dev/null || break
    printf 'Host *\n  ServerAliveInterval 30\n' >"$H/.ssh/config"
    chmod 600 "$H/.ssh/config"
  fi
  HOME=$H run_ferry -v push --retries 0 "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
  assert_exit 0
  cmp "$WORK/f.bin" "$WORK/remote/f.bin" || fail "$how: pushed file differs"
  grep -q "login denied ($H/.ssh/id_rsa: not accepted); trying $H/.ssh/id_ecdsa" "$WORK/err" || { cat "$WORK/err" >&2; fail "$how: -v does not say id_rsa was given up"; }
  grep -q "trying $H/.ssh/id_ed25519" "$WORK/err" && fail "$how: tried a key after the accepted one"
  grep -q "^pushed .* 0 retried)" "$WORK/err" || { cat "$WORK/err" >&2; fail "$how: a key given up on counted as a retry"; }
  rm "$WORK/remote/f.bin"
  HOME=$H run_ferry pull --retries 0 "$SFTP_BASE$WORK/remote/none.bin" -o "$WORK/x.bin"
  assert_exit 1
  assert_one_error_line "no such object"
done

# none accepted: every key is named, in order
ssh-keygen -q -t ed25519 -N '' -f "$WORK/other" || fail "ssh-keygen"
cp "$WORK/other.pub" "$WORK/sshd/authorized_keys"
HOME=$H run_ferry push "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 1
assert_one_error_line "login denied for user '$(id -un)': $H/.ssh/id_rsa: not accepted; $H/.ssh/id_ecdsa: not accepted; $H/.ssh/id_ed25519: not accepted$"
grep -q 'retried\|retrying' "$WORK/err" && fail "a denied login was retried"
exit 0
