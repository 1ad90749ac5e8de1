/*
 * remote_http.c - plain HTTP(S) storage: PUT with Content-Length for a
 * file, chunked PUT for a stream, GET with Range (parallel chunks, and a
 * retry resumes where it stopped).  Auth the curl way: user:pass@ in the
 * URL, ~/.netrc, --header.
 *
 * What it keeps true: the server gets one PUT of the whole body (a server
 * that stores PUTs through a temporary file, as nginx's dav module does,
 * never shows a partial object).  Redirects are followed only for GET and
 * HEAD, and only to http(s).
 */
#include "remote_int.h"

#include <stdlib.h>
#include <string.h>

static enum fy_rc
http_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    (void)err;
    const struct remote_opts *o = j->t->o;
    curl_easy_setopt(h, CURLOPT_URL, j->t->u.url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    if (j->method == RM_GET || j->method == RM_HEAD) {
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
    if (j->method == RM_PUT)
        j->hdrs = curl_slist_append(j->hdrs, "Expect:");
    for (size_t i = 0; i < o->headers.n; i++)
        j->hdrs = curl_slist_append(j->hdrs, o->headers.v[i]);
    return FY_OK;
}

enum fy_rc
http_target_open(struct rtarget *t, struct fy_err *err)
{
    (void)err;
    t->setup = http_setup;
    t->http = true;
    return FY_OK;
}
