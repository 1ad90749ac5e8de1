/*
 * session_up.c - ferry up's engine: the bundles of a manifest fetched in
 * one libtorrent session (one thread per bundle, each a fetch_run() on a
 * view of the shared session) while another thread restores the
 * workspace (restore_run()); then one summary table.  See ferry/up.h.
 *
 * What it keeps true: every part has its own struct out and struct
 * fy_err (a thread writes only its own part); the shared session outlives
 * every view; the exit code is the worst part's, and its error the one
 * line main prints.  Nothing here writes a file itself: fetch and
 * restore keep their promises (resume state, atomic unpack).
 */
#include "ferry/up.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/arc.h"
#include "ferry/fs.h"
#include "ferry/incr.h"
#include "ferry/magnet.h"
#include "ferry/out.h"
#include "ferry/save.h"
#include "ferry/session.h"
#include "ferry/torrent.h"

/* One part of the run: a bundle or the workspace. */
struct part {
    const char *what; /* bundle name, or "workspace" */
    bool bundle;
    struct fetch_opts fo;
    struct fetch_stats fs;
    const struct session *s;
    const struct up_opts *o;
    struct out out;
    struct fy_err err;
    enum fy_rc rc;
    const char *note; /* the result in a word or two, for the table */
    int64_t bytes;
    double seconds;
    char *source; /* as shown (secrets hidden); owned */
    pthread_t thread;
    bool started;
};

void
up_opts_init(struct up_opts *o)
{
    memset(o, 0, sizeof *o);
    fetch_opts_init(&o->net);
    remote_opts_init(&o->remote);
    o->remote.phase = "restore";
}

void
up_opts_release(struct up_opts *o)
{
    fetch_opts_release(&o->net);
    remote_opts_release(&o->remote);
}

enum fy_rc
up_restore_url(const struct session *s,
               int n,
               const struct remote_opts *o,
               char **url,
               struct fy_err *err)
{
    enum fy_rc rc = session_pick(&s->ws, n, o, url, err);
    if (rc == FY_OK && *url == NULL) /* nothing saved: restore says "no
                                      * such object", up starts empty */
        *url = xstrdup(s->ws.remote);
    return rc;
}

/* A source as the table shows it: a magnet by its info-hash only (its
 * trackers may carry passkeys), a URL with secrets hidden.  Caller frees. */
static char *
show_source(const char *src)
{
    if (magnet_is(src)) {
        char hex[41];
        struct fy_err ignore = FY_ERR_INIT;
        if (magnet_check(src, hex, &ignore) == FY_OK)
            return xasprintf("magnet:?xt=urn:btih:%s", hex);
        return xstrdup("magnet");
    }
    if (remote_is_url(src))
        return remote_url_show(src);
    return out_escape(src);
}

static void *
bundle_thread(void *arg)
{
    struct part *p = arg;
    double t0 = out_now();
    p->rc = fetch_run(&p->fo, &p->out, &p->err);
    p->seconds = p->fs.seconds > 0 ? p->fs.seconds : out_now() - t0;
    p->bytes = p->fs.bytes;
    if (p->rc == FY_OK)
        p->note = p->fs.bytes > 0 && p->fs.session_down == 0
                      ? "verified (had it)"
                      : "fetched";
    return NULL;
}

/* Is dir missing or an empty directory? */
static bool
dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

