/*
 * remote.h - transfers through libcurl (src/remote*.c; the only place that
 * includes <curl/curl.h>).
 *
 * remote_get_mem() fetches a small document (a .torrent) whole into memory:
 * http://, https:// and file:// URLs, redirects followed (at most 5),
 * bounded in size and time.  Errors name the URL and say why: the HTTP
 * status, DNS, TLS or connection failure as curl reports it.
 */
#ifndef FERRY_REMOTE_H
#define FERRY_REMOTE_H

#include <stddef.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbuf;

/* Is s a URL ferry can fetch with remote_get_mem()? */
int remote_is_url(const char *s);

/*
 * Append the body of url to out.  More than max bytes: FY_EINPUT.  No
 * answer within timeout_s seconds in all: FY_ETIMEOUT.  HTTP status >= 400,
 * connection, DNS, TLS errors: FY_ERUNTIME.
 */
enum fy_rc remote_get_mem(const char *url, size_t max, long timeout_s,
                          struct sbuf *out, struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
