/*
 * aws_creds.c - AWS credentials as values: copying and releasing them,
 * checking them, reading them from the JSON the credential sources answer
 * with (credential_process, IMDS, container endpoint), and RFC 3339 times.
 * The chain and the cache are in aws_chain.c, the sources in
 * aws_sources.c.
 *
 * What it keeps true: no value of a document reaches a message (reasons
 * name fields, never their contents); credentials handed on are printable
 * ASCII of sane lengths, so they cannot break a header.
 */
#include "ferry/aws_creds.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_int.h"

#include "ferry/out.h"

/* --------------------------------------------------------- credentials */

void
aws_creds_release(struct aws_creds *c)
{
    free(c->access_key_id);
    free(c->secret_key);
    free(c->session_token);
    memset(c, 0, sizeof *c);
}

void
aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
    dst->access_key_id =
        src->access_key_id ? xstrdup(src->access_key_id) : NULL;
    dst->secret_key = src->secret_key ? xstrdup(src->secret_key) : NULL;
    dst->session_token =
        src->session_token ? xstrdup(src->session_token) : NULL;
    dst->expires = src->expires;
}

double
aws_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
aws_tried(struct sbuf *tried, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (tried->len > 0)
        sbuf_adds(tried, "; ");
    sbuf_adds(tried, buf);
}

/* Printable ASCII (no blank), 1..max bytes? */
static bool
printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
            return false;
    return n > 0 && n <= max;
}

bool
aws_creds_ok(const struct aws_creds *c, double now, char *why, size_t n)
{
    if (c->access_key_id == NULL || !printable(c->access_key_id, 128)) {
        snprintf(why, n, "the access key id is missing or malformed");
        return false;
    }
    if (c->secret_key == NULL || !printable(c->secret_key, 256)) {
        snprintf(why, n, "the secret access key is missing or malformed");
        return false;
    }
    if (c->session_token != NULL && !printable(c->session_token, 16384)) {
        snprintf(why, n, "the session token is malformed");
        return false;
    }
    if (c->expires > 0 && now > 0 && c->expires <= now) {
        snprintf(why, n, "they expired already");
        return false;
    }
    return true;
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool
aws_parse_time(const char *s, double *t)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm) */
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
        s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return false;
    int Y = digits(s, 4), M = digits(s + 5, 2), D = digits(s + 8, 2);
    int h = digits(s + 11, 2), m = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 ||
        m < 0 || m > 59 || sec < 0 || sec > 60)
        return false;
    const char *p = s + 19;
    double frac = 0, scale = 0.1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t base = timegm(&tm);
    if (base == (time_t)-1)
        return false;
    *t = (double)base - off + frac;
    return true;
}

/* A string member of o, or NULL. */
static const char *
jstr(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool
aws_creds_from_json(const char *json,
                    size_t len,
                    bool process,
                    double now,
                    struct aws_creds *out,
                    char *why,
                    size_t whylen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    bool ok = false;
    if (o == NULL || !json_is_object(o)) {
        snprintf(why, whylen, "not a JSON object");
        goto out;
    }
    if (process) {
        json_t *v = json_object_get(o, "Version");
        if (!json_is_integer(v) || json_integer_value(v) != 1) {
            snprintf(why, whylen, "\"Version\": 1 expected");
            goto out;
        }
    } else {
        const char *code = jstr(o, "Code");
        if (code != NULL && strcmp(code, "Success") != 0) {
            char *esc = out_escape(code);
            snprintf(why, whylen, "Code %.64s", esc);
            free(esc);
            goto out;
        }
    }
    const char *akid = jstr(o, "AccessKeyId");
    const char *secret = jstr(o, "SecretAccessKey");
    const char *token = jstr(o, process ? "SessionToken" : "Token");
    const char *exp = jstr(o, "Expiration");
    json_t *expv = json_object_get(o, "Expiration");
    if (akid == NULL || secret == NULL) {
        snprintf(why, whylen, "no AccessKeyId or SecretAccessKey string");
        goto out;
    }
    if (expv != NULL && !json_is_null(expv) && exp == NULL) {
        snprintf(why, whylen, "Expiration is not a string");
        goto out;
    }
    out->access_key_id = xstrdup(akid);
    out->secret_key = xstrdup(secret);
    out->session_token = token && *token ? xstrdup(token) : NULL;
    if (exp != NULL && !aws_parse_time(exp, &out->expires)) {
        snprintf(why, whylen, "Expiration is not an RFC 3339 time");
        goto out;
    }
    ok = aws_creds_ok(out, now, why, whylen);
out:
    json_decref(o);
    if (!ok)
        aws_creds_release(out);
    return ok;
}
