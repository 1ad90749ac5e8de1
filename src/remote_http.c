/*
 * remote_http.c - plain HTTP(S) storage: PUT with Content-Length for a
 * file, chunked PUT for a stream, GET with Range (parallel chunks, and a
 * retry resumes where it stopped).  Auth the curl way: user:pass@ in the
 * URL, ~/.netrc, --header.
 *
 * What it keeps true: the server gets one PUT of the whole body (a server
 * that stores PUTs through a temporary file, as nginx's dav module does,
 * never shows a partial object).  Redirects are followed only for GET and
 * HEAD, and only to http(s); with --header, only to the same scheme, host
 * and port: libcurl would send the custom headers (an API key) to any host
 * a redirect names, so another host is refused before the request goes
 * out (FY_EREFUSED, "redirected to another host").
 */
#include "remote_int.h"

#include <stdlib.h>
#include <string.h>

#include "ferry/xalloc.h"

/*
 * Called before every request goes out, redirects included, once the
 * connection stands: with --header, a request to another origin is
 * stopped here, before its headers are sent.
 */
static int
on_prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
    struct rjob *j = arg;
    char *now = NULL;
    (void)ip;
    (void)local_ip;
    (void)port;
    (void)local_port;
    if (curl_easy_getinfo(j->h, CURLINFO_EFFECTIVE_URL, &now) != CURLE_OK ||
        now == NULL || remote_same_origin(j->t->u.url, now))
        return CURL_PREREQFUNC_OK;
    char *show = remote_url_show(now);
    fy_fail(&j->local, FY_EREFUSED,
            "%s: redirected to another host (%s): refused, it would get the "
            "--header values",
            j->what, show);
    free(show);
    return CURL_PREREQFUNC_ABORT;
}

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
        if (o->headers.n > 0) {
            curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
            curl_easy_setopt(h, CURLOPT_PREREQDATA, j);
        }
    }
    if (j->method == RM_PUT)
        j->hdrs = curl_slist_append(j->hdrs, "Expect:");
    for (size_t i = 0; i < o->headers.n; i++)
        j->hdrs = curl_slist_append(j->hdrs, o->headers.v[i]);
    return FY_OK;
}

static enum fy_rc
http_target_open(struct rtarget *t, struct fy_err *err)
{
    (void)err;
    t->setup = http_setup;
    t->http = true;
    return FY_OK;
}

const struct remote_backend remote_http_backend = {
    .open = http_target_open,
    .push_file = rops_push_file,
    .pull_file = rops_pull_file,
    .upload_open = rops_upload_open,
    .download_open = rops_download_open,
};
