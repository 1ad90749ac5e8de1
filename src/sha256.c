/*
 * sha256.c - a streaming SHA-256 over OpenSSL's SHA256_* functions
 * (ferry/sha256.h), taken on a helper thread: sha256_update() copies the
 * bytes into a ring of SLOTS buffers of SLOT_BYTES and the helper hashes
 * them in order, so the writer's thread (pack's, which also reads, hashes
 * and frames the files) pays a memcpy, not the hash.  Without a thread
 * (pthread_create failed) the hash is taken inline.
 *
 * What it keeps true: the digest covers exactly the bytes given, in order
 * (a slot is hashed whole before the next one, and is refilled only after
 * it was hashed); memory is bounded (SLOTS x SLOT_BYTES); after any
 * failure of OpenSSL no digest is reported at all (never one of fewer
 * bytes).  The helper takes no signals: SIGINT and SIGTERM stay with the
 * threads that poll fy_interrupted().
 */
#include "ferry/sha256.h"

/* The SHA256_* functions, not EVP: the same assembly (SHA-NI where the CPU
 * has it), without the 2 MiB that initialising OpenSSL 3's providers
 * costs, which pack's 64 MiB memory budget cannot spare. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/xalloc.h"

#define SLOTS      4
#define SLOT_BYTES ((size_t)1 << 19)

struct sha256 {
    SHA256_CTX ctx;
    bool failed, done;
    bool threaded;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *buf[SLOTS];
    size_t len[SLOTS];
    size_t first, queued; /* slots [first, first + queued) wait or hash */
    bool stop;
    /* the writer's side: the slot being filled, if any */
    bool filling;
    size_t cur, fill;
};

static void
hash_now(struct sha256 *h, const void *buf, size_t n)
{
    if (!h->failed && SHA256_Update(&h->ctx, buf, n) != 1)
        h->failed = true;
}

static void *
hasher(void *arg)
{
    struct sha256 *h = arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (h->queued == 0 && !h->stop)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->queued == 0)
            break;
        size_t i = h->first;
        pthread_mutex_unlock(&h->mu);
        hash_now(h, h->buf[i], h->len[i]); /* only this thread hashes */
        pthread_mutex_lock(&h->mu);
        h->first = (h->first + 1) % SLOTS;
        h->queued--;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static struct sha256 *
make(bool thread)
{
    struct sha256 *h = xcalloc(1, sizeof *h);
    if (SHA256_Init(&h->ctx) != 1) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (thread) {
        for (size_t i = 0; i < SLOTS; i++)
            h->buf[i] = xmalloc(SLOT_BYTES);
        h->threaded = pthread_create(&h->th, NULL, hasher, h) == 0;
    }
    return h;
}

struct sha256 *
sha256_new(void)
{
    return make(true);
}

struct sha256 *
sha256_new_here(void)
{
    return make(false);
}

/* Hand the slot being filled to the hasher. */
static void
submit(struct sha256 *h)
{
    pthread_mutex_lock(&h->mu);
    h->len[h->cur] = h->fill;
    h->queued++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    h->filling = false;
}

void
sha256_update(struct sha256 *h, const void *buf, size_t n)
{
    if (h == NULL || h->done || n == 0)
        return;
    if (!h->threaded) {
        hash_now(h, buf, n);
        return;
    }
    const unsigned char *p = buf;
    while (n > 0) {
        if (!h->filling) { /* wait for a free slot: the one after the queue */
            pthread_mutex_lock(&h->mu);
            while (h->queued == SLOTS)
                pthread_cond_wait(&h->cv, &h->mu);
            h->cur = (h->first + h->queued) % SLOTS;
            pthread_mutex_unlock(&h->mu);
            h->fill = 0;
            h->filling = true;
        }
        size_t k = SLOT_BYTES - h->fill;
        k = k < n ? k : n;
        memcpy(h->buf[h->cur] + h->fill, p, k);
        h->fill += k;
        p += k;
        n -= k;
        if (h->fill == SLOT_BYTES)
            submit(h);
    }
}

/* Hash what is left and stop the hasher (once). */
static void
drain(struct sha256 *h)
{
    if (!h->threaded)
        return;
    if (h->filling && h->fill > 0)
        submit(h);
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    h->threaded = false;
}

bool
sha256_hex(struct sha256 *h, char hex[SHA256_HEX])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned int n = SHA256_DIGEST_LENGTH;
    hex[0] = '\0';
    if (h == NULL || h->done)
        return false;
    drain(h);
    h->done = true;
    if (h->failed || SHA256_Final(md, &h->ctx) != 1)
        return false;
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return true;
}

void
sha256_free(struct sha256 *h)
{
    if (h == NULL)
        return;
    drain(h);
    for (size_t i = 0; i < SLOTS; i++)
        free(h->buf[i]);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
