#!/usr/bin/env bash
# ls and rm against s3rver: 1,100 keys listed in two pages (the
# continuation token followed, every key once, in order), one level with
# PRE lines or --recursive, --json lines that parse, rm then ls, rm of a
# missing object (exit 1 "no such object", no DELETE sent; --force 0),
# several URLs (each tried, one line per failure, the worst exit code).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_s3
python3 "$SERVERS_DIR/s3_fill.py" "$AWS_ENDPOINT_URL" "$S3_BUCKET" many/k 1100 \
  || fail "s3_fill.py could not fill the bucket"
echo hi >"$WORK/f"
for k in top.txt "dir/a b.txt" dir/sub/c.txt; do
  run_ferry -q push "$WORK/f" "s3://$S3_BUCKET/$k"
  assert_exit 0
done

# 1,100 keys: two pages (s3rver, like S3, gives at most 1,000 a page)
run_ferry ls "s3://$S3_BUCKET/many/"
assert_exit 0
[ "$(wc -l <"$WORK/out")" -eq 1100 ] || fail "expected 1100 lines, got $(wc -l <"$WORK/out")"
awk '{print $NF}' "$WORK/out" >"$WORK/names"
seq -f 'k%05g' 0 1099 | diff - "$WORK/names" >&2 || fail "the names listed differ"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +11 B k00000$' "$WORK/out" \
  || fail "line format: $(head -1 "$WORK/out")"
lists=$(grep -c '^GET /bkt/?.*list-type=2' "$WORK/s3.log")
[ "$lists" -eq 2 ] || fail "expected 2 list requests, got $lists"
grep -q '^GET /bkt/?continuation-token=' "$WORK/s3.log" || fail "no continuation token sent"
grep -q 'SIGV4 REJECTED' "$WORK/s3.log" && fail "a list request was badly signed: $(grep -A3 'SIGV4 REJECTED' "$WORK/s3.log" | head -5)"

# one level: directories as PRE lines, names relative to the prefix
run_ferry ls "s3://$S3_BUCKET"
assert_exit 0
[ "$(wc -l <"$WORK/out")" -eq 3 ] || { cat "$WORK/out" >&2; fail "bucket root: expected 3 lines"; }
grep -qE '^ +PRE dir/$' "$WORK/out" || fail "no PRE dir/: $(cat "$WORK/out")"
grep -qE '^ +PRE many/$' "$WORK/out" || fail "no PRE many/"
grep -qE ' 3 B top.txt$' "$WORK/out" || fail "no top.txt"
run_ferry ls "s3://$S3_BUCKET/dir/"
assert_exit 0
[ "$(wc -l <"$WORK/out")" -eq 2 ] && grep -qE '^ +PRE sub/$' "$WORK/out" \
  && grep -qE ' 3 B a b.txt$' "$WORK/out" || { cat "$WORK/out" >&2; fail "dir/"; }
run_ferry ls "s3://$S3_BUCKET/di"
assert_exit 0
[ "$(cat "$WORK/out")" = "$(printf '%19s %10s %s' '' PRE dir/)" ] || fail "prefix di: $(cat "$WORK/out")"

# recursive, sizes in bytes
run_ferry ls --recursive --bytes "s3://$S3_BUCKET/dir"
assert_exit 0
[ "$(sed -E 's/^.{19} +//' "$WORK/out")" = "$(printf '3 dir/a b.txt\n3 dir/sub/c.txt')" ] \
  || { cat "$WORK/out" >&2; fail "recursive listing"; }

# --json: one object per line, every one parses
run_ferry --json ls -r "s3://$S3_BUCKET/"
assert_exit 0
python3 - "$WORK/out" <<'PY' || fail "--json output"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
entries = [e for e in ev if e["event"] == "entry"]
assert len(entries) == 1103, len(entries)
assert all(e["v"] == 1 and e["command"] == "ls" and e["type"] == "file"
           for e in entries)
