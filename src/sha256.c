/*
 * sha256.c - a streaming SHA-256 over OpenSSL's EVP interface
 * (ferry/sha256.h).  What it keeps true: the digest covers exactly the
 * bytes given, in order; after any failure of OpenSSL no digest is
 * reported at all (never one of fewer bytes).
 */
#include "ferry/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "ferry/xalloc.h"

struct sha256 {
    EVP_MD_CTX *ctx;
    bool failed, done;
};

struct sha256 *
sha256_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return NULL;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    struct sha256 *h = xcalloc(1, sizeof *h);
    h->ctx = ctx;
    return h;
}

void
sha256_update(struct sha256 *h, const void *buf, size_t n)
{
    if (h == NULL || h->failed || h->done || n == 0)
        return;
    if (EVP_DigestUpdate(h->ctx, buf, n) != 1)
        h->failed = true;
}

bool
sha256_hex(struct sha256 *h, char hex[SHA256_HEX])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    hex[0] = '\0';
    if (h == NULL || h->failed || h->done)
        return false;
    h->done = true;
    if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
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
    EVP_MD_CTX_free(h->ctx);
    free(h);
}
