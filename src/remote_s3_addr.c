/*
 * remote_s3_addr.c - where an S3 request goes: the addressing style
 * (virtual-hosted https://BUCKET.s3.REGION.amazonaws.com/KEY or path-style
 * ENDPOINT/BUCKET/KEY), chosen as the AWS CLI chooses it, the SigV4 URI
 * encoding of the path, and the region a wrong-region answer (301
 * PermanentRedirect, 307 TemporaryRedirect, 400
 * AuthorizationHeaderMalformed) points to, with the switch of a target's
 * route to it (struct s3_route, shared by its transfer threads).
 *
 * What it keeps true: a request only ever goes to the configured endpoint,
 * or to an amazonaws.com host built here from a region name that passed
 * s3_region_ok(): nothing a server sends (x-amz-bucket-region, Location,
 * Endpoint, Region) becomes a host or a path as it is.  A route changes
 * region at most S3_ROUTE_MAX_SWITCHES times, under its mutex, so each
 * request is built from one whole (region, endpoint, signing scope).
 */
#include "ferry/remote_s3.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ferry/out.h"
#include "ferry/xalloc.h"

/* -------------------------------------------------------- URI encoding */

void
s3_uri_encode(struct sbuf *sb, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~' || (c == '/' && keep_slash)) {
            char ch = (char)c;
            sbuf_add(sb, &ch, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            sbuf_add(sb, e, 3);
        }
    }
    if (sb->buf == NULL)
        sbuf_add(sb, "", 0);
}

char *
s3_sigv4_param(const char *region)
{
    return xasprintf("aws:amz:%s:s3", region);
}

/* ---------------------------------------------------------- addressing */

enum s3_addressing
s3_addressing_parse(const char *s)
{
    if (s == NULL || *s == '\0' || strcasecmp(s, "auto") == 0)
        return S3_ADDR_AUTO;
    if (strcasecmp(s, "path") == 0)
        return S3_ADDR_PATH;
    if (strcasecmp(s, "virtual") == 0)
        return S3_ADDR_VIRTUAL;
    return S3_ADDR_INVALID;
}

const char *
s3_addressing_name(enum s3_addressing a)
{
    switch (a) {
    case S3_ADDR_AUTO:
        return "auto";
    case S3_ADDR_PATH:
        return "path";
    case S3_ADDR_VIRTUAL:
        return "virtual";
    default:
        return "invalid";
    }
}

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_ipv4(const char *s, size_t n)
{
    char buf[INET_ADDRSTRLEN];
    struct in_addr a;
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, &a) == 1;
}

bool
s3_bucket_dns_ok(const char *bucket, bool dots)
{
    size_t n = strlen(bucket), label = 0;
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = bucket[i];
        if (c == '.') {
            /* a label neither empty nor ending in '-' */
            if (!dots || label == 0 || bucket[i - 1] == '-')
                return false;
            label = 0;
        } else if (c == '-') {
            if (label == 0)
                return false;
            label++;
        } else if (is_lower_alnum(c)) {
            label++;
        } else {
            return false;
        }
    }
    if (label == 0 || bucket[n - 1] == '-')
        return false;
    return !is_ipv4(bucket, n);
}

/* The parts of an endpoint URL: where its host starts and ends, and how
 * long it is without trailing slashes. */
struct ep {
    size_t host, host_end, len;
    bool https, ip;
};

static void
ep_split(const char *e, struct ep *p)
{
    const char *sep = strstr(e, "://");
    size_t start = sep != NULL ? (size_t)(sep - e) + 3 : 0;
    size_t auth_end = start + strcspn(e + start, "/?#");
    p->https = sep != NULL && (size_t)(sep - e) == 5 &&
               strncasecmp(e, "https", 5) == 0;
    p->host = start;
    for (size_t i = start; i < auth_end; i++)
        if (e[i] == '@')
            p->host = i + 1;
    if (e[p->host] == '[') {
        const char *close = memchr(e + p->host, ']', auth_end - p->host);
        p->host_end = close != NULL ? (size_t)(close - e) + 1 : auth_end;
        p->ip = true;
    } else {
        const char *colon = memchr(e + p->host, ':', auth_end - p->host);
        p->host_end = colon != NULL ? (size_t)(colon - e) : auth_end;
        p->ip = is_ipv4(e + p->host, p->host_end - p->host);
    }
    p->len = strlen(e);
    while (p->len > auth_end && e[p->len - 1] == '/')
        p->len--;
}

