/*
 * resume.c - FILE.part and its sidecar FILE.part.ferry (resume.h): the set
 * of byte ranges on disk, the sidecar's strict JSON, the checkpoint thread
 * that makes ranges durable before it names them, and FILE.part opened
 * safely in a directory others may write into.
 *
 * What it keeps true: a range reaches the sidecar only after an
 * fdatasync() of FILE.part that began after the range was written; the
 * sidecar only ever changes by rename(); a sidecar is trusted only if it
 * parses exactly, names this URL, size and validators, and FILE.part has
 * that size; nothing is written through a symlink, into a special file,
 * a hard-linked file or another user's file; a start-over removes the
 * sidecar durably before FILE.part is emptied.
 */
#include "ferry/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/xalloc.h"

#define FORMAT_NAME "ferry-resume"

/* ------------------------------------------------------- byte ranges */

void
resume_ranges_add(struct resume_ranges *r, int64_t from, int64_t to)
{
    if (from >= to)
        return;
    size_t i = 0;
    while (i < r->n && r->v[i].to < from)
        i++;
    size_t j = i; /* v[i..j) overlap or touch [from, to) */
    while (j < r->n && r->v[j].from <= to) {
        if (r->v[j].from < from)
            from = r->v[j].from;
        if (r->v[j].to > to)
            to = r->v[j].to;
        j++;
    }
    if (j == i) {
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 16;
            r->v = xrealloc(r->v, r->cap * sizeof *r->v);
        }
        memmove(r->v + i + 1, r->v + i, (r->n - i) * sizeof *r->v);
        r->n++;
    } else {
        memmove(r->v + i + 1, r->v + j, (r->n - j) * sizeof *r->v);
        r->n -= j - i - 1;
    }
    r->v[i].from = from;
    r->v[i].to = to;
}

void
resume_ranges_copy(struct resume_ranges *dst, const struct resume_ranges *src)
{
    if (dst->cap < src->n) {
        dst->cap = src->n;
        dst->v = xrealloc(dst->v, dst->cap * sizeof *dst->v);
    }
    if (src->n > 0)
        memcpy(dst->v, src->v, src->n * sizeof *src->v);
    dst->n = src->n;
}

void
resume_ranges_clear(struct resume_ranges *r)
{
    r->n = 0;
}

void
resume_ranges_release(struct resume_ranges *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

int64_t
resume_ranges_bytes(const struct resume_ranges *r)
{
    int64_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->v[i].to - r->v[i].from;
    return n;
}

bool
resume_ranges_covers(const struct resume_ranges *r, int64_t from, int64_t to)
{
    if (from >= to)
        return true;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].from <= from && r->v[i].to >= to)
            return true;
    return false;
}

bool
resume_ranges_gap(const struct resume_ranges *r,
                  int64_t size,
                  int64_t pos,
                  int64_t *from,
                  int64_t *to)
{
    for (size_t i = 0; i < r->n && pos < size; i++) {
        if (r->v[i].to <= pos)
            continue;
        if (r->v[i].from > pos) {
            *from = pos;
            *to = r->v[i].from < size ? r->v[i].from : size;
            return true;
        }
        pos = r->v[i].to;
    }
    if (pos >= size)
        return false;
    *from = pos;
    *to = size;
    return true;
}

/* ---------------------------------------------------------- metadata */

static char *
dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static bool
same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

void
resume_meta_copy(struct resume_meta *dst, const struct resume_meta *src)
{
    dst->url = dup_or_null(src->url);
    dst->size = src->size;
    dst->etag = dup_or_null(src->etag);
    dst->modified = dup_or_null(src->modified);
}

void
resume_meta_release(struct resume_meta *m)
{
    free(m->url);
    free(m->etag);
    free(m->modified);
    *m = (struct resume_meta)RESUME_META_INIT;
}

bool
resume_meta_same(const struct resume_meta *a, const struct resume_meta *b)
{
    return same_str(a->url, b->url) && a->size == b->size &&
           same_str(a->etag, b->etag) && same_str(a->modified, b->modified);
}

bool
resume_token_ok(const char *s)
{
    if (s == NULL || *s == '\0')
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= RESUME_MAX_TOKEN || (unsigned char)s[n] < 0x20 ||
            (unsigned char)s[n] > 0x7e)
            return false;
    return true;
}

