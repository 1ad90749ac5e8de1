/*
 * outpipe.c - an archive's bytes hashed and written on a helper thread
 * (ferry/outpipe.h).  outpipe_write() copies the bytes into a ring of
 * SLOTS buffers of SLOT_BYTES; the helper takes full slots in order,
 * hashes each and, for a stream that allows it (os->any_thread), writes
 * it; a slot is refilled only after that.  With no stream it is a
 * SHA-256 taken on a helper thread.
 *
 * What it keeps true: the stream and the digest get exactly the bytes
 * given, in order; memory is bounded; after a failed write nothing more
 * is written, and the failure (the stream's message and exit code) is
 * handed to the caller's thread by its next call.  The helper takes no
 * signals: SIGINT and SIGTERM stay with the threads that poll
 * fy_interrupted().
 */
#include "ferry/outpipe.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/xalloc.h"

#define SLOTS      4
#define SLOT_BYTES ((size_t)1 << 19)

struct outpipe {
    struct fy_ostream *os;
    bool writes; /* the helper writes (else the caller does) */
    struct sha256 *sha;
    bool threaded;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *buf[SLOTS];
    size_t len[SLOTS];
    size_t first, queued; /* slots [first, first + queued) wait or work */
    bool stop;
    bool discard;       /* outpipe_free before finish: write nothing more */
    bool failed;        /* a write of the helper's failed: werr says how */
    struct fy_err werr; /* the helper's, read by the caller once failed */
    bool filling;       /* the caller's side: the slot being filled */
    size_t cur, fill;
};

static void *
helper(void *arg)
{
    struct outpipe *o = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (o->queued == 0 && !o->stop)
            pthread_cond_wait(&o->cv, &o->mu);
        if (o->queued == 0)
            break;
        size_t i = o->first;
        bool skip = o->failed || o->discard;
        pthread_mutex_unlock(&o->mu);
        sha256_update(o->sha, o->buf[i], o->len[i]);
        enum fy_rc rc = FY_OK;
        if (o->writes && !skip)
            rc = o->os->write(o->os->ctx, o->buf[i], o->len[i], &o->werr);
        pthread_mutex_lock(&o->mu);
        if (rc != FY_OK)
            o->failed = true;
        o->first = (o->first + 1) % SLOTS;
        o->queued--;
        pthread_cond_broadcast(&o->cv);
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

struct outpipe *
outpipe_new(struct fy_ostream *os)
{
    struct outpipe *o = xcalloc(1, sizeof *o);
    o->os = os;
    o->sha = sha256_new();
    o->werr = (struct fy_err)FY_ERR_INIT;
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
    for (size_t i = 0; i < SLOTS; i++)
        o->buf[i] = xmalloc(SLOT_BYTES);
    o->threaded = pthread_create(&o->th, NULL, helper, o) == 0;
    o->writes = o->threaded && os != NULL && os->any_thread;
    return o;
}

/* The helper's failure, if any, as the caller's (under o->mu). */
static enum fy_rc
failure(struct outpipe *o, struct fy_err *err)
{
    if (!o->failed)
        return FY_OK;
    *err = o->werr;
    return err->rc != FY_OK ? err->rc : FY_ERUNTIME;
}

/* Hand the slot being filled to the helper. */
static void
submit(struct outpipe *o)
{
    pthread_mutex_lock(&o->mu);
    o->len[o->cur] = o->fill;
    o->queued++;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    o->filling = false;
}

enum fy_rc
outpipe_write(struct outpipe *o, const void *buf, size_t n, struct fy_err *err)
{
    if (!o->threaded) {
        sha256_update(o->sha, buf, n);
        return o->os != NULL ? o->os->write(o->os->ctx, buf, n, err) : FY_OK;
    }
    if (!o->writes && o->os != NULL) { /* the stream stays on this thread */
        enum fy_rc rc = o->os->write(o->os->ctx, buf, n, err);
        if (rc != FY_OK)
            return rc;
    }
    const unsigned char *p = buf;
    while (n > 0) {
        if (!o->filling) { /* wait for a free slot: the one after the queue */
            pthread_mutex_lock(&o->mu);
            while (o->queued == SLOTS && !o->failed)
                pthread_cond_wait(&o->cv, &o->mu);
            enum fy_rc rc = failure(o, err);
            o->cur = (o->first + o->queued) % SLOTS;
            pthread_mutex_unlock(&o->mu);
            if (rc != FY_OK)
                return rc;
            o->fill = 0;
            o->filling = true;
        }
        size_t k = SLOT_BYTES - o->fill;
        k = k < n ? k : n;
        memcpy(o->buf[o->cur] + o->fill, p, k);
        o->fill += k;
        p += k;
        n -= k;
        if (o->fill == SLOT_BYTES)
            submit(o);
    }
    return FY_OK;
}

/* Everything given hashed and written; the helper gone (once). */
static void
drain(struct outpipe *o)
{
    if (!o->threaded)
        return;
    if (o->filling && o->fill > 0)
        submit(o);
    o->filling = false;
    pthread_mutex_lock(&o->mu);
    o->stop = true;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->th, NULL);
    o->threaded = false;
}

enum fy_rc
outpipe_finish(struct outpipe *o, char hex[SHA256_HEX], struct fy_err *err)
{
    drain(o);
    enum fy_rc rc = failure(o, err);
    hex[0] = '\0';
    if (rc == FY_OK)
        (void)sha256_hex(o->sha, hex);
    return rc;
}

void
outpipe_free(struct outpipe *o)
{
    if (o == NULL)
        return;
    /* without outpipe_finish (a failure elsewhere, Ctrl-C): the stream is
     * discarded, so what is still queued is not written */
    if (o->threaded) {
        pthread_mutex_lock(&o->mu);
        o->discard = true;
        pthread_mutex_unlock(&o->mu);
    }
    drain(o);
    for (size_t i = 0; i < SLOTS; i++)
        free(o->buf[i]);
    sha256_free(o->sha);
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    free(o);
}
