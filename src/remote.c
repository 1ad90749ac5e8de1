/*
 * remote.c - storage URLs to backends, the retry policy, and the
 * transfers every backend shares: a PUT of a whole file, a pull into a
 * file by parallel ranged GETs, an upload stream through a pipe (HTTP,
 * SFTP) and a download stream through a window of ranged GETs.
 *
 * What it keeps true: nothing is renamed into its final name before every
 * byte arrived (local files through fs_atomic_*, remote ones by the
 * backend's commit); memory for a stream is bounded by the chunks in
 * flight; every failure that reaches the user names the URL and says why
 * in one line.
 */
#include "ferry/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/cli.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#define MIB (1024 * 1024)

/* ------------------------------------------------------------ options */

void
remote_opts_init(struct remote_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = REMOTE_RETRIES_DEFAULT;
    o->parallel = REMOTE_PARALLEL_DEFAULT;
    o->stall_timeout = REMOTE_STALL_DEFAULT;
    o->headers = (struct strlist)STRLIST_INIT;
}

void
remote_opts_release(struct remote_opts *o)
{
    strlist_release(&o->headers);
}

bool
remote_opt_is(int opt)
{
    return opt >= REMOTE_OPT_BASE && opt < REMOTE_OPT_END;
}

enum fy_rc
remote_opts_set(struct remote_opts *o,
                int opt,
                const char *arg,
                struct fy_err *err)
{
    int64_t v;
    switch (opt) {
    case REMOTE_OPT_RETRIES:
        if (cli_parse_i64("--retries", arg, 0, 100, &v, err) != FY_OK)
            return err->rc;
        o->retries = (int)v;
        return FY_OK;
    case REMOTE_OPT_STALL:
        return cli_parse_double("--stall-timeout", arg, 86400.0 * 365,
                                &o->stall_timeout, err);
    case REMOTE_OPT_PARALLEL:
        if (cli_parse_i64("--parallel", arg, 1, 64, &v, err) != FY_OK)
            return err->rc;
        o->parallel = (int)v;
        return FY_OK;
    case REMOTE_OPT_HEADER:
        if (strchr(arg, ':') == NULL || arg[0] == ':' ||
            strpbrk(arg, "\r\n") != NULL)
            return fy_fail(err, FY_EUSAGE,
                           "--header: expected 'Name: value' (the argument "
                           "is not shown: it may hold a secret)");
        strlist_add(&o->headers, arg);
        return FY_OK;
    case REMOTE_OPT_SSH_KEY:
        if (arg[0] == '\0')
            return fy_fail(err, FY_EUSAGE, "--ssh-key: empty file name");
        o->ssh_key = arg;
        return FY_OK;
    case REMOTE_OPT_KNOWN_HOSTS:
        if (arg[0] == '\0')
            return fy_fail(err, FY_EUSAGE, "--known-hosts: empty file name");
        o->known_hosts = arg;
        return FY_OK;
    case REMOTE_OPT_INSECURE_HOST:
        o->insecure_host = true;
        return FY_OK;
    default:
        return fy_fail(err, FY_EUSAGE, "unknown remote option");
    }
}

int64_t
remote_chunk_size(const struct remote_opts *o)
{
    const char *env = getenv("FERRY_S3_PART_SIZE");
    if (env != NULL && *env) {
        char *end;
        long long v = strtoll(env, &end, 10);
        if (*end == '\0' && v >= 1024)
            return v;
    }
    return o->part_size > 0 ? o->part_size : 8 * MIB;
}

static void
global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
remote_curl_global(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, global_init);
}

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

/* ------------------------------------------------------- retry policy */

static struct remote_verdict
verdict(enum remote_action a, enum fy_rc rc, const char *why)
{
    struct remote_verdict v = {a, rc, why};
    return v;
}

