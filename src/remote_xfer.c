/*
 * remote_xfer.c - the request engine shared by every backend: a curl multi
 * handle running up to o->parallel requests, each retried on its own with
 * backoff, downloads resumed at the byte where they stopped, progress
 * reported in payload bytes.
 *
 * What it keeps true: a job is marked finished only after a 2xx (or, for
 * SFTP, a clean end) with every byte it asked for; the first failure that
 * cannot be retried stops the engine, and everyone waiting on e->cv wakes
 * up and sees e->rc.  Callbacks never print.
 */
#include "remote_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/* ---------------------------------------------------------------- jobs */

void
rjob_init(struct rjob *j, struct rtarget *t, enum rmethod m)
{
    memset(j, 0, sizeof *j);
    j->t = t;
    j->setup = t ? t->setup : NULL;
    j->method = m;
    j->fd = -1;
    j->dst_fd = -1;
    j->len = -1;
    j->filetime = -1;
    j->total = -1;
    j->clen = -1;
    j->resp = (struct sbuf)SBUF_INIT;
    j->local = (struct fy_err)FY_ERR_INIT;
}

void
rjob_release(struct rjob *j)
{
    if (j->h != NULL)
        curl_easy_cleanup(j->h);
    curl_slist_free_all(j->hdrs);
    free(j->what);
    free(j->query);
    free(j->mem_owned);
    free(j->etag);
    free(j->lastmod);
    sbuf_release(&j->resp);
    j->h = NULL;
    j->hdrs = NULL;
    j->what = j->query = j->mem_owned = j->etag = j->lastmod = NULL;
}

/* --------------------------------------------------------------- pipe */

struct rpipe {
    struct reng *e;
    char *buf;
    size_t cap, head, len;
    bool eof;
};

struct rpipe *
rpipe_new(struct reng *e, size_t cap)
{
    struct rpipe *p = xcalloc(1, sizeof *p);
    p->e = e;
    p->buf = xmalloc(cap);
    p->cap = cap;
    return p;
}

