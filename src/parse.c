/*
 * parse.c - strict value parsers for options: strtoll/strtod with the
 * whole string consumed, a range check, and the option's name in the one
 * error line.  Pure functions of their input: no state, no output.
 */
#include "ferry/parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum fy_rc
parse_i64(const char *opt,
          const char *s,
          int64_t min,
          int64_t max,
          int64_t *out,
          struct fy_err *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return fy_fail(err, FY_EUSAGE, "%s: '%s' is not a whole number", opt,
                       s);
    if (v < min || v > max)
        return fy_fail(err, FY_EUSAGE, "%s: %lld is out of range (%lld-%lld)",
                       opt, v, (long long)min, (long long)max);
    *out = v;
    return FY_OK;
}

enum fy_rc
parse_double(
    const char *opt, const char *s, double max, double *out, struct fy_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) ||
        strchr(s, 'x') || strchr(s, 'X'))
        return fy_fail(err, FY_EUSAGE, "%s: '%s' is not a number", opt, s);
    if (v < 0 || v > max)
        return fy_fail(err, FY_EUSAGE, "%s: %s is out of range (0-%g)", opt, s,
                       max);
    *out = v;
    return FY_OK;
}

enum fy_rc
parse_rate(const char *opt, const char *s, int64_t *out, struct fy_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0 ||
        strchr(s, 'x') || strchr(s, 'X'))
        goto bad;
    double mult = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024.0;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1024.0 * 1024;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1024.0 * 1024 * 1024;
        end++;
        break;
    default:
        break;
    }
    if (mult > 1 && (*end == 'i' || *end == 'I'))
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (strcasecmp(end, "/s") == 0)
        end += 2;
    if (*end != '\0')
        goto bad;
    v *= mult;
    if (v > (double)PARSE_RATE_MAX)
        return fy_fail(err, FY_EUSAGE,
                       "%s: '%s' is more than 2G, the largest limit libtorrent "
                       "takes (0 = unlimited)",
                       opt, s);
    /* libtorrent's limit is an int of bytes/s: 2G is one byte/s less */
    *out = v >= (double)INT32_MAX ? INT32_MAX : (int64_t)v;
    return FY_OK;
bad:
    return fy_fail(err, FY_EUSAGE,
                   "%s: '%s' is not a rate (bytes/s, e.g. 500K, 4M, 0 = "
                   "unlimited)",
                   opt, s);
}

/*
 * One "<number><unit>" term of a duration at *p: digits, an optional
 * fraction, then ms, s, m, h or d (a bare number only when it is all of
 * s).  Stores the seconds and the unit's rank (ms 0 ... d 4) and moves
 * *p past the term; false if there is no valid term there.
 */
static bool
duration_term(const char **p, bool whole, double *secs, int *rank)
{
    static const struct {
        const char *name;
        double mult;
    } units[] = {{"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    const char *s = *p, *q = s;
    while (*q >= '0' && *q <= '9')
        q++;
    size_t intlen = (size_t)(q - s);
    if (*q == '.') {
        q++;
        while (*q >= '0' && *q <= '9')
            q++;
    }
    size_t len = (size_t)(q - s);
    /* at least one digit, and at most a sane number of them */
    if (len == 0 || len > 32 || (intlen == 0 && len == 1))
        return false;
    char num[40];
    memcpy(num, s, len);
    num[len] = '\0';
    double v = strtod(num, NULL);
    if (*q == '\0' && whole) { /* "90": seconds */
        *secs = v;
        *rank = 1;
        *p = q;
        return true;
    }
    /* the longest unit name that matches ("ms" before "m") */
    for (int i = 0; i < (int)(sizeof units / sizeof units[0]); i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(q, units[i].name, n) != 0)
            continue;
        *secs = v * units[i].mult;
        *rank = i;
        *p = q + n;
        return true;
    }
    return false;
}

enum fy_rc
parse_duration(
    const char *opt, const char *s, double max, double *out, struct fy_err *err)
{
    const char *p = s;
    double total = 0;
    int last = 5; /* units must come largest first, each at most once */
    if (*s == '\0')
        goto bad;
    while (*p != '\0') {
        double v;
        int rank;
        if (!duration_term(&p, p == s, &v, &rank) || rank >= last)
            goto bad;
        last = rank;
        total += v;
    }
    if (!isfinite(total))
        goto bad;
    if (total > max)
        return fy_fail(err, FY_EUSAGE, "%s: '%s' is more than %gs", opt, s,
                       max);
    *out = total;
    return FY_OK;
bad:
    return fy_fail(err, FY_EUSAGE,
                   "%s: bad duration '%s' (e.g. 90s, 10m, 1h30m)", opt, s);
}

enum fy_rc
parse_hostport(const char *opt,
               const char *s,
               bool allow_zero,
               struct fy_err *err)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close == s + 1 || close[1] != ':')
            goto bad;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || colon == s || memchr(s, ':', (size_t)(colon - s)))
            goto bad;
    }
    int64_t port, min = allow_zero ? 0 : 1;
    struct fy_err tmp = FY_ERR_INIT;
    if (parse_i64(opt, colon + 1, INT64_MIN, INT64_MAX, &port, &tmp) != FY_OK)
        goto bad;
    if (port < min || port > 65535)
        return fy_fail(err, FY_EUSAGE,
                       "%s: '%s': port %lld is out of range (%lld-65535)", opt,
                       s, (long long)port, (long long)min);
    return FY_OK;
bad:
    return fy_fail(err, FY_EUSAGE, "%s: '%s' is not HOST:PORT", opt, s);
}
