/*
 * arc.c - the archive engine behind pack, unpack, list and verify; the only
 * file that includes <archive.h>, <zstd.h>, <lzma.h>, <zlib.h>, <bzlib.h>
 * and <lz4frame.h>.
 *
 * pack: a pre-scan walks the tree (sorted per directory, excludes applied,
 * the output file skipped) and gives the totals for progress; then every
 * entry is written as a pax tar entry (or zip).  File data is read in
 * ARC_BLOCK pieces, hashed with XXH3-128 and handed to libarchive, whose
 * uncompressed tar stream goes to our write callback: for tar.zst that is
 * the zstd writer below ("zw": libzstd frames for compressible bytes,
 * stored frames for random-looking file data), for the other formats the
 * stream already filtered by libarchive.  The manifest is the last entry.
 * Output goes to a struct fy_ostream, committed only if all went well.
 *
 * unpack/list/verify: a helper thread reads the input stream and, for
 * zstd, xz, gzip, bzip2 and lz4 (told by their magic bytes),
 * decompresses it into a ring of RING_SLOTS blocks
 * (with memory limits, every checksum of the stream checked, to the end of
 * the input); libarchive reads the blocks in place (no copy) on the
 * calling thread and parses only tar and zip.  ferry's own stored
 * frames (SF_HEAD) are decoded by that thread itself: their raw blocks are
 * read straight into the ring and their XXH64 computed as they pass.
 * unpack, list and verify walk the entries the same way (walk_run): each
 * entry passes the same checks (entry_gate: arc_entry_check(), data within
 * its declared size, a zip symlink's CRC-32) and is hashed, and the
 * manifest is compared at the end; list prints what passed, and unpack has
 * libarchive's archive_write_disk (with the SECURE_* flags) create it; the
 * data of bigger files is then written by writer threads ("pw"), the rest
 * by libarchive; all of it is hashed as it is written and compared with
 * the manifest (the last entry) at the end.
 * Extraction happens in a locked staging directory beside the target,
 * which is synced (syncfs) and renamed into place only when every check
 * passed.
 *
 * Invariants: nothing is written outside the staging directory; the target
 * is touched only by the final rename (or RENAME_EXCHANGE with --force);
 * every error path removes the staging tree and restores the cwd; the work
 * done for an entry is bounded by the bytes the archive holds, never by
 * the sizes or offsets its headers declare (struct span); every loop polls
 * fy_interrupted().
 */
#include "ferry/arc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <xxhash.h>
#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<xxh_x86dispatch.h>)
/* Debian's libxxhash picks SSE2/AVX2/AVX-512 for XXH3 at run time when
 * called through these names: ~2.7x faster than the baseline build */
#include <xxh_x86dispatch.h>
#endif
#endif
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "ferry/cli.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

#define ARC_BLOCK     (256u << 10) /* file data read per call (pack) */
#define RING_SLOTS    8            /* blocks in flight (unpack) */
#define RING_SLOT     (1u << 20)   /* bytes per block */
#define IN_CHUNK      (1u << 20)   /* compressed bytes read per call */
#define ZOUT_CAP      (1u << 20)   /* output buffered before a write */
#define ZIN_CAP       (1u << 20)   /* compressible input gathered per call */
#define ZJOB_SIZE     (4 << 20)    /* libzstd worker job */
#define RAW_BLOCK     (128u << 10) /* zstd's largest block */
#define RAW_MIN       (16u << 10)  /* smaller pieces are always compressed */
#define RAW_CHI2      568u         /* below this, store (see looks_random) */
#define MANIFEST_MAX  (256u << 20) /* a bigger ".ferry/manifest" is not ours */
#define KICK_MIN      (256u << 10) /* start writeback of files this big */
#define MSG_TRUNCATED "truncated (the zstd stream ends inside a frame)"

/*
 * The header of ferry's stored frames: zstd magic, descriptor (checksum, no
 * size, no dictionary), window 144 KiB.  libzstd writes every window as a
 * power of two (mantissa 0); the mantissa 1 here lets a reader tell these
 * frames, which hold raw blocks only, from the frames libzstd writes.
 * Archives of earlier versions have 0x38 (128 KiB) and are read by libzstd.
 */
static const unsigned char SF_HEAD[6] = {0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x39};

/*
 * libarchive's own error numbers (archive_private.h, not installed): format
 * errors are EILSEQ on Linux (no EFTYPE), internal ones -1 and EINVAL.
 */
#define ARCHIVE_ERRNO_FILE_FORMAT EILSEQ
#define ARCHIVE_ERRNO_PROGRAMMER  EINVAL
#define ARCHIVE_ERRNO_MISC        (-1)

/* ---------------------------------------------------------------- common */

enum fy_rc
arc_rc_from_errno(int e, enum arc_side side)
{
    bool lib = e == 0 || e == ARCHIVE_ERRNO_FILE_FORMAT ||
               e == ARCHIVE_ERRNO_MISC || e == ARCHIVE_ERRNO_PROGRAMMER;
    if (e == ENAMETOOLONG && side == ARC_SIDE_EXTRACT)
        return FY_EINPUT; /* a name no filesystem holds: the archive's */
    if (!lib)
        return FY_ERUNTIME;
    switch (side) {
    case ARC_SIDE_READ:
        return FY_EINPUT;
    case ARC_SIDE_EXTRACT:
        /*
         * Only libarchive's own refusals (its SECURE checks: errno 0 or
         * ARCHIVE_ERRNO_MISC) are refusals for safety.  EINVAL is also a
         * system call's ("Seek failed", from lseek) and EILSEQ a name it
         * cannot convert: I/O (1) and the archive's doing (3).
         */
        if (e == ARCHIVE_ERRNO_FILE_FORMAT)
            return FY_EINPUT;
        if (e == ARCHIVE_ERRNO_PROGRAMMER)
            return FY_ERUNTIME;
        return FY_EREFUSED;
    default:
        return FY_ERUNTIME;
    }
}

void
arc_pack_opts_init(struct arc_pack_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = ARC_FMT_TAR_ZST;
}

void
arc_pack_opts_release(struct arc_pack_opts *o)
{
    strlist_release(&o->excludes);
    strlist_release(&o->exclude_files);
}

static int
ncpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void
xx_digest(XXH3_state_t *xx, unsigned char out[16])
{
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(xx));
    memcpy(out, c.digest, 16);
}

static XXH3_state_t *
xx_new(void)
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
 * first second, and the final line only if a line was drawn before.
 */
struct tick {
    struct out_progress p;
    double t0;
    bool shown;
};

static void
tick_init(struct tick *t, const char *phase, int64_t total)
{
    t->p = (struct out_progress)OUT_PROGRESS_INIT;
    t->p.phase = phase;
    t->p.total = total;
    t->t0 = out_now();
    t->shown = false;
}

static void
tick(struct out *out, struct tick *t, bool final)
{
    if (t->p.phase == NULL)
        return;
    if (!final) {
        if (!t->shown && out_now() - t->t0 < 1.0)
            return;
        t->shown = true;
        out_progress(out, &t->p, false);
    } else if (t->shown) {
        out_progress(out, &t->p, true);
        out_progress_end(out);
    }
}

/*
 * Archive names are UTF-8 in pax headers.  libarchive converts from the
 * thread's locale, which is "C" unless main() set one, and then stores
 * every non-ASCII name as raw bytes with hdrcharset=BINARY (GNU tar warns
 * about that keyword).  Run the engine in C.UTF-8: valid UTF-8 names are
 * stored as such, only invalid ones fall back to BINARY.
 */
static locale_t
utf8_enter(locale_t *old)
{
    locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    *old = loc != (locale_t)0 ? uselocale(loc) : (locale_t)0;
    return loc;
}

static void
utf8_leave(locale_t loc, locale_t old)
{
    if (loc != (locale_t)0) {
        uselocale(old);
        freelocale(loc);
    }
}

/* "<archive>: entry '<path>': <why>", both escaped (libarchive's whys
 * quote names raw), the path cut short if it would crowd out the why. */
static enum fy_rc
entry_fail(struct fy_err *err,
           enum fy_rc rc,
           const char *arc,
           const char *path,
           const char *why)
{
    char *e = out_escape(path), *y = out_escape(why);
    size_t n = strlen(e), max = 300;
    if (n > max) {
        while (max > 0 && ((unsigned char)e[max] & 0xc0) == 0x80)
            max--; /* not inside a UTF-8 sequence */
        memcpy(e + max, "...", 4);
    }
    fy_fail(err, rc, "%s: entry '%s': %s", arc, e, y);
    free(e);
    free(y);
    return err->rc;
}

static char
entry_type(struct archive_entry *e)
{
    if (archive_entry_hardlink(e) != NULL)
        return 'h';
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return 'f';
    case AE_IFDIR:
        return 'd';
    case AE_IFLNK:
        return 'l';
    case AE_IFCHR:
        return 'c';
    case AE_IFBLK:
        return 'b';
    case AE_IFIFO:
        return 'p';
    case AE_IFSOCK:
        return 's';
    default:
        return 'f'; /* old tar: a type 0 entry is a file */
    }
}

static const char *
special_name(char type)
{
    switch (type) {
    case 'c':
        return "character device";
    case 'b':
        return "block device";
    case 'p':
        return "FIFO";
    case 's':
        return "socket";
    default:
        return "special file";
    }
}

/* ------------------------------------------------------------------ pack */

struct pent {
    size_t path; /* offset into packer.names */
    mode_t mode;
    nlink_t nlink;
    uid_t uid;
    gid_t gid;
    struct timespec mtime;
};

struct packer {
    const struct arc_pack_opts *o;
    enum arc_format fmt;
    struct out *out;
    struct fy_err *err;
    struct arc_stats *st;
    const char *dir;
    const char *name; /* the archive, for messages */
    int rootfd;
    struct arc_excludes ex;
    struct sbuf names;
    struct pent *ents;
    size_t n, cap;
    struct sbuf path;
    dev_t skip_dev[2];
    ino_t skip_ino[2];
    int nskip;
    int64_t total;
    struct archive *a;
    struct archive_entry *e;
    struct fy_ostream *os;
    struct zw *zw; /* tar.zst: our zstd writer */
    bool raw;      /* the next write is file data that looks random */
    unsigned char *buf;
    XXH3_state_t *xx;
    struct sbuf mf;
    struct arc_mf_totals tot;
    struct arc_map links; /* (dev, ino) of files with nlink > 1 */
    uid_t uid;
    gid_t gid;
    bool have_uid, have_gid;
    char *uname, *gname;
    struct tick prog;
};

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *
mode_kind(mode_t m)
{
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    return "special file";
}

static void
add_ent(struct packer *p, const char *rel, const struct stat *st)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->ents = xrealloc(p->ents, p->cap * sizeof *p->ents);
    }
    struct pent *e = &p->ents[p->n++];
    e->path = p->names.len;
    sbuf_add(&p->names, rel, strlen(rel) + 1);
    e->mode = st->st_mode;
    e->nlink = st->st_nlink;
    e->uid = st->st_uid;
    e->gid = st->st_gid;
    e->mtime = st->st_mtim;
}

static bool
is_output(const struct packer *p, const struct stat *st)
{
    for (int i = 0; i < p->nskip; i++)
        if (st->st_dev == p->skip_dev[i] && st->st_ino == p->skip_ino[i])
            return true;
    return false;
}

/* Scan the directory open as dfd (consumed); p->path holds its prefix. */
static enum fy_rc
scan_dir(struct packer *p, int dfd)
{
    size_t plen = p->path.len;
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir,
                             p->path.buf ? p->path.buf : "");
    }
    struct sbuf arena = SBUF_INIT;
    size_t *offs = NULL, nn = 0, ncap = 0;
    char **v = NULL;
    enum fy_rc rc = FY_OK;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (nn == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            offs = xrealloc(offs, ncap * sizeof *offs);
        }
        offs[nn++] = arena.len;
        sbuf_add(&arena, de->d_name, strlen(de->d_name) + 1);
    }
    if (errno != 0) {
        rc = fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir,
                           p->path.buf ? p->path.buf : "");
        goto done;
    }
    v = xmalloc((nn ? nn : 1) * sizeof *v);
    for (size_t i = 0; i < nn; i++)
        v[i] = arena.buf + offs[i];
    qsort(v, nn, sizeof *v, cmp_names);
    for (size_t i = 0; i < nn && rc == FY_OK; i++) {
        if (fy_interrupted()) {
            rc = fy_fail(p->err, FY_EINTR, "%s: interrupted", p->name);
            break;
        }
        p->path.len = plen;
        sbuf_adds(&p->path, v[i]);
        const char *rel = p->path.buf;
        struct stat st;
        if (fstatat(dirfd(d), v[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* vanished between readdir and stat */
            rc = fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir, rel);
            break;
        }
        if (is_output(p, &st))
            continue;
        bool isdir = S_ISDIR(st.st_mode);
        if (p->ex.n > 0 && arc_excludes_match(&p->ex, rel, isdir)) {
            char *e = out_escape(rel);
            out_verbose(p->out, "excluded: %s%s", e, isdir ? "/" : "");
            free(e);
            continue;
        }
        if (plen == 0 && strcmp(rel, ARC_STATE_DIR) == 0) {
            /* fetch's state (and the manifest's name): never archived, so
             * ferry's archives cannot plant state in a later fetch's DIR */
            out_verbose(p->out, "skipped %s/%s (ferry's state directory)",
                        p->dir, ARC_STATE_DIR);
            continue;
        }
        if (!S_ISREG(st.st_mode) && !isdir && !S_ISLNK(st.st_mode)) {
            char *e = out_escape(rel);
            out_warn(p->out, "%s/%s: %s skipped", p->dir, e,
                     mode_kind(st.st_mode));
            free(e);
            p->st->skipped++;
            continue;
        }
        add_ent(p, rel, &st);
        if (S_ISREG(st.st_mode))
            p->total += (int64_t)st.st_size;
        if (isdir) {
            int cfd = openat(dirfd(d), v[i],
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0) {
                rc = fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir, rel);
                break;
            }
            sbuf_add(&p->path, "/", 1);
            rc = scan_dir(p, cfd);
        }
    }
done:
    p->path.len = plen;
    if (p->path.buf)
        p->path.buf[plen] = '\0';
    free(v);
    free(offs);
    sbuf_release(&arena);
    closedir(d);
    return rc;
}

static enum fy_rc
owrite(void *ctx, const void *buf, size_t n)
{
    struct packer *p = ctx;
    p->st->archive_bytes += (int64_t)n;
    return p->os->write(p->os->ctx, buf, n, p->err);
}

/*
 * The tar.zst writer.  The archive is a sequence of zstd frames, which
 * every zstd reader (zstd -d, GNU tar, bsdtar, libarchive) decodes as one
 * stream:
 *   - compressed frames from libzstd for tar headers and compressible data
 *     (level --level, --threads workers, content checksum on);
 *   - stored frames, written here, for file data that looks random
 *     (JPEGs, compressed files, encrypted data): raw blocks of up to
 *     128 KiB and the XXH64 content checksum, exactly what zstd itself
 *     would emit for such data, without the CPU spent finding that out.
 * Splitting also helps the ratio: in one long stream, zstd's match finder
 * accelerates across random data and then skips the small compressible
 * islands (tar headers, padding) between random files.
 * Compressible bytes are gathered in zw->in first, so a frame that holds
 * only a few headers reaches libzstd in one ZSTD_e_end call, which it then
 * compresses on the calling thread instead of its worker pool.
 */
