/*
 * remote_ops.c - the transfers every libcurl backend (S3, HTTP, SFTP)
 * shares, as the hooks of their struct remote_backend: the PUT of a whole
 * file, a pull into a file by parallel ranged GETs, an upload stream
 * through a pipe (HTTP, SFTP) and a download stream through a window of
 * ranged GETs; and struct rtarget's life (release, move).
 *
 * What it keeps true: nothing is renamed into its final name before every
 * byte arrived (local files through fs_atomic_*, remote ones by the
 * target's commit); memory for a stream is bounded by the chunks in
 * flight; every failure that reaches the user names the URL and says why
 * in one line.  It calls down only: the engine (remote_xfer.c), the policy
 * (remote_policy.c), fs, out, stream.
 */
#include "remote_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#define MIB (1024 * 1024)

/* ------------------------------------------------------------ targets */

void
rtarget_release(struct rtarget *t)
{
    if (t->be_free != NULL && t->be != NULL)
        t->be_free(t->be);
    t->be = NULL;
    remote_url_release(&t->u);
}

void
rtarget_move(struct rtarget *dst, struct rtarget *src)
{
    *dst = *src;
    memset(src, 0, sizeof *src);
    src->u = (struct remote_url)REMOTE_URL_INIT;
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
            struct rprobe *p,
            struct fy_err *err)
{
    int64_t *total = &p->total;
    bool *ranges = &p->ranges;
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
    free(p->etag);
    free(p->modified);
    p->etag = j.etag;
    p->modified = j.lastmod;
    j.etag = j.lastmod = NULL;
    rjob_release(&j);
    return rc;
}

void
rprobe_release(struct rprobe *p)
{
    free(p->etag);
    free(p->modified);
    *p = (struct rprobe)RPROBE_INIT;
}

enum fy_rc
rops_probe(struct rtarget *t,
           struct out *out,
           struct remote_stats *st,
           struct rprobe *p,
           struct fy_err *err)
{
    struct rjob j;
    struct fy_err local = FY_ERR_INIT;
    int64_t *total = &p->total;
    bool *ranges = &p->ranges;
    rprobe_release(p);
    rjob_init(&j, t, RM_HEAD);
    j.what = xstrdup(t->u.show);
    enum fy_rc rc = remote_run_one(t, &j, out, -1, st, &local);
    long status = j.status;
    *total = j.total;
    *ranges = true;
    p->etag = j.etag;
    p->modified = t->http          ? j.lastmod
                  : j.filetime > 0 ? xasprintf("%lld", (long long)j.filetime)
                                   : NULL;
    if (t->http)
        j.lastmod = NULL;
    j.etag = NULL;
    rjob_release(&j);
    /* a HEAD has no body to say which region a bucket is in: the GET's
     * error answer may (t->reroute) */
    if (rc == FY_ERUNTIME && t->http &&
        (status == 403 || status == 405 || status == 501 ||
         (t->reroute != NULL && (status == 301 || status == 400)))) {
        out_verbose(out,
                    "%s: HEAD refused (HTTP %ld): asking for its first byte "
                    "instead",
                    t->u.show, status);
        rc = probe_range(t, out, st, p, err);
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

/* --------------------------------------------------------------- push */

enum fy_rc
rops_push_open(const char *path, int *fdp, int64_t *size, struct fy_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    *fdp = -1;
    if (fd < 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fy_fail(err, FY_EINPUT, "%s: not a regular file", path);
    }
    if ((int64_t)sb.st_size > REMOTE_MAX_OBJECT) {
        close(fd);
        return fy_fail(err, FY_ERUNTIME,
                       "%s: larger than 5 TiB, the largest object S3 and "
                       "ferry accept",
                       path);
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    *fdp = fd;
    *size = (int64_t)sb.st_size;
    return FY_OK;
}

enum fy_rc
rops_put_fd(struct rtarget *t,
            int fd,
            int64_t size,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct rjob j;
    rjob_init(&j, t, RM_PUT);
    j.what = xstrdup(t->u.show);
    j.fd = fd;
    j.len = size;
    j.payload = true;
    enum fy_rc rc = remote_run_one(t, &j, out, j.len, st, err);
    rjob_release(&j);
    if (rc == FY_OK && t->commit != NULL)
        rc = t->commit(t, out, st, err);
    if (rc != FY_OK && t->discard != NULL)
        t->discard(t);
    return rc;
}

enum fy_rc
rops_push_file(struct rtarget *t,
               const char *path,
               struct out *out,
               struct remote_stats *st,
               struct fy_err *err)
{
    int fd;
    int64_t size;
    enum fy_rc rc = rops_push_open(path, &fd, &size, err);
    if (rc != FY_OK)
        return rc;
    rc = rops_put_fd(t, fd, size, out, st, err);
    close(fd);
    return rc;
}

/* --------------------------------------------------------------- pull */

enum fy_rc
rops_write_stream(struct fy_istream *is, const char *path, struct fy_err *err)
{
    struct fs_atomic af = FS_ATOMIC_INIT;
    bool to_stdout = strcmp(path, "-") == 0;
    int fd = STDOUT_FILENO;
    const char *name = "stdout";
    enum fy_rc rc = FY_OK;
    char *buf = xmalloc(1 << 20);
    if (!to_stdout) {
        if ((rc = fs_atomic_open(&af, path, 0644, err)) != FY_OK)
            goto out;
        fd = af.fd;
        name = fs_atomic_name(&af);
        if (!af.direct &&
            (rc = remote_check_space(fd, name, is->size, err)) != FY_OK)
            goto out;
    }
    for (;;) {
        size_t got = 0;
        if ((rc = is->read(is->ctx, buf, 1 << 20, &got, err)) != FY_OK ||
            got == 0)
            break;
        if ((rc = fs_write_all(fd, buf, got, name, err)) != FY_OK)
            break;
    }
    if (rc == FY_OK && !to_stdout)
        rc = fs_atomic_commit(&af, err);
out:
    free(buf);
    is->close(is->ctx);
    fs_atomic_abort(&af);
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
rops_upload_open(struct fy_ostream *os,
                 struct rtarget *t,
                 struct out *out,
                 struct remote_stats *st,
                 struct fy_err *err)
{
    struct up_pipe *u = xcalloc(1, sizeof *u);
    (void)err;
    rtarget_move(&u->t, t);
    memset(os, 0, sizeof *os);
    u->out = out;
    u->st = st;
    u->t0 = out_now();
    reng_init(&u->e, u->t.o, out, -1);
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
rops_download_open(struct fy_istream *is,
                   struct rtarget *t,
                   struct out *out,
                   struct remote_stats *st,
                   struct fy_err *err)
{
    struct down *d = xcalloc(1, sizeof *d);
    const struct remote_opts *o = t->o;
    struct remote_stats probed = {0};
    struct rprobe pr = RPROBE_INIT;
    rtarget_move(&d->t, t);
    enum fy_rc rc = rops_probe(&d->t, out, &probed, &pr, err);
    bool ranges = pr.ranges;
    d->total = pr.total;
    rprobe_release(&pr);
    if (st != NULL)
        remote_stats_add(st, &probed);
    if (rc != FY_OK) {
        rtarget_release(&d->t);
        free(d);
        return rc;
    }
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
