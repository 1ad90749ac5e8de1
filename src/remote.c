/*
 * remote.c - storage URLs to backends: the public entry points (push,
 * pull, upload and download streams) parse the URL, pick the backend of
 * its scheme, and call it through its hooks (struct remote_backend in
 * remote_int.h).  Nothing below calls back up into this file.
 *
 * push of "-" streams stdin into an upload (push_fd).
 *
 * What it keeps true: a target opened here is released here, whatever the
 * backend did with it (a stream takes it over with rtarget_move); the
 * stats a caller gets count every request, the probes included.
 */
#include "ferry/remote.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/stream.h"

static const struct remote_backend *const backends[] = {
    [REMOTE_S3] = &remote_s3_backend,
    [REMOTE_HTTP] = &remote_http_backend,
    [REMOTE_SFTP] = &remote_sftp_backend,
    [REMOTE_FILE] = &remote_file_backend,
};

/* ------------------------------------------------------------ targets */

enum fy_rc
rtarget_open_url(struct rtarget *t,
                 struct remote_url *u,
                 const struct remote_opts *o,
                 struct fy_err *err)
{
    memset(t, 0, sizeof *t);
    t->o = o;
    t->u = *u;
    *u = (struct remote_url)REMOTE_URL_INIT;
    t->backend = backends[t->u.scheme];
    enum fy_rc rc = FY_OK;
    if (t->backend->open != NULL)
        rc = t->backend->open(t, err);
    if (rc != FY_OK)
        rtarget_release(t);
    return rc;
}

enum fy_rc
rtarget_open(struct rtarget *t,
             const char *url,
             const struct remote_opts *o,
             struct fy_err *err)
{
    struct remote_url u;
    memset(t, 0, sizeof *t);
    t->u = (struct remote_url)REMOTE_URL_INIT;
    enum fy_rc rc = remote_url_parse(url, &u, err);
    if (rc != FY_OK)
        return rc;
    return rtarget_open_url(t, &u, o, err);
}

/* --------------------------------------------------------------- push */

#define STDIN_BUF ((size_t)1 << 20)

/*
 * Read fd (stdin) to its end into an upload stream of url, and commit it
 * only then: an error or SIGINT/SIGTERM before the end discards it (an S3
 * multipart upload is aborted), so nothing appears under url.  fd is
 * polled, so a signal is seen even while the writer is silent.
 */
static enum fy_rc
push_fd(int fd,
        const char *url,
        const struct remote_opts *o,
        struct out *out,
        struct remote_stats *st,
        struct fy_err *err)
{
    struct fy_ostream os;
    enum fy_rc rc = remote_upload_open(&os, url, o, out, st, err);
    if (rc != FY_OK)
        return rc;
    char *buf = xmalloc(STDIN_BUF);
    while (rc == FY_OK) {
        struct pollfd p = {fd, POLLIN, 0};
        if (fy_interrupted()) {
            rc = fy_fail(err, FY_EINTR, "%s: interrupted", os.name);
            break;
        }
        if (poll(&p, 1, 200) <= 0)
            continue; /* nothing yet, or a signal: look again */
        ssize_t n = read(fd, buf, STDIN_BUF);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            rc = fy_fail_errno(err, FY_ERUNTIME, "stdin");
        else if (n == 0)
            break;
        else
            rc = os.write(os.ctx, buf, (size_t)n, err);
    }
    free(buf);
    /* the end of stdin is the end of the object, unless ^C cut it short */
    if (rc == FY_OK && fy_interrupted())
        rc = fy_fail(err, FY_EINTR, "%s: interrupted", os.name);
    enum fy_rc crc = os.close(os.ctx, rc == FY_OK, err);
    return rc != FY_OK ? rc : crc;
}

enum fy_rc
remote_push(const char *path,
            const char *url,
            const struct remote_opts *o,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct remote_stats local = {0};
    struct rtarget t;
    double t0 = out_now();
    enum fy_rc rc;
    if (strcmp(path, "-") == 0) {
        rc = push_fd(STDIN_FILENO, url, o, out, &local, err);
    } else if ((rc = rtarget_open(&t, url, o, err)) == FY_OK) {
        rc = t.backend->push_file(&t, path, out, &local, err);
        rtarget_release(&t);
    }
    local.seconds = out_now() - t0;
    if (st != NULL)
        *st = local;
    return rc;
}

/* --------------------------------------------------------------- pull */

enum fy_rc
remote_pull(const char *url,
            const char *path,
            const struct remote_opts *o,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct remote_stats local = {0};
    double t0 = out_now();
    struct rtarget t;
    enum fy_rc rc;
    if (strcmp(path, "-") == 0 || fs_is_special(path)) {
        /* stdout, a device, FIFO or socket: no writes at offsets there
         * (SPEC: written into directly), so in byte order */
        struct fy_istream is;
        rc = remote_download_open(&is, url, o, out, &local, err);
        if (rc == FY_OK)
            rc = rops_write_stream(&is, path, err);
    } else if ((rc = rtarget_open(&t, url, o, err)) == FY_OK) {
        rc = t.backend->pull_file(&t, path, out, &local, err);
        rtarget_release(&t);
    }
    local.seconds = out_now() - t0;
    if (st != NULL)
        *st = local;
    return rc;
}

/* ------------------------------------------------------------ streams */

enum fy_rc
remote_upload_open(struct fy_ostream *os,
                   const char *url,
                   const struct remote_opts *o,
                   struct out *out,
                   struct remote_stats *st,
                   struct fy_err *err)
{
    struct rtarget t;
    enum fy_rc rc = rtarget_open(&t, url, o, err);
    if (rc != FY_OK)
        return rc;
    rc = t.backend->upload_open(os, &t, out, st, err);
    rtarget_release(&t);
    return rc;
}

enum fy_rc
remote_download_open(struct fy_istream *is,
                     const char *url,
                     const struct remote_opts *o,
                     struct out *out,
                     struct remote_stats *st,
                     struct fy_err *err)
{
    struct rtarget t;
    enum fy_rc rc = rtarget_open(&t, url, o, err);
    if (rc != FY_OK)
        return rc;
    /* file:// is read in place: nothing to keep */
    if (o->cache != NULL && t.u.scheme != REMOTE_FILE)
        rc = rops_download_cached_open(is, &t, o->cache, out, st, err);
    else
        rc = t.backend->download_open(is, &t, out, st, err);
    rtarget_release(&t);
    return rc;
}