struct remote_verdict
remote_classify(int curl_code, long status, bool get)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "cannot resolve the host");
    case CURLE_COULDNT_CONNECT:
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "cannot connect");
    case CURLE_OPERATION_TIMEDOUT:
        return verdict(REMOTE_RETRY, FY_ETIMEOUT, "stalled (no data)");
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_AGAIN:
    case CURLE_SSH:
    case CURLE_UPLOAD_FAILED:
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "connection lost");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "TLS/SSH host verification failed");
    case CURLE_LOGIN_DENIED:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "login denied: check the user name and key");
    case CURLE_REMOTE_FILE_NOT_FOUND:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       get ? "no such object" : "no such directory");
    case CURLE_REMOTE_ACCESS_DENIED:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "permission denied");
    case CURLE_REMOTE_DISK_FULL:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "remote disk full");
    case CURLE_QUOTE_ERROR:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "remote command failed");
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return verdict(REMOTE_FAIL, FY_EINPUT, "bad URL");
    case CURLE_ABORTED_BY_CALLBACK:
        return verdict(REMOTE_FAIL, FY_EINTR, "interrupted");
    case CURLE_RANGE_ERROR:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "the server does not support byte ranges");
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "local I/O error");
    default:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "transfer failed");
    }
    if (status == 0 || (status >= 200 && status < 300))
        return verdict(REMOTE_DONE, FY_OK, NULL);
    if (status == 408)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "request timeout");
    if (status == 429)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "too many requests");
    if (status == 503)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "server busy");
    if (status == 501) /* not transient (curl retries 500 and 502-504) */
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "the server does not implement this request");
    if (status >= 500)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "server error");
    if (status == 401)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "authentication failed: check credentials");
    if (status == 403)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "access denied: check credentials and permissions");
    if (status == 404)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       get ? "no such object" : "no such bucket or path");
    if (status == 416)
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "range not satisfiable");
    if (status >= 300 && status < 400)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "redirected elsewhere (wrong region or endpoint?)");
    return verdict(REMOTE_FAIL, FY_ERUNTIME, "refused by the server");
}

double
remote_backoff(int attempt, double retry_after, double jitter)
{
    if (retry_after > 0)
        return retry_after > 120 ? 120 : retry_after;
    double base = attempt < 1 ? 1 : ldexp(1.0, attempt - 1);
    if (base > 30)
        base = 30;
    return base * (0.5 + jitter);
}

double
remote_parse_retry_after(const char *v, double now)
{
    while (*v == ' ')
        v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        double d = strtod(v, &end);
        while (*end == ' ')
            end++;
        return *end == '\0' ? d : -1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    double when = (double)timegm(&tm);
    return when > now ? when - now : 0;
}

/* ------------------------------------------------------------ targets */

enum fy_rc
rtarget_open(struct rtarget *t,
             const char *url,
             const struct remote_opts *o,
             struct fy_err *err)
{
    memset(t, 0, sizeof *t);
    t->o = o;
    enum fy_rc rc = remote_url_parse(url, &t->u, err);
    if (rc != FY_OK)
        return rc;
    switch (t->u.scheme) {
    case REMOTE_S3:
        rc = s3_target_open(t, err);
        break;
    case REMOTE_HTTP:
        rc = http_target_open(t, err);
        break;
    case REMOTE_SFTP:
        rc = sftp_target_open(t, err);
        break;
    case REMOTE_FILE:
        break;
    }
    if (rc != FY_OK)
        rtarget_release(t);
    return rc;
}

void
rtarget_release(struct rtarget *t)
{
    if (t->be_free != NULL && t->be != NULL)
        t->be_free(t->be);
    t->be = NULL;
    remote_url_release(&t->u);
}

/*
 * A GET of byte 0, for a server that refuses HEAD (a URL pre-signed for GET
 * answers HEAD with 403): a 206 names the size in Content-Range, a 200
 * (byte ranges ignored) is stopped after its headers and names it in
 * Content-Length, if at all.  *ranges says which it was.
 */
