/*
 * session_save.c - down's engine: saves that become current only when
 * complete, `keep` earlier ones kept, and which save up restores
 * (include/ferry/session.h has the design; doc/SESSION.md).
 *
 * What stays true whatever fails or is killed, and when:
 *   - a save is uploaded under a name nobody points to yet (R.saves/NAME),
 *     and the remote layer makes it visible only once complete;
 *   - the pointer R.current is replaced in one step (S3: one PUT; file://:
 *     a .part renamed; SFTP: the old file removed just before the rename
 *     of the complete .part, so for that instant there is no pointer and
 *     up falls back to the newest save a listing finds: the new one);
 *   - only then are saves removed, and never one the new pointer names
 *     or one newer than the save just made (a down running at the same
 *     time on another machine may be about to point to it).
 * The pointer is hostile input when read: at most SESSION_POINTER_MAX
 * bytes, every line a save name of the exact form below (never a path or
 * a URL: the URL is always built from R here), else it is ignored with a
 * warning and the listing decides.
 */
#include "ferry/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "ferry/arc.h"
#include "ferry/incr.h"
#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/remote_list.h"
#include "ferry/save.h"
#include "ferry/stream.h"

#define STAMP_LEN 20    /* 20261127T203000.123Z */
#define RAND_HEX  8     /* -1a2b3c4d */
#define MAX_SAVES 10000 /* names taken from a listing */

/* ------------------------------------------------------------- names */

/* remote with suffix put before its query ('?') or fragment ('#'). */
static char *
with_suffix(const char *remote, const char *suffix)
{
    size_t at = strcspn(remote, "?#");
    return xasprintf("%.*s%s%s", (int)at, remote, suffix, remote + at);
}

char *
session_pointer_url(const char *remote)
{
    return with_suffix(remote, ".current");
}

char *
session_saves_url(const char *remote)
{
    return with_suffix(remote, ".saves/");
}

static char *
save_url(const char *remote, const char *name)
{
    char *suffix = xasprintf(".saves/%s", name);
    char *url = with_suffix(remote, suffix);
    free(suffix);
    return url;
}

static bool
digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool
session_save_name_ok(const char *name, const char *ext)
{
    /* 20261127T203000.123Z-1a2b3c4d.EXT */
    size_t el = strlen(ext);
    if (strlen(name) != STAMP_LEN + 1 + RAND_HEX + 1 + el)
        return false;
    if (!digits(name, 8) || name[8] != 'T' || !digits(name + 9, 6) ||
        name[15] != '.' || !digits(name + 16, 3) || name[19] != 'Z' ||
        name[20] != '-')
        return false;
    for (int i = 0; i < RAND_HEX; i++) {
        char c = name[21 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return name[21 + RAND_HEX] == '.' &&
           memcmp(name + 22 + RAND_HEX, ext, el) == 0;
}

/* A new save's name: the UTC time now, 8 random hex digits, ext. */
static char *
new_name(const char *ext)
{
    struct timespec ts;
    struct tm tm;
    unsigned char r[RAND_HEX / 2];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* no entropy: the time's nanoseconds still tell saves apart */
        unsigned long v = (unsigned long)ts.tv_nsec;
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(v >> (8 * i));
    }
    return xasprintf("%04d%02d%02dT%02d%02d%02d.%03ldZ-%02x%02x%02x%02x.%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, r[0], r[1],
                     r[2], r[3], ext);
}

static bool
has_name(const struct strlist *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], name) == 0)
            return true;
    return false;
}

bool
session_pointer_parse(const char *text,
                      size_t len,
                      const char *ext,
                      struct strlist *names)
{
    size_t ml = strlen(SESSION_POINTER_MAGIC);
    if (len > SESSION_POINTER_MAX || len < ml + 1 ||
        memcmp(text, SESSION_POINTER_MAGIC, ml) != 0 || text[ml] != '\n')
        return false;
    struct strlist got = STRLIST_INIT;
    size_t at = ml + 1;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        if (nl == NULL)
            break; /* the last line has no newline: written by no ferry */
        size_t n = (size_t)(nl - (text + at));
        char line[128];
        if (n == 0 || n >= sizeof line || got.n > SESSION_KEEP_MAX ||
            memchr(text + at, '\0', n) != NULL)
            break;
        memcpy(line, text + at, n);
        line[n] = '\0';
        if (!session_save_name_ok(line, ext))
            break;
        if (!has_name(&got, line))
            strlist_add(&got, line);
        at += n + 1;
    }
    if (at != len || got.n == 0) {
        strlist_release(&got);
        return false;
    }
    for (size_t i = 0; i < got.n; i++)
        strlist_add(names, got.v[i]);
    strlist_release(&got);
    return true;
}

