/*
 * arc_decode.c - the read ring's decoders of xz (liblzma), gzip (zlib),
 * bzip2 (libbz2) and lz4 (liblz4's frames), told by their magic bytes;
 * zstd has its own (arc_zstd.c).  Each runs on the ring's helper thread
 * with ferry's memory limit and checks every checksum its format carries,
 * to the end of the input.
 */
#include <bzlib.h>
#include <limits.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "arc_int.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/* What the first bytes of the input say it is. */
enum codec {
    CODEC_XZ = 1, /* an xz stream, decoded here by liblzma */
    CODEC_GZIP,   /* a gzip stream, decoded here by zlib */
    CODEC_BZIP2,  /* a bzip2 stream, decoded here by libbz2 */
    CODEC_LZ4     /* an lz4 frame stream, decoded here by liblz4 */
};

/* A compressed stream's decoder, used by the reader thread only. */
struct arc_decoder {
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

/* An error of liblzma's, for an xz stream. */
static enum fy_rc
xz_fail(struct ring *r, lzma_ret ret)
{
    struct arc_decoder *d = r->dec;
    char need[32], max[32];
    switch (ret) {
    case LZMA_MEMLIMIT_ERROR:
        arc_fmt_window(need, sizeof need, lzma_memusage(&d->lz));
        arc_fmt_window(max, sizeof max, 1ull << r->window_log);
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
    struct arc_decoder *d = r->dec;
    while (*dlen < cap) {
        if (r->in_pos == r->in_len && !r->in_eof) {
            enum fy_rc rc = arc_ring_need(r, 1);
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
    struct arc_decoder *d = r->dec;
    enum fy_rc rc = arc_ring_need(r, 10); /* the longest magic: bzip2's */
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
 * gzip, bzip2 and lz4 streams are members one after another, each decoded
 * by its library with every check of its own.  A step decodes from the
 * input at r->in_pos into out: *in_n and *out_n come in as what there is
 * and room, and go out as what was used and made; *member_end says the
 * member ended with its checks passed.  restart, if any, readies the
 * library for the next member.
 */
struct member_codec {
    const char *fmt;
    bool (*magic)(const unsigned char *p, size_t n);
    enum fy_rc (*restart)(struct ring *r);
    enum fy_rc (*step)(struct ring *r,
                       unsigned char *out,
                       size_t *out_n,
                       size_t *in_n,
                       bool *member_end);
};

/* Fill dst with up to cap bytes of a member stream; *end: no more. */
static enum fy_rc
produce_members(struct ring *r,
                const struct member_codec *c,
                unsigned char *dst,
                size_t cap,
                size_t *dlen,
                bool *end)
{
    struct arc_decoder *d = r->dec;
    while (*dlen < cap) {
        enum fy_rc rc;
        if (d->between) {
            bool next = false;
            rc = member_next(r, c->fmt, c->magic, &next, end);
            if (rc != FY_OK || *end)
                return rc;
            if (next && c->restart != NULL && (rc = c->restart(r)) != FY_OK)
                return rc;
            continue;
        }
        if (r->in_pos == r->in_len && !r->in_eof &&
            (rc = arc_ring_need(r, 1)) != FY_OK)
            return rc;
        size_t in_n = r->in_len - r->in_pos, out_n = cap - *dlen;
        bool member_end = false;
        rc = c->step(r, dst + *dlen, &out_n, &in_n, &member_end);
        r->in_pos += in_n;
        *dlen += out_n;
        if (rc != FY_OK)
            return rc;
        if (member_end)
            d->between = true;
        else if (in_n == 0 && out_n == 0 && r->in_eof)
            return fy_fail(&r->err, FY_EINPUT,
                           "%s: truncated (the %s stream ends early)",
                           r->is->name, c->fmt);
    }
    return FY_OK;
}

/*
 * gzip is decoded here too (libarchive 3.6.2 never checks a gzip member's
 * CRC-32 and size; zlib does).
 */
static enum fy_rc
gz_restart(struct ring *r)
{
    if (inflateReset(&r->dec->zs) != Z_OK)
        return fy_fail(&r->err, FY_ERUNTIME, "%s: gzip: reset", r->is->name);
    return FY_OK;
}

static enum fy_rc
gz_step(struct ring *r,
        unsigned char *out,
        size_t *out_n,
        size_t *in_n,
        bool *member_end)
{
    z_stream *zs = &r->dec->zs;
    uInt in0 = (uInt)(*in_n < UINT_MAX ? *in_n : UINT_MAX);
    uInt out0 = (uInt)(*out_n < UINT_MAX ? *out_n : UINT_MAX);
    zs->next_in = r->in + r->in_pos;
    zs->avail_in = in0;
    zs->next_out = out;
    zs->avail_out = out0;
    int ret = inflate(zs, Z_NO_FLUSH);
    *in_n = in0 - zs->avail_in;
    *out_n = out0 - zs->avail_out;
    *member_end = ret == Z_STREAM_END; /* its CRC-32 and size were checked */
    if (ret == Z_MEM_ERROR)
        return fy_fail(&r->err, FY_ERUNTIME, "%s: gzip: out of memory",
                       r->is->name);
    if (ret != Z_OK && ret != Z_BUF_ERROR && ret != Z_STREAM_END)
        return fy_fail(&r->err, FY_EINPUT, "%s: corrupt gzip data: %s",
                       r->is->name, zs->msg ? zs->msg : "bad data");
    return FY_OK;
}

/*
 * bzip2, decoded here by libbz2, which checks every block's CRC and the
 * stream's combined CRC (BZ_DATA_ERROR) and needs at most about 3.6 MiB
 * (blocks are 900 kB at most, whatever the header says).
 */
static enum fy_rc
bz2_restart(struct ring *r)
{
    struct arc_decoder *d = r->dec;
    BZ2_bzDecompressEnd(&d->bz);
    d->bz2_init = false;
    memset(&d->bz, 0, sizeof d->bz);
    int ret = BZ2_bzDecompressInit(&d->bz, 0, 0);
    if (ret != BZ_OK)
        return fy_fail(&r->err, FY_ERUNTIME, "%s: bzip2: cannot start (%d)",
                       r->is->name, ret);
    d->bz2_init = true;
    return FY_OK;
}

static enum fy_rc
bz2_step(struct ring *r,
         unsigned char *out,
         size_t *out_n,
         size_t *in_n,
         bool *member_end)
{
    bz_stream *bz = &r->dec->bz;
    unsigned in0 = *in_n < UINT_MAX ? (unsigned)*in_n : UINT_MAX;
    unsigned out0 = *out_n < UINT_MAX ? (unsigned)*out_n : UINT_MAX;
    bz->next_in = (char *)(r->in + r->in_pos);
    bz->avail_in = in0;
    bz->next_out = (char *)out;
    bz->avail_out = out0;
    int ret = BZ2_bzDecompress(bz);
    *in_n = in0 - bz->avail_in;
    *out_n = out0 - bz->avail_out;
    /* its block and stream CRCs were checked */
    *member_end = ret == BZ_STREAM_END;
    if (ret == BZ_MEM_ERROR)
        return fy_fail(&r->err, FY_ERUNTIME, "%s: bzip2: out of memory",
                       r->is->name);
    if (ret != BZ_OK && ret != BZ_STREAM_END)
        return fy_fail(&r->err, FY_EINPUT,
                       "%s: corrupt bzip2 data (a CRC does not match, or "
                       "a block is damaged)",
                       r->is->name);
    return FY_OK;
}

/*
 * lz4 frames, decoded here by liblz4's frame API, which checks the
 * content checksum and the block checksums a frame carries, and the
 * content size it declares; its buffers follow the frame's block size,
 * 4 MiB at most.  The next frame needs no restart.
 */
static enum fy_rc
lz4_step(struct ring *r,
         unsigned char *out,
         size_t *out_n,
         size_t *in_n,
         bool *member_end)
{
    size_t ret =
        LZ4F_decompress(r->dec->lz4, out, out_n, r->in + r->in_pos, in_n, NULL);
    if (LZ4F_isError(ret))
        return fy_fail(&r->err, FY_EINPUT, "%s: corrupt lz4 data: %s",
                       r->is->name, LZ4F_getErrorName(ret));
    *member_end = ret == 0; /* its checksums were checked */
    return FY_OK;
}

static const struct member_codec gz_codec = {"gzip", gz_magic, gz_restart,
                                             gz_step};
static const struct member_codec bz2_codec = {"bzip2", bz2_magic, bz2_restart,
                                              bz2_step};
static const struct member_codec lz4_codec = {"lz4", lz4_magic, NULL, lz4_step};

/* Fill dst with up to cap bytes of decompressed xz, gzip, bzip2 or lz4;
 * *end: no more. */
enum fy_rc
arc_decoder_produce(
    struct ring *r, unsigned char *dst, size_t cap, size_t *dlen, bool *end)
{
    switch (r->dec->codec) {
    case CODEC_XZ:
        return produce_xz(r, dst, cap, dlen, end);
    case CODEC_GZIP:
        return produce_members(r, &gz_codec, dst, cap, dlen, end);
    case CODEC_BZIP2:
        return produce_members(r, &bz2_codec, dst, cap, dlen, end);
    case CODEC_LZ4:
        return produce_members(r, &lz4_codec, dst, cap, dlen, end);
    }
    return FY_OK;
}

/*
 * The first bytes of the input (in r->in) tell an xz, gzip, bzip2 or lz4
 * stream, which the reader thread decodes (r->dec); anything else leaves
 * r->dec NULL.  The legacy lz4 format is refused.
 */
enum fy_rc
arc_decoder_start(struct ring *r, struct fy_err *err)
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
    struct arc_decoder *d = xcalloc(1, sizeof *d);
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

void
arc_decoder_free(struct arc_decoder *d)
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
