/*
 * incr_save.c - `ferry save DIR SET/ --incremental`: arc_pack() with a plan
 * (arc_pack_hooks) that compares every entry with the newest state's
 * index and packs only what changed, straight into the upload of a new
 * layer (no temporary file); then the new index, then the state object,
 * written last; then retention.
 *
 * What it keeps true: change detection never misses a change: an entry
 * whose size, mtime, ctime, inode or mode differ, or whose stat was taken
 * within INCR_RACY_NS of the previous index's clock (racy: a write in the
 * same timestamp tick leaves the mtime as it was), is read and hashed; an
 * entry is left out of a delta only when its type, mode, mtime and content
 * (a link's target) are the index's.  A delta holds every ancestor
 * directory of what it holds, so each layer can be applied on its own
 * (incr_restore.c relies on it), and a hardlink whose target changed or
 * went.  Nothing is removed before the new state is complete.
 */
#include "ferry/incr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "incr_int.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/save.h"
#include "ferry/remote.h"
#include "ferry/remote_list.h"
#include "ferry/xalloc.h"

/* One save run: on incr_save's stack. */
struct saver {
    const char *dir, *set;
    const struct remote_opts *o;
    struct out *out;
    struct fy_err *err;
    struct incr_listing ls;
    struct incr_state prev; /* prev.n == 0: none */
    struct incr_index old;  /* prev's index */
    struct incr_index neu;  /* what this save finds */
    size_t *ent_of;         /* scan index -> neu index, or SIZE_MAX */
    size_t *scan_of;        /* neu index -> scan index */
    size_t nscan;
    bool full;
    int64_t seq;
    char set_id[33];
    struct sbuf deleted, layer_json;
    int64_t kept, ndeleted;
    struct arc_pack_hooks *hooks;
};

static int64_t
ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int64_t
now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return ts_ns(&t);
}

/* Content hash of the file at path beneath rootfd; false if unreadable
 * (then it is packed, and the packer says why). */
static bool
hash_file(int rootfd, const char *path, unsigned char out[16])
{
    int fd = fs_open_beneath(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd); /* no longer a file: changed, the packer says how */
        return false;
    }
    if (fd < 0)
        return false;
    XXH3_state_t *xx = XXH3_createState();
    XXH3_128bits_reset(xx);
    static __thread unsigned char buf[256 << 10];
    bool ok = true;
    for (;;) {
        if (fy_interrupted()) {
            ok = false;
            break;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ok = false;
            break;
        }
        if (n == 0)
            break;
        XXH3_128bits_update(xx, buf, (size_t)n);
    }
    close(fd);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(xx));
    memcpy(out, c.digest, 16);
    XXH3_freeState(xx);
    return ok;
}

