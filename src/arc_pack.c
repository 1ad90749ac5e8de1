/*
 * arc_pack.c - pack: after the pre-scan (arc_scan.c) every entry is
 * written as a pax tar entry (or zip).  File data is read in ARC_BLOCK
 * pieces, hashed with XXH3-128 and handed to libarchive, whose
 * uncompressed tar stream goes to pack_write_cb: for tar.zst that is the
 * zstd writer (arc_zstd.c: libzstd frames for compressible bytes, stored
 * frames for random-looking file data), for the other formats the stream
 * already filtered by libarchive.  The manifest is the last entry.  Output
 * goes to a struct fy_ostream, committed only if all went well.
 */
#include "ferry/arc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "arc_int.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/outpipe.h"
#include "arc_zstd.h"
#include "ferry/xalloc.h"

#define ARC_BLOCK (256u << 10) /* file data read per call */
#define RAW_MIN   (16u << 10)  /* smaller pieces are always compressed */
#define RAW_CHI2  568u         /* below this, store (see looks_random) */

/* One pack run (arc_pack): on its stack, everything freed by
 * packer_release(). */
struct packer {
    const struct arc_pack_opts *o;
    enum arc_format fmt;
    struct out *out;
    struct fy_err *err;
    struct arc_stats *st;
    const char *dir;
    const char *name; /* the archive, for messages */
    int rootfd;
    /* the directory of the last file opened, so the next file of the same
     * directory opens without a walk of its whole path */
    struct arc_dircache dirs;
    struct arc_scan scan; /* the entries to pack */
    struct archive *a;
    struct archive_entry *e;
    struct fy_ostream *os;
    struct arc_zstd_writer *zstd; /* tar.zst: our zstd writer, else NULL */
    /* pack_file to pack_write_cb, around one archive_write_data() (which
     * calls it before it returns): the bytes are file data that looks
     * random, to be stored, not compressed */
    bool store_next;
    unsigned char *buf;
    XXH3_state_t *xx;
    /* the manifest: one compact record per scan entry (p->cur is the one
     * being packed) until pack_manifest() writes the text, a fifth of the
     * memory */
    struct mf_rec *mf;
    size_t cur;
    struct arc_mf_totals tot;
    struct arc_map links; /* (dev, ino) of files with nlink > 1 */
    bool *keep;           /* o->hooks: the entries to pack */
    const char *hl_first; /* the hardlink just packed: its target */
    uid_t uid;
    gid_t gid;
    bool have_uid, have_gid;
    char *uname, *gname;
    /* progress: file bytes read; prog.p.done weighs in what the
     * compressor still holds, and stays below the total until the
     * archive's last byte is written (pack_tick) */
    int64_t read;
    struct arc_tick prog;
    struct outpipe *op;      /* the archive's bytes: hashed, written */
    struct arc_prefetch *pf; /* opens files ahead (NULL: none) */
};

/* The manifest line of a scan entry (see arc_manifest_add); type 0: it
 * was not packed; unstable: a 'u' line follows. */
struct mf_rec {
    int64_t size;
    unsigned char hash[16];
    char type;
    bool has_hash, unstable;
};

/* The manifest line of the entry being packed (p->cur); 'u' marks it. */
static void
mf_add(struct packer *p, char type, int64_t size, const unsigned char *hash)
{
    struct mf_rec *r = &p->mf[p->cur];
    if (type == 'u') {
        r->unstable = true;
        return;
    }
    r->size = size;
    r->type = type;
    r->has_hash = hash != NULL;
    if (hash != NULL)
        memcpy(r->hash, hash, 16);
}

/*
 * Progress weighs output as much as input: the mean of the bytes read and
 * the bytes compressed (read less what the zstd writer still holds: at a
 * slow level its workers hold megabytes, and the last of them takes
 * seconds), never going back, and short of the total until arc_pack()
 * has written the archive's last byte and draws the final line.
 */
