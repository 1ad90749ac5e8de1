/*
 * arc_int.h - what the files of the archive engine (src/arc*.c) share;
 * nothing outside them includes it (but the unit tests).  See arc.c for
 * which file holds what.
 *
 * Ownership: every struct here belongs to the engine's run that made it
 * (one arc_pack, arc_unpack, arc_list or arc_verify call) and lives on its
 * stack or in its state; nothing here is global.  Pointers to a struct
 * fy_err are the caller's: failures are recorded there with fy_fail() (one
 * message, its exit code in err->rc) and the same code is returned; the
 * ring's helper thread records into its own ring.err, which the reading
 * thread copies out (arc_reader_*).  Nothing here prints.
 *
 * Hot paths stay in one translation unit or inline here: the per-block
 * helpers (arc_ring_need, arc_entry_block, arc_span_block, arc_tick,
 * arc_xx_digest) are static inline; their rare failure paths are not.
 */
#ifndef FERRY_ARC_INT_H
#define FERRY_ARC_INT_H

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <xxhash.h>
#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<xxh_x86dispatch.h>)
/* Debian's libxxhash picks SSE2/AVX2/AVX-512 for XXH3 at run time when
 * called through these names: ~2.7x faster than the baseline build */
#include <xxh_x86dispatch.h>
#endif
#endif

#include "ferry/arc.h"
#include "ferry/err.h"
#include "ferry/out.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#define RING_SLOTS 8          /* blocks in flight (unpack) */
#define RING_SLOT  (1u << 20) /* bytes per block */
#define IN_CHUNK   (1u << 20) /* compressed bytes read per call */

/*
 * libarchive's own error numbers (archive_private.h, not installed): format
 * errors are EILSEQ on Linux (no EFTYPE), internal ones -1 and EINVAL.
 */
#define ARCHIVE_ERRNO_FILE_FORMAT EILSEQ
#define ARCHIVE_ERRNO_PROGRAMMER  EINVAL
#define ARCHIVE_ERRNO_MISC        (-1)

/* ------------------------------------------------------- arc.c: common */

static inline uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* The CPUs this process may run on (at least 1). */
int arc_ncpus(void);

/* The canonical XXH128 of what xx hashed. */
static inline void
arc_xx_digest(XXH3_state_t *xx, unsigned char out[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(xx));
    memcpy(out, c.digest, 16);
}

/* A hash state (the caller frees it with XXH3_freeState); exits with
 * FY_ERUNTIME when out of memory, as xmalloc does. */
static inline XXH3_state_t *
arc_xx_new(void)
{
    XXH3_state_t *xx = XXH3_createState();
    if (xx == NULL) {
        fputs("ferry: out of memory\n", stderr);
        exit(FY_ERUNTIME);
    }
    return xx;
}

/*
 * Progress that keeps quiet on quick runs: nothing is drawn during the
 * first second, and the final line only if a line was drawn before.  Owned
 * by the run that draws it; phase NULL draws nothing.
 */
struct arc_tick {
    struct out_progress p;
    double t0;
    bool shown;
};

static inline void
arc_tick_init(struct arc_tick *t, const char *phase, int64_t total)
{
    t->p = (struct out_progress)OUT_PROGRESS_INIT;
    t->p.phase = phase;
    t->p.total = total;
    t->t0 = out_now();
    t->shown = false;
}

static inline void
arc_tick(struct out *out, struct arc_tick *t, bool final)
{
    if (t->p.phase == NULL)
        return;
    if (!final) {
        /* quiet for a second (FERRY_PROGRESS_INTERVAL=0: never) */
        if (!t->shown && out->interval > 0 && out_now() - t->t0 < 1.0)
            return;
        t->shown = true;
        out_progress(out, &t->p, false);
    } else if (t->shown) {
        out_progress(out, &t->p, true);
        out_progress_end(out);
    }
}

/* For the engine's threads: SIGINT and SIGTERM go to the main thread,
 * which polls fy_interrupted(). */
void arc_thread_signals(void);

