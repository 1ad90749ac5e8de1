#!/usr/bin/env bash
# ls and rm over SFTP against OpenSSH's sshd: one level with PRE lines, a
# name prefix, --recursive (a symlink to a directory is not descended),
# sizes and names exact (escaped where they hold control characters),
# --json; rm of a file, of a symlink (its target stays), of a missing file
# (exit 1 "no such object", --force 0), of a directory (refused, kept).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_sshd
export HOME=$SSH_HOME
r=$WORK/r
mkdir -p "$r/sub/deeper" "$r/sp ace"
printf 'abc' >"$r/a.txt"
head -c 5000 /dev/zero >"$r/sp ace/b b.bin"
printf 'xy' >"$r/sub/deeper/c"
printf 'k' >"$r/keep.txt"
ln -s keep.txt "$r/lnk"
ln -s sub "$r/dirlink"
printf 'e' >"$r/nl"$'\x1b'"esc"
touch -d '2020-01-02 03:04:05' "$r/a.txt"
base="$SFTP_BASE$r"

run_ferry ls "$base/"
assert_exit 0
# the name column and the size, whatever the times are
sed -E 's/^.{19} +//' "$WORK/out" >"$WORK/got"
grep -qE '^2020-01-02 00:00:00 +3 B a.txt$' "$WORK/out" || fail "an old file's date: $(head -1 "$WORK/out")"
[ "$(grep -c '^ferry: ' "$WORK/err")" -eq 0 ] || fail "ls warned: $(cat "$WORK/err")"
for want in '3 B a.txt' '1 B keep.txt' '1 B nl\x1besc' 'PRE sp ace/' 'PRE sub/'; do
  grep -qxF "$want" "$WORK/got" || { cat "$WORK/out" >&2; fail "missing line '$want'"; }
done
grep -qE ' (dirlink|lnk)$' "$WORK/out" && [ "$(grep -cE ' (dirlink|lnk)$' "$WORK/out")" -eq 2 ] \
  || { cat "$WORK/out" >&2; fail "symlinks are entries"; }
[ "$(wc -l <"$WORK/out")" -eq 7 ] || { cat "$WORK/out" >&2; fail "expected 7 lines"; }

# a name prefix lists matching names only
run_ferry ls "$base/s"
assert_exit 0
[ "$(sed -E 's/^ +//' "$WORK/out")" = "$(printf 'PRE sp ace/\nPRE sub/')" ] || fail "prefix s: $(cat "$WORK/out")"

# recursive: every file below, paths relative; the symlinked dir not entered
run_ferry ls -r --bytes "$base/"
assert_exit 0
sed -E 's/^.{19} +//' "$WORK/out" | grep -v -e ' dirlink$' -e ' lnk$' >"$WORK/got"
printf '3 a.txt\n1 keep.txt\n1 nl\\x1besc\n5000 sp ace/b b.bin\n2 sub/deeper/c\n' | diff - "$WORK/got" >&2 \
  || fail "recursive listing"
grep -q 'dirlink/' "$WORK/out" && fail "a symlinked directory was descended"

run_ferry --json ls "$base/sp%20ace/"
assert_exit 0
python3 - "$WORK/out" "$base" <<'PY' || fail "--json: $(cat "$WORK/out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev[0]["event"] == "start" and ev[0]["command"] == "ls", ev[0]
ev = ev[1:]
e = ev[0]
assert e["event"] == "entry" and e["command"] == "ls" and e["name"] == "b b.bin"
assert e["type"] == "file" and e["size"] == 5000 and isinstance(e["mtime"], int)
assert e["url"] == sys.argv[2] + "/sp%20ace/b%20b.bin", e["url"]
assert ev[1]["event"] == "done" and ev[1]["objects"] == 1
PY

mkdir "$WORK/empty"
run_ferry ls "$SFTP_BASE$WORK/empty/"
assert_exit 0
[ ! -s "$WORK/out" ] && grep -q '^nothing under ' "$WORK/err" || fail "empty directory: $(cat "$WORK/err")"

run_ferry ls "$base/nope/"
assert_exit 1
assert_one_error_line ': no such directory$'

# rm: a file, a symlink (not its target), a missing file, a directory
run_ferry rm "$base/a.txt" "$base/sp%20ace/b%20b.bin"
assert_exit 0
[ ! -e "$r/a.txt" ] && [ ! -e "$r/sp ace/b b.bin" ] || fail "rm left the files"
run_ferry rm "$base/lnk"
assert_exit 0
[ ! -L "$r/lnk" ] && [ -f "$r/keep.txt" ] || fail "rm of a symlink"
run_ferry rm "$base/a.txt"
assert_exit 1
assert_one_error_line "^ferry: $base/a.txt: no such object\$"
run_ferry rm -f "$base/a.txt"
assert_exit 0
run_ferry rm "$base/sub"
assert_exit 1
[ -d "$r/sub/deeper" ] || fail "a directory was removed"
run_ferry ls "$base/"
assert_exit 0
grep -qE ' (a.txt|lnk)$' "$WORK/out" && fail "ls shows removed files: $(cat "$WORK/out")"
exit 0
