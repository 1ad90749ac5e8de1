/*
 * arc_version.c - the versions of the archive engine's libraries for
 * `ferry --version`: libarchive (with the compression libraries it was
 * built with, archive_version_details()), zstd and xxhash.
 */
#include "ferry/version.h"

#include <archive.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

/* "libarchive 3.6.2 zlib/1.2.13 ..." -> version "3.6.2", with "zlib/..." */
static void
archive_lib(struct version_lib *l)
{
    const char *d = archive_version_details();
    const char *v = strchr(d, ' ');
    v = v ? v + 1 : d;
    size_t vlen = strcspn(v, " ");
    snprintf(l->version, sizeof l->version, "%.*s", (int)vlen, v);
    const char *w = v + vlen;
    while (*w == ' ')
        w++;
    snprintf(l->with, sizeof l->with, "%s", w);
}

size_t
arc_version_libs(struct version_lib *out, size_t max)
{
    size_t n = 0;
    if (n < max) {
        out[n] = (struct version_lib){"libarchive", "", ""};
        archive_lib(&out[n++]);
    }
    if (n < max) {
        out[n] = (struct version_lib){"libzstd", "", ""};
        snprintf(out[n++].version, sizeof out->version, "%s",
                 ZSTD_versionString());
    }
    if (n < max) {
        unsigned x = XXH_versionNumber(); /* MAJOR*10000 + MINOR*100 + REL */
        out[n] = (struct version_lib){"libxxhash", "", ""};
        snprintf(out[n++].version, sizeof out->version, "%u.%u.%u", x / 10000,
                 x / 100 % 100, x % 100);
    }
    return n;
}