static void
pack_tick(struct packer *p)
{
    if (p->out->mode == OUT_NONE) /* -q, --no-progress, save's packer */
        return;
    int64_t done = p->read;
    if (p->zstd != NULL)
        done -= arc_zstd_writer_backlog(p->zstd) / 2;
    if (done > p->prog.p.total - 1)
        done = p->prog.p.total - 1;
    if (done > p->prog.p.done)
        p->prog.p.done = done;
    arc_tick(p->out, &p->prog, false);
}

static void
zstd_tick(void *ctx)
{
    pack_tick(ctx);
}

static enum fy_rc
owrite(void *ctx, const void *buf, size_t n)
{
    struct packer *p = ctx;
    p->st->archive_bytes += (int64_t)n;
    enum fy_rc rc = outpipe_write(p->op, buf, n, p->err);
    pack_tick(p);
    return rc;
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
    if (p->zstd == NULL)
        rc = owrite(p, buf, n);
    else if (p->store_next)
        rc = arc_zstd_writer_put_stored(p->zstd, buf, n);
    else
        rc = arc_zstd_writer_put(p->zstd, buf, n);
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
    int threads = o->threads > 0 ? o->threads : arc_ncpus();
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
        enum fy_rc rc =
            arc_zstd_writer_new(o->level ? o->level : 3, threads, owrite, p,
                                p->name, p->err, &p->zstd);
        if (rc != FY_OK)
            return rc;
        arc_zstd_writer_on_tick(p->zstd, zstd_tick);
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

/* Open the regular file at path for reading: *fd and its fstat *a, or -1
 * if it vanished or is no regular file any more (warned). */
static enum fy_rc
file_open(struct packer *p, const char *path, int *fd, struct stat *a)
{
    int err = 0;
    bool have = false;
    *fd = -1;
    if (arc_prefetch_take(p->pf, p->cur, fd, &err, a, &have))
        errno = err;
    else
        *fd = arc_pack_open(&p->dirs, p->rootfd, path);
    if (*fd >= 0) {
        if ((have || fstat(*fd, a) == 0) && S_ISREG(a->st_mode))
            return FY_OK;
        close(*fd);
        *fd = -1;
        vanished(p, path);
        return FY_OK;
    }
    if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) {
        vanished(p, path);
        return FY_OK;
    }
    char *e = out_escape(path);
    fy_fail_errno(p->err, FY_ERUNTIME, "%s/%s", p->dir, e);
    free(e);
    return p->err->rc;
}

/* A second (or later) name of a file already packed as first. */
static enum fy_rc
pack_hardlink(struct packer *p,
              const char *path,
              const struct stat *a,
              const char *first)
{
    entry_start(p, path, a->st_mode, a->st_uid, a->st_gid, &a->st_mtim);
    archive_entry_copy_hardlink(p->e, first);
    archive_entry_set_size(p->e, 0);
    enum fy_rc rc = header_out(p, path);
    if (rc == FY_OK) {
        unsigned char lh[16];
        p->hl_first = first;
        arc_link_hash(first, lh);
        mf_add(p, 'h', 0, lh);
        p->tot.entries++;
        p->st->hardlinks++;
    }
    return rc;
}

/* The size bytes of the file open as fd, hashed into p->xx and written
 * after its header; a file that shrank is padded with zeros
 * (*short_read). */
static enum fy_rc
file_data(
    struct packer *p, int fd, const char *path, int64_t size, bool *short_read)
{
    enum fy_rc rc = FY_OK;
    int64_t left = size;
    int64_t hinted = ARC_PF_HINT; /* announced: the opener did the first */
    XXH3_128bits_reset(p->xx);
    *short_read = false;
    while (rc == FY_OK && left > 0) {
        if (fy_interrupted())
            return fy_fail(p->err, FY_EINTR, "%s: interrupted", p->name);
        if (size - left + ARC_PF_HINT / 2 > hinted && hinted < size) {
            /* keep a big file's next bytes on their way, whatever the
             * device's own read-ahead (128 KiB on many VMs) */
            (void)posix_fadvise(fd, hinted, ARC_PF_HINT, POSIX_FADV_WILLNEED);
            hinted += ARC_PF_HINT;
        }
        size_t want = left < (int64_t)ARC_BLOCK ? (size_t)left : ARC_BLOCK;
        ssize_t n = *short_read ? 0 : read(fd, p->buf, want);
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
            *short_read = true;
            memset(p->buf, 0, want);
            n = (ssize_t)want;
        }
        XXH3_128bits_update(p->xx, p->buf, (size_t)n);
        p->store_next = p->zstd != NULL && looks_random(p->buf, (size_t)n);
        rc = data_out(p, p->buf, (size_t)n);
        p->store_next = false;
        left -= n;
        p->read += n;
        pack_tick(p);
    }
    return rc;
}

