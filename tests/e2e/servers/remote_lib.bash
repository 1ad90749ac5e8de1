# tests/e2e/servers/remote_lib.bash - servers for the remote storage tests
# (push/pull/save/restore).  Source after lib.sh.  Every server listens on
# 127.0.0.1 only, keeps its files in $WORK and is stopped by PID on exit.

S3_BUCKET=bkt
# The tests' objects are small: 64 KiB parts and chunks make many of them.
export FERRY_S3_PART_SIZE=${FERRY_S3_PART_SIZE:-65536}

# start_s3 [PORT]: s3rver (tests/e2e/servers/s3.js: SigV4 checked, abort
# and list-uploads added) with bucket $S3_BUCKET, data in $WORK/s3data
# (kept across restarts).  Sets S3_PORT, S3_PID and the AWS_* variables
# ferry reads.
start_s3() {
  need node
  # one install at a time (ctest -j runs several S3 tests at once)
  flock "${TMPDIR:-/tmp}/ferry-servers-install.lock" "$SERVERS_DIR/install" >"$WORK/npm.log" 2>&1 || skip "cannot install s3rver from npm: $(tail -2 "$WORK/npm.log")"
  mkdir -p "$WORK/s3data"
  rm -f "$WORK/s3.port"
  start_bg s3 node "$SERVERS_DIR/s3.js" "$WORK/s3data" "$S3_BUCKET" "$WORK/s3.port" "${1:-0}"
  S3_PID=$BG_PID
  wait_for 30 test -s "$WORK/s3.port" || fail "s3rver did not start: $(tail -5 "$WORK/s3.log")"
  S3_PORT=$(cat "$WORK/s3.port")
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT"
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3
}

# s3_curl ARGS...: a SigV4-signed request to the test server with curl.
s3_curl() {
  curl -sS --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$@"
}

# s3_uploads: the multipart uploads in progress, one "<Upload>" per line.
s3_uploads() {
  s3_curl "$AWS_ENDPOINT_URL/$S3_BUCKET?uploads=" | grep -o '<Upload>' || true
}

# s3_has KEY: the object exists (HTTP 200 to a HEAD).
s3_has() {
  [ "$(s3_curl -o /dev/null -w '%{http_code}' -I "$AWS_ENDPOINT_URL/$S3_BUCKET/$1")" = 200 ]
}

# start_cutoff FILE MODE: cutoff.py serving FILE (a PUT stores FILE.put),
# cutting connections per MODE (see cutoff.py); sets CUT_URL.
start_cutoff() {
  rm -f "$WORK/cut.port" "$1.put"
  start_bg "cut-$2" python3 -u "$SERVERS_DIR/cutoff.py" "$1" "$WORK/cut.port" "$2"
  wait_for 10 test -s "$WORK/cut.port" || fail "cutoff.py did not start"
  CUT_URL="http://127.0.0.1:$(cat "$WORK/cut.port")/ws.tar.zst"
}

# start_nginx [tls]: nginx with WebDAV PUT on a free port, serving
# $WORK/www.  Sets HTTP_BASE (no trailing slash) and NGINX_PID.  With tls:
# HTTPS with a certificate for 127.0.0.1 signed by a CA made here
# ($WORK/tls/ca.pem, trusted by nobody else), HTTP_BASE is https://.
# NGINX_HTTP_EXTRA (optional): more directives for the http block (a
# log_format, limit_rate...).
start_nginx() {
  local tls=${1:-} listen_opts="" tls_conf="" scheme=http
  if [ "$tls" = tls ]; then
    command -v openssl >/dev/null || skip "needs openssl"
    make_test_ca "$WORK/tls"
    listen_opts=" ssl"
    tls_conf="ssl_certificate $WORK/tls/server.pem; ssl_certificate_key $WORK/tls/server.key;"
    scheme=https
  fi
  local nginx=/usr/sbin/nginx
  [ -x "$nginx" ] || nginx=$(command -v nginx || true)
  [ -n "$nginx" ] || skip "needs nginx (scripts/deps test)"
  local port; port=$(free_port)
  mkdir -p "$WORK/www" "$WORK/nginx/tmp"
  local user=""
  [ "$(id -u)" -eq 0 ] && user="user root;"
  cat >"$WORK/nginx/nginx.conf" <<CONF
$user
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log $WORK/nginx/access.log;
  ${NGINX_HTTP_EXTRA:-}
  client_body_temp_path $WORK/nginx/tmp;
  proxy_temp_path $WORK/nginx/tmp;
  fastcgi_temp_path $WORK/nginx/tmp;
  uwsgi_temp_path $WORK/nginx/tmp;
  scgi_temp_path $WORK/nginx/tmp;
  server {
    listen 127.0.0.1:$port$listen_opts;
    $tls_conf
    root $WORK/www;
    client_max_body_size 0;
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
CONF
  start_bg nginx "$nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log"
  NGINX_PID=$BG_PID
  wait_for 10 port_open "$port" || fail "nginx did not start: $(tail -3 "$WORK/nginx.log" "$WORK/nginx/error.log" 2>/dev/null)"
  HTTP_BASE="$scheme://127.0.0.1:$port"
}

# make_test_ca DIR: DIR/ca.pem (a throwaway CA) and DIR/server.{pem,key}
# (CN and subjectAltName 127.0.0.1), made with openssl.
make_test_ca() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ferry test CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null || fail "openssl: CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null || fail "openssl: CSR"
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -CAcreateserial -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null \
    || fail "openssl: sign"
}