struct zw {
    ZSTD_CCtx *cctx;
    /* where the frames go: write all n bytes or record why in err */
    enum fy_rc (*write)(void *ctx, const void *buf, size_t n);
    void *write_ctx;
    const char *name; /* the archive, for messages */
    struct fy_err *err;
    unsigned char *in;
    size_t in_len;
    bool zopen; /* libzstd holds input of an unfinished frame */
    unsigned char *out;
    size_t out_len;
    bool raw_open;
    XXH64_state_t *x64;
    int64_t frames_z, frames_raw, bytes_raw;
};

static enum fy_rc
zw_flush_out(struct zw *z)
{
    enum fy_rc rc =
        z->out_len ? z->write(z->write_ctx, z->out, z->out_len) : FY_OK;
    z->out_len = 0;
    return rc;
}

/* Give zw->in to libzstd; ZSTD_e_end finishes the frame. */
static enum fy_rc
zw_compress(struct zw *z, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {z->in, z->in_len, 0};
    if (z->in_len == 0 && !z->zopen)
        return FY_OK; /* nothing to finish: no empty frames */
    for (;;) {
        /* libzstd returns at least once per job chunk: a slow level or a
         * big last job stays interruptible */
        if (fy_interrupted())
            return fy_fail(z->err, FY_EINTR, "%s: interrupted", z->name);
        ZSTD_outBuffer zo = {z->out, ZOUT_CAP, z->out_len};
        size_t r = ZSTD_compressStream2(z->cctx, &zo, &in, mode);
        if (ZSTD_isError(r))
            return fy_fail(z->err, FY_ERUNTIME, "%s: zstd: %s", z->name,
                           ZSTD_getErrorName(r));
        z->out_len = zo.pos;
        bool finished = mode == ZSTD_e_end ? r == 0 : in.pos == in.size;
        if (z->out_len > ZOUT_CAP / 2) {
            enum fy_rc rc = zw_flush_out(z);
            if (rc != FY_OK)
                return rc;
        }
        if (finished)
            break;
    }
    z->in_len = 0;
    z->zopen = mode != ZSTD_e_end;
    if (mode == ZSTD_e_end)
        z->frames_z++;
    return FY_OK;
}

static void
zw_out_add(struct zw *z, const void *buf, size_t n)
{
    memcpy(z->out + z->out_len, buf, n);
    z->out_len += n;
}

static enum fy_rc
zw_raw_close(struct zw *z)
{
    if (!z->raw_open)
        return FY_OK;
    /* an empty last block, then the low 32 bits of XXH64 (LE) */
    uint32_t h = (uint32_t)XXH64_digest(z->x64);
    unsigned char tail[7] = {1,
                             0,
                             0,
                             (unsigned char)h,
                             (unsigned char)(h >> 8),
                             (unsigned char)(h >> 16),
                             (unsigned char)(h >> 24)};
    if (z->out_len + sizeof tail > ZOUT_CAP) {
        enum fy_rc rc = zw_flush_out(z);
        if (rc != FY_OK)
            return rc;
    }
    zw_out_add(z, tail, sizeof tail);
    z->raw_open = false;
    z->frames_raw++;
    return FY_OK;
}

static enum fy_rc
zw_put_raw(struct zw *z, const unsigned char *buf, size_t n)
{
    enum fy_rc rc = zw_compress(z, ZSTD_e_end);
    if (rc != FY_OK)
        return rc;
    if (!z->raw_open) {
        if (z->out_len + sizeof SF_HEAD > ZOUT_CAP && (rc = zw_flush_out(z)))
            return rc;
        zw_out_add(z, SF_HEAD, sizeof SF_HEAD);
        XXH64_reset(z->x64, 0);
        z->raw_open = true;
    }
    XXH64_update(z->x64, buf, n);
    z->bytes_raw += (int64_t)n;
    while (n > 0) {
        size_t k = n < RAW_BLOCK ? n : RAW_BLOCK;
        uint32_t bh = (uint32_t)k << 3; /* raw block, not the last */
        unsigned char hdr[3] = {(unsigned char)bh, (unsigned char)(bh >> 8),
                                (unsigned char)(bh >> 16)};
        if (z->out_len + sizeof hdr + k > ZOUT_CAP && (rc = zw_flush_out(z)))
            return rc;
        zw_out_add(z, hdr, sizeof hdr);
        zw_out_add(z, buf, k);
        buf += k;
        n -= k;
    }
    return FY_OK;
}

static enum fy_rc
zw_put(struct zw *z, const unsigned char *buf, size_t n)
{
    enum fy_rc rc = zw_raw_close(z);
    while (rc == FY_OK && n > 0) {
        size_t k = ZIN_CAP - z->in_len;
        k = k < n ? k : n;
        memcpy(z->in + z->in_len, buf, k);
        z->in_len += k;
        buf += k;
        n -= k;
        if (z->in_len == ZIN_CAP)
            rc = zw_compress(z, ZSTD_e_continue);
    }
    return rc;
}

static enum fy_rc
zw_finish(struct zw *z)
{
    enum fy_rc rc = zw_raw_close(z);
    if (rc == FY_OK)
        rc = zw_compress(z, ZSTD_e_end);
    if (rc == FY_OK)
        rc = zw_flush_out(z);
    return rc;
}

static void
zw_free(struct zw *z)
{
    if (z == NULL)
        return;
    ZSTD_freeCCtx(z->cctx);
    if (z->x64 != NULL)
        XXH64_freeState(z->x64);
    free(z->in);
    free(z->out);
    free(z);
}

static enum fy_rc
zw_new(int level,
       int threads,
       enum fy_rc (*write)(void *ctx, const void *buf, size_t n),
       void *write_ctx,
       const char *name,
       struct fy_err *err,
       struct zw **out)
{
    struct zw *z = xcalloc(1, sizeof *z);
    z->write = write;
    z->write_ctx = write_ctx;
    z->name = name;
    z->err = err;
    z->cctx = ZSTD_createCCtx();
    z->x64 = XXH64_createState();
    z->in = xmalloc(ZIN_CAP);
    z->out = xmalloc(ZOUT_CAP);
    *out = z;
    if (z->cctx == NULL || z->x64 == NULL)
        return fy_fail(err, FY_ERUNTIME, "%s: out of memory", name);
    size_t r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(r))
        return fy_fail(err, FY_ERUNTIME, "%s: zstd: %s", name,
                       ZSTD_getErrorName(r));
    /* a libzstd built without threads refuses: then it works alone */
    if (!ZSTD_isError(
            ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, threads)))
        /* jobs of 4 MiB, not 8-128: bounded memory per worker, and a
         * Ctrl-C waits for at most one job */
        (void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_jobSize, ZJOB_SIZE);
    return FY_OK;
}

/*
 * Does this piece of file data look random (not worth compressing)?  A
 * chi-square test of the byte histogram of 8 stripes of 512 bytes spread
 * over the piece against the uniform distribution: random data scores
 * about 255 (sd 23); RAW_CHI2 = 568 is a byte entropy of about 7.9 bits.
 * Text, code, logs and bf16 weights score in the thousands.
 */
static bool
looks_random(const unsigned char *p, size_t n)
{
    uint32_t hist[256] = {0};
    size_t stride = n / 8;
    if (n < RAW_MIN)
        return false;
    for (size_t s = 0; s < 8; s++) {
        const unsigned char *q = p + s * stride;
        for (size_t i = 0; i < 512; i++)
            hist[q[i]]++;
    }
    /* 4096 samples, 16 expected per value: chi2 = sum((h - 16)^2) / 16 */
    uint64_t sum = 0;
    for (int i = 0; i < 256; i++) {
        int64_t d = (int64_t)hist[i] - 16;
        sum += (uint64_t)(d * d);
    }
    return sum < RAW_CHI2 * 16;
}

static la_ssize_t
pack_write_cb(struct archive *a, void *ctx, const void *buf, size_t n)
{
    struct packer *p = ctx;
    enum fy_rc rc;
    if (p->zw == NULL)
        rc = owrite(p, buf, n);
    else if (p->raw)
        rc = zw_put_raw(p->zw, buf, n);
    else
        rc = zw_put(p->zw, buf, n);
    if (rc != FY_OK) {
        archive_set_error(a, ARCHIVE_ERRNO_MISC, "%s", p->err->msg);
        return -1;
    }
    return (la_ssize_t)n;
}

static enum fy_rc
writer_open(struct packer *p)
{
    const struct arc_pack_opts *o = p->o;
    int threads = o->threads > 0 ? o->threads : ncpus();
    char opt[128] = "";
    int r;
    p->a = archive_write_new();
    if (p->a == NULL)
        return fy_fail(p->err, FY_ERUNTIME, "%s: out of memory", p->name);
    if (p->fmt == ARC_FMT_ZIP)
        r = archive_write_set_format_zip(p->a);
    else
        r = archive_write_set_format_pax(p->a);
    switch (p->fmt) {
    case ARC_FMT_TAR_GZ:
        if (r == ARCHIVE_OK)
            r = archive_write_add_filter_gzip(p->a);
        snprintf(opt, sizeof opt, "gzip:compression-level=%d",
                 o->level ? o->level : 6);
        break;
    case ARC_FMT_TAR_XZ:
        if (r == ARCHIVE_OK)
            r = archive_write_add_filter_xz(p->a);
        snprintf(opt, sizeof opt, "xz:compression-level=%d,xz:threads=%d",
                 o->level ? o->level : 6, threads);
        break;
    case ARC_FMT_ZIP:
        if (o->level)
            snprintf(opt, sizeof opt, "zip:compression-level=%d", o->level);
        break;
    default:
        break;
    }
    if (r == ARCHIVE_OK && opt[0] &&
        archive_write_set_options(p->a, opt) < ARCHIVE_WARN)
        r = ARCHIVE_FATAL;
    if (r == ARCHIVE_OK)
        r = archive_write_set_bytes_per_block(p->a, 0);
    if (r != ARCHIVE_OK)
        return fy_fail(p->err, FY_ERUNTIME, "%s: %s", p->name,
                       archive_error_string(p->a));
    if (p->os->is_file) {
        struct stat st;
        if (fstat(p->os->fd, &st) == 0)
            archive_write_set_skip_file(p->a, (la_int64_t)st.st_dev,
                                        (la_int64_t)st.st_ino);
    }
    if (p->fmt == ARC_FMT_TAR_ZST) {
        enum fy_rc rc = zw_new(o->level ? o->level : 3, threads, owrite, p,
                               p->name, p->err, &p->zw);
        if (rc != FY_OK)
            return rc;
    }
    if (archive_write_open2(p->a, p, NULL, pack_write_cb, NULL, NULL) !=
        ARCHIVE_OK)
        return p->err->rc ? p->err->rc
                          : fy_fail(p->err, FY_ERUNTIME, "%s: %s", p->name,
                                    archive_error_string(p->a));
    p->e = archive_entry_new();
    return FY_OK;
}

static char *
user_name(uid_t uid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res != NULL)
        return xstrdup(res->pw_name);
    return NULL;
}

static char *
group_name(gid_t gid)
{
    struct group gr, *res = NULL;
    char buf[4096];
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res != NULL)
        return xstrdup(res->gr_name);
    return NULL;
}

/* Start a header for path with the metadata of st (mode, owner, mtime). */
static void
entry_start(struct packer *p,
            const char *path,
            mode_t mode,
            uid_t uid,
            gid_t gid,
            const struct timespec *mtime)
{
    archive_entry_clear(p->e);
    archive_entry_copy_pathname(p->e, path);
    archive_entry_set_mode(p->e, mode);
    archive_entry_set_uid(p->e, uid);
    archive_entry_set_gid(p->e, gid);
    archive_entry_set_mtime(p->e, mtime->tv_sec, mtime->tv_nsec);
    if (!p->have_uid || p->uid != uid) {
        free(p->uname);
        p->uname = user_name(uid);
        p->uid = uid;
        p->have_uid = true;
    }
    if (!p->have_gid || p->gid != gid) {
        free(p->gname);
        p->gname = group_name(gid);
        p->gid = gid;
        p->have_gid = true;
    }
    if (p->uname)
        archive_entry_copy_uname(p->e, p->uname);
    if (p->gname)
        archive_entry_copy_gname(p->e, p->gname);
}

static enum fy_rc
header_out(struct packer *p, const char *path)
{
    int r = archive_write_header(p->a, p->e);
    if (r >= ARCHIVE_WARN)
        return FY_OK; /* WARN: a name not in the locale, stored as bytes */
    if (p->err->rc != FY_OK)
        return p->err->rc;
    char *e = out_escape(path);
    fy_fail(p->err, FY_ERUNTIME, "%s/%s: %s", p->dir, e,
            archive_error_string(p->a));
    free(e);
    return p->err->rc;
}

static enum fy_rc
data_out(struct packer *p, const void *buf, size_t n)
{
    la_ssize_t w = archive_write_data(p->a, buf, n);
    if (w >= 0 && (size_t)w == n)
        return FY_OK;
    if (p->err->rc != FY_OK)
        return p->err->rc;
    return fy_fail(p->err, FY_ERUNTIME, "%s: %s", p->name,
                   archive_error_string(p->a));
}

static void
vanished(struct packer *p, const char *path)
{
    char *e = out_escape(path);
    out_warn(p->out, "%s/%s: vanished before it was read; not archived", p->dir,
             e);
    free(e);
    p->st->skipped++;
}

static struct arc_map_val *
link_slot(struct packer *p, const struct stat *st, bool add)
{
    uint64_t id[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};
    struct arc_map_val *v = arc_map_get(&p->links, id, sizeof id);
    if (v == NULL && add) {
        v = arc_map_put(&p->links, id, sizeof id);
        v->type = 0;
    }
    return v;
}

