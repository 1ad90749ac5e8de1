#!/usr/bin/env bash
# `fetch MAGNET --list` gets the metadata from a peer and prints one
# "index<TAB>size<TAB>path" line per file (indices 0..n-1, paths with the
# torrent's top directory), exits 0, and writes nothing: DIR is not created.
# The same for a .torrent file, and as `file` events with --json.  It
# prints no warning and no hash_failed event: the seeder is honest.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 2 5
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
magnet=$(cat "$WORK/out")
start_seed "$WORK/b.torrent" "$WORK/src"

(cd "$WORK/src" && find bundle -type f -printf '%s\t%p\n' | sort -t "$(printf '\t')" -k2) >"$WORK/expect"
nfiles=$(wc -l <"$WORK/expect")

check_list() {  # FILE: the printed list matches the payload
  local what=$1
  cut -f2- "$WORK/out" | sort -t "$(printf '\t')" -k2 >"$WORK/got"
  diff -u "$WORK/expect" "$WORK/got" >&2 || fail "$what: --list output differs from the payload"
  cut -f1 "$WORK/out" | sort -n | tr '\n' ' ' >"$WORK/idx"
  [ "$(cat "$WORK/idx")" = "$(seq 0 $((nfiles - 1)) | tr '\n' ' ')" ] \
    || fail "$what: indices are not 0..$((nfiles - 1)): $(cat "$WORK/idx")"
  cp "$WORK/err" "$WORK/$what.err"
}

run_ferry fetch "$magnet&x.pe=127.0.0.1:$SEED_PORT" --list -o "$WORK/dst" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 40
assert_exit 0
check_list magnet
[ -e "$WORK/dst" ] && fail "--list created DIR: $(find "$WORK/dst" | head -5)"

run_ferry fetch "$WORK/b.torrent" --list -o "$WORK/dst2" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20
assert_exit 0
check_list torrent
[ -e "$WORK/dst2" ] && fail "--list (.torrent) created DIR"

# --json: one `file` event per file, no payload either
run_ferry --json fetch "$magnet&x.pe=127.0.0.1:$SEED_PORT" --list -o "$WORK/dst3" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 40
assert_exit 0
[ "$(json_count file "$WORK/out")" -eq "$nfiles" ] || fail "--json --list: expected $nfiles file events"
[ -e "$WORK/dst3" ] && fail "--json --list created DIR"
# nothing anywhere but the seeder's copy and our own files
[ -z "$(find "$WORK" -name 'file*.bin' ! -path "$WORK/src/*")" ] || fail "--list wrote payload files"
for what in magnet torrent; do
  grep -q '^ferry: ' "$WORK/$what.err" && fail "--list ($what) printed: $(grep '^ferry: ' "$WORK/$what.err" | head -3)"
done
[ "$(json_count hash_failed "$WORK/out")" -eq 0 ] || fail "--json --list: hash_failed events from an honest seeder"
[ "$(json_count warning "$WORK/out")" -eq 0 ] || fail "--json --list: warnings: $(grep '"warning"' "$WORK/out" | head -2)"
exit 0