# start_sshd: OpenSSH's sshd on a free port with a host key and a user key
# made here; ferry's HOME is $WORK/home (key in .ssh/id_ed25519, the host
# in .ssh/known_hosts).  Sets SFTP_BASE (sftp://USER@127.0.0.1:PORT),
# SSH_HOME, SSHD_PID, SSHD_PORT.
start_sshd() {
  local sshd=/usr/sbin/sshd
  [ -x "$sshd" ] || skip "needs sshd (openssh-server; scripts/deps test)"
  need ssh-keygen
  SSHD_PORT=$(free_port)
  local d="$WORK/sshd" user
  user=$(id -un)
  SSH_HOME="$WORK/home"
  mkdir -p "$d" "$SSH_HOME/.ssh"
  chmod 700 "$SSH_HOME/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C ferry-test-host -f "$d/host_ed25519" || fail "ssh-keygen (host)"
  ssh-keygen -q -t ed25519 -N '' -C ferry-test-user -f "$SSH_HOME/.ssh/id_ed25519" || fail "ssh-keygen (user)"
  cp "$SSH_HOME/.ssh/id_ed25519.pub" "$d/authorized_keys"
  echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >"$SSH_HOME/.ssh/known_hosts"
  cat >"$d/sshd_config" <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $d/host_ed25519
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $user
Subsystem sftp internal-sftp
CONF
  # privilege separation needs this directory when sshd runs as root
  if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
  "$sshd" -t -f "$d/sshd_config" 2>"$WORK/sshd-t.log" || skip "sshd refuses this config: $(tail -2 "$WORK/sshd-t.log")"
  start_bg sshd "$sshd" -D -e -f "$d/sshd_config"
  SSHD_PID=$BG_PID
  wait_for 10 port_open "$SSHD_PORT" || fail "sshd did not start: $(tail -3 "$WORK/sshd.log")"
  SFTP_BASE="sftp://$user@127.0.0.1:$SSHD_PORT"
}

# make_workspace DIR: a small tree like a real one: files in several
# directories, an empty directory, a symlink (also a dangling one), a
# hardlink and an executable.
make_workspace() {
  local d=$1
  make_payload "$d" "${2:-2}" 4
  mkdir -p "$d/src/pkg" "$d/empty" "$d/venv/bin"
  for i in $(seq 1 40); do echo "line $i of module $i" >"$d/src/pkg/mod$i.py"; done
  printf '#!/bin/sh\necho hi\n' >"$d/run.sh"; chmod 755 "$d/run.sh"
  ln -s /usr/bin/python3 "$d/venv/bin/python"
  ln -s ../file0.bin "$d/src/link0"
  ln "$d/src/pkg/mod1.py" "$d/src/pkg/hard1.py"
}

# same_workspace A B: same files, contents, symlinks and modes.
same_workspace() {
  diff -r --no-dereference "$1" "$2" >&2 || return 1
  (cd "$1" && find . -printf '%p %y %m %l\n' | sort) >"$WORK/ws-a.ls"
  (cd "$2" && find . -printf '%p %y %m %l\n' | sort) >"$WORK/ws-b.ls"
  diff -u "$WORK/ws-a.ls" "$WORK/ws-b.ls" >&2
}