/* Run the engine in C.UTF-8 (see arc.c); arc_utf8_leave puts the
 * thread's locale back. */
locale_t arc_utf8_enter(locale_t *old);
void arc_utf8_leave(locale_t loc, locale_t old);

/* Record "<archive>: entry '<path>': <why>" (both escaped) as rc in err;
 * returns rc. */
enum fy_rc arc_entry_fail(struct fy_err *err,
                          enum fy_rc rc,
                          const char *arc,
                          const char *path,
                          const char *why);
/* 'f' 'd' 'l' 'h' 'c' 'b' 'p' 's': what entry e is. */
char arc_entry_type(struct archive_entry *e);
/* "2 GiB" for powers of two, else out_fmt_size's "1.50 GiB". */
void arc_fmt_window(char *buf, size_t len, unsigned long long w);
/* Count an entry of type and size in st. */
void arc_stats_count(struct arc_stats *st, char type, int64_t size);

/* ------------------------------------------------ arc_scan.c: pre-scan */

/* One entry the pre-scan found, with the lstat() it saw (32 bytes: a
 * tree may have millions). */
struct arc_scan_entry {
    size_t path_off; /* its path relative to the root, in arc_scan.names */
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

/* Its mtime as a struct timespec. */
static inline struct timespec
arc_scan_mtime(const struct arc_scan_entry *e)
{
    struct timespec t = {(time_t)e->mtime_sec, (long)e->mtime_nsec};
    return t;
}

/* What the pre-scan decided about one path (struct arc_scan.visit). */
enum arc_scan_verdict {
    ARC_SCAN_PACK,     /* it goes in the archive */
    ARC_SCAN_EXCLUDED, /* an exclude rule: why is the rule, from its origin */
    ARC_SCAN_STATE,    /* DIR/.ferry, fetch's state */
    ARC_SCAN_OUTPUT,   /* the archive being written (or an older one) */
    ARC_SCAN_SPECIAL   /* socket, device, FIFO: why says which */
};

/*
 * pack --dry-run's view of the scan: called for every path the scan
 * decides on, in archive order, with the directory it is in (dfd) and
 * its name there, its lstat() and the verdict; a failure stops the scan.
 * A scan with a visitor leaves the verdicts to it: no warning, no -v line.
 */
typedef enum fy_rc (*arc_scan_visit_fn)(void *ctx,
                                        int dfd,
                                        const char *name,
                                        const char *rel,
                                        const struct stat *st,
                                        enum arc_scan_verdict v,
                                        const char *why,
                                        const char *from);

/*
 * The pre-scan of pack.  The caller fills the first fields (borrowed, they
 * outlive the scan) and owns the struct; arc_scan_release() frees what
 * the scan allocated.
 */
struct arc_scan {
    const char *dir;  /* the packed directory, for messages */
    const char *name; /* the archive, for messages */
    struct out *out;
    struct fy_err *err;
    struct arc_stats *st;    /* skipped entries are counted here */
    arc_scan_visit_fn visit; /* pack --dry-run, else NULL */
    void *visit_ctx;
    dev_t skip_dev[2]; /* files never archived (arc_scan_skip) */
    ino_t skip_ino[2];
    int nskip;
    struct arc_excludes ex;
    /* what the scan found, in archive order; names holds their paths */
    struct sbuf names;
    struct arc_scan_entry *ents;
    size_t n, cap;
    int64_t total;    /* bytes of regular files */
    struct sbuf path; /* scratch: the directory being scanned */
};

/* The path of entry e. */
static inline const char *
arc_scan_path(const struct arc_scan *s, const struct arc_scan_entry *e)
{
    return s->names.buf + e->path_off;
}
/* Load DIR/.ferryignore and o's --exclude-from files and --exclude rules;
 * errors as arc_excludes_load()'s. */
enum fy_rc arc_scan_excludes(struct arc_scan *s, const struct arc_pack_opts *o);
/* Scan the directory open as dfd (consumed) and everything below it;
 * FY_ERUNTIME for a directory that cannot be read, FY_EINTR. */
enum fy_rc arc_scan_dir(struct arc_scan *s, int dfd);
/* Leave the file of sb (the archive being written) out; two at most. */
void arc_scan_skip(struct arc_scan *s, const struct stat *sb);
void arc_scan_release(struct arc_scan *s);

/* --------------------------------------------------- arc_read.c: ring */

struct arc_zstd_reader; /* arc_zstd.c */
struct arc_decoder;     /* arc_decode.c */

/*
 * The read ring: a helper thread reads the input, decodes it and publishes
 * blocks in slot[] that the reading thread hands to libarchive in place.
 * Owned by its struct arc_reader.  mu guards the slot bookkeeping; the
 * input fields (in, in_len, ...) and the decoders are the helper thread's
 * alone once it runs.
 */
struct ring {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *slot[RING_SLOTS];
    size_t len[RING_SLOTS];
    unsigned refs[RING_SLOTS]; /* writes still reading from the slot */
    unsigned head, tail;       /* blocks published / given back */
    bool held;                 /* libarchive holds block tail */
    bool done;                 /* the producer has finished */
    atomic_bool stop;          /* the consumer is going away */
    enum fy_rc rc;             /* the producer's result, with err */
    struct fy_err err;
    struct fy_istream *is;
    int window_log; /* largest zstd window accepted: 2^window_log */
    /* the decoder of a compressed stream (one of them), or both NULL:
     * the input is the archive itself */
    struct arc_zstd_reader *zstd;
    struct arc_decoder *dec; /* xz, gzip, bzip2, lz4 */
    unsigned char *in;       /* IN_CHUNK bytes of input */
    size_t in_len, in_pos;
    bool in_eof;
    size_t refill; /* bytes asked for when in is empty (zstd) */
    /* ferry's stored zstd frames read (only ferry writes them) */
    atomic_llong stored_frames;
    bool is_file; /* the input is a regular file: no poll before reads */
    atomic_llong in_bytes; /* bytes read from the input */
    pthread_t th;
    bool started;
};

/* Read up to cap bytes of input into dst (*got 0: its end), waiting in
 * steps that see a stop request (FY_EINTR); errors go to r->err.  The
 * ring's input is read by its helper thread alone (arc_read.c, arc_zstd.c,
 * arc_decode.c): inline, so that no file of them calls up into another. */
static inline enum fy_rc
arc_ring_read(struct ring *r, unsigned char *dst, size_t cap, size_t *got)
{
    *got = 0;
    if (r->is->fd >= 0 && !r->is_file) {
        /* wait in short steps so a stop request is seen */
        struct pollfd pfd = {r->is->fd, POLLIN, 0};
        for (;;) {
            if (atomic_load(&r->stop))
                return fy_fail(&r->err, FY_EINTR, "%s: stopped", r->is->name);
            int n = poll(&pfd, 1, 200);
            if (n != 0 && !(n < 0 && errno == EINTR))
                break;
        }
    }
    enum fy_rc rc = r->is->read(r->is->ctx, dst, cap, got, &r->err);
    if (rc == FY_OK)
        atomic_fetch_add(&r->in_bytes, (long long)*got);
    return rc;
}

/* arc_ring_need's refill, when r->in holds fewer than n bytes. */
static inline enum fy_rc
arc_ring_fill(struct ring *r, size_t n)
{
    while (r->in_len - r->in_pos < n && !r->in_eof) {
        size_t have = r->in_len - r->in_pos;
        if (r->in_pos > 0) {
            memmove(r->in, r->in + r->in_pos, have);
            r->in_pos = 0;
            r->in_len = have;
        }
        size_t ask = r->refill > n - have ? r->refill : n - have;
        ask = ask < IN_CHUNK - have ? ask : IN_CHUNK - have;
        size_t got;
        enum fy_rc rc = arc_ring_read(r, r->in + have, ask, &got);
        if (rc != FY_OK)
            return rc;
        if (got == 0)
            r->in_eof = true;
        r->in_len += got;
        /* long compressed frames: fewer, bigger reads */
        r->refill = r->refill < IN_CHUNK / 2 ? r->refill * 2 : IN_CHUNK;
    }
    return FY_OK;
}

/* Have at least n bytes of input in r->in (fewer only at the end). */
static inline enum fy_rc
arc_ring_need(struct ring *r, size_t n)
{
    if (r->in_len - r->in_pos >= n || r->in_eof)
        return FY_OK;
    return arc_ring_fill(r, n);
}

/* ------------------------------------- arc_decode.c: the other codecs */

/* Start a decoder if r->in begins with xz, gzip, bzip2 or lz4 (r->dec,
 * else NULL); FY_EINPUT for lz4's legacy format, FY_ERUNTIME. */
enum fy_rc arc_decoder_start(struct ring *r, struct fy_err *err);
/* Fill dst with up to cap bytes of r->dec's output; *end: no more.
 * Errors go to r->err (FY_EINPUT: corrupt or truncated). */
enum fy_rc arc_decoder_produce(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end);
void arc_decoder_free(struct arc_decoder *d);

/* --------------------------------- arc_read.c: the archive reader */

/*
 * libarchive reading through the ring (or a zip file directly).  Owned by
 * the walk that embeds it; arc_reader_open() takes the input stream,
 * arc_reader_close() closes it and frees everything.
 */
struct arc_reader {
    struct ring ring;
    struct archive *a;
    struct fy_err *err;
    struct out *out;
    const char *name;
    struct arc_tick prog;
    bool opened; /* the stream is ours to close */
    /* a zip file: its central directory's count (or -1: not a zip file),
     * and its symlinks' CRC-32s (zip_cd_scan) */
    int64_t zip_entries;
    struct arc_map zip_links;
    /* what libarchive got through the ring: how much, and the last bytes
     * of the block before the one it holds (tar_end) */
    int64_t given;
    unsigned char back[1024];
    size_t back_len;
    /* called before the main thread waits for the ring (unpack: wakes the
     * writers, which may hold ring blocks the reader is waiting for) */
    void (*idle_hook)(void *ctx);
    void *idle_ctx;
};

/* Start reading is: sniff, start the helper thread, open libarchive.
 * From here on is belongs to rd (arc_reader_close closes it, also after a
 * failure).  FY_EINPUT for what is not an archive, FY_ERUNTIME. */
enum fy_rc arc_reader_open(struct arc_reader *rd,
                           struct fy_istream *is,
                           const char *phase,
                           const struct arc_read_opts *ro,
                           struct out *out,
                           struct fy_err *err);
void arc_reader_close(struct arc_reader *rd);
/* Record libarchive's error (unless one is recorded already). */
enum fy_rc arc_reader_fail(struct arc_reader *rd);
/* After the last entry: the tar's end checked, the rest of the input read
 * and checked (FY_EINPUT). */
enum fy_rc arc_reader_drain(struct arc_reader *rd);
/* A zip symlink's target against its central directory's CRC-32
 * (FY_EREFUSED, FY_EINPUT). */
enum fy_rc arc_zip_link_check(struct arc_reader *rd,
                              struct archive_entry *e,
                              const char *raw);

/* ---------------------------------------------- arc_walk.c: the walk */

/*
 * Where an entry's data may lie (SPEC, issue 9).  Every data block must be
 * inside the size the header declares, after the block before it; a gap is
 * allowed only in a sparse entry; a file that is not sparse must hold
 * exactly its declared size.  Holes are never hashed or written as zeros:
 * an unpacked sparse file gets its size from ftruncate(), and a sparse
 * entry never matches ferry's manifest (ferry never writes one).  So the
 * work is bounded by the data the archive really holds, whatever sizes
 * and offsets its headers declare.
 */
struct arc_span {
    int64_t size; /* declared, or -1: not known (a zip read from a pipe) */
    bool sparse;  /* a sparse entry: holes allowed */
    int64_t pos;  /* the end of the data seen so far */
};

struct arc_walk;
/* What unpack, verify or list do with one entry (not ferry's manifest),
 * its data still to be read from w->reader.a. */
typedef enum fy_rc (*arc_walk_fn)(struct arc_walk *w,
                                  struct archive_entry *e,
                                  enum arc_path_rc prc,
                                  const char *clean);

/*
 * One walk over an archive's entries (arc_walk_open .. arc_walk_close),
 * owned by the list, verify or unpack run on whose stack it is.
 */
struct arc_walk {
    struct arc_reader reader;
    struct arc_map seen; /* what the manifest check compares */
    int64_t recorded;
    struct arc_guard *guard; /* what the entry safety check knows */
    int strip;               /* unpack's --strip-components */
    int64_t headers;         /* entries libarchive returned */
    /* ferry's manifest, checked line by line as it is read; its first
     * failure is kept for the end of the walk (mf_err) */
    struct arc_mf_parser mf;
    struct fy_err mf_err;
    bool have_manifest; /* it was read: nothing may follow */
    XXH3_state_t *xx;
    arc_walk_fn fn;
    void *ctx;                               /* fn's */
    enum fy_rc (*drain)(struct arc_walk *w); /* before the manifest check */
    /* each manifest line that matched the archive (not 'u'), or NULL */
    enum fy_rc (*mf_hook)(void *ctx,
                          const struct arc_mf_line *l,
                          struct fy_err *err);
    void *mf_ctx;
    struct arc_stats *st;
    struct out *out;
    struct fy_err *err;
    const char *name;
};

enum fy_rc arc_walk_open(struct arc_walk *w,
                         struct fy_istream *is,
                         const char *phase,
                         const struct arc_read_opts *ro,
                         int strip,
                         arc_walk_fn fn,
                         void *ctx,
                         struct arc_stats *st,
                         struct out *out,
                         struct fy_err *err);
/* Every entry to w->fn, then the end of the input and the manifest
 * checked: FY_EINPUT (corrupt), FY_EREFUSED (unsafe, or not what the
 * manifest says), FY_ERUNTIME, FY_EINTR. */
enum fy_rc arc_walk_run(struct arc_walk *w);
void arc_walk_close(struct arc_walk *w);
/* Record an entry for the manifest check. */
void arc_walk_record(struct arc_walk *w,
                     const char *path,
                     char type,
                     int64_t size,
                     const unsigned char *hash,
                     bool sparse);

static inline void
arc_span_init(struct arc_span *sp, struct archive_entry *e)
{
    sp->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
    sp->sparse = archive_entry_sparse_count(e) > 0;
    sp->pos = 0;
}

/* The size to record: the declared one, or what the data came to. */
static inline int64_t
arc_span_size(const struct arc_span *sp)
{
    return sp->size >= 0 ? sp->size : sp->pos;
}

/* arc_span_block's check of a block that does not simply follow. */
enum fy_rc arc_span_check(struct arc_walk *w,
                          struct arc_span *sp,
                          const char *raw,
                          int64_t off,
                          size_t len);

/* One data block of len bytes at off: FY_EINPUT if it is not where the
 * span allows. */
static inline enum fy_rc
arc_span_block(struct arc_walk *w,
               struct arc_span *sp,
               const char *raw,
               int64_t off,
               size_t len)
{
    if (off == sp->pos && sp->size >= 0 && off <= sp->size &&
        (int64_t)len <= sp->size - off) {
        sp->pos = off + (int64_t)len;
        return FY_OK;
    }
    return arc_span_check(w, sp, raw, off, len);
}

/* After the last block: a file that is not sparse is whole (FY_EINPUT). */
enum fy_rc
arc_span_end(struct arc_walk *w, const struct arc_span *sp, const char *raw);
/* A data read that returned neither OK nor EOF (FY_EINPUT, FY_EREFUSED). */
enum fy_rc arc_data_fail(struct arc_walk *w, int r, const char *raw);
/* libarchive's disk writer failed on entry raw. */
enum fy_rc arc_disk_fail(struct arc_walk *w,
                         struct archive *disk,
                         enum arc_side side,
                         const char *raw);

/* The next data block of the entry being read (archive_read_data_block). */
static inline int
arc_data_next(struct archive *a, const void **buf, size_t *len, int64_t *off)
{
    la_int64_t o = 0;
    int r = archive_read_data_block(a, buf, len, &o);
    *off = o;
    return r;
}

/*
 * The next data block of the entry being read, after a check for an
 * interruption and against the entry's declared span.  Returns 1 with the
 * block, 0 at the entry's end, or -1 with *rc set.
 */
static inline int
arc_entry_block(struct arc_walk *w,
                struct arc_span *sp,
                const char *raw,
                const void **buf,
                size_t *len,
                int64_t *off,
                enum fy_rc *rc)
{
    if (fy_interrupted()) {
        *rc = fy_fail(w->err, FY_EINTR, "%s: interrupted", w->name);
        return -1;
    }
    int r = arc_data_next(w->reader.a, buf, len, off);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK) {
        *rc = arc_data_fail(w, r, raw);
        return -1;
    }
    return (*rc = arc_span_block(w, sp, raw, *off, *len)) == FY_OK ? 1 : -1;
}