char *
resume_url_id(const char *shown)
{
    static const char *const dating[] = {"x-amz-date", "x-amz-expires",
                                         "expires", "x-goog-date",
                                         "x-goog-expires"};
    size_t end = strcspn(shown, "#");
    const char *q = memchr(shown, '?', end);
    struct sbuf sb = SBUF_INIT;
    if (q == NULL) {
        sbuf_add(&sb, shown, end);
        return sbuf_detach(&sb);
    }
    sbuf_add(&sb, shown, (size_t)(q - shown));
    char sep = '?';
    for (const char *p = q + 1; p < shown + end;) {
        size_t n = strcspn(p, "&#");
        size_t name = strcspn(p, "=&#");
        bool drop = false;
        for (size_t i = 0; i < sizeof dating / sizeof dating[0]; i++)
            if (name == strlen(dating[i]) &&
                strncasecmp(p, dating[i], name) == 0)
                drop = true;
        if (!drop && n > 0) {
            sbuf_add(&sb, &sep, 1);
            sbuf_add(&sb, p, n);
            sep = '&';
        }
        p += n;
        if (*p == '&')
            p++;
    }
    if (sb.buf == NULL)
        sbuf_add(&sb, "", 0);
    return sbuf_detach(&sb);
}

/* ----------------------------------------------------------- sidecar */

char *
resume_format(const struct resume_meta *m, const struct resume_ranges *done)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < done->n && i < RESUME_MAX_RANGES; i++)
        json_array_append_new(arr,
                              json_pack("[II]", (json_int_t)done->v[i].from,
                                        (json_int_t)done->v[i].to));
    json_t *o =
        json_pack("{sssisssIss?ss?so}", "format", FORMAT_NAME, "version", 1,
                  "url", m->url ? m->url : "", "size", (json_int_t)m->size,
                  "etag", m->etag, "modified", m->modified, "done", arr);
    char *s =
        o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (s == NULL) /* out of memory in jansson: a record nobody trusts */
        return xstrdup("\n");
    char *line = xasprintf("%s\n", s);
    free(s);
    return line;
}

/* A JSON string without NUL bytes, or NULL. */
static const char *
plain_string(json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != json_string_length(v))
        return NULL;
    return s;
}

/* etag or modified: null or a token (resume_token_ok). */
static enum fy_rc
parse_token(json_t *v, const char *name, char **out, struct fy_err *err)
{
    *out = NULL;
    if (json_is_null(v))
        return FY_OK;
    const char *s = plain_string(v);
    if (s == NULL || !resume_token_ok(s))
        return fy_fail(err, FY_EINPUT, "bad \"%s\"", name);
    *out = xstrdup(s);
    return FY_OK;
}

static enum fy_rc
parse_done(json_t *v,
           int64_t size,
           struct resume_ranges *done,
           struct fy_err *err)
{
    if (!json_is_array(v) || json_array_size(v) > RESUME_MAX_RANGES)
        return fy_fail(err, FY_EINPUT, "bad \"done\"");
    int64_t last = -1;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *p = json_array_get(v, i);
        json_t *a = json_array_get(p, 0), *b = json_array_get(p, 1);
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            !json_is_integer(a) || !json_is_integer(b))
            return fy_fail(err, FY_EINPUT, "bad range in \"done\"");
        int64_t from = json_integer_value(a), to = json_integer_value(b);
        /* sorted, disjoint, not touching, inside the object */
        if (from < 0 || from >= to || to > size || from <= last)
            return fy_fail(err, FY_EINPUT,
                           "range %lld-%lld out of order or outside the "
                           "object",
                           (long long)from, (long long)to);
        resume_ranges_add(done, from, to);
        last = to;
    }
    return FY_OK;
}

