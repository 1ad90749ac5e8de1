/*
 * arc_prefetch.c - pack's opener (arc_pack_open, the one way pack opens a
 * file) and its helper thread that opens the regular
 * files of the scan a little ahead of pack's thread and asks the kernel to
 * start reading them (POSIX_FADV_WILLNEED), so pack's thread finds each
 * file open and its data on its way or already in the page cache.
 *
 * Why: a file not in the page cache costs pack's thread a disk read it
 * waits for, and meanwhile it hands nothing to the compressor.  Files a
 * cloud VM wrote a while ago often are not cached any more (its memory
 * is reclaimed), and a tree of small files is then one wait per file,
 * one at a time.  Opened and announced ahead, many reads are in flight at
 * once and pack's thread rarely waits.  When everything is cached the
 * opens only move to another thread: no file is opened twice.
 *
 * What it keeps true:
 *   - a file is opened exactly as pack_file did it itself: beneath its
 *     directory reached without following a symlink (fs_open_beneath),
 *     O_NOFOLLOW | O_NONBLOCK, so a FIFO or device swapped in blocks
 *     nothing; pack's thread still checks what it got (S_ISREG of the
 *     fstat taken here, handed over with the descriptor);
 *   - order: slot i is entry i's open, and pack's thread takes them in
 *     scan order; a failed open is handed over with its errno, so pack
 *     reports it (or the file's vanishing) exactly as before;
 *   - bounds: at most PF_FILES files open ahead and at most PF_BYTES of
 *     data announced ahead of pack's thread; every fd not taken is
 *     closed by arc_prefetch_stop();
 *   - the helper takes no SIGINT/SIGTERM and stops when told (and pack's
 *     thread never waits for it longer than one open): an interrupted
 *     pack ends as before.
 * Without a thread (pthread_create failed) arc_prefetch_take() says so
 * and pack's thread opens the file itself.
 */
#include <fcntl.h>
#include <unistd.h>

#include "arc_int.h"
#include "ferry/fs.h"
#include "ferry/xalloc.h"

#define PF_FILES 64                  /* files open ahead (a power of 2) */
#define PF_BYTES ((int64_t)32 << 20) /* data announced ahead */

struct pf_slot {
    size_t idx; /* the scan entry */
    int fd;     /* -1: failed, with err */
    int err;
    int64_t hint;   /* bytes announced */
    struct stat st; /* fd's, if have_st */
    bool have_st;
    bool ready;
};

struct arc_prefetch {
    int rootfd;
    const struct arc_scan *scan;
    const bool *keep;
    pthread_t th;
    bool threaded;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pf_slot slot[PF_FILES];
    size_t next;   /* entries below this are taken (pack's thread) */
    size_t opened; /* entries below this are opened or skipped (helper) */
    int64_t ahead; /* bytes announced and not taken */
    bool stop;
    struct arc_dircache dirs; /* the helper's own */
};

/* Is entry i one pack opens (a regular file it packs)? */
static bool
pf_wanted(const struct arc_prefetch *pf, size_t i)
{
    return S_ISREG(pf->scan->ents[i].mode) && (pf->keep == NULL || pf->keep[i]);
}

/* The directory of path, open beneath the root (cached); its base name's
 * offset.  -1 with errno on failure. */
static int
dircache_get(struct arc_dircache *dc,
             int rootfd,
             const char *path,
             size_t *base)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash != NULL ? (size_t)(slash - path) : 0;
    *base = slash != NULL ? dl + 1 : 0;
    if (dl == 0)
        return rootfd;
    if (dc->fd >= 0 && dc->path.len == dl &&
        memcmp(dc->path.buf, path, dl) == 0)
        return dc->fd;
    if (dc->fd >= 0)
        close(dc->fd);
    dc->path.len = 0;
    sbuf_add(&dc->path, path, dl);
    sbuf_add(&dc->path, "", 1); /* a C string for the open */
    dc->path.len = dl;
    dc->fd = fs_open_beneath(rootfd, dc->path.buf, O_RDONLY | O_DIRECTORY, 0);
    if (dc->fd < 0)
        dc->path.len = 0;
    return dc->fd;
}

int
arc_pack_open(struct arc_dircache *dc, int rootfd, const char *path)
{
    size_t base;
    int dfd = dircache_get(dc, rootfd, path, &base);
    if (dfd < 0)
        return -1;
    const char *name = path + base;
    int fd = openat(dfd, name,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOATIME);
    if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership */
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    return fd;
}

