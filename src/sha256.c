/*
 * sha256.c - a streaming SHA-256 over OpenSSL's SHA256_* functions
 * (ferry/sha256.h).  Taken where it is called: outpipe.c calls it on its
 * helper thread for pack's archive.
 *
 * What it keeps true: the digest covers exactly the bytes given, in
 * order; after any failure of OpenSSL no digest is reported at all (never
 * one of fewer bytes).
 */
#include "ferry/sha256.h"

/* The SHA256_* functions, not EVP: the same assembly (SHA-NI where the CPU
 * has it), without the 2 MiB that initialising OpenSSL 3's providers
 * costs, which pack's 64 MiB memory budget cannot spare. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>

#include "ferry/xalloc.h"

struct sha256 {
    SHA256_CTX ctx;
    bool failed, done;
};

struct sha256 *
sha256_new(void)
{
    struct sha256 *h = xcalloc(1, sizeof *h);
    if (SHA256_Init(&h->ctx) != 1) {
        free(h);
        return NULL;
    }
    return h;
}

void
sha256_update(struct sha256 *h, const void *buf, size_t n)
{
    if (h == NULL || h->done || h->failed || n == 0)
        return;
    if (SHA256_Update(&h->ctx, buf, n) != 1)
        h->failed = true;
}

bool
sha256_hex(struct sha256 *h, char hex[SHA256_HEX])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    hex[0] = '\0';
    if (h == NULL || h->done)
        return false;
    h->done = true;
    if (h->failed || SHA256_Final(md, &h->ctx) != 1)
        return false;
    for (unsigned int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return true;
}

void
sha256_free(struct sha256 *h)
{
    free(h);
}