enum fy_rc
resume_parse(const char *text,
             size_t len,
             struct resume_meta *m,
             struct resume_ranges *done,
             struct fy_err *err)
{
    static const char *const keys[] = {"format", "version",  "url", "size",
                                       "etag",   "modified", "done"};
    struct resume_meta got = RESUME_META_INIT;
    struct resume_ranges r = RESUME_RANGES_INIT;
    enum fy_rc rc = FY_OK;
    json_error_t je;
    json_t *o = NULL;
    const char *key;
    json_t *v;
    if (len > RESUME_MAX_TEXT)
        return fy_fail(err, FY_EINPUT, "larger than %d bytes", RESUME_MAX_TEXT);
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) { /* je.text may quote the input: not shown */
        rc = fy_fail(err, FY_EINPUT, "not valid JSON (line %d)", je.line);
        goto out;
    }
    if (!json_is_object(o)) {
        rc = fy_fail(err, FY_EINPUT, "not a JSON object");
        goto out;
    }
    json_object_foreach(o, key, v)
    {
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k]) != 0)
            k++;
        if (k == sizeof keys / sizeof keys[0]) {
            rc = fy_fail(err, FY_EINPUT, "unknown key");
            goto out;
        }
    }
    if (json_object_size(o) != sizeof keys / sizeof keys[0]) {
        rc = fy_fail(err, FY_EINPUT, "missing key");
        goto out;
    }
    const char *fmt = plain_string(json_object_get(o, "format"));
    json_t *ver = json_object_get(o, "version");
    if (fmt == NULL || strcmp(fmt, FORMAT_NAME) != 0 || !json_is_integer(ver) ||
        json_integer_value(ver) != 1) {
        rc = fy_fail(err, FY_EINPUT, "not a ferry resume record (version 1)");
        goto out;
    }
    const char *url = plain_string(json_object_get(o, "url"));
    if (url == NULL || *url == '\0' || strlen(url) > RESUME_MAX_URL) {
        rc = fy_fail(err, FY_EINPUT, "bad \"url\"");
        goto out;
    }
    got.url = xstrdup(url);
    json_t *size = json_object_get(o, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        json_integer_value(size) > REMOTE_MAX_OBJECT) {
        rc = fy_fail(err, FY_EINPUT, "bad \"size\"");
        goto out;
    }
    got.size = json_integer_value(size);
    if ((rc = parse_token(json_object_get(o, "etag"), "etag", &got.etag,
                          err)) != FY_OK ||
        (rc = parse_token(json_object_get(o, "modified"), "modified",
                          &got.modified, err)) != FY_OK)
        goto out;
    if ((rc = parse_done(json_object_get(o, "done"), got.size, &r, err)) !=
        FY_OK)
        goto out;
    *m = got;
    *done = r;
    got = (struct resume_meta)RESUME_META_INIT;
    r = (struct resume_ranges)RESUME_RANGES_INIT;
out:
    json_decref(o);
    resume_meta_release(&got);
    resume_ranges_release(&r);
    return rc;
}

/* ---------------------------------------------------------- the file */

struct resume {
    char *path, *part, *side, *tmp, *dir;
    int fd;
    bool on; /* keep a sidecar */
    struct resume_meta meta;
    struct resume_ranges have;
    struct out *out;
    bool side_durable; /* the sidecar's name survives a crash */
    /* the checkpoint thread; under mu */
    pthread_t th;
    bool running, stop, has_pending;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct resume_ranges pending;
    int64_t durable; /* bytes the sidecar names */
    struct fy_err ferr;
};

int
resume_fd(const struct resume *r)
{
    return r->fd;
}

const struct resume_ranges *
resume_have(const struct resume *r)
{
    return &r->have;
}

const char *
resume_sidecar(const struct resume *r)
{
    return r->side;
}

/* Write done to the sidecar: FILE.part.ferry.tmp, fsync, rename. */
static enum fy_rc
write_sidecar(struct resume *r,
              const struct resume_ranges *done,
              struct fy_err *err)
{
    char *text = resume_format(&r->meta, done);
    enum fy_rc rc = FY_OK;
    int fd = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        fd = open(r->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd >= 0 || errno != EEXIST || attempt > 0)
            break;
        unlink(r->tmp); /* left by a killed run (a link is not followed) */
    }
    if (fd < 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->tmp);
        goto out;
    }
    if (fs_pwrite_all(fd, text, strlen(text), 0) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->tmp);
    else if (fsync(fd) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", r->tmp);
    if (close(fd) != 0 && rc == FY_OK)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: close", r->tmp);
    if (rc == FY_OK && rename(r->tmp, r->side) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->side);
    if (rc != FY_OK)
        unlink(r->tmp);
    else if (!r->side_durable && (rc = fs_fsync_dir(r->dir, err)) == FY_OK)
        r->side_durable = true;
out:
    free(text);
    return rc;
}

