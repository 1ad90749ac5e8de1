/*
 * remote_digest.c - Content-MD5 values through OpenSSL's EVP interface
 * (ferry/remote_digest.h).  MD5 here is a check against damage on the
 * way, as S3 uses it, not a defence against an attacker.
 *
 * rjob_md5() fills in the Content-MD5 of a request's body (remote_int.h).
 *
 * What it keeps true: the digest covers exactly the bytes asked for (a
 * file shorter than off + len is an error, never a digest of less); reads
 * are bounded (1 MiB at a time) and retried on EINTR.
 */
#include "ferry/remote_digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/xalloc.h"

#define READ_MAX ((size_t)1 << 20)

static enum fy_rc
start(EVP_MD_CTX **ctx, char *out, struct fy_err *err)
{
    out[0] = '\0';
    *ctx = EVP_MD_CTX_new();
    if (*ctx == NULL || EVP_DigestInit_ex(*ctx, EVP_md5(), NULL) != 1) {
        EVP_MD_CTX_free(*ctx);
        *ctx = NULL;
        return fy_fail(err, FY_ERUNTIME,
                       "Content-MD5: OpenSSL offers no MD5 here (FIPS mode?)");
    }
    return FY_OK;
}

static enum fy_rc
finish(EVP_MD_CTX *ctx, char *out, struct fy_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex(ctx, md, &n);
    EVP_MD_CTX_free(ctx);
    if (ok != 1 || n != 16)
        return fy_fail(err, FY_ERUNTIME, "Content-MD5: the digest failed");
    /* 16 bytes: 24 characters and a NUL */
    EVP_EncodeBlock((unsigned char *)out, md, 16);
    return FY_OK;
}

enum fy_rc
remote_md5_mem(const void *buf,
               size_t n,
               char out[REMOTE_MD5_B64],
               struct fy_err *err)
{
    EVP_MD_CTX *ctx;
    if (start(&ctx, out, err) != FY_OK)
        return err->rc;
    if (EVP_DigestUpdate(ctx, buf, n) != 1) {
        EVP_MD_CTX_free(ctx);
        return fy_fail(err, FY_ERUNTIME, "Content-MD5: the digest failed");
    }
    return finish(ctx, out, err);
}

enum fy_rc
remote_md5_fd(int fd,
              int64_t off,
              int64_t len,
              const char *what,
              char out[REMOTE_MD5_B64],
              struct fy_err *err)
{
    EVP_MD_CTX *ctx;
    if (start(&ctx, out, err) != FY_OK)
        return err->rc;
    size_t cap =
        len < (int64_t)READ_MAX ? (size_t)(len > 0 ? len : 1) : READ_MAX;
    char *buf = xmalloc(cap);
    enum fy_rc rc = FY_OK;
    while (len > 0) {
        size_t want = len < (int64_t)cap ? (size_t)len : cap;
        ssize_t r = pread(fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* shorter than it was: changed under us */
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s: read", what);
            break;
        }
        if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) {
            rc = fy_fail(err, FY_ERUNTIME, "Content-MD5: the digest failed");
            break;
        }
        off += r;
        len -= r;
    }
    free(buf);
    if (rc != FY_OK) {
        EVP_MD_CTX_free(ctx);
        return rc;
    }
    return finish(ctx, out, err);
}

enum fy_rc
rjob_md5(struct rjob *j, struct fy_err *err)
{
    if (j->md5[0] != '\0' || j->method != RM_PUT || j->pipe != NULL)
        return FY_OK;
    if (j->mem != NULL || j->len <= 0)
        return remote_md5_mem(j->mem != NULL ? j->mem : "",
                              j->len > 0 ? (size_t)j->len : 0, j->md5, err);
    if (j->fd >= 0)
        return remote_md5_fd(j->fd, j->off, j->len, j->what, j->md5, err);
    return FY_OK;
}
