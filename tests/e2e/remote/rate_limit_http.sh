#!/usr/bin/env bash
# --max-up / --max-down on a plain HTTP server (nginx): a 40 MiB push (one
# PUT) at --max-up 10M and a pull (40 ranged GETs, 4 at a time) at
# --max-down 10M take at least 3.5 s each (4.0 s at the rate); push - from
# a pipe (one chunked PUT) too.  file:// and SFTP honour them as well.
#
# Timing: the lower bounds are the check (a loaded machine is only slower);
# the upper bound, 15 s, only catches a limit that gets stuck: unlimited,
# these transfers take well under 2 s here even with sanitizers.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export FERRY_S3_PART_SIZE=$((1024 * 1024))
start_nginx
head -c 40M /dev/urandom >"$WORK/f.bin"

# timed MIN MAX WHAT ARGS...: run ferry; exit 0 in MIN..MAX seconds
timed() {
  local min=$1 max=$2 what=$3; shift 3
  local t0=$EPOCHREALTIME
  run_ferry "$@"
  local secs; secs=$(echo "$EPOCHREALTIME - $t0" | bc)
  assert_exit 0
  echo "$what: $secs s" >&2
  [ "$(echo "$secs >= $min" | bc)" = 1 ] || fail "$what took $secs s: faster than the limit allows (>= $min s)"
  [ "$(echo "$secs <= $max" | bc)" = 1 ] || fail "$what took $secs s: far slower than the limit (<= $max s)"
}

timed 3.5 15 "http push --max-up 10M" push "$WORK/f.bin" "$HTTP_BASE/f.bin" --max-up 10M
cmp -s "$WORK/f.bin" "$WORK/www/f.bin" || fail "http push: content differs"
timed 3.5 15 "http pull --max-down 10M" --json pull "$HTTP_BASE/f.bin" -o "$WORK/g.bin" --max-down 10M
[ "$(json_last done parts "$WORK/out")" = 40 ] || fail "http pull: expected 40 ranged GETs: $(tail -1 "$WORK/out")"
cmp -s "$WORK/f.bin" "$WORK/g.bin" || fail "http pull: content differs"

t0=$EPOCHREALTIME
head -c 8M "$WORK/f.bin" | "$FERRY" push - "$HTTP_BASE/p.bin" --max-up 4M 2>"$WORK/err" || fail "http push -: failed"
secs=$(echo "$EPOCHREALTIME - $t0" | bc)
echo "http push - --max-up 4M: $secs s" >&2
[ "$(echo "$secs >= 1.5 && $secs <= 15" | bc)" = 1 ] || fail "http push - at 4M took $secs s (8 MiB: 2 s)"
cmp -s <(head -c 8M "$WORK/f.bin") "$WORK/www/p.bin" || fail "http push -: content differs"

timed 1.5 15 "file push --max-up 4M" push "$WORK/www/p.bin" "file://$WORK/files/p.bin" --max-up 4M
timed 1.5 15 "file pull --max-down 4M" pull "file://$WORK/files/p.bin" -o "$WORK/q.bin" --max-down 4M
cmp -s "$WORK/www/p.bin" "$WORK/q.bin" || fail "file: content differs"

if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; then
  start_sshd
  mkdir -p "$WORK/sftp"
  HOME=$SSH_HOME timed 1.5 15 "sftp push --max-up 4M" push "$WORK/www/p.bin" "$SFTP_BASE$WORK/sftp/p.bin" --max-up 4M
  rm -f "$WORK/q.bin"
  HOME=$SSH_HOME timed 1.5 15 "sftp pull --max-down 4M" pull "$SFTP_BASE$WORK/sftp/p.bin" -o "$WORK/q.bin" --max-down 4M
  cmp -s "$WORK/www/p.bin" "$WORK/q.bin" || fail "sftp: content differs"
fi
exit 0
