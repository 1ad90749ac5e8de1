/*
 * outpipe.h - an archive's bytes on their way out (src/outpipe.c): hashed
 * with SHA-256 for the summary, and written to their struct fy_ostream, on
 * a helper thread, so the thread that makes them (pack's, which also
 * reads, hashes and frames every file) pays one memcpy per byte, not the
 * hash and not the write's copy into the page cache.
 *
 *     struct outpipe *o = outpipe_new(&os);
 *     if (outpipe_write(o, buf, n, err) != FY_OK) ...  (the first failure)
 *     char hex[SHA256_HEX];
 *     if (outpipe_finish(o, hex, err) != FY_OK) ...    (all written, hashed)
 *     outpipe_free(o);                                 (then os.close)
 *
 * With os NULL it only hashes: a SHA-256 off the caller's thread (an
 * incremental restore hashes each layer so).
 *
 * The helper writes only to a stream whose write may run on any thread
 * (os.any_thread: a regular file); other streams (stdout, which may be a
 * pipe that blocks; uploads, which report progress and retries) are
 * written on the caller's thread as before, and only the hash moves.  Order is
 * kept: bytes reach the stream and the hash in the order given.  Memory is
 * bounded (a ring of 4 x 512 KiB).  A write that fails on the helper is
 * reported by the next outpipe_write or by outpipe_finish, with the stream's
 * own message; nothing after it is written.  hex is "" when there is no SHA-256
 * (OpenSSL refused): that is no error.  Without a thread (pthread_create
 * failed) everything happens on the caller's thread.  The helper takes no
 * SIGINT/SIGTERM; freed without outpipe_finish (a failure, Ctrl-C), it writes
 * nothing more, as the stream is about to be discarded.
 *
 * Ownership: the caller's; os (if any) stays the caller's and must
 * outlive o.
 */
#ifndef FERRY_OUTPIPE_H
#define FERRY_OUTPIPE_H

#include <stddef.h>

#include "ferry/err.h"
#include "ferry/sha256.h"
#include "ferry/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

struct outpipe;

struct outpipe *outpipe_new(struct fy_ostream *os);
enum fy_rc
outpipe_write(struct outpipe *o, const void *buf, size_t n, struct fy_err *err);
enum fy_rc
outpipe_finish(struct outpipe *o, char hex[SHA256_HEX], struct fy_err *err);
void outpipe_free(struct outpipe *o);

#ifdef __cplusplus
}
#endif

#endif
