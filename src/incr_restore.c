/*
 * incr_restore.c - `ferry restore SET/ DIR` and `ferry ls SET/`: the
 * state chosen, its index read and checked, then its layers applied
 * newest first by arc_unpack_layers() into one staging directory: a path
 * is created only from the layer the index says holds it (so no file is
 * written twice, and what was deleted is never made), each layer checked
 * against its own manifest and its SHA-256, every owned line against the
 * index, and every index entry found before the swap.
 *
 * Why newest first works: a delta holds every ancestor directory of what
 * it holds (incr_save.c), and a directory is owned by the newest layer
 * that holds it, so a parent is made before, or in the same layer as,
 * anything below it.  Directory modes and times are set after the last.
 *
 * Each layer's SHA-256 runs on a helper thread (outpipe_new(NULL)): on the
 * thread that decodes the layer it made a restore of a full layer and 10
 * deltas 1.7x one of a plain archive (bench/save.md).
 */
#include "ferry/incr.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incr_int.h"
#include "ferry/out.h"
#include "ferry/save.h"
#include "ferry/outpipe.h"
#include "ferry/remote.h"
#include "ferry/xalloc.h"

struct restorer {
    const char *set;
    const struct remote_opts *o;
    struct out *out;
    struct incr_result *res;
    struct incr_listing ls;
    struct incr_state st;
    struct incr_index x;
    bool *member_seen; /* per layer, in the order applied */
    /* the layer being read */
    struct fy_istream inner;
    struct outpipe *sha; /* on its own thread, off the unpacker's path */
    int64_t bytes;
    const struct incr_obj *cur;
    char *cur_show; /* SET/name, for messages */
};

/* Layer i of the order applied: newest first. */
static const struct incr_obj *
layer_at(const struct restorer *r, size_t i)
{
    return &r->st.layers[r->st.n - 1 - i];
}

static enum fy_rc
tap_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct restorer *r = ctx;
    enum fy_rc rc = r->inner.read(r->inner.ctx, buf, cap, got, err);
    if (rc != FY_OK)
        return rc;
    if (r->sha == NULL) /* its end was checked already */
        return *got > 0 ? fy_fail(err, FY_EINPUT, "%s: data after its end",
                                  r->cur_show)
                        : FY_OK;
    if (*got > 0) {
        r->bytes += (int64_t)*got;
        return outpipe_write(r->sha, buf, *got, err);
    }
    char hex[SHA256_HEX];
    rc = outpipe_finish(r->sha, hex, err);
    outpipe_free(r->sha);
    r->sha = NULL;
    if (rc != FY_OK)
        return rc;
    bool have = hex[0] != '\0';
    r->res->downloaded += r->bytes;
    if (!have)
        return fy_fail(err, FY_ERUNTIME, "%s: cannot compute a SHA-256 here",
                       r->cur_show);
    if (r->bytes != r->cur->size || strcmp(hex, r->cur->sha256) != 0)
        return fy_fail(err, FY_EINPUT,
                       "%s: corrupt: not the size or SHA-256 state %" PRId64
                       " names",
                       r->cur_show, r->st.seq);
    return FY_OK;
}

static void
tap_close(void *ctx)
{
    struct restorer *r = ctx;
    r->inner.close(r->inner.ctx);
    outpipe_free(r->sha);
    r->sha = NULL;
}

static enum fy_rc
open_layer(void *ctx, size_t i, struct fy_istream *is, struct fy_err *err)
{
    struct restorer *r = ctx;
    r->cur = layer_at(r, i);
    free(r->cur_show);
    char *url = incr_url(r->set, r->cur->name);
    r->cur_show = remote_url_show(url);
    enum fy_rc rc =
        remote_download_open(&r->inner, url, r->o, r->out, NULL, err);
    free(url);
    if (rc != FY_OK)
        return rc;
    r->sha = outpipe_new(NULL);
    r->bytes = 0;
    is->read = tap_read;
    is->close = tap_close;
    is->ctx = r;
    is->name = r->cur_show;
    is->fd = -1;
    is->size = r->cur->size;
    return FY_OK;
}