/* A file packed: its manifest line and counts; unstable if it changed
 * while it was read. */
static void
file_record(struct packer *p,
            const char *path,
            const struct stat *a,
            bool unstable)
{
    unsigned char h[16];
    arc_xx_digest(p->xx, h);
    mf_add(p, 'f', (int64_t)a->st_size, h);
    p->tot.entries++;
    p->tot.files++;
    p->tot.bytes += (int64_t)a->st_size;
    p->st->files++;
    p->st->bytes += (int64_t)a->st_size;
    if (unstable) {
        char *e = out_escape(path);
        out_warn(p->out,
                 "%s/%s: changed while it was read; the archive holds the "
                 "bytes read (listed as unstable in the manifest)",
                 p->dir, e);
        free(e);
        mf_add(p, 'u', 0, NULL);
        p->st->unstable++;
    }
}

static enum fy_rc
pack_file(struct packer *p, const struct arc_scan_entry *pe, const char *path)
{
    int fd;
    struct stat a, b;
    enum fy_rc rc = file_open(p, path, &fd, &a);
    if (fd < 0)
        return rc;
    /* a file with several links: the second and later become hardlinks */
    bool links = a.st_nlink > 1 && p->fmt != ARC_FMT_ZIP;
    if (links) {
        struct arc_map_val *v = link_slot(p, &a, false);
        if (v != NULL && v->type == 'f') {
            close(fd);
            return pack_hardlink(p, path, &a, p->scan.names.buf + v->name_off);
        }
    }
    if (a.st_size > (1 << 20))
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    entry_start(p, path, a.st_mode, a.st_uid, a.st_gid, &a.st_mtim);
    archive_entry_set_size(p->e, a.st_size);
    archive_entry_set_dev(p->e, a.st_dev);
    archive_entry_set_ino64(p->e, (la_int64_t)a.st_ino);
    bool short_read = false;
    rc = header_out(p, path);
    if (rc == FY_OK)
        rc = file_data(p, fd, path, (int64_t)a.st_size, &short_read);
    bool unstable = short_read || fstat(fd, &b) != 0 ||
                    b.st_size != a.st_size ||
                    b.st_mtim.tv_sec != a.st_mtim.tv_sec ||
                    b.st_mtim.tv_nsec != a.st_mtim.tv_nsec;
    close(fd);
    if (rc != FY_OK)
        return rc;
    file_record(p, path, &a, unstable);
    if (links) {
        struct arc_map_val *v = link_slot(p, &a, true);
        if (v != NULL && v->type == 0) {
            v->type = 'f';
            v->name_off = pe->path_off;
        }
    }
    return FY_OK;
}

static enum fy_rc
pack_symlink(struct packer *p,
             const struct arc_scan_entry *pe,
             const char *path)
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
    struct timespec mtime = arc_scan_mtime(pe);
    entry_start(p, path, pe->mode, pe->uid, pe->gid, &mtime);
    archive_entry_copy_symlink(p->e, target);
    unsigned char lh[16];
    arc_link_hash(target, lh);
    free(target);
    enum fy_rc rc = header_out(p, path);
    if (rc == FY_OK) {
        mf_add(p, 'l', 0, lh);
        p->tot.entries++;
        p->st->symlinks++;
    }
    return rc;
}

