#!/usr/bin/env bash
# `ferry push - URL` uploads stdin as it arrives: 30 MiB from a pipe go to
# s3rver (a multipart upload, parts as they fill), nginx (one chunked PUT),
# sshd (PATH.part, renamed) and file:// (PATH.part, renamed); what a pull
# gets back has the hash of what went in.  An empty pipe makes a valid empty
# object everywhere.  The object appears only at the end of stdin: SIGINT
# while the writer is still silent leaves nothing under the key (exit 130,
# the multipart upload aborted, no PATH.part).  A terminal as stdin is
# refused (exit 2).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export FERRY_S3_PART_SIZE=$((1024 * 1024))
start_s3
start_nginx
mkdir -p "$WORK/sftp" "$WORK/files"
SFTP=""
if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; then
  start_sshd
  SFTP="$SFTP_BASE$WORK/sftp"
fi

# push_pipe NAME URL: 30 MiB of /dev/urandom through a pipe into push -,
# then pull URL back and compare hashes
push_pipe() {
  local name=$1 url=$2
  head -c 30M /dev/urandom | tee >(sha256sum >"$WORK/$name.want") \
    | HOME=${SSH_HOME:-$HOME} "$FERRY" --json push - "$url" >"$WORK/out" 2>"$WORK/err"
  local rc=${PIPESTATUS[2]}
  [ "$rc" -eq 0 ] || { cat "$WORK/err" >&2; fail "$name: push - exited $rc"; }
  [ "$(json_last done bytes "$WORK/out")" = $((30 * 1024 * 1024)) ] || fail "$name: done event: $(tail -1 "$WORK/out")"
  rm -f "$WORK/got"
  HOME=${SSH_HOME:-$HOME} run_ferry pull "$url" -o "$WORK/got"
  assert_exit 0
  for _ in $(seq 1 50); do [ -s "$WORK/$name.want" ] && break; sleep 0.1; done
  [ "$(sha256sum <"$WORK/got")" = "$(cat "$WORK/$name.want")" ] || fail "$name: the object's hash differs from stdin's"
}

# push_empty NAME URL: an empty pipe makes an empty object
push_empty() {
  local name=$1 url=$2
  : | HOME=${SSH_HOME:-$HOME} "$FERRY" push - "$url" 2>"$WORK/err" || { cat "$WORK/err" >&2; fail "$name: empty push - failed"; }
  rm -f "$WORK/got"
  HOME=${SSH_HOME:-$HOME} run_ferry pull "$url" -o "$WORK/got"
  assert_exit 0
  [ -f "$WORK/got" ] && [ ! -s "$WORK/got" ] || fail "$name: not an empty object"
}

push_pipe s3 "s3://$S3_BUCKET/big.bin"
[ "$(grep -c '^PUT /bkt/big.bin?partNumber=' "$WORK/s3.log")" -ge 30 ] || fail "s3: not a multipart upload"
push_pipe http "$HTTP_BASE/big.bin"
grep -q '"PUT /big.bin HTTP/1.1" 20[14]' "$WORK/nginx/access.log" || fail "http: no PUT"
push_pipe file "file://$WORK/files/big.bin"
[ -z "$SFTP" ] || push_pipe sftp "$SFTP/big.bin"
[ ! -e "$WORK/files/big.bin.part" ] && [ ! -e "$WORK/sftp/big.bin.part" ] || fail "a .part was left"

push_empty s3 "s3://$S3_BUCKET/empty.bin"
push_empty http "$HTTP_BASE/empty.bin"
push_empty file "file://$WORK/files/empty.bin"
[ -z "$SFTP" ] || push_empty sftp "$SFTP/empty.bin"

# interrupted: 3 MiB, then a writer that says nothing; SIGINT once parts
# are stored
interrupted() {
  local name=$1 url=$2 ready=$3
  rm -f "$WORK/in.fifo"; mkfifo "$WORK/in.fifo"
  (head -c 3M /dev/urandom; exec sleep 120) >"$WORK/in.fifo" &
  local writer=$!
  _bg_pids+=("$writer")
  HOME=${SSH_HOME:-$HOME} "$FERRY" push - "$url" <"$WORK/in.fifo" >"$WORK/int.out" 2>"$WORK/int.err" &
  local pid=$!
  wait_for 30 eval "$ready" || { cat "$WORK/int.err" >&2; fail "$name: the upload did not start"; }
  sleep 0.3
  kill -INT "$pid"
  wait "$pid"; local rc=$?
  stop_bg "$writer"
  [ "$rc" -eq 130 ] || { cat "$WORK/int.err" >&2; fail "$name: SIGINT: expected exit 130, got $rc"; }
  grep -qE '^ferry: .*interrupted' "$WORK/int.err" || { cat "$WORK/int.err" >&2; fail "$name: no 'interrupted' line"; }
}
int_parts() { [ "$(grep -c "^PUT /$S3_BUCKET/int.bin?partNumber=" "$WORK/s3.log")" -ge 2 ]; }
interrupted s3 "s3://$S3_BUCKET/int.bin" int_parts
grep -q '^ABORTED ' "$WORK/s3.log" || fail "s3: the multipart upload was not aborted"
[ -z "$(s3_uploads)" ] || fail "s3: a multipart upload was left: $(s3_uploads)"
s3_has int.bin && fail "s3: an interrupted push - is visible"
interrupted file "file://$WORK/files/int.bin" "test -s $WORK/files/int.bin.part"
[ ! -e "$WORK/files/int.bin" ] && [ ! -e "$WORK/files/int.bin.part" ] || fail "file: an interrupted push - left a file"

# a terminal is not read (script(1) gives ferry one)
if command -v script >/dev/null; then
  script -qec "$FERRY push - file://$WORK/files/tty.bin" /dev/null >"$WORK/tty.out" 2>&1 </dev/null
  grep -q "refusing to read the upload from a terminal" "$WORK/tty.out" || { cat "$WORK/tty.out" >&2; fail "a terminal as stdin was not refused"; }
  [ ! -e "$WORK/files/tty.bin" ] || fail "a terminal's upload was made"
fi
exit 0