static enum fy_rc
refuse(struct restorer *r, struct fy_err *err, const char *why)
{
    return fy_fail(err, FY_EREFUSED, "%s: %s", r->cur_show, why);
}

static enum fy_rc
want(void *ctx,
     size_t i,
     const char *path,
     char type,
     const char *link,
     bool *make,
     struct fy_err *err)
{
    struct restorer *r = ctx;
    int64_t seq = layer_at(r, i)->seq;
    *make = false;
    if (!r->member_seen[i])
        return refuse(r, err, "not a layer of a ferry set (no .ferry/layer)");
    const struct incr_ent *e = incr_index_get(&r->x, path);
    if (e == NULL || e->layer != seq)
        return FY_OK; /* deleted, or a newer layer's */
    char *esc = NULL;
    enum fy_rc rc = FY_OK;
    if (e->type != type) {
        esc = out_escape(path);
        rc = fy_fail(err, FY_EINPUT,
                     "%s: %s: not the type state %" PRId64 "'s index says",
                     r->cur_show, esc, r->st.seq);
    } else if (type == 'h') {
        const struct incr_ent *t = link ? incr_index_get(&r->x, link) : NULL;
        if (t == NULL || t->layer != seq) {
            esc = out_escape(path);
            rc = fy_fail(err, FY_EINPUT,
                         "%s: %s: a hardlink to another "
                         "layer's file",
                         r->cur_show, esc);
        }
    }
    free(esc);
    *make = rc == FY_OK;
    return rc;
}

static enum fy_rc
member(void *ctx,
       size_t i,
       const char *path,
       const void *data,
       size_t len,
       struct fy_err *err)
{
    struct restorer *r = ctx;
    const struct incr_obj *l = layer_at(r, i);
    if (path == NULL)
        return refuse(r, err, "not a layer of a ferry set (no .ferry/layer)");
    if (strcmp(path, ".ferry/layer") != 0)
        return FY_OK; /* .ferry/deleted: the index knows */
    json_error_t je;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    const char *set = json_string_value(json_object_get(root, "set"));
    json_t *seq = json_object_get(root, "seq");
    const char *kind = json_string_value(json_object_get(root, "kind"));
    enum fy_rc rc = FY_OK;
    if (set == NULL || !json_is_integer(seq) || kind == NULL)
        rc = refuse(r, err, "not a layer of a ferry set (bad .ferry/layer)");
    else if (strcmp(set, r->st.set) != 0)
        rc = fy_fail(err, FY_EREFUSED,
                     "%s: a layer of another set (%.32s, not %s)", r->cur_show,
                     set, r->st.set);
    else if (json_integer_value(seq) != l->seq ||
             strcmp(kind, l->full ? "full" : "delta") != 0)
        rc = refuse(r, err, "not the layer state's names (seq or kind)");
    json_decref(root);
    if (rc == FY_OK)
        r->member_seen[i] = true;
    return rc;
}

static enum fy_rc
line(void *ctx, size_t i, const struct arc_mf_line *l, struct fy_err *err)
{
    struct restorer *r = ctx;
    if (strncmp(l->path, ".ferry/", 7) == 0)
        return FY_OK;
    struct incr_ent *e = incr_index_get(&r->x, l->path);
    if (e == NULL || e->layer != layer_at(r, i)->seq)
        return FY_OK;
    bool same = e->type == l->type;
    if (same && l->type == 'f')
        same = e->size == l->size && memcmp(e->hash, l->hash, 16) == 0;
    else if (same && l->type != 'd' && l->has_hash)
        same = memcmp(e->hash, l->hash, 16) == 0;
    if (!same) {
        char *esc = out_escape(l->path);
        fy_fail(err, FY_EREFUSED,
                "%s: %s: not what state %" PRId64 "'s index says", r->cur_show,
                esc, r->st.seq);
        free(esc);
        return FY_EREFUSED;
    }
    e->seen = true;
    return FY_OK;
}

