/*
 * incr_index.c - the index of an incremental set's state (incr.h): every
 * entry of the saved tree, with the stat fields change detection compares,
 * its content hash and the layer that holds it.  Pure: text in, text out.
 * What it keeps true: a parsed index has each path once, every field in
 * range, and its end line's count; anything else is FY_EINPUT.
 */
#include "ferry/incr.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/xalloc.h"

#define MAGIC "ferry-index 1 "

struct incr_ent *
incr_index_add(struct incr_index *x, const char *path, const char *link)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 256;
        x->v = xrealloc(x->v, x->cap * sizeof *x->v);
    }
    struct incr_ent *e = &x->v[x->n];
    memset(e, 0, sizeof *e);
    e->path_off = x->names.len;
    sbuf_add(&x->names, path, strlen(path) + 1);
    e->link_off = (size_t)-1;
    if (link != NULL) {
        e->link_off = x->names.len;
        sbuf_add(&x->names, link, strlen(link) + 1);
    }
    struct arc_map_val *v = arc_map_put(&x->map, path, strlen(path));
    v->name_off = x->n;
    v->type = 1;
    x->n++;
    return e;
}

struct incr_ent *
incr_index_get(const struct incr_index *x, const char *path)
{
    struct arc_map_val *v = arc_map_get(&x->map, path, strlen(path));
    return v != NULL && v->type == 1 ? &x->v[v->name_off] : NULL;
}

static void
hex16(struct sbuf *sb, const unsigned char *h)
{
    static const char d[] = "0123456789abcdef";
    char s[33];
    for (int i = 0; i < 16; i++) {
        s[2 * i] = d[h[i] >> 4];
        s[2 * i + 1] = d[h[i] & 15];
    }
    s[32] = '\0';
    sbuf_adds(sb, s);
}

void
incr_index_write(const struct incr_index *x, struct sbuf *out)
{
    sbuf_addf(out, MAGIC "%" PRId64 "\n", x->scanned_ns);
    for (size_t i = 0; i < x->n; i++) {
        const struct incr_ent *e = &x->v[i];
        sbuf_addf(out,
                  "%c %" PRId64 " %o %" PRId64 " %" PRId64 " %" PRId64
                  " %" PRIu64 " ",
                  e->type, e->layer, e->mode & 07777u, e->size, e->mtime_ns,
                  e->ctime_ns, e->ino);
        if (e->type == 'd')
            sbuf_adds(out, "-");
        else
            hex16(out, e->hash);
        sbuf_adds(out, " ");
        arc_path_escape(out, incr_ent_path(x, e));
        if (incr_ent_link(x, e) != NULL) {
            sbuf_adds(out, " ");
            arc_path_escape(out, incr_ent_link(x, e));
        }
        sbuf_adds(out, "\n");
    }
    sbuf_addf(out, "end %zu\n", x->n);
}

/* The next space-separated field of [*p, end) (or to end): [*s, *e). */
static bool
field(const char **p, const char *end, const char **s, const char **e)
{
    if (*p >= end)
        return false;
    *s = *p;
    const char *sp = memchr(*p, ' ', (size_t)(end - *p));
    *e = sp != NULL ? sp : end;
    *p = sp != NULL ? sp + 1 : end;
    return *e > *s;
}

static bool
num(const char *s, const char *e, int base, uint64_t max, uint64_t *v)
{
    if (s == e || e - s > 22)
        return false;
    uint64_t n = 0;
    for (const char *p = s; p < e; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : 99;
        if (d >= base || n > (max - (uint64_t)d) / (uint64_t)base)
            return false;
        n = n * (uint64_t)base + (uint64_t)d;
    }
    *v = n;
    return true;
}

static bool
snum(const char *s, const char *e, int64_t *v)
{
    bool neg = s < e && *s == '-';
    uint64_t u;
    if (!num(s + neg, e, 10, INT64_MAX, &u))
        return false;
    *v = neg ? -(int64_t)u : (int64_t)u;
    return true;
}

