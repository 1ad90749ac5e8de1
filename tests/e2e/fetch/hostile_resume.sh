#!/usr/bin/env bash
# Resume data found in DIR/.ferry is hostile input (it can arrive inside a
# restored workspace): a planted <infohash>.resume that maps every file to
# an absolute path outside DIR, moves save_path, adds a tracker, a web
# seed and a peer, and sets paused/seed/upload mode and a 1 B/s limit must
# not make `ferry fetch` touch anything outside DIR, contact the planted
# tracker, or change how it downloads: the fetch completes into DIR with
# every byte verified, and the resume/state files it writes are 0600.
. "$(dirname "$0")/../lib.sh"

make_payload "$WORK/src/bundle" 2 3
: >"$WORK/src/bundle/empty"  # libtorrent creates empty files when it checks
run_ferry make-torrent "$WORK/src/bundle" -o "$WORK/b.torrent"
assert_exit 0
ih=$(torrent_infohash "$WORK/b.torrent")
start_seed "$WORK/b.torrent" "$WORK/src"

# a "tracker" that records any request it gets
mkdir -p "$WORK/trap-root"
start_http trap "$WORK/trap-root"
trap_url="${HTTP_URL}announce"

mkdir -p "$WORK/outside" "$WORK/dst/.ferry"
bt hostile-resume "$WORK/dst/.ferry/$ih.resume" "$WORK/b.torrent" "$WORK/outside" "$trap_url"
before=$(tree_snapshot "$WORK/outside")

run_ferry --json fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 60
[ -z "$(find "$WORK/outside" -name "mapped-*")" ] || fail "a mapped file was created outside DIR: $(find "$WORK/outside")"
[ "$(tree_snapshot "$WORK/outside")" = "$before" ] \
  || fail "the planted resume data made fetch write outside DIR: $(find "$WORK/outside")"
grep -q 'GET' "$WORK/trap.log" && fail "fetch contacted the tracker/web seed planted in the resume data: $(cat "$WORK/trap.log")"
assert_exit 0
same_tree "$WORK/src" "$WORK/dst" || fail "the fetched files differ from the source"
for f in "$WORK/dst/.ferry/$ih.resume" "$WORK/dst/.ferry/$ih.state"; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f"), expected 600"
done

# a resume file that is a symlink is not read (and is replaced, not followed)
echo "secret" >"$WORK/outside/target"
rm -f "$WORK/dst/.ferry/$ih.resume" "$WORK/dst/.ferry/$ih.state"
ln -s "$WORK/outside/target" "$WORK/dst/.ferry/$ih.resume"
run_ferry fetch "$WORK/b.torrent" -o "$WORK/dst" --peer "127.0.0.1:$SEED_PORT" \
  --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 20 --timeout 60
assert_exit 0
[ "$(cat "$WORK/outside/target")" = secret ] || fail "fetch wrote through a symlinked resume file"
grep -q 'warning: ignoring resume data' "$WORK/err" || fail "no warning about the symlinked resume file: $(cat "$WORK/err")"
exit 0