/* Read all data of the current entry, checked against sp, hashed into
 * hash and, with disk, written there (never a sparse entry). */
enum fy_rc arc_pump(struct arc_walk *w,
                    struct arc_span *sp,
                    struct archive *disk,
                    const char *raw,
                    unsigned char hash[16],
                    int64_t *bytes);

/* What arc_gate_entry made of an entry. */
enum arc_gate_kind {
    GATE_ROOT,    /* "./", the target itself: nothing to create */
    GATE_SPECIAL, /* a device, FIFO or socket: unpack skips it */
    GATE_SKIP,    /* stripped away, or under the top-level .ferry/ */
    GATE_MAKE     /* an entry to create at fin */
};

/* An entry that passed the gate; hl is owned (free it), the rest is
 * borrowed from the entry. */
struct arc_gate {
    enum arc_gate_kind kind;
    char type;            /* arc_entry_type() */
    const char *raw;      /* the path as stored, for messages */
    const char *fin;      /* the clean path after --strip-components */
    const char *fin_hl;   /* a hardlink's clean target after it, or NULL */
    char *hl;             /* a hardlink's clean target (owned) */
    bool state;           /* under the top-level .ferry/ */
    unsigned char lh[16]; /* a link's target, as the manifest hashes it */
};

/* The entry safety check shared by unpack, verify and list: FY_EREFUSED
 * (unsafe), FY_EINPUT (corrupt); on FY_OK g says what to do.  Free g->hl
 * either way. */