/* Every line of the manifest's text, in order, to fn: the magic, each
 * packed entry's line (and its 'u' line), the end line. */
static enum fy_rc
mf_text(struct packer *p,
        enum fy_rc (*fn)(struct packer *p, const struct sbuf *line, void *ctx),
        void *ctx)
{
    struct sbuf line = SBUF_INIT;
    arc_manifest_begin(&line);
    enum fy_rc rc = fn(p, &line, ctx);
    const struct arc_pack_hooks *h = p->o->hooks;
    for (size_t i = 0; h != NULL && rc == FY_OK && i < h->n_extra; i++) {
        unsigned char xh[16];
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(
            &c, XXH3_128bits(h->extra[i].data, h->extra[i].len));
        memcpy(xh, c.digest, 16);
        line.len = 0;
        arc_manifest_add(&line, 'f', (int64_t)h->extra[i].len, xh,
                         h->extra[i].name);
        rc = fn(p, &line, ctx);
    }
    for (size_t i = 0; rc == FY_OK && i < p->scan.n; i++) {
        const struct mf_rec *r = &p->mf[i];
        if (r->type == 0) /* not packed: vanished */
            continue;
        const char *path = arc_scan_path(&p->scan, &p->scan.ents[i]);
        line.len = 0;
        arc_manifest_add(&line, r->type, r->size, r->has_hash ? r->hash : NULL,
                         path);
        rc = fn(p, &line, ctx);
        if (rc == FY_OK && r->unstable) {
            line.len = 0;
            arc_manifest_add(&line, 'u', 0, NULL, path);
            rc = fn(p, &line, ctx);
        }
    }
    if (rc == FY_OK) {
        line.len = 0;
        arc_manifest_end(&line, &p->tot);
        rc = fn(p, &line, ctx);
    }
    sbuf_release(&line);
    return rc;
}

struct mf_out {
    size_t total, done;
    struct sbuf buf;
};

static enum fy_rc
mf_count(struct packer *p, const struct sbuf *line, void *ctx)
{
    (void)p;
    ((struct mf_out *)ctx)->total += line->len;
    return FY_OK;
}

static enum fy_rc
mf_write(struct packer *p, const struct sbuf *line, void *ctx)
{
    struct mf_out *o = ctx;
    sbuf_add(&o->buf, line->buf, line->len);
    o->done += line->len;
    if (o->buf.len < ARC_BLOCK)
        return FY_OK;
    enum fy_rc rc = data_out(p, o->buf.buf, o->buf.len);
    o->buf.len = 0;
    return rc;
}

/* The manifest entry: its text made twice, once to know its size for the
 * header, once to write it; never held whole. */
static enum fy_rc
pack_manifest(struct packer *p)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec = 0;
    struct mf_out o = {0, 0, SBUF_INIT};
    (void)mf_text(p, mf_count, &o);
    entry_start(p, ARC_MANIFEST_PATH, S_IFREG | 0644, getuid(), getgid(), &now);
    archive_entry_set_size(p->e, (la_int64_t)o.total);
    enum fy_rc rc = header_out(p, ARC_MANIFEST_PATH);
    if (rc == FY_OK)
        rc = mf_text(p, mf_write, &o);
    if (rc == FY_OK && o.buf.len > 0)
        rc = data_out(p, o.buf.buf, o.buf.len);
    if (rc == FY_OK && o.done != o.total) /* the same text twice, or a bug */
        rc = fy_fail(p->err, FY_ERUNTIME, "%s: manifest: %zu bytes, not %zu",
                     p->name, o.done, o.total);
    sbuf_release(&o.buf);
    return rc;
}