static void *
workspace_thread(void *arg)
{
    struct part *p = arg;
    const struct session_workspace *ws = &p->s->ws;
    double t0 = out_now();
    char *url = NULL;
    bool set = ws->remote != NULL && incr_is_set(ws->remote);
    if (set) /* a save set (incr.h): its states are the saves */
        url = xstrdup(ws->remote);
    else
        p->rc = up_restore_url(p->s, p->o->save, &p->o->remote, &url, &p->err);
    if (p->rc != FY_OK)
        return NULL;
    free(p->source);
    p->source = remote_url_show(url);
    if (!p->o->force && !dir_empty(ws->path)) {
        out_info(&p->out,
                 "%s is not empty: kept as it is, not restored (--force "
                 "replaces it with the save)",
                 ws->path);
        p->note = "kept (not empty)";
        free(url);
        return NULL;
    }
    struct arc_unpack_opts uo;
    memset(&uo, 0, sizeof uo);
    uo.force = p->o->force;
    struct arc_stats st;
    memset(&st, 0, sizeof st);
    struct remote_stats rs;
    memset(&rs, 0, sizeof rs);
    if (set) {
        struct incr_opts io = {0, false, 0, p->o->save};
        struct incr_result r;
        p->rc = incr_restore(url, ws->path, &uo, &io, &p->o->remote, &p->out,
                             &r, &p->err);
        st = r.st;
    } else {
        p->rc = restore_run(url, ws->path, &uo, &p->o->remote, &p->out, &st,
                            &rs, &p->err);
    }
    out_progress_end(&p->out);
    p->seconds = out_now() - t0;
    if (p->rc == FY_ERUNTIME && (strstr(p->err.msg, "no such object") ||
                                 strstr(p->err.msg, "no such set"))) {
        /* SPEC (issue 14): no saved workspace yet: start empty */
        fy_err_clear(&p->err);
        p->rc = fs_mkdir_p(ws->path, 0755, &p->err);
        if (p->rc == FY_OK) {
            out_info(&p->out,
                     "no saved workspace at %s yet: starting with an empty %s",
                     p->source, ws->path);
            out_event(&p->out, "workspace", "{ssss}", "state", "empty", "dir",
                      ws->path);
            p->note = "no save yet: empty";
        }
    } else if (p->rc == FY_OK) {
        p->bytes = st.bytes;
        p->note = "restored";
        out_event(&p->out, "workspace", "{sssssIsI}", "state", "restored",
                  "dir", ws->path, "files", (long long)st.files, "bytes",
                  (long long)st.bytes);
    }
    free(url);
    return NULL;
}

/* The bundle's fetch options: the network's, then the manifest's. */
static void
bundle_opts(struct part *p,
            const struct session_bundle *b,
            const struct up_opts *o,
            struct tor_session *shared)
{
    fetch_opts_init(&p->fo);
    p->fo.source = b->source;
    p->fo.dir = b->dest;
    for (size_t i = 0; i < b->select.n; i++)
        strlist_add(&p->fo.select, b->select.v[i]);
    for (size_t i = 0; i < o->net.peers.n; i++)
        strlist_add(&p->fo.peers, o->net.peers.v[i]);
    for (size_t i = 0; i < o->net.trackers.n; i++)
        strlist_add(&p->fo.trackers, o->net.trackers.v[i]);
    for (size_t i = 0; i < o->net.webseeds.n; i++)
        strlist_add(&p->fo.webseeds, o->net.webseeds.v[i]);
    p->fo.seed_time = o->no_seed ? -1 : b->seed_time;
    p->fo.timeout = o->net.timeout;
    p->fo.stall_timeout = o->net.stall_timeout;
    p->fo.session = shared;
    p->fo.stats = &p->fs;
}

static int
rank(enum fy_rc rc)
{
    return rc == FY_EPIPE ? 0 : (int)rc; /* a closed pipe is said elsewhere */
}

/* The table on stderr, and a "done" event per part. */
static void
summary(struct out *out, struct part *parts, size_t n, double secs)
{
    size_t w = 9;
    for (size_t i = 0; i < n; i++)
        if (strlen(parts[i].what) > w)
            w = strlen(parts[i].what);
    out_info(out, "%-*s  %10s  %8s  %-20s  %s", (int)w, "what", "size", "time",
             "result", "source");
    for (size_t i = 0; i < n; i++) {
        struct part *p = &parts[i];
        char size[24], t[24], res[FY_ERR_MSG_MAX];
        out_fmt_size(size, sizeof size, p->bytes);
        snprintf(t, sizeof t, "%.1f s", p->seconds);
        if (p->rc == FY_OK)
            snprintf(res, sizeof res, "%s", p->note ? p->note : "done");
        else
            snprintf(res, sizeof res, "failed (exit %d)", (int)p->rc);
        out_info(out, "%-*s  %10s  %8s  %-20s  %s", (int)w, p->what,
                 p->bytes > 0 ? size : "-", t, res,
                 p->source ? p->source : "-");
        /* "bundle": the label this part's own events carry */
        out_event(out, "part", "{sssssIsfsssiss?}", "bundle", p->what, "kind",
                  p->bundle ? "bundle" : "workspace", "bytes",
                  (long long)p->bytes, "seconds", p->seconds, "result",
                  p->rc == FY_OK ? res : "failed", "code", (int)p->rc, "source",
                  p->source);
    }
    out_info(out, "up: %zu part%s in %.1f s", n, n == 1 ? "" : "s", secs);
}

