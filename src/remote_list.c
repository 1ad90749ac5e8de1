/*
 * remote_list.c - `ferry ls`: what storage holds under a URL-PREFIX.  S3
 * is asked with ListObjectsV2, page after page (each page parsed by
 * remote_s3list.c as it arrives and printed before the next is asked
 * for); SFTP with libcurl's directory listing, one request per directory;
 * file:// with readdir.  Every scheme gives the same entries: names
 * relative to the prefix's directory, "directories" one level down ending
 * with '/', or with recursive every object below.
 *
 * What it keeps true: memory is bounded by one S3 page or one directory
 * (REMOTE_LIST_MAX_*), never by the whole listing; a listing that does
 * not move on (a token that repeats), is malformed or runs past its
 * bounds stops with an error rather than loops; symlinks are never
 * followed (file://: fstatat/openat with no-follow; SFTP: a link is an
 * entry, never a directory to descend); Ctrl-C stops every loop.  A
 * request is retried as any other (remote_run_one); what it received is
 * used only once it is complete, so a retry never shows an entry twice.
 */
#include "ferry/remote_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/remote_s3.h"
#include "ferry/xalloc.h"

#define LINE_MAX_BYTES (64u << 10) /* one line of an SFTP listing */
#define TOKEN_RING     8           /* recent S3 tokens, to catch a cycle */

/* What one listing needs everywhere. */
struct lister {
    const struct remote_opts *o;
    bool recursive;
    remote_list_cb cb;
    void *arg;
    struct out *out;
    struct remote_stats *st;
    struct fy_err *err;
    const char *show; /* the URL-PREFIX as shown */
};

static enum fy_rc
emit(struct lister *l,
     const char *name,
     const char *url,
     enum remote_entry_type type,
     int64_t size,
     int64_t mtime,
     bool has_mtime)
{
    struct remote_entry e = {name, url, type, size, mtime, has_mtime};
    return l->cb(l->arg, &e, l->err);
}

static enum fy_rc
interrupted(struct lister *l)
{
    return fy_fail(l->err, FY_EINTR, "%s: interrupted", l->show);
}

/* ---------------------------------------------- one directory's entries */

struct dent {
    char *name; /* a directory's ends with '/' */
    enum remote_entry_type type;
    int64_t size, mtime;
    bool has_mtime;
};

struct dents {
    struct dent *v;
    size_t n, cap;
    size_t bytes; /* of the names */
};

/* False when the directory holds more than ferry lists. */
static bool
dents_add(struct dents *d,
          const char *name,
          enum remote_entry_type type,
          int64_t size,
          int64_t mtime,
          bool has_mtime)
{
    size_t len = strlen(name);
    if (d->n == REMOTE_LIST_MAX_ENTRIES ||
        len + 2 > REMOTE_LIST_MAX_DIR_BYTES - d->bytes)
        return false;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->v = xrealloc(d->v, d->cap * sizeof *d->v);
    }
    struct dent *e = &d->v[d->n++];
    e->name = type == REMOTE_ENTRY_DIR ? xasprintf("%s/", name) : xstrdup(name);
    e->type = type;
    e->size = type == REMOTE_ENTRY_DIR ? -1 : size;
    e->mtime = mtime;
    e->has_mtime = has_mtime;
    d->bytes += len + 2;
    return true;
}

static void
dents_release(struct dents *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].name);
    free(d->v);
    memset(d, 0, sizeof *d);
}

static int
dent_cmp(const void *a, const void *b)
{
    /* byte order; a directory's '/' sorts it as its entries sort in S3 */
    return strcmp(((const struct dent *)a)->name,
                  ((const struct dent *)b)->name);
}

