/*
 * arc_manifest.c - the ".ferry/manifest" text format (see arc.h): writing
 * one line at a time while packing, and a strict parser for unpack, list
 * and verify.  A manifest either parses whole, with an "end" line whose totals
 * agree with its entry lines, or is rejected (FY_EINPUT): a truncated or
 * edited manifest never passes for a shorter archive.
 */
#include "ferry/arc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "ferry/xalloc.h"

static const char hexdig[] = "0123456789abcdef";

static bool
must_escape(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '%';
}

void
arc_path_escape(struct sbuf *sb, const char *path)
{
    const unsigned char *p = (const unsigned char *)path;
    while (*p) {
        const unsigned char *run = p;
        while (*p && !must_escape(*p))
            p++;
        if (p > run)
            sbuf_add(sb, run, (size_t)(p - run));
        if (*p) {
            char e[3] = {'%', hexdig[*p >> 4], hexdig[*p & 15]};
            sbuf_add(sb, e, 3);
            p++;
        }
    }
}

bool
arc_path_unescape(const char *s, size_t len, char **out)
{
    return fy_pct_decode(s, len, out);
}

void
arc_link_hash(const char *target, unsigned char out[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(target, strlen(target)));
    memcpy(out, c.digest, 16);
}

void
arc_manifest_begin(struct sbuf *sb)
{
    sbuf_adds(sb, ARC_MANIFEST_MAGIC);
}

void
arc_manifest_add(struct sbuf *sb,
                 char type,
                 int64_t size,
                 const unsigned char *hash,
                 const char *path)
{
    sbuf_addf(sb, "%c %" PRId64 " ", type, size);
    if (hash != NULL) {
        char hex[33];
        for (int i = 0; i < 16; i++) {
            hex[2 * i] = hexdig[hash[i] >> 4];
            hex[2 * i + 1] = hexdig[hash[i] & 15];
        }
        hex[32] = '\0';
        sbuf_adds(sb, hex);
    } else {
        sbuf_adds(sb, "-");
    }
    sbuf_adds(sb, " ");
    arc_path_escape(sb, path);
    sbuf_adds(sb, "\n");
}

void
arc_manifest_end(struct sbuf *sb, const struct arc_mf_totals *t)
{
    sbuf_addf(sb, "end %" PRId64 " %" PRId64 " %" PRId64 "\n", t->entries,
              t->files, t->bytes);
}

/* A decimal int64 >= 0 spanning exactly [s, e). */
static bool
parse_num(const char *s, const char *e, int64_t *v)
{
    if (s == e || e - s > 19)
        return false;
    int64_t n = 0;
    for (const char *p = s; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        if (n > (INT64_MAX - (*p - '0')) / 10)
            return false;
        n = n * 10 + (*p - '0');
    }
    *v = n;
    return true;
}

/* Split the next space-separated field of [*p, end); false if none. */
static bool
field(const char **p, const char *end, const char **fs, const char **fe)
{
    const char *sp = memchr(*p, ' ', (size_t)(end - *p));
    if (sp == NULL)
        return false;
    *fs = *p;
    *fe = sp;
    *p = sp + 1;
    return true;
}

static enum fy_rc
bad(struct fy_err *err, const char *name, size_t lineno, const char *why)
{
    return fy_fail(err, FY_EINPUT, "%s: manifest line %zu: %s", name, lineno,
                   why);
}

