/*
 * magnet.c - strict parsing of a magnet link's "xt" parameters.
 *
 * Only the info-hash is checked here; trackers, web seeds and peer hints are
 * left to libtorrent's parser.  Percent-encoding inside xt is not allowed:
 * an info-hash is plain ASCII, and a link that encodes it is malformed.
 */
#include "ferry/magnet.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool
magnet_is(const char *s)
{
    return strncasecmp(s, "magnet:", 7) == 0;
}

static bool
all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static void
lower_hex(char out[41], const char *s)
{
    for (size_t i = 0; i < 40; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[40] = '\0';
}

/* RFC 4648 base32 (upper or lower case), 32 chars -> 20 bytes -> hex. */
static bool
base32_to_hex(const char *s, char out[41])
{
    unsigned char bytes[20];
    unsigned long long acc = 0;
    int bits = 0;
    size_t nb = 0;
    for (size_t i = 0; i < 32; i++) {
        int c = toupper((unsigned char)s[i]), v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= '2' && c <= '7')
            v = c - '2' + 26;
        else
            return false;
        acc = (acc << 5) | (unsigned)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            bytes[nb++] = (unsigned char)(acc >> bits);
            acc &= (1ULL << bits) - 1;
        }
    }
    for (size_t i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return true;
}

enum fy_rc
magnet_check(const char *uri, char hex[41], struct fy_err *err)
{
    if (!magnet_is(uri) || uri[7] != '?')
        return fy_fail(err, FY_EINPUT,
                       "magnet link: must start with 'magnet:?'");
    bool v1 = false, v2 = false;
    const char *p = uri + 8;
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        /* xt, or xt.1, xt.2 ... */
        if (eq && eq - p >= 2 && strncasecmp(p, "xt", 2) == 0 &&
            (eq - p == 2 || p[2] == '.')) {
            const char *v = eq + 1;
            size_t vlen = len - (size_t)(v - p);
            if (vlen >= 9 && strncasecmp(v, "urn:btih:", 9) == 0) {
                const char *h = v + 9;
                size_t hl = vlen - 9;
                if (hl == 40 && all_hex(h, 40)) {
                    lower_hex(hex, h);
                } else if (hl == 32) {
                    if (!base32_to_hex(h, hex))
                        return fy_fail(err, FY_EINPUT,
                                       "magnet link: info-hash '%.*s' is not "
                                       "valid base32",
                                       (int)hl, h);
                } else {
                    return fy_fail(err, FY_EINPUT,
                                   "magnet link: info-hash '%.*s' is not 40 "
                                   "hex or 32 base32 characters",
                                   (int)(hl > 80 ? 80 : hl), h);
                }
                if (v1)
                    return fy_fail(err, FY_EINPUT,
                                   "magnet link: more than one btih info-hash");
                v1 = true;
            } else if (vlen >= 9 && strncasecmp(v, "urn:btmh:", 9) == 0) {
                const char *h = v + 9;
                size_t hl = vlen - 9;
                if (hl != 68 || strncmp(h, "1220", 4) != 0 || !all_hex(h, 68))
                    return fy_fail(err, FY_EINPUT,
                                   "magnet link: btmh info-hash is not "
                                   "'1220' + 64 hex digits");
                if (!v1)
                    lower_hex(hex, h + 4);
                v2 = true;
            }
        }
        p += len;
        if (*p == '&')
            p++;
    }
    if (!v1 && !v2)
        return fy_fail(err, FY_EINPUT,
                       "magnet link: no 'xt=urn:btih:' info-hash");
    return FY_OK;
}