static bool
ends_with_ci(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* The length of the AWS domain host ends with (".amazonaws.com" or
 * ".amazonaws.com.cn"), 0 if none. */
static size_t
aws_suffix(const char *host, size_t n)
{
    if (ends_with_ci(host, n, ".amazonaws.com"))
        return strlen(".amazonaws.com");
    if (ends_with_ci(host, n, ".amazonaws.com.cn"))
        return strlen(".amazonaws.com.cn");
    return 0;
}

/* Is the label at s (n bytes) "s3" or "s3-..."? */
static bool
s3_label(const char *s, size_t n)
{
    return (n == 2 && strncasecmp(s, "s3", 2) == 0) ||
           (n > 3 && strncasecmp(s, "s3-", 3) == 0);
}

static bool
aws_s3_host(const char *host, size_t n)
{
    size_t suf = aws_suffix(host, n);
    if (suf == 0 || suf == n)
        return false;
    const char *dot = memchr(host, '.', n - suf);
    size_t first = dot != NULL ? (size_t)(dot - host) : n - suf;
    return s3_label(host, first);
}

bool
s3_endpoint_is_aws(const char *endpoint)
{
    struct ep p;
    ep_split(endpoint, &p);
    return !p.ip && aws_s3_host(endpoint + p.host, p.host_end - p.host);
}

enum s3_addressing
s3_addressing_pick(enum s3_addressing a,
                   const char *endpoint,
                   const char *bucket)
{
    bool aws = true, https = true;
    if (a == S3_ADDR_PATH)
        return S3_ADDR_PATH;
    if (endpoint != NULL) {
        struct ep p;
        ep_split(endpoint, &p);
        if (p.ip) /* no name to put the bucket in front of */
            return S3_ADDR_PATH;
        aws = aws_s3_host(endpoint + p.host, p.host_end - p.host);
        https = p.https;
    }
    if (a != S3_ADDR_VIRTUAL && !aws)
        return S3_ADDR_PATH;
    /* a dotted name under https would not match the *.s3... certificate */
    return s3_bucket_dns_ok(bucket, !https) ? S3_ADDR_VIRTUAL : S3_ADDR_PATH;
}

char *
s3_object_url(enum s3_addressing a,
              const char *endpoint,
              const char *region,
              const char *bucket,
              const char *key,
              const char *query)
{
    struct sbuf sb = SBUF_INIT;
    bool virt = s3_addressing_pick(a, endpoint, bucket) == S3_ADDR_VIRTUAL;
    if (endpoint == NULL) {
        const char *dom = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn"
                                                         : "amazonaws.com";
        if (virt) {
            sbuf_addf(&sb, "https://%s.s3.%s.%s/", bucket, region, dom);
        } else {
            sbuf_addf(&sb, "https://s3.%s.%s/", region, dom);
            s3_uri_encode(&sb, bucket, false);
            sbuf_adds(&sb, "/");
        }
    } else {
        struct ep p;
        ep_split(endpoint, &p);
        if (virt) {
            sbuf_add(&sb, endpoint, p.host);
            sbuf_addf(&sb, "%s.", bucket);
            sbuf_add(&sb, endpoint + p.host, p.len - p.host);
            sbuf_adds(&sb, "/");
        } else {
            sbuf_add(&sb, endpoint, p.len);
            sbuf_adds(&sb, "/");
            s3_uri_encode(&sb, bucket, false);
            sbuf_adds(&sb, "/");
        }
    }
    s3_uri_encode(&sb, key, true);
    if (query != NULL && *query)
        sbuf_addf(&sb, "?%s", query);
    return sbuf_detach(&sb);
}

/* ------------------------------------------------------------- regions */

bool
s3_region_ok(const char *region)
{
    size_t n = strlen(region);
    if (n == 0 || n > 32 || region[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

/* Shaped like an AWS region: "eu-west-1", "us-gov-west-1", "cn-north-1":
 * lower-case letters, then "-letters" once or more, then "-digits". */
static bool
aws_region_shape(const char *s, size_t n)
{
    size_t i = 0, groups = 0;
    if (n > 32)
        return false;
    for (;;) {
        size_t start = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z')
            i++;
        if (i == start || i == n || s[i] != '-')
            return false;
        i++;
        groups++;
        if (i < n && s[i] >= '0' && s[i] <= '9')
            break;
    }
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i == n && groups >= 2;
}

char *
s3_region_from_host(const char *host)
{
    struct ep p;
    ep_split(host, &p);
    const char *h = host + p.host;
    size_t n = p.host_end - p.host, suf;
    if (p.ip || (suf = aws_suffix(h, n)) == 0 || suf == n)
        return NULL;
    /* the labels before the domain: some "s3"/"s3-..." one, and the last
     * one ("s3-REGION" or "REGION") names the region */
    size_t end = n - suf, start = 0;
    bool s3 = false;
    for (size_t i = 0; i <= end; i++) {
        if (i < end && h[i] != '.')
            continue;
        if (s3_label(h + start, i - start))
            s3 = true;
        if (i < end)
            start = i + 1;
    }
    const char *last = h + start;
    size_t len = end - start;
    if (len > 3 && strncasecmp(last, "s3-", 3) == 0) {
        last += 3;
        len -= 3;
    }
    if (!s3 || !aws_region_shape(last, len))
        return NULL;
    char *r = xmalloc(len + 1);
    memcpy(r, last, len);
    r[len] = '\0';
    return r;
}

char *
s3_endpoint_with_region(const char *endpoint, const char *from, const char *to)
{
    struct ep p;
    ep_split(endpoint, &p);
    const char *h = endpoint + p.host;
    size_t n = p.host_end - p.host, k = strlen(from);
    if (p.ip || !aws_s3_host(h, n) || k == 0)
        return NULL;
    /* the first whole label equal to from (or "s3-FROM") */
    for (size_t i = 0; i + k <= n; i++) {
        bool at_start = i == 0 || h[i - 1] == '.' ||
                        (i >= 3 && strncasecmp(h + i - 3, "s3-", 3) == 0 &&
                         (i == 3 || h[i - 4] == '.'));
        if (!at_start || strncasecmp(h + i, from, k) != 0 ||
            (i + k < n && h[i + k] != '.'))
            continue;
        struct sbuf sb = SBUF_INIT;
        sbuf_add(&sb, endpoint, p.host + i);
        sbuf_adds(&sb, to);
        sbuf_adds(&sb, endpoint + p.host + i + k);
        return sbuf_detach(&sb);
    }
    return NULL;
}

static bool
is(const char *s, const char *want)
{
    return s != NULL && strcmp(s, want) == 0;
}

/* A checked copy of region, or NULL. */
static char *
usable(const char *region)
{
    return region != NULL && s3_region_ok(region) ? xstrdup(region) : NULL;
}

char *
s3_answer_region(const struct s3_answer *a)
{
    char *r = NULL;
    switch (a->status) {
    case 301:
        if (a->code != NULL && !is(a->code, "PermanentRedirect"))
            return NULL;
        if ((r = usable(a->hdr_region)) == NULL && a->endpoint != NULL)
            r = s3_region_from_host(a->endpoint);
        return r;
    case 302:
    case 307:
        if (a->code != NULL && !is(a->code, "TemporaryRedirect"))
            return NULL;
        if ((r = usable(a->hdr_region)) == NULL && a->endpoint != NULL)
            r = s3_region_from_host(a->endpoint);
        if (r == NULL && a->location != NULL)
            r = s3_region_from_host(a->location);
        return r;
    case 400:
        if (is(a->code, "AuthorizationHeaderMalformed") &&
            (r = usable(a->xml_region)) != NULL)
            return r;
        if (a->code == NULL || is(a->code, "AuthorizationHeaderMalformed") ||
            is(a->code, "IllegalLocationConstraintException"))
            return usable(a->hdr_region);
        return NULL;
    default:
        return NULL;
    }
}

/* --------------------------------------------------------------- route */

static const char *
addressing_env(void)
{
    const char *v = getenv("FERRY_S3_ADDRESSING");
    return v != NULL && *v ? v : NULL;
}

enum fy_rc
s3_route_init(struct s3_route *r,
              const char *region,
              const char *endpoint,
              enum s3_addressing addressing,
              const char *show,
              struct fy_err *err)
{
    const char *env = addressing_env();
    memset(r, 0, sizeof *r);
    if (env != NULL) {
        addressing = s3_addressing_parse(env);
        if (addressing == S3_ADDR_INVALID) {
            char *esc = out_escape(env);
            fy_fail(err, FY_EUSAGE,
                    "%s: FERRY_S3_ADDRESSING: '%s' is not auto, path or "
                    "virtual",
                    show, esc);
            free(esc);
            return FY_EUSAGE;
        }
    }
    if (addressing == S3_ADDR_INVALID)
        return fy_fail(err, FY_EUSAGE,
                       "%s: the s3 addressing_style of the AWS profile is not "
                       "auto, path or virtual",
                       show);
    if (!s3_region_ok(region)) {
        char *esc = out_escape(region);
        fy_fail(err, FY_EUSAGE,
                "%s: region '%s' is not a region name (letters, digits and "
                "'-', at most 32)",
                show, esc);
        free(esc);
        return FY_EUSAGE;
    }
    pthread_mutex_init(&r->mu, NULL);
    r->addressing = addressing;
    r->region = xstrdup(region);
    r->endpoint = endpoint != NULL ? xstrdup(endpoint) : NULL;
    r->sigv4 = s3_sigv4_param(region);
    return FY_OK;
}

void
s3_route_release(struct s3_route *r)
{
    if (r->region == NULL)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r->region);
    free(r->endpoint);
    free(r->sigv4);
    memset(r, 0, sizeof *r);
}

unsigned
s3_route_request(struct s3_route *r,
                 const char *bucket,
                 const char *key,
                 const char *query,
                 char **url,
                 char **sigv4)
{
    pthread_mutex_lock(&r->mu);
    *url = s3_object_url(r->addressing, r->endpoint, r->region, bucket, key,
                         query);
    *sigv4 = xstrdup(r->sigv4);
    unsigned gen = r->gen;
    pthread_mutex_unlock(&r->mu);
    return gen;
}

int
s3_route_follow(struct s3_route *r,
                unsigned gen,
                const struct s3_answer *a,
                const char *what,
                struct out *out,
                struct fy_err *err)
{
    char *to = s3_answer_region(a);
    char *from = NULL;
    int ret = 1;
    if (to == NULL)
        return 0;
    pthread_mutex_lock(&r->mu);
    if (gen != r->gen) {
        /* another request switched the route since this one was sent */
    } else if (strcmp(to, r->region) == 0) {
        ret = 0; /* where it went: not a region problem */
    } else if (r->switches >= S3_ROUTE_MAX_SWITCHES) {
        fy_fail(err, FY_ERUNTIME,
                "%s: the server sends the request to region %s after ferry "
                "moved to %s (HTTP %ld): giving up",
                what, to, r->region, a->status);
        ret = -1;
    } else {
        char *ep = r->endpoint != NULL
                       ? s3_endpoint_with_region(r->endpoint, r->region, to)
                       : NULL;
        if (ep != NULL) {
            free(r->endpoint);
            r->endpoint = ep;
        }
        from = r->region;
        r->region = xstrdup(to);
        free(r->sigv4);
        r->sigv4 = s3_sigv4_param(to);
        r->gen++;
        r->switches++;
    }
    pthread_mutex_unlock(&r->mu);
    /* SPEC: both names passed s3_region_ok(): nothing to escape or hide */
    if (from != NULL && out != NULL)
        out_verbose(out,
                    "%s: the bucket is in region %s, not %s: sending the "
                    "requests there (set AWS_REGION=%s to skip this "
                    "redirect)",
                    what, to, from, to);
    free(from);
    free(to);
    return ret;
}