static enum fy_rc
parse_entry(const char *p,
            const char *end,
            size_t lineno,
            const char *name,
            struct arc_mf_line *l,
            char **path,
            struct fy_err *err)
{
    const char *fs, *fe;
    l->type = *p;
    p += 2;
    if (!field(&p, end, &fs, &fe) || !parse_num(fs, fe, &l->size))
        return bad(err, name, lineno, "bad size");
    if (!field(&p, end, &fs, &fe))
        return bad(err, name, lineno, "missing hash");
    l->has_hash = !(fe - fs == 1 && *fs == '-');
    if (l->has_hash) {
        if (fe - fs != 32)
            return bad(err, name, lineno, "bad hash");
        for (int i = 0; i < 16; i++) {
            int hi = fy_hexval(fs[2 * i]), lo = fy_hexval(fs[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return bad(err, name, lineno, "bad hash");
            l->hash[i] = (unsigned char)(hi << 4 | lo);
        }
    }
    /* files always have one; links since their targets are checked
     * (earlier versions wrote "-"); directories and 'u' lines never */
    if (l->type == 'f' && !l->has_hash)
        return bad(err, name, lineno, "a file without a hash");
    if ((l->type == 'd' || l->type == 'u') && l->has_hash)
        return bad(err, name, lineno, "a hash on a 'd' or 'u' line");
    if (p == end || !arc_path_unescape(p, (size_t)(end - p), path))
        return bad(err, name, lineno, "bad path");
    l->path = *path;
    return FY_OK;
}

void
arc_mf_parser_init(struct arc_mf_parser *p,
                   const char *name,
                   enum fy_rc (*cb)(void *ctx,
                                    const struct arc_mf_line *l,
                                    struct fy_err *err),
                   void *ctx)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->cb = cb;
    p->ctx = ctx;
    p->lineno = 1;
}

void
arc_mf_parser_release(struct arc_mf_parser *p)
{
    sbuf_release(&p->part);
}

/* One whole line [s, nl), nl at its '\n'. */
static enum fy_rc
parse_line(struct arc_mf_parser *p,
           const char *s,
           const char *nl,
           struct fy_err *err)
{
    size_t lineno = p->lineno++;
    if (lineno == 1) {
        size_t mlen = strlen(ARC_MANIFEST_MAGIC);
        if ((size_t)(nl + 1 - s) != mlen ||
            memcmp(s, ARC_MANIFEST_MAGIC, mlen) != 0)
            return fy_fail(err, FY_EINPUT, "%s: manifest: not a ferry manifest",
                           p->name);
        return FY_OK;
    }
    if (p->ended)
        return bad(err, p->name, lineno, "text after the end line");
    /* the format is text, paths %XX-escaped: a NUL is never ferry's */
    if (memchr(s, '\0', (size_t)(nl - s)) != NULL)
        return bad(err, p->name, lineno, "a NUL byte");
    if (nl - s >= 4 && memcmp(s, "end ", 4) == 0) {
        const char *q = s + 4, *fs, *fe;
        struct arc_mf_totals t;
        if (!field(&q, nl, &fs, &fe) || !parse_num(fs, fe, &t.entries) ||
            !field(&q, nl, &fs, &fe) || !parse_num(fs, fe, &t.files) ||
            !parse_num(q, nl, &t.bytes))
            return bad(err, p->name, lineno, "bad end line");
        if (t.entries != p->seen.entries || t.files != p->seen.files ||
            t.bytes != p->seen.bytes)
            return bad(err, p->name, lineno, "totals do not match the entries");
        p->ended = true;
        return FY_OK;
    }
    if (!(nl - s >= 2 && s[1] == ' ' && *s != '\0' &&
          strchr("fdlhu", *s) != NULL))
        return FY_OK; /* other lines: a later version's additions, skipped
                       * (strchr also finds the terminating NUL, hence the
                       * check before it) */
    struct arc_mf_line l;
    char *path = NULL;
    memset(&l, 0, sizeof l);
    enum fy_rc rc = parse_entry(s, nl, lineno, p->name, &l, &path, err);
    if (rc == FY_OK) {
        if (l.type != 'u') {
            p->seen.entries++;
            if (l.type == 'f') {
                p->seen.files++;
                p->seen.bytes += l.size;
            }
        }
        rc = p->cb(p->ctx, &l, err);
    }
    free(path);
    return rc;
}

enum fy_rc
arc_mf_parser_feed(struct arc_mf_parser *p,
                   const char *buf,
                   size_t len,
                   struct fy_err *err)
{
    const char *end = buf + len;
    if (p->part.len > 0) { /* the line begun in an earlier block */
        const char *nl = memchr(buf, '\n', len);
        sbuf_add(&p->part, buf, nl != NULL ? (size_t)(nl + 1 - buf) : len);
        if (nl == NULL)
            return FY_OK;
        enum fy_rc rc =
            parse_line(p, p->part.buf, p->part.buf + p->part.len - 1, err);
        p->part.len = 0;
        if (rc != FY_OK)
            return rc;
        buf = nl + 1;
    }
    for (;;) {
        const char *nl = memchr(buf, '\n', (size_t)(end - buf));
        if (nl == NULL)
            break;
        enum fy_rc rc = parse_line(p, buf, nl, err);
        if (rc != FY_OK)
            return rc;
        buf = nl + 1;
    }
    sbuf_add(&p->part, buf, (size_t)(end - buf));
    return FY_OK;
}

enum fy_rc
arc_mf_parser_finish(struct arc_mf_parser *p,
                     struct arc_mf_totals *tot,
                     struct fy_err *err)
{
    if (p->lineno == 1)
        return fy_fail(err, FY_EINPUT, "%s: manifest: not a ferry manifest",
                       p->name);
    if (p->part.len > 0)
        return bad(err, p->name, p->lineno, "no newline (truncated?)");
    if (!p->ended)
        return fy_fail(err, FY_EINPUT, "%s: manifest: no end line (truncated)",
                       p->name);
    if (tot)
        *tot = p->seen;
    return FY_OK;
}

enum fy_rc
arc_manifest_parse(const char *buf,
                   size_t len,
                   const char *name,
                   enum fy_rc (*cb)(void *ctx,
                                    const struct arc_mf_line *l,
                                    struct fy_err *err),
                   void *ctx,
                   struct arc_mf_totals *tot,
                   struct fy_err *err)
{
    struct arc_mf_parser p;
    arc_mf_parser_init(&p, name, cb, ctx);
    enum fy_rc rc = arc_mf_parser_feed(&p, buf, len, err);
    if (rc == FY_OK)
        rc = arc_mf_parser_finish(&p, tot, err);
    arc_mf_parser_release(&p);
    return rc;
}
