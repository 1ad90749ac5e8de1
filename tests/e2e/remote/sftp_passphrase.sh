#!/usr/bin/env bash
# An encrypted SSH key opens with its passphrase from FERRY_SSH_KEY_PASSPHRASE
# or from --ssh-key-passphrase-file FILE (its first line; a pipe works; a
# file others may read is refused, exit 4).  A wrong or missing passphrase
# is one clear error line, and the passphrase is never printed (not with
# -v, not in --json events).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
unset SSH_AUTH_SOCK SSH_AGENT_PID FERRY_SSH_KEY_PASSPHRASE
start_sshd
mkdir -p "$WORK/remote"
head -c 200000 /dev/urandom >"$WORK/f.bin"
H=$SSH_HOME
PASS='s3cr3t-Pass phrase'
WRONG='wr0ng-Pass phrase'
# the user's key, encrypted
ssh-keygen -q -p -P '' -N "$PASS" -f "$H/.ssh/id_ed25519" >/dev/null || fail "ssh-keygen -p"

no_secret() {
  ! grep -qF -e "$PASS" -e "$WRONG" "$WORK/err" "$WORK/out" || { cat "$WORK/err" >&2; fail "a passphrase was printed"; }
}

# from the environment
HOME=$H FERRY_SSH_KEY_PASSPHRASE=$PASS run_ferry -v push "$WORK/f.bin" "$SFTP_BASE$WORK/remote/f.bin"
assert_exit 0
no_secret
cmp "$WORK/f.bin" "$WORK/remote/f.bin" || fail "pushed file differs"

# from a private file (first line only), and from a pipe
printf '%s\nsecond line\n' "$PASS" >"$WORK/pass"
chmod 600 "$WORK/pass"
HOME=$H run_ferry pull --ssh-key-passphrase-file "$WORK/pass" "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/g.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pulled file differs"
HOME=$H run_ferry pull --ssh-key-passphrase-file <(printf '%s\r\n' "$PASS") "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/p.bin"
assert_exit 0
cmp "$WORK/f.bin" "$WORK/p.bin" || fail "pulled file differs (pipe)"
# the file wins over the environment
HOME=$H FERRY_SSH_KEY_PASSPHRASE=$WRONG run_ferry pull --ssh-key-passphrase-file "$WORK/pass" "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/q.bin"
assert_exit 0

# a file others may read: refused before anything connects
chmod 644 "$WORK/pass"
HOME=$H run_ferry pull --ssh-key-passphrase-file "$WORK/pass" "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 4
assert_one_error_line "^ferry: --ssh-key-passphrase-file $WORK/pass: permissions 0644 are too open"
no_secret
[ ! -e "$WORK/h.bin" ] || fail "refused pull created its output"
: >"$WORK/empty"; chmod 600 "$WORK/empty"
HOME=$H run_ferry pull --ssh-key-passphrase-file "$WORK/empty" "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 3
assert_one_error_line "the first line is empty"

# a wrong passphrase, from either place: one line, no secret, nothing written
printf '%s\n' "$WRONG" >"$WORK/wrong"; chmod 600 "$WORK/wrong"
HOME=$H run_ferry --json pull --retries 0 --ssh-key-passphrase-file "$WORK/wrong" "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 1
assert_one_error_line "login denied for user '$(id -un)': $H/.ssh/id_ed25519: cannot be opened with the passphrase given \(wrong passphrase\?\)"
no_secret
[ ! -e "$WORK/h.bin" ] && [ ! -e "$WORK/h.bin.part" ] || fail "denied pull wrote its output"
HOME=$H FERRY_SSH_KEY_PASSPHRASE=$WRONG run_ferry -v push --retries 0 "$WORK/f.bin" "$SFTP_BASE$WORK/remote/w.bin"
assert_exit 1
assert_one_error_line "wrong passphrase"
no_secret
[ ! -e "$WORK/remote/w.bin" ] && [ ! -e "$WORK/remote/w.bin.part" ] || fail "denied push wrote data"

# no passphrase at all: the error says where to give one
HOME=$H run_ferry pull --retries 0 "$SFTP_BASE$WORK/remote/f.bin" -o "$WORK/h.bin"
assert_exit 1
assert_one_error_line "id_ed25519: cannot be opened \(encrypted\? give its passphrase in FERRY_SSH_KEY_PASSPHRASE or --ssh-key-passphrase-file\)"
exit 0