/* A checkpoint: the data first, then the sidecar that names it. */
static enum fy_rc
record(struct resume *r, const struct resume_ranges *done, struct fy_err *err)
{
    if (fdatasync(r->fd) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s: fdatasync", r->part);
    return write_sidecar(r, done, err);
}

static void *
checkpointer(void *arg)
{
    struct resume *r = arg;
    struct resume_ranges mine = RESUME_RANGES_INIT;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->has_pending && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        struct resume_ranges t = mine;
        mine = r->pending;
        r->pending = t;
        r->pending.n = 0;
        r->has_pending = false;
        if (r->ferr.rc != FY_OK)
            continue;
        pthread_mutex_unlock(&r->mu);
        struct fy_err e = FY_ERR_INIT;
        enum fy_rc rc = record(r, &mine, &e);
        int64_t bytes = resume_ranges_bytes(&mine);
        pthread_mutex_lock(&r->mu);
        if (rc != FY_OK)
            r->ferr = e;
        else if (bytes > r->durable)
            r->durable = bytes;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    resume_ranges_release(&mine);
    return NULL;
}

static enum fy_rc
start_thread(struct resume *r, struct fy_err *err)
{
    if (!r->on || r->running)
        return FY_OK;
    r->stop = false;
    r->has_pending = false;
    r->ferr = (struct fy_err)FY_ERR_INIT;
    if (pthread_create(&r->th, NULL, checkpointer, r) != 0)
        return fy_fail(err, FY_ERUNTIME, "%s: cannot start a thread", r->path);
    r->running = true;
    return FY_OK;
}

/* Stop the checkpoint thread (a checkpoint not begun is dropped). */
static void
stop_thread(struct resume *r)
{
    if (!r->running)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    r->running = false;
}

void
resume_checkpoint(struct resume *r,
                  const struct resume_ranges *written,
                  int64_t max_lag)
{
    if (!r->on || !r->running)
        return;
    int64_t bytes = resume_ranges_bytes(written);
    pthread_mutex_lock(&r->mu);
    resume_ranges_copy(&r->pending, written);
    r->has_pending = true;
    pthread_cond_broadcast(&r->cv);
    while (max_lag > 0 && bytes - r->durable > max_lag && r->ferr.rc == FY_OK &&
           !fy_interrupted()) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    }
    pthread_mutex_unlock(&r->mu);
}

enum fy_rc
resume_failed(struct resume *r, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    if (!r->running)
        return FY_OK;
    pthread_mutex_lock(&r->mu);
    if (r->ferr.rc != FY_OK)
        rc = fy_fail(err, r->ferr.rc, "%s", r->ferr.msg);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/*
 * Open r->part, a regular file of ours with one link, and lock it.  What
 * else is at that name is removed (never followed, never written) and a
 * new file is made.  *fresh: the file was made here.
 */
static enum fy_rc
open_part(struct resume *r, bool *fresh, struct fy_err *err)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        struct stat ls, fs;
        if (lstat(r->part, &ls) == 0) {
            if (S_ISREG(ls.st_mode) && ls.st_nlink == 1 &&
                ls.st_uid == geteuid()) {
                int fd = open(r->part, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
                                           O_NOCTTY | O_CLOEXEC);
                if (fd < 0 && errno != ENOENT && errno != ELOOP)
                    return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
                if (fd >= 0 && fstat(fd, &fs) == 0 && S_ISREG(fs.st_mode) &&
                    fs.st_dev == ls.st_dev && fs.st_ino == ls.st_ino &&
                    fs.st_nlink == 1) {
                    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
                        r->fd = fd;
                        *fresh = false;
                        return FY_OK;
                    }
                    enum fy_rc rc =
                        errno == EWOULDBLOCK
                            ? fy_fail(err, FY_ERUNTIME,
                                      "%s: another ferry is downloading into "
                                      "%s",
                                      r->path, r->part)
                            : fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
                    close(fd);
                    return rc;
                }
                if (fd >= 0)
                    close(fd);
                continue; /* it changed between lstat and open: again */
            }
            out_warn(r->out,
                     "%s: not a file ferry made (a symlink, special file, "
                     "hard link or another user's): removed, not used",
                     r->part);
            if (unlink(r->part) != 0 && errno != ENOENT)
                return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
        } else if (errno != ENOENT) {
            return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
        }
        int fd = open(r->part,
                      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
                close(fd);
                return fy_fail(err, FY_ERUNTIME,
                               "%s: another ferry is downloading into %s",
                               r->path, r->part);
            }
            r->fd = fd;
            *fresh = true;
            return FY_OK;
        }
        if (errno != EEXIST) /* name what the user gave, as fs_atomic does */
            return fy_fail_errno(err, FY_ERUNTIME, "%s", r->path);
    }
    return fy_fail(err, FY_ERUNTIME, "%s: keeps changing while ferry opens it",
                   r->part);
}