/* ------------------------------------------------------------ remote */

/* What a remote R is: its parsed URL and the extension of its saves. */
struct rem {
    const char *url; /* R as given */
    struct remote_url u;
    const char *ext; /* "tar.zst" */
    enum arc_format fmt;
    char *pointer, *saves; /* R.current, R.saves/ */
};

static void
rem_release(struct rem *r)
{
    remote_url_release(&r->u);
    free(r->pointer);
    free(r->saves);
}

static enum fy_rc
rem_open(struct rem *r, const char *url, struct fy_err *err)
{
    struct remote_url init = REMOTE_URL_INIT;
    memset(r, 0, sizeof *r);
    r->u = init;
    r->url = url;
    if (url == NULL || *url == '\0')
        return fy_fail(err, FY_EINPUT, "remote: no URL to save to");
    enum fy_rc rc = remote_url_parse(url, &r->u, err);
    if (rc != FY_OK)
        return rc;
    char *name = r->u.scheme == REMOTE_FILE ? xstrdup(r->u.path)
                                            : remote_url_basename(url);
    r->fmt = name != NULL ? arc_format_from_path(name) : ARC_FMT_NONE;
    free(name);
    if (r->fmt == ARC_FMT_NONE)
        return fy_fail(err, FY_EINPUT,
                       "%s: the name must end with an archive extension "
                       "(.tar.zst, .tar.gz, .tar.xz, .tar or .zip)",
                       r->u.show);
    r->ext = arc_format_name(r->fmt);
    r->pointer = session_pointer_url(url);
    r->saves = session_saves_url(url);
    return FY_OK;
}

/* Listing works for every scheme but HTTP(S). */
static bool
rem_lists(const struct rem *r)
{
    return r->u.scheme != REMOTE_HTTP;
}

/* Quiet output for the small requests (their -v lines kept). */
static void
quiet_out(struct out *q, const struct out *out)
{
    struct out_opts qo = {out != NULL ? out->verbosity : -1, false, true,
                          OUT_COLOR_NEVER, out != NULL ? out->command : NULL};
    out_init(q, &qo);
}

/*
 * The remote layer says "no such object" for a missing object on every
 * scheme (remote_policy.c, remote_file.c) and "no such directory" for a
 * missing directory to list.
 */
static bool
said_missing(const struct fy_err *e)
{
    return e->rc == FY_ERUNTIME && (strstr(e->msg, ": no such object") ||
                                    strstr(e->msg, ": no such directory"));
}

/* Does the object at url exist?  An error other than missing fails. */
static enum fy_rc
exists(const char *url,
       const struct remote_opts *o,
       struct out *q,
       bool *yes,
       struct fy_err *err)
{
    struct fy_istream is;
    struct fy_err e = FY_ERR_INIT;
    *yes = false;
    if (remote_download_open(&is, url, o, q, NULL, &e) == FY_OK) {
        is.close(is.ctx);
        *yes = true;
        return FY_OK;
    }
    if (said_missing(&e))
        return FY_OK;
    return fy_fail(err, e.rc, "%s", e.msg);
}

enum pointer_state { PTR_OK, PTR_MISSING, PTR_BAD };

/* Read R.current into names (newest first). */
static enum fy_rc
pointer_read(const struct rem *r,
             const struct remote_opts *o,
             struct out *q,
             enum pointer_state *state,
             struct strlist *names,
             struct fy_err *err)
{
    struct fy_istream is;
    struct fy_err e = FY_ERR_INIT;
    *state = PTR_MISSING;
    if (remote_download_open(&is, r->pointer, o, q, NULL, &e) != FY_OK) {
        if (said_missing(&e))
            return FY_OK;
        return fy_fail(err, e.rc, "%s", e.msg);
    }
    size_t cap = SESSION_POINTER_MAX + 1, len = 0;
    char *buf = xmalloc(cap);
    enum fy_rc rc = FY_OK;
    while (len < cap) {
        size_t got = 0;
        if ((rc = is.read(is.ctx, buf + len, cap - len, &got, &e)) != FY_OK)
            break;
        if (got == 0)
            break;
        len += got;
    }
    is.close(is.ctx);
    if (rc != FY_OK) {
        free(buf);
        return fy_fail(err, e.rc, "%s", e.msg);
    }
    *state = session_pointer_parse(buf, len, r->ext, names) ? PTR_OK : PTR_BAD;
    free(buf);
    return FY_OK;
}