enum fy_rc
rpipe_write(struct rpipe *p, const void *buf, size_t n, struct fy_err *err)
{
    const char *s = buf;
    struct reng *e = p->e;
    enum fy_rc rc = FY_OK;
    pthread_mutex_lock(&e->mu);
    while (n > 0) {
        while (p->len == p->cap && e->rc == FY_OK && !e->exited &&
               !fy_interrupted())
            pthread_cond_wait(&e->cv, &e->mu);
        if (e->rc != FY_OK) {
            rc = fy_fail(err, e->rc, "%s", e->err.msg);
            break;
        }
        if (fy_interrupted()) {
            rc = fy_fail(err, FY_EINTR, "%s: interrupted",
                         e->name ? e->name : "transfer");
            break;
        }
        if (e->exited) {
            rc = fy_fail(err, FY_ERUNTIME, "%s: ended early",
                         e->name ? e->name : "transfer");
            break;
        }
        size_t tail = (p->head + p->len) % p->cap;
        size_t room = p->cap - p->len;
        size_t k = n < room ? n : room;
        if (k > p->cap - tail)
            k = p->cap - tail;
        memcpy(p->buf + tail, s, k);
        p->len += k;
        s += k;
        n -= k;
        pthread_cond_broadcast(&e->cv);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

void
rpipe_finish(struct rpipe *p)
{
    pthread_mutex_lock(&p->e->mu);
    p->eof = true;
    pthread_cond_broadcast(&p->e->cv);
    pthread_mutex_unlock(&p->e->mu);
}

void
rpipe_free(struct rpipe *p)
{
    if (p != NULL)
        free(p->buf);
    free(p);
}

ssize_t
rpipe_read(struct rpipe *p, char *buf, size_t n)
{
    struct reng *e = p->e;
    ssize_t got = -1;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        if (e->rc != FY_OK || fy_interrupted())
            break;
        if (p->len > 0) {
            size_t k = n < p->len ? n : p->len;
            if (k > p->cap - p->head)
                k = p->cap - p->head;
            memcpy(buf, p->buf + p->head, k);
            p->head = (p->head + k) % p->cap;
            p->len -= k;
            got = (ssize_t)k;
            pthread_cond_broadcast(&e->cv);
            break;
        }
        if (p->eof) {
            got = 0;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
    pthread_mutex_unlock(&e->mu);
    return got;
}

/* ---------------------------------------------------------- callbacks */

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct rjob *j = arg;
    struct rrate *rate = &j->eng->up;
    size_t want = size * nmemb;
    if (j->payload && rrate_on(rate) &&
        (want = rrate_allow(rate, want, out_now())) == 0) {
        j->paused = true; /* rrate_resume() lets it go on */
        return CURL_READFUNC_PAUSE;
    }
    if (j->pipe != NULL) {
        ssize_t r = rpipe_read(j->pipe, buf, want);
        if (r < 0)
            return CURL_READFUNC_ABORT;
        j->got += r;
        j->eng->bytes += r;
        rrate_spend(rate, (size_t)r);
        return (size_t)r;
    }
    int64_t left = j->len - j->got;
    size_t k = (int64_t)want < left ? want : (size_t)left;
    if (j->mem != NULL) {
        memcpy(buf, j->mem + j->got, k);
    } else if (j->fd >= 0) {
        size_t done = 0;
        while (done < k) {
            ssize_t r = pread(j->fd, buf + done, k - done,
                              (off_t)(j->off + j->got + (int64_t)done));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                if (r == 0)
                    errno = EIO;
                fy_fail_errno(&j->local, FY_ERUNTIME, "%s: read", j->what);
                return CURL_READFUNC_ABORT;
            }
            done += (size_t)r;
        }
    } else {
        k = 0;
    }
    j->got += (int64_t)k;
    if (j->payload) {
        j->eng->bytes += (int64_t)k;
        rrate_spend(rate, k);
    }
    return k;
}

static int
on_seek(void *arg, curl_off_t offset, int origin)
{
    struct rjob *j = arg;
    if (j->pipe != NULL || origin != SEEK_SET || offset < 0 || offset > j->len)
        return CURL_SEEKFUNC_CANTSEEK;
    if (j->payload)
        j->eng->bytes -= j->got - offset;
    j->got = offset;
    return CURL_SEEKFUNC_OK;
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *arg)
{
    struct rjob *j = arg;
    size_t n = size * nmemb;
    long st = 200;
    if (j->t != NULL && j->t->http)
        curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &st);
    bool into = (j->dst != NULL || j->dst_fd >= 0 || j->sink != NULL) &&
                st >= 200 && st < 300;
    if (!into) {
        if (j->resp.len + n <= RESP_MAX)
            sbuf_add(&j->resp, p, n);
        return n;
    }
    if (j->accept != NULL && !j->accepted) {
        if (!j->accept(j))
            return 0; /* j->local says why */
        j->accepted = true;
    }
    if (j->size_probe && st == 200) {
        j->whole = true; /* the headers said what we wanted: stop here */
        return CURL_WRITEFUNC_ERROR;
    }
    if (j->ranged && j->t->http && st == 200 && j->off + j->got > 0) {
        fy_fail(&j->local, FY_ERUNTIME,
                "%s: the server ignores byte ranges (HTTP 200 to a "
                "Range request)",
                j->what);
        return 0;
    }
    if (j->len >= 0 && j->got + (int64_t)n > j->len) {
        fy_fail(&j->local, FY_ERUNTIME,
                "%s: the server sent more than the %lld bytes asked for",
                j->what, (long long)j->len);
        return 0;
    }
    if (j->off + j->got + (int64_t)n > REMOTE_MAX_OBJECT) {
        fy_fail(&j->local, FY_ERUNTIME,
                "%s: the server sent more than 5 TiB, the largest object "
                "ferry accepts",
                j->what);
        return 0;
    }
    if (j->payload && rrate_allow(&j->eng->down, n, out_now()) == 0) {
        j->paused = true; /* libcurl keeps p; rrate_resume() lets it go on */
        return CURL_WRITEFUNC_PAUSE;
    }
    if (j->sink != NULL) {
        if (rpipe_write(j->sink, p, n, &j->local) != FY_OK)
            return CURL_WRITEFUNC_ERROR;
    } else if (j->dst != NULL) {
        memcpy(j->dst + j->got, p, n);
    } else if (fs_pwrite_all(j->dst_fd, p, n, (off_t)(j->off + j->got)) != 0) {
        fy_fail_errno(&j->local, FY_ERUNTIME, "%s: write", j->what);
        return 0;
    }
    j->got += (int64_t)n;
    if (j->payload) {
        j->eng->bytes += (int64_t)n;
        rrate_spend(&j->eng->down, n);
    }
    return n;
}

