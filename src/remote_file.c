/*
 * remote_file.c - file:// storage: the local file system, written the way
 * pack writes (PATH.part, fsync, rename, fsync of the directory) and read
 * in place.  Missing parent directories of an upload are created, as a
 * bucket would.
 *
 * --max-up / --max-down hold here too: the copy sleeps off what it moved
 * beyond the rate (rrate_throttle), a chunk at a time.
 *
 * What it keeps true: PATH only ever holds a complete file; a missing
 * source is "no such object", as for the other schemes.
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
#include "ferry/remote_rate.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#define COPY_BUF (1u << 20)

/* How much to move at once: a chunk of the rate limit, or COPY_BUF. */
static size_t
step(const struct rrate *r, size_t cap)
{
    size_t n = rrate_on(r) && r->chunk < COPY_BUF ? r->chunk : COPY_BUF;
    return n < cap ? n : cap;
}

static enum fy_rc
open_source(const char *path, int *fd, int64_t *size, struct fy_err *err)
{
    struct stat st;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 && errno == ENOENT)
        return fy_fail(err, FY_ERUNTIME, "%s: no such object", path);
    if (*fd < 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return fy_fail(err, FY_EINPUT, "%s: not a regular file", path);
    }
    *size = (int64_t)st.st_size;
    (void)posix_fadvise(*fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return FY_OK;
}

static enum fy_rc
make_parent(const char *path, struct fy_err *err)
{
    char *dir = fs_dirname(path);
    enum fy_rc rc = fs_mkdir_p(dir, 0755, err);
    free(dir);
    return rc;
}

/* Copy src to dst (atomically), at most rate bytes/s (0: no limit). */
static enum fy_rc
file_push(const char *src,
          const char *dst,
          const struct remote_opts *o,
          int64_t rate,
          struct out *out,
          struct remote_stats *st,
          struct fy_err *err)
{
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct rrate limit;
    rrate_init(&limit, rate, out_now());
    int fd = -1;
    int64_t size = 0, done = 0;
    char *buf = NULL;
    enum fy_rc rc = open_source(src, &fd, &size, err);
    if (rc != FY_OK)
        goto out;
    if ((rc = make_parent(dst, err)) != FY_OK ||
        (rc = fs_atomic_open(&af, dst, 0644, err)) != FY_OK)
        goto out;
    if (!af.direct && (rc = remote_check_space(af.fd, fs_atomic_name(&af), size,
                                               err)) != FY_OK)
        goto out;
    buf = xmalloc(COPY_BUF);
    for (;;) {
        if (fy_interrupted()) {
            rc = fy_fail(err, FY_EINTR, "%s: interrupted", dst);
            goto out;
        }
        ssize_t n = read(fd, buf, step(&limit, COPY_BUF));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s", src);
            goto out;
        }
        if (n == 0)
            break;
        if ((rc = fs_write_all(af.fd, buf, (size_t)n, fs_atomic_name(&af),
                               err)) != FY_OK)
            goto out;
        done += n;
        rfile_progress(o, out, done, size, false);
        if ((rc = rrate_throttle(&limit, (size_t)n, dst, err)) != FY_OK)
            goto out;
    }
    rc = fs_atomic_commit(&af, err);
    if (rc == FY_OK) {
        rfile_progress(o, out, done, size, true);
        st->bytes += done;
        st->parts++;
    }
out:
    fs_atomic_abort(&af);
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

/*
 * The file streams of save/restore: stream.c's, plus progress in the
 * "save"/"restore" phase, the stats, and "no such object".
 */
struct fstream {
    struct fy_ostream os; /* stream_out_open()'s, or */
    struct fy_istream is; /* stream_in_fd()'s */
    char *path;           /* the final path, for messages */
    const struct remote_opts *o;
    struct out *out;
    struct remote_stats *st;
    int64_t done, total;
    double t0;
    struct rrate limit; /* --max-up (upload) or --max-down (download) */
};

static struct fstream *
fstream_new(const char *path,
            const struct remote_opts *o,
            struct out *out,
            struct remote_stats *st)
{
    struct fstream *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    f->o = o;
    f->out = out;
    f->st = st;
    return f;
}

static void
fstream_free(struct fstream *f)
{
    free(f->path);
    free(f);
}

