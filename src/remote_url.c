/*
 * remote_url.c - storage URLs: parsing into a struct remote_url (scheme,
 * bucket, key, path), the last path element, and how a URL is shown:
 * every secret it holds (the userinfo's password, signatures, keys and
 * tokens in the query or fragment) hidden as "***", also in libcurl's
 * error text that may quote it (remote_scrub).
 *
 * What it keeps true: the URL as given only ever reaches libcurl; what is
 * shown is remote_url_show()'s, escaped as out_escape() does.  Nothing
 * here opens a connection.
 */
#include "ferry/remote.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ferry/out.h"
#include "ferry/xalloc.h"

/* ------------------------------------------------------- URL helpers */

static bool
has_prefix(const char *s, const char *p)
{
    return strncasecmp(s, p, strlen(p)) == 0;
}

/* %XX-decode; false on a bad escape or %00. */
static bool
pct_decode(const char *s, char **out)
{
    return fy_pct_decode(s, strlen(s), out);
}

/* ------------------------------------------------------------- secrets */

/* Byte ranges of a URL that hold secrets, in order. */
struct span {
    size_t off, len;
};
struct spans {
    struct span *v;
    size_t n, cap;
};

static void
span_add(struct spans *s, size_t off, size_t len)
{
    if (len == 0)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n].off = off;
    s->v[s->n].len = len;
    s->n++;
}

/* Does libcurl's own parser accept url (any scheme)? */
static bool
curl_parses(const char *url)
{
    CURLU *u = curl_url();
    if (u == NULL)
        return false;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url,
                                CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS);
    curl_url_cleanup(u);
    return rc == CURLUE_OK;
}

