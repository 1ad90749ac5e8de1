/*
 * remote_rate.h - the rate limit of a transfer (--max-up, --max-down): one
 * token bucket shared by every request of the transfer, so that N parts or
 * ranges in flight together stay under the one limit (src/remote_rate.c).
 *
 * A bucket holds tokens, one per byte, topped up at the rate as time
 * passes, up to a small burst.  A request may move bytes while the bucket
 * holds any token, at most one chunk (rate/16, 1 KiB to 256 KiB) per call,
 * and pays for what it moved afterwards: the bucket may go negative by at
 * most one chunk, and is then empty until the debt is paid off by time.
 * So over any span of t seconds at most rate * t + burst + chunk bytes
 * move, and a busy transfer moves close to rate * t.
 *
 *     struct rrate r;
 *     rrate_init(&r, o->max_up, out_now());
 *     n = rrate_allow(&r, want, out_now());   0: wait rrate_wait() s
 *     ... move k <= n bytes ...
 *     rrate_spend(&r, k);
 *
 * The engine (remote_xfer.c) pauses a libcurl request whose callback got 0
 * and resumes it once the bucket has tokens again; a loop that may block
 * (file://) calls rrate_throttle() instead.  A bucket is used by one thread
 * at a time (the engine's, or the caller's).  The arithmetic is pure (time
 * is an argument) so tests/unit/test_remote_rate.c can check it.
 */
#ifndef FERRY_REMOTE_RATE_H
#define FERRY_REMOTE_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RRATE_CHUNK_MIN ((size_t)1 << 10)
#define RRATE_CHUNK_MAX ((size_t)256 << 10)

struct rrate {
    double rate;   /* bytes per second; 0: no limit */
    double tokens; /* bytes that may move now; negative: owed */
    double burst;  /* most tokens saved up while idle */
    double last;   /* when tokens were last topped up (seconds) */
    size_t chunk;  /* most bytes one call moves */
};

/* A bucket for rate bytes/s (0: no limit), starting with one chunk. */
void rrate_init(struct rrate *r, int64_t rate, double now);

/* Is there a limit? */
bool rrate_on(const struct rrate *r);

/*
 * How many of want bytes may move now: want itself without a limit; else 0
 * while the bucket is empty or owes, otherwise min(want, chunk).
 */
size_t rrate_allow(struct rrate *r, size_t want, double now);

/* n bytes moved (after rrate_allow said they could). */
void rrate_spend(struct rrate *r, size_t n);

/* Seconds until rrate_allow() gives more than 0 (0: now, or no limit). */
double rrate_wait(struct rrate *r, double now);

/*
 * Pay for n bytes just moved and sleep off any debt, waking every 50 ms to
 * look at fy_interrupted(): SIGINT/SIGTERM is FY_EINTR ("what: interrupted"
 * in err).  Nothing to do without a limit.
 */
enum fy_rc
rrate_throttle(struct rrate *r, size_t n, const char *what, struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