static enum fy_rc
finish(void *ctx, struct fy_err *err)
{
    struct restorer *r = ctx;
    for (size_t i = 0; i < r->x.n; i++)
        if (!r->x.v[i].seen) {
            char *esc = out_escape(incr_ent_path(&r->x, &r->x.v[i]));
            fy_fail(err, FY_EINPUT,
                    "%s: state %" PRId64 ": %s is in no layer (layer %" PRId64
                    ")",
                    r->set, r->st.seq, esc, r->x.v[i].layer);
            free(esc);
            return FY_EINPUT;
        }
    return FY_OK;
}

/* The state to restore: want's, or the newest that parses. */
static enum fy_rc
pick_state(struct restorer *r, int64_t want_seq, int back, struct fy_err *err)
{
    int64_t below = INT64_MAX;
    int want_back = back;
    if (want_seq > 0) {
        char *name = xasprintf("state-%08" PRId64 ".json", want_seq);
        enum fy_rc rc =
            incr_listing_size(&r->ls, name) < 0
                ? fy_fail(err, FY_EINPUT, "%s: no state %" PRId64, r->set,
                          want_seq)
                : incr_state_get(r->set, name, r->o, r->out, &r->st, err);
        free(name);
        return rc;
    }
    for (;;) {
        const char *name = NULL;
        int64_t top = 0;
        for (size_t i = 0; i < r->ls.n; i++)
            if (r->ls.kind[i] == 's' && r->ls.v[i].seq > top &&
                r->ls.v[i].seq < below) {
                top = r->ls.v[i].seq;
                name = r->ls.v[i].name;
            }
        if (name == NULL && below == INT64_MAX)
            return fy_fail(err, FY_ERUNTIME,
                           "%s: no such set (no state object there)", r->set);
        if (name == NULL)
            return fy_fail(err, FY_ERUNTIME,
                           "%s: no readable state %d before the newest", r->set,
                           want_back);
        below = top;
        struct fy_err e = FY_ERR_INIT;
        if (incr_state_get(r->set, name, r->o, r->out, &r->st, &e) == FY_OK &&
            back-- == 0)
            return FY_OK;
        if (e.rc == FY_OK) {
            incr_state_release(&r->st);
            continue;
        }
        if (e.rc != FY_EINPUT)
            return fy_fail(err, e.rc, "%s", e.msg);
        out_warn(r->out, "%s (an older state is restored)", e.msg);
    }
}

/* The state's index, read whole and checked (r->x). */
static enum fy_rc
load_index(struct restorer *r, struct fy_err *err)
{
    struct sbuf z = SBUF_INIT, text = SBUF_INIT;
    bool missing;
    char *url = incr_url(r->set, r->st.index.name);
    char *show = remote_url_show(url);
    enum fy_rc rc =
        incr_get(url, INCR_INDEX_MAX, r->o, r->out, &z, &missing, err);
    if (rc != FY_OK && missing) {
        fy_err_clear(err);
        rc = fy_fail(err, FY_EINPUT, "%s: missing (named by state %" PRId64 ")",
                     show, r->st.seq);
    }
    if (rc == FY_OK) {
        char hex[65];
        incr_sha_hex(z.buf, z.len, hex);
        r->res->downloaded += (int64_t)z.len;
        if ((int64_t)z.len != r->st.index.size ||
            strcmp(hex, r->st.index.sha256) != 0)
            rc = fy_fail(err, FY_EINPUT,
                         "%s: corrupt: not the size or SHA-256 state %" PRId64
                         " names",
                         show, r->st.seq);
    }
    if (rc == FY_OK)
        rc =
            arc_blob_decompress(z.buf, z.len, INCR_INDEX_MAX, show, &text, err);
    if (rc == FY_OK)
        rc = incr_index_parse(text.buf ? text.buf : "", text.len, show, &r->x,
                              err);
    free(url);
    free(show);
    sbuf_release(&z);
    sbuf_release(&text);
    return rc;
}