static void
dents_sort(struct dents *d)
{
    if (d->n > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(d->v, d->n, sizeof *d->v, dent_cmp);
}

static enum fy_rc
too_many(struct lister *l, const char *where)
{
    return fy_fail(l->err, FY_ERUNTIME,
                   "%s: more than %d entries or %u MiB of names in one "
                   "directory: not listed",
                   where, REMOTE_LIST_MAX_ENTRIES,
                   REMOTE_LIST_MAX_DIR_BYTES >> 20);
}

/* "a%20b/" from "a b/": a name as it goes into a URL path. */
static void
add_encoded(struct sbuf *sb, const char *name)
{
    s3_uri_encode(sb, name, true);
}

/* ------------------------------------------------------------------ S3 */

struct s3_job {
    struct rjob j; /* first: the engine's callbacks get &j */
    struct s3_list_parser *p;
};

static size_t
s3_write(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct s3_job *sj = arg;
    struct rjob *j = &sj->j;
    size_t n = size * nmemb;
    long st = 0;
    curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &st);
    if (st < 200 || st >= 300) {
        /* an error's body, for explain(): bounded */
        if (j->resp.len + n <= RESP_MAX)
            sbuf_add(&j->resp, buf, n);
        return n;
    }
    struct fy_err tmp = FY_ERR_INIT;
    if (s3_list_parser_feed(sj->p, buf, n, false, &tmp) != FY_OK) {
        fy_fail(&j->local, FY_ERUNTIME, "%s: the server's listing: %s", j->what,
                tmp.msg);
        return 0;
    }
    return n;
}

static enum fy_rc
s3_job_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct s3_job *sj = (struct s3_job *)j;
    /* every attempt parses from the first byte */
    s3_list_parser_free(sj->p);
    sj->p = s3_list_parser_new();
    enum fy_rc rc = j->t->setup(j, h, err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sj);
    return rc;
}

static enum fy_rc
s3_job_done(struct rjob *j, struct fy_err *err)
{
    struct s3_job *sj = (struct s3_job *)j;
    struct fy_err tmp = FY_ERR_INIT;
    if (s3_list_parser_feed(sj->p, "", 0, true, &tmp) != FY_OK)
        return fy_fail(err, FY_ERUNTIME, "%s: the server's listing: %s",
                       j->what, tmp.msg);
    return FY_OK;
}

/* Ask for one page; on success *page is the caller's. */
static enum fy_rc
s3_page(struct lister *l,
        struct rtarget *t,
        const char *prefix,
        const char *token,
        struct s3_list_page *page)
{
    struct s3_job sj;
    struct fy_err tmp = FY_ERR_INIT;
    rjob_init(&sj.j, t, RM_GET);
    sj.p = NULL;
    sj.j.setup = s3_job_setup;
    sj.j.done = s3_job_done;
    sj.j.what = xstrdup(l->show);
    sj.j.query = s3_list_query(prefix, token, !l->recursive, S3_LIST_MAX_KEYS);
    enum fy_rc rc = remote_run_one(t, &sj.j, l->out, -1, l->st, &tmp);
    if (rc != FY_OK && sj.j.status == 404) {
        /* a listing of a prefix finds nothing without a 404: the bucket
         * is missing */
        char *code = s3_xml_text(sj.j.resp.buf, sj.j.resp.len, "Error/Code");
        char *esc = out_escape(code != NULL ? code : "");
        rc = fy_fail(l->err, FY_ERUNTIME, "%s: no such bucket (HTTP 404%s%s)",
                     l->show, *esc ? " " : "", esc);
        free(esc);
        free(code);
    } else if (rc != FY_OK) {
        fy_fail(l->err, rc, "%s", tmp.msg);
    } else {
        rc = s3_list_parser_finish(sj.p, prefix, token, page, &tmp);
        if (rc != FY_OK)
            fy_fail(l->err, rc, "%s: the server's listing: %s", l->show,
                    tmp.msg);
    }
    s3_list_parser_free(sj.p);
    rjob_release(&sj.j);
    return rc;
}

/* Hand one page's entries to the callback: directories first. */
static enum fy_rc
s3_emit(struct lister *l,
        const char *bucket,
        size_t dirlen,
        const struct s3_list_page *page)
{
    enum fy_rc rc = FY_OK;
    for (int pass = 0; pass < 2 && rc == FY_OK; pass++) {
        for (size_t i = 0; i < page->n && rc == FY_OK; i++) {
            const struct s3_list_item *it = &page->items[i];
            if (it->prefix != (pass == 0))
                continue;
            char *raw = xasprintf("s3://%s/%s", bucket, it->key);
            char *url = out_escape(raw);
            rc = emit(l, it->key + dirlen, url,
                      it->prefix ? REMOTE_ENTRY_DIR : REMOTE_ENTRY_FILE,
                      it->prefix ? -1 : it->size, it->mtime, it->has_mtime);
            free(url);
            free(raw);
        }
    }
    return rc;
}

