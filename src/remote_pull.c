/*
 * remote_pull.c - pull into a file, the pull_file hook of the libcurl
 * backends (S3, HTTP, SFTP): a probe for the size and the validators, then
 * parallel ranged GETs of the bytes FILE.part does not hold yet, written at
 * their offsets, and checkpoints that let the next run go on where this
 * one stopped (resume.h keeps FILE.part and its sidecar).
 *
 * What it keeps true: FILE is renamed into place only once every byte is
 * there; no byte of an answer that names another object (its ETag or
 * Last-Modified differ from the probe's) is stored, and over HTTP every
 * GET carries If-Match (or If-Unmodified-Since), so an object replaced
 * meanwhile answers 412; either way the download starts over from byte 0
 * (at most MAX_RESTARTS times in one run) and FILE is the new object.
 * Only what was verified on arrival is ever recorded as done.  The bytes
 * not yet recorded are bounded (max_lag): a kill -9 costs at most about
 * half a chunk, plus what was on the wire.  Without byte ranges, a size
 * or a validator, nothing is kept for a later run (-v says why).
 */
#include "remote_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/resume.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#define MIB          (1024 * 1024)
#define MAX_RESTARTS 2

struct pull;

/* A ranged GET of one chunk; j first, so a struct rjob * is one of these. */
struct pjob {
    struct rjob j;
    struct pull *p;
};

struct pull {
    struct rtarget *t;
    struct out *out;
    struct resume *rs;
    struct resume_meta want; /* the object as probed */
    bool resumable;          /* keep a sidecar */
    char *cond;              /* "If-Match: ..." (HTTP) or NULL */
    struct pjob *jobs;
    size_t n;
    int64_t chunk;
    /* engine thread: what is on disk and verified */
    struct resume_ranges written;
    int64_t step, max_lag, mark; /* checkpoint every step bytes */
    bool dirty;
    bool changed; /* an answer named another object */
};

/* ------------------------------------------------------------ the jobs */

static enum fy_rc
pull_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct pull *p = ((struct pjob *)j)->p;
    enum fy_rc rc = p->t->setup != NULL ? p->t->setup(j, h, err) : FY_OK;
    if (rc == FY_OK && p->cond != NULL)
        j->hdrs = curl_slist_append(j->hdrs, p->cond);
    return rc;
}

/* An answer is from the probed object unless its validators differ. */
static bool
pull_accept(struct rjob *j)
{
    struct pull *p = ((struct pjob *)j)->p;
    const char *why = NULL;
    if (!p->t->http)
        return true;
    if (p->want.etag != NULL && j->etag != NULL &&
        strcmp(j->etag, p->want.etag) != 0)
        why = "another ETag";
    else if (p->want.modified != NULL && j->lastmod != NULL &&
             strcmp(j->lastmod, p->want.modified) != 0)
        why = "another Last-Modified";
    if (why == NULL)
        return true;
    p->changed = true;
    fy_fail(&j->local, FY_ERUNTIME,
            "%s: the object changed during the download (%s)", j->what, why);
    return false;
}

/* p->written changes in the engine's thread under e->mu, so that a
 * reader in another thread (the cached download) may look at it. */
static enum fy_rc
pull_done(struct rjob *j, struct fy_err *err)
{
    struct pull *p = ((struct pjob *)j)->p;
    (void)err;
    pthread_mutex_lock(&j->eng->mu);
    if (j->len >= 0)
        resume_ranges_add(&p->written, j->off, j->off + j->len);
    pthread_mutex_unlock(&j->eng->mu);
    p->dirty = true;
    return FY_OK;
}

/* Add what running (or stopped) jobs wrote so far to p->written. */
static void
add_prefixes(struct pull *p, struct reng *e, struct rjob *const *act, size_t n)
{
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < n; i++)
        if (act[i]->ranged && act[i]->got > 0)
            resume_ranges_add(&p->written, act[i]->off,
                              act[i]->off + act[i]->got);
    pthread_mutex_unlock(&e->mu);
}

/* The engine's turn: a checkpoint once enough new bytes landed. */
static void
pull_tick(struct reng *e, void *arg)
{
    struct pull *p = arg;
    struct fy_err ferr = FY_ERR_INIT;
    if (!p->resumable)
        return;
    if (resume_failed(p->rs, &ferr) != FY_OK) {
        reng_cancel(e, ferr.rc, ferr.msg);
        return;
    }
    if (!p->dirty && e->bytes - p->mark < p->step)
        return;
    add_prefixes(p, e, e->act, e->nact);
    resume_checkpoint(p->rs, &p->written, p->max_lag);
    p->mark = e->bytes;
    p->dirty = false;
}