static enum fy_rc
probe_range(struct rtarget *t,
            struct out *out,
            struct remote_stats *st,
            int64_t *total,
            bool *ranges,
            struct fy_err *err)
{
    struct rjob j;
    struct fy_err local = FY_ERR_INIT;
    char byte;
    rjob_init(&j, t, RM_GET);
    j.what = xstrdup(t->u.show);
    j.dst = &byte;
    j.ranged = true;
    j.len = 1;
    j.size_probe = true;
    enum fy_rc rc = remote_run_one(t, &j, out, -1, st, &local);
    *ranges = j.status == 206;
    *total = *ranges ? j.total : j.clen;
    if (rc != FY_OK && j.status == 416 && j.total == 0) {
        *ranges = true; /* an empty object: it has no byte 0 */
        *total = 0;
        rc = FY_OK;
    } else if (rc != FY_OK) {
        fy_fail(err, rc, "%s", local.msg);
    }
    j.dst = NULL;
    rjob_release(&j);
    return rc;
}

/*
 * What pull and restore learn before the first byte: the size of the
 * object (-1 if the server does not say) and whether it honours byte
 * ranges, from a HEAD, or, if HEAD is refused (HTTP 403, 405, 501), from
 * probe_range().  A missing object fails "no such object".  A size beyond
 * REMOTE_MAX_OBJECT fails before anything is computed from it.  Retries
 * are counted in st and shown with -v.
 */
static enum fy_rc
probe(struct rtarget *t,
      struct out *out,
      struct remote_stats *st,
      int64_t *total,
      bool *ranges,
      struct fy_err *err)
{
    struct rjob j;
    struct fy_err local = FY_ERR_INIT;
    rjob_init(&j, t, RM_HEAD);
    j.what = xstrdup(t->u.show);
    enum fy_rc rc = remote_run_one(t, &j, out, -1, st, &local);
    long status = j.status;
    *total = j.total;
    *ranges = true;
    rjob_release(&j);
    if (rc == FY_ERUNTIME && t->http &&
        (status == 403 || status == 405 || status == 501)) {
        out_verbose(out,
                    "%s: HEAD refused (HTTP %ld): asking for its first byte "
                    "instead",
                    t->u.show, status);
        rc = probe_range(t, out, st, total, ranges, err);
    } else if (rc != FY_OK) {
        fy_fail(err, rc, "%s", local.msg);
    }
    if (rc == FY_OK && *total > REMOTE_MAX_OBJECT)
        rc = fy_fail(err, FY_ERUNTIME,
                     "%s: the server says the object is %s%lld bytes, more "
                     "than 5 TiB, the largest object ferry accepts",
                     t->u.show, *total == INT64_MAX ? "at least " : "",
                     (long long)*total);
    if (rc == FY_OK && !*ranges)
        out_verbose(out, "%s: the server ignores byte ranges: one plain GET",
                    t->u.show);
    return rc;
}

enum fy_rc
remote_check_space(int fd, const char *name, int64_t size, struct fy_err *err)
{
    struct statvfs vfs;
    if (size <= 0 || fstatvfs(fd, &vfs) != 0 || vfs.f_frsize == 0)
        return FY_OK; /* unknown: the writes will tell */
    uint64_t avail = (uint64_t)vfs.f_bavail;
    if (avail > UINT64_MAX / vfs.f_frsize)
        return FY_OK;
    avail *= vfs.f_frsize;
    if ((uint64_t)size <= avail)
        return FY_OK;
    char need[24], have[24];
    out_fmt_size(need, sizeof need, size);
    out_fmt_size(have, sizeof have,
                 avail > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)avail);
    return fy_fail(err, FY_ERUNTIME,
                   "%s: not enough space: the object is %s, %s free", name,
                   need, have);
}

static void
summary_start(struct out *out, const char *what, const char *url, int64_t size)
{
    out_event(out, "start", "{sssssI}", "command", what, "url", url, "size",
              (long long)size);
}

/* --------------------------------------------------------------- push */