/*
 * A size a server sent: decimal digits only.  -1 if it is not one;
 * INT64_MAX if it does not fit (callers bound it by REMOTE_MAX_OBJECT).
 */
static int64_t
parse_size(const char *s)
{
    int64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10)
            return INT64_MAX;
        v = v * 10 + d;
    }
    return *s == '\0' ? v : -1;
}

/* Header value of "Name: value" if line starts with name (len bytes). */
static char *
header_value(const char *line, size_t len, const char *name)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return NULL;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
                       end[-1] == '\t'))
        end--;
    char *s = xmalloc((size_t)(end - v) + 1);
    memcpy(s, v, (size_t)(end - v));
    s[end - v] = '\0';
    return s;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct rjob *j = arg;
    size_t n = size * nmemb;
    char *v;
    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (after "100 Continue" or a redirect) */
        free(j->etag);
        free(j->lastmod);
        j->etag = j->lastmod = NULL;
        j->accepted = false;
        j->retry_after = -1;
        j->total = -1;
        j->clen = -1;
        return n;
    }
    if ((v = header_value(p, n, "etag")) != NULL) {
        free(j->etag);
        j->etag = v;
    } else if ((v = header_value(p, n, "last-modified")) != NULL) {
        free(j->lastmod);
        j->lastmod = v;
    } else if ((v = header_value(p, n, "retry-after")) != NULL) {
        j->retry_after = remote_parse_retry_after(v, (double)time(NULL));
        free(v);
    } else if ((v = header_value(p, n, "content-length")) != NULL) {
        /* libcurl takes a number too large for it as "unknown" */
        j->clen = parse_size(v);
        free(v);
    } else if ((v = header_value(p, n, "content-range")) != NULL) {
        const char *slash = strrchr(v, '/');
        if (slash != NULL && slash[1] != '*')
            j->total = parse_size(slash + 1);
        free(v);
    }
    return n;
}

static int
on_progress(
    void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    struct rjob *j = arg;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    /* a plain read: rc is only written under the lock, a stale value
     * costs one more callback */
    return (!j->cleanup && fy_interrupted()) ||
           __atomic_load_n(&j->eng->rc, __ATOMIC_RELAXED) != FY_OK;
}

/* ------------------------------------------------------------ engine */

void
reng_init(struct reng *e,
          const struct remote_opts *o,
          struct out *out,
          int64_t total)
{
    memset(e, 0, sizeof *e);
    remote_curl_global();
    e->o = o;
    e->out = out;
    e->total = total;
    e->parallel = o->parallel > 0 ? o->parallel : 1;
    rrate_init(&e->up, o->max_up, out_now());
    rrate_init(&e->down, o->max_down, out_now());
    e->m = curl_multi_init();
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->err = (struct fy_err)FY_ERR_INIT;
    e->rc = FY_OK;
}

void
reng_release(struct reng *e)
{
    if (e->m != NULL)
        curl_multi_cleanup(e->m);
    e->m = NULL;
    free(e->act);
    e->act = NULL;
    free(e->name);
    e->name = NULL;
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
}

void
reng_wakeup(struct reng *e)
{
    if (e->m != NULL)
        curl_multi_wakeup(e->m);
}

void
reng_submit(struct reng *e, struct rjob *j)
{
    j->eng = e;
    j->next = NULL;
    j->finished = false;
    j->not_before = 0;
    pthread_mutex_lock(&e->mu);
    if (e->name == NULL && j->what != NULL)
        e->name = xstrdup(j->what);
    struct rjob **pp = &e->queue;
    while (*pp != NULL)
        pp = &(*pp)->next;
    *pp = j;
    pthread_mutex_unlock(&e->mu);
    reng_wakeup(e);
}

void
reng_close(struct reng *e)
{
    pthread_mutex_lock(&e->mu);
    e->closed = true;
    pthread_mutex_unlock(&e->mu);
    reng_wakeup(e);
}