static void
free_jobs(struct pull *p)
{
    for (size_t i = 0; i < p->n; i++)
        rjob_release(&p->jobs[i].j);
    free(p->jobs);
    p->jobs = NULL;
    p->n = 0;
}

/*
 * One job per chunk-aligned piece of each gap of what is on disk; without
 * byte ranges or a size, one plain GET of everything.
 */
static void
make_jobs(struct pull *p, int fd, bool ranges)
{
    int64_t total = p->want.size, from, to, pos = 0;
    size_t cap = 16;
    p->jobs = xcalloc(cap, sizeof *p->jobs);
    if (!ranges || total < 0) {
        p->n = 1;
        rjob_init(&p->jobs[0].j, p->t, RM_GET);
        p->jobs[0].j.len = total; /* -1: to the end */
        p->jobs[0].j.off = 0;
    } else {
        while (resume_ranges_gap(&p->written, total, pos, &from, &to)) {
            for (int64_t a = from; a < to;) {
                int64_t b = (a / p->chunk + 1) * p->chunk;
                if (b > to)
                    b = to;
                if (p->n == cap) {
                    cap *= 2;
                    p->jobs = xrealloc(p->jobs, cap * sizeof *p->jobs);
                }
                struct rjob *j = &p->jobs[p->n++].j;
                rjob_init(j, p->t, RM_GET);
                j->off = a;
                j->len = b - a;
                j->ranged = true;
                a = b;
            }
            pos = to;
        }
    }
    for (size_t i = 0; i < p->n; i++) {
        struct rjob *j = &p->jobs[i].j;
        p->jobs[i].p = p;
        j->what = xstrdup(p->t->u.show);
        j->dst_fd = fd;
        j->payload = true;
        j->num = (int64_t)i;
        j->setup = pull_setup;
        j->accept = pull_accept;
        j->done = pull_done;
    }
}

/* ------------------------------------------------------------- a round */

static void
pull_init(struct pull *p, struct rtarget *t, struct out *out)
{
    memset(p, 0, sizeof *p);
    p->t = t;
    p->out = out;
    p->want = (struct resume_meta)RESUME_META_INIT;
    p->chunk = remote_chunk_size(t->o);
    p->step = p->chunk / 8 > MIB ? p->chunk / 8 : MIB;
    p->max_lag = p->chunk / 2 > 4 * MIB ? p->chunk / 2 : 4 * MIB;
}

static void
pull_release(struct pull *p)
{
    free_jobs(p);
    resume_meta_release(&p->want);
    resume_ranges_release(&p->written);
    free(p->cond);
    p->cond = NULL;
}

/*
 * The object as probed, what identifies it in a sidecar, and whether a
 * later run can resume it (else -v says why).
 */
static void
choose(struct pull *p, const struct rprobe *pr)
{
    const struct remote_opts *o = p->t->o;
    const char *why = NULL;
    resume_meta_release(&p->want);
    free(p->cond);
    p->cond = NULL;
    p->want.url = resume_url_id(p->t->u.show);
    p->want.size = pr->total;
    /* a weak ETag (W/"...") never matches If-Match: not a validator */
    if (resume_token_ok(pr->etag) && strncmp(pr->etag, "W/", 2) != 0)
        p->want.etag = xstrdup(pr->etag);
    if (resume_token_ok(pr->modified))
        p->want.modified = xstrdup(pr->modified);
    if (p->t->http && p->want.etag != NULL)
        p->cond = xasprintf("If-Match: %s", p->want.etag);
    else if (p->t->http && p->want.modified != NULL)
        p->cond = xasprintf("If-Unmodified-Since: %s", p->want.modified);
    if (o->no_resume)
        why = NULL;
    else if (!pr->ranges)
        why = "the server ignores byte ranges";
    else if (pr->total < 0)
        why = "the server does not say its size";
    else if (p->want.etag == NULL && p->want.modified == NULL)
        why = p->t->http ? "the server sends no ETag or Last-Modified"
                         : "the server does not say when it changed";
    p->resumable = !o->no_resume && why == NULL;
    if (why != NULL)
        out_verbose(p->out, "%s: %s: an interrupted %s will start over",
                    p->t->u.show, why, o->phase ? o->phase : "download");
}

/* p->written from what is on disk, and the jobs for the rest, queued. */
static void
start_round(struct pull *p, struct reng *e, bool ranges)
{
    resume_ranges_copy(&p->written, resume_have(p->rs));
    p->dirty = false;
    p->mark = 0;
    make_jobs(p, resume_fd(p->rs), ranges);
    e->base = resume_ranges_bytes(&p->written);
    e->tick = pull_tick;
    e->tick_arg = p;
    for (size_t i = 0; i < p->n; i++)
        reng_submit(e, &p->jobs[i].j);
    reng_close(e);
}

