/*
 * incr_state.c - an incremental set's objects (doc/incremental.md): the
 * state object (JSON through jansson), the names of states, layers and
 * indexes, the set's listing, small objects read whole or written in one
 * step, the SHA-256 of a small object.  A state is hostile input: every
 * name it gives must be one of ours (no '/', no other object), every
 * number in range, or it is FY_EINPUT.
 */
#include "incr_int.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/sha256.h"
#include "ferry/remote_list.h"
#include "ferry/xalloc.h"

#define MAX_LAYERS 1000 /* layers of one state */

void
incr_sha_hex(const void *buf, size_t len, char hex[SHA256_HEX])
{
    struct sha256 *h = sha256_new();
    sha256_update(h, buf, len);
    if (!sha256_hex(h, hex))
        abort(); /* OpenSSL refused SHA-256: nothing here can be checked */
    sha256_free(h);
}

void
incr_random_hex(char *out, size_t digits)
{
    unsigned char r[32];
    size_t n = (digits + 1) / 2;
    if (n > sizeof r || getrandom(r, n, 0) != (ssize_t)n)
        abort(); /* getrandom on Linux >= 3.17 does not fail for 32 bytes */
    for (size_t i = 0; i < digits; i++)
        out[i] = "0123456789abcdef"[i % 2 ? r[i / 2] & 15 : r[i / 2] >> 4];
    out[digits] = '\0';
}

static bool
digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

static bool
hexes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool
incr_name_parse(const char *name, char *kind, int64_t *seq)
{
    const char *rest;
    size_t len = strlen(name);
    if (strncmp(name, "state-", 6) == 0)
        *kind = 's', rest = name + 6;
    else if (strncmp(name, "layer-", 6) == 0)
        *kind = 'l', rest = name + 6;
    else if (strncmp(name, "index-", 6) == 0)
        *kind = 'i', rest = name + 6;
    else
        return false;
    /* 8 to 18 digits */
    size_t d = strspn(rest, "0123456789");
    if (d < 8 || d > 18 || !digits(rest, d))
        return false;
    char nb[20];
    memcpy(nb, rest, d);
    nb[d] = '\0';
    *seq = strtoll(nb, NULL, 10);
    if (*seq < 1)
        return false;
    rest += d;
    const char *ext = *kind == 's'   ? ".json"
                      : *kind == 'l' ? ".tar.zst"
                                     : ".zst";
    if (*kind == 's')
        return strcmp(rest, ext) == 0;
    size_t left = strlen(rest), el = strlen(ext);
    (void)len;
    return left == 1 + 8 + el && rest[0] == '-' && hexes(rest + 1, 8) &&
           strcmp(rest + 9, ext) == 0;
}

bool
incr_name_ours(const char *name)
{
    char kind;
    int64_t seq;
    return incr_name_parse(name, &kind, &seq);
}

void
incr_state_release(struct incr_state *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->layers[i].name);
    free(s->layers);
    free(s->index.name);
    memset(s, 0, sizeof *s);
}

static json_t *
obj_json(const struct incr_obj *l, bool layer)
{
    json_t *o =
        json_pack("{sssIsIss}", "name", l->name, "seq", (json_int_t)l->seq,
                  "size", (json_int_t)l->size, "sha256", l->sha256);
    if (o != NULL && layer)
        json_object_set_new(o, "kind", json_string(l->full ? "full" : "delta"));
    return o;
}

char *
incr_state_json(const struct incr_state *s)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(layers, obj_json(&s->layers[i], true));
    json_t *o =
        json_pack("{sisssIsIsososIsI}", "ferry_set", 1, "set", s->set, "seq",
                  (json_int_t)s->seq, "time", (json_int_t)s->time, "layers",
                  layers, "index", obj_json(&s->index, false), "files",
                  (json_int_t)s->files, "bytes", (json_int_t)s->bytes);
    char *text =
        o != NULL ? json_dumps(o, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (text == NULL)
        abort(); /* out of memory */
    char *r = xasprintf("%s\n", text);
    free(text);
    return r;
}

