/*
 * resume.c - FILE.part and its sidecar FILE.part.ferry (resume.h): the
 * checkpoint thread that makes ranges durable before it names them, and
 * FILE.part and the sidecar opened safely in a directory others may write
 * into.  What a record holds and its JSON are resume_record.c's.
 *
 * What it keeps true: a range reaches the sidecar only after an
 * fdatasync() of FILE.part that began after the range was written; the
 * sidecar only ever changes by rename(); a sidecar is trusted only if it
 * parses exactly, names this URL, size and validators, and FILE.part has
 * that size; nothing is written through a symlink, into a special file,
 * a hard-linked file or another user's file; a start-over removes the
 * sidecar durably before FILE.part is emptied.
 */
#include "ferry/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/* ---------------------------------------------------------- the file */

static bool
same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

struct resume {
    char *path, *part, *side, *tmp, *dir;
    int fd;
    bool on; /* keep a sidecar */
    struct resume_meta meta;
    struct resume_ranges have;
    struct out *out;
    bool side_durable; /* the sidecar's name survives a crash */
    /* the checkpoint thread; under mu */
    pthread_t th;
    bool running, stop, has_pending;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct resume_ranges pending;
    int64_t durable; /* bytes the sidecar names */
    struct fy_err ferr;
};

int
resume_fd(const struct resume *r)
{
    return r->fd;
}

const struct resume_ranges *
resume_have(const struct resume *r)
{
    return &r->have;
}

const char *
resume_sidecar(const struct resume *r)
{
    return r->side;
}

/* Write done to the sidecar: FILE.part.ferry.tmp, fsync, rename. */
static enum fy_rc
write_sidecar(struct resume *r,
              const struct resume_ranges *done,
              struct fy_err *err)
{
    char *text = resume_format(&r->meta, done);
    enum fy_rc rc = FY_OK;
    int fd = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        fd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd >= 0 || errno != EEXIST || attempt > 0)
            break;
        unlink(r->tmp); /* left by a killed run (a link is not followed) */
    }
    if (fd < 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->tmp);
        goto out;
    }
    if (fs_pwrite_all(fd, text, strlen(text), 0) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->tmp);
    else if (fsync(fd) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", r->tmp);
    if (close(fd) != 0 && rc == FY_OK)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: close", r->tmp);
    if (rc == FY_OK && rename(r->tmp, r->side) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->side);
    if (rc != FY_OK)
        unlink(r->tmp);
    else if (!r->side_durable && (rc = fs_fsync_dir(r->dir, err)) == FY_OK)
        r->side_durable = true;
out:
    free(text);
    return rc;
}