static enum fy_rc
list_s3(struct lister *l, const char *url)
{
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash != NULL ? (size_t)(slash - b) : strlen(b);
    if (blen == 0)
        return fy_fail(l->err, FY_EINPUT, "%s: expected s3://BUCKET[/PREFIX]",
                       l->show);
    struct remote_url u = REMOTE_URL_INIT;
    u.scheme = REMOTE_S3;
    u.url = xstrdup(url);
    u.show = xstrdup(l->show);
    u.bucket = xasprintf("%.*s", (int)blen, b);
    u.key = xstrdup(""); /* the bucket itself: GET /BUCKET/?list-type=2 */
    const char *prefix = slash != NULL ? slash + 1 : "";
    const char *last = strrchr(prefix, '/');
    size_t dirlen = last != NULL ? (size_t)(last - prefix) + 1 : 0;
    struct rtarget t;
    enum fy_rc rc = rtarget_open_url(&t, &u, l->o, l->err);
    if (rc != FY_OK)
        return rc;
    char *ring[TOKEN_RING] = {NULL};
    char *token = NULL;
    for (long pages = 0; rc == FY_OK; pages++) {
        if (fy_interrupted()) {
            rc = interrupted(l);
            break;
        }
        if (pages == REMOTE_LIST_MAX_PAGES) {
            rc = fy_fail(l->err, FY_ERUNTIME,
                         "%s: more than %d pages: the listing was stopped",
                         l->show, REMOTE_LIST_MAX_PAGES);
            break;
        }
        struct s3_list_page page;
        if ((rc = s3_page(l, &t, prefix, token, &page)) != FY_OK)
            break;
        for (int i = 0; i < TOKEN_RING && page.truncated; i++)
            if (ring[i] != NULL && strcmp(ring[i], page.next_token) == 0)
                rc = fy_fail(l->err, FY_ERUNTIME,
                             "%s: the server's listing: the continuation "
                             "tokens go round in a circle",
                             l->show);
        if (rc == FY_OK)
            rc = s3_emit(l, t.u.bucket, dirlen, &page);
        if (rc == FY_OK && page.truncated) {
            free(ring[pages % TOKEN_RING]);
            ring[pages % TOKEN_RING] = xstrdup(page.next_token);
            token = ring[pages % TOKEN_RING];
        }
        bool more = page.truncated;
        s3_list_page_release(&page);
        if (!more)
            break;
    }
    for (int i = 0; i < TOKEN_RING; i++)
        free(ring[i]);
    rtarget_release(&t);
    return rc;
}

/* ---------------------------------------------------------------- SFTP */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* Digits at *p (at least one, at most max): their value, p moved on. */
static bool
digits(const char **p, int max, int64_t *v)
{
    int n = 0;
    *v = 0;
    while (**p >= '0' && **p <= '9') {
        if (++n > max)
            return false;
        *v = *v * 10 + (**p - '0');
        (*p)++;
    }
    return n > 0;
}

/* One or more spaces at *p. */
static bool
spaces(const char **p)
{
    if (**p != ' ')
        return false;
    while (**p == ' ')
        (*p)++;
    return true;
}

/* A token without spaces (a user or group name). */
static bool
word(const char **p)
{
    const char *s = *p;
    while (**p != ' ' && **p != '\0')
        (*p)++;
    return *p > s;
}