enum fy_rc arc_gate_entry(struct arc_walk *w,
                          struct archive_entry *e,
                          enum arc_path_rc prc,
                          const char *clean,
                          const struct arc_span *sp,
                          struct arc_gate *g);
/* The entry of g was made or read: later entries are checked against it. */
void arc_gate_pass(struct arc_walk *w, const struct arc_gate *g);
/* Record the entry of g for the manifest check (h: a file's data hash). */
void arc_gate_record(struct arc_walk *w,
                     const struct arc_gate *g,
                     const char *clean,
                     const struct arc_span *sp,
                     const unsigned char h[16]);

/* ------------------------------- arc_pwrite.c: unpack's regular files */

/* What a file created without its data needs once the data is in. */
struct arc_made {
    bool fix_mode; /* created writable for us: put the mode back */
    mode_t mode;
    struct timespec times[2];
};

/* Put the mode and times back after writing; false on error (errno). */
static inline bool
arc_file_seal(int fd, const struct arc_made *m)
{
    return (!m->fix_mode || fchmod(fd, m->mode) == 0) &&
           futimens(fd, m->times) == 0;
}

/* Create entry e's regular file at fin through disk, without its data,
 * and open it (*fd) for writing; seal it with m afterwards. */
enum fy_rc arc_file_make(struct arc_walk *w,
                         struct archive *disk,
                         struct archive_entry *e,
                         const char *raw,
                         const char *fin,
                         struct arc_made *m,
                         int *fd);
