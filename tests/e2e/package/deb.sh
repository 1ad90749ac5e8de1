#!/usr/bin/env bash
# scripts/package makes a Debian package that names the right runtime
# libraries, holds the stripped binary, the man page, share/doc/ferry and
# the bash, zsh and fish completions (what the binary prints),
# runs from an extracted tree, and installs and removes with dpkg.
#
# It builds the release preset into its own directory under $WORK (about a
# minute on 2 cores).  The real `dpkg -i` runs only when ferry is not
# already installed on this machine, under a lock, and `dpkg -r` always
# follows: the test never leaves ferry installed.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root: scripts/package installs missing build packages and the test runs dpkg -i"
need dpkg dpkg-deb dpkg-query readelf ldd gzip flock

SRC=$(cd "$FERRY_TESTS_DIR/.." && pwd)
version=$(sed -n 's/^project(ferry VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt's project()"
arch=$(dpkg --print-architecture)

# --- build the package into a private dist directory -------------------------
FERRY_PACKAGE_BUILD_DIR="$WORK/build" "$SRC/scripts/package" -o "$WORK/dist" \
  >"$WORK/package.log" 2>"$WORK/package.err" || fail "scripts/package failed"
deb=$(tail -n 1 "$WORK/package.log")
[ "$deb" = "$WORK/dist/ferry_${version}_${arch}.deb" ] \
  || fail "scripts/package printed '$deb', not $WORK/dist/ferry_${version}_${arch}.deb"
[ -f "$deb" ] || fail "no file at $deb"
[ "$(find "$WORK/dist" -mindepth 1 | wc -l)" -eq 1 ] || fail "dist holds more than the .deb"

# --- control fields ------------------------------------------------------------
dpkg-deb -I "$deb" >"$WORK/info.log" || fail "dpkg-deb -I cannot read the package"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = ferry ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)'"
[ "$(field Section)" = net ] || fail "Section is '$(field Section)', not net"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
[ -n "$depends" ] || fail "no Depends (is CPACK_DEBIAN_PACKAGE_SHLIBDEPS on?)"
dep_names=$(printf '%s\n' "$depends" | tr ',|' '\n\n' | sed 's/(.*//; s/^ *//; s/ *$//' | sort -u)
has_dep() { printf '%s\n' "$dep_names" | grep -qxE "$1"; }   # a regex
has_pkg() { printf '%s\n' "$dep_names" | grep -qxF "$1"; }   # a name

# The libraries ferry is about (Debian 12's names; a t64 suffix, as later
# releases have, counts too).
for p in libtorrent-rasterbar2.0 libarchive13 libcurl4 libzstd1 libinih1 \
         libjansson4 libxxhash0 libexpat1 libssl3; do
  has_dep "${p//./\\.}(t64)?" || fail "Depends lacks $p: $depends"
done

# And every library the binary really links (its NEEDED entries, found as
# the loader finds them) is in a package that Depends names.
bin="$WORK/build/ferry"
[ -x "$bin" ] || fail "no binary at $bin"
readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$WORK/needed.log"
[ -s "$WORK/needed.log" ] || fail "readelf found no NEEDED libraries in $bin"
ldd "$bin" >"$WORK/ldd.log" || fail "ldd $bin failed"
while read -r lib; do
  case "$lib" in ld-linux*|linux-vdso*) continue ;; esac
  path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }' "$WORK/ldd.log")
  [ -n "$path" ] || fail "ldd does not resolve $lib"
  # dpkg knows a file by one of its names (/lib or /usr/lib: merged /usr)
  real=$(readlink -f "$path")
  owners=""
  for cand in "$path" "$real" "${path#/usr}" "/usr${path#/usr}" "${real#/usr}" "/usr${real#/usr}"; do
    owners=$(dpkg -S "$cand" 2>/dev/null | head -n 1) && [ -n "$owners" ] && break
  done
  [ -n "$owners" ] || fail "no Debian package owns $path ($lib)"
  # "pkg1:arch, pkg2: /path": one of them must be in Depends
  found=""
  for pkg in $(printf '%s\n' "${owners%%: *}" | tr ',' ' '); do
    has_pkg "${pkg%%:*}" && found=${pkg%%:*}
  done
  [ -n "$found" ] || fail "ferry links $lib ($path, package ${owners%%: *}) but Depends lacks it: $depends"
done <"$WORK/needed.log"

# --- contents ------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $NF }' >"$WORK/contents.log" || fail "dpkg-deb -c failed"
for f in ./usr/bin/ferry ./usr/share/man/man1/ferry.1.gz \
         ./usr/share/doc/ferry/README.md ./usr/share/doc/ferry/LICENSE \
         ./usr/share/doc/ferry/copyright ./usr/share/doc/ferry/doc/FETCH.md \
         ./usr/share/doc/ferry/doc/PERFORMANCE.md \
         ./usr/share/doc/ferry/doc/json.md \
         ./usr/share/doc/ferry/doc/ferry-events.schema.json \
         ./usr/share/bash-completion/completions/ferry \
         ./usr/share/zsh/vendor-completions/_ferry \
         ./usr/share/fish/vendor_completions.d/ferry.fish; do
  grep -qxF "$f" "$WORK/contents.log" || fail "the package lacks $f"