/* A checkpoint: the data first, then the sidecar that names it. */
static enum fy_rc
record(struct resume *r, const struct resume_ranges *done, struct fy_err *err)
{
    if (fdatasync(r->fd) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s: fdatasync", r->part);
    return write_sidecar(r, done, err);
}

static void *
checkpointer(void *arg)
{
    struct resume *r = arg;
    struct resume_ranges mine = RESUME_RANGES_INIT;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->has_pending && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        struct resume_ranges t = mine;
        mine = r->pending;
        r->pending = t;
        r->pending.n = 0;
        r->has_pending = false;
        if (r->ferr.rc != FY_OK)
            continue;
        pthread_mutex_unlock(&r->mu);
        struct fy_err e = FY_ERR_INIT;
        enum fy_rc rc = record(r, &mine, &e);
        int64_t bytes = resume_ranges_bytes(&mine);
        pthread_mutex_lock(&r->mu);
        if (rc != FY_OK)
            r->ferr = e;
        else if (bytes > r->durable)
            r->durable = bytes;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    resume_ranges_release(&mine);
    return NULL;
}

static enum fy_rc
start_thread(struct resume *r, struct fy_err *err)
{
    if (!r->on || r->running)
        return FY_OK;
    r->stop = false;
    r->has_pending = false;
    r->ferr = (struct fy_err)FY_ERR_INIT;
    if (pthread_create(&r->th, NULL, checkpointer, r) != 0)
        return fy_fail(err, FY_ERUNTIME, "%s: cannot start a thread", r->path);
    r->running = true;
    return FY_OK;
}

/* Stop the checkpoint thread (a checkpoint not begun is dropped). */
static void
stop_thread(struct resume *r)
{
    if (!r->running)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    r->running = false;
}

void
resume_checkpoint(struct resume *r,
                  const struct resume_ranges *written,
                  int64_t max_lag)
{
    if (!r->on || !r->running)
        return;
    int64_t bytes = resume_ranges_bytes(written);
    pthread_mutex_lock(&r->mu);
    resume_ranges_copy(&r->pending, written);
    r->has_pending = true;
    pthread_cond_broadcast(&r->cv);
    while (max_lag > 0 && bytes - r->durable > max_lag && r->ferr.rc == FY_OK &&
           !fy_interrupted()) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    pthread_mutex_unlock(&r->mu);
}

enum fy_rc
resume_failed(struct resume *r, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    if (!r->running)
        return FY_OK;
    pthread_mutex_lock(&r->mu);
    if (r->ferr.rc != FY_OK)
        rc = fy_fail(err, r->ferr.rc, "%s", r->ferr.msg);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/*
 * Open r->part, a regular file of ours with one link, and lock it.  What
 * else is at that name is removed (never followed, never written) and a
 * new file is made.  *fresh: the file was made here.
 */
static enum fy_rc
open_part(struct resume *r, bool *fresh, struct fy_err *err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        struct stat ls, fs;
        if (lstat(r->part, &ls) == 0) {
            if (S_ISREG(ls.st_mode) && ls.st_nlink == 1 &&
                ls.st_uid == geteuid()) {
                int fd = open(r->part, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
                                           O_NOCTTY | O_CLOEXEC);
                if (fd < 0 && errno != ENOENT && errno != ELOOP)
                    return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
                if (fd >= 0 && fstat(fd, &fs) == 0 && S_ISREG(fs.st_mode) &&
                    fs.st_dev == ls.st_dev && fs.st_ino == ls.st_ino &&
                    fs.st_nlink == 1) {
                    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                        r->fd = fd;
                        *fresh = false;
                        return FY_OK;
                    }
                    enum fy_rc rc =
                        errno == EWOULDBLOCK
                            ? fy_fail(err, FY_ERUNTIME,
                                      "%s: another ferry is downloading into "
                                      "%s",
                                      r->path, r->part)
                            : fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
                    close(fd);
                    return rc;
                }
                if (fd >= 0)
                    close(fd);
                continue; /* it changed between lstat and open: again */
            }
            out_warn(r->out,
                     "%s: not a file ferry made (a symlink, special file, "
                     "hard link or another user's): removed, not used",
                     r->part);
            if (unlink(r->part) != 0 && errno != ENOENT)
                return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
        } else if (errno != ENOENT) {
            return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
        }
        int fd = open(r->part,
                      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
                close(fd);
                return fy_fail(err, FY_ERUNTIME,
                               "%s: another ferry is downloading into %s",
                               r->path, r->part);
            }
            r->fd = fd;
            *fresh = true;
            return FY_OK;
        }
        if (errno != EEXIST) /* name what the user gave, as fs_atomic does */
            return fy_fail_errno(err, FY_ERUNTIME, "%s", r->path);
    }
    return fy_fail(err, FY_ERUNTIME, "%s: keeps changing while ferry opens it",
                   r->part);
}

/*
 * The sidecar, if it is safe to read and names r->meta and FILE.part as
 * it is: its ranges go to r->have.  Otherwise say why (a warning if it is
 * damaged, -v if the object changed) and return false.
 */
