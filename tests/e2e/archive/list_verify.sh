#!/usr/bin/env bash
# list: one line per entry (mode, size, UTC mtime, path, link targets), the
# manifest hidden, names escaped; --json objects; verify's exit codes and
# messages for intact, foreign, corrupt and missing archives.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need tar zstd
mkdir -p "$WORK/src/d"
printf 'hello\n' >"$WORK/src/a.txt"
ln -s a.txt "$WORK/src/d/l"
ln "$WORK/src/a.txt" "$WORK/src/d/h"
printf 'x' >"$WORK/src/esc$(printf '\033')[2J"
chmod 0750 "$WORK/src/d"
touch -h -d '2024-01-02 03:04:05 UTC' "$WORK/src/a.txt" "$WORK/src/d/l" "$WORK/src/d/h" "$WORK/src"/esc*
touch -d '2024-01-02 03:04:05 UTC' "$WORK/src/d"
"$FERRY" -q pack "$WORK/src" -o "$WORK/a.tar.zst" || fail "pack"

run_ferry list "$WORK/a.tar.zst"
assert_exit 0
cat >"$WORK/expected" <<'TXT'
-rw-r--r--            6 2024-01-02 03:04:05 a.txt
drwxr-x---            0 2024-01-02 03:04:05 d
-rw-r--r--            0 2024-01-02 03:04:05 d/h link to a.txt
lrwxrwxrwx            0 2024-01-02 03:04:05 d/l -> a.txt
-rw-r--r--            1 2024-01-02 03:04:05 esc\x1b[2J
TXT
diff -u "$WORK/expected" "$WORK/out" >&2 || fail "list output differs"

run_ferry --json list "$WORK/a.tar.zst"
assert_exit 0
python3 - "$WORK/out" "$WORK/a.tar.zst" <<'PY' || fail "list --json"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
by = {e["path"]: e for e in ev if e["event"] == "entry"}
assert set(by) == {"a.txt", "d", "d/h", "d/l", "esc\x1b[2J"}, by
assert ev[0]["event"] == "start" and ev[-1] == {"event": "done", "v": 1, "command": "list", "archive": sys.argv[2], "entries": 5}, ev
assert by["a.txt"] == {"event": "entry", "v": 1, "command": "list", "path": "a.txt", "type": "file", "mode": "0644", "size": 6, "mtime": 1704164645}, by["a.txt"]
assert by["d/l"]["type"] == "symlink" and by["d/l"]["target"] == "a.txt"
assert by["d/h"]["type"] == "hardlink" and by["d/h"]["target"] == "a.txt"
assert by["d"]["mode"] == "0750" and "target" not in by["d"]
PY

run_ferry verify "$WORK/a.tar.zst"
assert_exit 0
grep -q 'a.tar.zst: ok: 2 files, 1 dirs, 1 symlinks, 1 hardlinks .*every file matches the manifest' "$WORK/err" || fail "verify: $(cat "$WORK/err")"
tar -C "$WORK/src" -cf "$WORK/plain.tar" . || fail "tar"
run_ferry verify "$WORK/plain.tar"
assert_exit 0
grep -q 'no ferry manifest, structure checked only' "$WORK/err" || fail "verify foreign: $(cat "$WORK/err")"
printf 'not an archive at all\n' >"$WORK/junk.tar.zst"
run_ferry verify "$WORK/junk.tar.zst"
assert_exit 3
assert_one_error_line "junk.tar.zst"
run_ferry list "$WORK/junk.tar.zst"
assert_exit 3
run_ferry verify "$WORK/missing.tar.zst"
assert_exit 1
assert_one_error_line "missing.tar.zst: No such file"
run_ferry list
assert_exit 2
assert_one_error_line "list: missing ARCHIVE"
run_ferry verify a b
assert_exit 2
exit 0