/*
 * The sidecar, if it is safe to read and names r->meta and FILE.part as
 * it is: its ranges go to r->have.  Otherwise say why (a warning if it is
 * damaged, -v if the object changed) and return false.
 */
static bool
load_sidecar(struct resume *r)
{
    struct stat ls, fs, ps;
    struct resume_meta got = RESUME_META_INIT;
    struct resume_ranges done = RESUME_RANGES_INIT;
    struct fy_err e = FY_ERR_INIT;
    struct sbuf sb = SBUF_INIT;
    bool ok = false;
    int fd = -1;
    if (lstat(r->side, &ls) != 0) {
        out_verbose(r->out, "%s: no %s: starting over", r->part, r->side);
        return false;
    }
    if (!S_ISREG(ls.st_mode) || ls.st_uid != geteuid() ||
        ls.st_size > RESUME_MAX_TEXT) {
        out_warn(r->out, "%s: not a resume record (%s): starting over", r->side,
                 !S_ISREG(ls.st_mode)     ? "not a regular file"
                 : ls.st_uid != geteuid() ? "another user's file"
                                          : "too large");
        return false;
    }
    fd = open(r->side,
              O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &fs) != 0 || fs.st_ino != ls.st_ino ||
        fs.st_dev != ls.st_dev || !S_ISREG(fs.st_mode)) {
        out_warn(r->out, "%s: cannot read it safely: starting over", r->side);
        goto out;
    }
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || sb.len + (size_t)n > RESUME_MAX_TEXT) {
            out_warn(r->out, "%s: cannot read it: starting over", r->side);
            goto out;
        }
        sbuf_add(&sb, buf, (size_t)n);
    }
    if (resume_parse(sb.buf ? sb.buf : "", sb.len, &got, &done, &e) != FY_OK) {
        out_warn(r->out, "%s: not a valid resume record (%s): starting over",
                 r->side, e.msg);
        goto out;
    }
    if (strcmp(got.url, r->meta.url) != 0) {
        out_verbose(r->out,
                    "%s holds a download of another URL (%s): starting over",
                    r->part, got.url);
        goto out;
    }
    if (!resume_meta_same(&got, &r->meta)) {
        out_verbose(r->out,
                    "%s: the object changed since the last run (%s): "
                    "starting over",
                    r->path,
                    got.size != r->meta.size ? "another size"
                    : !same_str(got.etag, r->meta.etag)
                        ? "another ETag"
                        : "another modification time");
        goto out;
    }
    if (fstat(r->fd, &ps) != 0 || (int64_t)ps.st_size != got.size) {
        out_warn(r->out,
                 "%s: %s is %lld bytes, the record says %lld: starting over",
                 r->side, r->part, (long long)ps.st_size, (long long)got.size);
        goto out;
    }
    resume_ranges_copy(&r->have, &done);
    r->durable = resume_ranges_bytes(&done);
    r->side_durable = true;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    sbuf_release(&sb);
    resume_meta_release(&got);
    resume_ranges_release(&done);
    return ok;
}

/*
 * Start the download over: the sidecar goes first (durably), then
 * FILE.part is emptied and made r->meta.size bytes long (sparse).
 */
static enum fy_rc
start_over(struct resume *r, struct fy_err *err)
{
    bool removed = unlink(r->side) == 0;
    if (!removed && errno != ENOENT)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", r->side);
    unlink(r->tmp);
    if (removed && fs_fsync_dir(r->dir, err) != FY_OK)
        return err->rc;
    if (ftruncate(r->fd, 0) != 0 ||
        (r->meta.size > 0 && ftruncate(r->fd, (off_t)r->meta.size) != 0))
        return fy_fail_errno(err, FY_ERUNTIME, "%s", r->part);
    resume_ranges_clear(&r->have);
    r->durable = 0;
    r->side_durable = false;
    return FY_OK;
}