/* A write of entry data failed with errno: FY_EINPUT for a size the
 * filesystem refuses, else FY_ERUNTIME. */
enum fy_rc arc_write_fail(struct arc_walk *w, const char *raw, int64_t size);
/* A sparse entry e (never ferry's), made at fin and its data blocks
 * written at their offsets; hash covers the blocks only. */
enum fy_rc arc_file_sparse(struct arc_walk *w,
                           struct archive *disk,
                           struct archive_entry *e,
                           const char *raw,
                           const char *fin,
                           struct arc_span *sp,
                           unsigned char hash[16]);

/*
 * unpack's writer pool (arc_pwrite.c): threads that make regular files
 * beneath the staging directory and write them while the main thread goes
 * on reading.  Owned by the unpack run; arc_writers_free() stops and frees
 * it.
 */
struct arc_writers;
/* NULL: no pool (no ring to share, or FERRY_UNPACK_WRITERS=0).  Files are
 * made beneath stage_fd, which outlives the pool. */
struct arc_writers *
arc_writers_new(struct ring *ring, int stage_fd, const char *name);
void arc_writers_free(struct arc_writers *pool, bool cancel);
/* Wake every idle writer that has jobs (the reader's idle hook). */
void arc_writers_wake(void *pool);
/* A writer's failure, if any, copied into w->err. */
enum fy_rc arc_writers_failed(struct arc_writers *pool, struct arc_walk *w);
/* Regular file entry e (not sparse, its size declared) made at fin and
 * written by the pool; its data checked against sp and hashed into hash. */