/* After the engine stopped: did an answer say the object changed? */
static void
note_changed(struct pull *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->jobs[i].j.status == 412)
            p->changed = true;
}

/*
 * The download stops short: keep what the jobs wrote (all of it verified
 * on arrival) for a later run, unless the object kept changing.
 */
static void
keep_or_drop(struct pull *p)
{
    if (p->rs == NULL)
        return;
    const struct resume_ranges *have = resume_have(p->rs);
    for (size_t i = 0; i < have->n; i++)
        resume_ranges_add(&p->written, have->v[i].from, have->v[i].to);
    for (size_t i = 0; i < p->n; i++)
        if (p->jobs[i].j.ranged && p->jobs[i].j.got > 0)
            resume_ranges_add(&p->written, p->jobs[i].j.off,
                              p->jobs[i].j.off + p->jobs[i].j.got);
    if (p->changed)
        resume_discard(p->rs);
    else
        resume_keep(p->rs, &p->written);
    p->rs = NULL;
}

/* Download what FILE.part lacks; FY_OK once all of it is there. */
static enum fy_rc
run_round(struct pull *p,
          bool ranges,
          struct remote_stats *st,
          struct fy_err *err)
{
    struct reng e;
    reng_init(&e, p->t->o, p->out, p->want.size);
    start_round(p, &e, ranges);
    enum fy_rc rc = reng_run(&e, err);
    remote_stats_add(st, &e.st);
    reng_release(&e);
    note_changed(p);
    if (rc == FY_OK && p->want.size >= 0 &&
        !resume_ranges_covers(&p->written, 0, p->want.size))
        rc = fy_fail(err, FY_ERUNTIME, "%s: got %lld of %lld bytes",
                     p->t->u.show, (long long)resume_ranges_bytes(&p->written),
                     (long long)p->want.size);
    return rc;
}

/* Say how much an earlier run left. */
static void
say_resuming(struct pull *p, const char *part)
{
    int64_t have = resume_ranges_bytes(resume_have(p->rs));
    if (have <= 0)
        return;
    char h[24], s[24];
    out_fmt_size(h, sizeof h, have);
    out_fmt_size(s, sizeof s, p->want.size);
    out_verbose(p->out, "%s: resuming: %s of %s already in %s.part",
                p->t->u.show, h, s, part);
}

/* A device, FIFO or stdout-like node: no offsets there, in byte order. */
static enum fy_rc
pull_stream(struct rtarget *t,
            const char *path,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct fy_istream is;
    enum fy_rc rc = rops_download_open(&is, t, out, st, err);
    if (rc == FY_OK)
        rc = rops_write_stream(&is, path, err);
    return rc;
}

enum fy_rc
rops_pull_file(struct rtarget *t,
               const char *path,
               struct out *out,
               struct remote_stats *st,
               struct fy_err *err)
{
    struct pull p;
    struct rprobe pr = RPROBE_INIT;
    struct fy_err local = FY_ERR_INIT;
    enum fy_rc rc = FY_OK;
    pull_init(&p, t, out);
    for (int round = 0;; round++) {
        fy_err_clear(&local);
        p.changed = false;
        if ((rc = rops_probe(t, out, st, &pr, &local)) != FY_OK)
            break;
        if (round == 0 && fs_is_special(path)) {
            /* it became a device or FIFO since remote_pull looked */
            rprobe_release(&pr);
            pull_release(&p);
            return pull_stream(t, path, out, st, err);
        }
        choose(&p, &pr);
        if (round == 0)
            rc = resume_open(&p.rs, path, &p.want, p.resumable, out, &local);
        else
            rc = resume_restart(p.rs, &p.want, p.resumable, &local);
        if (rc != FY_OK)
            break;
        int64_t have = resume_ranges_bytes(resume_have(p.rs));
        if (round == 0) {
            st->resumed = have;
            say_resuming(&p, path);
        }
        if ((rc = remote_check_space(resume_fd(p.rs), path,
                                     p.want.size < 0 ? -1 : p.want.size - have,
                                     &local)) != FY_OK)
            break;
        rc = run_round(&p, pr.ranges, st, &local);
        if (rc == FY_OK || !p.changed || round == MAX_RESTARTS ||
            fy_interrupted())
            break;
        out_verbose(out, "%s: %s: starting over", t->u.show, local.msg);
        free_jobs(&p);
        st->resumed = 0;
    }
    if (rc == FY_OK) {
        rc = resume_commit(p.rs, &local);
        p.rs = NULL;
    }
    keep_or_drop(&p);
    if (rc != FY_OK)
        fy_fail(err, rc, "%s", local.msg);
    rprobe_release(&pr);
    pull_release(&p);
    return rc;
}