enum fy_rc
up_run(const struct session *s,
       const struct up_opts *o,
       struct out *out,
       struct fy_err *err)
{
    size_t nb = o->no_bundles ? 0 : s->nbundles;
    bool ws = !o->no_workspace && s->ws.present;
    size_t n = nb + (ws ? 1 : 0);
    out_event(out, "start", "{sssIsb}", "manifest", s->file, "bundles",
              (long long)nb, "workspace", ws);
    if (n == 0) {
        out_info(out, "up: nothing to do (%s)",
                 o->no_bundles && o->no_workspace
                     ? "--no-bundles and --no-workspace"
                 : o->no_bundles ? "--no-bundles, and no [workspace]"
                                 : "--no-workspace, and no bundle");
        out_event(out, "done", "{sIsf}", "parts", (long long)0, "seconds", 0.0);
        return FY_OK;
    }
    double t0 = out_now();
    struct part *parts = xcalloc(n, sizeof *parts);
    struct out_board *board =
        out->mode == OUT_TTY && n > 1 ? out_board_new(n) : NULL;
    struct tor_session *shared = NULL;
    enum fy_rc rc = FY_OK;
    if (nb > 0) {
        struct tor_options to;
        tor_options_init(&to);
        to.listen = o->net.listen;
        to.dht = o->net.dht;
        to.lsd = o->net.lsd;
        to.upnp = to.natpmp = o->net.upnp;
        to.max_down = o->net.max_down;
        to.max_up = o->net.max_up;
        if ((rc = fetch_resolve_peers(&o->net, err)) != FY_OK ||
            (shared = tor_session_shared(&to, err)) == NULL) {
            rc = err->rc;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct part *p = &parts[i];
        p->s = s;
        p->o = o;
        p->bundle = i < nb;
        p->what = p->bundle ? s->bundles[i].name : "workspace";
        out_part(&p->out, out, p->what);
        p->out.board = board;
        p->out.slot = i;
        p->err = (struct fy_err)FY_ERR_INIT;
        if (p->bundle) {
            bundle_opts(p, &s->bundles[i], o, shared);
            p->source = show_source(s->bundles[i].source);
        } else {
            p->source = remote_url_show(s->ws.remote);
        }
        if (pthread_create(&p->thread, NULL,
                           p->bundle ? bundle_thread : workspace_thread,
                           p) != 0) {
            rc = fy_fail(err, FY_ERUNTIME, "up: cannot start a thread");
            break;
        }
        p->started = true;
    }
    enum fy_rc worst = FY_OK;
    struct part *bad = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].started)
            continue;
        pthread_join(parts[i].thread, NULL);
        if (rank(parts[i].rc) > rank(worst)) {
            worst = parts[i].rc;
            bad = &parts[i];
        }
    }
    if (rc == FY_OK) {
        summary(out, parts, n, out_now() - t0);
        if (bad != NULL)
            rc = fy_fail(err, bad->rc, "%s%s: %s", bad->bundle ? "bundle " : "",
                         bad->what, bad->err.msg[0] ? bad->err.msg : "failed");
        else
            out_event(out, "done", "{sIsf}", "parts", (long long)n, "seconds",
                      out_now() - t0);
    }
out:
    for (size_t i = 0; i < n; i++) {
        if (parts[i].bundle)
            fetch_opts_release(&parts[i].fo);
        free(parts[i].source);
    }
    tor_session_free(shared); /* after every view */
    out_board_free(board);
    free(parts);
    return rc;
}