# s3_parts_ge N: the server has seen at least N UploadPart requests.
s3_parts_ge() { [ "$(grep -c 'partNumber=' "$WORK/s3.log" 2>/dev/null)" -ge "$1" ]; }

# kill_s3: kill -9 the s3rver process itself (not just its timeout
# wrapper), as a crash would, and wait until its port is closed.
kill_s3() {
  local child; child=$(child_of "$S3_PID")
  [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
  stop_bg "$S3_PID"
  wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$S3_PORT) 2>/dev/null" || fail "s3rver did not die"
}

# start_hostile NAME MODE [ARG...]: tests/e2e/servers/hostile_http.py in
# MODE (serve FILE, redirect BASE [FILE], size N, busy N FILE; serve and
# size take +nohead=CODE and +norange; see the script) on a free
# port; every request it sees is a JSON line in $WORK/NAME.log.  Sets
# HOSTILE_PORT and HOSTILE_URL (http://127.0.0.1:PORT, no trailing slash).
start_hostile() {
  local name=$1; shift
  rm -f "$WORK/$name.port"
  start_bg "$name" python3 -u "$SERVERS_DIR/hostile_http.py" "$WORK/$name.port" "$@"
  wait_for 10 test -s "$WORK/$name.port" || fail "hostile_http.py $1 did not start: $(tail -3 "$WORK/$name.log")"
  HOSTILE_PORT=$(cat "$WORK/$name.port")
  HOSTILE_URL="http://127.0.0.1:$HOSTILE_PORT"
}

# --------------------------------------------------- AWS credential chain

# start_s3_temp [PORT]: start_s3, also accepting the temporary credentials
# the fake credential services hand out ($WORK/temp-creds, each with its
# own session token) and logging "AUTH KEY REGION" per signed request;
# then takes the static keys away, so ferry must find credentials through
# the chain.
start_s3_temp() {
  export S3_CREDS_FILE="$WORK/temp-creds" S3_LOG_AUTH=1
  : >>"$S3_CREDS_FILE"
  start_s3 "$@"
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
}

# start_aws_meta NAME MODE [OPTION...]: tests/e2e/servers/aws_meta.py, a
# fake IMDS (imds, imdsv1), container credentials endpoint (container) or
# STS (sts) on a free port, handing out temporary credentials into
# $WORK/temp-creds; one JSON line per request in $WORK/NAME.log.  Sets
# META_URL (http://127.0.0.1:PORT).
start_aws_meta() {
  local name=$1 mode=$2; shift 2
  rm -f "$WORK/$name.port"
  start_bg "$name" python3 -u "$SERVERS_DIR/aws_meta.py" "$mode" "$WORK/$name.port" "$WORK/temp-creds" "$@"
  wait_for 10 test -s "$WORK/$name.port" || fail "aws_meta.py $mode did not start: $(tail -3 "$WORK/$name.log")"
  META_URL="http://127.0.0.1:$(cat "$WORK/$name.port")"
}

# issued_count NAME: how many credentials the fake service NAME handed out.
issued_count() { grep -c '"issued"' "$WORK/$1.log" 2>/dev/null || true; }

# temp_auths: the distinct temporary keys s3rver saw requests signed with.
temp_auths() { grep '^AUTH ASIA' "$WORK/s3.log" | cut -d' ' -f2 | sort -u; }

# no_rejects: no request was refused for its signature or credentials.
no_rejects() {
  ! grep -E 'SIGV4 REJECTED|CRED REJECTED' "$WORK/s3.log" >&2
}

# start_flip_proxy PATTERN...: flip_proxy.py in front of s3rver (start_s3
# first): the first PUT whose target contains each PATTERN reaches s3rver
# with one byte of its body flipped.  Points AWS_ENDPOINT_URL at the proxy;
# its requests are JSON lines in $WORK/flip.log.
start_flip_proxy() {
  rm -f "$WORK/flip.port"
  start_bg flip python3 -u "$SERVERS_DIR/flip_proxy.py" "$WORK/flip.port" "$S3_PORT" "$@"
  wait_for 10 test -s "$WORK/flip.port" || fail "flip_proxy.py did not start: $(tail -3 "$WORK/flip.log")"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$WORK/flip.port")"
}