enum fy_rc
remote_push(const char *path,
            const char *url,
            const struct remote_opts *o,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct remote_stats local = {0};
    struct rtarget t;
    double t0 = out_now();
    enum fy_rc rc = rtarget_open(&t, url, o, err);
    if (rc != FY_OK)
        return rc;
    if (t.u.scheme == REMOTE_FILE) {
        rc = file_push(path, t.u.path, o, out, &local, err);
        goto done;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", path);
        goto done;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = fy_fail(err, FY_EINPUT, "%s: not a regular file", path);
        close(fd);
        goto done;
    }
    if ((int64_t)sb.st_size > REMOTE_MAX_OBJECT) {
        rc = fy_fail(err, FY_ERUNTIME,
                     "%s: larger than 5 TiB, the largest object S3 and "
                     "ferry accept",
                     path);
        close(fd);
        goto done;
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    summary_start(out, "push", t.u.show, (int64_t)sb.st_size);
    if (t.u.scheme == REMOTE_S3 && sb.st_size > remote_chunk_size(o)) {
        rc = s3_push_file(&t, fd, (int64_t)sb.st_size, out, &local, err);
    } else {
        struct rjob j;
        rjob_init(&j, &t, RM_PUT);
        j.what = xstrdup(t.u.show);
        j.fd = fd;
        j.len = (int64_t)sb.st_size;
        j.payload = true;
        rc = remote_run_one(&t, &j, out, j.len, &local, err);
        rjob_release(&j);
        if (rc == FY_OK && t.commit != NULL)
            rc = t.commit(&t, out, &local, err);
        if (rc != FY_OK && t.discard != NULL)
            t.discard(&t);
    }
    close(fd);
done:
    local.seconds = out_now() - t0;
    if (st != NULL)
        *st = local;
    rtarget_release(&t);
    return rc;
}

/* --------------------------------------------------------------- pull */

/*
 * Download url into path in byte order, through remote_download_open():
 * for stdout ("-") and for an output that is a device, FIFO or socket,
 * which cannot take writes at offsets (SPEC: written into directly).
 */
static enum fy_rc
pull_in_order(const char *url,
              const char *path,
              const struct remote_opts *o,
              struct out *out,
              struct remote_stats *st,
              struct fy_err *err)
{
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct fy_istream is;
    bool to_stdout = strcmp(path, "-") == 0;
    int fd = STDOUT_FILENO;
    const char *name = "stdout";
    enum fy_rc rc = remote_download_open(&is, url, o, out, st, err);
    if (rc != FY_OK)
        return rc;
    char *buf = xmalloc(1 << 20);
    if (!to_stdout) {
        if ((rc = fs_atomic_open(&af, path, 0644, err)) != FY_OK)
            goto out;
        fd = af.fd;
        name = fs_atomic_name(&af);
        if (!af.direct &&
            (rc = remote_check_space(fd, name, is.size, err)) != FY_OK)
            goto out;
    }
    for (;;) {
        size_t got = 0;
        if ((rc = is.read(is.ctx, buf, 1 << 20, &got, err)) != FY_OK ||
            got == 0)
            break;
        if ((rc = fs_write_all(fd, buf, got, name, err)) != FY_OK)
            break;
    }
    if (rc == FY_OK && !to_stdout)
        rc = fs_atomic_commit(&af, err);
out:
    free(buf);
    is.close(is.ctx);
    fs_atomic_abort(&af);
    return rc;
}

enum fy_rc
remote_pull(const char *url,
            const char *path,
            const struct remote_opts *o,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct remote_stats local = {0};
    double t0 = out_now();
    struct rtarget t;
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct rjob *jobs = NULL;
    size_t n = 0;
    int64_t total = -1;
    enum fy_rc rc;
    if (strcmp(path, "-") == 0 || fs_is_special(path)) {
        rc = pull_in_order(url, path, o, out, &local, err);
        goto stats;
    }
    if ((rc = rtarget_open(&t, url, o, err)) != FY_OK)
        goto stats;
    if (t.u.scheme == REMOTE_FILE) {
        rc = file_push(t.u.path, path, o, out, &local, err);
        goto done;
    }
    bool ranges;
    if ((rc = probe(&t, out, &local, &total, &ranges, err)) != FY_OK)
        goto done;
    if ((rc = fs_atomic_open(&af, path, 0644, err)) != FY_OK)
        goto done;
    if (af.direct) {
        /* it became a device or FIFO since we looked: no offsets there */
        fs_atomic_abort(&af);
        rtarget_release(&t);
        rc = pull_in_order(url, path, o, out, &local, err);
        goto stats;
    }
    if ((rc = remote_check_space(af.fd, fs_atomic_name(&af), total, err)) !=
        FY_OK)
        goto done;
    summary_start(out, "pull", t.u.show, total);
    /* total <= REMOTE_MAX_OBJECT (probe): no overflow below; without
     * byte ranges, or without a size, one plain GET (a retry starts it
     * over) */
    int64_t chunk = remote_chunk_size(o);
    if (!ranges && total >= 0)
        chunk = total > 0 ? total : 1;
    n = total < 0 ? 1 : (size_t)((total + chunk - 1) / chunk);
    jobs = xcalloc(n ? n : 1, sizeof *jobs);
    struct reng e;
    reng_init(&e, o, out, total);
    for (size_t i = 0; i < n; i++) {
        struct rjob *j = &jobs[i];
        rjob_init(j, &t, RM_GET);
        j->what = xstrdup(t.u.show);
        j->dst_fd = af.fd;
        j->off = (int64_t)i * chunk;
        j->len = total < 0                ? -1
                 : total - j->off < chunk ? total - j->off
                                          : chunk;
        j->ranged = ranges && total >= 0;
        j->payload = true;
        reng_submit(&e, j);
    }
    reng_close(&e);
    rc = reng_run(&e, err);
    remote_stats_add(&local, &e.st);
    reng_release(&e);
    if (rc == FY_OK && total >= 0 && local.bytes != total)
        rc = fy_fail(err, FY_ERUNTIME, "%s: got %lld of %lld bytes", t.u.show,
                     (long long)local.bytes, (long long)total);
    if (rc == FY_OK)
        rc = fs_atomic_commit(&af, err);
done:
    fs_atomic_abort(&af);
    for (size_t i = 0; i < n; i++)
        rjob_release(&jobs[i]);
    free(jobs);
    rtarget_release(&t);
stats:
    local.seconds = out_now() - t0;
    if (st != NULL)
        *st = local;
    return rc;
}

/* ------------------------------------------- upload stream (HTTP, SFTP) */

struct up_pipe {
    struct rtarget t;
    struct reng e;
    struct rpipe *p;
    struct rjob j;
    struct out *out;
    struct remote_stats *st;
    double t0;
};

static enum fy_rc
up_pipe_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    struct up_pipe *u = ctx;
    return rpipe_write(u->p, buf, n, err);
}

