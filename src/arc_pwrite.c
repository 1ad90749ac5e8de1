/*
 * arc_pwrite.c - unpack's regular files whose data ferry writes itself,
 * with pwrite(), not libarchive: a sparse entry's, created empty through
 * libarchive (arc_file_make: the SECURE checks, mode, owner) and written
 * by the main thread (arc_file_sparse); and every other regular file of an
 * archive read through the ring, made and written by the writer pool
 * (struct arc_writers, below) without libarchive's disk writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive_entry.h>

#include "arc_int.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/*
 * What entry e's file needs put back once its data is in: its mode, if
 * created is not already it (files are made owner-writable), and its
 * mtime (atime: now).
 */
static void
made_init(struct arc_made *m, struct archive_entry *e, mode_t created)
{
    m->mode = (mode_t)archive_entry_perm(e) & 07777;
    m->fix_mode = created != m->mode;
    m->times[0].tv_nsec = UTIME_OMIT;
    m->times[1].tv_nsec = UTIME_OMIT;
    if (archive_entry_mtime_is_set(e)) {
        m->times[1].tv_sec = archive_entry_mtime(e);
        m->times[1].tv_nsec = archive_entry_mtime_nsec(e);
    }
}

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
    /* libarchive gives the mode exactly (ARCHIVE_EXTRACT_PERM) */
    mode_t created = ((mode_t)archive_entry_perm(e) & 07777) | S_IWUSR;
    *fd = -1;
    made_init(m, e, created);
    archive_entry_set_perm(e, created);
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
 * Writers: unpack's regular files are created and written by a few
 * threads, so that the system calls that make a file (most of an unpack's
 * time when files are small) and the copying of data into the page cache
 * (most of it when they are big) run on several cores while the main
 * thread goes on reading.  The main thread checks every entry (the gate),
 * hashes its data and records it for the manifest check, and hands the
 * file, block by block, to one writer.  The writer creates the file
 * beneath the staging directory with fs_open_beneath() -- openat2() with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so no symlink is ever followed
 * and nothing is made outside the stage; libarchive's disk writer, whose
 * checks are not safe from threads (CVE-2023-30571), is not used for these
 * files -- then writes the blocks and puts back the mode and mtime.
 * Directories, links and sparse files stay with libarchive on the main
 * thread; a hardlink, and an entry whose name an earlier entry made, first
 * wait for the writers (arc_writers_sync), so that entries land in archive
 * order.
 *
 * Files of one directory go to one writer (no two threads wait for one
 * directory's lock); a new directory goes to the writer with the shortest
 * queue.  When that writer is behind, the main thread makes the file
 * itself.  A big file is made by the main thread, which writes every other
 * block; its writer writes the rest.  A block stays in its ring slot until
 * written (the slot's refcount holds the producer off); blocks outside the
 * ring (libarchive's own buffers) are copied.
 *
 * Writeback: a big file's is started by the flusher thread once the file is
 * written (sync_file_range); small files are not kicked one by one (each
 * would be an I/O of its own): after every SYNC_STEP bytes of them the
 * flusher runs syncfs() on the stage, so the disk works while the unpack
 * goes on and the final sync waits for little.
 */
#define PW_MAX    8          /* writer threads at most */
#define PW_QUEUE  64         /* jobs queued per writer */
#define PW_SPLIT  (4u << 20) /* from here the main thread helps (see above) */
#define PW_BATCH  8          /* jobs queued before an idle writer is woken */
#define PW_BEHIND 16         /* a writer with this many jobs queued is behind */
#define PW_KICK   (256u << 10) /* files this big get their own writeback */
#define SYNC_STEP (64u << 20)  /* bytes of small files between two syncfs */

struct pw_file {
    int fd; /* -1 until made */
    int64_t size;
    struct arc_made made; /* mode and times to put back */
    mode_t create_mode;   /* what it is created with (owner-writable) */
    bool failed;          /* a failure was recorded: nothing more to do */
    atomic_bool abandon;  /* the main thread gave up on it */
    char *fin;            /* where it goes, beneath the stage */
    char *raw;            /* its name in the archive, for messages */
};

enum pw_kind {
    PW_DATA,   /* a block of data */
    PW_LAST,   /* the last block of data, then the end of the file */
    PW_END,    /* the end of a file: mode, times, writeback, close */
    PW_FLUSH,  /* at the flusher: start a file's writeback, close it */
    PW_SYNCFS, /* at the flusher: syncfs() the stage */
    PW_STOP
};

struct pw_job {
    enum pw_kind kind;
    struct pw_file *f;
    const unsigned char *buf;
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
    int n;
    struct pw_worker w[PW_MAX + 1]; /* the writers, then the flusher */
    struct pw_worker *flusher;      /* NULL: writers start writeback */
    struct ring *ring;
    int stage_fd; /* files are made beneath it */
    mode_t umask; /* the process's (fs_umask) */
    int last;     /* the writer of the directory of the last file */
    struct sbuf last_dir;
    atomic_llong dirty;  /* bytes of small files since the last syncfs */
    atomic_bool syncing; /* a syncfs is queued or running */
    pthread_mutex_t mu;  /* failure */
    bool failed;
    struct fy_err err;
    atomic_bool cancel;
    const char *name;
};

static void
pw_file_free(struct pw_file *f)
{
    free(f->fin);
    free(f->raw);
    free(f);
}

/* Record the first failure (errno is the cause, what was being done) as
 * rc. */
static void
pw_fail(struct arc_writers *pw,
        struct pw_file *f,
        enum fy_rc rc,
        const char *what)
{
    int en = errno;
    pthread_mutex_lock(&pw->mu);
    if (!pw->failed) {
        char *esc = out_escape(f->raw);
        fy_fail(&pw->err, rc, "%s: entry '%s': %s (%s)", pw->name, esc,
                strerror(en), what);
        free(esc);
        pw->failed = true;
    }
    pthread_mutex_unlock(&pw->mu);
    f->failed = true;
}

/*
 * Make f's file beneath the stage: missing directories on the way are
 * made (0777 & ~umask, as libarchive makes them), nothing is followed, and
 * what an earlier entry of the same name left there is replaced, as
 * libarchive replaces it (never a directory: the gate refused that).
 * Returns the descriptor, or -1 with errno set.
 */
static int
pw_make(struct arc_writers *pw, struct pw_file *f)
{
    int flags = O_WRONLY | O_CREAT | O_EXCL;
    int fd = fs_open_beneath(pw->stage_fd, f->fin, flags, f->create_mode);
    if (fd < 0 && errno == EEXIST &&
        fs_unlink_beneath(pw->stage_fd, f->fin) == 0)
        fd = fs_open_beneath(pw->stage_fd, f->fin, flags, f->create_mode);
    return fd;
}

/* What a failure of pw_make() (errno) is: a link on the way is unsafe, a
 * name no filesystem holds the archive's doing, the rest I/O. */
static enum fy_rc
pw_make_rc(int en)
{
    if (en == ELOOP || en == EXDEV)
        return FY_EREFUSED;
    return arc_rc_from_errno(en, ARC_SIDE_EXTRACT);
}

/* f's descriptor, made on first use; false if there is none. */
static bool
pw_ready(struct arc_writers *pw, struct pw_file *f)
{
    if (f->fd >= 0)
        return true;
    if (f->failed)
        return false;
    f->fd = pw_make(pw, f);
    if (f->fd < 0)
        pw_fail(pw, f, pw_make_rc(errno), "create");
    return f->fd >= 0;
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

static void
pw_close(struct arc_writers *pw, struct pw_file *f, bool skip)
{
    if (f->fd >= 0 && close(f->fd) != 0 && !skip)
        pw_fail(pw, f, FY_ERUNTIME, "close");
    pw_file_free(f);
}

/* Small files were written: after SYNC_STEP bytes of them, a syncfs. */
static void
pw_dirty(struct arc_writers *pw, int64_t bytes)
{
    if (pw->flusher == NULL ||
        atomic_fetch_add(&pw->dirty, bytes) + bytes < (long long)SYNC_STEP)
        return;
    bool idle = false;
    if (!atomic_compare_exchange_strong(&pw->syncing, &idle, true))
        return; /* one at a time; the bytes count towards the next */
    atomic_store(&pw->dirty, 0);
    struct pw_job j = {PW_SYNCFS, NULL, NULL, 0, 0, -1};
    pw_push(pw->flusher, &j);
}

/* The end of a file: mode and times, writeback, close. */
static void
pw_end(struct arc_writers *pw, struct pw_file *f, bool skip)
{
    skip |= atomic_load(&f->abandon) || f->failed;
    if (!skip && pw_ready(pw, f)) { /* an empty file is made here */
        if (!arc_file_seal(f->fd, &f->made))
            pw_fail(pw, f, FY_ERUNTIME, "set mode/time");
        if (f->size < (int64_t)PW_KICK) {
            pw_dirty(pw, f->size);
        } else if (pw->flusher != NULL) {
            struct pw_job fj = {PW_FLUSH, f, NULL, 0, 0, -1};
            pw_push(pw->flusher, &fj);
            return;
        } else {
            (void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        }
    }
    pw_close(pw, f, skip);
}

static void
pw_do(struct arc_writers *pw, struct pw_job *j)
{
    struct pw_file *f = j->f;
    bool skip = atomic_load(&pw->cancel);
    switch (j->kind) {
    case PW_DATA:
    case PW_LAST:
        /* after a failure the descriptor stays open: the main thread may
         * be writing other blocks of a big file to it */
        if (!skip && !atomic_load(&f->abandon) && !f->failed &&
            pw_ready(pw, f) &&
            fs_pwrite_all(f->fd, j->buf, j->len, (off_t)j->off) != 0)
            pw_fail(pw, f, FY_ERUNTIME, "write");
        if (j->slot >= 0)
            pw_release_slot(pw, j->slot);
        else
            free((void *)j->buf);
        if (j->kind == PW_LAST)
            pw_end(pw, f, skip);
        return;
    case PW_END:
        pw_end(pw, f, skip);
        return;
    case PW_FLUSH:
        if (!skip)
            (void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        pw_close(pw, f, skip);
        return;
    case PW_SYNCFS:
        if (!skip)
            (void)syncfs(pw->stage_fd);
        atomic_store(&pw->syncing, false);
        return;
    case PW_STOP:
        return;
    }
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
        if (j.kind == PW_STOP)
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
    if (w->idle && (w->head - w->tail >= PW_BATCH || j->kind == PW_STOP ||
                    w == w->pw->flusher))
        pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Jobs queued at w. */
static unsigned
pw_queued(struct pw_worker *w)
{
    pthread_mutex_lock(&w->mu);
    unsigned n = w->head - w->tail;
    pthread_mutex_unlock(&w->mu);
    return n;
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

/* Wait until the writers (and with flusher, the flusher) have done all
 * their jobs. */
static void
pw_wait(struct arc_writers *pw, bool flusher)
{
    arc_writers_wake(pw);
    int n = pw->n + (flusher && pw->flusher != NULL); /* the flusher last */
    for (int i = 0; i < n; i++) {
        struct pw_worker *w = &pw->w[i];
        pthread_mutex_lock(&w->mu);
        while (w->head != w->tail) {
            if (w->idle)
                pthread_cond_broadcast(&w->cv);
            w->blocked++;
            pthread_cond_wait(&w->cv, &w->mu);
            w->blocked--;
        }
        pthread_mutex_unlock(&w->mu);
    }
}

static bool
pw_start(struct arc_writers *pw, struct pw_worker *w)
{
    w->pw = pw;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, pw_main, w) == 0)
        return true;
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    return false;
}

struct arc_writers *
arc_writers_new(struct ring *ring, int stage_fd, const char *name)
{
    /* as many writers as cores: the main thread and the decoder mostly
     * wait for them */
    int n = arc_ncpus();
    const char *env = getenv("FERRY_UNPACK_WRITERS"); /* for benchmarks */
    if (env != NULL && *env)
        n = (int)strtol(env, NULL, 10);
    if (n <= 0 || ring == NULL || !ring->started)
        return NULL; /* no ring (zip), or asked for none: write inline */
    struct arc_writers *pw = xcalloc(1, sizeof *pw);
    pw->ring = ring;
    pw->stage_fd = stage_fd;
    pw->name = name;
    pw->umask = fs_umask();
    pthread_mutex_init(&pw->mu, NULL);
    atomic_init(&pw->cancel, false);
    atomic_init(&pw->dirty, 0);
    atomic_init(&pw->syncing, false);
    for (int i = 0; i < n && i < PW_MAX && pw_start(pw, &pw->w[pw->n]); i++)
        pw->n++;
    if (pw->n == 0) {
        pthread_mutex_destroy(&pw->mu);
        free(pw);
        return NULL;
    }
    /* the flusher: starts writeback, which can wait for the disk, so the
     * writers never do */
    if (pw_start(pw, &pw->w[pw->n]))
        pw->flusher = &pw->w[pw->n];
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
    struct pw_job stop = {PW_STOP, NULL, NULL, 0, 0, -1};
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
    sbuf_release(&pw->last_dir);
    pthread_mutex_destroy(&pw->mu);
    free(pw);
}

/* A job for one data block of f; the block is referenced in its ring slot
 * or copied, so it outlives libarchive's next read. */
static struct pw_job
pw_block(struct arc_writers *pw,
         struct pw_file *f,
         const void *buf,
         size_t len,
         int64_t off)
{
    struct ring *r = pw->ring;
    struct pw_job j = {PW_DATA, f, NULL, len, off, -1};
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
    return j;
}

/* The writer for a file at fin: its directory's, or the least busy one
 * for a new directory or when the directory's writer is behind; *queued:
 * the jobs it has. */
static struct pw_worker *
pw_pick(struct arc_writers *pw, const char *fin, unsigned *queued)
{
    const char *slash = strrchr(fin, '/');
    size_t dl = slash != NULL ? (size_t)(slash - fin) : 0;
    if (pw->last_dir.buf != NULL && pw->last_dir.len == dl &&
        memcmp(pw->last_dir.buf, fin, dl) == 0 &&
        (*queued = pw_queued(&pw->w[pw->last])) < PW_BEHIND)
        return &pw->w[pw->last];
    *queued = UINT_MAX;
    for (int i = 0; i < pw->n; i++) {
        unsigned q = pw_queued(&pw->w[i]);
        if (q < *queued) {
            *queued = q;
            pw->last = i;
        }
    }
    pw->last_dir.len = 0;
    sbuf_add(&pw->last_dir, fin, dl);
    return &pw->w[pw->last];
}

/*
 * A regular file (entry e, not sparse, its size declared) made at fin and
 * written by the pool, or by the main thread when the pool is behind (see
 * "Writers" above).  Its data is checked against sp and hashed into hash.
 */
enum fy_rc
arc_writers_file(struct arc_writers *pw,
                 struct arc_walk *w,
                 struct archive_entry *e,
                 const char *raw,
                 const char *fin,
                 struct arc_span *sp,
                 unsigned char hash[16])
{
    struct pw_file *f = xcalloc(1, sizeof *f);
    f->fd = -1;
    atomic_init(&f->abandon, false);
    f->size = sp->size;
    f->fin = xstrdup(fin);
    f->raw = xstrdup(raw);
    f->create_mode = ((mode_t)archive_entry_perm(e) & 07777) | S_IWUSR;
    made_init(&f->made, e, f->create_mode & ~pw->umask);
    unsigned queued;
    struct pw_worker *wk = pw_pick(pw, fin, &queued);
    /* a writer that is behind gets no more: the main thread writes the
     * whole file itself rather than wait for room in its queue */
    bool mine = queued >= PW_BEHIND;
    bool split = !mine && f->size >= (int64_t)PW_SPLIT;
    enum fy_rc rc = FY_OK;
    if ((mine || split) && !pw_ready(pw, f)) {
        rc = arc_writers_failed(pw, w);
        pw_file_free(f);
        return rc;
    }
    XXH3_128bits_reset(w->xx);
    struct pw_job held = {PW_END, f, NULL, 0, 0, -1};
    unsigned k = 0;
    const void *buf;
    size_t len;
    int64_t off;
    /* in order, inside the declared size, no gaps (not sparse) */
    while (arc_entry_block(w, sp, raw, &buf, &len, &off, &rc) > 0) {
        XXH3_128bits_update(w->xx, buf, len);
        if (mine || (split && (k++ & 1) != 0)) {
            if (fs_pwrite_all(f->fd, buf, len, (off_t)off) != 0) {
                rc = arc_write_fail(w, raw, f->size);
                break;
            }
            continue;
        }
        /* one block is held back, so the last goes as PW_LAST */
        if (held.kind == PW_DATA)
            pw_push(wk, &held);
        held = pw_block(pw, f, buf, len, off);
    }
    if (rc == FY_OK)
        rc = arc_span_end(w, sp, raw); /* never padded: whole, or corrupt */
    if (rc == FY_OK)
        arc_xx_digest(w->xx, hash);
    atomic_store(&f->abandon, rc != FY_OK);
    if (mine) { /* nothing was queued */
        pw_end(pw, f, false);
        return rc == FY_OK ? arc_writers_failed(pw, w) : rc;
    }
    /* always end the file, so its writer closes and frees it */
    if (held.kind == PW_DATA)
        held.kind = PW_LAST;
    pw_push(wk, &held);
    return rc;
}

/* Wait for the writers (and the flusher); their failure, if any. */
static enum fy_rc
pw_settle(struct arc_writers *pw, struct arc_walk *w, bool flusher)
{
    if (pw != NULL)
        pw_wait(pw, flusher);
    return arc_writers_failed(pw, w);
}

enum fy_rc
arc_writers_sync(struct arc_writers *pw, struct arc_walk *w)
{
    return pw_settle(pw, w, false);
}

enum fy_rc
arc_writers_drain(struct arc_writers *pw, struct arc_walk *w)
{
    return pw_settle(pw, w, true);
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
