/*
 * parse.h - the value parsers every option and (later) the manifest share:
 * whole numbers, decimals (seconds, ratios), rates and HOST:PORT, strict
 * and with the option's name in the error, so "--timeout x" fails the same
 * way in fetch as in push (curl's tool_paramhlp.c).
 *
 * Each parser reads the NUL-terminated string s and, on success, stores
 * the value in *out and returns FY_OK.  On failure it records one usage
 * error in err ("<opt>: '<s>' is not a whole number", "<opt>: 7 is out of
 * range (0-5)"), returns FY_EUSAGE and leaves *out alone.  opt and s are
 * borrowed; nothing is allocated, nothing is printed.
 */
#ifndef FERRY_PARSE_H
#define FERRY_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whole decimal number in [min, max]. */
enum fy_rc parse_i64(const char *opt,
                     const char *s,
                     int64_t min,
                     int64_t max,
                     int64_t *out,
                     struct fy_err *err);
/* Non-negative decimal (e.g. 1.5) up to max; no hex, inf or nan. */
enum fy_rc parse_double(const char *opt,
                        const char *s,
                        double max,
                        double *out,
                        struct fy_err *err);
/*
 * A rate in bytes per second: "0" (no limit), "500K", "4M", "1.5G", "1000"
 * (bytes); suffixes are powers of 1024, case-insensitive, optional "iB/s".
 * At most 2G (PARSE_RATE_MAX): libtorrent keeps a rate in an int of
 * bytes/s, so exactly 2G is taken as INT32_MAX, one byte/s less.
 */
#define PARSE_RATE_MAX ((int64_t)2 << 30)
enum fy_rc
parse_rate(const char *opt, const char *s, int64_t *out, struct fy_err *err);
/*
 * A duration in seconds: a non-negative decimal alone ("90", "1.5": seconds)
 * or one or more terms of a decimal and a unit, ms, s, m (minutes), h or d,
 * largest unit first and each at most once: "90s", "10m", "1.5h", "1h30m",
 * "2d12h", "1m30s", "500ms".  At most max seconds.  The error says
 * "<opt>: bad duration '<s>' (e.g. 90s, 10m, 1h30m)".
 */
enum fy_rc parse_duration(const char *opt,
                          const char *s,
                          double max,
                          double *out,
                          struct fy_err *err);
/*
 * "HOST:PORT" or "[V6]:PORT", port 1-65535 (0 allowed if allow_zero).
 * Only the form is checked: the host is not resolved.
 */
enum fy_rc parse_hostport(const char *opt,
                          const char *s,
                          bool allow_zero,
                          struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
