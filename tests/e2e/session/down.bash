# tests/e2e/session/down.bash - helpers for the tests of ferry down and
# autosave.  Source after lib.sh (and remote_lib.bash for S3).

# manifest FILE PATH REMOTE KEEP [EXCLUDE] [AUTOSAVE]: a ferry.ini with a
# [workspace] section only.
manifest() {
  {
    echo "[workspace]"
    echo "path = $2"
    echo "remote = $3"
    echo "keep = $4"
    [ -n "${5:-}" ] && echo "exclude = $5"
    [ -n "${6:-}" ] && echo "autosave = $6"
  } >"$1"
}

# current_save REMOTE: the name of the save the pointer REMOTE.current
# names first (empty if there is no pointer).
current_save() {
  "$FERRY" -q pull "$1.current" -o - 2>/dev/null | sed -n 2p
}

# picked_save REMOTE: the save `ferry up` restores, chosen as
# session_pick() chooses (its every case is unit-tested in
# tests/unit/test_session_save.c; session/life_cycle runs ferry up
# itself): the first save the pointer names that a listing finds, else
# the newest save listed.
picked_save() {
  local listed n
  listed=$("$FERRY" -q ls "$1.saves/" | awk '{print $NF}' \
    | grep -E '^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[0-9a-f]{8}\.tar\.zst$' | sort -r)
  for n in $("$FERRY" -q pull "$1.current" -o - 2>/dev/null | sed -n '2,$p'); do
    if grep -qxF "$n" <<<"$listed"; then echo "$n"; return 0; fi
  done
  head -n 1 <<<"$listed"
}

# restore_current REMOTE DIR: restore the save `ferry up` would into DIR.
restore_current() {
  local name; name=$(picked_save "$1")
  [ -n "$name" ] || { echo "no save at $1" >&2; return 1; }
  "$FERRY" -q restore "$1.saves/$name" "$2"
}

# ws_state DIR: one line per file: path and content hash (to compare a
# restored tree with a snapshot).
ws_state() {
  (cd "$1" && find . -type f ! -path './.ferry/*' -exec sha256sum {} + | sort -k2)
}