/* The link target's hash as the manifest keeps it; false if unreadable. */
static bool
hash_link(int rootfd, const char *path, unsigned char out[16])
{
    char target[4097];
    ssize_t n = readlinkat(rootfd, path, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    arc_link_hash(target, out);
    return true;
}

/* Can the stat of old be trusted?  Not when it was taken within the
 * timestamp granularity of the clock its index was made at. */
static bool
racy(const struct incr_index *x, const struct incr_ent *e)
{
    return e->mtime_ns + INCR_RACY_NS >= x->scanned_ns ||
           e->ctime_ns + INCR_RACY_NS >= x->scanned_ns;
}

/*
 * Is the entry at path (stat st, type t) unchanged since old?  Reads and
 * hashes it only when the stat cannot tell.
 */
static bool
unchanged(struct saver *s,
          int rootfd,
          const char *path,
          const struct stat *st,
          char t,
          const struct incr_ent *old)
{
    char ot = old->type == 'h' ? 'f' : old->type;
    if (ot != t || old->mode != (st->st_mode & 07777u) ||
        old->mtime_ns != ts_ns(&st->st_mtim))
        return false;
    if (t == 'd')
        return true;
    if (t == 'f' && old->size != (int64_t)st->st_size)
        return false;
    if (old->ctime_ns == ts_ns(&st->st_ctim) && old->ino == st->st_ino &&
        !racy(&s->old, old))
        return true;
    /* the stat cannot tell: the content can */
    unsigned char h[16];
    const unsigned char *want = old->hash;
    if (old->type == 'h') { /* a hardlink's content is its target's */
        const char *link = incr_ent_link(&s->old, old);
        const struct incr_ent *to = link ? incr_index_get(&s->old, link) : NULL;
        if (to == NULL || to->type != 'f')
            return false;
        want = to->hash;
    }
    bool ok =
        t == 'l' ? hash_link(rootfd, path, h) : hash_file(rootfd, path, h);
    return ok && memcmp(h, want, 16) == 0;
}

static void
mark_ancestors(struct saver *s, const char *path, bool *keep)
{
    struct sbuf p = SBUF_INIT;
    sbuf_adds(&p, path);
    for (;;) {
        char *slash = strrchr(p.buf, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
        p.len = (size_t)(slash - p.buf);
        struct incr_ent *e = incr_index_get(&s->neu, p.buf);
        if (e == NULL)
            break;
        size_t j = (size_t)(e - s->neu.v);
        if (keep[s->scan_of[j]])
            break; /* it and what is above it are marked already */
        e->layer = s->seq;
        keep[s->scan_of[j]] = true;
    }
    sbuf_release(&p);
}

static enum fy_rc
plan(void *ctx,
     int rootfd,
     size_t n,
     const struct arc_pack_entry *ents,
     bool *keep,
     bool *none,
     struct fy_err *err)
{
    struct saver *s = ctx;
    struct arc_pack_hooks *h = s->hooks;
    (void)err;
    incr_index_release(&s->neu);
    memset(&s->neu, 0, sizeof s->neu);
    s->neu.scanned_ns = now_ns(); /* before every stat below */
    free(s->ent_of);
    free(s->scan_of);
    s->ent_of = xmalloc((n > 0 ? n : 1) * sizeof *s->ent_of);
    s->scan_of = xmalloc((n > 0 ? n : 1) * sizeof *s->scan_of);
    s->nscan = n;
    s->kept = s->ndeleted = 0;
    s->deleted.len = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        s->ent_of[i] = SIZE_MAX;
        if (fy_interrupted())
            return fy_fail(s->err, FY_EINTR, "%s: interrupted", s->dir);
        if (fstatat(rootfd, ents[i].path, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* vanished: not in the new state */
        char t = S_ISREG(st.st_mode)   ? 'f'
                 : S_ISDIR(st.st_mode) ? 'd'
                 : S_ISLNK(st.st_mode) ? 'l'
                                       : 0;
        if (t == 0)
            continue; /* a device, FIFO, socket: pack skips it */
        const struct incr_ent *old =
            s->full ? NULL : incr_index_get(&s->old, ents[i].path);
        bool same =
            old != NULL && unchanged(s, rootfd, ents[i].path, &st, t, old);
        struct incr_ent *e = incr_index_add(
            &s->neu, ents[i].path,
            same && old->type == 'h' ? incr_ent_link(&s->old, old) : NULL);
        e->type = same ? old->type : t;
        e->mode = st.st_mode & 07777u;
        e->size = t == 'f' ? (int64_t)st.st_size : 0;
        e->mtime_ns = ts_ns(&st.st_mtim);
        e->ctime_ns = ts_ns(&st.st_ctim);
        e->ino = st.st_ino;
        e->layer = same ? old->layer : s->seq;
        if (same)
            memcpy(e->hash, old->hash, 16);
        s->ent_of[i] = s->neu.n - 1;
        s->scan_of[s->neu.n - 1] = i;
        keep[i] = !same;
    }
    /* a hardlink kept only while its target is the index's */
    for (size_t i = 0; i < n; i++) {
        if (s->ent_of[i] == SIZE_MAX || keep[i])
            continue;
        struct incr_ent *e = &s->neu.v[s->ent_of[i]];
        const char *link = incr_ent_link(&s->neu, e);
        if (e->type != 'h' || link == NULL)
            continue;
        struct incr_ent *t = incr_index_get(&s->neu, link);
        if (t == NULL || t->layer == s->seq) {
            keep[i] = true;
            e->layer = s->seq;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            s->kept++;
    /* children after their parents: from the last entry up, so that a
     * kept ancestor met on the way has had its own walk */
    for (size_t i = n; !s->full && i-- > 0;)
        if (keep[i])
            mark_ancestors(s, ents[i].path, keep);
    /* what went */
    for (size_t i = 0; !s->full && i < s->old.n; i++) {
        const char *p = incr_ent_path(&s->old, &s->old.v[i]);
        if (incr_index_get(&s->neu, p) == NULL) {
            arc_path_escape(&s->deleted, p);
            sbuf_adds(&s->deleted, "\n");
            s->ndeleted++;
        }
    }
    *none = !s->full && s->kept == 0 && s->ndeleted == 0;
    s->layer_json.len = 0;
    sbuf_addf(&s->layer_json,
              "{\"ferry_layer\": 1, \"set\": \"%s\", \"seq\": %" PRId64
              ", \"kind\": \"%s\", \"entries\": %" PRId64
              ", \"deleted\": %" PRId64 "}\n",
              s->set_id, s->seq, s->full ? "full" : "delta", s->kept,
              s->ndeleted);
    h->extra[0].name = ".ferry/layer";
    h->extra[0].data = s->layer_json.buf;
    h->extra[0].len = s->layer_json.len;
    h->n_extra = 1;
    if (!s->full) {
        h->extra[1].name = ".ferry/deleted";
        h->extra[1].data = s->deleted.buf != NULL ? s->deleted.buf : "";
        h->extra[1].len = s->deleted.len;
        h->n_extra = 2;
    }
    return FY_OK;
}

static void
packed(void *ctx,
       size_t i,
       char type,
       int64_t size,
       const unsigned char *hash,
       const char *link)
{
    struct saver *s = ctx;
    if (i >= s->nscan || s->ent_of[i] == SIZE_MAX)
        return;
    struct incr_ent *e = &s->neu.v[s->ent_of[i]];
    e->type = type;
    e->seen = true;
    if (type == 'f')
        e->size = size;
    if (hash != NULL)
        memcpy(e->hash, hash, 16);
    e->link_off = (size_t)-1;
    if (link != NULL) {
        e->link_off = s->neu.names.len;
        sbuf_add(&s->neu.names, link, strlen(link) + 1);
    }
}

/* An upload opened at its first byte, its bytes counted (struct
 * fy_ostream over it; tap_close does not free the tap).  Their SHA-256
 * is pack's own (arc_stats.sha256: the bytes it gave the stream). */
struct tap {
    const char *url;
    const struct remote_opts *o;
    struct out *out;
    struct remote_stats *rs;
    struct fy_ostream real;
    bool opened;
    int64_t bytes;
};

static enum fy_rc
tap_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    struct tap *t = ctx;
    if (!t->opened) {
        enum fy_rc rc =
            remote_upload_open(&t->real, t->url, t->o, t->out, t->rs, err);
        if (rc != FY_OK)
            return rc;
        t->opened = true;
    }
    t->bytes += (int64_t)n;
    return t->real.write(t->real.ctx, buf, n, err);
}

static enum fy_rc
tap_close(void *ctx, bool commit, struct fy_err *err)
{
    struct tap *t = ctx;
    if (!t->opened)
        return commit ? fy_fail(err, FY_ERUNTIME, "empty layer") : FY_OK;
    t->opened = false;
    return t->real.close(t->real.ctx, commit, err);
}

/* The layer: arc_pack with the plan into its upload, started again (a new
 * pack) when a streamed upload broke midway. */
static enum fy_rc
write_layer(struct saver *s,
            const struct arc_pack_opts *po,
            const char *url,
            struct incr_result *res,
            struct incr_obj *lo)
{
    struct arc_pack_hooks hooks;
    struct arc_pack_opts p = *po;
    struct out quiet = *s->out;
    quiet.mode = OUT_NONE;
    memset(&hooks, 0, sizeof hooks);
    hooks.plan = plan;
    hooks.packed = packed;
    hooks.ctx = s;
    p.hooks = &hooks;
    p.format = ARC_FMT_TAR_ZST;
    s->hooks = &hooks;
    for (int attempt = 1;; attempt++) {
        struct remote_stats one = {0};
        struct tap t = {url, s->o, s->out, &one, {0}, false, 0};
        struct fy_ostream os = {.write = tap_write,
                                .close = tap_close,
                                .ctx = &t,
                                .name = url,
                                .fd = -1};
        enum fy_rc rc = arc_pack(s->dir, &p, &os, &quiet, &res->st, s->err);
        if (rc == FY_OK && t.bytes > 0 && res->st.sha256[0] == '\0')
            return fy_fail(s->err, FY_ERUNTIME,
                           "%s: cannot compute a SHA-256 here", url);
        if (rc == FY_OK) {
            memcpy(lo->sha256, res->st.sha256, 65);
            lo->size = t.bytes;
            res->uploaded += t.bytes;
            return FY_OK;
        }
        if (!one.restart || attempt > s->o->retries || fy_interrupted())
            return rc;
        double wait = remote_backoff(attempt, one.retry_after, remote_jitter());
        out_verbose(s->out, "retrying the layer in %.1f s: %s", wait,
                    one.restart_why);
        fy_err_clear(s->err);
        fy_nap(wait);
        if (fy_interrupted())
            return fy_fail(s->err, FY_EINTR, "%s: interrupted", s->dir);
    }
}

/* The name of the newest state of the listing older than seq below
 * (*seq: its number), or NULL when there is none. */
static const char *
state_below(const struct saver *s, int64_t below, int64_t *seq)
{
    const char *name = NULL;
    *seq = 0;
    for (size_t i = 0; i < s->ls.n; i++)
        if (s->ls.kind[i] == 's' && s->ls.v[i].seq < below &&
            s->ls.v[i].seq > *seq) {
            *seq = s->ls.v[i].seq;
            name = s->ls.v[i].name;
        }
    return name;
}

/* The newest state that parses (s->prev), its index (s->old), and
 * whether the next layer must be a full one. */
static enum fy_rc
load_prev(struct saver *s, const struct incr_opts *io)
{
    int64_t best = INT64_MAX; /* states below it are still to try */
    for (size_t i = 0; i < s->ls.n; i++)
        if (s->ls.v[i].seq > s->seq - 1)
            s->seq = s->ls.v[i].seq + 1;
    if (s->seq < 1)
        s->seq = 1;
    /* states newest first */
    for (;;) {
        int64_t top;
        const char *name = state_below(s, best, &top);
        if (name == NULL)
            break;
        best = top;
        struct fy_err e = FY_ERR_INIT;
        if (incr_state_get(s->set, name, s->o, s->out, &s->prev, &e) == FY_OK)
            break;
        if (e.rc == FY_EINTR)
            return fy_fail(s->err, e.rc, "%s", e.msg);
        out_warn(s->out, "%s (skipped)", e.msg);
    }
    s->full = true;
    if (s->prev.n == 0) {
        incr_random_hex(s->set_id, 32);
        return FY_OK;
    }
    memcpy(s->set_id, s->prev.set, 33);
    int64_t base = s->prev.layers[0].size, deltas = 0;
    bool all = true;
    for (size_t i = 0; i < s->prev.n; i++) {
        if (incr_listing_size(&s->ls, s->prev.layers[i].name) !=
            s->prev.layers[i].size)
            all = false;
        if (i > 0)
            deltas += s->prev.layers[i].size;
    }
    if (!all) {
        out_warn(s->out,
                 "%s: a layer of state %" PRId64 " is missing or damaged: "
                 "this save writes a full layer",
                 s->set, s->prev.seq);
        return FY_OK;
    }
    /* the index, checked against the state */
    struct sbuf z = SBUF_INIT, text = SBUF_INIT;
    bool missing;
    char *url = incr_url(s->set, s->prev.index.name);
    enum fy_rc rc =
        incr_get(url, INCR_INDEX_MAX, s->o, s->out, &z, &missing, s->err);
    free(url);
    if (rc == FY_OK) {
        char hex[65];
        incr_sha_hex(z.buf, z.len, hex);
        if ((int64_t)z.len != s->prev.index.size ||
            strcmp(hex, s->prev.index.sha256) != 0)
            rc = fy_fail(s->err, FY_EINPUT,
                         "%s%s: corrupt: not the size or SHA-256 its state "
                         "names",
                         s->set, s->prev.index.name);
    }
    if (rc == FY_OK)
        rc = arc_blob_decompress(z.buf, z.len, INCR_INDEX_MAX,
                                 s->prev.index.name, &text, s->err);
    if (rc == FY_OK)
        rc = incr_index_parse(text.buf ? text.buf : "", text.len,
                              s->prev.index.name, &s->old, s->err);
    sbuf_release(&z);
    sbuf_release(&text);
    if (rc != FY_OK) {
        if (s->err->rc == FY_EINTR)
            return rc;
        out_warn(s->out, "%s; this save writes a full layer", s->err->msg);
        fy_err_clear(s->err);
        incr_index_release(&s->old);
        memset(&s->old, 0, sizeof s->old);
        return FY_OK;
    }
    s->full = io->full || (int)s->prev.n - 1 >= INCR_MAX_DELTAS ||
              deltas * 100 > base * INCR_COMPACT_PERCENT;
    return FY_OK;
}

/* The new index: what the plan found, less what the pack did not pack
 * (it vanished), compressed into out. */
static void
index_text(struct saver *s, struct sbuf *out)
{
    struct incr_index x = INCR_INDEX_INIT;
    x.scanned_ns = s->neu.scanned_ns;
    for (size_t i = 0; i < s->neu.n; i++) {
        const struct incr_ent *e = &s->neu.v[i];
        if (e->layer == s->seq && !e->seen)
            continue; /* planned, but vanished before it was packed */
        struct incr_ent *n =
            incr_index_add(&x, incr_ent_path(&s->neu, e),
                           e->type == 'h' ? incr_ent_link(&s->neu, e) : NULL);
        size_t po = n->path_off, lo = n->link_off;
        *n = *e;
        n->path_off = po;
        n->link_off = lo;
        n->seen = false;
    }
    struct sbuf text = SBUF_INIT;
    incr_index_write(&x, &text);
    arc_blob_compress(text.buf, text.len, out);
    sbuf_release(&text);
    incr_index_release(&x);
}

static bool
named(const struct incr_state *st, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++) {
        if (strcmp(st[k].index.name, name) == 0)
            return true;
        for (size_t i = 0; i < st[k].n; i++)
            if (strcmp(st[k].layers[i].name, name) == 0)
                return true;
    }
    return false;
}

static void
drop(struct saver *s, const char *name, int *removed)
{
    char *url = incr_url(s->set, name);
    struct fy_err e = FY_ERR_INIT;
    bool missing = false;
    struct out q = *s->out;
    q.mode = OUT_NONE;
    if (remote_remove(url, s->o, &q, &missing, NULL, &e) == FY_OK) {
        (*removed)++;
        out_verbose(s->out, "removed %s%s", s->set, name);
    } else if (!missing) {
        out_warn(s->out, "cannot remove %s", e.msg);
    }
    free(url);
}

/*
 * Retention, once the new state (cur) is complete: the keep newest states
 * stay with every object they name; older states go first, then the
 * layers and indexes no kept state names (older than cur only: a save
 * running beside this one is left alone).
 */
static void
retain(struct saver *s, const struct incr_state *cur, int keep, int *removed)
{
    struct incr_state *kept = xcalloc((size_t)keep, sizeof *kept);
    size_t nk = 1;
    bool sure = true;
    int64_t below = cur->seq;
    kept[0] = *cur; /* borrowed: not released below */
    while ((int)nk < keep) {
        int64_t top;
        const char *name = state_below(s, below, &top);
        if (name == NULL)
            break;
        below = top;
        struct fy_err e = FY_ERR_INIT;
        if (incr_state_get(s->set, name, s->o, s->out, &kept[nk], &e) != FY_OK)
            sure = false; /* what it names is not known: keep everything */
        else
            nk++;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->ls.n; i++) {
            const struct incr_obj *ob = &s->ls.v[i];
            char k = s->ls.kind[i];
            if (pass == 0 && k == 's' && ob->seq < below)
                drop(s, ob->name, removed);
            if (pass == 1 && sure && k != 's' && ob->seq < cur->seq &&
                !named(kept, nk, ob->name))
                drop(s, ob->name, removed);
        }
    for (size_t k = 1; k < nk; k++)
        incr_state_release(&kept[k]);
    free(kept);
}

enum fy_rc
incr_save(const char *dir,
          const char *set,
          const struct arc_pack_opts *po,
          const struct incr_opts *io,
          const struct remote_opts *o,
          struct out *out,
          struct incr_result *res,
          struct fy_err *err)
{
    struct saver s;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    save_say_start(out, dir, set, false); /* the packer's is dropped */
    s.dir = dir;
    s.set = set;
    s.o = o;
    s.out = out;
    s.err = err;
    struct incr_state cur;
    memset(&cur, 0, sizeof cur);
    struct sbuf z = SBUF_INIT;
    char *json = NULL, rnd[9], *name = NULL, *url = NULL;
    enum fy_rc rc = incr_listing_get(set, o, out, &s.ls, err);
    if (rc == FY_OK)
        rc = load_prev(&s, io);
    if (rc != FY_OK)
        goto done;
    /* 1. the layer */
    struct incr_obj lo;
    memset(&lo, 0, sizeof lo);
    incr_random_hex(rnd, 8);
    lo.name = xasprintf("layer-%08" PRId64 "-%s.tar.zst", s.seq, rnd);
    lo.seq = s.seq;
    lo.full = s.full;
    url = incr_url(set, lo.name);
    rc = write_layer(&s, po, url, res, &lo);
    free(url);
    url = NULL;
    if (rc != FY_OK || (!s.full && s.kept == 0 && s.ndeleted == 0)) {
        free(lo.name);
        res->unchanged = rc == FY_OK;
        res->seq = s.prev.seq;
        res->layers = (int)s.prev.n;
        goto done;
    }
    res->full = s.full;
    res->entries = s.kept;
    res->deleted = s.ndeleted;
    /* 2. the index */
    index_text(&s, &z);
    cur.index.name = xasprintf("index-%08" PRId64 "-%s.zst", s.seq, rnd);
    cur.index.seq = s.seq;
    cur.index.size = (int64_t)z.len;
    incr_sha_hex(z.buf, z.len, cur.index.sha256);
    url = incr_url(set, cur.index.name);
    rc = incr_put(url, z.buf, z.len, o, out, err);
    free(url);
    url = NULL;
    if (rc != FY_OK) {
        free(lo.name);
        goto done;
    }
    res->uploaded += (int64_t)z.len;
    /* 3. the state, last */
    memcpy(cur.set, s.set_id, 33);
    cur.seq = s.seq;
    cur.time = (int64_t)time(NULL);
    size_t from = s.full ? s.prev.n : 0;
    cur.layers = xcalloc(s.prev.n + 1, sizeof *cur.layers);
    for (size_t i = from; i < s.prev.n; i++) {
        cur.layers[cur.n] = s.prev.layers[i];
        cur.layers[cur.n++].name = xstrdup(s.prev.layers[i].name);
    }
    cur.layers[cur.n++] = lo;
    for (size_t i = 0; i < s.neu.n; i++)
        if (s.neu.v[i].type == 'f') {
            cur.files++;
            cur.bytes += s.neu.v[i].size;
        }
    json = incr_state_json(&cur);
    name = xasprintf("state-%08" PRId64 ".json", s.seq);
    url = incr_url(set, name);
    rc = incr_put(url, json, strlen(json), o, out, err);
    if (rc != FY_OK)
        goto done;
    res->uploaded += (int64_t)strlen(json);
    res->seq = s.seq;
    res->layers = (int)cur.n;
    /* 4. retention */
    int keep = io->keep > 0 ? io->keep : INCR_KEEP_DEFAULT;
    retain(&s, &cur, keep, &res->removed);
done:
    free(json);
    free(name);
    free(url);
    sbuf_release(&z);
    incr_state_release(&cur);
    incr_state_release(&s.prev);
    incr_index_release(&s.old);
    incr_index_release(&s.neu);
    incr_listing_release(&s.ls);
    free(s.ent_of);
    free(s.scan_of);
    sbuf_release(&s.deleted);
    sbuf_release(&s.layer_json);
    return rc;
}

bool
incr_is_set(const char *url)
{
    size_t n = strlen(url);
    return n > 0 && url[n - 1] == '/';
}
