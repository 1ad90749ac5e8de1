#!/usr/bin/env bash
# pull resume for file:// URLs: the source's size and mtime (ns) stand for
# an ETag.  A copy cut off keeps FILE.part and its sidecar (made here as a
# cut copy leaves them: half the file, the record naming that half); the
# rerun copies only the other half.  A source touched since: start over.
# --no-resume: everything again, nothing kept.
. "$(dirname "$0")/../lib.sh"
need python3
SIZE=$((6 << 20))
SRC="$WORK/src/obj.bin"
OUT="$WORK/out.bin"
mkdir -p "$WORK/src"
head -c "$SIZE" /dev/urandom >"$SRC"
URL="file://$SRC"

# cut_copy: FILE.part with the first half and a sidecar saying so
cut_copy() {
  rm -f "$OUT.part"
  head -c $((SIZE / 2)) "$SRC" >"$OUT.part"
  truncate -s "$SIZE" "$OUT.part"
  chmod 600 "$OUT.part"
  python3 - "$URL" "$SRC" "$SIZE" >"$OUT.part.ferry" <<'PY'
import json, os, sys
url, src, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
ns = os.stat(src).st_mtime_ns
print(json.dumps({"format": "ferry-resume", "version": 1, "url": url,
                  "size": size, "etag": None,
                  "modified": "%d.%09d" % (ns // 10**9, ns % 10**9),
                  "done": [[0, size // 2]]}, separators=(",", ":")))
PY
}
done_field() { sed -n "s/.*\"event\":\"done\".*\"$1\":\([0-9]*\).*/\1/p" "$WORK/out"; }

cut_copy
run_ferry -v --json pull "$URL" -o "$OUT"
assert_exit 0
cmp "$SRC" "$OUT" || fail "resumed copy differs"
[ "$(done_field bytes)" = $((SIZE - SIZE / 2)) ] || fail "copied more than the missing half: $(grep '"done"' "$WORK/out")"
[ "$(done_field resumed)" = $((SIZE / 2)) ] || fail "done event: $(grep '"done"' "$WORK/out")"
grep -q 'resuming' "$WORK/err" || fail "no -v line"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "files left behind"
rm -f "$OUT"

# the source changed since (its mtime): start over
cut_copy
touch -d '@1700000000' "$SRC"
run_ferry -v --json pull "$URL" -o "$OUT"
assert_exit 0
grep -q 'the object changed since the last run (another modification time)' "$WORK/err" || fail "no -v line: $(cat "$WORK/err")"
[ "$(done_field bytes)" = "$SIZE" ] || fail "did not copy it all: $(grep '"done"' "$WORK/out")"
cmp "$SRC" "$OUT" || fail "differs"
rm -f "$OUT"

# --no-resume: all of it, nothing kept
cut_copy
run_ferry --json pull --no-resume "$URL" -o "$OUT"
assert_exit 0
[ "$(done_field bytes)" = "$SIZE" ] || fail "--no-resume did not copy it all"
cmp "$SRC" "$OUT" || fail "differs"
[ ! -e "$OUT.part" ] && [ ! -e "$OUT.part.ferry" ] || fail "files left behind"
exit 0
