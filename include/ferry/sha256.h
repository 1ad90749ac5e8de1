/*
 * sha256.h - a streaming SHA-256 through OpenSSL's SHA256_* functions
 * (src/sha256.c), for the checksum of an archive that pack and save
 * print: the hash is taken of the bytes as they are written (outpipe.h),
 * never by reading the output a second time, so `sha256sum ARCHIVE`
 * gives the same hex.
 *
 *     struct sha256 *h = sha256_new();      (NULL: no SHA-256 here)
 *     sha256_update(h, buf, n);             (h NULL: nothing)
 *     char hex[SHA256_HEX];
 *     if (sha256_hex(h, hex)) ...           (64 lower-case hex digits)
 *     sha256_free(h);                       (NULL is fine)
 *
 * The hash is taken on the calling thread; outpipe.h takes it on a
 * helper thread (outpipe_new(NULL) for the hash alone).  One thread at a time
 * may call these functions on one hash.
 *
 * Ownership: the caller's, freed with sha256_free().  A failure (an
 * OpenSSL that refuses, out of memory) is no error: the hash is simply
 * not there, and sha256_hex() returns false with hex "".
 */
#ifndef FERRY_SHA256_H
#define FERRY_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHA256_HEX 65 /* 64 hex digits and a NUL */

struct sha256;

struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *buf, size_t n);
/* Finish: hex is the digest of every byte given; the hash is then spent
 * (later updates are ignored). */
bool sha256_hex(struct sha256 *h, char hex[SHA256_HEX]);
void sha256_free(struct sha256 *h);

#ifdef __cplusplus
}
#endif

#endif
