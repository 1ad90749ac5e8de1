/*
 * remote_rate.c - --max-up / --max-down: the token bucket a transfer's
 * requests share (ferry/remote_rate.h), and how the engine resumes the
 * libcurl requests it paused for it (rrate_resume, remote_int.h).
 *
 * What it keeps true: a limited transfer never moves more than its rate
 * allows over any span, give or take one burst and one chunk; every paused
 * request is looked at again as soon as the bucket could let it go, so a
 * busy transfer runs at close to its rate; the requests waiting are
 * resumed in turn, so none starves (a starved upload would trip the stall
 * timeout).
 */
#include "ferry/remote_rate.h"

#include <time.h>

#include "remote_int.h"

#include "ferry/out.h"

void
rrate_init(struct rrate *r, int64_t rate, double now)
{
    r->rate = rate > 0 ? (double)rate : 0;
    size_t chunk = (size_t)(r->rate / 16);
    if (chunk < RRATE_CHUNK_MIN)
        chunk = RRATE_CHUNK_MIN;
    if (chunk > RRATE_CHUNK_MAX)
        chunk = RRATE_CHUNK_MAX;
    r->chunk = chunk;
    /* an eighth of a second saved up at most: enough to make up for a
     * late wake-up, too little to show as a burst */
    r->burst =
        r->rate / 8 > 2.0 * (double)chunk ? r->rate / 8 : 2.0 * (double)chunk;
    r->tokens = (double)chunk;
    r->last = now;
}

bool
rrate_on(const struct rrate *r)
{
    return r->rate > 0;
}

static void
top_up(struct rrate *r, double now)
{
    if (now <= r->last)
        return; /* no time passed (or a clock from another run) */
    r->tokens += (now - r->last) * r->rate;
    if (r->tokens > r->burst)
        r->tokens = r->burst;
    r->last = now;
}

size_t
rrate_allow(struct rrate *r, size_t want, double now)
{
    if (!rrate_on(r))
        return want;
    top_up(r, now);
    if (r->tokens <= 0)
        return 0;
    return want < r->chunk ? want : r->chunk;
}

void
rrate_spend(struct rrate *r, size_t n)
{
    if (rrate_on(r))
        r->tokens -= (double)n;
}

double
rrate_wait(struct rrate *r, double now)
{
    if (!rrate_on(r))
        return 0;
    top_up(r, now);
    /* tokens must become positive: a hair past the debt */
    return r->tokens > 0 ? 0 : (1.0 - r->tokens) / r->rate;
}

enum fy_rc
rrate_throttle(struct rrate *r, size_t n, const char *what, struct fy_err *err)
{
    if (!rrate_on(r))
        return FY_OK;
    rrate_spend(r, n);
    for (;;) {
        if (fy_interrupted())
            return fy_fail(err, FY_EINTR, "%s: interrupted", what);
        double wait = rrate_wait(r, out_now());
        if (wait <= 0)
            return FY_OK;
        if (wait > 0.05)
            wait = 0.05;
        struct timespec ts = {0, (long)(wait * 1e9) + 1};
        nanosleep(&ts, NULL);
    }
}

struct rjob *
rrate_resume(struct reng *e, double now, double *next)
{
    size_t n = e->nact;
    for (size_t k = 0; k < n; k++) {
        struct rjob *j = e->act[(e->turn + k) % n];
        if (!j->paused || j->h == NULL)
            continue;
        struct rrate *r = j->method == RM_GET ? &e->down : &e->up;
        double wait = rrate_wait(r, now);
        if (wait > 0) {
            if (now + wait < *next)
                *next = now + wait;
            continue;
        }
        /* a download's kept bytes go to on_write right here, which may
         * spend the tokens and pause it again */
        j->paused = false;
        if (curl_easy_pause(j->h, CURLPAUSE_CONT) != CURLE_OK) {
            if (j->local.rc == FY_OK)
                fy_fail(&j->local, FY_ERUNTIME, "%s: cannot resume", j->what);
            return j;
        }
        if (j->local.rc != FY_OK)
            return j;
    }
    e->turn = n > 0 ? (e->turn + 1) % n : 0;
    return NULL;
}