done
if grep -v -e '^\./usr/' -e '^\./$' "$WORK/contents.log" | grep -q .; then
  fail "the package installs outside /usr: $(grep -v -e '^\./usr/' -e '^\./$' "$WORK/contents.log" | head -n 3)"
fi

# --- extracted: stripped, runs with this system's libraries ---------------------
dpkg-deb -x "$deb" "$WORK/root" || fail "dpkg-deb -x failed"
xbin="$WORK/root/usr/bin/ferry"
readelf -S "$xbin" >"$WORK/sections.log" || fail "readelf -S $xbin failed"
if grep -qE '\.(symtab|debug_[a-z]+)' "$WORK/sections.log"; then
  fail "the packaged binary is not stripped: $(grep -oE '\.(symtab|debug_[a-z]+)' "$WORK/sections.log" | sort -u | tr '\n' ' ')"
fi
if command -v file >/dev/null; then
  file "$xbin" | grep -q ', stripped' || fail "file does not call it stripped: $(file "$xbin")"
fi
gzip -t "$WORK/root/usr/share/man/man1/ferry.1.gz" || fail "the man page is no valid gzip"
gzip -dc "$WORK/root/usr/share/man/man1/ferry.1.gz" | grep -q '^\.TH ' \
  || fail "the gzipped man page has no .TH line"
out=$("$xbin" --version 2>&1) || fail "the extracted ferry --version failed: $out"
printf '%s\n' "$out" | grep -q "^ferry $version" || fail "ferry --version says '$out'"
# the completion scripts are what the packaged binary prints
for c in bash:bash-completion/completions/ferry zsh:zsh/vendor-completions/_ferry \
         fish:fish/vendor_completions.d/ferry.fish; do
  "$xbin" completion "${c%%:*}" >"$WORK/completion.${c%%:*}" \
    || fail "the extracted ferry completion ${c%%:*} failed"
  cmp -s "$WORK/completion.${c%%:*}" "$WORK/root/usr/share/${c#*:}" \
    || fail "the packaged ${c#*:} is not what 'ferry completion ${c%%:*}' prints"
done

# --- the real thing: dpkg -i, ferry --version, dpkg -r ----------------------------
status=$(dpkg-query -W -f='${Status}' ferry 2>/dev/null || true)
case "$status" in
  "" | *" not-installed") ;;
  *) echo "NOTE: ferry is already installed here ($status): not running dpkg -i/-r" >&2
     exit 0 ;;
esac
if [ -e /usr/bin/ferry ]; then
  echo "NOTE: /usr/bin/ferry exists and no package owns it: not running dpkg -i/-r" >&2
  exit 0
fi

installed=0
uninstall() {
  [ "$installed" -eq 1 ] || return 0
  installed=0
  dpkg_retry -r ferry >>"$WORK/dpkg.log" 2>&1 || echo "WARNING: dpkg -r ferry failed; see $WORK/dpkg.log" >&2
}
trap '_rc=$?; uninstall; (exit $_rc); _cleanup' EXIT

# dpkg does not wait for its own lock (apt may hold it): try for a while.
dpkg_retry() {
  local i
  for i in $(seq 1 60); do
    if dpkg "$@" >"$WORK/dpkg.try" 2>&1; then cat "$WORK/dpkg.try"; return 0; fi
    grep -qi 'lock' "$WORK/dpkg.try" || { cat "$WORK/dpkg.try"; return 1; }
    sleep 1
  done
  cat "$WORK/dpkg.try"
  return 1
}

# One package test at a time on this machine installs ferry.
exec 8>"${TMPDIR:-/tmp}/ferry-e2e-package-dpkg.lock"
flock -w 240 8 || fail "could not take the dpkg lock in 240 s"
installed=1
dpkg_retry -i "$deb" >"$WORK/dpkg.log" 2>&1 || fail "dpkg -i $deb failed: $(tail -n 5 "$WORK/dpkg.log")"
[ "$(dpkg-query -W -f='${Status}' ferry)" = "install ok installed" ] || fail "dpkg-query does not see ferry installed"
out=$(/usr/bin/ferry --version 2>&1) || fail "the installed /usr/bin/ferry --version failed: $out"
printf '%s\n' "$out" | grep -q "^ferry $version" || fail "installed ferry --version says '$out'"
[ -f /usr/share/man/man1/ferry.1.gz ] || fail "no man page installed"
[ -f /usr/share/doc/ferry/copyright ] || fail "no copyright file installed"
[ -f /usr/share/bash-completion/completions/ferry ] || fail "no bash completion installed"
uninstall
case "$(dpkg-query -W -f='${Status}' ferry 2>/dev/null || true)" in
  "" | *" not-installed") ;;
  *) fail "dpkg -r left ferry in state $(dpkg-query -W -f='${Status}' ferry)" ;;
esac
[ ! -e /usr/bin/ferry ] || fail "dpkg -r left /usr/bin/ferry behind"
echo "ok: $(basename "$deb"): dpkg -i, /usr/bin/ferry --version ($out), dpkg -r" >&2
exit 0