/* Write names as the new R.current. */
static enum fy_rc
pointer_write(const struct rem *r,
              const struct strlist *names,
              const struct remote_opts *o,
              struct out *q,
              struct fy_err *err)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s\n", SESSION_POINTER_MAGIC);
    for (size_t i = 0; i < names->n; i++)
        sbuf_addf(&sb, "%s\n", names->v[i]);
    struct fy_ostream os;
    struct remote_opts po = *o;
    po.phase = "pointer";
    enum fy_rc rc = remote_upload_open(&os, r->pointer, &po, q, NULL, err);
    if (rc == FY_OK) {
        rc = os.write(os.ctx, sb.buf, sb.len, err);
        if (rc == FY_OK)
            rc = os.close(os.ctx, true, err);
        else
            os.close(os.ctx, false, err);
    }
    sbuf_release(&sb);
    return rc;
}

struct collect {
    const char *ext;
    struct strlist *names;
};

static enum fy_rc
collect_cb(void *arg, const struct remote_entry *e, struct fy_err *err)
{
    struct collect *c = arg;
    if (e->type != REMOTE_ENTRY_FILE || !session_save_name_ok(e->name, c->ext))
        return FY_OK; /* a .part, a stranger's file: not ours */
    if (c->names->n >= MAX_SAVES)
        return fy_fail(err, FY_ERUNTIME,
                       "more than %d saves: remove some with ferry rm",
                       MAX_SAVES);
    strlist_add(c->names, e->name);
    return FY_OK;
}

/* The saves a listing of R.saves/ finds (any order). */
static enum fy_rc
list_saves(const struct rem *r,
           const struct remote_opts *o,
           struct out *q,
           struct strlist *names,
           struct fy_err *err)
{
    struct collect c = {r->ext, names};
    struct fy_err e = FY_ERR_INIT;
    enum fy_rc rc =
        remote_list(r->saves, o, false, collect_cb, &c, q, NULL, &e);
    if (rc == FY_OK || said_missing(&e))
        return FY_OK; /* no directory yet: no save */
    return fy_fail(err, e.rc, "%s", e.msg);
}

static int
cmp_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/* ------------------------------------------------------------- down */

void
session_saved_release(struct session_saved *r)
{
    if (r == NULL)
        return;
    free(r->url);
    free(r->name);
    memset(r, 0, sizeof *r);
}

static enum fy_rc
remove_save(const struct rem *r,
            const char *name,
            const struct remote_opts *o,
            struct out *out,
            struct out *q,
            int *removed)
{
    char *url = save_url(r->url, name);
    struct fy_err e = FY_ERR_INIT;
    bool missing = false;
    enum fy_rc rc = remote_remove(url, o, q, &missing, NULL, &e);
    if (rc == FY_OK)
        (*removed)++;
    else if (!missing && rc != FY_EINTR)
        out_warn(out, "old save not removed (the next down tries again): %s",
                 e.msg);
    free(url);
    return rc == FY_EINTR ? rc : FY_OK;
}

/*
 * Remove the saves that fell off the pointer (dropped) and, where the
 * scheme lists, older saves no pointer names.
 */
static enum fy_rc
prune(const struct rem *r,
      const struct strlist *keep,
      const struct strlist *dropped,
      const char *made,
      const struct remote_opts *o,
      struct out *out,
      struct out *q,
      int *removed,
      struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    for (size_t i = 0; i < dropped->n && rc == FY_OK; i++)
        rc = remove_save(r, dropped->v[i], o, out, q, removed);
    if (rc == FY_OK && rem_lists(r)) {
        struct strlist all = STRLIST_INIT;
        struct fy_err e = FY_ERR_INIT;
        if (list_saves(r, o, q, &all, &e) != FY_OK) {
            if (e.rc == FY_EINTR)
                rc = FY_EINTR;
            else
                out_warn(out, "old saves not listed: %s", e.msg);
        }
        for (size_t i = 0; i < all.n && rc == FY_OK; i++)
            if (!has_name(keep, all.v[i]) && strcmp(all.v[i], made) < 0 &&
                !has_name(dropped, all.v[i]))
                rc = remove_save(r, all.v[i], o, out, q, removed);
        strlist_release(&all);
    }
    if (rc == FY_EINTR || fy_interrupted())
        return fy_fail(err, FY_EINTR,
                       "%s: interrupted while removing old saves (the new "
                       "save is current; the next down removes them)",
                       r->u.show);
    return FY_OK;
}

