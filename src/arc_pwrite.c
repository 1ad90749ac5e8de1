/*
 * arc_pwrite.c - unpack's regular files whose data ferry writes itself,
 * with pwrite(), not libarchive: each is created empty through libarchive
 * (arc_file_make: the SECURE checks, mode, owner), then its data written
 * at its offsets -- a sparse entry's by the main thread (arc_file_sparse),
 * a big file's by the writer pool (struct arc_writers, below) -- and its
 * mode and times put back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>

#include "arc_int.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/*
 * Create the regular file of entry e at fin through libarchive (the SECURE
 * checks, mode, owner) but without its data, and open it for writing:
 * owner-write until m is sealed, and no size set by libarchive, which
 * would otherwise pad the file with zeros up to the size its header
 * declares (SPEC, issue 9: never).  *fd is the open file.
 */
enum fy_rc
arc_file_make(struct arc_walk *w,
              struct archive *disk,
              struct archive_entry *e,
              const char *raw,
              const char *fin,
              struct arc_made *m,
              int *fd)
{
    unsigned perm = (unsigned)archive_entry_perm(e);
    *fd = -1;
    m->mode = (mode_t)perm;
    m->fix_mode = !(perm & S_IWUSR);
    if (m->fix_mode)
        archive_entry_set_perm(e, perm | S_IWUSR);
    m->times[0].tv_nsec = UTIME_OMIT;
    m->times[1].tv_nsec = UTIME_OMIT;
    if (archive_entry_mtime_is_set(e)) {
        m->times[1].tv_sec = archive_entry_mtime(e);
        m->times[1].tv_nsec = archive_entry_mtime_nsec(e);
    }
    archive_entry_unset_size(e);
    int r = archive_write_header(disk, e);
    if (r >= ARCHIVE_WARN)
        r = archive_write_finish_entry(disk);
    if (r < ARCHIVE_WARN)
        return arc_disk_fail(w, disk, ARC_SIDE_EXTRACT, raw);
    *fd = open(fin, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0) {
        char *esc = out_escape(raw);
        fy_fail_errno(w->err, FY_ERUNTIME, "%s: entry '%s'", w->name, esc);
        free(esc);
        return w->err->rc;
    }
    return FY_OK;
}

/* A write of entry data failed with errno: a size the filesystem refuses
 * is the archive's doing (exit 3), anything else an I/O error. */
enum fy_rc
arc_write_fail(struct arc_walk *w, const char *raw, int64_t size)
{
    if (errno == EFBIG || errno == EINVAL) {
        char why[160];
        snprintf(why, sizeof why,
                 "its declared size of %" PRId64
                 " bytes is more than the filesystem allows",
                 size);
        return arc_entry_fail(w->err, FY_EINPUT, w->name, raw, why);
    }
    char *esc = out_escape(raw);
    fy_fail_errno(w->err, FY_ERUNTIME, "%s: entry '%s'", w->name, esc);
    free(esc);
    return w->err->rc;
}

/*
 * A sparse entry (GNU tar --sparse; never ferry's): its data blocks are
 * written at their offsets by the main thread and the file gets its size
 * from ftruncate(), so holes cost nothing, however big the header says
 * they are.  The hash covers the data blocks only (see struct arc_span).
 */
enum fy_rc
arc_file_sparse(struct arc_walk *w,
                struct archive *disk,
                struct archive_entry *e,
                const char *raw,
                const char *fin,
                struct arc_span *sp,
                unsigned char hash[16])
{
    struct arc_made m;
    int fd;
    enum fy_rc rc = arc_file_make(w, disk, e, raw, fin, &m, &fd);
    XXH3_128bits_reset(w->xx);
    const void *buf;
    size_t len;
    int64_t off;
    while (rc == FY_OK &&
           arc_entry_block(w, sp, raw, &buf, &len, &off, &rc) > 0) {
        if (fs_pwrite_all(fd, buf, len, (off_t)off) != 0)
            rc = arc_write_fail(w, raw, sp->size);
        else
            XXH3_128bits_update(w->xx, buf, len);
    }
    if (rc == FY_OK && sp->size >= 0 && ftruncate(fd, (off_t)sp->size) != 0)
        rc = arc_write_fail(w, raw, sp->size);
    if (rc == FY_OK && !arc_file_seal(fd, &m))
        rc = arc_write_fail(w, raw, sp->size);
    if (fd >= 0 && close(fd) != 0 && rc == FY_OK)
        rc = arc_write_fail(w, raw, sp->size);
    if (rc == FY_OK)
        arc_xx_digest(w->xx, hash);
    return rc;
}

