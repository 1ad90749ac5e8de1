/*
 * arc_read.c - reading an archive: a helper thread reads the input stream
 * and, for zstd, xz, gzip, bzip2 and lz4 (told by their magic bytes),
 * decompresses it into a ring of RING_SLOTS blocks (with memory limits,
 * every checksum of the stream checked, to the end of the input);
 * libarchive reads the blocks in place (no copy) on the calling thread
 * and parses only tar and zip (struct arc_reader).  A zip file is read by
 * libarchive's seeking reader instead, its central directory checked
 * here first.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <archive.h>
#include <archive_entry.h>

#include "arc_int.h"
#include "arc_zstd.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/* Fill dst with up to cap bytes of (decompressed) archive; *end: no more. */
static enum fy_rc
produce(struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    *dlen = 0;
    *end = false;
    if (r->zstd != NULL)
        return arc_zstd_produce(r, r->zstd, dst, cap, dlen, end);
    if (r->dec != NULL)
        return arc_decoder_produce(r, dst, cap, dlen, end);
    while (*dlen < cap) {
        if (r->in_pos < r->in_len) { /* the sniffed bytes */
            size_t n = r->in_len - r->in_pos;
            n = n < cap - *dlen ? n : cap - *dlen;
            memcpy(dst + *dlen, r->in + r->in_pos, n);
            r->in_pos += n;
            *dlen += n;
            continue;
        }
        if (r->in_eof) {
            *end = true;
            return FY_OK;
        }
        size_t got;
        enum fy_rc rc = arc_ring_read(r, dst + *dlen, cap - *dlen, &got);
        if (rc != FY_OK)
            return rc;
        if (got == 0)
            r->in_eof = true;
        *dlen += got;
    }
    return FY_OK;
}

static void *
ring_main(void *arg)
{
    struct ring *r = arg;
    arc_thread_signals();
    enum fy_rc rc = FY_OK;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while ((r->head - r->tail >= RING_SLOTS ||
                r->refs[r->head % RING_SLOTS] > 0) &&
               !atomic_load(&r->stop))
            pthread_cond_wait(&r->cv, &r->mu);
        pthread_mutex_unlock(&r->mu);
        if (atomic_load(&r->stop))
            break;
        size_t dlen = 0;
        bool end = false;
        rc = produce(r, r->slot[r->head % RING_SLOTS], RING_SLOT, &dlen, &end);
        if (dlen > 0) {
            pthread_mutex_lock(&r->mu);
            r->len[r->head % RING_SLOTS] = dlen;
            r->head++;
            pthread_cond_broadcast(&r->cv);
            pthread_mutex_unlock(&r->mu);
        }
        if (rc != FY_OK || end)
            break;
    }
    pthread_mutex_lock(&r->mu);
    r->done = true;
    r->rc = rc;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* --------------------------------------------- reading: the archive */

static la_ssize_t
reader_read_cb(struct archive *a, void *ctx, const void **buf)
{
    struct arc_reader *rd = ctx;
    struct ring *r = &rd->ring;
    pthread_mutex_lock(&r->mu);
    if (r->held) {
        const unsigned char *old = r->slot[r->tail % RING_SLOTS];
        size_t len = r->len[r->tail % RING_SLOTS];
        rd->back_len = len < sizeof rd->back ? len : sizeof rd->back;
        memcpy(rd->back, old + len - rd->back_len, rd->back_len);
        r->tail++;
        r->held = false;
        pthread_cond_broadcast(&r->cv);
    }
    if (r->head == r->tail && !r->done && rd->idle_hook != NULL) {
        pthread_mutex_unlock(&r->mu);
        rd->idle_hook(rd->idle_ctx);
        pthread_mutex_lock(&r->mu);
    }
    while (r->head == r->tail && !r->done && !fy_interrupted()) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    if (r->head != r->tail) {
        *buf = r->slot[r->tail % RING_SLOTS];
        size_t n = r->len[r->tail % RING_SLOTS];
        r->held = true;
        rd->given += (int64_t)n;
        pthread_mutex_unlock(&r->mu);
        rd->prog.p.done = (int64_t)atomic_load(&r->in_bytes);
        arc_tick(rd->out, &rd->prog, false);
        return (la_ssize_t)n;
    }
    bool done = r->done;
    enum fy_rc rc = r->rc;
    pthread_mutex_unlock(&r->mu);
    if (!done) {
        fy_fail(rd->err, FY_EINTR, "%s: interrupted", rd->name);
        archive_set_error(a, EINTR, "interrupted");
        return -1;
    }
    if (rc != FY_OK) {
        fy_fail(rd->err, rc, "%s", r->err.msg);
        archive_set_error(a, ARCHIVE_ERRNO_MISC, "%s", r->err.msg);
        return -1;
    }
    return 0;
}