static enum fy_rc
up_pipe_close(void *ctx, bool commit, struct fy_err *err)
{
    struct up_pipe *u = ctx;
    enum fy_rc rc = FY_OK;
    if (commit) {
        rpipe_finish(u->p);
        reng_close(&u->e);
        rc = reng_join(&u->e, err);
        if (rc == FY_OK && u->t.commit != NULL)
            rc = u->t.commit(&u->t, u->out, u->st, err);
    } else {
        reng_cancel(&u->e, FY_EINTR, "upload cancelled");
        reng_join(&u->e, NULL);
    }
    if ((rc != FY_OK || !commit) && u->t.discard != NULL)
        u->t.discard(&u->t);
    if (u->st != NULL) {
        remote_stats_add(u->st, &u->e.st);
        u->st->seconds = out_now() - u->t0;
    }
    rjob_release(&u->j);
    rpipe_free(u->p);
    reng_release(&u->e);
    rtarget_release(&u->t);
    free(u);
    return rc;
}

enum fy_rc
remote_upload_open(struct fy_ostream *os,
                   const char *url,
                   const struct remote_opts *o,
                   struct out *out,
                   struct remote_stats *st,
                   struct fy_err *err)
{
    struct up_pipe *u = xcalloc(1, sizeof *u);
    enum fy_rc rc = rtarget_open(&u->t, url, o, err);
    if (rc != FY_OK) {
        free(u);
        return rc;
    }
    summary_start(out, o->phase ? o->phase : "upload", u->t.u.show, -1);
    if (u->t.u.scheme == REMOTE_FILE || u->t.u.scheme == REMOTE_S3) {
        struct rtarget t = u->t;
        free(u);
        if (t.u.scheme == REMOTE_FILE) {
            rc = file_upload_open(os, t.u.path, o, out, st, err);
            rtarget_release(&t);
            return rc;
        }
        return s3_upload_open(os, &t, out, st, err); /* takes t */
    }
    memset(os, 0, sizeof *os);
    u->out = out;
    u->st = st;
    u->t0 = out_now();
    reng_init(&u->e, o, out, -1);
    u->p = rpipe_new(&u->e, 4 * MIB);
    rjob_init(&u->j, &u->t, RM_PUT);
    u->j.what = xstrdup(u->t.u.show);
    u->j.pipe = u->p;
    u->j.payload = true;
    reng_submit(&u->e, &u->j);
    reng_start(&u->e);
    os->write = up_pipe_write;
    os->close = up_pipe_close;
    os->ctx = u;
    os->name = u->t.u.show;
    os->fd = -1;
    return FY_OK;
}