static void
resume_free(struct resume *r)
{
    stop_thread(r);
    if (r->fd >= 0)
        close(r->fd);
    free(r->path);
    free(r->part);
    free(r->side);
    free(r->tmp);
    free(r->dir);
    resume_meta_release(&r->meta);
    resume_ranges_release(&r->have);
    resume_ranges_release(&r->pending);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

enum fy_rc
resume_open(struct resume **rp,
            const char *path,
            const struct resume_meta *want,
            bool resume,
            struct out *out,
            struct fy_err *err)
{
    struct stat st;
    bool fresh = false;
    *rp = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return fy_fail(err, FY_ERUNTIME, "%s: is a directory", path);
    struct resume *r = xcalloc(1, sizeof *r);
    r->fd = -1;
    r->path = xstrdup(path);
    r->part = xasprintf("%s.part", path);
    r->side = xasprintf("%s.part.ferry", path);
    r->tmp = xasprintf("%s.part.ferry.tmp", path);
    r->dir = fs_dirname(path);
    r->on = resume;
    r->out = out;
    resume_meta_copy(&r->meta, want);
    r->ferr = (struct fy_err)FY_ERR_INIT;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    enum fy_rc rc = open_part(r, &fresh, err);
    if (rc == FY_OK && !(r->on && !fresh && load_sidecar(r)))
        rc = start_over(r, err);
    if (rc == FY_OK)
        rc = start_thread(r, err);
    if (rc != FY_OK) {
        if (r->fd >= 0 && fresh)
            unlink(r->part);
        resume_free(r);
        return rc;
    }
    *rp = r;
    return FY_OK;
}

enum fy_rc
resume_restart(struct resume *r,
               const struct resume_meta *want,
               bool resume,
               struct fy_err *err)
{
    stop_thread(r);
    resume_meta_release(&r->meta);
    resume_meta_copy(&r->meta, want);
    r->on = resume;
    enum fy_rc rc = start_over(r, err);
    if (rc == FY_OK)
        rc = start_thread(r, err);
    return rc;
}

enum fy_rc
resume_commit(struct resume *r, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    stop_thread(r);
    /* renamed while still locked: no other ferry takes it up meanwhile */
    if (fsync(r->fd) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", r->path);
    else if (fchmod(r->fd, 0644) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: chmod", r->path);
    else if (rename(r->part, r->path) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", r->path);
    if (close(r->fd) != 0 && rc == FY_OK)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: close", r->path);
    r->fd = -1;
    if (rc != FY_OK) {
        unlink(r->part);
        unlink(r->side);
        unlink(r->tmp);
        resume_free(r);
        return rc;
    }
    unlink(r->side);
    unlink(r->tmp);
    rc = fs_fsync_dir(r->dir, err);
    resume_free(r);
    return rc;
}

bool
resume_keep(struct resume *r, const struct resume_ranges *written)
{
    stop_thread(r);
    if (!r->on || (resume_ranges_bytes(written) == 0 && !r->side_durable)) {
        resume_discard(r);
        return false;
    }
    struct fy_err e = FY_ERR_INIT;
    int64_t kept = resume_ranges_bytes(written);
    if (record(r, written, &e) != FY_OK) {
        out_warn(r->out, "cannot save what was downloaded: %s", e.msg);
        if (!r->side_durable) {
            resume_discard(r);
            return false;
        }
        kept = r->durable; /* the last checkpoint still holds */
    }
    char have[24], size[24];
    out_fmt_size(have, sizeof have, kept);
    out_fmt_size(size, sizeof size, r->meta.size);
    out_verbose(r->out,
                "kept %s and %s (%s of %s): run the same pull again to "
                "resume",
                r->part, r->side, have, size);
    resume_free(r);
    return true;
}

void
resume_discard(struct resume *r)
{
    if (r == NULL)
        return;
    stop_thread(r);
    unlink(r->part);
    unlink(r->side);
    unlink(r->tmp);
    resume_free(r);
}