/* Are the n bytes at p all zero? */
static bool
all_zero(const unsigned char *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static enum fy_rc
tar_after_end(struct arc_reader *rd)
{
    return fy_fail(rd->err, FY_EINPUT,
                   "%s: corrupt tar: data after its end-of-archive marker "
                   "(a zeroed stretch hides what follows, or tars were "
                   "joined)",
                   rd->name);
}

/*
 * A tar has ended (libarchive returned ARCHIVE_EOF), at `used` bytes: the
 * end-of-archive marker must be there (a zero block; POSIX writes two),
 * since libarchive also takes the input's end right after an entry for
 * the archive's end, and a tar cut between two entries would pass for
 * whole; and only zeros (the padding every tar writer adds) may follow,
 * since a zeroed stretch inside a tar looks like the marker and would hide
 * every entry after it.  libarchive has looked at most one block beyond
 * what it used, so the bytes to check are in the block it holds, or in the
 * last bytes of the one before (rd->back).
 */
static enum fy_rc
tar_end(struct arc_reader *rd)
{
    struct ring *r = &rd->ring;
    int64_t used = archive_filter_bytes(rd->a, 0);
    const unsigned char *cur = r->held ? r->slot[r->tail % RING_SLOTS] : NULL;
    int64_t cur_len = r->held ? (int64_t)r->len[r->tail % RING_SLOTS] : 0;
    int64_t cur_at = rd->given - cur_len,
            back_at = cur_at - (int64_t)rd->back_len;
    if (used < 512 || used - 512 < back_at || used > rd->given)
        return FY_OK; /* not where libarchive leaves it: nothing to say */
    for (int64_t x = used - 512; x < rd->given; x++) {
        unsigned char c = x < cur_at ? rd->back[x - back_at] : cur[x - cur_at];
        if (c != 0 && x < used)
            return fy_fail(rd->err, FY_EINPUT,
                           "%s: truncated (the tar ends without its "
                           "end-of-archive marker)",
                           rd->name);
        if (c != 0)
            return tar_after_end(rd);
    }
    return FY_OK;
}

/*
 * The archive has ended: a tar's end is checked (tar_end), then what is
 * left of the input is read through the ring, so that the compressed
 * stream's last checksums (a zstd frame's, the xz and gzip trailers) are
 * checked too and a stream cut after the marker is still "truncated"; all
 * of it must be zeros after a tar.  Bounded by the input; interruptible.
 */
enum fy_rc
arc_reader_drain(struct arc_reader *rd)
{
    const void *buf;
    la_ssize_t n = 0;
    if (!rd->ring.started)
        return FY_OK; /* a zip read by libarchive itself */
    bool tar = (archive_format(rd->a) & ARCHIVE_FORMAT_BASE_MASK) ==
               ARCHIVE_FORMAT_TAR;
    enum fy_rc rc = tar ? tar_end(rd) : FY_OK;
    while (rc == FY_OK && (n = reader_read_cb(rd->a, rd, &buf)) > 0)
        if (tar && !all_zero(buf, (size_t)n))
            rc = tar_after_end(rd);
    if (rc == FY_OK && n < 0)
        rc = rd->err->rc;
    return rc;
}

enum fy_rc
arc_reader_fail(struct arc_reader *rd)
{
    if (rd->err->rc != FY_OK)
        return rd->err->rc;
    const char *la = archive_error_string(rd->a);
    char *why = out_escape(la ? la : "unreadable archive"); /* names, raw */
    fy_fail(rd->err, arc_rc_from_errno(archive_errno(rd->a), ARC_SIDE_READ),
            "%s: %s", rd->name, why);
    free(why);
    return rd->err->rc;
}

static uint64_t
le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A window on a file, moved with pread() as a parse goes on. */
#define FWIN (1u << 20) /* more than a zip directory entry can take */
struct fwin {
    int fd;
    int64_t size;
    unsigned char *buf;
    int64_t off; /* where buf[0] is in the file */
    size_t len;
};

/* Point *p at n <= FWIN bytes of the file at pos; false if it ends
 * first.  Earlier pointers may move. */
static bool
fwin_get(struct fwin *f, int64_t pos, size_t n, const unsigned char **p)
{
    if (pos < 0 || pos > f->size || (int64_t)n > f->size - pos)
        return false;
    if (pos < f->off || pos + (int64_t)n > f->off + (int64_t)f->len) {
        size_t want =
            f->size - pos < (int64_t)FWIN ? (size_t)(f->size - pos) : FWIN;
        if (pread(f->fd, f->buf, want, (off_t)pos) != (ssize_t)want)
            return false;
        f->off = pos;
        f->len = want;
    }
    *p = f->buf + (pos - f->off);
    return true;
}

static unsigned
le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

/*
 * What libarchive 3.6.2's seeking zip reader leaves unchecked, read from
 * a zip file's central directory: the number of entries its end record
 * (the last "PK\5\6" near the end, or the zip64 record its locator names,
 * checked as libarchive checks them) says it holds, which libarchive never
 * compares with the entries it reads -- a damaged record made a zip read
 * as holding fewer entries, or none -- and the CRC-32 of every symlink,
 * whose target libarchive reads without checking it.  The directory must
 * end where the end record begins (or the zip64 record), as every zip
 * writer puts it.  FY_EINPUT if it is not there.
 */
static enum fy_rc
zip_cd_scan(struct arc_reader *rd, int fd, int64_t size, struct fy_err *err)
{
    struct fwin f = {fd, size, xmalloc(FWIN), 0, 0};
    const unsigned char *p;
    int64_t tail = size < (int64_t)(128u << 10) + 22 ? size : (128u << 10) + 22;
    int64_t epos = -1, n = 0, cd_size = 0, cd_end, seen = 0;
    if (tail >= 22 && fwin_get(&f, size - tail, (size_t)tail, &p))
        for (int64_t i = tail - 22; i >= 0 && epos < 0; i--)
            if (memcmp(p + i, "PK\5\6", 4) == 0) {
                epos = size - tail + i;
                n = le16(p + i + 10);
                cd_size = le32(p + i + 12);
            }
    cd_end = epos;
    if (epos >= 20 && fwin_get(&f, epos - 20, 20, &p) &&
        memcmp(p, "PK\6\7", 4) == 0 && le32(p + 4) == 0 && le32(p + 16) == 1 &&
        le64(p + 8) <= (uint64_t)INT64_MAX) {
        int64_t zpos = (int64_t)le64(p + 8);
        if (fwin_get(&f, zpos, 56, &p) && le32(p + 16) == 0 &&
            le32(p + 20) == 0 && le64(p + 24) == le64(p + 32) &&
            le64(p + 32) <= (uint64_t)INT64_MAX &&
            le64(p + 40) <= (uint64_t)INT64_MAX) {
            n = (int64_t)le64(p + 32); /* zip64: libarchive uses this one */
            cd_size = (int64_t)le64(p + 40);
            cd_end = zpos;
        }
    }
    int64_t pos = cd_end - cd_size;
    while (epos >= 0 && pos >= 0 && pos < cd_end) {
        if (fy_interrupted()) {
            free(f.buf);
            return fy_fail(err, FY_EINTR, "%s: interrupted", rd->name);
        }
        if (!fwin_get(&f, pos, 46, &p))
            break;
        if (memcmp(p, "PK\5\5", 4) == 0) { /* its digital signature */
            pos = cd_end;
            break;
        }
        if (memcmp(p, "PK\1\2", 4) != 0)
            break;
        size_t nl = le16(p + 28);
        int64_t next = pos + 46 + (int64_t)nl + le16(p + 30) + le16(p + 32);
        /* libarchive's rule: a mode only from a Unix "version made by" */
        uint32_t crc = le32(p + 16), mode = le32(p + 38) >> 16;
        if ((le16(p + 4) >> 8) == 3 && (mode & S_IFMT) == S_IFLNK) {
            if (!fwin_get(&f, pos + 46, nl, &p))
                break;
            struct arc_map_val *v = arc_map_put(&rd->zip_links, p, nl);
            v->type = 'l';
            v->crc = crc;
        }
        pos = next;
        seen++;
    }
    free(f.buf);
    if (epos < 0 || pos != cd_end || seen != n)
        return fy_fail(err, FY_EINPUT,
                       "%s: corrupt zip: no central directory of %" PRId64
                       " entries where its end record says",
                       rd->name, n);
    rd->zip_entries = n;
    return FY_OK;
}

/*
 * A symlink of a zip file: its target against the CRC-32 its central
 * directory holds (zip_cd_scan).
 */
enum fy_rc
arc_zip_link_check(struct arc_reader *rd,
                   struct archive_entry *e,
                   const char *raw)
{
    const struct arc_map_val *v = arc_map_get(&rd->zip_links, raw, strlen(raw));
    const char *target = archive_entry_symlink(e);
    target = target ? target : "";
    if (v == NULL)
        return arc_entry_fail(rd->err, FY_EINPUT, rd->name, raw,
                              "corrupt zip: a symlink its central directory "
                              "does not list");
    uLong crc = crc32(0L, (const Bytef *)target, (uInt)strlen(target));
    if ((uint32_t)crc == v->crc)
        return FY_OK;
    char why[96];
    snprintf(why, sizeof why,
             "checksum mismatch (ZIP bad CRC: 0x%08lx should be 0x%08lx)",
             (unsigned long)crc, (unsigned long)v->crc);
    return arc_entry_fail(rd->err, FY_EREFUSED, rd->name, raw, why);
}

/*
 * A zip keeps modes and symlink flags in its central directory, at the end:
 * libarchive must seek to find them, so a zip file is read by libarchive
 * directly (no helper thread), and only by its seeking reader: its
 * streaming one would take a zip whose central directory is cut off for
 * a whole one (and its symlinks for files).
 */
static enum fy_rc
reader_open_zip(struct arc_reader *rd,
                struct fy_istream *is,
                struct fy_err *err)
{
    rd->a = archive_read_new();
    if (rd->a == NULL)
        return fy_fail(err, FY_ERUNTIME, "%s: out of memory", is->name);
    archive_read_support_format_zip_seekable(rd->a);
    if (archive_read_open_fd(rd->a, is->fd, IN_CHUNK) == ARCHIVE_OK)
        return zip_cd_scan(rd, is->fd, is->size, err);
    if (archive_errno(rd->a) == ARCHIVE_ERRNO_FILE_FORMAT)
        return fy_fail(err, FY_EINPUT,
                       "%s: corrupt or truncated zip (no end of central "
                       "directory record)",
                       is->name);
    return arc_reader_fail(rd);
}

/*
 * Sniff the first bytes of the input (in r->in): zstd (r->zstd), xz,
 * gzip, bzip2 and lz4 (r->dec) are decoded by the reader thread,
 * anything else is handed to libarchive as it is.
 */
static enum fy_rc
codec_start(struct ring *r, struct fy_err *err)
{
    enum fy_rc rc =
        arc_zstd_magic(r->in, r->in_len)
            ? arc_zstd_reader_new(&r->zstd, r->window_log, r->is->name, err)
            : arc_decoder_start(r, err);
    if (r->zstd != NULL || r->dec != NULL) {
        struct stat sb;
        r->is_file =
            r->is->fd >= 0 && fstat(r->is->fd, &sb) == 0 && S_ISREG(sb.st_mode);
        r->refill = IN_CHUNK;
    }
    return rc;
}

/* Start reading is: sniff, start the helper thread, open libarchive.
 * From here on is belongs to rd (arc_reader_close closes it). */
enum fy_rc
arc_reader_open(struct arc_reader *rd,
                struct fy_istream *is,
                const char *phase,
                const struct arc_read_opts *ro,
                struct out *out,
                struct fy_err *err)
{
    struct ring *r = &rd->ring;
    memset(rd, 0, sizeof *rd);
    rd->err = err;
    rd->out = out;
    rd->name = is->name;
    rd->opened = true;
    rd->zip_entries = -1;
    arc_tick_init(&rd->prog, phase, is->size);
    r->is = is;
    r->window_log = ro != NULL && ro->window_log > 0 ? ro->window_log
                                                     : ARC_WINDOW_LOG_DEFAULT;
    atomic_init(&r->stored_frames, 0);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->stop, false);
    atomic_init(&r->in_bytes, 0);
    r->in = xmalloc(IN_CHUNK);
    /* the first bytes tell zstd, xz, gzip, bzip2 and lz4 (decoded here)
     * from the rest (libarchive) */
    while (r->in_len < 10) {
        size_t got;
        enum fy_rc rc = is->read(is->ctx, r->in + r->in_len,
                                 IN_CHUNK - r->in_len, &got, err);
        if (rc != FY_OK)
            return rc;
        if (got == 0) {
            r->in_eof = true;
            break;
        }
        r->in_len += got;
        atomic_fetch_add(&r->in_bytes, (long long)got);
    }
    if (r->in_len == 0)
        return fy_fail(err, FY_EINPUT, "%s: empty input, not an archive",
                       is->name);
    if (r->in_len >= 4 && memcmp(r->in, "PK", 2) == 0) {
        if (is->fd >= 0 && is->size >= 0 && lseek(is->fd, 0, SEEK_SET) == 0)
            return reader_open_zip(rd, is, err);
        out_warn(out,
                 "%s: a zip read from a pipe shows no modes or "
                 "symlinks (they are at its end): read it from a file",
                 is->name);
    }
    enum fy_rc rc = codec_start(r, err);
    if (rc != FY_OK)
        return rc;
    for (int i = 0; i < RING_SLOTS; i++)
        r->slot[i] = xmalloc(RING_SLOT);
    if (pthread_create(&r->th, NULL, ring_main, r) != 0)
        return fy_fail(err, FY_ERUNTIME, "%s: cannot start a thread", is->name);
    r->started = true;
    rd->a = archive_read_new();
    if (rd->a == NULL)
        return fy_fail(err, FY_ERUNTIME, "%s: out of memory", is->name);
    /* only what ferry and the tools it interoperates with write; zstd, xz,
     * gzip, bzip2 and lz4 are decoded by the ring, with ferry's memory
     * limits and every checksum checked, so libarchive's own decoders are
     * left out: a stream nested in another cannot get around them */
    archive_read_support_format_tar(rd->a);
    archive_read_support_format_zip(rd->a);
    if (archive_read_open2(rd->a, rd, NULL, reader_read_cb, NULL, NULL) !=
        ARCHIVE_OK)
        return arc_reader_fail(rd);
    return FY_OK;
}

void
arc_reader_close(struct arc_reader *rd)
{
    struct ring *r = &rd->ring;
    if (rd->a != NULL)
        archive_read_free(rd->a);
    rd->a = NULL;
    if (r->started) {
        atomic_store(&r->stop, true);
        pthread_mutex_lock(&r->mu);
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->th, NULL);
        r->started = false;
    }
    if (rd->opened) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        for (int i = 0; i < RING_SLOTS; i++)
            free(r->slot[i]);
        free(r->in);
        arc_zstd_reader_free(r->zstd);
        arc_decoder_free(r->dec);
        arc_map_release(&rd->zip_links);
        r->is->close(r->is->ctx);
        rd->opened = false;
    }
    rd->prog.p.done = (int64_t)atomic_load(&r->in_bytes);
    arc_tick(rd->out, &rd->prog, true);
}
