#!/usr/bin/env bash
# ls and rm of file:// storage: one level, prefix, --recursive (never
# through a symlink), names escaped (a newline cannot forge a line),
# --json; rm removes a symlink and not its target, refuses a directory
# (exit 3), a missing file is exit 1 "no such object" (--force 0).
# Plus what HTTP can do: ls is exit 2, rm is a DELETE (nginx's WebDAV; a
# URL ending in / is refused before anything is sent).
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
s=$WORK/store
mkdir -p "$s/saves/old" "$WORK/outside"
printf 'abc' >"$s/saves/ws.tar.zst"
printf '12345' >"$s/saves/old/ws-1.tar.zst"
printf 'x' >"$WORK/outside/secret"
ln -s "$WORK/outside" "$s/saves/link-to-dir"
ln -s "$WORK/outside/secret" "$s/saves/link-to-file"
printf 'n' >"$s/saves/two"$'\n'"lines"

run_ferry ls "file://$s/saves/"
assert_exit 0
sed -E 's/^.{19} +//' "$WORK/out" >"$WORK/got"
printf '%s\n' '1 B link-to-dir' '1 B link-to-file' 'PRE old/' '1 B two\x0alines' '3 B ws.tar.zst' >"$WORK/want"
# a symlink's size is its target's length: only the names are fixed
sed -E 's/^[0-9]+ B (link-to)/1 B \1/' "$WORK/got" | diff "$WORK/want" - >&2 || fail "one level"

run_ferry ls "file://$s/saves/w"
assert_exit 0
[ "$(sed -E 's/^.{19} +//' "$WORK/out")" = "3 B ws.tar.zst" ] || fail "prefix: $(cat "$WORK/out")"

run_ferry ls -r --bytes "file://$s/"
assert_exit 0
grep -q secret "$WORK/out" && fail "--recursive went through a symlink"
sed -E 's/^.{19} +//' "$WORK/out" | grep -v link-to >"$WORK/got"
printf '%s\n' '5 saves/old/ws-1.tar.zst' '1 saves/two\x0alines' '3 saves/ws.tar.zst' | diff - "$WORK/got" >&2 \
  || fail "recursive"

run_ferry --json ls "file://$s/saves/"
assert_exit 0
python3 - "$WORK/out" "$s" <<'PY' || fail "--json: $(cat "$WORK/out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
by = {e["name"]: e for e in ev if e["event"] == "entry"}
assert by["old/"]["type"] == "dir" and "size" not in by["old/"]
assert by["link-to-dir"]["type"] == "link"
assert by["ws.tar.zst"]["size"] == 3
assert by["ws.tar.zst"]["url"] == "file://" + sys.argv[2] + "/saves/ws.tar.zst"
assert by["two\\x0alines"]["url"].endswith("/saves/two%0Alines")
assert ev[-1] == {"event": "done", "v": 1, "command": "ls",
                  "url": "file://" + sys.argv[2] + "/saves/", "objects": 4,
                  "dirs": 1, "bytes": ev[-1]["bytes"], "retries": 0}, ev[-1]
PY

# nothing under a prefix, an empty directory: exit 0, a note on stderr
run_ferry ls "file://$s/saves/zzz"
assert_exit 0
[ ! -s "$WORK/out" ] && grep -q "^nothing under file://$s/saves/zzz\$" "$WORK/err" \
  || fail "empty listing: $(cat "$WORK/out" "$WORK/err")"
mkdir "$s/empty"
run_ferry --json ls "file://$s/empty/"
assert_exit 0
grep -q '"objects":0' "$WORK/out" || fail "empty dir: $(cat "$WORK/out")"

run_ferry ls "file://$s/nope/"
assert_exit 1
assert_one_error_line "^ferry: file://$s/nope/: no such directory\$"
run_ferry ls "file://$s/saves/ws.tar.zst/"
assert_exit 3
assert_one_error_line 'not a directory$'

# rm: a symlink goes, its target stays; a directory is refused
run_ferry rm "file://$s/saves/link-to-dir" "file://$s/saves/link-to-file"
assert_exit 0
[ ! -L "$s/saves/link-to-dir" ] && [ ! -L "$s/saves/link-to-file" ] || fail "symlinks not removed"
[ -f "$WORK/outside/secret" ] || fail "rm removed a symlink's target"
run_ferry rm "file://$s/saves/old"
assert_exit 3
assert_one_error_line 'is a directory'
[ -f "$s/saves/old/ws-1.tar.zst" ] || fail "a directory was touched"
run_ferry rm "file://$s/saves/two%0Alines"
assert_exit 0
run_ferry rm "file://$s/saves/ws.tar.zst"
assert_exit 0
[ ! -e "$s/saves/ws.tar.zst" ] || fail "not removed"
run_ferry rm "file://$s/saves/ws.tar.zst"
assert_exit 1
assert_one_error_line "^ferry: file://$s/saves/ws.tar.zst: no such object\$"
run_ferry rm --force "file://$s/saves/ws.tar.zst"
assert_exit 0
run_ferry ls "file://$s/saves/"
assert_exit 0
[ "$(sed -E 's/^ +//' "$WORK/out")" = "PRE old/" ] || fail "after rm: $(cat "$WORK/out")"

# HTTP: no listing; rm is a DELETE
run_ferry ls "http://127.0.0.1:9/saves/"
assert_exit 2
assert_one_error_line '^ferry: http://127.0.0.1:9/saves/: cannot list over HTTP'
start_nginx
mkdir -p "$WORK/www/dav/keep"
printf 'x' >"$WORK/www/dav/f.bin"
printf 'y' >"$WORK/www/dav/keep/g.bin"
run_ferry rm "$HTTP_BASE/dav/f.bin"
assert_exit 0
[ ! -e "$WORK/www/dav/f.bin" ] || fail "the DELETE did not remove the file"
run_ferry rm "$HTTP_BASE/dav/f.bin"
assert_exit 1
assert_one_error_line "^ferry: $HTTP_BASE/dav/f.bin: no such object\$"
run_ferry rm -f "$HTTP_BASE/dav/f.bin"
assert_exit 0
n=$(grep -c DELETE "$WORK/nginx/access.log")
run_ferry rm "$HTTP_BASE/dav/keep/"
assert_exit 3
assert_one_error_line 'names a directory'
[ "$(grep -c DELETE "$WORK/nginx/access.log")" -eq "$n" ] || fail "a DELETE of a collection went out"
[ -f "$WORK/www/dav/keep/g.bin" ] || fail "the collection was deleted"
exit 0