static bool
parse_hash(const char *s, const char *e, unsigned char *h)
{
    if (e - s != 32)
        return false;
    for (int i = 0; i < 16; i++) {
        int hi = fy_hexval(s[2 * i]), lo = fy_hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        h[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* One entry line [p, end). */
static bool
parse_ent(const char *p, const char *end, struct incr_index *x)
{
    const char *s, *e;
    struct incr_ent t;
    uint64_t u;
    char *path = NULL, *link = NULL;
    memset(&t, 0, sizeof t);
    if (!field(&p, end, &s, &e) || e - s != 1 || strchr("fdlh", *s) == NULL)
        return false;
    t.type = *s;
    if (!field(&p, end, &s, &e) || !snum(s, e, &t.layer) || t.layer < 1)
        return false;
    if (!field(&p, end, &s, &e) || !num(s, e, 8, 07777, &u))
        return false;
    t.mode = (unsigned)u;
    if (!field(&p, end, &s, &e) || !snum(s, e, &t.size) || t.size < 0)
        return false;
    if (!field(&p, end, &s, &e) || !snum(s, e, &t.mtime_ns))
        return false;
    if (!field(&p, end, &s, &e) || !snum(s, e, &t.ctime_ns))
        return false;
    if (!field(&p, end, &s, &e) || !num(s, e, 10, UINT64_MAX, &t.ino))
        return false;
    if (!field(&p, end, &s, &e))
        return false;
    if (t.type == 'd' ? !(e - s == 1 && *s == '-') : !parse_hash(s, e, t.hash))
        return false;
    if (!field(&p, end, &s, &e) ||
        !arc_path_unescape(s, (size_t)(e - s), &path))
        return false;
    bool ok = true;
    if (field(&p, end, &s, &e))
        ok = t.type == 'h' && arc_path_unescape(s, (size_t)(e - s), &link) &&
             p == end;
    else if (t.type == 'h')
        ok = false;
    ok = ok && path[0] != '\0' && incr_index_get(x, path) == NULL;
    if (ok) {
        struct incr_ent *n = incr_index_add(x, path, link);
        size_t po = n->path_off, lo = n->link_off;
        *n = t;
        n->path_off = po;
        n->link_off = lo;
    }
    free(path);
    free(link);
    return ok;
}

enum fy_rc
incr_index_parse(const char *text,
                 size_t len,
                 const char *name,
                 struct incr_index *x,
                 struct fy_err *err)
{
    const char *p = text, *end = text + len;
    size_t lineno = 1;
    bool ended = false;
    size_t ml = strlen(MAGIC);
    const char *nl = memchr(p, '\n', len);
    if (nl == NULL || (size_t)(nl - p) <= ml || memcmp(p, MAGIC, ml) != 0 ||
        !snum(p + ml, nl, &x->scanned_ns))
        return fy_fail(err, FY_EINPUT, "%s: corrupt: not a ferry index", name);
    p = nl + 1;
    while (p < end) {
        lineno++;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL || ended)
            return fy_fail(err, FY_EINPUT, "%s: corrupt: line %zu", name,
                           lineno);
        uint64_t cnt;
        if (nl - p > 4 && memcmp(p, "end ", 4) == 0) {
            if (!num(p + 4, nl, 10, SIZE_MAX, &cnt) || cnt != x->n)
                return fy_fail(err, FY_EINPUT, "%s: corrupt: line %zu: bad end",
                               name, lineno);
            ended = true;
        } else if (!parse_ent(p, nl, x)) {
            return fy_fail(err, FY_EINPUT, "%s: corrupt: line %zu", name,
                           lineno);
        }
        p = nl + 1;
    }
    if (!ended)
        return fy_fail(err, FY_EINPUT, "%s: corrupt: truncated", name);
    return FY_OK;
}

void
incr_index_release(struct incr_index *x)
{
    sbuf_release(&x->names);
    free(x->v);
    arc_map_release(&x->map);
    x->v = NULL;
    x->n = x->cap = 0;
}