/* Record the first failure and wake everyone; e->mu held. */
static void
fail_locked(struct reng *e, enum fy_rc rc, const char *msg)
{
    if (e->rc == FY_OK) {
        e->rc = rc;
        fy_fail(&e->err, rc, "%s", msg);
    }
    pthread_cond_broadcast(&e->cv);
}

void
reng_cancel(struct reng *e, enum fy_rc rc, const char *msg)
{
    pthread_mutex_lock(&e->mu);
    fail_locked(e, rc, msg);
    pthread_mutex_unlock(&e->mu);
    reng_wakeup(e);
}

static enum fy_rc
start_job(struct reng *e, struct rjob *j)
{
    CURL *h = curl_easy_init();
    if (h == NULL)
        return fy_fail(&j->local, FY_ERUNTIME, "%s: cannot start libcurl",
                       j->what);
    j->h = h;
    j->attempts++;
    j->paused = false;
    j->ebuf[0] = '\0';
    j->status = 0;
    j->retry_after = -1;
    j->total = -1;
    j->clen = -1;
    free(j->etag);
    free(j->lastmod);
    j->etag = j->lastmod = NULL;
    j->accepted = false;
    j->filetime = -1;
    j->resp.len = 0;
    if (j->method != RM_GET)
        j->got = 0; /* uploads and HEADs start over */
    const struct remote_opts *o = e->o;
    curl_easy_setopt(h, CURLOPT_PRIVATE, j);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->ebuf);
    remote_curl_defaults(h);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (o->stall_timeout > 0) {
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                         (long)ceil(o->stall_timeout));
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, j);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, j);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, j);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    /* limited: what one callback takes is what the bucket may owe */
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE,
                     rrate_on(&e->down) ? (long)e->down.chunk : 256L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    switch (j->method) {
    case RM_GET:
        break;
    case RM_HEAD:
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(h, CURLOPT_FILETIME, 1L); /* SFTP's mtime */
        break;
    case RM_PUT:
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        if (j->pipe == NULL)
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                             (curl_off_t)(j->len < 0 ? 0 : j->len));
        break;
    case RM_POST:
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(j->len < 0 ? 0 : j->len));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                         j->mem != NULL && j->len > 0 ? j->mem : "");
        break;
    case RM_DELETE:
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
        break;
    }
    curl_slist_free_all(j->hdrs);
    j->hdrs = NULL;
    if (j->setup != NULL && j->setup(j, h, &j->local) != FY_OK)
        return j->local.rc;
    if (j->ranged) {
        char range[64];
        int64_t from = j->off + j->got;
        if (j->len >= 0)
            snprintf(range, sizeof range, "%lld-%lld", (long long)from,
                     (long long)(j->off + j->len - 1));
        else
            snprintf(range, sizeof range, "%lld-", (long long)from);
        curl_easy_setopt(h, CURLOPT_RANGE, range);
    }
    if (j->hdrs != NULL)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, j->hdrs);
    if (curl_multi_add_handle(e->m, h) != CURLM_OK)
        return fy_fail(&j->local, FY_ERUNTIME, "%s: cannot start libcurl",
                       j->what);
    e->active++;
    if (e->nact == e->capact) {
        e->capact = e->capact ? 2 * e->capact : 16;
        e->act = xrealloc(e->act, e->capact * sizeof *e->act);
    }
    e->act[e->nact++] = j;
    return FY_OK;
}

static void
forget_active(struct reng *e, struct rjob *j)
{
    for (size_t i = 0; i < e->nact; i++)
        if (e->act[i] == j) {
            e->act[i] = e->act[--e->nact];
            return;
        }
}

/*
 * libcurl's error text for j ("" if none and cc is CURLE_OK), with the
 * URL's secrets scrubbed: it may quote a part of the URL.  Caller frees.
 */
static char *
curl_error_text(const struct rjob *j, CURLcode cc)
{
    const char *text = j->ebuf[0]       ? j->ebuf
                       : cc != CURLE_OK ? curl_easy_strerror(cc)
                                        : "";
    if (j->t == NULL || j->t->u.url == NULL)
        return xstrdup(text);
    return remote_scrub(text, j->t->u.url);
}

/*
 * Why a request is retried, for the -v line: "HTTP 503", or the verdict
 * with libcurl's text ("connection lost: Recv failure: ...", scrubbed of
 * the URL's secrets).  Caller frees.
 */