/*
 * Writers: the data of big regular files is written by a few threads, so
 * copying it into the page cache (most of an unpack's time) runs on
 * several cores.  libarchive still creates every file (one thread, SECURE
 * flags, CVE-2023-30571 respected: the writers never create anything);
 * the main thread then opens the new file, and hands its data blocks, in
 * order, to one writer, which pwrite()s and hashes them and at the end
 * puts back the mode and mtime the writes disturbed; a flusher thread then
 * starts the file's writeback and closes it.  When the chosen writer is
 * behind, the main thread writes the file itself instead of waiting.  A block
 * stays in its ring slot until written (the slot's refcount holds the producer
 * off); blocks outside the ring (libarchive's own buffers) are copied.
 */
#define PW_MAX    8          /* writer threads at most */
#define PW_QUEUE  64         /* jobs queued per writer */
#define PW_SPLIT  (4u << 20) /* from here the main thread helps (see below) */
#define PW_BATCH  8          /* jobs queued before an idle writer is woken */
#define PW_BEHIND 16         /* a writer with this many jobs queued is behind */

struct pw_file {
    int fd;
    XXH3_state_t *xx;
    int64_t size;
    struct arc_made made; /* mode and times to put back */
    char *path;           /* clean archive path, for the manifest check */
    char *shown;          /* for messages */
    bool main_hash; /* a big file: the main thread hashes and shares writes */
    unsigned char hash[16];
    struct pw_file *next;
};

struct pw_job {
    struct pw_file *f;
    const unsigned char *buf; /* NULL: the end of the file */
    size_t len;
    int64_t off;
    int slot; /* ring slot holding buf, or -1: buf is ours to free */
};

