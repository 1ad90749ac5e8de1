/*
 * remote_rm.c - `ferry rm`: remove one object.  S3: a HEAD, because S3
 * answers DeleteObject of a missing key with 204 as well, then the
 * DELETE; HTTP(S): DELETE; SFTP: the quote command "rm PATH"; file://:
 * unlink.
 *
 * What it keeps true: only the object named is removed: never a
 * directory (file:// refuses one; an http(s) URL whose path ends with '/'
 * is refused before a request goes out, as WebDAV would delete the
 * collection and everything in it); a symlink is removed, never what it
 * points to.  A missing object is told apart from a failure (*missing),
 * so that rm --force can accept it.  Requests are retried as every other
 * (remote_run_one).
 */
#include "ferry/remote_list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/xalloc.h"

static enum fy_rc
no_such_object(const struct rtarget *t, bool *missing, struct fy_err *err)
{
    *missing = true;
    return fy_fail(err, FY_ERUNTIME, "%s: no such object", t->u.show);
}

/* One request of method m on t, with retries; j is the caller's to
 * release (its status and result tell what happened). */
static enum fy_rc
request(struct rtarget *t,
        struct rjob *j,
        enum rmethod m,
        struct out *out,
        struct remote_stats *st,
        struct fy_err *err)
{
    rjob_init(j, t, m);
    j->what = xstrdup(t->u.show);
    return remote_run_one(t, j, out, -1, st, err);
}

/* ------------------------------------------------------------------ S3 */

static enum fy_rc
rm_s3(struct rtarget *t,
      struct out *out,
      bool *missing,
      struct remote_stats *st,
      struct fy_err *err)
{
    struct rjob j;
    struct fy_err tmp = FY_ERR_INIT;
    /* S3 answers the DELETE of a missing key with 204: ask first */
    enum fy_rc rc = request(t, &j, RM_HEAD, out, st, &tmp);
    long status = j.status;
    rjob_release(&j);
    if (rc != FY_OK && status == 404)
        return no_such_object(t, missing, err);
    /* 403: a policy may allow s3:DeleteObject without s3:GetObject (AWS
     * also answers 403 for a missing key to those without ListBucket):
     * let the DELETE tell */
    if (rc != FY_OK && status != 403)
        return fy_fail(err, rc, "%s", tmp.msg);
    rc = request(t, &j, RM_DELETE, out, st, err);
    rjob_release(&j);
    return rc;
}

/* ---------------------------------------------------------------- HTTP */

static enum fy_rc
rm_http(struct rtarget *t,
        struct out *out,
        bool *missing,
        struct remote_stats *st,
        struct fy_err *err)
{
    /* a DELETE of ".../dir/" would remove a whole WebDAV collection */
    const char *auth = strstr(t->u.url, "://") + 3;
    const char *path = auth + strcspn(auth, "/?#");
    size_t plen = strcspn(path, "?#");
    if (plen == 0 || path[plen - 1] == '/')
        return fy_fail(err, FY_EINPUT,
                       "%s: names a directory (rm removes one object, not "
                       "a collection)",
                       t->u.show);
    struct rjob j;
    struct fy_err tmp = FY_ERR_INIT;
    enum fy_rc rc = request(t, &j, RM_DELETE, out, st, &tmp);
    long status = j.status;
    rjob_release(&j);
    if (rc != FY_OK && (status == 404 || status == 410))
        return no_such_object(t, missing, err);
    if (rc != FY_OK)
        return fy_fail(err, rc, "%s", tmp.msg);
    return FY_OK;
}

/* ---------------------------------------------------------------- SFTP */

struct sftp_rm {
    struct rjob j; /* first: the engine hands out &j */
    const char *dir_url;
    struct curl_slist *cmds;
};

/*
 * The target's own setup (login, host key), then the quote command; the
 * URL is the directory's: after the quote, libcurl would open a file's
 * URL (the one just removed), while a directory's listing is skipped by
 * NOBODY.
 */
static enum fy_rc
sftp_rm_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct sftp_rm *r = (struct sftp_rm *)j;
    enum fy_rc rc = j->t->setup(j, h, err);
    curl_easy_setopt(h, CURLOPT_URL, r->dir_url);
    curl_easy_setopt(h, CURLOPT_QUOTE, r->cmds);
    return rc;
}

/* The path of an sftp:// URL as the server sees it: decoded; "/~/x" is x
 * in the login directory.  NULL on a bad escape.  Caller frees. */
