/*
 * arc_zstd.c - zstd, the only file that includes <zstd.h>: the tar.zst
 * writer (libzstd's frames and ferry's stored frames) and the reader of
 * zstd streams, which decodes ferry's stored frames itself and hands
 * every other frame to libzstd, with its window checked first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "arc_int.h"
#include "arc_zstd.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

#define ZOUT_CAP      (512u << 10) /* output buffered before a write */
#define ZIN_CAP       (1u << 20)   /* compressible input gathered per call */
#define ZJOB_SIZE     (7 << 19)    /* libzstd worker job */
#define ZWINDOW_LOG   23           /* 8 MiB: the least window of the writer */
#define MSG_TRUNCATED "truncated (the zstd stream ends inside a frame)"

/*
 * The header of ferry's stored frames: zstd magic, descriptor (checksum, no
 * size, no dictionary), window 144 KiB.  libzstd writes every window as a
 * power of two (mantissa 0); the mantissa 1 here lets a reader tell these
 * frames, which hold raw blocks only, from the frames libzstd writes.
 * Archives of earlier versions have 0x38 (128 KiB) and are read by libzstd.
 */
const unsigned char ARC_ZSTD_STORED_HEAD[6] = {0x28, 0xb5, 0x2f,
                                               0xfd, 0x04, 0x39};

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
 * Compressible bytes are gathered in z->in first, so a frame that holds
 * only a few headers reaches libzstd in one ZSTD_e_end call, which it then
 * compresses on the calling thread instead of its worker pool.
 */
struct arc_zstd_writer {
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
    void (*tick)(void *ctx); /* progress, between libzstd's returns */
};

void
arc_zstd_writer_on_tick(struct arc_zstd_writer *z, void (*tick)(void *ctx))
{
    z->tick = tick;
}

static enum fy_rc
writer_flush(struct arc_zstd_writer *z)
{
    enum fy_rc rc =
        z->out_len ? z->write(z->write_ctx, z->out, z->out_len) : FY_OK;
    z->out_len = 0;
    return rc;
}

/* Give z->in to libzstd; ZSTD_e_end finishes the frame. */
static enum fy_rc
writer_compress(struct arc_zstd_writer *z, ZSTD_EndDirective mode)
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
        if (z->tick != NULL)
            z->tick(z->write_ctx);
        bool finished = mode == ZSTD_e_end ? r == 0 : in.pos == in.size;
        if (z->out_len > ZOUT_CAP / 2) {
            enum fy_rc rc = writer_flush(z);
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
writer_out_add(struct arc_zstd_writer *z, const void *buf, size_t n)
{
    memcpy(z->out + z->out_len, buf, n);
    z->out_len += n;
}

static enum fy_rc
writer_close_stored(struct arc_zstd_writer *z)
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
        enum fy_rc rc = writer_flush(z);
        if (rc != FY_OK)
            return rc;
    }
    writer_out_add(z, tail, sizeof tail);
    z->raw_open = false;
    z->frames_raw++;
    return FY_OK;
}

enum fy_rc
arc_zstd_writer_put_stored(struct arc_zstd_writer *z,
                           const unsigned char *buf,
                           size_t n)
{
    enum fy_rc rc = writer_compress(z, ZSTD_e_end);
    if (rc != FY_OK)
        return rc;
    if (!z->raw_open) {
        if (z->out_len + sizeof ARC_ZSTD_STORED_HEAD > ZOUT_CAP &&
            (rc = writer_flush(z)))
            return rc;
        writer_out_add(z, ARC_ZSTD_STORED_HEAD, sizeof ARC_ZSTD_STORED_HEAD);
        XXH64_reset(z->x64, 0);
        z->raw_open = true;
    }
    XXH64_update(z->x64, buf, n);
    z->bytes_raw += (int64_t)n;
    while (n > 0) {
        size_t k = n < ARC_ZSTD_RAW_BLOCK ? n : ARC_ZSTD_RAW_BLOCK;
        uint32_t bh = (uint32_t)k << 3; /* raw block, not the last */
        unsigned char hdr[3] = {(unsigned char)bh, (unsigned char)(bh >> 8),
                                (unsigned char)(bh >> 16)};
        if (z->out_len + sizeof hdr + k > ZOUT_CAP && (rc = writer_flush(z)))
            return rc;
        writer_out_add(z, hdr, sizeof hdr);
        writer_out_add(z, buf, k);
        buf += k;
        n -= k;
    }
    return FY_OK;
}

enum fy_rc
arc_zstd_writer_put(struct arc_zstd_writer *z,
                    const unsigned char *buf,
                    size_t n)
{
    enum fy_rc rc = writer_close_stored(z);
    while (rc == FY_OK && n > 0) {
        size_t k = ZIN_CAP - z->in_len;
        k = k < n ? k : n;
        memcpy(z->in + z->in_len, buf, k);
        z->in_len += k;
        buf += k;
        n -= k;
        if (z->in_len == ZIN_CAP)
            rc = writer_compress(z, ZSTD_e_continue);
    }
    return rc;
}