e = [x for x in entries if x["name"] == "dir/a b.txt"][0]
assert e["size"] == 3 and e["url"] == "s3://bkt/dir/a b.txt", e
assert isinstance(e["mtime"], int), e
assert ev[-1]["event"] == "done" and ev[-1]["objects"] == 1103, ev[-1]
PY

# rm, then ls shows it gone
run_ferry rm "s3://$S3_BUCKET/dir/a b.txt"
assert_exit 0
grep -q '^removed s3://bkt/dir/a b.txt$' "$WORK/err" || fail "no 'removed' line: $(cat "$WORK/err")"
s3_has 'dir/a%20b.txt' && fail "the object is still there"
run_ferry ls "s3://$S3_BUCKET/dir/"
assert_exit 0
grep -q 'a b.txt' "$WORK/out" && fail "ls still shows the removed object"

# a missing object: S3 would answer its DELETE 204, so ferry asks first
deletes=$(grep -c '^DELETE ' "$WORK/s3.log")
run_ferry rm "s3://$S3_BUCKET/dir/a b.txt"
assert_exit 1
assert_one_error_line '^ferry: s3://bkt/dir/a b.txt: no such object$'
[ "$(grep -c '^DELETE ' "$WORK/s3.log")" -eq "$deletes" ] || fail "a DELETE went out for a missing key"
run_ferry rm --force "s3://$S3_BUCKET/dir/a b.txt"
assert_exit 0
[ ! -s "$WORK/err" ] || fail "rm --force of a missing object said: $(cat "$WORK/err")"

# several URLs: every one tried, one line per failure, the worst code
run_ferry rm "s3://$S3_BUCKET/nope1" "s3://$S3_BUCKET/many/k00007" "s3://$S3_BUCKET/dir/" "s3://$S3_BUCKET/nope2"
assert_exit 3
[ "$(grep -c '^ferry: ' "$WORK/err")" -eq 3 ] || { cat "$WORK/err" >&2; fail "expected 3 error lines"; }
grep -q '^ferry: s3://bkt/nope1: no such object$' "$WORK/err" || fail "nope1 line"
grep -q '^ferry: s3://bkt/dir/: the key names a folder' "$WORK/err" || fail "dir/ line"
grep -q '^ferry: s3://bkt/nope2: no such object$' "$WORK/err" || fail "nope2 line"
s3_has many/k00007 && fail "the good URL among bad ones was not removed"
run_ferry ls "s3://$S3_BUCKET/many/"
[ "$(wc -l <"$WORK/out")" -eq 1099 ] || fail "expected 1099 keys after rm"

run_ferry --json rm -f "s3://$S3_BUCKET/top.txt" "s3://$S3_BUCKET/gone"
assert_exit 0
python3 - "$WORK/out" <<'PY' || fail "rm --json: $(cat "$WORK/out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert [e["event"] for e in ev] == ["start", "removed", "removed", "done"], ev
assert ev[-1]["urls"] == 2 and ev[-1]["removed"] == 2, ev[-1]
ev = [e for e in ev if e["event"] == "removed"]
assert [(e["event"], e["command"], e["url"], e["existed"]) for e in ev] == [
    ("removed", "rm", "s3://bkt/top.txt", True),
    ("removed", "rm", "s3://bkt/gone", False)], ev
PY

# what cannot be listed
run_ferry ls "s3://nobucket/"
assert_exit 1
assert_one_error_line '^ferry: s3://nobucket/: no such bucket \(HTTP 404 NoSuchBucket\)$'
run_ferry ls "https://127.0.0.1:9/dir/"
assert_exit 2
assert_one_error_line 'cannot list over HTTP'
run_ferry ls /srv/x
assert_exit 3
run_ferry ls
assert_exit 2
assert_one_error_line "^ferry: ls: missing URL-PREFIX \(see 'ferry ls --help'\)$"
run_ferry rm
assert_exit 2
assert_one_error_line "^ferry: rm: missing URL"
exit 0