/* Is the query parameter name (len bytes, maybe %-encoded) a secret's? */
static bool
secret_name(const char *name, size_t len)
{
    static const char *const parts[] = {"signature", "credential", "token",
                                        "key",       "pass",       "secret",
                                        "auth",      "session"};
    char *dec = NULL;
    if (!fy_pct_decode(name, len, &dec))
        dec = xasprintf("%.*s", (int)len, name);
    for (char *c = dec; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    bool hit = strcmp(dec, "sig") == 0;
    for (size_t i = 0; !hit && i < sizeof parts / sizeof parts[0]; i++)
        hit = strstr(dec, parts[i]) != NULL;
    free(dec);
    return hit;
}

/* Parameters "a=1&b=2;c=3" in url[from, to): the values of secret ones. */
static void
param_secrets(const char *url, size_t from, size_t to, struct spans *s)
{
    size_t p = from;
    while (p < to) {
        size_t seg = p;
        while (seg < to && url[seg] != '&' && url[seg] != ';')
            seg++;
        const char *eq = memchr(url + p, '=', seg - p);
        if (eq != NULL && secret_name(url + p, (size_t)(eq - url - p))) {
            /* the value runs to the next '&': a ';' may be part of it */
            size_t v = (size_t)(eq - url) + 1, end = v;
            while (end < to && url[end] != '&')
                end++;
            span_add(s, v, end - v);
            seg = end;
        }
        p = seg < to ? seg + 1 : to;
    }
}

/*
 * The secrets of url: the userinfo's password, secret query and fragment
 * values.  When libcurl cannot parse url, the password is taken to run
 * from the first ':' of the authority to the last '@' of the whole URL,
 * wherever a '/', '?' or '#' in it would have ended it.
 */
static void
find_secrets(const char *url, struct spans *s)
{
    const char *sep = strstr(url, "://");
    size_t auth = sep != NULL ? (size_t)(sep - url) + 3 : 0;
    size_t len = strlen(url);
    size_t auth_end = auth + strcspn(url + auth, "/?#");
    bool parses = curl_parses(url);
    size_t at_limit = parses ? auth_end : len;
    size_t at = SIZE_MAX;
    for (size_t i = auth; i < at_limit; i++)
        if (url[i] == '@')
            at = i;
    size_t rest = auth_end;
    if (at != SIZE_MAX) {
        const char *colon = memchr(url + auth, ':', at - auth);
        if (colon != NULL)
            span_add(s, (size_t)(colon - url) + 1,
                     at - (size_t)(colon - url) - 1);
        if (at >= rest)
            rest = at + 1 + strcspn(url + at + 1, "/?#");
    }
    size_t q = rest + strcspn(url + rest, "?#");
    size_t frag = rest + strcspn(url + rest, "#");
    if (q < frag)
        param_secrets(url, q + 1, frag, s);
    if (frag < len)
        param_secrets(url, frag + 1, len, s);
}

char *
remote_url_show(const char *url)
{
    struct spans s = {NULL, 0, 0};
    struct sbuf sb = SBUF_INIT;
    size_t pos = 0;
    find_secrets(url, &s);
    for (size_t i = 0; i < s.n; i++) {
        sbuf_add(&sb, url + pos, s.v[i].off - pos);
        sbuf_adds(&sb, "***");
        pos = s.v[i].off + s.v[i].len;
    }
    sbuf_adds(&sb, url + pos);
    free(s.v);
    char *esc = out_escape(sb.buf);
    sbuf_release(&sb);
    return esc;
}

/*
 * Replace every occurrence of secret in *text by "***".  A secret of fewer
 * than REMOTE_SCRUB_MIN bytes ("sig=1") is left alone: it would garble
 * the text ("127.0.0.1") and hides nothing.
 */
static void
scrub_one(char **text, const char *secret)
{
    size_t n = strlen(secret);
    if (n < REMOTE_SCRUB_MIN || strstr(*text, secret) == NULL)
        return;
    struct sbuf sb = SBUF_INIT;
    const char *p = *text, *hit;
    while ((hit = strstr(p, secret)) != NULL) {
        sbuf_add(&sb, p, (size_t)(hit - p));
        sbuf_adds(&sb, "***");
        p = hit + n;
    }
    sbuf_adds(&sb, p);
    free(*text);
    *text = sbuf_detach(&sb);
}

char *
remote_scrub(const char *text, const char *url)
{
    struct spans s = {NULL, 0, 0};
    char *out = xstrdup(text);
    find_secrets(url, &s);
    for (size_t i = 0; i < s.n; i++) {
        char *raw = xasprintf("%.*s", (int)s.v[i].len, url + s.v[i].off);
        char *dec = NULL;
        scrub_one(&out, raw);
        if (fy_pct_decode(raw, strlen(raw), &dec))
            scrub_one(&out, dec);
        free(dec);
        free(raw);
    }
    free(s.v);
    return out;
}

bool
remote_same_origin(const char *a, const char *b)
{
    static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST,
                                      CURLUPART_PORT};
    CURLU *ua = curl_url(), *ub = curl_url();
    bool same = ua != NULL && ub != NULL &&
                curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
                curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
    for (size_t i = 0; same && i < sizeof parts / sizeof parts[0]; i++) {
        char *x = NULL, *y = NULL;
        unsigned flags = parts[i] == CURLUPART_PORT ? CURLU_DEFAULT_PORT : 0;
        same = curl_url_get(ua, parts[i], &x, flags) == CURLUE_OK &&
               curl_url_get(ub, parts[i], &y, flags) == CURLUE_OK &&
               strcasecmp(x, y) == 0;
        curl_free(x);
        curl_free(y);
    }
    curl_url_cleanup(ua);
    curl_url_cleanup(ub);
    return same;
}

/* ---------------------------------------------------------------- URLs */

void
remote_url_release(struct remote_url *u)
{
    free(u->url);
    free(u->show);
    free(u->bucket);
    free(u->key);
    free(u->path);
    *u = (struct remote_url)REMOTE_URL_INIT;
}