int64_t
arc_zstd_writer_backlog(const struct arc_zstd_writer *z)
{
    int64_t n = (int64_t)z->in_len;
    if (z->zopen) {
        ZSTD_frameProgression fp = ZSTD_getFrameProgression(z->cctx);
        if (fp.ingested > fp.consumed)
            n += (int64_t)(fp.ingested - fp.consumed);
    }
    return n;
}

enum fy_rc
arc_zstd_writer_finish(struct arc_zstd_writer *z)
{
    enum fy_rc rc = writer_close_stored(z);
    if (rc == FY_OK)
        rc = writer_compress(z, ZSTD_e_end);
    if (rc == FY_OK)
        rc = writer_flush(z);
    return rc;
}

void
arc_zstd_writer_free(struct arc_zstd_writer *z)
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

enum fy_rc
arc_zstd_writer_new(int level,
                    int threads,
                    enum fy_rc (*write)(void *ctx, const void *buf, size_t n),
                    void *write_ctx,
                    const char *name,
                    struct fy_err *err,
                    struct arc_zstd_writer **out)
{
    struct arc_zstd_writer *z = xcalloc(1, sizeof *z);
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
    /*
     * A window of 8 MiB at least, where the level's own is smaller (2 MiB
     * at level 3): text repeated across files (licences, vendored copies,
     * generated code) is found further back, and every zstd reader takes
     * it (they refuse only windows over 128 MiB by default; unpacking
     * holds 8 MiB for it).
     */
    if (!ZSTD_isError(r) &&
        ZSTD_getCParams(level, 0, 0).windowLog < ZWINDOW_LOG)
        r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_windowLog, ZWINDOW_LOG);
    if (ZSTD_isError(r))
        return fy_fail(err, FY_ERUNTIME, "%s: zstd: %s", name,
                       ZSTD_getErrorName(r));
    /* a libzstd built without threads refuses: then it works alone */
    if (!ZSTD_isError(
            ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, threads))) {
        /* jobs of 4 MiB, not 8-128: bounded memory per worker, and a
         * Ctrl-C waits for at most one job.  Each job sees the 1 MiB
         * before it (an eighth of the window): seeing 4 MiB made the
         * small-file tree 4% smaller but cost 15% more CPU */
        (void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_jobSize, ZJOB_SIZE);
    }
    return FY_OK;
}

/* The state of ferry's zstd reader: libzstd's, and a stored frame's. */
struct arc_zstd_reader {
    ZSTD_DCtx *dctx;
    bool frame_open;
    /* a stored frame of ferry's (see arc_zstd_writer_put_stored), decoded here
     */
    bool in_stored;       /* inside one */
    bool stored_last;     /* the current block is its last */
    uint32_t stored_left; /* payload bytes of the current block still to come */
    XXH64_state_t *stored_x64; /* their checksum, over the bytes as they pass */
};