static char *
retry_why(const struct rjob *j,
          long status,
          CURLcode cc,
          const struct remote_verdict *v)
{
    if (status >= 300) {
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "HTTP %ld", status);
        if (j->t != NULL && j->t->explain != NULL)
            j->t->explain(j, &sb); /* " SlowDown", " BadDigest" */
        return sbuf_detach(&sb);
    }
    char *text = curl_error_text(j, cc);
    char *why = xasprintf("%s%s%s", v->why, text[0] ? ": " : "", text);
    free(text);
    return why;
}

/* A finished transfer: done, retry or fail. */
static void
finish_job(struct reng *e, struct rjob *j, CURLcode cc)
{
    long st = 0;
    if (j->t != NULL && j->t->http)
        curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &st);
    if (j->method == RM_HEAD && j->total < 0 && j->clen >= 0)
        j->total = j->clen;
    if (j->method == RM_HEAD && j->total < 0) {
        curl_off_t cl = -1;
        curl_easy_getinfo(j->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        j->total = cl;
    }
    if (j->method == RM_HEAD) {
        curl_off_t ft = -1;
        if (curl_easy_getinfo(j->h, CURLINFO_FILETIME_T, &ft) == CURLE_OK)
            j->filetime = ft;
    }
    j->status = st;
    j->result = (int)cc;
    int reroute = 0;
    if (st >= 300 && !j->rerouted && j->local.rc == FY_OK && j->t != NULL &&
        j->t->reroute != NULL)
        reroute = j->t->reroute(j, j->h, st, e->out);
    curl_multi_remove_handle(e->m, j->h);
    curl_easy_cleanup(j->h);
    j->h = NULL;
    e->active--;
    forget_active(e, j);

    if (j->local.rc != FY_OK) {
        pthread_mutex_lock(&e->mu);
        fail_locked(e, j->local.rc, j->local.msg);
        pthread_mutex_unlock(&e->mu);
        return;
    }
    if (fy_interrupted() && !e->cleanup) {
        pthread_mutex_lock(&e->mu);
        fail_locked(e, FY_EINTR, "interrupted");
        pthread_mutex_unlock(&e->mu);
        return;
    }
    bool replayable = (j->pipe == NULL && j->sink == NULL) || j->got == 0;
    if (reroute > 0 && replayable) {
        /* the same request, sent where the backend now points: not a
         * retry (the hook said why with -v) */
        j->rerouted = true;
        j->attempts--;
        if (j->method != RM_GET || !j->ranged) {
            if (j->payload)
                e->bytes -= j->got;
            j->got = 0;
        }
        pthread_mutex_lock(&e->mu);
        j->not_before = 0;
        j->next = e->queue;
        e->queue = j;
        pthread_mutex_unlock(&e->mu);
        return;
    }
    if (j->whole && cc == CURLE_WRITE_ERROR)
        cc = CURLE_OK; /* a size probe stopped on purpose (on_write) */
    if (cc == CURLE_LOGIN_DENIED && j->t != NULL && j->t->auth_next != NULL &&
        j->got == 0) {
        /* other credentials to try (SFTP: the next key): at once, and not
         * a retry; nothing was sent or received yet */
        bool again = j->t->auth_next(j);
        pthread_mutex_lock(&e->mu);
        if (again) {
            j->attempts--; /* not a retry: --retries stays whole */
            j->not_before = 0;
            j->next = e->queue;
            e->queue = j;
        } else if (j->local.rc != FY_OK) {
            fail_locked(e, j->local.rc, j->local.msg);
        }
        pthread_mutex_unlock(&e->mu);
        if (again || j->local.rc != FY_OK)
            return;
    }
    struct remote_verdict v = remote_classify(
        (int)cc, st, j->method == RM_GET || j->method == RM_HEAD);
    if (v.action == REMOTE_FAIL && st >= 400 && j->t != NULL &&
        j->t->transient != NULL && j->t->transient(j, &v.why))
        v.action = REMOTE_RETRY;
    bool body = j->dst != NULL || j->dst_fd >= 0 || j->sink != NULL;
    if (v.action == REMOTE_DONE && j->method == RM_GET && body &&
        !j->size_probe && j->len >= 0 && j->got != j->len) {
        v.action = REMOTE_RETRY;
        v.rc = FY_ERUNTIME;
        v.why = "the transfer ended early";
    }
    if (v.action == REMOTE_DONE) {
        if (j->done != NULL && j->done(j, &j->local) != FY_OK) {
            pthread_mutex_lock(&e->mu);
            fail_locked(e, j->local.rc, j->local.msg);
            pthread_mutex_unlock(&e->mu);
            return;
        }
        pthread_mutex_lock(&e->mu);
        j->finished = true;
        if (j->payload)
            e->st.parts++;
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
        return;
    }
    if (v.action == REMOTE_RETRY && j->attempts <= e->o->retries &&
        replayable) {
        double wait =
            remote_backoff(j->attempts, j->retry_after, remote_jitter());
        if (j->method != RM_GET || !j->ranged) {
            if (j->payload)
                e->bytes -= j->got;
            j->got = 0;
        }
        if (e->out != NULL) {
            /* SPEC: j->what shows the URL as remote_url_show does, and
             * libcurl's text is scrubbed (retry_why) */
            char *why = retry_why(j, st, cc, &v);
            out_verbose(e->out, "retrying %s in %.1f s: %s (attempt %d of %d)",
                        j->what, wait, why, j->attempts + 1, e->o->retries + 1);
            free(why);
        }
        pthread_mutex_lock(&e->mu);
        e->st.retries++;
        j->not_before = out_now() + wait;
        j->next = e->queue;
        e->queue = j;
        pthread_mutex_unlock(&e->mu);
        return;
    }
    struct sbuf why = SBUF_INIT;
    sbuf_adds(&why, v.why);
    if (st >= 300) {
        sbuf_addf(&why, " (HTTP %ld", st);
        if (j->t != NULL && j->t->explain != NULL)
            j->t->explain(j, &why);
        sbuf_adds(&why, ")");
        if (j->pipe != NULL && st == 501) /* S3 and a pre-signed URL */
            sbuf_adds(&why, ": the server takes no streamed (chunked) upload, "
                            "push a file instead");
    }
    if (cc != CURLE_OK) {
        char *ebuf = curl_error_text(j, cc);
        sbuf_addf(&why, ": %s", ebuf);
        free(ebuf);
    }
    if (v.action == REMOTE_RETRY && !replayable && j->sink != NULL) {
        sbuf_adds(&why, " (the server ignores byte ranges: a download "
                        "cannot resume)");
    } else if (v.action == REMOTE_RETRY && !replayable) {
        sbuf_adds(&why, " (a streamed upload cannot be replayed)");
        char *rw = retry_why(j, st, cc, &v);
        pthread_mutex_lock(&e->mu);
        e->st.restart = j->attempts <= e->o->retries;
        snprintf(e->st.restart_why, sizeof e->st.restart_why, "%s", rw);
        e->st.retry_after = j->retry_after;
        pthread_mutex_unlock(&e->mu);
        free(rw);
    } else if (v.action == REMOTE_RETRY)
        sbuf_addf(&why, " (gave up after %d attempts)", j->attempts);
    enum fy_rc rc = v.rc;
    if (v.action == REMOTE_RETRY && cc == CURLE_OPERATION_TIMEDOUT)
        rc = FY_ETIMEOUT;
    char *msg = xasprintf("%s: %s", j->what, why.buf);
    pthread_mutex_lock(&e->mu);
    fail_locked(e, rc, msg);
    pthread_mutex_unlock(&e->mu);
    free(msg);
    sbuf_release(&why);
}

