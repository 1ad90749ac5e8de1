/*
 * resume_record.c - what a resume sidecar holds (resume.h): the set of byte
 * ranges on disk, the object's identity (URL as shown, size, validators),
 * and the sidecar's JSON: resume_format writes it, resume_parse reads it
 * back and refuses anything else.
 *
 * What it keeps true: a parsed record is exactly what resume_format could
 * have written -- known keys only, once each; sizes within 5 TiB; ranges
 * sorted, disjoint, not touching, inside the object; validators short
 * printable ASCII (they go back to a server in a header) -- and a parse
 * error never quotes the hostile text.  Pure functions, no I/O.
 */
#include "ferry/resume.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ferry/remote.h"
#include "ferry/xalloc.h"

#define FORMAT_NAME "ferry-resume"

/* ------------------------------------------------------- byte ranges */

void
resume_ranges_add(struct resume_ranges *r, int64_t from, int64_t to)
{
    if (from >= to)
        return;
    size_t i = 0;
    while (i < r->n && r->v[i].to < from)
        i++;
    size_t j = i; /* v[i..j) overlap or touch [from, to) */
    while (j < r->n && r->v[j].from <= to) {
        if (r->v[j].from < from)
            from = r->v[j].from;
        if (r->v[j].to > to)
            to = r->v[j].to;
        j++;
    }
    if (j == i) {
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 16;
            r->v = xrealloc(r->v, r->cap * sizeof *r->v);
        }
        memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof *r->v);
        r->n++;
    } else {
        memmove(r->v + i + 1, r->v + j, (r->n - j) * sizeof *r->v);
        r->n -= j - i - 1;
    }
    r->v[i].from = from;
    r->v[i].to = to;
}

void
resume_ranges_copy(struct resume_ranges *dst, const struct resume_ranges *src)
{
    if (dst->cap < src->n) {
        dst->cap = src->n;
        dst->v = xrealloc(dst->v, dst->cap * sizeof *dst->v);
    }
    if (src->n > 0)
        memcpy(dst->v, src->v, src->n * sizeof *src->v);
    dst->n = src->n;
}

void
resume_ranges_clear(struct resume_ranges *r)
{
    r->n = 0;
}

void
resume_ranges_release(struct resume_ranges *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

int64_t
resume_ranges_bytes(const struct resume_ranges *r)
{
    int64_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->v[i].to - r->v[i].from;
    return n;
}

bool
resume_ranges_covers(const struct resume_ranges *r, int64_t from, int64_t to)
{
    if (from >= to)
        return true;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].from <= from && r->v[i].to >= to)
            return true;
    return false;
}

int64_t
resume_ranges_end(const struct resume_ranges *r, int64_t pos)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].from <= pos && pos < r->v[i].to)
            return r->v[i].to;
    return pos;
}

bool
resume_ranges_gap(const struct resume_ranges *r,
                  int64_t size,
                  int64_t pos,
                  int64_t *from,
                  int64_t *to)
{
    for (size_t i = 0; i < r->n && pos < size; i++) {
        if (r->v[i].to <= pos)
            continue;
        if (r->v[i].from > pos) {
            *from = pos;
            *to = r->v[i].from < size ? r->v[i].from : size;
            return true;
        }
        pos = r->v[i].to;
    }
    if (pos >= size)
        return false;
    *from = pos;
    *to = size;
    return true;
}

/* ---------------------------------------------------------- metadata */

static char *
dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static bool
same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

void
resume_meta_copy(struct resume_meta *dst, const struct resume_meta *src)
{
    dst->url = dup_or_null(src->url);
    dst->size = src->size;
    dst->etag = dup_or_null(src->etag);
    dst->modified = dup_or_null(src->modified);
}

void
resume_meta_release(struct resume_meta *m)
{
    free(m->url);
    free(m->etag);
    free(m->modified);
    *m = (struct resume_meta)RESUME_META_INIT;
}

bool
resume_meta_same(const struct resume_meta *a, const struct resume_meta *b)
{
    return same_str(a->url, b->url) && a->size == b->size &&
           same_str(a->etag, b->etag) && same_str(a->modified, b->modified);
}

bool
resume_token_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= RESUME_MAX_TOKEN || (unsigned char)s[n] < 0x20 ||
            (unsigned char)s[n] > 0x7e)
            return false;
    return true;
}

char *
resume_url_id(const char *shown)
{
    static const char *const dating[] = {"x-amz-date", "x-amz-expires",
                                         "expires", "x-goog-date",
                                         "x-goog-expires"};
    size_t end = strcspn(shown, "#");
    const char *q = memchr(shown, '?', end);
    struct sbuf sb = SBUF_INIT;
    if (q == NULL) {
        sbuf_add(&sb, shown, end);
        return sbuf_detach(&sb);
    }
    sbuf_add(&sb, shown, (size_t)(q - shown));
    char sep = '?';
    for (const char *p = q + 1; p < shown + end;) {
        size_t n = strcspn(p, "&#");
        size_t name = strcspn(p, "=&#");
        bool drop = false;
        for (size_t i = 0; i < sizeof dating / sizeof dating[0]; i++)
            if (name == strlen(dating[i]) &&
                strncasecmp(p, dating[i], name) == 0)
                drop = true;
        if (!drop && n > 0) {
            sbuf_add(&sb, &sep, 1);
            sbuf_add(&sb, p, n);
            sep = '&';
        }
        p += n;
        if (*p == '&')
            p++;
    }
    if (sb.buf == NULL)
        sbuf_add(&sb, "", 0);
    return sbuf_detach(&sb);
}