/* remote_url_parse() with show, the URL to name in messages. */
static enum fy_rc
url_parse(const char *s,
          const char *show,
          struct remote_url *u,
          struct fy_err *err)
{
    const char *colon = strstr(s, "://");
    if ((colon == NULL || colon == s) && s[0] == '/')
        return fy_fail(err, FY_EINPUT,
                       "%s: not a URL (use file://%s for a local file)", show,
                       show);
    if (colon == NULL || colon == s)
        return fy_fail(err, FY_EINPUT,
                       "%s: not a URL (s3://, http(s)://, sftp://, file://)",
                       show);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return fy_fail(err, FY_EINPUT, "URL: control character in the URL");
    u->url = xstrdup(s);
    if (has_prefix(s, "s3://")) {
        const char *b = s + 5, *slash = strchr(b, '/');
        u->scheme = REMOTE_S3;
        if (slash == NULL || slash == b || slash[1] == '\0') {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT, "%s: expected s3://BUCKET/KEY",
                           show);
        }
        u->bucket = xasprintf("%.*s", (int)(slash - b), b);
        u->key = xstrdup(slash + 1);
        if (u->key[strlen(u->key) - 1] == '/') {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT,
                           "%s: the key names a folder, not an object", show);
        }
        return FY_OK;
    }
    if (has_prefix(s, "http://") || has_prefix(s, "https://") ||
        has_prefix(s, "sftp://")) {
        const char *host = colon + 3, *slash = strchr(host, '/');
        u->scheme = has_prefix(s, "sftp://") ? REMOTE_SFTP : REMOTE_HTTP;
        if (strchr(s, ' ') != NULL) {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT,
                           "%s: space in the URL (write it as %%20)", show);
        }
        if (slash == host || host[0] == '\0' || host[0] == '?') {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT, "%s: no host in the URL", show);
        }
        if (u->scheme == REMOTE_SFTP &&
            (slash == NULL || slash[1] == '\0' || s[strlen(s) - 1] == '/')) {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT,
                           "%s: expected sftp://[USER@]HOST[:PORT]/PATH of a "
                           "file",
                           show);
        }
        return FY_OK;
    }
    if (has_prefix(s, "file://")) {
        const char *p = s + 7;
        u->scheme = REMOTE_FILE;
        if (has_prefix(p, "localhost/"))
            p += 9;
        if (p[0] != '/') {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT, "%s: expected file:///ABSOLUTE/PATH",
                           show);
        }
        if (!pct_decode(p, &u->path)) {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT, "%s: bad %%-escape in the path",
                           show);
        }
        if (u->path[strlen(u->path) - 1] == '/') {
            remote_url_release(u);
            return fy_fail(err, FY_EINPUT, "%s: names a directory", show);
        }
        return FY_OK;
    }
    remote_url_release(u);
    return fy_fail(err, FY_EINPUT,
                   "%s: unsupported scheme '%.*s' (use s3, http, https, sftp "
                   "or file)",
                   show, (int)(colon - s), s);
}

enum fy_rc
remote_url_parse(const char *s, struct remote_url *u, struct fy_err *err)
{
    *u = (struct remote_url)REMOTE_URL_INIT;
    char *show = remote_url_show(s);
    enum fy_rc rc = url_parse(s, show, u, err);
    if (rc == FY_OK)
        u->show = show;
    else
        free(show);
    return rc;
}

char *
remote_url_basename(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "?#");
    const char *end = p + n;
    const char *slash = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '/')
            slash = q;
    if (slash == NULL || slash + 1 >= end)
        return NULL;
    char *raw = xasprintf("%.*s", (int)(end - slash - 1), slash + 1), *dec;
    if (!pct_decode(raw, &dec)) {
        free(raw);
        return NULL;
    }
    free(raw);
    if (strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0 ||
        strchr(dec, '/') != NULL) {
        free(dec);
        return NULL;
    }
    return dec;
}