static void
packer_release(struct packer *p)
{
    arc_prefetch_stop(p->pf); /* first: its thread reads the scan, rootfd */
    if (p->a != NULL)
        archive_write_free(p->a); /* after a failure: discards */
    if (p->e != NULL)
        archive_entry_free(p->e);
    arc_zstd_writer_free(p->zstd);
    if (p->xx != NULL)
        XXH3_freeState(p->xx);
    arc_dircache_release(&p->dirs);
    if (p->rootfd >= 0)
        close(p->rootfd);
    free(p->buf);
    free(p->uname);
    free(p->gname);
    free(p->mf);
    free(p->keep);
    outpipe_free(p->op);
    arc_map_release(&p->links);
    arc_scan_release(&p->scan);
}

/* The pre-scan: the tree under p->dir, excludes applied, the output left
 * out. */
static enum fy_rc
pack_scan(struct packer *p)
{
    struct arc_scan *s = &p->scan;
    struct stat sb;
    s->dir = p->dir;
    s->name = p->name;
    s->out = p->out;
    s->err = p->err;
    s->st = p->st;
    p->rootfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->rootfd < 0)
        return fy_fail_errno(p->err, FY_ERUNTIME, "%s", p->dir);
    enum fy_rc rc = arc_scan_excludes(s, p->o);
    if (rc != FY_OK)
        return rc;
    /* keep the output (and an older archive of that name) out of itself;
     * also stdout redirected to a file inside dir */
    if (p->os->fd >= 0 && fstat(p->os->fd, &sb) == 0 && S_ISREG(sb.st_mode))
        arc_scan_skip(s, &sb);
    if (p->os->is_file && stat(p->os->name, &sb) == 0 && S_ISREG(sb.st_mode))
        arc_scan_skip(s, &sb);
    int dfd = dup(p->rootfd);
    if (dfd < 0)
        return fy_fail_errno(p->err, FY_ERUNTIME, "%s", p->dir);
    return arc_scan_dir(s, dfd);
}

/*
 * o->hooks: the plan of an incremental save, made after the scan (*none:
 * nothing to pack).
 */
static enum fy_rc
pack_plan(struct packer *p, bool *none)
{
    struct arc_pack_hooks *h = p->o->hooks;
    size_t n = p->scan.n;
    struct arc_pack_entry *ents = xcalloc(n > 0 ? n : 1, sizeof *ents);
    for (size_t i = 0; i < n; i++) {
        ents[i].path = arc_scan_path(&p->scan, &p->scan.ents[i]);
        ents[i].mode = p->scan.ents[i].mode;
    }
    p->keep = xcalloc(n > 0 ? n : 1, sizeof *p->keep);
    h->n_extra = 0;
    *none = false;
    enum fy_rc rc = h->plan(h->ctx, p->rootfd, n, ents, p->keep, none, p->err);
    free(ents);
    return rc;
}

/* o->hooks: the extra members, first, each a file under .ferry/. */
static enum fy_rc
pack_extras(struct packer *p)
{
    const struct arc_pack_hooks *h = p->o->hooks;
    enum fy_rc rc = FY_OK;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec = 0;
    for (size_t i = 0; h != NULL && rc == FY_OK && i < h->n_extra; i++) {
        const struct arc_pack_extra *x = &h->extra[i];
        entry_start(p, x->name, S_IFREG | 0644, getuid(), getgid(), &now);
        archive_entry_set_size(p->e, (la_int64_t)x->len);
        rc = header_out(p, x->name);
        if (rc == FY_OK && x->len > 0)
            rc = data_out(p, x->data, x->len);
        p->tot.entries++;
        p->tot.files++;
        p->tot.bytes += (int64_t)x->len;
    }
    return rc;
}

/* o->hooks: entry i was packed; tell the plan's owner how. */
static void
pack_told(struct packer *p, size_t i)
{
    const struct arc_pack_hooks *h = p->o->hooks;
    const struct mf_rec *r = &p->mf[i];
    if (h == NULL || h->packed == NULL || r->type == 0)
        return;
    h->packed(h->ctx, i, r->type, r->size, r->has_hash ? r->hash : NULL,
              r->type == 'h' ? p->hl_first : NULL);
}