enum fy_rc arc_writers_file(struct arc_writers *pool,
                            struct arc_walk *w,
                            struct archive_entry *e,
                            const char *raw,
                            const char *fin,
                            struct arc_span *sp,
                            unsigned char hash[16]);
/* Wait until every file handed to the pool is made and written (an entry
 * that must come after them: a hardlink, a name made before). */
enum fy_rc arc_writers_sync(struct arc_writers *pool, struct arc_walk *w);
/* Wait for the writers and the writeback they started. */
enum fy_rc arc_writers_drain(struct arc_writers *pool, struct arc_walk *w);

/*
 * pack's opener (arc_prefetch.c): a helper thread opens the regular files
 * pack will read (scan entries that keep allows; keep NULL: all), in scan
 * order and a bounded way ahead, and starts the kernel reading them.
 * take: entry i's open, as *fd (-1: failed with *err) and its fstat (*st,
 * if *have_st); false when there is no helper (open it yourself).  stop closes
 * what was not taken.
 */
#define ARC_PF_HINT ((int64_t)8 << 20) /* a file's bytes announced at once */
struct arc_prefetch;
struct arc_prefetch *
arc_prefetch_start(int rootfd, const struct arc_scan *scan, const bool *keep);
bool arc_prefetch_take(struct arc_prefetch *pf,
                       size_t i,
                       int *fd,
                       int *err,
                       struct stat *st,
                       bool *have_st);
void arc_prefetch_stop(struct arc_prefetch *pf);
/* The directory pack last opened a file in, kept open (the files of one
 * directory come in a row): reached beneath the root without following a
 * symlink, so a directory swapped for a symlink is not walked through. */
struct arc_dircache {
    int fd;
    struct sbuf path;
};
#define ARC_DIRCACHE_INIT                                                      \
    {                                                                          \
        -1, SBUF_INIT                                                          \
    }
/* The file at path (relative to rootfd) opened as pack reads it: beneath
 * its cached directory, read-only, not followed if a symlink, O_NONBLOCK
 * (a FIFO swapped in never blocks), no atime where allowed; -1 with
 * errno. */
int arc_pack_open(struct arc_dircache *dc, int rootfd, const char *path);
void arc_dircache_release(struct arc_dircache *dc);

#endif
