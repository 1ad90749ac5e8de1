/*
 * remote_curl.c - libcurl as every part of ferry meets it: the one global
 * initialisation, the defaults every handle gets (no signals, ferry's
 * User-Agent, the CA bundle from the environment), and small
 * whole-document downloads into memory (a .torrent by URL).
 *
 * What it keeps true: curl_global_init() runs once, whichever thread asks
 * first; a document fetched into memory is held to a hard cap, so a
 * hostile server cannot make us allocate without bound, and nothing is
 * written to disk; libcurl's error text is shown scrubbed of the URL's
 * secrets.
 */
#include "ferry/remote.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include "remote_int.h"

#include "ferry/xalloc.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void
global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURLcode
remote_curl_global(void)
{
    pthread_once(&global_once, global_init);
    return global_rc;
}

void
remote_curl_defaults(CURL *curl)
{
    static const char *const names[] = {"CURL_CA_BUNDLE", "AWS_CA_BUNDLE",
                                        "SSL_CERT_FILE"};
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "ferry/" FERRY_VERSION);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && *v != '\0') {
            curl_easy_setopt(curl, CURLOPT_CAINFO, v);
            return;
        }
    }
}

int
remote_is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 ||
           strncasecmp(s, "https://", 8) == 0 ||
           strncasecmp(s, "file://", 7) == 0;
}

struct sink {
    struct sbuf *out;
    size_t max, start;
    int too_big;
};

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct sink *k = arg;
    size_t n = size * nmemb;
    if (k->out->len - k->start + n > k->max) {
        k->too_big = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    sbuf_add(k->out, ptr, n);
    return n;
}

enum fy_rc
remote_get_mem(const char *url,
               size_t max,
               long timeout_s,
               struct sbuf *out,
               struct fy_err *err)
{
    char *show = remote_url_show(url), *etext = NULL;
    CURL *c = NULL;
    enum fy_rc rc = FY_OK;
    if (remote_curl_global() != CURLE_OK || (c = curl_easy_init()) == NULL) {
        rc = fy_fail(err, FY_ERUNTIME, "%s: cannot start libcurl", show);
        goto out;
    }
    char ebuf[CURL_ERROR_SIZE] = "";
    struct sink k = {out, max, out->len, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                     timeout_s < 30 ? timeout_s : 30);
    remote_curl_defaults(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    CURLcode r = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* libcurl's text may quote a part of the URL */
    etext = remote_scrub(ebuf[0] ? ebuf : curl_easy_strerror(r), url);
    if (k.too_big || r == CURLE_FILESIZE_EXCEEDED)
        rc = fy_fail(err, FY_EINPUT, "%s: larger than %zu bytes", show, max);
    else if (r == CURLE_OPERATION_TIMEDOUT)
        rc = fy_fail(err, FY_ETIMEOUT, "%s: no answer within %ld s", show,
                     timeout_s);
    else if (r == CURLE_UNSUPPORTED_PROTOCOL || r == CURLE_URL_MALFORMAT)
        rc = fy_fail(err, FY_EINPUT, "%s: %s", show, etext);
    else if (r != CURLE_OK)
        rc = fy_fail(err, FY_ERUNTIME, "%s: %s", show, etext);
    else if (status >= 400)
        rc = fy_fail(err, FY_ERUNTIME, "%s: server answered HTTP %ld%s", show,
                     status, status == 404 ? " (not found)" : "");
out:
    curl_easy_cleanup(c);
    free(etext);
    free(show);
    return rc;
}