static bool
load_sidecar(struct resume *r)
{
    struct stat ls, fs, ps;
    struct resume_meta got = RESUME_META_INIT;
    struct resume_ranges done = RESUME_RANGES_INIT;
    struct fy_err e = FY_ERR_INIT;
    struct sbuf sb = SBUF_INIT;
    bool ok = false;
    int fd = -1;
    if (lstat(r->side, &ls) != 0) {
        out_verbose(r->out, "%s: no %s: starting over", r->part, r->side);
        return false;
    }
    if (!S_ISREG(ls.st_mode) || ls.st_uid != geteuid() ||
        ls.st_size > RESUME_MAX_TEXT) {
        out_warn(r->out, "%s: not a resume record (%s): starting over", r->side,
                 !S_ISREG(ls.st_mode)     ? "not a regular file"
                 : ls.st_uid != geteuid() ? "another user's file"
                                          : "too large");
        return false;
    }
    fd = open(r->side,
              O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &fs) != 0 || fs.st_ino != ls.st_ino ||
        fs.st_dev != ls.st_dev || !S_ISREG(fs.st_mode)) {
        out_warn(r->out, "%s: cannot read it safely: starting over", r->side);
        goto out;
    }
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || sb.len + (size_t)n > RESUME_MAX_TEXT) {
            out_warn(r->out, "%s: cannot read it: starting over", r->side);
            goto out;
        }
        sbuf_add(&sb, buf, (size_t)n);
    }
    if (resume_parse(sb.buf ? sb.buf : "", sb.len, &got, &done, &e) != FY_OK) {
        out_warn(r->out, "%s: not a valid resume record (%s): starting over",
                 r->side, e.msg);
        goto out;
    }
    if (strcmp(got.url, r->meta.url) != 0) {
        out_verbose(r->out,
                    "%s holds a download of another URL (%s): starting over",
                    r->part, got.url);
        goto out;
    }
    if (!resume_meta_same(&got, &r->meta)) {
        out_verbose(r->out,
                    "%s: the object changed since the last run (%s): "
                    "starting over",
                    r->path,
                    got.size != r->meta.size ? "another size"
                    : !same_str(got.etag, r->meta.etag)
                        ? "another ETag"
                        : "another modification time");
        goto out;
    }
    if (fstat(r->fd, &ps) != 0 || (int64_t)ps.st_size != got.size) {
        out_warn(r->out,
                 "%s: %s is %lld bytes, the record says %lld: starting over",
                 r->side, r->part, (long long)ps.st_size, (long long)got.size);
        goto out;
    }
    resume_ranges_copy(&r->have, &done);
    r->durable = resume_ranges_bytes(&done);
    r->side_durable = true;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    sbuf_release(&sb);
    resume_meta_release(&got);
    resume_ranges_release(&done);
    return ok;
}

/*
 * Start the download over: the sidecar goes first (durably), then
 * FILE.part is emptied and made r->meta.size bytes long (sparse).
 */
static enum fy_rc
start_over(struct resume *r, struct fy_err *err)
{
    bool removed = unlink(r->side) == 0;
    if (!removed && errno != ENOENT)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", r->side);
    unlink(r->tmp);
    if (removed && fs_fsync_dir(r->dir, err) != FY_OK)
        return err->rc;
    if (ftruncate(r->fd, 0) != 0 ||
        (r->meta.size > 0 && ftruncate(r->fd, (off_t)r->meta.size) != 0))
        return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
    resume_ranges_clear(&r->have);
    r->durable = 0;
    r->side_durable = false;
    return FY_OK;
}

static void
resume_free(struct resume *r)
{
    stop_thread(r);
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r->part);
    free(r->side);
    free(r->tmp);
    free(r->dir);
    resume_meta_release(&r->meta);
    resume_ranges_release(&r->have);
    resume_ranges_release(&r->pending);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

