/*
 * magnet.h - ferry's own check of a magnet link's info-hash.
 *
 * libtorrent 2.0.8 accepts some malformed info-hashes (SPEC: "checked by
 * ferry itself"), so every magnet goes through magnet_check() before it
 * reaches the session.  Accepted: "urn:btih:" + 40 hex digits or 32 base32
 * characters (v1), "urn:btmh:1220" + 64 hex digits (v2).
 */
#ifndef FERRY_MAGNET_H
#define FERRY_MAGNET_H

#include <stdbool.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Does s look like a magnet link (starts with "magnet:", any case)? */
bool magnet_is(const char *s);

/*
 * Check the magnet's exact-topic parameters.  On success hex holds the
 * lower-case hex info-hash (v1 if present, else the v2 one truncated to
 * 40 digits, as libtorrent names v2 torrents) and FY_OK is returned; on a
 * malformed link FY_EINPUT with a message naming what is wrong.
 */
enum fy_rc magnet_check(const char *uri, char hex[41], struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
