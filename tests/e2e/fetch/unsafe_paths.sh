#!/usr/bin/env bash
# A torrent whose name or file paths try to climb out of -o DIR ("../",
# "sub/../../", "..", an absolute path), crafted here with correct piece
# hashes and seeded by `ferry seed`, never makes `ferry fetch` write outside
# DIR: whatever the exit code (0 with cleaned names inside DIR, or 4), no
# file carrying the test's tag appears outside DIR and the seeder's copy,
# in DIR's parent, its siblings or the directory above.  With exit 0 every
# file is inside DIR with its content.
. "$(dirname "$0")/../lib.sh"

tag="ferry-evil-$$-$RANDOM"
mkdir -p "$WORK/box/sibling"

# probe LABEL TORRENT CONTENT_DIR: seed TORRENT with libtorrent's cleaned
# layout, fetch it into $WORK/box/dst-LABEL, check nothing escaped.
probe() {
  local label=$1 torrent=$2 content=$3 dst="$WORK/box/dst-$1" seed="$WORK/seed-$1"
  # the layout the seeder needs: the paths as ferry lists them
  run_ferry fetch "$torrent" --list --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}"
  if [ "$RC" -eq 4 ]; then
    assert_one_error_line '^ferry: .*unsafe'
    run_ferry fetch "$torrent" -o "$dst" --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 5
    assert_exit 4
    assert_one_error_line '^ferry: .*unsafe'
  else
    assert_exit 0
    cp "$WORK/out" "$WORK/list-$label"
    local i size path
    while IFS="$(printf '\t')" read -r i size path; do
      case "/$path/" in */../*|*/./*|//*) fail "$label: --list printed an unsafe path: $path" ;; esac
      mkdir -p "$(dirname "$seed/$path")"
      cp "$content/$i.bin" "$seed/$path"
    done <"$WORK/list-$label"
    start_seed "$torrent" "$seed" "seed-$label"
    before=$(tree_snapshot "$WORK/box" "$dst")
    run_ferry fetch "$torrent" -o "$dst" --peer "127.0.0.1:$SEED_PORT" \
      --listen 127.0.0.1:0 "${LOOPBACK_FLAGS[@]}" --stall-timeout 15 --timeout 40
    stop_bg "$SEED_PID"
    [ "$RC" -eq 0 ] || [ "$RC" -eq 4 ] || { cat "$WORK/err" >&2; fail "$label: exit $RC, expected 0 or 4"; }
    [ "$(tree_snapshot "$WORK/box" "$dst")" = "$before" ] || fail "$label: something appeared in DIR's parent: $(tree_snapshot "$WORK/box" "$dst")"
    if [ "$RC" -eq 0 ]; then
      while IFS="$(printf '\t')" read -r i size path; do
        cmp -s "$content/$i.bin" "$dst/$path" || fail "$label: $path is not in DIR with its content"
      done <"$WORK/list-$label"
    fi
  fi
  # nothing with the tag anywhere but the DIRs and the seeders' copies
  local stray
  stray=$(find "$(dirname "$WORK")" -maxdepth 4 -name "*$tag*" ! -path "$WORK/box/dst-*/*" ! -path "$WORK/seed-*/*" 2>/dev/null)
  [ -z "$stray" ] || fail "$label: written outside DIR: $stray"
}

# 1. multi-file: '..' elements in the file paths, an absolute path
bt craft "$WORK/multi.torrent" "$WORK/c-multi" 16384 bundle \
  "../../../$tag-a" "sub/../../$tag-b" "ok-$tag" "../$tag-c" ".." "/$tag-abs" "sub/./$tag-d" >/dev/null
probe multi "$WORK/multi.torrent" "$WORK/c-multi"

# 2. multi-file whose name climbs out
bt craft "$WORK/name.torrent" "$WORK/c-name" 16384 "../../$tag-top" "x-$tag" "../$tag-e" >/dev/null
probe name "$WORK/name.torrent" "$WORK/c-name"

# 3. single file whose name climbs out
bt craft1 "$WORK/single.torrent" "$WORK/c-single" 16384 "../../$tag-single" >/dev/null
probe single "$WORK/single.torrent" "$WORK/c-single"

# 4. multi-file named '..'
bt craft "$WORK/dotdot.torrent" "$WORK/c-dotdot" 16384 ".." "$tag-f" "../$tag-g" >/dev/null
probe dotdot "$WORK/dotdot.torrent" "$WORK/c-dotdot"
exit 0
