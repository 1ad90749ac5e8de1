#!/usr/bin/env bash
# Every manifest error is one line naming file, line (and key), exit 3,
# before anything is downloaded or written: unknown section or key, a
# missing required key, bad URL, bad magnet, syntax error, a 1 MB magnet,
# a 10 MB line, a 10 MB value on a line of its own, non-UTF-8 bytes, a NUL
# byte, a bad duration, an unset variable.
. "$(dirname "$0")/../lib.sh"

M="magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"
good() {
  printf '[workspace]\npath = %s/ws\nremote = file://%s/saves/w.tar.zst\n\n' "$WORK" "$WORK"
  printf '[bundle "tools"]\nsource = %s\ndest = %s/tools\n' "$M" "$WORK"
}
# case NAME LINE KEY-OR-EMPTY: ini.$NAME fails at LINE with KEY
check() {
  local name=$1 line=$2 key=$3 f="$WORK/$1.ini"
  run_ferry up -f "$f" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 3
  [ "$RC" -eq 3 ] || { cat "$WORK/err" >&2; fail "$name: expected exit 3, got $RC"; }
  local want="^ferry: $f:$line: "
  [ -n "$key" ] && want="$want$key: "
  assert_one_error_line "$want"; [ -n "${SHOW:-}" ] && cat "$WORK/err" >&2
  [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "$name: more than one line on stderr"
  [ ! -e "$WORK/ws" ] && [ ! -e "$WORK/tools" ] && [ ! -e "$WORK/saves" ] || fail "$name: something was written"
}

good >"$WORK/ok.ini"
{ good; printf '[wrokspace]\n'; } >"$WORK/section.ini";     check section 8 ""
{ good; printf 'sede-time = 1m\n'; } >"$WORK/key.ini";      check key 8 sede-time
good | grep -v '^dest' >"$WORK/missing.ini";                check missing 5 dest
good | sed 's|^remote = .*|remote = gopher://h/x|' >"$WORK/url.ini"; check url 3 remote
good | sed 's|^source = .*|source = magnet:?xt=urn:btih:xyz|' >"$WORK/magnet.ini"; check magnet 6 source
{ good; printf 'this is not a key\n'; } >"$WORK/syntax.ini"; check syntax 8 ""
{ good; printf 'keep = 3\n'; } | sed '4a autosave = 15q' >"$WORK/duration.ini"; check duration 5 autosave
good | sed 's|^path = .*|path = $FERRY_UNSET_VAR/ws|' >"$WORK/unset.ini"; check unset 2 path
grep -q 'FERRY_UNSET_VAR is not set' "$WORK/err" || fail "the unset variable is not named"
# hostile bytes
{ good | head -5; printf 'source = %s&dn=' "$M"; head -c 1048576 /dev/zero | tr '\0' a; printf '\ndest = %s/tools\n' "$WORK"; } >"$WORK/bigmagnet.ini"
check bigmagnet 6 source
{ good; printf 'exclude = '; head -c 10485760 /dev/zero | tr '\0' b; printf '\n'; } >"$WORK/bigline.ini"
check bigline 8 exclude
{ good; head -c 10485760 /dev/zero | tr '\0' c; printf ' = 1\n'; } >"$WORK/bigkey.ini"
check bigkey 8 ""
{ good; printf 'select = caf\xe9\n'; } >"$WORK/latin1.ini";   check latin1 8 select
{ good; printf 'select = a\0b\n'; } >"$WORK/nul.ini";         check nul 8 select
grep -q 'NUL byte' "$WORK/err" || fail "NUL not named"
{ good; for i in $(seq 1 40000); do printf '; a comment line to pass 1 MiB\n'; done; } >"$WORK/bigfile.ini"
run_ferry up -f "$WORK/bigfile.ini"
assert_exit 3
assert_one_error_line "^ferry: $WORK/bigfile.ini:[0-9]+: the manifest is longer than 1024 KiB$"

# the good manifest does pass the checks (it then fails to fetch: no peer)
run_ferry up -f "$WORK/ok.ini" --no-bundles
assert_exit 0