/* One layer or index object of a state; false if malformed. */
static bool
obj_parse(json_t *v, char want, struct incr_obj *l)
{
    json_t *name = json_object_get(v, "name"), *seq = json_object_get(v, "seq"),
           *size = json_object_get(v, "size"),
           *sha = json_object_get(v, "sha256"),
           *kind = json_object_get(v, "kind");
    char k;
    int64_t nseq;
    const char *n = json_string_value(name), *h = json_string_value(sha);
    if (!json_is_object(v) || n == NULL ||
        strlen(n) != json_string_length(name) ||
        !incr_name_parse(n, &k, &nseq) || k != want || !json_is_integer(seq) ||
        json_integer_value(seq) != nseq || !json_is_integer(size) ||
        json_integer_value(size) < 0 ||
        json_integer_value(size) > REMOTE_MAX_OBJECT || h == NULL ||
        strlen(h) != 64 || !hexes(h, 64))
        return false;
    if (want == 'l') {
        const char *ks = json_string_value(kind);
        if (ks == NULL || (strcmp(ks, "full") != 0 && strcmp(ks, "delta") != 0))
            return false;
        l->full = strcmp(ks, "full") == 0;
    }
    l->name = xstrdup(n);
    l->seq = nseq;
    l->size = json_integer_value(size);
    memcpy(l->sha256, h, 65);
    return true;
}

static enum fy_rc
parse_obj(json_t *root,
          const char *name,
          struct incr_state *s,
          struct fy_err *err)
{
    json_t *ver = json_object_get(root, "ferry_set"),
           *set = json_object_get(root, "set"),
           *seq = json_object_get(root, "seq"),
           *time = json_object_get(root, "time"),
           *layers = json_object_get(root, "layers"),
           *index = json_object_get(root, "index"),
           *files = json_object_get(root, "files"),
           *bytes = json_object_get(root, "bytes");
    const char *id = json_string_value(set);
    char k;
    int64_t nseq;
    if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        return fy_fail(err, FY_EINPUT, "%s: not a ferry state (version)", name);
    if (id == NULL || strlen(id) != 32 || !hexes(id, 32) ||
        !json_is_integer(seq) || !json_is_integer(time) ||
        !json_is_integer(files) || !json_is_integer(bytes) ||
        !json_is_array(layers) || json_array_size(layers) < 1 ||
        json_array_size(layers) > MAX_LAYERS ||
        !incr_name_parse(name, &k, &nseq) || k != 's' ||
        json_integer_value(seq) != nseq)
        return fy_fail(err, FY_EINPUT, "%s: corrupt state", name);
    memcpy(s->set, id, 33);
    s->seq = nseq;
    s->time = json_integer_value(time);
    s->files = json_integer_value(files);
    s->bytes = json_integer_value(bytes);
    s->layers = xcalloc(json_array_size(layers), sizeof *s->layers);
    for (size_t i = 0; i < json_array_size(layers); i++) {
        struct incr_obj *l = &s->layers[i];
        bool ok = obj_parse(json_array_get(layers, i), 'l', l);
        if (ok)
            s->n++; /* its name is freed by incr_state_release */
        if (!ok || l->seq > s->seq || (i == 0) != l->full ||
            (i > 0 && l->seq <= s->layers[i - 1].seq))
            return fy_fail(err, FY_EINPUT, "%s: corrupt state: layer %zu", name,
                           i + 1);
    }
    if (!obj_parse(index, 'i', &s->index) || s->index.seq != s->seq)
        return fy_fail(err, FY_EINPUT, "%s: corrupt state: index", name);
    return FY_OK;
}

enum fy_rc
incr_state_parse(const char *text,
                 size_t len,
                 const char *name,
                 struct incr_state *s,
                 struct fy_err *err)
{
    json_error_t je;
    memset(s, 0, sizeof *s);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return fy_fail(err, FY_EINPUT, "%s: not a ferry state (bad JSON)",
                       name);
    }
    enum fy_rc rc = parse_obj(root, name, s, err);
    json_decref(root);
    if (rc != FY_OK)
        incr_state_release(s);
    return rc;
}

void
incr_listing_release(struct incr_listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    free(l->kind);
    memset(l, 0, sizeof *l);
}