bool
remote_ls_line(const char *line,
               time_t now,
               char **name,
               enum remote_entry_type *type,
               int64_t *size,
               int64_t *mtime)
{
    const char *p = line;
    int64_t nlink, sz, day, a, b = 0;
    *name = NULL;
    if (p[0] == '\0' || strchr("-dlcbps", p[0]) == NULL)
        return false;
    for (int i = 1; i < 10; i++)
        if (p[i] == '\0' || strchr("rwxsStT-", p[i]) == NULL)
            return false;
    p += 10;
    if (*p == '+' || *p == '@' || *p == '.')
        p++; /* ACL and xattr marks */
    if (!spaces(&p) || !digits(&p, 18, &nlink) || !spaces(&p) || !word(&p) ||
        !spaces(&p) || !word(&p) || !spaces(&p) || !digits(&p, 18, &sz) ||
        !spaces(&p))
        return false;
    const char *m = NULL;
    for (int i = 0; i < 12 && m == NULL; i++)
        if (strncmp(p, months + 3 * i, 3) == 0)
            m = months + 3 * i;
    if (m == NULL)
        return false;
    p += 3;
    if (!spaces(&p) || !digits(&p, 2, &day) || day < 1 || day > 31 ||
        !spaces(&p) || !digits(&p, 4, &a))
        return false;
    bool clock = *p == ':';
    if (clock) {
        p++;
        if (!digits(&p, 2, &b) || a > 23 || b > 59)
            return false;
    }
    if (*p != ' ' || p[1] == '\0')
        return false;
    p++;
    /* the name is the rest of the line; a link's target follows " -> " */
    const char *arrow = line[0] == 'l' ? strstr(p, " -> ") : NULL;
    size_t len = arrow != NULL ? (size_t)(arrow - p) : strlen(p);
    if (len == 0 || memchr(p, '/', len) != NULL || (len == 1 && p[0] == '.') ||
        (len == 2 && p[0] == '.' && p[1] == '.'))
        return false;
    struct tm tm, nowtm;
    memset(&tm, 0, sizeof tm);
    localtime_r(&now, &nowtm);
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_mday = (int)day;
    tm.tm_isdst = -1;
    if (clock) {
        /* "recent" in ls: the last six months, so not in the future */
        tm.tm_year = nowtm.tm_year;
        tm.tm_hour = (int)a;
        tm.tm_min = (int)b;
        struct tm copy = tm;
        time_t t = mktime(&copy);
        if (t > now + 86400)
            tm.tm_year--;
    } else {
        tm.tm_year = (int)a - 1900;
    }
    *mtime = (int64_t)mktime(&tm);
    *name = xasprintf("%.*s", (int)len, p);
    *type = line[0] == '-'   ? REMOTE_ENTRY_FILE
            : line[0] == 'd' ? REMOTE_ENTRY_DIR
            : line[0] == 'l' ? REMOTE_ENTRY_LINK
                             : REMOTE_ENTRY_OTHER;
    *size = sz;
    return true;
}

struct sftp_job {
    struct rjob j; /* first */
    struct dents d;
    struct sbuf line; /* a line not yet ended */
    size_t bytes;
    time_t now;
    long bad; /* lines that are not ls -l lines */
    char *first_bad;
    bool too_many;
};

static void
sftp_reset(struct sftp_job *sj)
{
    dents_release(&sj->d);
    sbuf_release(&sj->line);
    free(sj->first_bad);
    sj->first_bad = NULL;
    sj->bad = 0;
    sj->bytes = 0;
    sj->too_many = false;
}

static void
sftp_line(struct sftp_job *sj, const char *line)
{
    char *name;
    enum remote_entry_type type;
    int64_t size, mtime;
    if (line[0] == '\0')
        return;
    if (!remote_ls_line(line, sj->now, &name, &type, &size, &mtime)) {
        /* "." and ".." too: only count what is not them */
        size_t n = strlen(line);
        bool dots = (n >= 2 && strcmp(line + n - 2, " .") == 0) ||
                    (n >= 3 && strcmp(line + n - 3, " ..") == 0);
        if (!dots && sj->bad++ == 0)
            sj->first_bad = xstrdup(line);
        return;
    }
    if (!dents_add(&sj->d, name, type, size, mtime, true))
        sj->too_many = true;
    free(name);
}

static size_t
sftp_write(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct sftp_job *sj = arg;
    size_t n = size * nmemb;
    if (n > REMOTE_LIST_MAX_DIR_BYTES - sj->bytes || sj->too_many) {
        sj->too_many = true;
        return 0;
    }
    sj->bytes += n;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t k = nl != NULL ? (size_t)(nl - (buf + i)) : n - i;
        if (k > LINE_MAX_BYTES - sj->line.len) {
            fy_fail(&sj->j.local, FY_ERUNTIME,
                    "%s: the server's listing has a line longer than %u KiB",
                    sj->j.what, LINE_MAX_BYTES >> 10);
            return 0;
        }
        sbuf_add(&sj->line, buf + i, k);
        i += k;
        if (nl != NULL) {
            sftp_line(sj, sj->line.buf);
            sj->line.len = 0;
            i++;
        }
    }
    return n;
}

static enum fy_rc
sftp_job_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct sftp_job *sj = (struct sftp_job *)j;
    sftp_reset(sj); /* every attempt lists from the start */
    enum fy_rc rc = j->t->setup(j, h, err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sftp_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sj);
    return rc;
}