/* --------------------------------------------------------- download */

struct down {
    struct rtarget t;
    struct reng e;
    struct rjob *slots;
    int w; /* slots: chunks held at once */
    int64_t total, chunk, pos, nchunks, next;
    struct remote_stats *st;
    double t0;
    /* a server without byte ranges, or without a size: one plain GET
     * (slots[0]) into this pipe; eof once it has all been read */
    struct rpipe *sink;
    bool eof;
};

static void
down_submit(struct down *d)
{
    while (d->next < d->nchunks && d->next < d->pos / d->chunk + d->w) {
        struct rjob *j = &d->slots[d->next % d->w];
        rjob_release(j);
        free(j->dst);
        rjob_init(j, &d->t, RM_GET);
        j->what = xstrdup(d->t.u.show);
        j->num = d->next;
        j->off = d->next * d->chunk;
        j->len = d->total - j->off < d->chunk ? d->total - j->off : d->chunk;
        j->dst = xmalloc((size_t)j->len);
        j->ranged = true;
        j->payload = true;
        reng_submit(&d->e, j);
        d->next++;
    }
}

/* The one plain GET's bytes, as they come (see struct down). */
static enum fy_rc
down_read_sink(
    struct down *d, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    ssize_t n = d->eof ? 0 : rpipe_read(d->sink, buf, cap);
    if (n < 0) {
        pthread_mutex_lock(&d->e.mu);
        enum fy_rc rc = d->e.rc;
        pthread_mutex_unlock(&d->e.mu);
        if (rc != FY_OK)
            return fy_fail(err, rc, "%s", d->e.err.msg);
        return fy_fail(err, FY_EINTR, "%s: interrupted", d->t.u.show);
    }
    d->eof = n == 0;
    d->pos += n;
    *got = (size_t)n;
    return FY_OK;
}