static enum fy_rc
pack_file(struct packer *p, const struct pent *pe, const char *path)
{
    enum fy_rc rc = FY_OK;
    int fd = openat(p->rootfd, path,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOATIME);
    if (fd < 0 && errno == EPERM) /* O_NOATIME needs ownership */
        fd = openat(p->rootfd, path,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ELOOP) {
            vanished(p, path);
            return FY_OK;
        }
        char *e = out_escape(path);
        fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir, e);
        free(e);
        return p->err->rc;
    }
    struct stat a, b;
    if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
        close(fd);
        vanished(p, path);
        return FY_OK;
    }
    /* a file with several links: the second and later become hardlinks */
    if (a.st_nlink > 1 && p->fmt != ARC_FMT_ZIP) {
        struct arc_map_val *v = link_slot(p, &a, false);
        if (v != NULL && v->type == 'f') {
            close(fd);
            const char *first = p->names.buf + (size_t)v->size;
            entry_start(p, path, a.st_mode, a.st_uid, a.st_gid, &a.st_mtim);
            archive_entry_copy_hardlink(p->e, first);
            archive_entry_set_size(p->e, 0);
            rc = header_out(p, path);
            if (rc == FY_OK) {
                unsigned char lh[16];
                arc_link_hash(first, lh);
                arc_manifest_add(&p->mf, 'h', 0, lh, path);
                p->tot.entries++;
                p->st->hardlinks++;
            }
            return rc;
        }
    }
    if (a.st_size > (1 << 20))
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    entry_start(p, path, a.st_mode, a.st_uid, a.st_gid, &a.st_mtim);
    archive_entry_set_size(p->e, a.st_size);
    archive_entry_set_dev(p->e, a.st_dev);
    archive_entry_set_ino64(p->e, (la_int64_t)a.st_ino);
    rc = header_out(p, path);
    XXH3_128bits_reset(p->xx);
    int64_t left = (int64_t)a.st_size;
    bool short_read = false;
    while (rc == FY_OK && left > 0) {
        if (fy_interrupted()) {
            rc = fy_fail(p->err, FY_EINTR, "%s: interrupted", p->name);
            break;
        }
        size_t want = left < (int64_t)ARC_BLOCK ? (size_t)left : ARC_BLOCK;
        ssize_t n = short_read ? 0 : read(fd, p->buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            char *e = out_escape(path);
            rc = fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir, e);
            free(e);
            break;
        }
        if (n == 0) {
            /* it shrank: pad with zeros so the archive stays valid */
            short_read = true;
            memset(p->buf, 0, want);
            n = (ssize_t)want;
        }
        XXH3_128bits_update(p->xx, p->buf, (size_t)n);
        p->raw = p->zw != NULL && looks_random(p->buf, (size_t)n);
        rc = data_out(p, p->buf, (size_t)n);
        p->raw = false;
        left -= n;
        p->prog.p.done += n;
        tick(p->out, &p->prog, false);
    }
    bool unstable = short_read || fstat(fd, &b) != 0 ||
                    b.st_size != a.st_size ||
                    b.st_mtim.tv_sec != a.st_mtim.tv_sec ||
                    b.st_mtim.tv_nsec != a.st_mtim.tv_nsec;
    close(fd);
    if (rc != FY_OK)
        return rc;
    unsigned char h[16];
    xx_digest(p->xx, h);
    arc_manifest_add(&p->mf, 'f', (int64_t)a.st_size, h, path);
    p->tot.entries++;
    p->tot.files++;
    p->tot.bytes += (int64_t)a.st_size;
    p->st->files++;
    p->st->bytes += (int64_t)a.st_size;
    if (unstable) {
        char *e = out_escape(path);
        out_warn(p->out,
                 "%s/%s: changed while it was read; the archive holds the "
                 "bytes read (listed as unstable in the manifest)",
                 p->dir, e);
        free(e);
        arc_manifest_add(&p->mf, 'u', 0, NULL, path);
        p->st->unstable++;
    }
    if (a.st_nlink > 1 && p->fmt != ARC_FMT_ZIP) {
        struct arc_map_val *v = link_slot(p, &a, true);
        if (v != NULL && v->type == 0) {
            v->type = 'f';
            v->size = (int64_t)pe->path;
        }
    }
    return FY_OK;
}

static enum fy_rc
pack_symlink(struct packer *p, const struct pent *pe, const char *path)
{
    size_t cap = 256;
    char *target = NULL;
    for (;;) {
        target = xrealloc(target, cap);
        ssize_t n = readlinkat(p->rootfd, path, target, cap);
        if (n < 0) {
            free(target);
            if (errno == ENOENT || errno == EINVAL) {
                vanished(p, path);
                return FY_OK;
            }
            char *e = out_escape(path);
            fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir, e);
            free(e);
            return p->err->rc;
        }
        if ((size_t)n < cap) {
            target[n] = '\0';
            break;
        }
        cap *= 2;
    }
    entry_start(p, path, pe->mode, pe->uid, pe->gid, &pe->mtime);
    archive_entry_copy_symlink(p->e, target);
    unsigned char lh[16];
    arc_link_hash(target, lh);
    free(target);
    enum fy_rc rc = header_out(p, path);
    if (rc == FY_OK) {
        arc_manifest_add(&p->mf, 'l', 0, lh, path);
        p->tot.entries++;
        p->st->symlinks++;
    }
    return rc;
}

static enum fy_rc
pack_manifest(struct packer *p)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec = 0;
    arc_manifest_end(&p->mf, &p->tot);
    entry_start(p, ARC_MANIFEST_PATH, S_IFREG | 0644, getuid(), getgid(), &now);
    archive_entry_set_size(p->e, (la_int64_t)p->mf.len);
    enum fy_rc rc = header_out(p, ARC_MANIFEST_PATH);
    if (rc == FY_OK)
        rc = data_out(p, p->mf.buf, p->mf.len);
    return rc;
}

static void
packer_release(struct packer *p)
{
    if (p->a != NULL)
        archive_write_free(p->a); /* after a failure: discards */
    if (p->e != NULL)
        archive_entry_free(p->e);
    zw_free(p->zw);
    if (p->xx != NULL)
        XXH3_freeState(p->xx);
    if (p->rootfd >= 0)
        close(p->rootfd);
    free(p->buf);
    free(p->ents);
    free(p->uname);
    free(p->gname);
    sbuf_release(&p->names);
    sbuf_release(&p->path);
    sbuf_release(&p->mf);
    arc_map_release(&p->links);
    arc_excludes_release(&p->ex);
}

static enum fy_rc
load_excludes(struct packer *p)
{
    char *ign = fs_join(p->dir, ".ferryignore");
    enum fy_rc rc = arc_excludes_load(&p->ex, ign, true, p->err);
    free(ign);
    for (size_t i = 0; rc == FY_OK && i < p->o->exclude_files.n; i++)
        rc = arc_excludes_load(&p->ex, p->o->exclude_files.v[i], false, p->err);
    for (size_t i = 0; rc == FY_OK && i < p->o->excludes.n; i++)
        arc_excludes_add(&p->ex, p->o->excludes.v[i]);
    return rc;
}

enum fy_rc
arc_pack(const char *dir,
         const struct arc_pack_opts *o,
         struct fy_ostream *os,
         struct out *out,
         struct arc_stats *st,
         struct fy_err *err)
{
    struct packer p;
    struct stat sb;
    enum fy_rc rc;
    double t0 = out_now();
    bool closed = false;
    locale_t old, loc = utf8_enter(&old);

    memset(&p, 0, sizeof p);
    memset(st, 0, sizeof *st);
    p.o = o;
    p.fmt = o->format == ARC_FMT_NONE ? ARC_FMT_TAR_ZST : o->format;
    p.out = out;
    p.err = err;
    p.st = st;
    p.dir = dir;
    p.name = os->name;
    p.os = os;
    p.rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p.rootfd < 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
        goto done;
    }
    rc = load_excludes(&p);
    if (rc != FY_OK)
        goto done;
    /* keep the output (and an older archive of that name) out of itself;
     * also stdout redirected to a file inside dir */
    if (os->fd >= 0 && fstat(os->fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        p.skip_dev[p.nskip] = sb.st_dev;
        p.skip_ino[p.nskip++] = sb.st_ino;
    }
    if (os->is_file && stat(os->name, &sb) == 0 && S_ISREG(sb.st_mode)) {
        p.skip_dev[p.nskip] = sb.st_dev;
        p.skip_ino[p.nskip++] = sb.st_ino;
    }
    int dfd = dup(p.rootfd);
    if (dfd < 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
        goto done;
    }
    rc = scan_dir(&p, dfd);
    if (rc != FY_OK)
        goto done;
    out_event(out, "start", "{sssssssIsI}", "op", "pack", "dir", dir, "archive",
              os->name, "entries", (long long)p.n, "bytes", (long long)p.total);
    tick_init(&p.prog, "pack", p.total);
    p.buf = xmalloc(ARC_BLOCK);
    p.xx = xx_new();
    arc_manifest_begin(&p.mf);
    rc = writer_open(&p);
    for (size_t i = 0; rc == FY_OK && i < p.n; i++) {
        const struct pent *pe = &p.ents[i];
        const char *path = p.names.buf + pe->path;
        if (fy_interrupted()) {
            rc = fy_fail(err, FY_EINTR, "%s: interrupted", p.name);
        } else if (S_ISREG(pe->mode)) {
            rc = pack_file(&p, pe, path);
        } else if (S_ISLNK(pe->mode)) {
            rc = pack_symlink(&p, pe, path);
        } else {
            entry_start(&p, path, pe->mode, pe->uid, pe->gid, &pe->mtime);
            rc = header_out(&p, path);
            if (rc == FY_OK) {
                arc_manifest_add(&p.mf, 'd', 0, NULL, path);
                p.tot.entries++;
                st->dirs++;
            }
        }
    }
    if (rc == FY_OK)
        rc = pack_manifest(&p);
    if (rc == FY_OK && archive_write_close(p.a) != ARCHIVE_OK)
        rc = err->rc ? err->rc
                     : fy_fail(err, FY_ERUNTIME, "%s: %s", p.name,
                               archive_error_string(p.a));
    if (rc == FY_OK && p.zw != NULL)
        rc = zw_finish(p.zw);
    if (rc == FY_OK) {
        tick(out, &p.prog, true);
        closed = true;
        rc = os->close(os->ctx, true, err);
    }
done:
    out_progress_end(out);
    if (!closed)
        os->close(os->ctx, false, err);
    packer_release(&p);
    utf8_leave(loc, old);
    st->seconds = out_now() - t0;
    return rc;
}

/* ------------------------------------------------- reading: the ring */

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
    struct zstd_reader *zstd;
    struct decoder *dec; /* xz, gzip, bzip2, lz4 */
    unsigned char *in;
    size_t in_len, in_pos;
    bool in_eof;
    size_t refill;          /* bytes asked for when in is empty (zstd) */
    atomic_llong sf_frames; /* stored frames read (only ferry writes them) */
    bool is_file;     /* the input is a regular file: no poll before reads */
    atomic_llong raw; /* bytes read from the input */
    pthread_t th;
    bool started;
};

/* The state of ferry's zstd reader: libzstd's, and a stored frame's. */
struct zstd_reader {
    ZSTD_DCtx *dctx;
    bool frame_open;
    /* a stored frame of ferry's (see zw_put_raw), decoded here */
    bool sf;          /* inside one */
    bool sf_last;     /* the current block is its last */
    uint32_t sf_left; /* payload bytes of the current block still to come */
    XXH64_state_t *sf_x64; /* their checksum, over the bytes as they pass */
};

/* What the first bytes of the input say it is. */
enum codec {
    CODEC_XZ = 1, /* an xz stream, decoded here by liblzma */
    CODEC_GZIP,   /* a gzip stream, decoded here by zlib */
    CODEC_BZIP2,  /* a bzip2 stream, decoded here by libbz2 */
    CODEC_LZ4     /* an lz4 frame stream, decoded here by liblz4 */
};

/* A compressed stream's decoder, used by the reader thread only. */
struct decoder {
    enum codec codec;
    lzma_stream lz;
    bool gz_init; /* zs needs inflateEnd */
    z_stream zs;
    bool bz2_init; /* bz needs BZ2_bzDecompressEnd */
    bz_stream bz;
    LZ4F_dctx *lz4;
    /* gzip, bzip2, lz4: a member (frame) ended: another, zeros, or the end
     * follow (member_next) */
    bool between;
    bool zeros; /* zero padding began after the last member */
};

static enum fy_rc
ring_read(struct ring *r, unsigned char *dst, size_t cap, size_t *got)
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
        atomic_fetch_add(&r->raw, (long long)*got);
    return rc;
}

/* Have at least n bytes of input in r->in (fewer only at the end). */
static enum fy_rc
ring_need(struct ring *r, size_t n)
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
        enum fy_rc rc = ring_read(r, r->in + have, ask, &got);
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

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static enum fy_rc
sf_corrupt(struct ring *r, const char *why)
{
    return fy_fail(&r->err, FY_EINPUT, "%s: corrupt zstd data: %s", r->is->name,
                   why);
}

/*
 * The payload of a raw block of a stored frame, into dst: what is in
 * r->in already is copied, the rest read straight into dst (no second
 * copy), together with the next block header or checksum when dst has
 * room for them.
 */
static enum fy_rc
sf_payload(struct ring *r,
           struct zstd_reader *z,
           unsigned char *dst,
           size_t cap,
           size_t *dlen)
{
    size_t k = z->sf_left < cap - *dlen ? z->sf_left : cap - *dlen;
    unsigned char *at = dst + *dlen;
    size_t got;
    if (r->in_pos < r->in_len) {
        got = r->in_len - r->in_pos < k ? r->in_len - r->in_pos : k;
        memcpy(at, r->in + r->in_pos, got);
        r->in_pos += got;
    } else {
        size_t extra = z->sf_last ? 4 : 3;
        size_t ask =
            k == z->sf_left && cap - *dlen >= k + extra ? k + extra : k;
        enum fy_rc rc = ring_read(r, at, ask, &got);
        if (rc != FY_OK)
            return rc;
        if (got == 0) {
            r->in_eof = true;
            return fy_fail(&r->err, FY_EINPUT, "%s: %s", r->is->name,
                           MSG_TRUNCATED);
        }
        if (got > k) { /* the bytes after the block go back to r->in */
            memcpy(r->in, at + k, got - k);
            r->in_pos = 0;
            r->in_len = got - k;
            got = k;
        }
    }
    /* SPEC: every checksum the format carries is checked; the bytes are
     * in cache now, and XXH64 runs at several GB/s */
    XXH64_update(z->sf_x64, at, got);
    *dlen += got;
    z->sf_left -= (uint32_t)got;
    return FY_OK;
}

/* Inside a stored frame, between blocks: the next block header, or the
 * checksum after the last block. */
static enum fy_rc
sf_step(struct ring *r, struct zstd_reader *z)
{
    size_t need = z->sf_last ? 4 : 3;
    enum fy_rc rc = ring_need(r, need);
    if (rc != FY_OK)
        return rc;
    if (r->in_len - r->in_pos < need)
        return fy_fail(&r->err, FY_EINPUT, "%s: %s", r->is->name,
                       MSG_TRUNCATED);
    const unsigned char *p = r->in + r->in_pos;
    r->in_pos += need;
    if (z->sf_last) {
        if ((uint32_t)XXH64_digest(z->sf_x64) != le32(p))
            return sf_corrupt(r, "stored frame checksum mismatch");
        atomic_fetch_add(&r->sf_frames, 1);
        z->sf = false;
        z->frame_open = false;
        r->refill = 4u << 10; /* what follows is small: a tar header */
        return FY_OK;
    }
    uint32_t bh = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    if (((bh >> 1) & 3) != 0) /* ferry stores raw blocks only */
        return sf_corrupt(r, "a stored frame holds a compressed block");
    if ((bh >> 3) > RAW_BLOCK)
        return sf_corrupt(r, "block too big");
    z->sf_left = bh >> 3;
    z->sf_last = bh & 1;
    return FY_OK;
}

/* "2 GiB" for powers of two, else out_fmt_size's "1.50 GiB". */
static void
fmt_window(char *buf, size_t len, unsigned long long w)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    unsigned long long v = w;
    if (w == 0 || (w & (w - 1)) != 0) {
        out_fmt_size(buf, len, w > INT64_MAX ? INT64_MAX : (int64_t)w);
        return;
    }
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%llu %s", v, units[u]);
}

/*
 * A zstd frame starts at r->in_pos: refuse it if its window is bigger than
 * the limit (SPEC, issue 9: a 44 KB archive made with zstd --long=31 would
 * make the decoder hold 2 GiB).  libzstd refuses such frames too
 * (ZSTD_d_windowLogMax), but cannot say how big the window was.
 */