static enum fy_rc
sftp_job_done(struct rjob *j, struct fy_err *err)
{
    struct sftp_job *sj = (struct sftp_job *)j;
    (void)err;
    if (sj->line.len > 0) /* a last line without '\n' */
        sftp_line(sj, sj->line.buf);
    sj->line.len = 0;
    return FY_OK;
}

static enum fy_rc list_sftp_dir(struct lister *l,
                                const char *dir_url,
                                const char *rel,
                                const char *name_prefix,
                                int depth);

/* Emit the sorted entries of one directory, descending with recursive. */
static enum fy_rc
sftp_entries(struct lister *l,
             const char *dir_url,
             const char *show,
             const char *rel,
             const struct dents *d,
             int depth)
{
    enum fy_rc rc = FY_OK;
    for (size_t i = 0; i < d->n && rc == FY_OK; i++) {
        const struct dent *e = &d->v[i];
        struct sbuf name = SBUF_INIT, url = SBUF_INIT;
        sbuf_addf(&name, "%s%s", rel, e->name);
        if (fy_interrupted()) {
            rc = interrupted(l);
        } else if (e->type == REMOTE_ENTRY_DIR && l->recursive) {
            sbuf_adds(&url, dir_url);
            add_encoded(&url, e->name);
            rc = list_sftp_dir(l, url.buf, name.buf, "", depth + 1);
        } else {
            sbuf_adds(&url, show);
            add_encoded(&url, e->name);
            rc = emit(l, name.buf, url.buf, e->type, e->size, e->mtime,
                      e->has_mtime);
        }
        sbuf_release(&name);
        sbuf_release(&url);
    }
    return rc;
}

/*
 * List the directory at dir_url (ends with '/'): its entries whose names
 * start with name_prefix, names given as rel + name.
 */
static enum fy_rc
list_sftp_dir(struct lister *l,
              const char *dir_url,
              const char *rel,
              const char *name_prefix,
              int depth)
{
    char *show = remote_url_show(dir_url);
    if (depth > REMOTE_LIST_MAX_DEPTH) {
        enum fy_rc rc = fy_fail(l->err, FY_ERUNTIME,
                                "%s: more than %d directory levels: not "
                                "listed",
                                show, REMOTE_LIST_MAX_DEPTH);
        free(show);
        return rc;
    }
    struct remote_url u = REMOTE_URL_INIT;
    u.scheme = REMOTE_SFTP;
    u.url = xstrdup(dir_url);
    u.show = xstrdup(show);
    struct rtarget t;
    struct fy_err tmp = FY_ERR_INIT;
    enum fy_rc rc = rtarget_open_url(&t, &u, l->o, l->err);
    if (rc != FY_OK) {
        free(show);
        return rc;
    }
    struct sftp_job sj;
    memset(&sj, 0, sizeof sj);
    rjob_init(&sj.j, &t, RM_GET);
    sj.j.setup = sftp_job_setup;
    sj.j.done = sftp_job_done;
    sj.j.what = xstrdup(show);
    sj.now = time(NULL);
    rc = remote_run_one(&t, &sj.j, l->out, -1, l->st, &tmp);
    if (sj.too_many) {
        rc = too_many(l, show);
    } else if (rc != FY_OK && sj.j.result == CURLE_REMOTE_FILE_NOT_FOUND) {
        rc = fy_fail(l->err, FY_ERUNTIME, "%s: no such directory", show);
    } else if (rc != FY_OK) {
        fy_fail(l->err, rc, "%s", tmp.msg);
    } else if (sj.bad > 0) {
        char *esc = out_escape(sj.first_bad);
        out_warn(l->out,
                 "%s: %ld line%s of the server's listing not understood, "
                 "left out (the first: %.200s)",
                 show, sj.bad, sj.bad == 1 ? "" : "s", esc);
        free(esc);
    }
    rtarget_release(&t);
    /* keep only what the prefix asks for, in byte order */
    struct dents d = sj.d;
    memset(&sj.d, 0, sizeof sj.d);
    size_t plen = strlen(name_prefix), k = 0;
    for (size_t i = 0; i < d.n; i++) {
        if (strncmp(d.v[i].name, name_prefix, plen) == 0)
            d.v[k++] = d.v[i];
        else
            free(d.v[i].name);
    }
    d.n = k;
    sftp_reset(&sj);
    rjob_release(&sj.j);
    if (rc == FY_OK) {
        dents_sort(&d);
        rc = sftp_entries(l, dir_url, show, rel, &d, depth);
    }
    dents_release(&d);
    free(show);
    return rc;
}