/* remote ending in '/': a save set (incr.h), keep + 1 states kept. */
static enum fy_rc
save_to_set(const struct session_workspace *ws,
            const struct remote_opts *o,
            struct out *out,
            struct session_saved *res,
            struct fy_err *err)
{
    struct stat sb;
    if (ws->path == NULL || stat(ws->path, &sb) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s",
                             ws->path ? ws->path : "path");
    if (!S_ISDIR(sb.st_mode))
        return fy_fail(err, FY_EINPUT, "%s: not a directory", ws->path);
    struct arc_pack_opts po;
    arc_pack_opts_init(&po);
    for (size_t i = 0; i < ws->exclude.n; i++)
        strlist_add(&po.excludes, ws->exclude.v[i]);
    struct incr_opts io = {0, false, 0, 0};
    io.keep = (ws->keep < 0                  ? 0
               : ws->keep > SESSION_KEEP_MAX ? SESSION_KEEP_MAX
                                             : ws->keep) +
              1;
    struct incr_result r;
    struct remote_opts so = *o;
    so.phase = "save";
    enum fy_rc rc =
        incr_save(ws->path, ws->remote, &po, &io, &so, out, &r, err);
    arc_pack_opts_release(&po);
    out_progress_end(out);
    if (rc == FY_OK && r.unchanged)
        out_info(out, "%s: unchanged since state %lld: nothing uploaded",
                 ws->path, (long long)r.seq);
    else if (rc == FY_OK)
        out_info(out,
                 "%s: state %lld, a %s layer of %lld changed entries and "
                 "%lld deletions",
                 ws->path, (long long)r.seq, r.full ? "full" : "delta",
                 (long long)r.entries, (long long)r.deleted);
    if (rc == FY_OK && res != NULL) {
        res->url = xstrdup(ws->remote);
        res->name = xasprintf("state-%08lld%s", (long long)r.seq,
                              r.unchanged ? " (unchanged)" : "");
        res->kept = io.keep;
        res->removed = r.removed;
        res->files = r.st.files;
        res->bytes = r.st.bytes;
        res->archive = r.uploaded;
    }
    return rc;
}

enum fy_rc
session_save(const struct session_workspace *ws,
             const struct remote_opts *o,
             struct out *out,
             struct session_saved *res,
             struct fy_err *err)
{
    struct rem r;
    struct out q;
    if (res != NULL)
        memset(res, 0, sizeof *res);
    if (ws->remote != NULL && incr_is_set(ws->remote))
        return save_to_set(ws, o, out, res, err);
    enum fy_rc rc = rem_open(&r, ws->remote, err);
    if (rc != FY_OK) {
        rem_release(&r);
        return rc;
    }
    quiet_out(&q, out);
    struct stat sb;
    if (ws->path == NULL || stat(ws->path, &sb) != 0) {
        rc =
            fy_fail_errno(err, FY_ERUNTIME, "%s", ws->path ? ws->path : "path");
    } else if (!S_ISDIR(sb.st_mode)) {
        rc = fy_fail(err, FY_EINPUT, "%s: not a directory", ws->path);
    }
    if (rc != FY_OK) {
        rem_release(&r);
        return rc;
    }

    /* 1. the save, under a name nothing points to yet */
    char *name = new_name(r.ext);
    char *url = save_url(r.url, name);
    struct arc_pack_opts po;
    arc_pack_opts_init(&po);
    po.format = r.fmt;
    for (size_t i = 0; i < ws->exclude.n; i++)
        strlist_add(&po.excludes, ws->exclude.v[i]);
    struct arc_stats st;
    struct remote_stats rs = {0};
    memset(&st, 0, sizeof st);
    struct remote_opts so = *o; /* a shallow copy: only the phase differs */
    so.phase = "save";
    rc = save_run(ws->path, url, &po, &so, out, &st, &rs, err);
    arc_pack_opts_release(&po);
    out_progress_end(out);

