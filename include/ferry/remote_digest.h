/*
 * remote_digest.h - the MD5 a store checks a request body against
 * (Content-MD5, RFC 1864: the base64 of the 16-byte digest), through
 * OpenSSL's EVP interface (src/remote_digest.c, the one place that
 * includes OpenSSL).
 *
 *     char md5[REMOTE_MD5_B64];
 *     rc = remote_md5_mem(buf, n, md5, err);
 *     rc = remote_md5_fd(fd, off, len, "f.bin", md5, err);
 *
 * S3 checks Content-MD5 on every PUT and UploadPart: a body damaged on the
 * way is refused (400 BadDigest) instead of stored.
 *
 * Ownership: buffers are borrowed; out is the caller's (REMOTE_MD5_B64
 * bytes, NUL-terminated).  Errors: FY_ERUNTIME with one line in err (a
 * read error names what; an OpenSSL without MD5, as in FIPS mode, says
 * so); out is then "".
 */
#ifndef FERRY_REMOTE_DIGEST_H
#define FERRY_REMOTE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 24 base64 characters and a NUL */
#define REMOTE_MD5_B64 25

/* Content-MD5 of buf[0..n). */
enum fy_rc remote_md5_mem(const void *buf,
                          size_t n,
                          char out[REMOTE_MD5_B64],
                          struct fy_err *err);

/* Content-MD5 of len bytes of fd from off (pread: fd's offset stays). */
enum fy_rc remote_md5_fd(int fd,
                         int64_t off,
                         int64_t len,
                         const char *what,
                         char out[REMOTE_MD5_B64],
                         struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