static enum fy_rc
stored_corrupt(struct ring *r, const char *why)
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
stored_payload(struct ring *r,
               struct arc_zstd_reader *z,
               unsigned char *dst,
               size_t cap,
               size_t *dlen)
{
    size_t k = z->stored_left < cap - *dlen ? z->stored_left : cap - *dlen;
    unsigned char *at = dst + *dlen;
    size_t got;
    if (r->in_pos < r->in_len) {
        got = r->in_len - r->in_pos < k ? r->in_len - r->in_pos : k;
        memcpy(at, r->in + r->in_pos, got);
        r->in_pos += got;
    } else {
        size_t extra = z->stored_last ? 4 : 3;
        size_t ask =
            k == z->stored_left && cap - *dlen >= k + extra ? k + extra : k;
        enum fy_rc rc = arc_ring_read(r, at, ask, &got);
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
    XXH64_update(z->stored_x64, at, got);
    *dlen += got;
    z->stored_left -= (uint32_t)got;
    return FY_OK;
}

/* Inside a stored frame, between blocks: the next block header, or the
 * checksum after the last block. */
static enum fy_rc
stored_step(struct ring *r, struct arc_zstd_reader *z)
{
    size_t need = z->stored_last ? 4 : 3;
    enum fy_rc rc = arc_ring_need(r, need);
    if (rc != FY_OK)
        return rc;
    if (r->in_len - r->in_pos < need)
        return fy_fail(&r->err, FY_EINPUT, "%s: %s", r->is->name,
                       MSG_TRUNCATED);
    const unsigned char *p = r->in + r->in_pos;
    r->in_pos += need;
    if (z->stored_last) {
        if ((uint32_t)XXH64_digest(z->stored_x64) != le32(p))
            return stored_corrupt(r, "stored frame checksum mismatch");
        atomic_fetch_add(&r->stored_frames, 1);
        z->in_stored = false;
        z->frame_open = false;
        r->refill = 4u << 10; /* what follows is small: a tar header */
        return FY_OK;
    }
    uint32_t bh = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    if (((bh >> 1) & 3) != 0) /* ferry stores raw blocks only */
        return stored_corrupt(r, "a stored frame holds a compressed block");
    if ((bh >> 3) > ARC_ZSTD_RAW_BLOCK)
        return stored_corrupt(r, "block too big");
    z->stored_left = bh >> 3;
    z->stored_last = bh & 1;
    return FY_OK;
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
    enum fy_rc rc = arc_ring_need(r, ZSTD_FRAMEHEADERSIZE_MAX);
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
    arc_fmt_window(have, sizeof have, fh.windowSize);
    arc_fmt_window(max, sizeof max, limit);
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
enum fy_rc
arc_zstd_produce(struct ring *r,
                 struct arc_zstd_reader *z,
                 unsigned char *dst,
                 size_t cap,
                 size_t *dlen,
                 bool *end)
{
    while (*dlen < cap) {
        enum fy_rc rc;
        if (z->in_stored) {
            rc = z->stored_left > 0 ? stored_payload(r, z, dst, cap, dlen)
                                    : stored_step(r, z);
            if (rc != FY_OK)
                return rc;
            continue;
        }
        /* between frames: one of ferry's stored frames is read here, a
         * frame of libzstd's has its window checked */
        rc = z->frame_open ? arc_ring_need(r, sizeof ARC_ZSTD_STORED_HEAD)
                           : zstd_frame_check(r);
        if (rc != FY_OK)
            return rc;
        if (!z->frame_open &&
            r->in_len - r->in_pos >= sizeof ARC_ZSTD_STORED_HEAD &&
            memcmp(r->in + r->in_pos, ARC_ZSTD_STORED_HEAD,
                   sizeof ARC_ZSTD_STORED_HEAD) == 0) {
            r->in_pos += sizeof ARC_ZSTD_STORED_HEAD;
            XXH64_reset(z->stored_x64, 0);
            z->in_stored = true;
            z->stored_last = false;
            z->stored_left = 0;
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
enum fy_rc
arc_zstd_reader_new(struct arc_zstd_reader **out,
                    int window_log,
                    const char *name,
                    struct fy_err *err)
{
    struct arc_zstd_reader *z = xcalloc(1, sizeof *z);
    *out = z;
    z->stored_x64 = XXH64_createState();
    z->dctx = ZSTD_createDCtx();
    if (z->dctx == NULL || z->stored_x64 == NULL)
        return fy_fail(err, FY_ERUNTIME, "%s: out of memory", name);
    /* zstd's own default (128 MiB) unless --long asked for more */
    size_t zr =
        ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, window_log);
    if (ZSTD_isError(zr))
        return fy_fail(err, FY_ERUNTIME, "%s: zstd: %s", name,
                       ZSTD_getErrorName(zr));
    return FY_OK;
}

void
arc_zstd_reader_free(struct arc_zstd_reader *z)
{
    if (z == NULL)
        return;
    if (z->dctx != NULL)
        ZSTD_freeDCtx(z->dctx);
    if (z->stored_x64 != NULL)
        XXH64_freeState(z->stored_x64);
    free(z);
}

bool
arc_zstd_magic(const unsigned char *p, size_t n)
{
    if (n < 4)
        return false;
    uint32_t m = le32(p);
    return m == 0xFD2FB528u || (m & 0xFFFFFFF0u) == 0x184D2A50u;
}

/* ------------------------------------------------ small documents */

void
arc_blob_compress(const void *buf, size_t len, struct sbuf *out)
{
    size_t cap = ZSTD_compressBound(len);
    char *tmp = xmalloc(cap);
    size_t n = ZSTD_compress(tmp, cap, buf, len, 3);
    if (ZSTD_isError(n)) /* cannot happen with a bound-sized buffer */
        abort();
    sbuf_add(out, tmp, n);
    free(tmp);
}

enum fy_rc
arc_blob_decompress(const void *buf,
                    size_t len,
                    size_t max,
                    const char *name,
                    struct sbuf *out,
                    struct fy_err *err)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (d == NULL)
        return fy_fail(err, FY_ERUNTIME, "%s: out of memory", name);
    (void)ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 27);
    ZSTD_inBuffer in = {buf, len, 0};
    unsigned char chunk[64 << 10];
    enum fy_rc rc = FY_OK;
    size_t r = 1;
    while (rc == FY_OK && (in.pos < in.size || r != 0)) {
        ZSTD_outBuffer o = {chunk, sizeof chunk, 0};
        size_t before = in.pos;
        r = ZSTD_decompressStream(d, &o, &in);
        if (ZSTD_isError(r))
            rc = fy_fail(err, FY_EINPUT, "%s: corrupt: %s", name,
                         ZSTD_getErrorName(r));
        else if (o.pos > max || out->len > max - o.pos)
            rc =
                fy_fail(err, FY_EINPUT, "%s: bigger than %zu bytes", name, max);
        else
            sbuf_add(out, chunk, o.pos);
        if (rc == FY_OK && r != 0 && o.pos == 0 && in.pos == before)
            rc =
                fy_fail(err, FY_EINPUT, "%s: corrupt: %s", name, MSG_TRUNCATED);
    }
    ZSTD_freeDCtx(d);
    return rc;
}
