#!/usr/bin/env bash
# SFTP host keys are checked even without HOME (systemd units, cron,
# cloud-init): known_hosts comes from the passwd entry's home, and an
# unknown host is refused (exit 4) there too; --known-hosts FILE names the
# file to trust instead (and lets a run without HOME succeed); a user with
# no home directory at all is refused before anything connects.  Nothing
# here reads or writes the real ~/.ssh beyond looking up the passwd home.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_sshd
mkdir -p "$WORK/remote"
head -c 300000 /dev/urandom >"$WORK/f.bin"
key=(--ssh-key "$SSH_HOME/.ssh/id_ed25519")
pw_home=$(getent passwd "$(id -u)" | cut -d: -f6)
[ -n "$pw_home" ] || skip "no passwd entry for uid $(id -u)"

# no HOME: the passwd home's known_hosts does not hold this test's host
# key, so the host is unknown (or, if that file has an old key for this
# port, changed): refused either way, nothing written
for unset_home in "env -u HOME" "env HOME="; do
  RC=0
  $unset_home "$FERRY" push "${key[@]}" "$WORK/f.bin" "$SFTP_BASE$WORK/remote/a.bin" >"$WORK/out" 2>"$WORK/err" || RC=$?
  assert_exit 4
  assert_one_error_line "^ferry: $SFTP_BASE$WORK/remote/a.bin: (unknown host: its key is not in|the host key does not match) $pw_home/.ssh/known_hosts"
  [ ! -e "$WORK/remote/a.bin" ] && [ ! -e "$WORK/remote/a.bin.part" ] || fail "$unset_home: an unchecked host got data"
done
RC=0
env -u HOME "$FERRY" pull "${key[@]}" "$SFTP_BASE$WORK/remote/none.bin" -o "$WORK/x.bin" >"$WORK/out" 2>"$WORK/err" || RC=$?
assert_exit 4
[ ! -e "$WORK/x.bin" ] || fail "refused pull created its output"

# --known-hosts FILE with this sshd's key: accepted without HOME
RC=0
env -u HOME "$FERRY" push "${key[@]}" --known-hosts "$SSH_HOME/.ssh/known_hosts" "$WORK/f.bin" "$SFTP_BASE$WORK/remote/a.bin" >"$WORK/out" 2>"$WORK/err" || RC=$?
assert_exit 0
cmp "$WORK/f.bin" "$WORK/remote/a.bin" || fail "pushed file differs"
RC=0
env -u HOME "$FERRY" pull "${key[@]}" --known-hosts "$SSH_HOME/.ssh/known_hosts" "$SFTP_BASE$WORK/remote/a.bin" -o "$WORK/b.bin" >"$WORK/out" 2>"$WORK/err" || RC=$?
assert_exit 0
cmp "$WORK/f.bin" "$WORK/b.bin" || fail "pulled file differs"

# --known-hosts wins over HOME's file, and one without this host refuses it
: >"$WORK/empty_known_hosts"
HOME=$SSH_HOME run_ferry push --known-hosts "$WORK/empty_known_hosts" "$WORK/f.bin" "$SFTP_BASE$WORK/remote/c.bin"
assert_exit 4
assert_one_error_line "unknown host: its key is not in $WORK/empty_known_hosts"
[ ! -e "$WORK/remote/c.bin" ] || fail "unknown host got data"
HOME=$SSH_HOME run_ferry push --known-hosts "$WORK/none" "$WORK/f.bin" "$SFTP_BASE$WORK/remote/c.bin"
assert_exit 1
assert_one_error_line "^ferry: --known-hosts $WORK/none: No such file or directory$"

# a user without a passwd entry and without HOME: nothing to check the host
# against, refused before connecting (unless --insecure-host)
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ] && ! getent passwd 54321 >/dev/null; then
  chmod 755 "$WORK"
  n_before=$(grep -c 'Connection from\|Accepted\|preauth' "$WORK/sshd.log" || true)
  RC=0
  setpriv --reuid 54321 --regid 54321 --clear-groups env -u HOME -u USER \
    "$FERRY" push --ssh-key "$WORK/no-key" "$WORK/f.bin" "$SFTP_BASE$WORK/remote/d.bin" >"$WORK/out" 2>"$WORK/err" || RC=$?
  assert_exit 4
  assert_one_error_line "^ferry: $SFTP_BASE$WORK/remote/d.bin: cannot check the host key: no known_hosts file"
  n_after=$(grep -c 'Connection from\|Accepted\|preauth' "$WORK/sshd.log" || true)
  [ "$n_before" = "$n_after" ] || fail "connected to the host before refusing"
fi
exit 0