static void
report(struct reng *e, bool force)
{
    if (e->out == NULL || e->o->phase == NULL)
        return;
    struct out_progress p = OUT_PROGRESS_INIT;
    p.phase = e->o->phase;
    p.done = e->base + e->bytes;
    p.total = e->total;
    out_progress(e->out, &p, force);
}

enum fy_rc
reng_run(struct reng *e, struct fy_err *err)
{
    for (;;) {
        double now = out_now(), next = now + 0.25;
        struct rjob *start = NULL, **tail = &start;
        pthread_mutex_lock(&e->mu);
        if (e->rc != FY_OK) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        int room = e->parallel - e->active;
        for (struct rjob **pp = &e->queue; *pp != NULL && room > 0;) {
            struct rjob *j = *pp;
            if (j->not_before > now) {
                if (j->not_before < next)
                    next = j->not_before;
                pp = &j->next;
                continue;
            }
            *pp = j->next;
            j->next = NULL;
            *tail = j;
            tail = &j->next;
            room--;
        }
        bool idle =
            e->closed && e->queue == NULL && start == NULL && e->active == 0;
        pthread_mutex_unlock(&e->mu);
        if (idle)
            break;
        while (start != NULL) {
            struct rjob *j = start;
            start = j->next;
            j->next = NULL;
            if (start_job(e, j) != FY_OK) {
                pthread_mutex_lock(&e->mu);
                fail_locked(e, j->local.rc, j->local.msg);
                pthread_mutex_unlock(&e->mu);
                if (j->h != NULL) {
                    curl_easy_cleanup(j->h);
                    j->h = NULL;
                }
            }
        }
        int running = 0;
        curl_multi_perform(e->m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(e->m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct rjob *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            finish_job(e, j, msg->data.result);
            /* a slot is free (or the engine is done): look again at once
             * rather than sleep in curl_multi_poll until the next tick */
            next = 0;
        }
        if (e->tick != NULL)
            e->tick(e, e->tick_arg);
        if (fy_interrupted() && !e->cleanup) {
            char *why =
                xasprintf("%s: interrupted", e->name ? e->name : "transfer");
            reng_cancel(e, FY_EINTR, why);
            free(why);
        }
        report(e, false);
        struct rjob *stuck = rrate_resume(e, out_now(), &next);
        if (stuck != NULL)
            reng_cancel(e, stuck->local.rc, stuck->local.msg);
        double wait = next - out_now();
        int ms = wait <= 0 ? 0 : wait > 0.25 ? 250 : (int)(wait * 1000) + 1;
        curl_multi_poll(e->m, NULL, 0, ms, NULL);
    }
    /* stop whatever still runs */
    for (size_t i = 0; i < e->nact; i++) {
        struct rjob *j = e->act[i];
        curl_multi_remove_handle(e->m, j->h);
        curl_easy_cleanup(j->h);
        j->h = NULL;
        e->active--;
    }
    e->nact = 0;
    pthread_mutex_lock(&e->mu);
    e->exited = true;
    e->st.bytes = e->bytes;
    enum fy_rc rc = e->rc;
    if (rc == FY_OK)
        report(e, true);
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (rc != FY_OK && err != NULL)
        fy_fail(err, rc, "%s", e->err.msg);
    return rc;
}

static void *
engine_thread(void *arg)
{
    struct reng *e = arg;
    reng_run(e, NULL);
    return NULL;
}

void
reng_start(struct reng *e)
{
    e->threaded = true;
    if (pthread_create(&e->th, NULL, engine_thread, e) != 0) {
        e->threaded = false;
        reng_cancel(e, FY_ERUNTIME, "cannot start a thread");
        pthread_mutex_lock(&e->mu);
        e->exited = true;
        pthread_mutex_unlock(&e->mu);
    }
}

enum fy_rc
reng_join(struct reng *e, struct fy_err *err)
{
    if (e->threaded) {
        pthread_join(e->th, NULL);
        e->threaded = false;
    }
    if (e->rc != FY_OK && err != NULL)
        return fy_fail(err, e->rc, "%s", e->err.msg);
    return e->rc;
}

void
remote_stats_add(struct remote_stats *total, const struct remote_stats *st)
{
    total->bytes += st->bytes;
    total->parts += st->parts;
    total->retries += st->retries;
    total->resumed += st->resumed;
    if (st->restart) {
        total->restart = true;
        memcpy(total->restart_why, st->restart_why, sizeof total->restart_why);
        total->retry_after = st->retry_after;
    }
}

enum fy_rc
remote_run_one(struct rtarget *t,
               struct rjob *j,
               struct out *out,
               int64_t total,
               struct remote_stats *st,
               struct fy_err *err)
{
    struct reng e;
    struct remote_opts one = *t->o;
    one.parallel = 1;
    if (total < 0)
        one.phase = NULL;
    reng_init(&e, &one, out, total);
    e.cleanup = j->cleanup;
    reng_submit(&e, j);
    reng_close(&e);
    enum fy_rc rc = reng_run(&e, err);
    if (st != NULL)
        remote_stats_add(st, &e.st);
    reng_release(&e);
    return rc;
}