/* ------------------------------------- restore's download, kept on disk */

/*
 * The download stream of a resumable restore: the same ranged GETs as a
 * pull, into CACHE.part at their offsets (the engine in a thread of its
 * own), read back in order as the ranges complete.  Memory stays small
 * whatever runs ahead; CACHE.part holds what a rerun need not fetch.
 */
struct cdown {
    struct rtarget t;
    struct pull p;
    struct reng e;
    bool started;
    struct remote_stats *st;
    double t0;
    int64_t pos;
};

static enum fy_rc
cdown_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct cdown *d = ctx;
    int64_t end;
    *got = 0;
    if (d->pos >= d->p.want.size)
        return FY_OK;
    pthread_mutex_lock(&d->e.mu);
    while ((end = resume_ranges_end(&d->p.written, d->pos)) <= d->pos &&
           d->e.rc == FY_OK && !d->e.exited)
        pthread_cond_wait(&d->e.cv, &d->e.mu);
    enum fy_rc rc = d->e.rc;
    pthread_mutex_unlock(&d->e.mu);
    if (end <= d->pos && rc != FY_OK)
        return fy_fail(err, rc, "%s", d->e.err.msg);
    if (end <= d->pos)
        return fy_fail(err, FY_ERUNTIME, "%s: download ended early",
                       d->t.u.show);
    size_t n = end - d->pos < (int64_t)cap ? (size_t)(end - d->pos) : cap;
    ssize_t r;
    do
        r = pread(resume_fd(d->p.rs), buf, n, (off_t)d->pos);
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
        if (r == 0)
            errno = EIO;
        return fy_fail_errno(err, FY_ERUNTIME, "%s: read", d->t.u.show);
    }
    d->pos += r;
    *got = (size_t)r;
    return FY_OK;
}

static void
cdown_close(void *ctx)
{
    struct cdown *d = ctx;
    if (d->started) {
        if (d->pos < d->p.want.size)
            reng_cancel(&d->e, FY_EINTR, "download cancelled");
        reng_join(&d->e, NULL);
        note_changed(&d->p);
    }
    if (d->st != NULL) {
        remote_stats_add(d->st, &d->e.st);
        d->st->seconds = out_now() - d->t0;
    }
    /* even when all was read: the caller removes it once DIR is restored
     * (remote_cache_remove) */
    keep_or_drop(&d->p);
    pull_release(&d->p);
    reng_release(&d->e);
    rtarget_release(&d->t);
    free(d);
}

enum fy_rc
rops_download_cached_open(struct fy_istream *is,
                          struct rtarget *t,
                          const char *cache,
                          struct out *out,
                          struct remote_stats *st,
                          struct fy_err *err)
{
    const struct remote_opts *o = t->o;
    struct cdown *d = xcalloc(1, sizeof *d);
    struct remote_stats probed = {0};
    struct rprobe pr = RPROBE_INIT;
    rtarget_move(&d->t, t);
    pull_init(&d->p, &d->t, out);
    enum fy_rc rc = rops_probe(&d->t, out, &probed, &pr, err);
    if (st != NULL)
        remote_stats_add(st, &probed);
    if (rc == FY_OK)
        choose(&d->p, &pr);
    if (rc == FY_OK && !d->p.resumable) {
        /* nothing to keep: the plain stream, and no stale cache */
        resume_remove(cache);
        rtarget_move(t, &d->t);
        rc = rops_download_open(is, t, out, st, err);
        goto out;
    }
    if (rc == FY_OK)
        rc = resume_open(&d->p.rs, cache, &d->p.want, true, out, err);
    if (rc != FY_OK)
        goto out;
    say_resuming(&d->p, cache);
    if (st != NULL)
        st->resumed = resume_ranges_bytes(resume_have(d->p.rs));
    if ((rc = remote_check_space(resume_fd(d->p.rs), cache,
                                 d->p.want.size -
                                     resume_ranges_bytes(resume_have(d->p.rs)),
                                 err)) != FY_OK)
        goto out;
    d->st = st;
    d->t0 = out_now();
    reng_init(&d->e, o, out, d->p.want.size);
    start_round(&d->p, &d->e, true);
    reng_start(&d->e);
    d->started = true;
    memset(is, 0, sizeof *is);
    is->read = cdown_read;
    is->close = cdown_close;
    is->ctx = d;
    is->name = d->t.u.show;
    is->fd = -1;
    is->size = d->p.want.size;
    d = NULL;
out:
    rprobe_release(&pr);
    if (d != NULL) {
        keep_or_drop(&d->p); /* what an earlier run left stays */
        pull_release(&d->p);
        rtarget_release(&d->t);
        free(d);
    }
    return rc;
}
