#!/usr/bin/env bash
# ls against a fake S3 endpoint whose listings are hostile
# (servers/s3_list_hostile.py): tokens that go round in a circle or do not
# move on, a truncated page without a token, a 20 MiB page, a billion-laughs
# DTD, a key outside the prefix: each one line and exit 1 after a bounded
# number of requests; names with ESC, CR, newlines and invalid UTF-8 come
# out escaped, one line each; a page cut halfway is asked again and no
# entry is shown twice.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3

# hostile MODE: start the fake server in MODE; sets AWS_ENDPOINT_URL
hostile() {
  rm -f "$WORK/h.port"
  start_bg "h-$1" python3 -u "$SERVERS_DIR/s3_list_hostile.py" "$WORK/h.port" "$1"
  H_PID=$BG_PID
  wait_for 10 test -s "$WORK/h.port" || fail "s3_list_hostile.py $1 did not start"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$WORK/h.port")"
}
# requests MODE: how many listings the server of MODE answered
requests() { grep -c '^GET /bkt/' "$WORK/h-$1.log"; }

# refused MODE PATTERN MAXREQ: ls fails (1) with PATTERN, after at most
# MAXREQ requests
refused() {
  hostile "$1"
  run_ferry ls --retries 1 "s3://bkt/p/"
  assert_exit 1
  assert_one_error_line "$2"
  [ "$(requests "$1")" -le "$3" ] || fail "$1: $(requests "$1") requests"
  stop_bg "$H_PID"
}

refused circle  '^ferry: s3://bkt/p/: the server.s listing: the continuation tokens go round in a circle$' 3
refused same    '^ferry: s3://bkt/p/: the server.s listing: the continuation token does not move on' 2
refused notoken '^ferry: s3://bkt/p/: the server.s listing: the listing is truncated but names no continuation token$' 1
refused huge    '^ferry: s3://bkt/p/: the server.s listing: a page larger than 16 MiB' 1
refused dtd     '^ferry: s3://bkt/p/: the server.s listing: the answer has a DTD \(refused\)$' 1
refused outside '^ferry: s3://bkt/p/: the server.s listing: a key outside the prefix asked for: elsewhere/x$' 1

# hostile names: escaped, one line each, nothing raw reaches the terminal
hostile escape
run_ferry ls "s3://bkt/p/"
assert_exit 0
[ "$(wc -l <"$WORK/out")" -eq 4 ] || { cat -A "$WORK/out" >&2; fail "escape: expected 4 lines"; }
grep -q $'[\x1b\r]' "$WORK/out" && fail "a control character reached the output"
LC_ALL=C grep -q $'[\x80-\xff]' "$WORK/out" && fail "invalid UTF-8 reached the output"
grep -qF ' a\x1b[31mred' "$WORK/out" || fail "ESC not escaped: $(cat -A "$WORK/out")"
grep -qF ' b\x0afake line' "$WORK/out" || fail "newline not escaped"
grep -qF ' c\x0dback' "$WORK/out" || fail "CR not escaped"
grep -qF ' d\xff\xfe' "$WORK/out" || fail "invalid UTF-8 not escaped"
run_ferry --json ls "s3://bkt/p/"
assert_exit 0
python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [e["name"] for e in ev if e["event"] == "entry"]
assert names == ["a\\x1b[31mred", "b\\x0afake line", "c\\x0dback", "d\\xff\\xfe"], names
' "$WORK/out" || fail "escape: --json"
stop_bg "$H_PID"

# a page cut halfway: asked again, shown once
hostile slowpage
run_ferry ls "s3://bkt/p/"
assert_exit 0
[ "$(requests slowpage)" -eq 2 ] || fail "slowpage: $(requests slowpage) requests"
[ "$(grep -c ' one$' "$WORK/out")" -eq 1 ] && [ "$(grep -c ' two$' "$WORK/out")" -eq 1 ] \
  && [ "$(wc -l <"$WORK/out")" -eq 2 ] || { cat "$WORK/out" >&2; fail "slowpage: an entry shown twice or lost"; }
exit 0