enum fy_rc
resume_open(struct resume **rp,
            const char *path,
            const struct resume_meta *want,
            bool resume,
            struct out *out,
            struct fy_err *err)
{
    struct stat st;
    bool fresh = false;
    *rp = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return fy_fail(err, FY_ERUNTIME, "%s: is a directory", path);
    struct resume *r = xcalloc(1, sizeof *r);
    r->fd = -1;
    r->path = xstrdup(path);
    r->part = xasprintf("%s.part", path);
    r->side = xasprintf("%s.part.ferry", path);
    r->tmp = xasprintf("%s.part.ferry.tmp", path);
    r->dir = fs_dirname(path);
    r->on = resume;
    r->out = out;
    resume_meta_copy(&r->meta, want);
    r->ferr = (struct fy_err)FY_ERR_INIT;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    enum fy_rc rc = open_part(r, &fresh, err);
    if (rc == FY_OK && !(r->on && !fresh && load_sidecar(r)))
        rc = start_over(r, err);
    if (rc == FY_OK)
        rc = start_thread(r, err);
    if (rc != FY_OK) {
        if (r->fd >= 0 && fresh)
            unlink(r->part);
        resume_free(r);
        return rc;
    }
    *rp = r;
    return FY_OK;
}

enum fy_rc
resume_restart(struct resume *r,
               const struct resume_meta *want,
               bool resume,
               struct fy_err *err)
{
    stop_thread(r);
    resume_meta_release(&r->meta);
    resume_meta_copy(&r->meta, want);
    r->on = resume;
    enum fy_rc rc = start_over(r, err);
    if (rc == FY_OK)
        rc = start_thread(r, err);
    return rc;
}

enum fy_rc
resume_commit(struct resume *r, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    stop_thread(r);
    /* renamed while still locked: no other ferry takes it up meanwhile */
    if (fsync(r->fd) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", r->path);
    else if (fchmod(r->fd, 0644) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: chmod", r->path);
    else if (rename(r->part, r->path) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->path);
    if (close(r->fd) != 0 && rc == FY_OK)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: close", r->path);
    r->fd = -1;
    if (rc != FY_OK) {
        unlink(r->part);
        unlink(r->side);
        unlink(r->tmp);
        resume_free(r);
        return rc;
    }
    unlink(r->side);
    unlink(r->tmp);
    rc = fs_fsync_dir(r->dir, err);
    resume_free(r);
    return rc;
}

bool
resume_keep(struct resume *r, const struct resume_ranges *written)
{
    stop_thread(r);
    if (!r->on || (resume_ranges_bytes(written) == 0 && !r->side_durable)) {
        resume_discard(r);
        return false;
    }
    struct fy_err e = FY_ERR_INIT;
    int64_t kept = resume_ranges_bytes(written);
    if (record(r, written, &e) != FY_OK) {
        out_warn(r->out, "cannot save what was downloaded: %s", e.msg);
        if (!r->side_durable) {
            resume_discard(r);
            return false;
        }
        kept = r->durable; /* the last checkpoint still holds */
    }
    char have[24], size[24];
    out_fmt_size(have, sizeof have, kept);
    out_fmt_size(size, sizeof size, r->meta.size);
    out_verbose(r->out,
                "kept %s and %s (%s of %s): run the same pull again to "
                "resume",
                r->part, r->side, have, size);
    resume_free(r);
    return true;
}

void
resume_remove(const char *path)
{
    static const char *const ends[] = {".part", ".part.ferry",
                                       ".part.ferry.tmp"};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        char *p = xasprintf("%s%s", path, ends[i]);
        unlink(p);
        free(p);
    }
}

bool
resume_exists(const char *path)
{
    char *side = xasprintf("%s.part.ferry", path);
    struct stat st;
    bool yes = lstat(side, &st) == 0 && S_ISREG(st.st_mode);
    free(side);
    return yes;
}

void
resume_discard(struct resume *r)
{
    if (r == NULL)
        return;
    stop_thread(r);
    unlink(r->part);
    unlink(r->side);
    unlink(r->tmp);
    resume_free(r);
}
