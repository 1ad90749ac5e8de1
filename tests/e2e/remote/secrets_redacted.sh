#!/usr/bin/env bash
# SPEC: secrets are never printed.  A password in a URL's userinfo and the
# values of pre-signed or key/token query parameters appear as *** in every
# line ferry writes (errors, info, -v lines, progress, JSON events) for
# push, pull, save, restore and fetch of a URL, whether the run succeeds or
# fails; the tracker passkey of a torrent's announce URL too.
. "$(dirname "$0")/../lib.sh"
. "$SERVERS_DIR/remote_lib.bash"
start_nginx
head -c 300000 /dev/urandom >"$WORK/f.bin"
make_workspace "$WORK/ws" 1
secrets=(PASS-S3cr3t SIG-S3cr3t CRED-S3cr3t TOK-S3cr3t PASSKEY-S3cr3t KEY-S3cr3t)
host=${HTTP_BASE#http://}
q='X-Amz-Credential=CRED-S3cr3t&X-Amz-Date=20240101T000000Z&X-Amz-Security-Token=TOK-S3cr3t&X-Amz-Signature=SIG-S3cr3t'
auth="http://ferry:PASS-S3cr3t@$host"
dead="http://ferry:PASS-S3cr3t@127.0.0.1:$(free_port)"

# leaks WHAT: no secret in anything the last run printed
leaks() {
  local s
  for s in "${secrets[@]}"; do
    if grep -qF -- "$s" "$WORK/out" "$WORK/err"; then
      grep -F -- "$s" "$WORK/out" "$WORK/err" >&2
      fail "$1: '$s' was printed"
    fi
  done
}
# check RC WHAT ARGS...: ferry ARGS with -v, then with --json -v: exit RC,
# no secret printed, and '***' shown where the URL was (so the URL was
# there to be checked)
check() {
  local want=$1 what=$2; shift 2
  local mode
  for mode in "-v" "--json -v"; do
    # shellcheck disable=SC2086
    run_ferry $mode "$@"
    assert_exit "$want"
    leaks "$what ($mode)"
    grep -qF '***' "$WORK/out" "$WORK/err" || { cat "$WORK/err" >&2; fail "$what ($mode): no *** shown"; }
  done
}

# succeeding runs
check 0 "push" push "$WORK/f.bin" "$auth/up/f.bin?$q" --header 'X-Test: 1'
cmp "$WORK/f.bin" "$WORK/www/up/f.bin" || fail "push did not store the file"
check 0 "pull" pull "$auth/up/f.bin?$q" -o "$WORK/g.bin"
cmp "$WORK/f.bin" "$WORK/g.bin" || fail "pull differs"
check 0 "save" save "$WORK/ws" "$auth/up/ws.tar.zst?$q" --format tar.zst
check 0 "restore" restore "$auth/up/ws.tar.zst?$q" "$WORK/back" --force
same_workspace "$WORK/ws" "$WORK/back" || fail "restore differs"

# failing runs: missing objects, a dead server, malformed URLs
check 1 "pull 404" pull "$auth/up/none.bin?$q" -o "$WORK/x.bin"
check 1 "restore 404" restore "$auth/up/none.tar.zst?$q" "$WORK/none"
check 1 "push to a dead server" push "$WORK/f.bin" "$dead/up/f.bin?$q" --retries 0
check 1 "pull from a dead server" pull "$dead/up/f.bin?$q" -o "$WORK/x.bin" --retries 0
check 1 "save to a dead server" save "$WORK/ws" "$dead/up/ws.tar.zst?$q" --retries 0
check 1 "restore from a dead server" restore "$dead/up/ws.tar.zst?$q" "$WORK/none" --retries 0
check 3 "malformed scheme" pull "htp://ferry:PASS-S3cr3t@$host/x?$q" -o "$WORK/x.bin"
check 3 "space in the URL" pull "http://ferry:PASS-S3cr3t@$host/a b?$q" -o "$WORK/x.bin"
check 3 "unencoded / in the password" pull "http://ferry:PASS-S3cr3t/x@$host/x?$q" -o "$WORK/x.bin" --retries 0
check 2 "no output name" pull "$auth/?$q"
check 3 "file:// with userinfo" push "$WORK/f.bin" "file://ferry:PASS-S3cr3t@/tmp/x"

# fetch of a URL: a missing .torrent, one that is not a torrent, and a
# torrent whose only tracker has a passkey (libtorrent's SSRF mitigation
# refuses a loopback tracker with a query: a tracker error naming it)
check 1 "fetch 404" fetch "$auth/none.torrent?$q" -o "$WORK/dl" "${LOOPBACK_FLAGS[@]}" --listen 127.0.0.1:0
cp "$WORK/f.bin" "$WORK/www/junk.torrent"
check 3 "fetch junk" fetch "$auth/junk.torrent?$q" -o "$WORK/dl" "${LOOPBACK_FLAGS[@]}" --listen 127.0.0.1:0
check 1 "fetch from a dead server" fetch "$dead/x.torrent?$q" -o "$WORK/dl" "${LOOPBACK_FLAGS[@]}" --listen 127.0.0.1:0
make_payload "$WORK/bundle" 1 1
run_ferry make-torrent "$WORK/bundle" -o "$WORK/www/b.torrent" \
  --tracker "http://127.0.0.1:$(free_port)/announce?passkey=PASSKEY-S3cr3t&key=KEY-S3cr3t"
assert_exit 0
for mode in "-v" "--json -v"; do
  # shellcheck disable=SC2086
  run_ferry $mode fetch "$auth/b.torrent?$q" -o "$WORK/dl-${mode// /}" "${LOOPBACK_FLAGS[@]}" \
    --listen 127.0.0.1:0 --stall-timeout 3 --timeout 30
  assert_exit 5
  leaks "fetch with a refused tracker ($mode)"
  grep -q 'passkey=\*\*\*&key=\*\*\*' "$WORK/out" "$WORK/err" || { cat "$WORK/err" >&2; fail "fetch ($mode): the tracker URL was not shown"; }
done
exit 0