static enum fy_rc
listing_cb(void *arg, const struct remote_entry *e, struct fy_err *err)
{
    struct incr_listing *l = arg;
    char kind;
    int64_t seq;
    if (e->type != REMOTE_ENTRY_FILE || !incr_name_parse(e->name, &kind, &seq))
        return FY_OK; /* a .part, a stranger's file: not ours */
    if (l->n >= INCR_LIST_MAX)
        return fy_fail(err, FY_ERUNTIME,
                       "the set holds more than %d objects of ours",
                       INCR_LIST_MAX);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
        l->kind = xrealloc(l->kind, l->cap);
    }
    struct incr_obj *o = &l->v[l->n];
    memset(o, 0, sizeof *o);
    o->name = xstrdup(e->name);
    o->seq = seq;
    o->size = e->size;
    l->kind[l->n++] = kind;
    return FY_OK;
}

enum fy_rc
incr_listing_get(const char *set,
                 const struct remote_opts *o,
                 struct out *out,
                 struct incr_listing *l,
                 struct fy_err *err)
{
    struct out q = *out;
    q.mode = OUT_NONE;
    struct fy_err e = FY_ERR_INIT;
    enum fy_rc rc = remote_list(set, o, false, listing_cb, l, &q, NULL, &e);
    if (rc == FY_OK)
        return FY_OK;
    /* a set not made yet: a directory not there */
    if (e.rc == FY_ERUNTIME && (strstr(e.msg, "no such directory") ||
                                strstr(e.msg, "No such file or directory")))
        return FY_OK;
    return fy_fail(err, e.rc, "%s", e.msg);
}

int64_t
incr_listing_size(const struct incr_listing *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return l->v[i].size;
    return -1;
}

char *
incr_url(const char *set, const char *name)
{
    return xasprintf("%s%s", set, name);
}

enum fy_rc
incr_get(const char *url,
         size_t max,
         const struct remote_opts *o,
         struct out *out,
         struct sbuf *buf,
         bool *missing,
         struct fy_err *err)
{
    struct fy_istream is;
    struct fy_err e = FY_ERR_INIT;
    struct out q = *out;
    q.mode = OUT_NONE;
    *missing = false;
    if (remote_download_open(&is, url, o, &q, NULL, &e) != FY_OK) {
        *missing = e.rc == FY_ERUNTIME && (strstr(e.msg, "no such object") ||
                                           strstr(e.msg, "No such file"));
        return fy_fail(err, e.rc, "%s", e.msg);
    }
    enum fy_rc rc = FY_OK;
    char chunk[64 << 10];
    for (;;) {
        size_t got = 0;
        if ((rc = is.read(is.ctx, chunk, sizeof chunk, &got, &e)) != FY_OK) {
            rc = fy_fail(err, e.rc, "%s", e.msg);
            break;
        }
        if (got == 0)
            break;
        if (buf->len + got > max) {
            char *show = remote_url_show(url);
            rc =
                fy_fail(err, FY_EINPUT, "%s: bigger than %zu bytes", show, max);
            free(show);
            break;
        }
        sbuf_add(buf, chunk, got);
    }
    is.close(is.ctx);
    return rc;
}

enum fy_rc
incr_put(const char *url,
         const void *buf,
         size_t len,
         const struct remote_opts *o,
         struct out *out,
         struct fy_err *err)
{
    struct fy_ostream os;
    struct out q = *out;
    q.mode = OUT_NONE;
    enum fy_rc rc = remote_upload_open(&os, url, o, &q, NULL, err);
    if (rc != FY_OK)
        return rc;
    rc = os.write(os.ctx, buf, len, err);
    if (rc == FY_OK)
        return os.close(os.ctx, true, err);
    os.close(os.ctx, false, err);
    return rc;
}

enum fy_rc
incr_state_get(const char *set,
               const char *name,
               const struct remote_opts *o,
               struct out *out,
               struct incr_state *s,
               struct fy_err *err)
{
    struct sbuf b = SBUF_INIT;
    bool missing;
    char *url = incr_url(set, name);
    enum fy_rc rc = incr_get(url, INCR_STATE_MAX, o, out, &b, &missing, err);
    if (rc == FY_OK) {
        char *show = remote_url_show(url);
        rc = incr_state_parse(b.buf ? b.buf : "", b.len, name, s, err);
        (void)show;
        free(show);
    }
    free(url);
    sbuf_release(&b);
    return rc;
}