    /* 2. the pointer, read again just before it is replaced */
    struct strlist old = STRLIST_INIT, keep = STRLIST_INIT,
                   dropped = STRLIST_INIT;
    enum pointer_state ps = PTR_MISSING;
    if (rc == FY_OK)
        rc = pointer_read(&r, o, &q, &ps, &old, err);
    if (rc == FY_OK && ps == PTR_BAD)
        out_warn(out,
                 "%s is not a list of saves: replaced by one naming the new "
                 "save",
                 r.u.show);
    int nkeep = ws->keep < 0                  ? 0
                : ws->keep > SESSION_KEEP_MAX ? SESSION_KEEP_MAX
                                              : ws->keep;
    if (rc == FY_OK) {
        strlist_add(&keep, name);
        for (size_t i = 0; i < old.n; i++) {
            if (strcmp(old.v[i], name) == 0)
                continue;
            if (keep.n < (size_t)nkeep + 1)
                strlist_add(&keep, old.v[i]);
            else
                strlist_add(&dropped, old.v[i]);
        }
        rc = pointer_write(&r, &keep, o, &q, err);
    }

    /* 3. only now: older saves go */
    int removed = 0;
    if (rc == FY_OK)
        rc = prune(&r, &keep, &dropped, name, o, out, &q, &removed, err);
    if (res != NULL) {
        memset(res, 0, sizeof *res);
        res->url = xstrdup(url);
        res->name = xstrdup(name);
        res->kept = (int)keep.n;
        res->removed = removed;
        res->files = st.files;
        res->bytes = st.bytes;
        res->archive = rs.bytes;
        res->retries = rs.retries;
    }
    strlist_release(&old);
    strlist_release(&keep);
    strlist_release(&dropped);
    free(name);
    free(url);
    rem_release(&r);
    return rc;
}

/* --------------------------------------------------------------- up */

enum fy_rc
session_pick(const struct session_workspace *ws,
             int n,
             const struct remote_opts *o,
             char **url,
             struct fy_err *err)
{
    struct rem r;
    struct out q;
    *url = NULL;
    quiet_out(&q, NULL);
    enum fy_rc rc = rem_open(&r, ws->remote, err);
    struct strlist ptr = STRLIST_INIT, listed = STRLIST_INIT,
                   hist = STRLIST_INIT;
    enum pointer_state ps = PTR_MISSING;
    if (rc == FY_OK && n < 0)
        rc = fy_fail(err, FY_EUSAGE, "save number %d: must be 0 or more", n);
    if (rc == FY_OK)
        rc = pointer_read(&r, o, &q, &ps, &ptr, err);
    if (rc == FY_OK && rem_lists(&r))
        rc = list_saves(&r, o, &q, &listed, err);
    if (rc == FY_OK && rem_lists(&r)) {
        /* the pointer's saves that are there, else what the listing finds */
        for (size_t i = 0; i < ptr.n; i++)
            if (has_name(&listed, ptr.v[i]))
                strlist_add(&hist, ptr.v[i]);
        if (hist.n == 0 && listed.n > 0) {
            qsort(listed.v, listed.n, sizeof *listed.v, cmp_desc);
            for (size_t i = 0; i < listed.n; i++)
                strlist_add(&hist, listed.v[i]);
        }
    } else if (rc == FY_OK) {
        /* HTTP: no listing; each of the pointer's saves is asked for */
        for (size_t i = 0; i < ptr.n && rc == FY_OK && hist.n <= (size_t)n;
             i++) {
            char *u = save_url(r.url, ptr.v[i]);
            bool yes = false;
            rc = exists(u, o, &q, &yes, err);
            if (yes)
                strlist_add(&hist, ptr.v[i]);
            free(u);
        }
        if (rc == FY_OK && ps == PTR_BAD)
            rc = fy_fail(err, FY_ERUNTIME,
                         "%s: not a list of saves, and HTTP cannot list "
                         "them: restore one with ferry restore",
                         r.u.show);
        else if (rc == FY_OK && ptr.n > 0 && hist.n == 0)
            rc = fy_fail(err, FY_ERUNTIME, "%s: every save it names is missing",
                         r.u.show);
    }
    if (rc == FY_OK && (size_t)n < hist.n) {
        *url = save_url(r.url, hist.v[n]);
    } else if (rc == FY_OK && hist.n == 0 && n == 0) {
        /* no save: an object `ferry save` made at R itself, or nothing */
        bool yes = false;
        rc = exists(r.url, o, &q, &yes, err);
        if (rc == FY_OK && yes)
            *url = xstrdup(r.url);
    } else if (rc == FY_OK) {
        rc = fy_fail(err, FY_ERUNTIME, "%s: no save %d (%zu %s kept)", r.u.show,
                     n, hist.n, hist.n == 1 ? "save" : "saves");
    }
    strlist_release(&ptr);
    strlist_release(&listed);
    strlist_release(&hist);
    rem_release(&r);
    return rc;
}