static enum fy_rc
zstd_frame_check(struct ring *r)
{
    ZSTD_frameHeader fh;
    enum fy_rc rc = ring_need(r, ZSTD_FRAMEHEADERSIZE_MAX);
    if (rc != FY_OK)
        return rc;
    size_t ret =
        ZSTD_getFrameHeader(&fh, r->in + r->in_pos, r->in_len - r->in_pos);
    if (ret != 0 || fh.frameType == ZSTD_skippableFrame)
        return FY_OK; /* malformed or short: the decoder says why */
    unsigned long long limit = 1ull << r->window_log;
    if (fh.windowSize <= limit)
        return FY_OK;
    char have[32], max[32];
    fmt_window(have, sizeof have, fh.windowSize);
    fmt_window(max, sizeof max, limit);
    int need = 0;
    while (need < 63 && (1ull << need) < fh.windowSize)
        need++;
    if (need > ARC_WINDOW_LOG_MAX)
        return fy_fail(&r->err, FY_EINPUT,
                       "%s: zstd window of %s exceeds the %s limit (no zstd "
                       "decoder accepts more than 2 GiB)",
                       r->is->name, have, max);
    return fy_fail(&r->err, FY_EINPUT,
                   "%s: zstd window of %s exceeds the %s limit (use "
                   "--long=%d to accept it)",
                   r->is->name, have, max, need);
}

/* Fill dst with up to cap bytes of decompressed archive; *end: no more. */
static enum fy_rc
produce_zstd(struct ring *r,
             struct zstd_reader *z,
             unsigned char *dst,
             size_t cap,
             size_t *dlen,
             bool *end)
{
    while (*dlen < cap) {
        enum fy_rc rc;
        if (z->sf) {
            rc = z->sf_left > 0 ? sf_payload(r, z, dst, cap, dlen)
                                : sf_step(r, z);
            if (rc != FY_OK)
                return rc;
            continue;
        }
        /* between frames: one of ferry's stored frames is read here, a
         * frame of libzstd's has its window checked */
        rc = z->frame_open ? ring_need(r, sizeof SF_HEAD) : zstd_frame_check(r);
        if (rc != FY_OK)
            return rc;
        if (!z->frame_open && r->in_len - r->in_pos >= sizeof SF_HEAD &&
            memcmp(r->in + r->in_pos, SF_HEAD, sizeof SF_HEAD) == 0) {
            r->in_pos += sizeof SF_HEAD;
            XXH64_reset(z->sf_x64, 0);
            z->sf = true;
            z->sf_last = false;
            z->sf_left = 0;
            z->frame_open = true;
            continue;
        }
        ZSTD_inBuffer zi = {r->in, r->in_len, r->in_pos};
        ZSTD_outBuffer zo = {dst, cap, *dlen};
        size_t ret = ZSTD_decompressStream(z->dctx, &zo, &zi);
        if (ZSTD_isError(ret))
            return fy_fail(&r->err, FY_EINPUT, "%s: corrupt zstd data: %s",
                           r->is->name, ZSTD_getErrorName(ret));
        bool progress = zi.pos != r->in_pos || zo.pos != *dlen;
        if (progress)
            z->frame_open = ret != 0;
        r->in_pos = zi.pos;
        *dlen = zo.pos;
        if (!progress && r->in_eof && r->in_pos == r->in_len) {
            *end = true;
            if (z->frame_open)
                return fy_fail(&r->err, FY_EINPUT, "%s: %s", r->is->name,
                               MSG_TRUNCATED);
            return FY_OK;
        }
    }
    return FY_OK;
}

/* A reader of zstd frames that accepts windows up to 2^window_log;
 * *out is set (to free) even on failure. */
static enum fy_rc
zstd_reader_new(struct zstd_reader **out,
                int window_log,
                const char *name,
                struct fy_err *err)
{
    struct zstd_reader *z = xcalloc(1, sizeof *z);
    *out = z;
    z->sf_x64 = XXH64_createState();
    z->dctx = ZSTD_createDCtx();
    if (z->dctx == NULL || z->sf_x64 == NULL)
        return fy_fail(err, FY_ERUNTIME, "%s: out of memory", name);
    /* zstd's own default (128 MiB) unless --long asked for more */
    size_t zr =
        ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, window_log);
    if (ZSTD_isError(zr))
        return fy_fail(err, FY_ERUNTIME, "%s: zstd: %s", name,
                       ZSTD_getErrorName(zr));
    return FY_OK;
}

static void
zstd_reader_free(struct zstd_reader *z)
{
    if (z == NULL)
        return;
    if (z->dctx != NULL)
        ZSTD_freeDCtx(z->dctx);
    if (z->sf_x64 != NULL)
        XXH64_freeState(z->sf_x64);
    free(z);
}

/* An error of liblzma's, for an xz stream. */
static enum fy_rc
xz_fail(struct ring *r, lzma_ret ret)
{
    struct decoder *d = r->dec;
    char need[32], max[32];
    switch (ret) {
    case LZMA_MEMLIMIT_ERROR:
        fmt_window(need, sizeof need, lzma_memusage(&d->lz));
        fmt_window(max, sizeof max, 1ull << r->window_log);
        return fy_fail(&r->err, FY_EINPUT,
                       "%s: xz dictionary needs %s of memory, more than the "
                       "%s limit (--long=31 accepts up to 2 GiB)",
                       r->is->name, need, max);
    case LZMA_MEM_ERROR:
        return fy_fail(&r->err, FY_ERUNTIME, "%s: xz: out of memory",
                       r->is->name);
    case LZMA_BUF_ERROR:
        return fy_fail(&r->err, FY_EINPUT,
                       "%s: truncated (the xz stream ends early)", r->is->name);
    case LZMA_FORMAT_ERROR:
    case LZMA_OPTIONS_ERROR:
    case LZMA_UNSUPPORTED_CHECK:
        return fy_fail(&r->err, FY_EINPUT, "%s: unsupported xz data",
                       r->is->name);
    default: /* LZMA_DATA_ERROR: a bad CRC, a broken block */
        return fy_fail(&r->err, FY_EINPUT, "%s: corrupt xz data", r->is->name);
    }
}

/*
 * xz is decoded here, not by libarchive, whose liblzma may take up to
 * 1 GiB for a dictionary a tiny hostile file asks for: here the limit is
 * the one zstd windows get (--long raises both).
 */
static enum fy_rc
produce_xz(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    struct decoder *d = r->dec;
    while (*dlen < cap) {
        if (r->in_pos == r->in_len && !r->in_eof) {
            enum fy_rc rc = ring_need(r, 1);
            if (rc != FY_OK)
                return rc;
        }
        d->lz.next_in = r->in + r->in_pos;
        d->lz.avail_in = r->in_len - r->in_pos;
        d->lz.next_out = dst + *dlen;
        d->lz.avail_out = cap - *dlen;
        lzma_ret ret = lzma_code(&d->lz, r->in_eof ? LZMA_FINISH : LZMA_RUN);
        r->in_pos = r->in_len - d->lz.avail_in;
        *dlen = cap - d->lz.avail_out;
        if (ret == LZMA_STREAM_END) {
            *end = true;
            return FY_OK;
        }
        if (ret != LZMA_OK)
            return xz_fail(r, ret);
    }
    return FY_OK;
}