static enum fy_rc
down_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct down *d = ctx;
    *got = 0;
    if (d->sink != NULL)
        return down_read_sink(d, buf, cap, got, err);
    if (d->pos >= d->total)
        return FY_OK;
    int64_t k = d->pos / d->chunk;
    struct rjob *j = &d->slots[k % d->w];
    pthread_mutex_lock(&d->e.mu);
    while (!j->finished && d->e.rc == FY_OK && !d->e.exited)
        pthread_cond_wait(&d->e.cv, &d->e.mu);
    enum fy_rc rc = d->e.rc;
    bool ok = j->finished;
    pthread_mutex_unlock(&d->e.mu);
    if (rc != FY_OK)
        return fy_fail(err, rc, "%s", d->e.err.msg);
    if (!ok)
        return fy_fail(err, FY_ERUNTIME, "%s: download ended early",
                       d->t.u.show);
    int64_t in = d->pos - j->off, left = j->len - in;
    size_t n = (int64_t)cap < left ? cap : (size_t)left;
    memcpy(buf, j->dst + in, n);
    d->pos += (int64_t)n;
    *got = n;
    if (d->pos == j->off + j->len) {
        free(j->dst);
        j->dst = NULL;
        down_submit(d);
    }
    return FY_OK;
}

static void
down_close(void *ctx)
{
    struct down *d = ctx;
    if (d->sink != NULL ? !d->eof : d->pos < d->total)
        reng_cancel(&d->e, FY_EINTR, "download cancelled");
    reng_close(&d->e);
    reng_join(&d->e, NULL);
    if (d->st != NULL) {
        remote_stats_add(d->st, &d->e.st);
        d->st->seconds = out_now() - d->t0;
    }
    for (int i = 0; i < d->w; i++) {
        free(d->slots[i].dst);
        rjob_release(&d->slots[i]);
    }
    free(d->slots);
    rpipe_free(d->sink);
    reng_release(&d->e);
    rtarget_release(&d->t);
    free(d);
}

static enum fy_rc
sink_done(struct rjob *j, struct fy_err *err)
{
    (void)err;
    rpipe_finish(j->sink);
    return FY_OK;
}

enum fy_rc
remote_download_open(struct fy_istream *is,
                     const char *url,
                     const struct remote_opts *o,
                     struct out *out,
                     struct remote_stats *st,
                     struct fy_err *err)
{
    struct down *d = xcalloc(1, sizeof *d);
    enum fy_rc rc = rtarget_open(&d->t, url, o, err);
    if (rc != FY_OK) {
        free(d);
        return rc;
    }
    if (d->t.u.scheme == REMOTE_FILE) {
        rc = file_download_open(is, d->t.u.path, o, out, st, err);
        rtarget_release(&d->t);
        free(d);
        return rc;
    }
    bool ranges;
    struct remote_stats probed = {0};
    rc = probe(&d->t, out, &probed, &d->total, &ranges, err);
    if (st != NULL)
        remote_stats_add(st, &probed);
    if (rc != FY_OK) {
        rtarget_release(&d->t);
        free(d);
        return rc;
    }
    summary_start(out, o->phase ? o->phase : "download", d->t.u.show, d->total);
    d->st = st;
    d->t0 = out_now();
    reng_init(&d->e, o, out, d->total);
    if (!ranges || d->total < 0) {
        /* one plain GET, read as it comes; a retry is possible only until
         * its first byte went to the reader */
        d->w = 1;
        d->slots = xcalloc(1, sizeof *d->slots);
        d->sink = rpipe_new(&d->e, 4 * MIB);
        struct rjob *j = &d->slots[0];
        rjob_init(j, &d->t, RM_GET);
        j->what = xstrdup(d->t.u.show);
        j->sink = d->sink;
        j->len = d->total;
        j->payload = true;
        j->done = sink_done;
        reng_submit(&d->e, j);
        reng_close(&d->e);
    } else {
        d->chunk = remote_chunk_size(o);
        d->nchunks = (d->total + d->chunk - 1) / d->chunk;
        d->w = (o->parallel > 0 ? o->parallel : 1) + 1;
        d->slots = xcalloc((size_t)d->w, sizeof *d->slots);
        for (int i = 0; i < d->w; i++)
            rjob_init(&d->slots[i], &d->t, RM_GET);
        down_submit(d);
    }
    reng_start(&d->e);
    memset(is, 0, sizeof *is);
    is->read = down_read;
    is->close = down_close;
    is->ctx = d;
    is->name = d->t.u.show;
    is->fd = -1;
    is->size = d->total;
    return FY_OK;
}
