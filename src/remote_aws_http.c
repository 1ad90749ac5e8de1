/*
 * remote_aws_http.c - the small HTTP client of the AWS credential sources
 * (IMDS, container endpoint, STS): one request with tight limits, a few
 * retries, an answer held in memory up to a cap, never a redirect.
 *
 * What it keeps true: no request outlives its limits (connect and total,
 * per attempt) or Ctrl-C; no answer grows memory past r->max; the URL
 * (which may carry a token) never reaches a message: reasons are curl's
 * text scrubbed of the URL's secrets, or our own words.
 */
#include "aws_int.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "remote_int.h"

#include "ferry/remote.h"

struct sink {
    struct sbuf *out;
    size_t max;
    bool too_big;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    size_t n = size * nmemb;
    if (k->out->len + n > k->max) {
        k->too_big = true;
        return 0;
    }
    sbuf_add(k->out, ptr, n);
    return n;
}

static int
on_progress(void *arg,
            curl_off_t dltotal,
            curl_off_t dlnow,
            curl_off_t ultotal,
            curl_off_t ulnow)
{
    (void)arg;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return fy_interrupted() ? 1 : 0;
}

/* One attempt: true if an answer came. */
static bool
attempt(CURL *c,
        const struct aws_http *r,
        long *status,
        struct sbuf *body,
        char *why,
        size_t whylen)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    struct sink k = {body, r->max, false};
    struct curl_slist *hl = NULL;
    body->len = 0;
    if (body->buf)
        body->buf[0] = '\0';
    curl_easy_reset(c);
    remote_curl_defaults(c);
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, r->connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->total_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
    if (r->no_proxy)
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    for (const char *const *h = r->headers; h != NULL && *h != NULL; h++)
        hl = curl_slist_append(hl, *h);
    if (strcmp(r->method, "POST") == 0) {
        const char *b = r->body ? r->body : "";
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(b));
        curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, b);
    } else if (strcmp(r->method, "PUT") == 0) {
        /* a PUT without a body (the IMDS token request) */
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        hl = curl_slist_append(hl, "Content-Length: 0");
    }
    if (hl != NULL)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (rc == CURLE_OK) {
        sbuf_add(body, "", 0); /* NUL-terminated, not counted */
        return true;
    }
    if (k.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(why, whylen, "answer larger than %zu bytes", r->max);
    else if (fy_interrupted())
        snprintf(why, whylen, "interrupted");
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(why, whylen, "no answer within %.1f s",
                 (double)r->total_ms / 1000);
    else if (rc == CURLE_COULDNT_CONNECT)
        snprintf(why, whylen, "cannot connect");
    else {
        char *s = remote_scrub(ebuf[0] ? ebuf : curl_easy_strerror(rc), r->url);
        snprintf(why, whylen, "%s", s);
        free(s);
    }
    *status = 0;
    return false;
}

bool
remote_aws_http(const struct aws_http *r,
                long *status,
                struct sbuf *body,
                char *why,
                size_t whylen)
{
    CURL *c = NULL;
    *status = 0;
    if (remote_curl_global() != CURLE_OK || (c = curl_easy_init()) == NULL) {
        snprintf(why, whylen, "cannot start libcurl");
        return false;
    }
    int tries = 1 + (r->retries < 0 ? 0 : r->retries > 3 ? 3 : r->retries);
    bool ok = false;
    for (int i = 0; i < tries; i++) {
        ok = attempt(c, r, status, body, why, whylen);
        if (fy_interrupted() || (ok && *status < 500))
            break;
        if (ok)
            snprintf(why, whylen, "HTTP %ld", *status);
        if (i + 1 < tries) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    curl_easy_cleanup(c);
    return ok;
}

/* Is host (no brackets) one the container agent may listen on over
 * plain http? */
static bool
local_host(const char *host)
{
    unsigned char a[16];
    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127 || (a[0] == 169 && a[1] == 254 && a[2] == 170 &&
                               (a[3] == 2 || a[3] == 23));
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char lo[16] = {[15] = 1};
        static const unsigned char eks[16] = {0xfd, 0x00, 0x0e,
                                              0xc2, [15] = 0x23};
        return memcmp(a, lo, 16) == 0 || memcmp(a, eks, 16) == 0;
    }
    return false;
}

bool
remote_aws_container_url_ok(const char *url, char *why, size_t whylen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = false;
    if (u == NULL ||
        curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
            CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        snprintf(why, whylen, "not a URL");
        goto out;
    }
    if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
        snprintf(why, whylen, "not an http:// or https:// URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        snprintf(why, whylen, "no host");
        goto out;
    }
    if (strcasecmp(scheme, "https") == 0) {
        ok = true;
        goto out;
    }
    size_t n = strlen(host);
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    ok = local_host(host);
    if (!ok)
        snprintf(why, whylen,
                 "http:// only to a loopback address or the container "
                 "agent (169.254.170.2, 169.254.170.23, fd00:ec2::23)");
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}