static bool
gz_magic(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/*
 * "BZh", the block size (1..9 x 100 kB), then the magic of a block (the
 * digits of pi) or of the end of an empty stream (of sqrt(pi)): ten bytes,
 * so a plain tar whose first name starts "BZh9" is not taken for bzip2.
 */
static bool
bz2_magic(const unsigned char *p, size_t n)
{
    static const unsigned char block[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
    static const unsigned char eos[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};
    return n >= 10 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9' &&
           (memcmp(p + 4, block, 6) == 0 || memcmp(p + 4, eos, 6) == 0);
}

/* an lz4 frame, or a skippable frame (lz4 reads past those) */
static bool
lz4_magic(const unsigned char *p, size_t n)
{
    return n >= 4 &&
           (le32(p) == 0x184D2204u || (le32(p) & 0xFFFFFFF0u) == 0x184D2A50u);
}

/*
 * Between two members of a gzip, bzip2 or lz4 stream: each member is a
 * whole stream with its own checks, and their tools read members that
 * follow each other (pigz, pbzip2, lbzip2 write several) as one.  What
 * follows a member: another one (*next), the end of the input (*end), or
 * zero bytes (block padding) up to the end; anything else is corrupt.
 */
static enum fy_rc
member_next(struct ring *r,
            const char *fmt,
            bool (*magic)(const unsigned char *p, size_t n),
            bool *next,
            bool *end)
{
    struct decoder *d = r->dec;
    enum fy_rc rc = ring_need(r, 10); /* the longest magic: bzip2's */
    if (rc != FY_OK)
        return rc;
    const unsigned char *p = r->in + r->in_pos;
    size_t avail = r->in_len - r->in_pos;
    if (avail == 0) {
        *end = true;
        return FY_OK;
    }
    if (!d->zeros && magic(p, avail)) {
        d->between = false;
        *next = true;
        return FY_OK;
    }
    while (r->in_pos < r->in_len && r->in[r->in_pos] == 0)
        r->in_pos++;
    if (r->in_pos < r->in_len)
        return fy_fail(&r->err, FY_EINPUT,
                       "%s: corrupt %s data: bytes after the end of the "
                       "stream",
                       r->is->name, fmt);
    d->zeros = true;
    return FY_OK;
}

/*
 * gzip is decoded here too (libarchive 3.6.2 never checks a gzip member's
 * CRC-32 and size; zlib does).
 */
static enum fy_rc
produce_gz(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    struct decoder *d = r->dec;
    while (*dlen < cap) {
        enum fy_rc rc;
        if (d->between) {
            bool next = false;
            rc = member_next(r, "gzip", gz_magic, &next, end);
            if (rc != FY_OK || *end)
                return rc;
            if (next && inflateReset(&d->zs) != Z_OK)
                return fy_fail(&r->err, FY_ERUNTIME, "%s: gzip: reset",
                               r->is->name);
            continue;
        }
        if ((rc = ring_need(r, 1)) != FY_OK)
            return rc;
        size_t avail = r->in_len - r->in_pos;
        if (avail == 0)
            return fy_fail(&r->err, FY_EINPUT,
                           "%s: truncated (the gzip stream ends early)",
                           r->is->name);
        d->zs.next_in = r->in + r->in_pos;
        d->zs.avail_in = (uInt)(avail < UINT_MAX ? avail : UINT_MAX);
        d->zs.next_out = dst + *dlen;
        d->zs.avail_out = (uInt)(cap - *dlen);
        uInt in0 = d->zs.avail_in, out0 = d->zs.avail_out;
        int ret = inflate(&d->zs, Z_NO_FLUSH);
        r->in_pos += in0 - d->zs.avail_in;
        *dlen += out0 - d->zs.avail_out;
        if (ret == Z_STREAM_END) {
            d->between = true; /* its CRC-32 and size were checked */
            continue;
        }
        if (ret == Z_MEM_ERROR)
            return fy_fail(&r->err, FY_ERUNTIME, "%s: gzip: out of memory",
                           r->is->name);
        if (ret != Z_OK && ret != Z_BUF_ERROR)
            return fy_fail(&r->err, FY_EINPUT, "%s: corrupt gzip data: %s",
                           r->is->name, d->zs.msg ? d->zs.msg : "bad data");
        if (in0 == d->zs.avail_in && out0 == d->zs.avail_out && r->in_eof)
            return fy_fail(&r->err, FY_EINPUT,
                           "%s: truncated (the gzip stream ends early)",
                           r->is->name);
    }
    return FY_OK;
}

/*
 * bzip2, decoded here by libbz2, which checks every block's CRC and the
 * stream's combined CRC (BZ_DATA_ERROR) and needs at most about 3.6 MiB
 * (blocks are 900 kB at most, whatever the header says).
 */
static enum fy_rc
produce_bz2(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    struct decoder *d = r->dec;
    while (*dlen < cap) {
        enum fy_rc rc;
        if (d->between) {
            bool next = false;
            rc = member_next(r, "bzip2", bz2_magic, &next, end);
            if (rc != FY_OK || *end)
                return rc;
            if (next) {
                BZ2_bzDecompressEnd(&d->bz);
                d->bz2_init = false;
                memset(&d->bz, 0, sizeof d->bz);
                int ret = BZ2_bzDecompressInit(&d->bz, 0, 0);
                if (ret != BZ_OK)
                    return fy_fail(&r->err, FY_ERUNTIME,
                                   "%s: bzip2: cannot start (%d)", r->is->name,
                                   ret);
                d->bz2_init = true;
            }
            continue;
        }
        if (r->in_pos == r->in_len && !r->in_eof &&
            (rc = ring_need(r, 1)) != FY_OK)
            return rc;
        size_t avail = r->in_len - r->in_pos, room = cap - *dlen;
        unsigned in0 = avail < UINT_MAX ? (unsigned)avail : UINT_MAX;
        unsigned out0 = room < UINT_MAX ? (unsigned)room : UINT_MAX;
        d->bz.next_in = (char *)(r->in + r->in_pos);
        d->bz.avail_in = in0;
        d->bz.next_out = (char *)(dst + *dlen);
        d->bz.avail_out = out0;
        int ret = BZ2_bzDecompress(&d->bz);
        r->in_pos += in0 - d->bz.avail_in;
        *dlen += out0 - d->bz.avail_out;
        if (ret == BZ_STREAM_END) {
            d->between = true; /* its block and stream CRCs were checked */
            continue;
        }
        if (ret == BZ_MEM_ERROR)
            return fy_fail(&r->err, FY_ERUNTIME, "%s: bzip2: out of memory",
                           r->is->name);
        if (ret != BZ_OK)
            return fy_fail(&r->err, FY_EINPUT,
                           "%s: corrupt bzip2 data (a CRC does not match, or "
                           "a block is damaged)",
                           r->is->name);
        if (in0 == d->bz.avail_in && out0 == d->bz.avail_out && r->in_eof)
            return fy_fail(&r->err, FY_EINPUT,
                           "%s: truncated (the bzip2 stream ends early)",
                           r->is->name);
    }
    return FY_OK;
}

/*
 * lz4 frames, decoded here by liblz4's frame API, which checks the
 * content checksum and the block checksums a frame carries, and the
 * content size it declares; its buffers follow the frame's block size,
 * 4 MiB at most.
 */
static enum fy_rc
produce_lz4(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    struct decoder *d = r->dec;
    while (*dlen < cap) {
        enum fy_rc rc;
        if (d->between) {
            bool next = false;
            rc = member_next(r, "lz4", lz4_magic, &next, end);
            if (rc != FY_OK || *end)
                return rc;
            continue;
        }
        if (r->in_pos == r->in_len && !r->in_eof &&
            (rc = ring_need(r, 1)) != FY_OK)
            return rc;
        size_t in0 = r->in_len - r->in_pos, out0 = cap - *dlen;
        size_t in_n = in0, out_n = out0;
        size_t ret = LZ4F_decompress(d->lz4, dst + *dlen, &out_n,
                                     r->in + r->in_pos, &in_n, NULL);
        r->in_pos += in_n;
        *dlen += out_n;
        if (LZ4F_isError(ret))
            return fy_fail(&r->err, FY_EINPUT, "%s: corrupt lz4 data: %s",
                           r->is->name, LZ4F_getErrorName(ret));
        if (ret == 0) {
            d->between = true; /* its checksums were checked */
            continue;
        }
        if (in_n == 0 && out_n == 0 && r->in_eof && r->in_pos == r->in_len)
            return fy_fail(&r->err, FY_EINPUT,
                           "%s: truncated (the lz4 stream ends early)",
                           r->is->name);
    }
    return FY_OK;
}

/* Fill dst with up to cap bytes of decompressed xz, gzip, bzip2 or lz4;
 * *end: no more. */
static enum fy_rc
decoder_produce(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    switch (r->dec->codec) {
    case CODEC_XZ:
        return produce_xz(r, dst, cap, dlen, end);
    case CODEC_GZIP:
        return produce_gz(r, dst, cap, dlen, end);
    case CODEC_BZIP2:
        return produce_bz2(r, dst, cap, dlen, end);
    case CODEC_LZ4:
        return produce_lz4(r, dst, cap, dlen, end);
    }
    return FY_OK;
}

/* Fill dst with up to cap bytes of (decompressed) archive; *end: no more. */
static enum fy_rc
produce(struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    *dlen = 0;
    *end = false;
    if (r->zstd != NULL)
        return produce_zstd(r, r->zstd, dst, cap, dlen, end);
    if (r->dec != NULL)
        return decoder_produce(r, dst, cap, dlen, end);
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
        enum fy_rc rc = ring_read(r, dst + *dlen, cap - *dlen, &got);
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
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* signals go to the main thread */
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

struct rd {
    struct ring ring;
    struct archive *a;
    struct fy_err *err;
    struct out *out;
    const char *name;
    struct tick prog;
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

static la_ssize_t
rd_read_cb(struct archive *a, void *ctx, const void **buf)
{
    struct rd *rd = ctx;
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
        rd->prog.p.done = (int64_t)atomic_load(&r->raw);
        tick(rd->out, &rd->prog, false);
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
tar_after_end(struct rd *rd)
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
tar_end(struct rd *rd)
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
static enum fy_rc
rd_drain(struct rd *rd)
{
    const void *buf;
    la_ssize_t n = 0;
    if (!rd->ring.started)
        return FY_OK; /* a zip read by libarchive itself */
    bool tar = (archive_format(rd->a) & ARCHIVE_FORMAT_BASE_MASK) ==
               ARCHIVE_FORMAT_TAR;
    enum fy_rc rc = tar ? tar_end(rd) : FY_OK;
    while (rc == FY_OK && (n = rd_read_cb(rd->a, rd, &buf)) > 0)
        if (tar && !all_zero(buf, (size_t)n))
            rc = tar_after_end(rd);
    if (rc == FY_OK && n < 0)
        rc = rd->err->rc;
    return rc;
}

static enum fy_rc
rd_fail(struct rd *rd)
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

static bool
zstd_magic(const unsigned char *p, size_t n)
{
    if (n < 4)
        return false;
    uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    return m == 0xFD2FB528u || (m & 0xFFFFFFF0u) == 0x184D2A50u;
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
zip_cd_scan(struct rd *rd, int fd, int64_t size, struct fy_err *err)
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
            v->size = crc;
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
static enum fy_rc
zip_link_check(struct rd *rd, struct archive_entry *e, const char *raw)
{
    const struct arc_map_val *v = arc_map_get(&rd->zip_links, raw, strlen(raw));
    const char *target = archive_entry_symlink(e);
    target = target ? target : "";
    if (v == NULL)
        return entry_fail(rd->err, FY_EINPUT, rd->name, raw,
                          "corrupt zip: a symlink its central directory "
                          "does not list");
    uLong crc = crc32(0L, (const Bytef *)target, (uInt)strlen(target));
    if ((uint32_t)crc == (uint32_t)v->size)
        return FY_OK;
    char why[96];
    snprintf(why, sizeof why,
             "checksum mismatch (ZIP bad CRC: 0x%08lx should be 0x%08lx)",
             (unsigned long)crc, (unsigned long)(uint32_t)v->size);
    return entry_fail(rd->err, FY_EREFUSED, rd->name, raw, why);
}

/*
 * A zip keeps modes and symlink flags in its central directory, at the end:
 * libarchive must seek to find them, so a zip file is read by libarchive
 * directly (no helper thread), and only by its seeking reader: its
 * streaming one would take a zip whose central directory is cut off for
 * a whole one (and its symlinks for files).
 */
static enum fy_rc
rd_open_zip(struct rd *rd, struct fy_istream *is, struct fy_err *err)
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
    return rd_fail(rd);
}

/*
 * The first bytes of the input (in r->in) tell an xz, gzip, bzip2 or lz4
 * stream, which the reader thread decodes (r->dec); anything else leaves
 * r->dec NULL.  The legacy lz4 format is refused.
 */
static enum fy_rc
decoder_start(struct ring *r, struct fy_err *err)
{
    struct fy_istream *is = r->is;
    static const unsigned char xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    static const unsigned char lz4_legacy[4] = {0x02, 0x21, 0x4c, 0x18};
    enum codec codec;
    if (r->in_len >= 6 && memcmp(r->in, xz_magic, 6) == 0)
        codec = CODEC_XZ;
    else if (gz_magic(r->in, r->in_len))
        codec = CODEC_GZIP;
    else if (bz2_magic(r->in, r->in_len))
        codec = CODEC_BZIP2;
    else if (r->in_len >= 4 && memcmp(r->in, lz4_legacy, 4) == 0)
        return fy_fail(err, FY_EINPUT,
                       "%s: lz4 legacy format (lz4 -l) is not read: it "
                       "carries no checksum (recompress without -l)",
                       is->name);
    else if (lz4_magic(r->in, r->in_len))
        codec = CODEC_LZ4;
    else
        return FY_OK;
    struct decoder *d = xcalloc(1, sizeof *d);
    r->dec = d;
    d->codec = codec;
    switch (codec) {
    case CODEC_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        d->lz = init;
        /* the dictionary, plus liblzma's own state (well under 1 MiB) */
        uint64_t limit = (1ull << r->window_log) + (1u << 20);
        lzma_ret ret = lzma_stream_decoder(&d->lz, limit, LZMA_CONCATENATED);
        if (ret != LZMA_OK)
            return fy_fail(err, FY_ERUNTIME, "%s: xz: cannot start (%d)",
                           is->name, (int)ret);
        return FY_OK;
    }
    case CODEC_GZIP:
        if (inflateInit2(&d->zs, 16 + MAX_WBITS) != Z_OK) /* gzip only */
            return fy_fail(err, FY_ERUNTIME, "%s: gzip: cannot start",
                           is->name);
        d->gz_init = true;
        return FY_OK;
    case CODEC_BZIP2: {
        int ret = BZ2_bzDecompressInit(&d->bz, 0, 0); /* not "small" */
        if (ret != BZ_OK)
            return fy_fail(err, FY_ERUNTIME, "%s: bzip2: cannot start (%d)",
                           is->name, ret);
        d->bz2_init = true;
        return FY_OK;
    }
    case CODEC_LZ4: {
        LZ4F_errorCode_t e =
            LZ4F_createDecompressionContext(&d->lz4, LZ4F_VERSION);
        if (LZ4F_isError(e))
            return fy_fail(err, FY_ERUNTIME, "%s: lz4: cannot start: %s",
                           is->name, LZ4F_getErrorName(e));
        return FY_OK;
    }
    }
    return FY_OK;
}

static void
decoder_free(struct decoder *d)
{
    if (d == NULL)
        return;
    if (d->codec == CODEC_XZ)
        lzma_end(&d->lz);
    if (d->gz_init)
        inflateEnd(&d->zs);
    if (d->bz2_init)
        BZ2_bzDecompressEnd(&d->bz);
    if (d->lz4 != NULL)
        LZ4F_freeDecompressionContext(d->lz4);
    free(d);
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
        zstd_magic(r->in, r->in_len)
            ? zstd_reader_new(&r->zstd, r->window_log, r->is->name, err)
            : decoder_start(r, err);
    if (r->zstd != NULL || r->dec != NULL) {
        struct stat sb;
        r->is_file =
            r->is->fd >= 0 && fstat(r->is->fd, &sb) == 0 && S_ISREG(sb.st_mode);
        r->refill = IN_CHUNK;
    }
    return rc;
}

/* Start reading is: sniff, start the helper thread, open libarchive.
 * From here on is belongs to rd (rd_close closes it). */
static enum fy_rc
rd_open(struct rd *rd,
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
    tick_init(&rd->prog, phase, is->size);
    r->is = is;
    r->window_log = ro != NULL && ro->window_log > 0 ? ro->window_log
                                                     : ARC_WINDOW_LOG_DEFAULT;
    atomic_init(&r->sf_frames, 0);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    atomic_init(&r->stop, false);
    atomic_init(&r->raw, 0);
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
        atomic_fetch_add(&r->raw, (long long)got);
    }
    if (r->in_len == 0)
        return fy_fail(err, FY_EINPUT, "%s: empty input, not an archive",
                       is->name);
    if (r->in_len >= 4 && memcmp(r->in, "PK", 2) == 0) {
        if (is->fd >= 0 && is->size >= 0 && lseek(is->fd, 0, SEEK_SET) == 0)
            return rd_open_zip(rd, is, err);
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
    if (archive_read_open2(rd->a, rd, NULL, rd_read_cb, NULL, NULL) !=
        ARCHIVE_OK)
        return rd_fail(rd);
    return FY_OK;
}

static void
rd_close(struct rd *rd)
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
        zstd_reader_free(r->zstd);
        decoder_free(r->dec);
        arc_map_release(&rd->zip_links);
        r->is->close(r->is->ctx);
        rd->opened = false;
    }
    rd->prog.p.done = (int64_t)atomic_load(&r->raw);
    tick(rd->out, &rd->prog, true);
}

/* ------------------------------------- reading: entries and the manifest */

/* The next data block of the current entry (archive_read_data_block). */
static int
data_next(struct archive *a, const void **buf, size_t *len, int64_t *off)
{
    la_int64_t o = 0;
    int r = archive_read_data_block(a, buf, len, &o);
    *off = o;
    return r;
}

struct walk;
/* What unpack, verify or list do with one entry (not ferry's manifest),
 * its data still to be read from w->rd.a. */
typedef enum fy_rc (*walk_fn)(struct walk *w,
                              struct archive_entry *e,
                              enum arc_path_rc prc,
                              const char *clean);

struct walk {
    struct rd rd;
    struct arc_map seen; /* what the manifest check compares */
    int64_t recorded;
    struct arc_guard *guard; /* what the entry safety check knows */
    int strip;               /* unpack's --strip-components */
    int64_t headers;         /* entries libarchive returned */
    struct sbuf mf;
    bool have_mf; /* ferry's manifest was read: nothing may follow */
    XXH3_state_t *xx;
    walk_fn fn;
    void *ctx;
    enum fy_rc (*drain)(struct walk *w); /* before the manifest check */
    struct arc_stats *st;
    struct out *out;
    struct fy_err *err;
    const char *name;
};

static void
walk_record(struct walk *w,
            const char *path,
            char type,
            int64_t size,
            const unsigned char *hash,
            bool sparse)
{
    struct arc_map_val *v = arc_map_put(&w->seen, path, strlen(path));
    v->type = type;
    v->size = size;
    v->sparse = sparse;
    if (hash != NULL)
        memcpy(v->hash, hash, 16);
    w->recorded++;
}

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
struct span {
    int64_t size; /* declared, or -1: not known (a zip read from a pipe) */
    bool sparse;  /* a sparse entry: holes allowed */
    int64_t pos;  /* the end of the data seen so far */
};

static void
span_init(struct span *sp, struct archive_entry *e)
{
    sp->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
    sp->sparse = archive_entry_sparse_count(e) > 0;
    sp->pos = 0;
}

/* The size to record: the declared one, or what the data came to. */
static int64_t
span_size(const struct span *sp)
{
    return sp->size >= 0 ? sp->size : sp->pos;
}

/* One data block of len bytes at off. */
static enum fy_rc
span_block(
    struct walk *w, struct span *sp, const char *raw, int64_t off, size_t len)
{
    char why[160];
    if (off < sp->pos)
        snprintf(why, sizeof why,
                 "corrupt: data at offset %" PRId64
                 " overlaps the data before it",
                 off);
    else if (sp->size >= 0 ? off > sp->size || (int64_t)len > sp->size - off
                           : (int64_t)len > INT64_MAX - off)
        snprintf(why, sizeof why,
                 "corrupt: data beyond the declared size of %" PRId64 " bytes",
                 sp->size);
    else if (off > sp->pos && !sp->sparse)
        snprintf(why, sizeof why,
                 "corrupt: a gap at offset %" PRId64
                 " in a file that is not sparse",
                 sp->pos);
    else {
        sp->pos = off + (int64_t)len;
        return FY_OK;
    }
    return entry_fail(w->err, FY_EINPUT, w->name, raw, why);
}

/* After the last block: a file that is not sparse is whole. */
static enum fy_rc
span_end(struct walk *w, const struct span *sp, const char *raw)
{
    if (sp->sparse || sp->size < 0 || sp->pos == sp->size)
        return FY_OK;
    char why[160];
    snprintf(why, sizeof why,
             "corrupt or truncated: %" PRId64
             " bytes of data, the header declares %" PRId64,
             sp->pos, sp->size);
    return entry_fail(w->err, FY_EINPUT, w->name, raw, why);
}

/*
 * A data read that returned neither OK nor EOF.  libarchive reports a zip
 * CRC-32 mismatch or wrong sizes, and tar's unknown sparse formats, as
 * ARCHIVE_WARN: here every one of them is a failure (SPEC: a checksum the
 * format carries that does not match is exit 4, other damage exit 3).
 */
static enum fy_rc
data_fail(struct walk *w, int r, const char *raw)
{
    if (w->err->rc != FY_OK)
        return w->err->rc;
    if (r != ARCHIVE_WARN)
        return rd_fail(&w->rd);
    const char *la = archive_error_string(w->rd.a);
    char why[200], msg[256];
    snprintf(why, sizeof why, "%s", la ? la : "damaged entry data");
    for (size_t n = strlen(why); n > 0 && (unsigned char)why[n - 1] <= ' ';)
        why[--n] = '\0'; /* some of libarchive's messages end in "\n" */
    if (strstr(why, "CRC") == NULL)
        return entry_fail(w->err, FY_EINPUT, w->name, raw, why);
    snprintf(msg, sizeof msg, "checksum mismatch (%s)", why);
    return entry_fail(w->err, FY_EREFUSED, w->name, raw, msg);
}

/*
 * libarchive's disk writer failed on entry raw.  The system's reason goes
 * first: libarchive's own message may quote a long name whole.  EFBIG (a
 * file bigger than the filesystem, or the process, allows) is the
 * archive's doing, as in write_fail().
 */
static enum fy_rc
disk_fail(struct walk *w,
          struct archive *disk,
          enum arc_side side,
          const char *raw)
{
    if (w->err->rc != FY_OK)
        return w->err->rc;
    int en = archive_errno(disk);
    const char *la = archive_error_string(disk);
    char why[1024];
    enum fy_rc rc = en == EFBIG ? FY_EINPUT : arc_rc_from_errno(en, side);
    if (en > 0 && en != ARCHIVE_ERRNO_FILE_FORMAT &&
        en != ARCHIVE_ERRNO_PROGRAMMER)
        snprintf(why, sizeof why, "%s (%s)", strerror(en),
                 la ? la : "cannot extract");
    else
        snprintf(why, sizeof why, "%s", la ? la : "cannot extract");
    return entry_fail(w->err, rc, w->name, raw, why);
}

/*
 * The next data block of the entry being read, after a check for an
 * interruption and against the entry's declared span.  Returns 1 with the
 * block, 0 at the entry's end, or -1 with *rc set.
 */
static int
entry_block(struct walk *w,
            struct span *sp,
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
    int r = data_next(w->rd.a, buf, len, off);
    if (r == ARCHIVE_EOF)
        return 0;
    if (r != ARCHIVE_OK) {
        *rc = data_fail(w, r, raw);
        return -1;
    }
    return (*rc = span_block(w, sp, raw, *off, *len)) == FY_OK ? 1 : -1;
}

/*
 * Read all data of the current entry, checking it against sp, hash it
 * into hash and, with disk, write it there (never a sparse entry: see
 * unpack_sparse).
 */
static enum fy_rc
pump(struct walk *w,
     struct span *sp,
     struct archive *disk,
     const char *raw,
     unsigned char hash[16],
     int64_t *bytes)
{
    XXH3_128bits_reset(w->xx);
    enum fy_rc rc = FY_OK;
    const void *buf;
    size_t len;
    int64_t off;
    int got;
    while ((got = entry_block(w, sp, raw, &buf, &len, &off, &rc)) > 0) {
        XXH3_128bits_update(w->xx, buf, len);
        if (disk != NULL) {
            la_ssize_t wr = archive_write_data_block(disk, buf, len, off);
            if (wr < ARCHIVE_WARN) {
                return disk_fail(w, disk, ARC_SIDE_WRITE, raw);
            }
        }
        if (bytes)
            *bytes += (int64_t)len;
    }
    if (got < 0)
        return rc;
    rc = span_end(w, sp, raw);
    if (rc == FY_OK)
        xx_digest(w->xx, hash);
    return rc;
}

/* A failure of ferry's manifest entry: the archive is corrupt (exit 3). */
static enum fy_rc
manifest_corrupt(struct walk *w, const char *why)
{
    char msg[200];
    snprintf(msg, sizeof msg, "corrupt: ferry's manifest %s", why);
    return entry_fail(w->err, FY_EINPUT, w->name, ARC_MANIFEST_PATH, msg);
}

/*
 * The entry ".ferry/manifest": ferry's manifest, read whole into w->mf and
 * parsed once the walk has seen every other entry (walk_finish).  SPEC:
 * an archive that holds it is checked against it, so it cannot be
 * anything but a regular file of at most MANIFEST_MAX bytes; one that is
 * not is corrupt, never an archive without a manifest.
 */
static enum fy_rc
manifest_take(struct walk *w, struct archive_entry *e)
{
    if (archive_entry_filetype(e) != AE_IFREG ||
        archive_entry_hardlink(e) != NULL || archive_entry_sparse_count(e) > 0)
        return manifest_corrupt(w, "is not a regular file");
    if (archive_entry_size(e) > (la_int64_t)MANIFEST_MAX)
        return manifest_corrupt(w, "is bigger than 256 MiB");
    for (;;) {
        const void *buf;
        size_t len;
        int64_t off;
        int r = data_next(w->rd.a, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            return data_fail(w, r, ARC_MANIFEST_PATH);
        if (off != (int64_t)w->mf.len || len > MANIFEST_MAX - w->mf.len)
            return manifest_corrupt(w, "has data beyond its declared size");
        sbuf_add(&w->mf, buf, len);
    }
    w->have_mf = true;
    return FY_OK;
}

static enum fy_rc
mf_line(void *ctx, const struct arc_mf_line *l, struct fy_err *err)
{
    struct walk *w = ctx;
    char *e = NULL;
    enum fy_rc rc = FY_OK;
    if (l->type == 'u') {
        e = out_escape(l->path);
        out_warn(w->out,
                 "%s: %s changed while it was packed; its copy may be "
                 "inconsistent",
                 w->name, e);
        w->st->unstable++;
        free(e);
        return FY_OK;
    }
    struct arc_map_val *v = arc_map_get(&w->seen, l->path, strlen(l->path));
    if (v != NULL && v->sparse) {
        /* ferry never writes sparse entries, and their holes were not
         * hashed: nothing to compare, and not what ferry packed */
        e = out_escape(l->path);
        fy_fail(err, FY_EINPUT,
                "%s: %s: corrupt: a sparse entry in an archive of ferry's, "
                "which never writes them",
                w->name, e);
        free(e);
        return FY_EINPUT;
    }
    const char *why = NULL;
    if (v == NULL)
        why = "listed in the manifest but missing";
    else if (v->type != l->type)
        why = "type differs from the manifest";
    else if (l->type == 'f' &&
             (v->size != l->size || memcmp(v->hash, l->hash, 16) != 0))
        why = "checksum mismatch (the archive is damaged or was changed)";
    else if ((l->type == 'l' || l->type == 'h') && l->has_hash &&
             memcmp(v->hash, l->hash, 16) != 0)
        why = "link target differs from the manifest (the archive is "
              "damaged or was changed)";
    if (why != NULL) {
        e = out_escape(l->path);
        rc = fy_fail(err, FY_EREFUSED, "%s: %s: %s", w->name, e, why);
        free(e);
        return rc;
    }
    v->matched = true;
    return FY_OK;
}

static enum fy_rc
walk_finish(struct walk *w)
{
    long long frames = atomic_load(&w->rd.ring.sf_frames);
    if (frames > 0 && !w->have_mf) /* only ferry writes stored frames */
        return fy_fail(w->err, FY_EREFUSED,
                       "%s: %lld of ferry's stored zstd frames but no ferry "
                       "manifest (the archive was cut or changed after "
                       "packing)",
                       w->name, frames);
    if (!w->have_mf)
        return FY_OK; /* another tool's archive: structure only */
    struct arc_mf_totals tot;
    enum fy_rc rc = arc_manifest_parse(w->mf.buf, w->mf.len, w->name, mf_line,
                                       w, &tot, w->err);
    if (rc != FY_OK)
        return rc;
    if (w->recorded != tot.entries)
        return fy_fail(w->err, FY_EREFUSED,
                       "%s: %" PRId64 " entries of the archive are not in "
                       "its manifest (it was changed after packing)",
                       w->name, w->recorded - tot.entries);
    w->st->manifest = true;
    return FY_OK;
}

/*
 * A header read returned ARCHIVE_WARN.  Harmless only when a name cannot
 * be converted to the locale (libarchive then keeps its raw bytes).  Any
 * other warning means the entry cannot be trusted: tar's malformed pax
 * attributes (the size or path may be the wrong one), an unknown sparse
 * format or a negative size; a zip whose local header disagrees with its
 * central directory (sizes, CRC-32).
 */
static bool
header_warn_ok(struct walk *w)
{
    const char *why = archive_error_string(w->rd.a);
    return why != NULL && (strstr(why, "can't be converted") != NULL ||
                           strstr(why, "cannot be converted") != NULL);
}

static enum fy_rc
walk_run(struct walk *w)
{
    enum fy_rc rc = FY_OK;
    for (;;) {
        if (fy_interrupted()) {
            rc = fy_fail(w->err, FY_EINTR, "%s: interrupted", w->name);
            break;
        }
        struct archive_entry *e;
        int r = archive_read_next_header(w->rd.a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && !(r == ARCHIVE_WARN && header_warn_ok(w))) {
            rc = rd_fail(&w->rd);
            break;
        }
        w->headers++;
        if (w->have_mf) { /* also a second manifest */
            rc = manifest_corrupt(w, "is not the last entry");
            break;
        }
        char *clean = NULL;
        enum arc_path_rc prc =
            arc_path_clean(archive_entry_pathname(e), &clean);
        if (clean != NULL && strcmp(clean, ARC_MANIFEST_PATH) == 0)
            rc = manifest_take(w, e);
        else
            rc = w->fn(w, e, prc, clean);
        free(clean);
        if (rc != FY_OK)
            break;
    }
    if (rc == FY_OK && w->rd.zip_entries >= 0 &&
        w->headers != w->rd.zip_entries)
        rc = fy_fail(w->err, FY_EINPUT,
                     "%s: corrupt zip: its central directory lists %" PRId64
                     " entries, %" PRId64 " were found",
                     w->name, w->rd.zip_entries, w->headers);
    if (rc == FY_OK)
        rc = rd_drain(&w->rd);
    if (rc == FY_OK && w->drain != NULL)
        rc = w->drain(w);
    if (rc == FY_OK)
        rc = walk_finish(w);
    return rc;
}

static enum fy_rc
walk_open(struct walk *w,
          struct fy_istream *is,
          const char *phase,
          const struct arc_read_opts *ro,
          int strip,
          walk_fn fn,
          void *ctx,
          struct arc_stats *st,
          struct out *out,
          struct fy_err *err)
{
    memset(w, 0, sizeof *w);
    w->guard = arc_guard_new();
    w->strip = strip;
    w->fn = fn;
    w->ctx = ctx;
    w->st = st;
    w->out = out;
    w->err = err;
    w->name = is->name;
    w->xx = xx_new();
    return rd_open(&w->rd, is, phase, ro, out, err);
}

static void
walk_close(struct walk *w)
{
    w->st->archive_bytes = (int64_t)atomic_load(&w->rd.ring.raw);
    rd_close(&w->rd);
    sbuf_release(&w->mf);
    arc_map_release(&w->seen);
    arc_guard_free(w->guard);
    if (w->xx != NULL)
        XXH3_freeState(w->xx);
}

static void
count(struct arc_stats *st, char type, int64_t size)
{
    switch (type) {
    case 'f':
        st->files++;
        st->bytes += size;
        break;
    case 'd':
        st->dirs++;
        break;
    case 'l':
        st->symlinks++;
        break;
    case 'h':
        st->hardlinks++;
        break;
    default:
        break;
    }
}

/* ------------------------------------------------ the entry safety check */

/* SPEC (issue 9): a path at the top of the target's ".ferry" (fetch's
 * resume state) is never unpacked: a planted resume file would steer a
 * later `ferry fetch -o DIR`. */
static bool
state_path(const char *fin)
{
    size_t n = strlen(ARC_STATE_DIR);
    return strncmp(fin, ARC_STATE_DIR, n) == 0 &&
           (fin[n] == '\0' || fin[n] == '/');
}

/* What entry_gate made of an entry. */
enum gate_kind {
    GATE_ROOT,    /* "./", the target itself: nothing to create */
    GATE_SPECIAL, /* a device, FIFO or socket: unpack skips it */
    GATE_SKIP,    /* stripped away, or under the top-level .ferry/ */
    GATE_MAKE     /* an entry to create at fin */
};

struct gate {
    enum gate_kind kind;
    char type;            /* entry_type() */
    const char *raw;      /* the path as stored, for messages */
    const char *fin;      /* the clean path after --strip-components */
    const char *fin_hl;   /* a hardlink's clean target after it, or NULL */
    char *hl;             /* a hardlink's clean target (owned) */
    bool state;           /* under the top-level .ferry/ */
    unsigned char lh[16]; /* a link's target, as the manifest hashes it */
};

/*
 * SPEC unpack safety for entry e, the one check for unpack, verify and
 * list (so verify passes exactly what unpack accepts): absolute paths,
 * ".." components, paths through an earlier symlink, and hardlinks to
 * anything but an earlier file are FY_EREFUSED, naming the entry.  On
 * FY_OK g says what to do with it; gate_pass() then records an entry that
 * was made (or checked) in the guard.  Free g->hl either way.
 */
static enum fy_rc
entry_gate(struct walk *w,
           struct archive_entry *e,
           enum arc_path_rc prc,
           const char *clean,
           const struct span *sp,
           struct gate *g)
{
    memset(g, 0, sizeof *g);
    g->raw = archive_entry_pathname(e);
    g->raw = g->raw ? g->raw : "";
    g->type = entry_type(e);
    if (prc == ARC_PATH_ABSOLUTE || prc == ARC_PATH_DOTDOT)
        return entry_fail(w->err, FY_EREFUSED, w->name, g->raw,
                          arc_unsafe_why(prc == ARC_PATH_ABSOLUTE
                                             ? ARC_UNSAFE_ABSOLUTE
                                             : ARC_UNSAFE_DOTDOT));
    if (prc == ARC_PATH_EMPTY) {
        g->kind = GATE_ROOT;
        return FY_OK;
    }
    const char *hl_raw = archive_entry_hardlink(e);
    if (hl_raw != NULL) {
        enum arc_path_rc hr = arc_path_clean(hl_raw, &g->hl);
        if (hr != ARC_PATH_OK)
            return entry_fail(w->err, FY_EREFUSED, w->name, g->raw,
                              arc_unsafe_why(hr == ARC_PATH_ABSOLUTE
                                                 ? ARC_UNSAFE_LINK_ABSOLUTE
                                             : hr == ARC_PATH_DOTDOT
                                                 ? ARC_UNSAFE_LINK_DOTDOT
                                                 : ARC_UNSAFE_LINK_TARGET));
        arc_link_hash(hl_raw, g->lh);
    } else if (g->type == 'l') {
        const char *target = archive_entry_symlink(e);
        arc_link_hash(target ? target : "", g->lh);
    }
    if (g->type == 'l' && w->rd.zip_entries >= 0) {
        enum fy_rc rc = zip_link_check(&w->rd, e, g->raw);
        if (rc != FY_OK)
            return rc;
    }
    if (g->type == 'l' && (archive_entry_symlink(e) == NULL ||
                           archive_entry_symlink(e)[0] == '\0'))
        return entry_fail(w->err, FY_EINPUT, w->name, g->raw,
                          "corrupt: a symlink without a target");
    g->fin = arc_path_strip(clean, w->strip);
    g->fin_hl = g->hl ? arc_path_strip(g->hl, w->strip) : NULL;
    if (sp->sparse && g->type != 'f')
        return entry_fail(w->err, FY_EINPUT, w->name, g->raw,
                          "corrupt: sparse, but not a regular file");
    g->state = g->fin != NULL && state_path(g->fin);
    if (strchr("fdlh", g->type) == NULL && !g->state) {
        g->kind = GATE_SPECIAL;
        return FY_OK;
    }
    if (g->fin == NULL || (g->hl != NULL && g->fin_hl == NULL) || g->state) {
        g->kind = GATE_SKIP;
        return FY_OK;
    }
    enum arc_unsafe un = arc_entry_check(w->guard, g->fin, g->type, g->fin_hl);
    if (un != ARC_SAFE)
        return entry_fail(w->err, FY_EREFUSED, w->name, g->raw,
                          arc_unsafe_why(un));
    g->kind = GATE_MAKE;
    return FY_OK;
}

/* The entry of g was made (unpack) or read (verify, list): later entries
 * are checked against it. */
static void
gate_pass(struct walk *w, const struct gate *g)
{
    if (g->kind != GATE_MAKE)
        return;
    char type = g->type;
    if (type == 'h') /* a hardlink is what it links to */
        type = arc_guard_type(w->guard, g->fin_hl);
    arc_guard_add(w->guard, g->fin, type);
}

/* Record an entry for the manifest check: a file's size and data hash h,
 * a link's target hash, a directory's type. */
static void
gate_record(struct walk *w,
            const struct gate *g,
            const char *clean,
            const struct span *sp,
            const unsigned char h[16])
{
    if (g->kind == GATE_ROOT || strchr("fdlh", g->type) == NULL)
        return;
    walk_record(w, clean, g->type, g->type == 'f' ? span_size(sp) : 0,
                g->type == 'f'   ? h
                : g->type == 'd' ? NULL
                                 : g->lh,
                sp->sparse);
}

/* ------------------------------------------------------- verify and list */

/*
 * verify's walk, and list's: every check unpack makes (the entry safety
 * check, the data within its declared size, hashed for the manifest),
 * nothing written.
 */
static enum fy_rc
check_entry(struct walk *w,
            struct archive_entry *e,
            enum arc_path_rc prc,
            const char *clean)
{
    struct gate g;
    struct span sp;
    unsigned char h[16];
    span_init(&sp, e);
    enum fy_rc rc = entry_gate(w, e, prc, clean, &sp, &g);
    if (rc == FY_OK)
        rc = pump(w, &sp, NULL, g.raw, h, NULL);
    if (rc == FY_OK) {
        gate_record(w, &g, clean, &sp, h);
        gate_pass(w, &g);
        if (g.kind != GATE_ROOT)
            count(w->st, g.type, span_size(&sp));
    }
    free(g.hl);
    return rc;
}

enum fy_rc
arc_verify(struct fy_istream *is,
           const struct arc_read_opts *ro,
           struct out *out,
           struct arc_stats *st,
           struct fy_err *err)
{
    struct walk w;
    double t0 = out_now();
    locale_t old, loc = utf8_enter(&old);
    memset(st, 0, sizeof *st);
    enum fy_rc rc =
        walk_open(&w, is, "verify", ro, 0, check_entry, NULL, st, out, err);
    if (rc == FY_OK)
        rc = walk_run(&w);
    walk_close(&w);
    utf8_leave(loc, old);
    st->seconds = out_now() - t0;
    return rc;
}

struct lister {
    enum fy_rc (*cb)(void *ctx,
                     const struct arc_entry_info *e,
                     struct fy_err *err);
    void *ctx;
};

/* list: verify's check of the entry, then its row. */
static enum fy_rc
list_entry(struct walk *w,
           struct archive_entry *e,
           enum arc_path_rc prc,
           const char *clean)
{
    struct lister *l = w->ctx;
    enum fy_rc rc = check_entry(w, e, prc, clean);
    if (rc != FY_OK || prc == ARC_PATH_EMPTY)
        return rc;
    struct arc_entry_info info;
    info.path = clean;
    info.type = entry_type(e);
    info.mode = (unsigned)archive_entry_perm(e);
    info.size = archive_entry_size(e);
    info.mtime = archive_entry_mtime(e);
    info.link = archive_entry_hardlink(e);
    if (info.link == NULL)
        info.link = archive_entry_symlink(e);
    return l->cb(l->ctx, &info, w->err);
}

enum fy_rc
arc_list(struct fy_istream *is,
         const struct arc_read_opts *ro,
         enum fy_rc (*cb)(void *ctx,
                          const struct arc_entry_info *e,
                          struct fy_err *err),
         void *ctx,
         struct out *out,
         struct fy_err *err)
{
    struct walk w;
    struct arc_stats st;
    struct lister l = {cb, ctx};
    locale_t old, loc = utf8_enter(&old);
    memset(&st, 0, sizeof st);
    enum fy_rc rc =
        walk_open(&w, is, NULL, ro, 0, list_entry, &l, &st, out, err);
    if (rc == FY_OK)
        rc = walk_run(&w);
    walk_close(&w);
    utf8_leave(loc, old);
    return rc;
}

/* ---------------------------------------------------------------- unpack */

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
#define PW_MIN    (16u << 10) /* files this big go to a writer */
#define PW_MAX    8           /* writer threads at most */
#define PW_QUEUE  64          /* jobs queued per writer */
#define PW_SPLIT  (4u << 20)  /* from here the main thread helps (see below) */
#define PW_BATCH  8           /* jobs queued before an idle writer is woken */
#define PW_BEHIND 16 /* a writer with this many jobs queued is behind */

/* What a file created without its data needs once the data is in. */
struct made {
    bool fix_mode; /* created writable for us: put the mode back */
    mode_t mode;
    struct timespec times[2];
};

/* Put the mode and times back after writing; false on error (errno). */
static bool
file_seal(int fd, const struct made *m)
{
    return (!m->fix_mode || fchmod(fd, m->mode) == 0) &&
           futimens(fd, m->times) == 0;
}

struct pw_file {
    int fd;
    XXH3_state_t *xx;
    int64_t size;
    struct made made; /* mode and times to put back */
    char *path;       /* clean archive path, for the manifest check */
    char *shown;      /* for messages */
    bool main_hash;   /* a big file: the main thread hashes and shares writes */
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
    struct pw *pw;
    struct pw_job q[PW_QUEUE];
    unsigned head, tail;
    bool idle;   /* the writer waits for a job */
    int blocked; /* threads waiting for room or for the queue to drain */
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct pw {
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
pw_fail(struct pw *pw, struct pw_file *f, const char *what)
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
pw_release_slot(struct pw *pw, int slot)
{
    struct ring *r = pw->ring;
    pthread_mutex_lock(&r->mu);
    if (--r->refs[slot] == 0)
        pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void pw_push(struct pw_worker *w, const struct pw_job *j);

static bool
write_all(int fd, const unsigned char *p, size_t len, off_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return true;
}

static void pw_end(struct pw *pw, struct pw_file *f, bool skip);
static void pw_close(struct pw *pw, struct pw_file *f, bool skip);

static void
pw_do(struct pw *pw, struct pw_job *j)
{
    struct pw_file *f = j->f;
    bool skip = atomic_load(&pw->cancel) || f->fd < 0;
    if (j->buf != NULL) {
        if (!skip) {
            if (!f->main_hash) /* in order, no gaps: see span_block */
                XXH3_128bits_update(f->xx, j->buf, j->len);
            if (!write_all(f->fd, j->buf, j->len, (off_t)j->off)) {
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
pw_end(struct pw *pw, struct pw_file *f, bool skip)
{
    if (!skip) {
        if (!f->main_hash)
            xx_digest(f->xx, f->hash);
        if (!file_seal(f->fd, &f->made))
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
pw_close(struct pw *pw, struct pw_file *f, bool skip)
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
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
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
     * context switches; pw_flush() wakes it whenever the main thread is
     * about to wait */
    if (w->idle &&
        (w->head - w->tail >= PW_BATCH || j->f == NULL || w == w->pw->flusher))
        pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Wake every idle writer that has jobs. */
static void
pw_flush(void *ctx)
{
    struct pw *pw = ctx;
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
pw_wait(struct pw *pw)
{
    pw_flush(pw);
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

static struct pw *
pw_new(struct ring *ring, const char *name)
{
    /* one core stays with the main thread, which creates the files */
    int n = ncpus() > 1 ? ncpus() - 1 : 1;
    const char *env = getenv("FERRY_UNPACK_WRITERS"); /* for benchmarks */
    if (env != NULL && *env)
        n = (int)strtol(env, NULL, 10);
    if (n <= 0 || ring == NULL || !ring->started)
        return NULL; /* no ring (zip), or asked for none: write inline */
    struct pw *pw = xcalloc(1, sizeof *pw);
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
static void
pw_free(struct pw *pw, bool cancel)
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
pw_submit(struct pw *pw,
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

struct unpacker {
    const struct arc_unpack_opts *o;
    struct out *out;
    struct fy_err *err;
    struct arc_stats *st;
    const char *dir;     /* as given */
    char *target;        /* absolute */
    char *parent, *base; /* of target */
    int parentfd;
    bool exists, isdir, nonempty;
    mode_t old_mode;
    char *stage_name; /* base.ferry-XXXXXX, in parent */
    int stage_fd;
    struct archive *disk;
    struct pw *pw;         /* data writers, or NULL: write inline */
    int64_t state_skipped; /* entries under .ferry/ left out */
};

static bool
dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = false;
    closedir(d);
    return empty;
}

static bool
staging_name(const char *name, const char *base)
{
    size_t bl = strlen(base), pl = strlen(".ferry-");
    if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".ferry-", pl) != 0)
        return false;
    const char *x = name + bl + pl;
    if (strlen(x) != 6)
        return false;
    for (; *x; x++)
        if (!((*x >= 'a' && *x <= 'z') || (*x >= 'A' && *x <= 'Z') ||
              (*x >= '0' && *x <= '9')))
            return false;
    return true;
}

/* Remove staging directories of this target left by a killed run: only
 * ours (the name pattern) and only unlocked ones (no live unpack). */
static void
clean_stale(struct unpacker *u)
{
    int fd = dup(u->parentfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!staging_name(de->d_name, u->base))
            continue;
        int sfd = openat(u->parentfd, de->d_name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (sfd < 0)
            continue;
        /* ours: made by this user, and no live unpack holds its lock */
        if (fstat(sfd, &st) == 0 && st.st_uid == geteuid() &&
            flock(sfd, LOCK_EX | LOCK_NB) == 0) {
            struct fy_err tmp = FY_ERR_INIT;
            if (fs_remove_tree_at(u->parentfd, de->d_name, &tmp) == FY_OK)
                out_verbose(u->out,
                            "removed %s/%s (left by an interrupted "
                            "unpack)",
                            u->parent, de->d_name);
            else
                out_warn(u->out, "cannot remove leftover %s", tmp.msg);
        }
        close(sfd);
    }
    closedir(d);
}

static enum fy_rc
target_prepare(struct unpacker *u)
{
    struct stat st;
    const char *dir = u->dir;
    if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* SPEC (issue 9): never unpack (or --force replace) through a
         * link: the tree would land, or be swapped, where it points */
        char *real = realpath(dir, NULL);
        if (real != NULL)
            fy_fail(u->err, FY_EREFUSED,
                    "%s: is a symlink (to %s); give the real directory", dir,
                    real);
        else
            fy_fail(u->err, FY_EREFUSED,
                    "%s: is a symlink; give the real directory", dir);
        free(real);
        return u->err->rc;
    }
    if (lstat(dir, &st) == 0) {
        u->target = realpath(dir, NULL);
        if (u->target == NULL || stat(u->target, &st) != 0)
            return fy_fail_errno(u->err, FY_ERUNTIME, "%s", dir);
        u->exists = true;
        u->isdir = S_ISDIR(st.st_mode);
        u->old_mode = st.st_mode & 07777;
    } else if (errno == ENOENT) {
        char *parent = fs_dirname(dir), *base = fs_basename(dir);
        enum fy_rc rc = FY_OK;
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
            strcmp(base, "/") == 0)
            rc = fy_fail(u->err, FY_EUSAGE, "%s: not a usable directory name",
                         dir);
        if (rc == FY_OK)
            rc = fs_mkdir_p(parent, 0777, u->err);
        char *rp = rc == FY_OK ? realpath(parent, NULL) : NULL;
        if (rc == FY_OK && rp == NULL)
            rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s", parent);
        if (rc == FY_OK)
            u->target = fs_join(rp, base);
        free(rp);
        free(parent);
        free(base);
        if (rc != FY_OK)
            return rc;
    } else {
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s", dir);
    }
    if (strcmp(u->target, "/") == 0)
        return fy_fail(u->err, FY_EREFUSED, "%s: refusing to replace /", dir);
    u->parent = fs_dirname(u->target);
    u->base = fs_basename(u->target);
    u->parentfd = open(u->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (u->parentfd < 0)
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->parent);
    clean_stale(u);
    if (u->exists) {
        u->nonempty = !(u->isdir && dir_empty(u->target));
        if (u->nonempty && !u->o->force)
            return fy_fail(u->err, FY_EREFUSED,
                           "%s: exists and is not %s (use --force to "
                           "replace it)",
                           dir, u->isdir ? "empty" : "a directory");
    }
    return FY_OK;
}

static enum fy_rc
stage_make(struct unpacker *u)
{
    char *tmpl = xasprintf("%s/%s.ferry-XXXXXX", u->parent, u->base);
    enum fy_rc rc = FY_OK;
    /* errors name DIR as given: the staging name is ours, not the user's
     * (it shares DIR's parent, so the errno is the same) */
    if (mkdtemp(tmpl) == NULL) {
        rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->dir);
    } else {
        u->stage_name = fs_basename(tmpl);
        u->stage_fd = openat(u->parentfd, u->stage_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (u->stage_fd < 0)
            rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->dir);
        else if (flock(u->stage_fd, LOCK_EX) != 0)
            rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s: lock", u->dir);
    }
    free(tmpl);
    return rc;
}

/* Sync the staging tree, then move it into place; --force swaps the old
 * tree out atomically (RENAME_EXCHANGE) and removes it afterwards. */
static enum fy_rc
stage_commit(struct unpacker *u)
{
    mode_t um = umask(0); /* single-threaded here: the reader has stopped */
    umask(um);
    mode_t mode = u->exists && u->isdir ? u->old_mode : (0777 & ~um);
    if (fchmod(u->stage_fd, mode) != 0)
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s: chmod", u->dir);
    if (syncfs(u->stage_fd) != 0)
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s: sync", u->dir);
    bool swapped = false;
    if (renameat(u->parentfd, u->stage_name, u->parentfd, u->base) != 0) {
        if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR &&
            errno != EISDIR)
            return fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->dir);
        if (!u->o->force)
            return fy_fail(u->err, FY_EREFUSED,
                           "%s: exists and is not empty (use --force to "
                           "replace it)",
                           u->dir);
        if (renameat2(u->parentfd, u->stage_name, u->parentfd, u->base,
                      RENAME_EXCHANGE) != 0)
            return fy_fail_errno(u->err, FY_ERUNTIME, "%s: swap", u->dir);
        swapped = true;
    }
    enum fy_rc rc = fs_fsync_dir(u->parent, u->err);
    if (swapped) {
        /* the old tree now sits under the staging name */
        struct fy_err tmp = FY_ERR_INIT;
        if (fs_remove_tree_at(u->parentfd, u->stage_name, &tmp) != FY_OK)
            out_warn(u->out, "cannot remove the old tree: %s", tmp.msg);
    }
    free(u->stage_name);
    u->stage_name = NULL; /* committed: nothing to clean up */
    return rc;
}

static void
kick_writeback(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        close(fd);
    }
}

/*
 * Create the regular file of entry e at fin through libarchive (the SECURE
 * checks, mode, owner) but without its data, and open it for writing:
 * owner-write until m is sealed, and no size set by libarchive, which
 * would otherwise pad the file with zeros up to the size its header
 * declares (SPEC, issue 9: never).  *fd is the open file.
 */
static enum fy_rc
file_make(struct walk *w,
          struct unpacker *u,
          struct archive_entry *e,
          const char *raw,
          const char *fin,
          struct made *m,
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
    int r = archive_write_header(u->disk, e);
    if (r >= ARCHIVE_WARN)
        r = archive_write_finish_entry(u->disk);
    if (r < ARCHIVE_WARN)
        return disk_fail(w, u->disk, ARC_SIDE_EXTRACT, raw);
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
static enum fy_rc
write_fail(struct walk *w, const char *raw, int64_t size)
{
    if (errno == EFBIG || errno == EINVAL) {
        char why[160];
        snprintf(why, sizeof why,
                 "its declared size of %" PRId64
                 " bytes is more than the filesystem allows",
                 size);
        return entry_fail(w->err, FY_EINPUT, w->name, raw, why);
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
 * they are.  The hash covers the data blocks only (see struct span).
 */
static enum fy_rc
unpack_sparse(struct walk *w,
              struct unpacker *u,
              struct archive_entry *e,
              const char *raw,
              const char *fin,
              struct span *sp,
              unsigned char hash[16])
{
    struct made m;
    int fd;
    enum fy_rc rc = file_make(w, u, e, raw, fin, &m, &fd);
    XXH3_128bits_reset(w->xx);
    const void *buf;
    size_t len;
    int64_t off;
    while (rc == FY_OK && entry_block(w, sp, raw, &buf, &len, &off, &rc) > 0) {
        if (!write_all(fd, buf, len, (off_t)off))
            rc = write_fail(w, raw, sp->size);
        else
            XXH3_128bits_update(w->xx, buf, len);
    }
    if (rc == FY_OK && sp->size >= 0 && ftruncate(fd, (off_t)sp->size) != 0)
        rc = write_fail(w, raw, sp->size);
    if (rc == FY_OK && !file_seal(fd, &m))
        rc = write_fail(w, raw, sp->size);
    if (fd >= 0 && close(fd) != 0 && rc == FY_OK)
        rc = write_fail(w, raw, sp->size);
    if (rc == FY_OK)
        xx_digest(w->xx, hash);
    return rc;
}

/* The parallel path for a big regular file (see "Writers" above). */
static enum fy_rc
unpack_file_async(struct walk *w,
                  struct unpacker *u,
                  struct archive_entry *e,
                  const char *raw,
                  const char *clean,
                  const char *fin,
                  struct span *sp)
{
    struct pw *pw = u->pw;
    struct pw_file *f = xcalloc(1, sizeof *f);
    f->size = sp->size;
    f->path = xstrdup(clean);
    f->shown = out_escape(raw);
    enum fy_rc rc = file_make(w, u, e, raw, fin, &f->made, &f->fd);
    if (rc != FY_OK) {
        if (f->fd >= 0)
            close(f->fd);
        pw_file_free(f);
        return rc;
    }
    f->xx = xx_new();
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
    while (entry_block(w, sp, raw, &buf, &len, &off, &rc) > 0) {
        if (!f->main_hash) {
            pw_submit(pw, wk, f, buf, len, off);
            continue;
        }
        XXH3_128bits_update(f->xx, buf, len);
        if (!mine && (k++ & 1) == 0) {
            pw_submit(pw, wk, f, buf, len, off);
            continue;
        }
        if (!write_all(f->fd, buf, len, (off_t)off)) {
            rc = write_fail(w, raw, f->size);
            break;
        }
    }
    if (rc == FY_OK)
        rc = span_end(w, sp, raw); /* never padded: whole, or corrupt */
    if (f->main_hash && rc == FY_OK)
        xx_digest(f->xx, f->hash); /* before the writer may list it done */
    if (mine) {
        pw_end(pw, f, rc != FY_OK);
        return rc;
    }
    /* always end the file, so the writer closes it and lists it done */
    struct pw_job end = {f, NULL, 0, 0, -1};
    pw_push(wk, &end);
    return rc;
}

/* Wait for the writers; fold their results into the manifest check. */
static enum fy_rc
unpack_drain(struct walk *w)
{
    struct unpacker *u = w->ctx;
    struct pw *pw = u->pw;
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
        walk_record(w, f->path, 'f', f->size, f->hash, false);
        pw_file_free(f);
    }
    if (failed)
        return fy_fail(w->err, pw->err.rc, "%s", pw->err.msg);
    return FY_OK;
}

static enum fy_rc
unpack_entry(struct walk *w,
             struct archive_entry *e,
             enum arc_path_rc prc,
             const char *clean)
{
    struct unpacker *u = w->ctx;
    unsigned char h[16];
    int64_t bytes = 0;
    struct span sp;
    struct gate g;
    span_init(&sp, e);
    if (u->pw != NULL) {
        pthread_mutex_lock(&u->pw->mu);
        bool failed = u->pw->failed;
        pthread_mutex_unlock(&u->pw->mu);
        if (failed)
            return fy_fail(w->err, u->pw->err.rc, "%s", u->pw->err.msg);
    }
    enum fy_rc rc = entry_gate(w, e, prc, clean, &sp, &g);
    const char *raw = g.raw;
    if (rc != FY_OK)
        goto out;
    switch (g.kind) {
    case GATE_ROOT:
        rc = pump(w, &sp, NULL, raw, h, NULL);
        goto out;
    case GATE_SPECIAL: {
        char *esc = out_escape(raw);
        out_warn(w->out, "%s: entry '%s': %s skipped", w->name, esc,
                 special_name(g.type));
        free(esc);
        u->st->skipped++;
        rc = pump(w, &sp, NULL, raw, h, NULL);
        goto out;
    }
    case GATE_SKIP:
        /* stripped away, or fetch's state: only hashed for the manifest
         * check */
        rc = pump(w, &sp, NULL, raw, h, NULL);
        if (rc == FY_OK)
            gate_record(w, &g, clean, &sp, h);
        if (rc == FY_OK && g.state) {
            u->state_skipped++;
            u->st->skipped++;
        }
        goto out;
    case GATE_MAKE:
        break;
    }
    /* SPEC: setuid/setgid bits are stripped */
    unsigned perm = (unsigned)archive_entry_perm(e);
    if (perm & (S_ISUID | S_ISGID)) {
        archive_entry_set_perm(e, perm & ~(unsigned)(S_ISUID | S_ISGID));
        char *esc = out_escape(raw);
        out_verbose(w->out, "%s: setuid/setgid bits dropped", esc);
        free(esc);
    }
    char *raw_copy = xstrdup(raw); /* set_pathname frees raw */
    raw = raw_copy;
    archive_entry_set_pathname(e, g.fin);
    if (g.fin_hl != NULL)
        archive_entry_set_hardlink(e, g.fin_hl);
    if (sp.sparse) {
        rc = unpack_sparse(w, u, e, raw, g.fin, &sp, h);
        if (rc == FY_OK) {
            gate_pass(w, &g);
            gate_record(w, &g, clean, &sp, h);
            count(u->st, 'f', sp.size);
        }
        goto out_raw;
    }
    if (g.type == 'f' && u->pw != NULL && sp.size >= 0 &&
        sp.size >= (int64_t)PW_MIN) {
        /* recorded for the manifest check by unpack_drain */
        rc = unpack_file_async(w, u, e, raw, clean, g.fin, &sp);
        if (rc == FY_OK) {
            gate_pass(w, &g);
            count(u->st, 'f', sp.size);
        }
        goto out_raw;
    }
    int r = archive_write_header(u->disk, e);
    if (r < ARCHIVE_WARN) {
        rc = disk_fail(w, u->disk, ARC_SIDE_EXTRACT, raw);
        goto out_raw;
    }
    rc = pump(w, &sp, u->disk, raw, h, &bytes);
    if (rc != FY_OK)
        goto out_raw;
    r = archive_write_finish_entry(u->disk);
    if (r < ARCHIVE_WARN) {
        rc = disk_fail(w, u->disk, ARC_SIDE_WRITE, raw);
        goto out_raw;
    }
    gate_pass(w, &g);
    gate_record(w, &g, clean, &sp, h);
    int64_t size = span_size(&sp);
    count(u->st, g.type, size);
    if (g.type == 'f' && size >= (int64_t)KICK_MIN && u->pw == NULL)
        kick_writeback(g.fin);
out_raw:
    free(raw_copy);
out:
    free(g.hl);
    return rc;
}

static void
unpacker_release(struct unpacker *u)
{
    if (u->disk != NULL)
        archive_write_free(u->disk);
    u->disk = NULL;
    if (u->stage_name != NULL && u->parentfd >= 0) {
        struct fy_err tmp = FY_ERR_INIT;
        if (fs_remove_tree_at(u->parentfd, u->stage_name, &tmp) != FY_OK)
            out_warn(u->out, "cannot remove the staging directory: %s",
                     tmp.msg);
    }
    if (u->stage_fd >= 0)
        close(u->stage_fd); /* releases the lock */
    if (u->parentfd >= 0)
        close(u->parentfd);
    free(u->stage_name);
    free(u->target);
    free(u->parent);
    free(u->base);
}

enum fy_rc
arc_unpack(struct fy_istream *is,
           const char *dir,
           const struct arc_unpack_opts *o,
           struct out *out,
           struct arc_stats *st,
           struct fy_err *err)
{
    struct unpacker u;
    struct walk w;
    bool walking = false;
    int cwd = -1;
    double t0 = out_now();
    enum fy_rc rc;
    locale_t old, loc = utf8_enter(&old);

    memset(&u, 0, sizeof u);
    memset(st, 0, sizeof *st);
    u.o = o;
    u.out = out;
    u.err = err;
    u.st = st;
    u.dir = dir;
    u.parentfd = -1;
    u.stage_fd = -1;
    rc = target_prepare(&u);
    if (rc == FY_OK)
        rc = stage_make(&u);
    if (rc != FY_OK) {
        is->close(is->ctx);
        goto done;
    }
    out_event(out, "start", "{sssssssI}", "op", "unpack", "archive", is->name,
              "dir", dir, "bytes", (long long)is->size);
    walking = true;
    rc = walk_open(&w, is, "unpack", &o->read, o->strip, unpack_entry, &u, st,
                   out, err);
    if (rc != FY_OK)
        goto done;
    u.pw = pw_new(&w.rd.ring, is->name);
    if (u.pw != NULL) {
        w.rd.idle_hook = pw_flush;
        w.rd.idle_ctx = u.pw;
    }
    w.drain = unpack_drain;
    u.disk = archive_write_disk_new();
    if (u.disk == NULL) {
        rc = fy_fail(err, FY_ERUNTIME, "%s: out of memory", dir);
        goto done;
    }
    int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
    if (o->same_owner && geteuid() == 0)
        flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(u.disk, flags);
    if (flags & ARCHIVE_EXTRACT_OWNER)
        archive_write_disk_set_standard_lookup(u.disk);
    cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || fchdir(u.stage_fd) != 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
        goto done;
    }
    rc = walk_run(&w);
    pw_free(u.pw, rc != FY_OK); /* done by now unless something failed */
    u.pw = NULL;
    w.rd.idle_hook = NULL;
    /* directory modes and times are set here, still inside the stage */
    if (archive_write_close(u.disk) < ARCHIVE_WARN && rc == FY_OK) {
        const char *la = archive_error_string(u.disk);
        char *why = out_escape(la ? la : "cannot finish"); /* names, raw */
        rc = fy_fail(err, FY_ERUNTIME, "%s: %s", dir, why);
        free(why);
    }
    archive_write_free(u.disk);
    u.disk = NULL;
done:
    pw_free(u.pw, true);
    u.pw = NULL;
    if (walking)
        w.rd.idle_hook = NULL;
    if (u.disk != NULL) /* its fixups must run inside the stage, if at all */
        archive_write_free(u.disk);
    u.disk = NULL;
    if (cwd >= 0) {
        if (fchdir(cwd) != 0 && rc == FY_OK)
            rc = fy_fail_errno(err, FY_ERUNTIME,
                               "cannot return to the "
                               "working directory");
        close(cwd);
    }
    if (walking)
        walk_close(&w);
    if (rc == FY_OK)
        rc = stage_commit(&u);
    if (rc == FY_OK && u.state_skipped > 0)
        out_warn(out,
                 "%s: %lld entries under %s/ not unpacked (fetch's state "
                 "directory: a cache, never taken from an archive)",
                 is->name, (long long)u.state_skipped, ARC_STATE_DIR);
    unpacker_release(&u);
    utf8_leave(loc, old);
    st->seconds = out_now() - t0;
    return rc;
}

enum fy_rc
arc_long_parse(const char *arg, struct arc_read_opts *ro, struct fy_err *err)
{
    int64_t v = ARC_WINDOW_LOG_MAX;
    if (arg != NULL && cli_parse_i64("--long", arg, ARC_WINDOW_LOG_DEFAULT,
                                     ARC_WINDOW_LOG_MAX, &v, err) != FY_OK)
        return err->rc;
    ro->window_log = (int)v;
    return FY_OK;
}

bool
arc_pack_arg_is(int opt)
{
    return opt >= ARC_OPT_BASE && opt < ARC_OPT_END;
}

enum fy_rc
arc_pack_arg_set(struct arc_pack_args *a,
                 const char *cmd,
                 int opt,
                 const char *arg,
                 struct fy_err *err)
{
    int64_t v;
    switch (opt) {
    case ARC_OPT_FORMAT:
        if (!arc_format_parse(arg, &a->o.format))
            return fy_fail(err, FY_EUSAGE,
                           "%s: --format: '%s' is not tar.zst, tar.gz, "
                           "tar.xz, tar or zip (see 'ferry %s --help')",
                           cmd, arg, cmd);
        a->format_given = true;
        break;
    case ARC_OPT_LEVEL:
        a->level = arg;
        break;
    case ARC_OPT_THREADS:
        if (cli_parse_i64("--threads", arg, 0, 256, &v, err) != FY_OK)
            return err->rc;
        a->o.threads = (int)v;
        break;
    case ARC_OPT_EXCLUDE:
        strlist_add(&a->o.excludes, arg);
        break;
    case ARC_OPT_EXCLUDE_FROM:
        strlist_add(&a->o.exclude_files, arg);
        break;
    default:
        break;
    }
    return FY_OK;
}

enum fy_rc
arc_pack_args_settle(struct arc_pack_args *a,
                     const char *cmd,
                     const char *output,
                     struct fy_err *err)
{
    if (output != NULL && !a->format_given && strcmp(output, "-") != 0) {
        /* SPEC: archive formats follow the name; a name that asks for
         * another format (or none: a FIFO, a device) gets no zstd data it
         * did not ask for */
        enum arc_format f = arc_format_from_path(output);
        if (f == ARC_FMT_NONE) {
            char *show = out_escape(output);
            fy_fail(err, FY_EUSAGE,
                    "%s: %s: not .tar.zst, .tar.gz, .tar.xz, .tar or .zip, "
                    "the formats ferry writes: rename it or give --format "
                    "(see 'ferry %s --help')",
                    cmd, show, cmd);
            free(show);
            return err->rc;
        }
        a->o.format = f;
    }
    if (a->level == NULL)
        return FY_OK;
    int min, max;
    int64_t v;
    if (!arc_level_range(a->o.format, &min, &max))
        return fy_fail(err, FY_EUSAGE,
                       "%s: --level: %s is not compressed (see 'ferry %s "
                       "--help')",
                       cmd, arc_format_name(a->o.format), cmd);
    if (cli_parse_i64("--level", a->level, min, max, &v, err) != FY_OK)
        return err->rc;
    if (v == 0 && a->o.format == ARC_FMT_TAR_ZST)
        v = 3; /* zstd: 0 means the default */
    a->o.level = (int)v;
    return FY_OK;
}
