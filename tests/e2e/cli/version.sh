#!/usr/bin/env bash
# --version (issue 15): ferry's version, then one line per library with
# the version loaded at run time: libtorrent (through the C wrapper),
# libarchive with its compression libraries, zstd, xxhash, libcurl with
# its TLS library and libssh2, expat, libcrypto, jansson, libinih.
# --version --json gives the same as one JSON object (before or after
# --json, -V too).  The versions agree with pkg-config's where it knows.
. "$(dirname "$0")/../lib.sh"
need python3

run_ferry --version
assert_exit 0
[ ! -s "$WORK/err" ] || fail "--version wrote to stderr: $(cat "$WORK/err")"
cp "$WORK/out" "$WORK/text"
head -1 "$WORK/text" | grep -qxE 'ferry [0-9]+\.[0-9]+\.[0-9]+' || fail "first line: $(head -1 "$WORK/text")"
line() { grep -E "^$1( |$)" "$WORK/text" || fail "no $1 line: $(cat "$WORK/text")"; }
line 'libtorrent-rasterbar 2(\.[0-9]+){2,3}' >/dev/null
line 'libarchive 3\.[0-9]+\.[0-9]+ \(.*zlib/[0-9.]+.*libzstd/[0-9.]+.*\)$' >/dev/null
line 'libcurl [0-9]+\.[0-9]+\.[0-9]+ \(.*OpenSSL/[0-9.a-z]+.*libssh2/[0-9.]+.*\)$' >/dev/null
for lib in libzstd libxxhash expat libcrypto jansson libinih; do
  line "$lib [0-9]+(\.[0-9]+)*" >/dev/null
done

for args in "--version --json" "--json --version" "--json -V"; do
  # shellcheck disable=SC2086
  run_ferry $args
  assert_exit 0
  [ ! -s "$WORK/err" ] || fail "$args wrote to stderr: $(cat "$WORK/err")"
  [ "$(wc -l <"$WORK/out")" -eq 1 ] || fail "$args: not one line: $(cat "$WORK/out")"
  # the same facts as the text, as one object
  python3 - "$WORK/out" "$WORK/text" <<'PY' || fail "$args: $(cat "$WORK/out")"
import json, sys
obj = json.loads(open(sys.argv[1]).read())
text = open(sys.argv[2]).read().splitlines()
assert obj["event"] == "version" and obj["v"] == 1 and obj["command"] == "version", obj
assert text[0] == "ferry " + obj["ferry"], (text[0], obj["ferry"])
libs = obj["libraries"]
want = {"libtorrent-rasterbar", "libarchive", "libzstd", "libxxhash", "libcurl",
        "expat", "libcrypto", "jansson", "libinih"}
assert want <= set(libs), set(libs)
for row in text[1:]:
    name, version = row.split(" ")[:2]
    assert libs[name]["version"] == version, (row, libs[name])
    for word in row.partition("(")[2].rstrip(")").split():
        if "/" in word:
            k, v = word.split("/", 1)
            assert libs[name]["with"][k] == v, (row, libs[name])
assert "libssh2" in libs["libcurl"]["with"], libs["libcurl"]
assert "zlib" in libs["libarchive"]["with"], libs["libarchive"]
PY
done

# the run-time versions are those of the libraries installed here
if command -v pkg-config >/dev/null; then
  for pair in libtorrent-rasterbar:libtorrent-rasterbar libarchive:libarchive \
    libcurl:libcurl libzstd:libzstd jansson:jansson libinih:inih; do
    name=${pair%%:*} pc=${pair#*:}
    want=$(pkg-config --modversion "$pc" 2>/dev/null) || continue
    got=$(grep -E "^$name " "$WORK/text" | cut -d' ' -f2)
    case $got in "$want" | "$want".*) ;; *) fail "$name: --version says $got, pkg-config $want" ;; esac
  done
fi
exit 0
