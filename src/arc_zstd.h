/*
 * arc_zstd.h - zstd for the archive engine (arc_zstd.c, the only file that
 * includes <zstd.h>): the tar.zst writer and the reader of zstd streams.
 *
 * The writer turns a stream of bytes into zstd frames:
 *
 *     struct arc_zstd_writer *z;
 *     if (arc_zstd_writer_new(3, 4, write, ctx, name, err, &z) != FY_OK) ..
 *     arc_zstd_writer_put(z, hdr, n);            (compressed by libzstd)
 *     arc_zstd_writer_put_stored(z, data, n);    (a stored frame: raw blocks)
 *     arc_zstd_writer_finish(z);                 (the last frame out)
 *     arc_zstd_writer_free(z);                   (always; NULL is fine)
 *
 * write(ctx, buf, n) is the caller's: it takes all n bytes or records why
 * in err and fails; its failure is returned as it is.
 *
 * ferry's stored frames start with ARC_ZSTD_STORED_HEAD (its window byte
 * 0x39, which libzstd never writes) and hold raw blocks of at most
 * ARC_ZSTD_RAW_BLOCK bytes and the frame's XXH64 checksum; every zstd
 * decoder reads them.  The reader decodes them itself, straight into the
 * ring, and gives every other frame to libzstd (frames with the window
 * byte 0x38, from ferry before 0.x, included).
 *
 * The reader belongs to the ring (ring.zstd) and runs on its helper
 * thread; it reads its input from the ring (arc_ring_need/arc_ring_read).
 * Its errors go to ring.err: FY_EINPUT for corrupt or truncated data, a
 * stored frame with a block that is not raw or is bigger than a zstd
 * block, a checksum mismatch or a window above the limit; FY_ERUNTIME when
 * out of memory; FY_EINTR when the ring is stopped.  Writer errors go to
 * the err given to arc_zstd_writer_new: FY_ERUNTIME, FY_EINTR, or the
 * write callback's.
 */
#ifndef FERRY_ARC_ZSTD_H
#define FERRY_ARC_ZSTD_H

#include <stdbool.h>
#include <stddef.h>

#include "arc_int.h"
#include "ferry/err.h"

#define ARC_ZSTD_RAW_BLOCK (128u << 10) /* zstd's largest block */

/* The first bytes of ferry's stored frames. */
extern const unsigned char ARC_ZSTD_STORED_HEAD[6];

struct arc_zstd_writer;

/* A writer at libzstd's level with threads workers (a libzstd without
 * threads works alone); *out is set (to free) even on failure. */
enum fy_rc
arc_zstd_writer_new(int level,
                    int threads,
                    enum fy_rc (*write)(void *ctx, const void *buf, size_t n),
                    void *write_ctx,
                    const char *name,
                    struct fy_err *err,
                    struct arc_zstd_writer **out);
/* Bytes to compress (gathered, then given to libzstd). */
enum fy_rc arc_zstd_writer_put(struct arc_zstd_writer *z,
                               const unsigned char *buf,
                               size_t n);
/* Bytes to store as they are, in one of ferry's stored frames. */
enum fy_rc arc_zstd_writer_put_stored(struct arc_zstd_writer *z,
                                      const unsigned char *buf,
                                      size_t n);
/* Call tick(write_ctx) while libzstd works on a call (progress). */
void arc_zstd_writer_on_tick(struct arc_zstd_writer *z,
                             void (*tick)(void *ctx));
/* Bytes given to the writer whose compressed form has not been made yet
 * (gathered, or still in libzstd's workers): pack's progress counts the
 * bytes read less these, so it moves with the output, not the input. */
int64_t arc_zstd_writer_backlog(const struct arc_zstd_writer *z);
/* End the last frame and write out everything. */
enum fy_rc arc_zstd_writer_finish(struct arc_zstd_writer *z);
void arc_zstd_writer_free(struct arc_zstd_writer *z);

/* Do the n bytes at p start a zstd frame (or a skippable one)? */
bool arc_zstd_magic(const unsigned char *p, size_t n);
/* A reader of zstd frames that accepts windows up to 2^window_log;
 * *out is set (to free) even on failure. */
enum fy_rc arc_zstd_reader_new(struct arc_zstd_reader **out,
                               int window_log,
                               const char *name,
                               struct fy_err *err);
void arc_zstd_reader_free(struct arc_zstd_reader *z);
/* Fill dst with up to cap bytes of decompressed archive (*dlen: how many
 * there are; the caller sets it to 0); *end: the input has ended. */
enum fy_rc arc_zstd_produce(struct ring *r,
                            struct arc_zstd_reader *z,
                            unsigned char *dst,
                            size_t cap,
                            size_t *dlen,
                            bool *end);

#endif
