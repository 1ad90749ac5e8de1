/*
 * version.h - `ferry --version`: ferry's version and the versions of the
 * libraries it runs with, as text or as one JSON object (src/version.c).
 *
 * Each engine reports the libraries it owns (one module per library):
 * arc_version.c libarchive with its compression libraries, zstd and
 * xxhash; remote_version.c libcurl with its TLS library and libssh2,
 * expat and libcrypto; torrent_version.cpp libtorrent, through
 * tor_lib_version() in include/ferry/torrent.h.  version.c adds jansson
 * and libinih and prints.  Versions are the ones loaded at run time where
 * the library can tell (libinih cannot: its version is the one ferry was
 * built with).
 *
 * Nothing is allocated for the caller; nothing fails but the write to
 * stdout, which main.c's out_finish() reports.
 */
#ifndef FERRY_VERSION_H
#define FERRY_VERSION_H

#include <stddef.h>

struct out;

/* One library: name, version, and what it was built with as space-
 * separated "name/version" words ("zlib/1.2.13 liblzma/5.4.1"), or "". */
struct version_lib {
    const char *name;
    char version[64];
    char with[512];
};

/* Fill at most max entries of out; return how many. */
size_t arc_version_libs(struct version_lib *out, size_t max);
size_t remote_version_libs(struct version_lib *out, size_t max);

/*
 * Print the versions on stdout: "ferry X.Y.Z" and one line per library
 * ("libcurl 7.88.1 (OpenSSL/3.0.15 libssh2/1.10.0 ...)"), or with --json
 * one "version" event: {"event":"version","v":1,"command":"version",
 * "ferry":"X.Y.Z","libraries":{"libcurl":{"version":"7.88.1",
 * "with":{"OpenSSL":"3.0.15",...}},...}}.
 */
void version_print(struct out *o);

#endif