/* Every entry the scan found, in its order. */
static enum fy_rc
pack_entries(struct packer *p)
{
    enum fy_rc rc = pack_extras(p);
    for (size_t i = 0; rc == FY_OK && i < p->scan.n; i++) {
        const struct arc_scan_entry *pe = &p->scan.ents[i];
        const char *path = arc_scan_path(&p->scan, pe);
        if (p->keep != NULL && !p->keep[i])
            continue;
        p->cur = i;
        if (fy_interrupted()) {
            rc = fy_fail(p->err, FY_EINTR, "%s: interrupted", p->name);
        } else if (S_ISREG(pe->mode)) {
            rc = pack_file(p, pe, path);
        } else if (S_ISLNK(pe->mode)) {
            rc = pack_symlink(p, pe, path);
        } else {
            struct timespec mtime = arc_scan_mtime(pe);
            entry_start(p, path, pe->mode, pe->uid, pe->gid, &mtime);
            rc = header_out(p, path);
            if (rc == FY_OK) {
                mf_add(p, 'd', 0, NULL);
                p->tot.entries++;
                p->st->dirs++;
            }
        }
        if (rc == FY_OK)
            pack_told(p, i);
    }
    return rc;
}

/* The manifest, then the end of the archive, written out. */
static enum fy_rc
pack_finish(struct packer *p)
{
    enum fy_rc rc = pack_manifest(p);
    if (rc == FY_OK && archive_write_close(p->a) != ARCHIVE_OK)
        rc = p->err->rc ? p->err->rc
                        : fy_fail(p->err, FY_ERUNTIME, "%s: %s", p->name,
                                  archive_error_string(p->a));
    if (rc == FY_OK && p->zstd != NULL)
        rc = arc_zstd_writer_finish(p->zstd);
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
    double t0 = out_now();
    bool closed = false;
    locale_t old, loc = arc_utf8_enter(&old);

    memset(&p, 0, sizeof p);
    p.rootfd = -1;
    p.dirs = (struct arc_dircache)ARC_DIRCACHE_INIT;
    memset(st, 0, sizeof *st);
    p.o = o;
    p.fmt = o->format == ARC_FMT_NONE ? ARC_FMT_TAR_ZST : o->format;
    p.out = out;
    p.err = err;
    p.st = st;
    p.dir = dir;
    p.name = os->name;
    p.os = os;
    enum fy_rc rc = pack_scan(&p);
    if (rc != FY_OK)
        goto done;
    if (o->hooks != NULL) {
        bool none = false;
        rc = pack_plan(&p, &none);
        if (rc != FY_OK || none)
            goto done; /* none: os discarded, nothing written */
    }
    out_event(out, "start", "{sssssIsI}", "dir", dir, "archive", os->name,
              "entries", (long long)p.scan.n, "bytes", (long long)p.scan.total);
    arc_tick_init(&p.prog, "pack", p.scan.total);
    p.buf = xmalloc(ARC_BLOCK);
    p.xx = arc_xx_new();
    p.mf = xcalloc(p.scan.n > 0 ? p.scan.n : 1, sizeof *p.mf);
    p.op = outpipe_new(os);
    rc = writer_open(&p);
    if (rc == FY_OK) {
        p.pf = arc_prefetch_start(p.rootfd, &p.scan, p.keep);
        rc = pack_entries(&p);
    }
    if (rc == FY_OK)
        rc = pack_finish(&p);
    if (rc == FY_OK)
        rc = outpipe_finish(p.op, st->sha256, err);
    if (rc == FY_OK) {
        p.prog.p.done = p.read;      /* all of it is in the archive now */
        if (p.prog.p.total < p.read) /* a file grew while it was read */
            p.prog.p.total = p.read;
        arc_tick(out, &p.prog, true);
        closed = true;
        rc = os->close(os->ctx, true, err);
    }
done:
    out_progress_end(out);
    outpipe_free(p.op); /* before the stream it writes to is closed */
    p.op = NULL;
    if (!closed)
        os->close(os->ctx, false, err);
    packer_release(&p);
    arc_utf8_leave(loc, old);
    st->seconds = out_now() - t0;
    return rc;
}