struct pw_worker {
    pthread_t th;
    struct arc_writers *pw;
    struct pw_job q[PW_QUEUE];
    unsigned head, tail;
    bool idle;   /* the writer waits for a job */
    int blocked; /* threads waiting for room or for the queue to drain */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct arc_writers {
    int n, next;
    struct pw_worker w[PW_MAX + 1]; /* the writers, then the flusher */
    struct pw_worker *flusher;      /* NULL: writers start writeback */
    struct ring *ring;
    pthread_mutex_t mu; /* done list and error */
    struct pw_file *done;
    bool failed;
    struct fy_err err;
    atomic_bool cancel;
    const char *name;
};

static void
pw_file_free(struct pw_file *f)
{
    if (f->xx != NULL)
        XXH3_freeState(f->xx);
    free(f->path);
    free(f->shown);
    free(f);
}

static void
pw_fail(struct arc_writers *pw, struct pw_file *f, const char *what)
{
    pthread_mutex_lock(&pw->mu);
    if (!pw->failed) {
        fy_fail_errno(&pw->err, FY_ERUNTIME, "%s: entry '%s': %s", pw->name,
                      f->shown, what);
        pw->failed = true;
    }
    pthread_mutex_unlock(&pw->mu);
}

static void
pw_release_slot(struct arc_writers *pw, int slot)
{
    struct ring *r = pw->ring;
    pthread_mutex_lock(&r->mu);
    if (--r->refs[slot] == 0)
        pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void pw_push(struct pw_worker *w, const struct pw_job *j);

static void pw_end(struct arc_writers *pw, struct pw_file *f, bool skip);
static void pw_close(struct arc_writers *pw, struct pw_file *f, bool skip);

static void
pw_do(struct arc_writers *pw, struct pw_job *j)
{
    struct pw_file *f = j->f;
    bool skip = atomic_load(&pw->cancel) || f->fd < 0;
    if (j->buf != NULL) {
        if (!skip) {
            if (!f->main_hash) /* in order, no gaps: see arc_span_block */
                XXH3_128bits_update(f->xx, j->buf, j->len);
            if (fs_pwrite_all(f->fd, j->buf, j->len, (off_t)j->off) != 0) {
                pw_fail(pw, f, "write");
                close(f->fd);
                f->fd = -1;
            }
        }
        if (j->slot >= 0)
            pw_release_slot(pw, j->slot);
        else
            free((void *)j->buf);
        return;
    }
    if (j->off < 0) { /* at the flusher: the whole file, then close */
        if (!skip)
            (void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        pw_close(pw, f, skip);
        return;
    }
    pw_end(pw, f, skip);
}

/* The end of a file: its hash, mode and times, writeback, close. */
static void
pw_end(struct arc_writers *pw, struct pw_file *f, bool skip)
{
    if (!skip) {
        if (!f->main_hash)
            arc_xx_digest(f->xx, f->hash);
        if (!arc_file_seal(f->fd, &f->made))
            pw_fail(pw, f, "set mode/time");
        if (pw->flusher != NULL && f->fd >= 0) {
            struct pw_job fj = {f, NULL, 0, -1, -1};
            pw_push(pw->flusher, &fj);
            return;
        }
        /* start writeback now: the final syncfs waits for less */
        (void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    pw_close(pw, f, skip);
}

static void
pw_close(struct arc_writers *pw, struct pw_file *f, bool skip)
{
    if (f->fd >= 0 && close(f->fd) != 0 && !skip)
        pw_fail(pw, f, "close");
    f->fd = -1;
    pthread_mutex_lock(&pw->mu);
    f->next = pw->done;
    pw->done = f;
    pthread_mutex_unlock(&pw->mu);
}

static void *
pw_main(void *arg)
{
    struct pw_worker *w = arg;
    arc_thread_signals();
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (w->head == w->tail) {
            w->idle = true;
            pthread_cond_wait(&w->cv, &w->mu);
        }
        w->idle = false;
        struct pw_job j = w->q[w->tail % PW_QUEUE];
        pthread_mutex_unlock(&w->mu);
        if (j.f == NULL) /* the stop job */
            return NULL;
        pw_do(w->pw, &j);
        pthread_mutex_lock(&w->mu);
        w->tail++;
        if (w->blocked > 0) /* wake only who waits: fewer futex calls */
            pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
}

static void
pw_push(struct pw_worker *w, const struct pw_job *j)
{
    pthread_mutex_lock(&w->mu);
    while (w->head - w->tail >= PW_QUEUE) {
        if (w->idle)
            pthread_cond_broadcast(&w->cv);
        w->blocked++;
        pthread_cond_wait(&w->cv, &w->mu);
        w->blocked--;
    }
    w->q[w->head % PW_QUEUE] = *j;
    w->head++;
    /* an idle writer is woken for a batch of jobs, not for each: fewer
     * context switches; arc_writers_wake() wakes it whenever the main thread is
     * about to wait */
    if (w->idle &&
        (w->head - w->tail >= PW_BATCH || j->f == NULL || w == w->pw->flusher))
        pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void
arc_writers_wake(void *ctx)
{
    struct arc_writers *pw = ctx;
    for (int i = 0; i < pw->n; i++) {
        struct pw_worker *w = &pw->w[i];
        pthread_mutex_lock(&w->mu);
        if (w->idle && w->head != w->tail)
            pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
}

/* Wait until every writer has done all its jobs. */
static void
pw_wait(struct arc_writers *pw)
{
    arc_writers_wake(pw);
    int n = pw->n + (pw->flusher != NULL); /* the flusher last */
    for (int i = 0; i < n; i++) {
        struct pw_worker *w = &pw->w[i];
        pthread_mutex_lock(&w->mu);
        while (w->head != w->tail) {
            w->blocked++;
            pthread_cond_wait(&w->cv, &w->mu);
            w->blocked--;
        }
        pthread_mutex_unlock(&w->mu);
    }
}

struct arc_writers *
arc_writers_new(struct ring *ring, const char *name)
{
    /* one core stays with the main thread, which creates the files */
    int n = arc_ncpus() > 1 ? arc_ncpus() - 1 : 1;
    const char *env = getenv("FERRY_UNPACK_WRITERS"); /* for benchmarks */
    if (env != NULL && *env)
        n = (int)strtol(env, NULL, 10);
    if (n <= 0 || ring == NULL || !ring->started)
        return NULL; /* no ring (zip), or asked for none: write inline */
    struct arc_writers *pw = xcalloc(1, sizeof *pw);
    pw->ring = ring;
    pw->name = name;
    pthread_mutex_init(&pw->mu, NULL);
    atomic_init(&pw->cancel, false);
    for (int i = 0; i < n && i < PW_MAX; i++) {
        struct pw_worker *w = &pw->w[i];
        w->pw = pw;
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        if (pthread_create(&w->th, NULL, pw_main, w) != 0) {
            pthread_mutex_destroy(&w->mu);
            pthread_cond_destroy(&w->cv);
            break;
        }
        pw->n++;
    }
    if (pw->n == 0) {
        pthread_mutex_destroy(&pw->mu);
        free(pw);
        return NULL;
    }
    /* the flusher: starts the writeback of finished files, which can
     * wait for the disk, so the writers never do */
    struct pw_worker *fw = &pw->w[pw->n];
    fw->pw = pw;
    pthread_mutex_init(&fw->mu, NULL);
    pthread_cond_init(&fw->cv, NULL);
    if (pthread_create(&fw->th, NULL, pw_main, fw) == 0) {
        pw->flusher = fw;
    } else {
        pthread_mutex_destroy(&fw->mu);
        pthread_cond_destroy(&fw->cv);
    }
    return pw;
}

/* Stop the writers (after a failure: skipping what is queued) and free. */
void
arc_writers_free(struct arc_writers *pw, bool cancel)
{
    if (pw == NULL)
        return;
    if (cancel)
        atomic_store(&pw->cancel, true);
    struct pw_job stop = {NULL, NULL, 0, 0, -1};
    for (int i = 0; i < pw->n; i++)
        pw_push(&pw->w[i], &stop);
    for (int i = 0; i < pw->n; i++)
        pthread_join(pw->w[i].th, NULL);
    if (pw->flusher != NULL) { /* after the writers: they feed it */
        pw_push(pw->flusher, &stop);
        pthread_join(pw->flusher->th, NULL);
    }
    int n = pw->n + (pw->flusher != NULL);
    for (int i = 0; i < n; i++) {
        pthread_mutex_destroy(&pw->w[i].mu);
        pthread_cond_destroy(&pw->w[i].cv);
    }
    while (pw->done != NULL) {
        struct pw_file *f = pw->done;
        pw->done = f->next;
        pw_file_free(f);
    }
    pthread_mutex_destroy(&pw->mu);
    free(pw);
}

/* Hand one data block of f to its writer (w); copies it if it is not in
 * a ring slot. */
static void
pw_submit(struct arc_writers *pw,
          struct pw_worker *w,
          struct pw_file *f,
          const void *buf,
          size_t len,
          int64_t off)
{
    struct ring *r = pw->ring;
    struct pw_job j = {f, NULL, len, off, -1};
    const unsigned char *p = buf;
    uintptr_t a = (uintptr_t)p;
    for (int i = 0; i < RING_SLOTS; i++) {
        uintptr_t lo = (uintptr_t)r->slot[i];
        if (a >= lo && a - lo + len <= RING_SLOT) {
            j.slot = i;
            break;
        }
    }
    if (j.slot >= 0) {
        pthread_mutex_lock(&r->mu);
        r->refs[j.slot]++;
        pthread_mutex_unlock(&r->mu);
        j.buf = p;
    } else {
        unsigned char *copy = xmalloc(len ? len : 1);
        memcpy(copy, p, len);
        j.buf = copy;
    }
    pw_push(w, &j);
}

/* The parallel path for a big regular file (see "Writers" above). */
enum fy_rc
arc_writers_file(struct arc_writers *pw,
                 struct arc_walk *w,
                 struct archive *disk,
                 struct archive_entry *e,
                 const char *raw,
                 const char *clean,
                 const char *fin,
                 struct arc_span *sp)
{
    struct pw_file *f = xcalloc(1, sizeof *f);
    f->size = sp->size;
    f->path = xstrdup(clean);
    f->shown = out_escape(raw);
    enum fy_rc rc = arc_file_make(w, disk, e, raw, fin, &f->made, &f->fd);
    if (rc != FY_OK) {
        if (f->fd >= 0)
            close(f->fd);
        pw_file_free(f);
        return rc;
    }
    f->xx = arc_xx_new();
    XXH3_128bits_reset(f->xx);
    /*
     * A big file would keep one writer busy while the main thread waits:
     * then the main thread hashes it (in order) and writes every other
     * block itself; the writer writes the rest and finishes the file.
     */
    f->main_hash = f->size >= (int64_t)PW_SPLIT;
    struct pw_worker *wk = &pw->w[pw->next++ % pw->n];
    /* a writer that is behind gets no more: the main thread writes the
     * whole file itself rather than wait for room in its queue */
    pthread_mutex_lock(&wk->mu);
    bool mine = wk->head - wk->tail >= PW_BEHIND;
    pthread_mutex_unlock(&wk->mu);
    f->main_hash |= mine;
    unsigned k = 0;
    const void *buf;
    size_t len;
    int64_t off;
    /* in order, inside the declared size, no gaps (not sparse) */
    while (arc_entry_block(w, sp, raw, &buf, &len, &off, &rc) > 0) {
        if (!f->main_hash) {
            pw_submit(pw, wk, f, buf, len, off);
            continue;
        }
        XXH3_128bits_update(f->xx, buf, len);
        if (!mine && (k++ & 1) == 0) {
            pw_submit(pw, wk, f, buf, len, off);
            continue;
        }
        if (fs_pwrite_all(f->fd, buf, len, (off_t)off) != 0) {
            rc = arc_write_fail(w, raw, f->size);
            break;
        }
    }
    if (rc == FY_OK)
        rc = arc_span_end(w, sp, raw); /* never padded: whole, or corrupt */
    if (f->main_hash && rc == FY_OK)
        arc_xx_digest(f->xx, f->hash); /* before the writer may list it done */
    if (mine) {
        pw_end(pw, f, rc != FY_OK);
        return rc;
    }
    /* always end the file, so the writer closes it and lists it done */
    struct pw_job end = {f, NULL, 0, 0, -1};
    pw_push(wk, &end);
    return rc;
}

enum fy_rc
arc_writers_drain(struct arc_writers *pw, struct arc_walk *w)
{
    if (pw == NULL)
        return FY_OK;
    pw_wait(pw);
    pthread_mutex_lock(&pw->mu);
    struct pw_file *done = pw->done;
    pw->done = NULL;
    bool failed = pw->failed;
    pthread_mutex_unlock(&pw->mu);
    while (done != NULL) {
        struct pw_file *f = done;
        done = f->next;
        arc_walk_record(w, f->path, 'f', f->size, f->hash, false);
        pw_file_free(f);
    }
    if (failed)
        return fy_fail(w->err, pw->err.rc, "%s", pw->err.msg);
    return FY_OK;
}

enum fy_rc
arc_writers_failed(struct arc_writers *pw, struct arc_walk *w)
{
    if (pw == NULL)
        return FY_OK;
    pthread_mutex_lock(&pw->mu);
    bool failed = pw->failed;
    pthread_mutex_unlock(&pw->mu);
    if (failed)
        return fy_fail(w->err, pw->err.rc, "%s", pw->err.msg);
    return FY_OK;
}