/* ----------------------------------------------------------- sidecar */

char *
resume_format(const struct resume_meta *m, const struct resume_ranges *done)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < done->n && i < RESUME_MAX_RANGES; i++)
        json_array_append_new(arr,
                              json_pack("[II]", (json_int_t)done->v[i].from,
                                        (json_int_t)done->v[i].to));
    json_t *o =
        json_pack("{sssisssIss?ss?so}", "format", FORMAT_NAME, "version", 1,
                  "url", m->url ? m->url : "", "size", (json_int_t)m->size,
                  "etag", m->etag, "modified", m->modified, "done", arr);
    char *s =
        o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (s == NULL) /* out of memory in jansson: a record nobody trusts */
        return xstrdup("\n");
    char *line = xasprintf("%s\n", s);
    free(s);
    return line;
}

/* A JSON string without NUL bytes, or NULL. */
static const char *
plain_string(json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != json_string_length(v))
        return NULL;
    return s;
}

/* etag or modified: null or a token (resume_token_ok). */
static enum fy_rc
parse_token(json_t *v, const char *name, char **out, struct fy_err *err)
{
    *out = NULL;
    if (json_is_null(v))
        return FY_OK;
    const char *s = plain_string(v);
    if (s == NULL || !resume_token_ok(s))
        return fy_fail(err, FY_EINPUT, "bad \"%s\"", name);
    *out = xstrdup(s);
    return FY_OK;
}

static enum fy_rc
parse_done(json_t *v,
           int64_t size,
           struct resume_ranges *done,
           struct fy_err *err)
{
    if (!json_is_array(v) || json_array_size(v) > RESUME_MAX_RANGES)
        return fy_fail(err, FY_EINPUT, "bad \"done\"");
    int64_t last = -1;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *p = json_array_get(v, i);
        json_t *a = json_array_get(p, 0), *b = json_array_get(p, 1);
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            !json_is_integer(a) || !json_is_integer(b))
            return fy_fail(err, FY_EINPUT, "bad range in \"done\"");
        int64_t from = json_integer_value(a), to = json_integer_value(b);
        /* sorted, disjoint, not touching, inside the object */
        if (from < 0 || from >= to || to > size || from <= last)
            return fy_fail(err, FY_EINPUT,
                           "range %lld-%lld out of order or outside the "
                           "object",
                           (long long)from, (long long)to);
        resume_ranges_add(done, from, to);
        last = to;
    }
    return FY_OK;
}

enum fy_rc
resume_parse(const char *text,
             size_t len,
             struct resume_meta *m,
             struct resume_ranges *done,
             struct fy_err *err)
{
    static const char *const keys[] = {"format", "version",  "url", "size",
                                       "etag",   "modified", "done"};
    struct resume_meta got = RESUME_META_INIT;
    struct resume_ranges r = RESUME_RANGES_INIT;
    enum fy_rc rc = FY_OK;
    json_error_t je;
    json_t *o = NULL;
    const char *key;
    json_t *v;
    if (len > RESUME_MAX_TEXT)
        return fy_fail(err, FY_EINPUT, "larger than %d bytes", RESUME_MAX_TEXT);
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) { /* je.text may quote the input: not shown */
        rc = fy_fail(err, FY_EINPUT, "not valid JSON (line %d)", je.line);
        goto out;
    }
    if (!json_is_object(o)) {
        rc = fy_fail(err, FY_EINPUT, "not a JSON object");
        goto out;
    }
    json_object_foreach(o, key, v)
    {
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k]) != 0)
            k++;
        if (k == sizeof keys / sizeof keys[0]) {
            rc = fy_fail(err, FY_EINPUT, "unknown key");
            goto out;
        }
    }
    if (json_object_size(o) != sizeof keys / sizeof keys[0]) {
        rc = fy_fail(err, FY_EINPUT, "missing key");
        goto out;
    }
    const char *fmt = plain_string(json_object_get(o, "format"));
    json_t *ver = json_object_get(o, "version");
    if (fmt == NULL || strcmp(fmt, FORMAT_NAME) != 0 || !json_is_integer(ver) ||
        json_integer_value(ver) != 1) {
        rc = fy_fail(err, FY_EINPUT, "not a ferry resume record (version 1)");
        goto out;
    }
    const char *url = plain_string(json_object_get(o, "url"));
    if (url == NULL || *url == '\0' || strlen(url) > RESUME_MAX_URL) {
        rc = fy_fail(err, FY_EINPUT, "bad \"url\"");
        goto out;
    }
    got.url = xstrdup(url);
    json_t *size = json_object_get(o, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        json_integer_value(size) > REMOTE_MAX_OBJECT) {
        rc = fy_fail(err, FY_EINPUT, "bad \"size\"");
        goto out;
    }
    got.size = json_integer_value(size);
    if ((rc = parse_token(json_object_get(o, "etag"), "etag", &got.etag,
                          err)) != FY_OK ||
        (rc = parse_token(json_object_get(o, "modified"), "modified",
                          &got.modified, err)) != FY_OK)
        goto out;
    if ((rc = parse_done(json_object_get(o, "done"), got.size, &r, err)) !=
        FY_OK)
        goto out;
    *m = got;
    *done = r;
    got = (struct resume_meta)RESUME_META_INIT;
    r = (struct resume_ranges)RESUME_RANGES_INIT;
out:
    json_decref(o);
    resume_meta_release(&got);
    resume_ranges_release(&r);
    return rc;
}