static char *
sftp_path(const char *url)
{
    const char *auth = strstr(url, "://") + 3;
    const char *p = strchr(auth, '/');
    char *out = NULL;
    if (p == NULL)
        return NULL;
    if (strncmp(p, "/~/", 3) == 0)
        p += 3;
    return fy_pct_decode(p, strlen(p), &out) ? out : NULL;
}

/* "rm \"PATH\"", quoted as libcurl's quote parser reads it. */
static char *
rm_command(const char *path)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, "rm \"");
    for (const char *c = path; *c; c++) {
        if (*c == '"' || *c == '\\')
            sbuf_adds(&sb, "\\");
        sbuf_add(&sb, c, 1);
    }
    sbuf_adds(&sb, "\"");
    return sbuf_detach(&sb);
}

static enum fy_rc
rm_sftp(struct rtarget *t,
        struct out *out,
        bool *missing,
        struct remote_stats *st,
        struct fy_err *err)
{
    char *path = sftp_path(t->u.url);
    if (path == NULL || *path == '\0') {
        free(path);
        return fy_fail(err, FY_EINPUT, "%s: bad %%-escape in the path",
                       t->u.show);
    }
    const char *last = strrchr(t->u.url, '/');
    char *dir_url = xasprintf("%.*s", (int)(last + 1 - t->u.url), t->u.url);
    char *cmd = rm_command(path);
    struct sftp_rm r;
    struct fy_err tmp = FY_ERR_INIT;
    rjob_init(&r.j, t, RM_HEAD);
    r.j.setup = sftp_rm_setup;
    r.j.what = xstrdup(t->u.show);
    r.dir_url = dir_url;
    r.cmds = curl_slist_append(NULL, cmd);
    enum fy_rc rc = remote_run_one(t, &r.j, out, -1, st, &tmp);
    int result = r.j.result;
    rjob_release(&r.j);
    curl_slist_free_all(r.cmds);
    if (rc != FY_OK && result == CURLE_QUOTE_ERROR) {
        /* why did rm fail?  A HEAD of the file says if it is there */
        struct rjob j;
        struct fy_err ignored = FY_ERR_INIT;
        request(t, &j, RM_HEAD, out, st, &ignored);
        bool gone = j.result == CURLE_REMOTE_FILE_NOT_FOUND;
        rjob_release(&j);
        if (gone)
            rc = no_such_object(t, missing, err);
        else
            fy_fail(err, rc, "%s", tmp.msg);
    } else if (rc != FY_OK) {
        fy_fail(err, rc, "%s", tmp.msg);
    }
    free(cmd);
    free(dir_url);
    free(path);
    return rc;
}

/* ------------------------------------------------------------- file:// */

static enum fy_rc
rm_file(struct rtarget *t, bool *missing, struct fy_err *err)
{
    const char *path = t->u.path;
    struct stat st;
    /* lstat: a symlink is the object, never what it points to */
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return no_such_object(t, missing, err);
        return fy_fail_errno(err, FY_ERUNTIME, "%s", t->u.show);
    }
    if (S_ISDIR(st.st_mode))
        return fy_fail(err, FY_EINPUT,
                       "%s: is a directory (rm removes one object, not a "
                       "directory)",
                       t->u.show);
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return no_such_object(t, missing, err);
        return fy_fail_errno(err, FY_ERUNTIME, "%s", t->u.show);
    }
    /* make the removal durable; a failure here changes nothing done */
    char *dir = fs_dirname(path);
    struct fy_err ignored = FY_ERR_INIT;
    fs_fsync_dir(dir, &ignored);
    free(dir);
    return FY_OK;
}

/* --------------------------------------------------------------- entry */

enum fy_rc
remote_remove(const char *url,
              const struct remote_opts *o,
              struct out *out,
              bool *missing,
              struct remote_stats *st,
              struct fy_err *err)
{
    struct remote_stats local = {0};
    struct rtarget t;
    *missing = false;
    if (st == NULL)
        st = &local;
    enum fy_rc rc = rtarget_open(&t, url, o, err);
    if (rc != FY_OK)
        return rc;
    switch (t.u.scheme) {
    case REMOTE_S3:
        rc = rm_s3(&t, out, missing, st, err);
        break;
    case REMOTE_HTTP:
        rc = rm_http(&t, out, missing, st, err);
        break;
    case REMOTE_SFTP:
        rc = rm_sftp(&t, out, missing, st, err);
        break;
    case REMOTE_FILE:
        rc = rm_file(&t, missing, err);
        break;
    }
    rtarget_release(&t);
    return rc;
}