static enum fy_rc
list_sftp(struct lister *l, const char *url)
{
    const char *auth = url + 7, *slash = strchr(auth, '/');
    if (slash == NULL || slash == auth || strpbrk(url, " ?#") != NULL)
        return fy_fail(l->err, FY_EINPUT,
                       "%s: expected sftp://[USER@]HOST[:PORT]/DIR/[PREFIX]",
                       l->show);
    const char *last = strrchr(slash, '/');
    char *prefix = NULL;
    if (!fy_pct_decode(last + 1, strlen(last + 1), &prefix))
        return fy_fail(l->err, FY_EINPUT, "%s: bad %%-escape in the path",
                       l->show);
    char *dir = xasprintf("%.*s", (int)(last + 1 - url), url);
    enum fy_rc rc = list_sftp_dir(l, dir, "", prefix, 0);
    free(dir);
    free(prefix);
    return rc;
}

/* -------------------------------------------------------------- file:// */

static enum fy_rc list_file_dir(struct lister *l,
                                int dfd,
                                const char *path,
                                const char *rel,
                                const char *name_prefix,
                                int depth);

/* "file://" + the path, %-encoded: an entry's URL. */
static char *
file_url(const char *path, const char *name)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, "file://");
    add_encoded(&sb, path);
    if (name != NULL)
        add_encoded(&sb, name);
    return sbuf_detach(&sb);
}

/* errno's failure on path + name (name may be NULL), named as a URL. */
static enum fy_rc
file_fail(struct lister *l, const char *path, const char *name)
{
    int e = errno;
    char *url = file_url(path, name);
    errno = e;
    enum fy_rc rc = fy_fail_errno(l->err, FY_ERUNTIME, "%s", url);
    free(url);
    return rc;
}