enum fy_rc
incr_restore(const char *set,
             const char *dir,
             const struct arc_unpack_opts *uo,
             const struct incr_opts *io,
             const struct remote_opts *o,
             struct out *out,
             struct incr_result *res,
             struct fy_err *err)
{
    struct restorer r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    save_say_start(out, dir, set, true); /* the unpacker's is dropped */
    r.set = set;
    r.o = o;
    r.out = out;
    r.res = res;
    enum fy_rc rc = incr_listing_get(set, o, out, &r.ls, err);
    if (rc == FY_OK)
        rc = pick_state(&r, io->state, io->back, err);
    /* every layer there, at its size, before anything is downloaded */
    for (size_t i = 0; rc == FY_OK && i < r.st.n; i++) {
        const struct incr_obj *l = &r.st.layers[i];
        int64_t size = incr_listing_size(&r.ls, l->name);
        if (size != l->size) {
            char *url = incr_url(set, l->name), *show = remote_url_show(url);
            rc = fy_fail(err, FY_EINPUT,
                         size < 0 ? "%s: missing (named by state %" PRId64 ")"
                                  : "%s: corrupt: not the size state %" PRId64
                                    " names",
                         show, r.st.seq);
            free(url);
            free(show);
        }
    }
    if (rc == FY_OK)
        rc = load_index(&r, err);
    if (rc == FY_OK) {
        struct arc_layer_hooks h = {r.st.n, open_layer, want, member,
                                    line,   finish,     &r};
        r.member_seen = xcalloc(r.st.n, sizeof *r.member_seen);
        out_verbose(out, "restoring state %" PRId64 " of %s: %zu layers",
                    r.st.seq, set, r.st.n);
        rc = arc_unpack_layers(&h, dir, uo, out, &res->st, err);
        res->seq = r.st.seq;
        res->layers = (int)r.st.n;
    }
    free(r.member_seen);
    free(r.cur_show);
    incr_index_release(&r.x);
    incr_state_release(&r.st);
    incr_listing_release(&r.ls);
    return rc;
}

enum fy_rc
incr_list(const char *url,
          size_t n,
          const char *const *names,
          const int64_t *sizes,
          const struct remote_opts *o,
          struct out *out,
          enum fy_rc (*cb)(void *arg,
                           const struct incr_state_info *s,
                           struct fy_err *err),
          void *arg,
          bool *is_set,
          struct fy_err *err)
{
    struct incr_listing ls;
    memset(&ls, 0, sizeof ls);
    *is_set = false;
    enum fy_rc rc = FY_OK;
    for (size_t i = 0; i < n; i++) {
        char kind;
        int64_t seq;
        if (!incr_name_parse(names[i], &kind, &seq))
            continue;
        if (ls.n == ls.cap) {
            ls.cap = ls.cap ? ls.cap * 2 : 64;
            ls.v = xrealloc(ls.v, ls.cap * sizeof *ls.v);
            ls.kind = xrealloc(ls.kind, ls.cap);
        }
        memset(&ls.v[ls.n], 0, sizeof *ls.v);
        ls.v[ls.n].name = xstrdup(names[i]);
        ls.v[ls.n].seq = seq;
        ls.v[ls.n].size = sizes[i];
        ls.kind[ls.n++] = kind;
    }
    int64_t below = 0;
    for (;;) {
        if (rc != FY_OK)
            break;
        const char *name = NULL;
        int64_t low = INT64_MAX;
        for (size_t i = 0; i < ls.n; i++)
            if (ls.kind[i] == 's' && ls.v[i].seq > below && ls.v[i].seq < low) {
                low = ls.v[i].seq;
                name = ls.v[i].name;
            }
        if (name == NULL)
            break;
        below = low;
        *is_set = true;
        struct incr_state st;
        struct incr_state_info info;
        struct fy_err e = FY_ERR_INIT;
        memset(&info, 0, sizeof info);
        info.seq = low;
        if (incr_state_get(url, name, o, out, &st, &e) == FY_OK) {
            info.time = st.time;
            info.layers = (int)st.n;
            info.full = st.n == 1;
            info.ok = true;
            for (size_t i = 0; i < st.n; i++) {
                info.bytes += st.layers[i].size;
                if (incr_listing_size(&ls, st.layers[i].name) !=
                    st.layers[i].size)
                    info.ok = false;
            }
            incr_state_release(&st);
        } else if (e.rc == FY_EINTR) {
            rc = fy_fail(err, e.rc, "%s", e.msg);
            break;
        }
        rc = cb(arg, &info, err);
    }
    incr_listing_release(&ls);
    return rc;
}