void
arc_dircache_release(struct arc_dircache *dc)
{
    if (dc->fd >= 0)
        close(dc->fd);
    dc->fd = -1;
    sbuf_release(&dc->path);
}

/* Open entry i into s and announce its first bytes. */
static void
pf_open(struct arc_prefetch *pf, size_t i, struct pf_slot *s)
{
    const char *path = arc_scan_path(pf->scan, &pf->scan->ents[i]);
    s->idx = i;
    s->hint = 0;
    s->fd = arc_pack_open(&pf->dirs, pf->rootfd, path);
    s->err = s->fd < 0 ? errno : 0;
    s->have_st = s->fd >= 0 && fstat(s->fd, &s->st) == 0;
    if (s->have_st && S_ISREG(s->st.st_mode) && s->st.st_size > 0) {
        s->hint = s->st.st_size < ARC_PF_HINT ? s->st.st_size : ARC_PF_HINT;
        (void)posix_fadvise(s->fd, 0, s->hint, POSIX_FADV_WILLNEED);
    }
}

static void *
pf_main(void *arg)
{
    struct arc_prefetch *pf = arg;
    arc_thread_signals();
    size_t n = pf->scan->n;
    pthread_mutex_lock(&pf->mu);
    for (size_t i = 0; i < n && !pf->stop; i++) {
        if (!pf_wanted(pf, i)) {
            pf->opened = i + 1;
            continue;
        }
        /* room: the slot free (entry i - PF_FILES taken) and the bytes */
        while (!pf->stop && (i >= pf->next + PF_FILES ||
                             (pf->ahead >= PF_BYTES && i > pf->next)))
            pthread_cond_wait(&pf->cv, &pf->mu);
        if (pf->stop)
            break;
        struct pf_slot *s = &pf->slot[i % PF_FILES];
        if (s->ready) { /* never taken (pack's thread went past it) */
            if (s->fd >= 0)
                close(s->fd);
            pf->ahead -= s->hint;
            s->ready = false;
        }
        pthread_mutex_unlock(&pf->mu);
        pf_open(pf, i, s);
        pthread_mutex_lock(&pf->mu);
        s->ready = true;
        pf->ahead += s->hint;
        pf->opened = i + 1;
        pthread_cond_broadcast(&pf->cv);
    }
    pf->opened = n; /* pack's thread waits for nothing more */
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

struct arc_prefetch *
arc_prefetch_start(int rootfd, const struct arc_scan *scan, const bool *keep)
{
    struct arc_prefetch *pf = xcalloc(1, sizeof *pf);
    pf->rootfd = rootfd;
    pf->scan = scan;
    pf->keep = keep;
    pf->dirs = (struct arc_dircache)ARC_DIRCACHE_INIT;
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    pf->threaded = pthread_create(&pf->th, NULL, pf_main, pf) == 0;
    return pf;
}

bool
arc_prefetch_take(struct arc_prefetch *pf,
                  size_t i,
                  int *fd,
                  int *err,
                  struct stat *st,
                  bool *have_st)
{
    if (pf == NULL || !pf->threaded)
        return false;
    pthread_mutex_lock(&pf->mu);
    if (pf->next < i) { /* pack's thread is at i: room for the helper */
        pf->next = i;
        pthread_cond_broadcast(&pf->cv);
    }
    struct pf_slot *s = &pf->slot[i % PF_FILES];
    /* the helper opens entries in order and every wanted one gets its slot
     * ready before it moves on; past pf->opened it is not coming */
    while (!(s->ready && s->idx == i) && pf->opened <= i)
        pthread_cond_wait(&pf->cv, &pf->mu);
    bool got = s->ready && s->idx == i;
    if (got) {
        *fd = s->fd;
        *err = s->err;
        *have_st = s->have_st;
        if (s->have_st)
            *st = s->st;
        s->ready = false;
        pf->ahead -= s->hint;
    }
    pf->next = i + 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    return got;
}

void
arc_prefetch_stop(struct arc_prefetch *pf)
{
    if (pf == NULL)
        return;
    if (pf->threaded) {
        pthread_mutex_lock(&pf->mu);
        pf->stop = true;
        pthread_cond_broadcast(&pf->cv);
        pthread_mutex_unlock(&pf->mu);
        pthread_join(pf->th, NULL);
    }
    for (size_t k = 0; k < PF_FILES; k++)
        if (pf->slot[k].ready && pf->slot[k].fd >= 0)
            close(pf->slot[k].fd);
    arc_dircache_release(&pf->dirs);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
}