/* Read the entries of dfd (named path) whose names start with prefix. */
static enum fy_rc
read_file_dir(struct lister *l,
              int dfd,
              const char *path,
              const char *name_prefix,
              struct dents *d)
{
    int fd = dup(dfd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (dir == NULL) {
        if (fd >= 0)
            close(fd);
        return file_fail(l, path, NULL);
    }
    size_t plen = strlen(name_prefix);
    enum fy_rc rc = FY_OK;
    struct dirent *de;
    errno = 0;
    while (rc == FY_OK && (de = readdir(dir)) != NULL) {
        const char *n = de->d_name;
        struct stat st;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
            strncmp(n, name_prefix, plen) != 0)
            continue;
        if (fy_interrupted()) {
            rc = interrupted(l);
            break;
        }
        if (fstatat(dfd, n, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* removed meanwhile */
            rc = file_fail(l, path, n);
            break;
        }
        enum remote_entry_type type = S_ISREG(st.st_mode)   ? REMOTE_ENTRY_FILE
                                      : S_ISDIR(st.st_mode) ? REMOTE_ENTRY_DIR
                                      : S_ISLNK(st.st_mode)
                                          ? REMOTE_ENTRY_LINK
                                          : REMOTE_ENTRY_OTHER;
        if (!dents_add(d, n, type, (int64_t)st.st_size,
                       (int64_t)st.st_mtim.tv_sec, true)) {
            char *url = file_url(path, NULL);
            rc = too_many(l, url);
            free(url);
        }
        errno = 0;
    }
    if (rc == FY_OK && errno != 0)
        rc = file_fail(l, path, NULL);
    closedir(dir);
    return rc;
}

static enum fy_rc
file_entries(struct lister *l,
             int dfd,
             const char *path,
             const char *rel,
             const struct dents *d,
             int depth)
{
    enum fy_rc rc = FY_OK;
    for (size_t i = 0; i < d->n && rc == FY_OK; i++) {
        const struct dent *e = &d->v[i];
        char *name = xasprintf("%s%s", rel, e->name);
        if (fy_interrupted()) {
            rc = interrupted(l);
        } else if (e->type == REMOTE_ENTRY_DIR && l->recursive) {
            char *sub = xasprintf("%s%s", path, e->name);
            char *base = xasprintf("%.*s", (int)strlen(e->name) - 1, e->name);
            int fd = openat(dfd, base,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                rc = file_fail(l, sub, NULL);
            } else {
                rc = list_file_dir(l, fd, sub, name, "", depth + 1);
                close(fd);
            }
            free(base);
            free(sub);
        } else {
            char *url = file_url(path, e->name);
            rc = emit(l, name, url, e->type, e->size, e->mtime, e->has_mtime);
            free(url);
        }
        free(name);
    }
    return rc;
}

/* List the directory dfd, named path (ends with '/'). */
static enum fy_rc
list_file_dir(struct lister *l,
              int dfd,
              const char *path,
              const char *rel,
              const char *name_prefix,
              int depth)
{
    if (depth > REMOTE_LIST_MAX_DEPTH) {
        char *url = file_url(path, NULL);
        enum fy_rc rc = fy_fail(l->err, FY_ERUNTIME,
                                "%s: more than %d directory levels: not "
                                "listed",
                                url, REMOTE_LIST_MAX_DEPTH);
        free(url);
        return rc;
    }
    struct dents d = {NULL, 0, 0, 0};
    enum fy_rc rc = read_file_dir(l, dfd, path, name_prefix, &d);
    if (rc == FY_OK) {
        dents_sort(&d);
        rc = file_entries(l, dfd, path, rel, &d, depth);
    }
    dents_release(&d);
    return rc;
}

static enum fy_rc
list_file(struct lister *l, const char *url)
{
    const char *p = url + 7;
    if (strncasecmp(p, "localhost/", 10) == 0)
        p += 9;
    char *path = NULL;
    if (p[0] != '/')
        return fy_fail(l->err, FY_EINPUT,
                       "%s: expected file:///ABSOLUTE/DIR/[PREFIX]", l->show);
    if (!fy_pct_decode(p, strlen(p), &path))
        return fy_fail(l->err, FY_EINPUT, "%s: bad %%-escape in the path",
                       l->show);
    char *last = strrchr(path, '/');
    char *prefix = xstrdup(last + 1);
    last[1] = '\0';
    enum fy_rc rc;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        rc = fy_fail(l->err, FY_ERUNTIME, "%s: no such directory", l->show);
    else if (fd < 0 && errno == ENOTDIR)
        rc = fy_fail(l->err, FY_EINPUT, "%s: not a directory", l->show);
    else if (fd < 0)
        rc = fy_fail_errno(l->err, FY_ERUNTIME, "%s", l->show);
    else
        rc = list_file_dir(l, fd, path, "", prefix, 0);
    if (fd >= 0)
        close(fd);
    free(prefix);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- entry */

enum fy_rc
remote_list(const char *url,
            const struct remote_opts *o,
            bool recursive,
            remote_list_cb cb,
            void *arg,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct remote_stats local = {0};
    char *show = remote_url_show(url);
    struct lister l = {o, recursive, cb, arg, out, st ? st : &local, err, show};
    enum fy_rc rc;
    bool ctl = false;
    for (const unsigned char *c = (const unsigned char *)url; *c; c++)
        ctl = ctl || *c < 0x20 || *c == 0x7f;
    if (ctl)
        rc = fy_fail(err, FY_EINPUT, "URL: control character in the URL");
    else if (strncasecmp(url, "s3://", 5) == 0)
        rc = list_s3(&l, url);
    else if (strncasecmp(url, "sftp://", 7) == 0)
        rc = list_sftp(&l, url);
    else if (strncasecmp(url, "file://", 7) == 0)
        rc = list_file(&l, url);
    else if (strncasecmp(url, "http://", 7) == 0 ||
             strncasecmp(url, "https://", 8) == 0)
        rc = fy_fail(err, FY_EUSAGE,
                     "%s: cannot list over HTTP (HTTP has no directory "
                     "listing; ls takes s3://, sftp:// and file://)",
                     show);
    else {
        /* not a storage URL at all: remote_url_parse says why */
        struct remote_url u;
        rc = remote_url_parse(url, &u, err);
        if (rc == FY_OK) {
            remote_url_release(&u);
            rc = fy_fail(err, FY_EINPUT, "%s: cannot list this URL", show);
        }
    }
    free(show);
    return rc;
}