static enum fy_rc
fstream_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    struct fstream *f = ctx;
    const char *p = buf;
    enum fy_rc rc = FY_OK;
    while (rc == FY_OK && n > 0) {
        if (fy_interrupted())
            return fy_fail(err, FY_EINTR, "%s: interrupted", f->path);
        size_t k = step(&f->limit, n);
        if ((rc = f->os.write(f->os.ctx, p, k, err)) != FY_OK)
            break;
        f->done += (int64_t)k;
        rfile_progress(f->o, f->out, f->done, -1, false);
        rc = rrate_throttle(&f->limit, k, f->path, err);
        p += k;
        n -= k;
    }
    return rc;
}

static enum fy_rc
fstream_close(void *ctx, bool commit, struct fy_err *err)
{
    struct fstream *f = ctx;
    enum fy_rc rc = f->os.close(f->os.ctx, commit, err);
    if (rc == FY_OK && commit) {
        rfile_progress(f->o, f->out, f->done, f->done, true);
        if (f->st != NULL) {
            f->st->bytes += f->done;
            f->st->parts++;
        }
    }
    if (f->st != NULL)
        f->st->seconds = out_now() - f->t0;
    fstream_free(f);
    return rc;
}

static enum fy_rc
file_upload_open(struct fy_ostream *os,
                 const char *path,
                 const struct remote_opts *o,
                 struct out *out,
                 struct remote_stats *st,
                 struct fy_err *err)
{
    struct fstream *f = fstream_new(path, o, out, st);
    enum fy_rc rc = make_parent(path, err);
    if (rc == FY_OK)
        rc = stream_out_open(&f->os, f->path, err);
    if (rc != FY_OK) {
        fstream_free(f);
        return rc;
    }
    f->t0 = out_now();
    rrate_init(&f->limit, o->max_up, f->t0);
    memset(os, 0, sizeof *os);
    os->write = fstream_write;
    os->close = fstream_close;
    os->ctx = f;
    os->name = f->path;
    os->fd = f->os.fd;
    os->is_file = f->os.is_file;
    return FY_OK;
}

static enum fy_rc
fstream_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct fstream *f = ctx;
    enum fy_rc rc = f->is.read(f->is.ctx, buf, step(&f->limit, cap), got, err);
    if (rc != FY_OK)
        return rc;
    f->done += (int64_t)*got;
    rfile_progress(f->o, f->out, f->done, f->total, *got == 0);
    return rrate_throttle(&f->limit, *got, f->path, err);
}

static void
fstream_in_close(void *ctx)
{
    struct fstream *f = ctx;
    f->is.close(f->is.ctx);
    if (f->st != NULL) {
        f->st->bytes += f->done;
        f->st->parts++;
        f->st->seconds = out_now() - f->t0;
    }
    fstream_free(f);
}

static enum fy_rc
file_download_open(struct fy_istream *is,
                   const char *path,
                   const struct remote_opts *o,
                   struct out *out,
                   struct remote_stats *st,
                   struct fy_err *err)
{
    struct fstream *f = fstream_new(path, o, out, st);
    int fd;
    enum fy_rc rc = open_source(path, &fd, &f->total, err);
    if (rc == FY_OK)
        rc = stream_in_fd(&f->is, fd, f->path, err);
    if (rc != FY_OK) {
        fstream_free(f);
        return rc;
    }
    f->t0 = out_now();
    rrate_init(&f->limit, o->max_down, f->t0);
    memset(is, 0, sizeof *is);
    is->read = fstream_read;
    is->close = fstream_in_close;
    is->ctx = f;
    is->name = f->path;
    is->fd = f->is.fd;
    is->size = f->total;
    return FY_OK;
}

/* ------------------------------------------------------------- hooks */

static enum fy_rc
push_hook(struct rtarget *t,
          const char *path,
          struct out *out,
          struct remote_stats *st,
          struct fy_err *err)
{
    return file_push(path, t->u.path, t->o, t->o->max_up, out, st, err);
}

static enum fy_rc
pull_hook(struct rtarget *t,
          const char *path,
          struct out *out,
          struct remote_stats *st,
          struct fy_err *err)
{
    return rfile_pull(t, path, out, st, err); /* resumable */
}

static enum fy_rc
upload_hook(struct fy_ostream *os,
            struct rtarget *t,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    return file_upload_open(os, t->u.path, t->o, out, st, err);
}

static enum fy_rc
download_hook(struct fy_istream *is,
              struct rtarget *t,
              struct out *out,
              struct remote_stats *st,
              struct fy_err *err)
{
    return file_download_open(is, t->u.path, t->o, out, st, err);
}

const struct remote_backend remote_file_backend = {
    .open = NULL,
    .push_file = push_hook,
    .pull_file = pull_hook,
    .upload_open = upload_hook,
    .download_open = download_hook,
};
