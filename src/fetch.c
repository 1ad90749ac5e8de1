/*
 * fetch.c - the fetch engine: source -> session -> verified files in DIR.
 *
 * One loop drives everything: it drains the session's events (metadata,
 * hash failures, tracker errors, resume data), takes a status snapshot,
 * renders progress, saves resume data every RESUME_EVERY seconds while the
 * download moves, and decides when to stop: done, --timeout, no payload for
 * --stall-timeout seconds, or a signal.  Every way out saves resume data
 * first (bounded wait), so rerunning the command resumes.
 */
#include "ferry/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/glob.h"
#include "ferry/magnet.h"
#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/torrent.h"

#define TORRENT_MAX_BYTES (64u * 1024 * 1024) /* a .torrent we will read */
#define URL_TIMEOUT_S     60
#define RESUME_EVERY      2.0  /* seconds between resume saves */
#define RESUME_WAIT       10.0 /* seconds to wait for the last resume save */
#define POLL_MS           100

void
fetch_opts_init(struct fetch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dir = ".";
    o->seed_ratio = -1;
    o->seed_time = -1;
    o->stall_timeout = 600;
    o->dht = o->lsd = o->upnp = true;
}

void
fetch_opts_release(struct fetch_opts *o)
{
    strlist_release(&o->select);
    strlist_release(&o->peers);
    strlist_release(&o->webseeds);
    strlist_release(&o->trackers);
}

/* What the run knows beyond the status snapshot, for the stall message. */
struct run {
    const struct fetch_opts *o;
    struct out *out;
    struct fy_err *err;
    /* fetch_list(): report the files to on_file, download nothing */
    bool list;
    enum fy_rc (*on_file)(void *arg,
                          const struct fetch_file *f,
                          struct fy_err *err);
    void *on_file_arg;
    struct tor_session *s;
    char hex[41];
    char *resume_path;
    char *marker_path; /* <hex>.state: "<boot id> running|clean" */
    char boot[64];     /* this boot's id */
    bool have_meta;
    bool finished;
    int max_peers; /* most peers connected at once, and seeds among them */
    int max_seeds;
    int hash_failures;
    char tracker_url[512];
    char tracker_error[512];
    int64_t tracker_peers;
    int64_t selected_bytes; /* size of the files asked for */
    uint8_t *prio;          /* per file, for tor_start() (0 skip, 4 get) */
    size_t nprio;
    double last_save;
    int64_t saved_done; /* wanted_done at the last save */
};

/* Load the source: magnet (checked), URL or file of a .torrent. */
static enum fy_rc
load_source(const struct fetch_opts *o,
            struct tor_add_params *ap,
            struct sbuf *torrent,
            char hex[41],
            struct fy_err *err)
{
    if (magnet_is(o->source)) {
        enum fy_rc rc = magnet_check(o->source, hex, err);
        ap->magnet = o->source;
        return rc;
    }
    enum fy_rc rc;
    if (remote_is_url(o->source)) {
        long t = URL_TIMEOUT_S;
        if (o->timeout > 0 && o->timeout < t)
            t = (long)o->timeout < 1 ? 1 : (long)o->timeout;
        rc = remote_get_mem(o->source, TORRENT_MAX_BYTES, t, torrent, err);
    } else {
        struct stat st;
        /* a file named on the command line that is not there: I/O (1) */
        if (stat(o->source, &st) != 0)
            return fy_fail_errno(err, FY_ERUNTIME,
                                 "%s: not a magnet link, URL or .torrent file",
                                 o->source);
        rc = fs_read_file(o->source, TORRENT_MAX_BYTES, torrent, NULL, err);
    }
    if (rc != FY_OK)
        return rc;
    if (tor_torrent_infohash(torrent->buf, torrent->len, hex, err) != FY_OK) {
        /* say which source was malformed */
        char why[FY_ERR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err->msg);
        fy_err_clear(err);
        char *show = remote_is_url(o->source) ? remote_url_show(o->source)
                                              : xstrdup(o->source);
        rc =
            fy_fail(err, FY_EINPUT, "%s: not a valid .torrent (%s)", show, why);
        free(show);
        return rc;
    }
    ap->torrent = torrent->buf;
    ap->torrent_len = torrent->len;
    return FY_OK;
}

static void
save_resume(struct run *r, bool flush)
{
    struct fy_err ignore = FY_ERR_INIT;
    if (!r->list && r->resume_path)
        tor_save_resume(r->s, flush, &ignore);
    r->last_save = out_now();
}

static enum fy_rc
store_resume(struct run *r, const struct tor_event *ev)
{
    if (r->resume_path == NULL)
        return FY_OK;
    struct fy_err e = FY_ERR_INIT;
    /* 0600: resume data can hold tracker URLs with passkeys */
    enum fy_rc rc = fs_write_file(r->resume_path, ev->data, ev->len, 0600, &e);
    if (rc != FY_OK)
        out_warn(r->out, "cannot save resume state: %s", e.msg);
    return rc;
}

/*
 * Is path (inside the torrent) safe to write beneath DIR?  SPEC: nothing is
 * written outside DIR, not through a symlink either, and nothing into
 * DIR/.ferry.  Existing components must be real directories and an
 * existing file a regular file.  FY_EREFUSED with the reason.
 */
static enum fy_rc
check_file_path(struct run *r, const char *path, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    char *esc = out_escape(path);
    if (!fetch_path_safe(path)) {
        rc = fy_fail(err, FY_EREFUSED, "%s: unsafe file path in torrent", esc);
    } else if (strncmp(path, FETCH_STATE_DIR, strlen(FETCH_STATE_DIR)) == 0 &&
               (path[strlen(FETCH_STATE_DIR)] == '/' ||
                path[strlen(FETCH_STATE_DIR)] == '\0')) {
        rc = fy_fail(err, FY_EREFUSED,
                     "%s: the torrent writes into %s/, ferry's state "
                     "directory",
                     esc, FETCH_STATE_DIR);
    } else {
        char *sub = xstrdup(path);
        for (char *s = sub;; s++) {
            if (*s != '/' && *s != '\0')
                continue;
            char c = *s;
            *s = '\0';
            char *full = fs_join(r->o->dir, sub);
            struct stat st;
            bool exists = lstat(full, &st) == 0;
            if (exists && S_ISLNK(st.st_mode))
                rc = fy_fail(err, FY_EREFUSED,
                             "%s: is a symlink; fetch never writes through "
                             "links (remove it or fetch into another "
                             "directory)",
                             full);
            else if (exists && c == '\0' && !S_ISREG(st.st_mode))
                rc = fy_fail(err, FY_EREFUSED,
                             "%s: exists and is not a regular file", full);
            free(full);
            *s = c;
            if (!exists || rc != FY_OK || c == '\0')
                break;
        }
        free(sub);
    }
    free(esc);
    return rc;
}

/*
 * Once the metadata is known (before the torrent is started when it comes
 * with the source): check every path, apply --select, report the files
 * to fetch_list()'s callback.
 */
static enum fy_rc
on_metadata(struct run *r)
{
    const struct fetch_opts *o = r->o;
    size_t n = tor_file_count(r->s);
    uint8_t *prio = xcalloc(n ? n : 1, 1);
    size_t selected = 0;
    enum fy_rc rc = FY_OK;
    char *name = tor_name(r->s);
    struct glob_rule *rules = xcalloc(o->select.n + 1, sizeof *rules);
    size_t nrules = 0;
    for (size_t k = 0; k < o->select.n; k++)
        nrules += glob_rule_parse(&rules[nrules], o->select.v[k]);
    for (size_t i = 0; i < n && rc == FY_OK; i++) {
        int64_t size;
        char *path;
        if ((rc = tor_file_at(r->s, i, &size, &path, r->err)) != FY_OK)
            break;
        if (!r->list && (rc = check_file_path(r, path, r->err)) != FY_OK) {
            free(path);
            break;
        }
        if (r->list && !fetch_path_safe(path)) {
            char *esc = out_escape(path);
            rc = fy_fail(r->err, FY_EREFUSED, "%s: unsafe file path in torrent",
                         esc);
            free(esc);
            free(path);
            break;
        }
        bool want = o->select.n == 0 || fetch_select_match(rules, nrules, path);
        prio[i] = want ? 4 : 0;
        selected += want;
        if (want)
            r->selected_bytes += size;
        if (r->list) {
            struct fetch_file f = {i, size, path};
            rc = r->on_file(r->on_file_arg, &f, r->err);
        }
        free(path);
    }
    if (rc == FY_OK && o->select.n > 0 && selected == 0)
        rc = fy_fail(r->err, FY_EINPUT,
                     "--select: no file of the torrent matches");
    if (rc == FY_OK && !r->list) {
        if (tor_started(r->s)) {
            rc = tor_set_file_priorities(r->s, prio, n, r->err);
            save_resume(r, false); /* a magnet never waits for metadata twice */
        } else {
            free(r->prio);
            r->prio = prio;
            r->nprio = n;
            prio = NULL;
        }
        char *esc = out_escape(name ? name : "?");
        out_event(r->out, "metadata", "{sssIsIsI}", "name", esc, "files",
                  (long long)n, "selected", (long long)selected, "size",
                  (long long)tor_total_size(r->s));
        if (o->select.n > 0)
            out_info(r->out, "%s: %zu of %zu files selected", esc, selected, n);
        free(esc);
    }
    for (size_t k = 0; k < nrules; k++)
        glob_rule_release(&rules[k]);
    free(rules);
    free(name);
    free(prio);
    r->have_meta = true;
    return rc;
}

static enum fy_rc
handle_event(struct run *r, const struct tor_event *ev)
{
    struct out *out = r->out;
    char *tracker;
    switch (ev->type) {
    case TOR_EV_METADATA:
        return r->have_meta ? FY_OK : on_metadata(r);
    case TOR_EV_HASH_FAILED:
        r->hash_failures++;
        out_verbose(out, "piece %d failed its hash check; fetching it again",
                    ev->piece);
        out_event(out, "hash_failed", "{si}", "piece", ev->piece);
        break;
    case TOR_EV_PEER_BANNED:
        out_warn(out, "peer %s banned: it sent data that failed hash checks",
                 ev->where);
        break;
    case TOR_EV_TRACKER_ERROR:
        tracker = remote_url_show(ev->where); /* SPEC: no passkey shown */
        snprintf(r->tracker_url, sizeof r->tracker_url, "%s", tracker);
        snprintf(r->tracker_error, sizeof r->tracker_error, "%s", ev->msg);
        out_verbose(out, "tracker %s: %s", tracker, ev->msg);
        out_event(out, "tracker_error", "{ssss}", "tracker", tracker, "message",
                  ev->msg);
        free(tracker);
        break;
    case TOR_EV_TRACKER_REPLY:
        r->tracker_peers += ev->count;
        tracker = remote_url_show(ev->where);
        out_verbose(out, "tracker %s: %lld peers", tracker,
                    (long long)ev->count);
        free(tracker);
        break;
    case TOR_EV_FILE_ERROR:
    case TOR_EV_TORRENT_ERROR:
        /* ELOOP, EXDEV: a symlink appeared on the way (fs_open_beneath) */
        if (ev->code == ELOOP || ev->code == EXDEV)
            return fy_fail(r->err, FY_EREFUSED,
                           "%s: is or passes through a symlink; fetch never "
                           "writes through links",
                           ev->where[0] ? ev->where : r->o->dir);
        return fy_fail(r->err, FY_ERUNTIME, "%s%s%s", ev->where,
                       ev->where[0] ? ": " : "", ev->msg);
    case TOR_EV_LISTEN_FAILED:
        out_warn(out, "cannot listen on %s: %s", ev->where, ev->msg);
        break;
    case TOR_EV_LISTEN_OK:
        out_verbose(out, "listening on %s:%lld", ev->where,
                    (long long)ev->count);
        break;
    case TOR_EV_RESUME_DATA:
        store_resume(r, ev); /* a failure is a warning; the fetch goes on */
        break;
    case TOR_EV_FINISHED:
        r->finished = true;
        break;
    default:
        break;
    }
    return FY_OK;
}

static int
imax(int a, int b)
{
    return a > b ? a : b;
}

/* Drain events for up to wait_ms; returns the first failure. */
static enum fy_rc
pump(struct run *r, int wait_ms)
{
    struct tor_event ev;
    enum fy_rc rc = FY_OK;
    int wait = wait_ms;
    while (tor_poll(r->s, wait, &ev)) {
        enum fy_rc e = handle_event(r, &ev);
        if (rc == FY_OK)
            rc = e;
        wait = 0;
    }
    return rc;
}

/* Ask for a final resume save and wait (bounded) until it is stored. */
static bool
final_save(struct run *r)
{
    if (r->list || r->resume_path == NULL || !tor_has_metadata(r->s))
        return false;
    struct fy_err ignore = FY_ERR_INIT;
    if (tor_save_resume(r->s, true, &ignore) != FY_OK)
        return false;
    double until = out_now() + RESUME_WAIT;
    struct tor_event ev;
    while (out_now() < until) {
        if (!tor_poll(r->s, POLL_MS, &ev))
            continue;
        if (ev.type == TOR_EV_RESUME_DATA)
            return store_resume(r, &ev) == FY_OK;
        if (ev.type == TOR_EV_RESUME_FAILED)
            return false;
    }
    return false;
}

/*
 * The state marker says whether the resume data can be trusted: it reads
 * "<boot id> clean" only after a clean end in that boot.  A run that was
 * killed (marker still "running") or whose data may have been lost with
 * the page cache (a later boot: power loss, VM restart) makes the next run
 * check the files on disk instead: every verified piece there is kept,
 * nothing unverified is trusted.  So the payload needs no fsync.
 */
static enum fy_rc
write_marker(struct run *r, const char *state, struct fy_err *err)
{
    char line[128];
    int n = snprintf(line, sizeof line, "%s %s\n", r->boot, state);
    return fs_write_file(r->marker_path, line, (size_t)n, 0600, err);
}

/*
 * A clean end: stop transfers, store resume data, mark it trusted, or
 * (complete) "complete": a rerun of a complete fetch checks every file on
 * disk again, so "already complete" is said of the bytes there now, and a
 * file changed since is repaired.  DIR/.ferry is kept for that rerun: the
 * pieces of files --select left out (<hex>.parts) and the resume data.
 */
static void
finish_clean(struct run *r, bool complete)
{
    if (r->list || !tor_has_metadata(r->s))
        return;
    tor_pause(r->s);
    struct fy_err ignore = FY_ERR_INIT;
    if (final_save(r))
        write_marker(r, complete ? "complete" : "clean", &ignore);
}

/* This boot's id (Linux), or "unknown". */
static void
boot_id(char id[64])
{
    struct sbuf sb = SBUF_INIT;
    struct fy_err ignore = FY_ERR_INIT;
    snprintf(id, 64, "unknown");
    if (fs_read_file("/proc/sys/kernel/random/boot_id", 63, &sb, NULL,
                     &ignore) == FY_OK &&
        sb.len > 0)
        snprintf(id, 64, "%.*s", (int)strcspn(sb.buf, "\n"), sb.buf);
    sbuf_release(&sb);
}

/* Does the marker say state ("clean": the run that wrote the resume data
 * ended cleanly in this boot; "complete": and its fetch was complete)? */
static bool
marker_says(const struct run *r, const char *state)
{
    struct sbuf sb = SBUF_INIT;
    struct fy_err ignore = FY_ERR_INIT;
    char want[128];
    snprintf(want, sizeof want, "%s %s\n", r->boot, state);
    bool ok =
        strcmp(r->boot, "unknown") != 0 &&
        fs_read_regular(r->marker_path, 256, &sb, NULL, &ignore) == FY_OK &&
        sb.len == strlen(want) && memcmp(sb.buf, want, sb.len) == 0;
    sbuf_release(&sb);
    return ok;
}

static const char *
phase_of(const struct tor_status *st, bool seeding)
{
    switch (st->state) {
    case TOR_CHECKING:
        return "check";
    case TOR_METADATA:
        return "metadata";
    default:
        return seeding ? "seed" : "fetch";
    }
}

static enum fy_rc
stall_error(struct run *r, const struct tor_status *st, double secs)
{
    char tracker[1100] = "";
    if (r->tracker_error[0])
        snprintf(tracker, sizeof tracker, "; tracker %s: %s", r->tracker_url,
                 r->tracker_error);
    else if (st->peers_known == 0 && r->tracker_peers == 0)
        snprintf(tracker, sizeof tracker,
                 "; no tracker, peer or web seed "
                 "gave a usable address");
    char *source = magnet_is(r->o->source)       ? xstrdup("magnet")
                   : remote_is_url(r->o->source) ? remote_url_show(r->o->source)
                                                 : xstrdup(r->o->source);
    enum fy_rc rc =
        fy_fail(r->err, FY_ETIMEOUT,
                "%s: no %s for %.0f s: %d peers connected now, %d at most, "
                "%d known%s",
                source, r->have_meta ? "data" : "metadata", secs, st->peers,
                r->max_peers, st->peers_known, tracker);
    free(source);
    return rc;
}

/*
 * Give files the torrent marks executable their x bits (umask applies),
 * through a descriptor opened beneath DIR without following links.
 */
static void
apply_exec_bits(struct run *r)
{
    size_t n = tor_file_count(r->s);
    mode_t mask = fs_umask(); /* libtorrent's threads may be making files */
    int root = open(r->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; i < n && root >= 0; i++) {
        int64_t size;
        char *path;
        struct fy_err ignore = FY_ERR_INIT;
        if (!tor_file_executable(r->s, i) ||
            tor_file_at(r->s, i, &size, &path, &ignore) != FY_OK)
            continue;
        int fd = fs_open_beneath(root, path, O_RDONLY | O_NONBLOCK, 0);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            (void)fchmod(fd, (st.st_mode | (0111 & ~mask)) & 07777);
        if (fd >= 0)
            close(fd);
        free(path);
    }
    if (root >= 0)
        close(root);
}

static void
summary(struct run *r, const struct tor_status *st, double secs)
{
    char *name = tor_name(r->s);
    char *esc = out_escape(name ? name : "?");
    char size[24], rate[24], got[24];
    double rt = secs > 0 ? (double)st->session_down / secs : 0;
    out_fmt_size(size, sizeof size, r->selected_bytes);
    out_fmt_size(rate, sizeof rate, (int64_t)rt);
    out_fmt_size(got, sizeof got, st->session_down);
    bool already = st->session_down == 0; /* every piece was on disk */
    if (already)
        out_info(r->out, "%s: already complete (%s, every piece checked)", esc,
                 size);
    else
        out_info(r->out,
                 "fetched %s: %s in %.2f s (%s received, %s/s, from up to %d "
                 "peer%s, %d seed%s)",
                 esc, size, secs, got, rate, r->max_peers,
                 r->max_peers == 1 ? "" : "s", r->max_seeds,
                 r->max_seeds == 1 ? "" : "s");
    out_event(r->out, "done", "{sssIsIsfsfsisisisbsI}", "name", esc, "bytes",
              (long long)r->selected_bytes, "session_down",
              (long long)st->session_down, "seconds", secs, "rate", rt,
              "hash_failures", r->hash_failures, "peers_max", r->max_peers,
              "seeds_max", r->max_seeds, "already_complete", already,
              "webseed_held", (long long)st->webseed_held);
    free(esc);
    free(name);
    if (r->o->stats != NULL) {
        r->o->stats->bytes = r->selected_bytes;
        r->o->stats->session_down = st->session_down;
        r->o->stats->seconds = secs;
    }
}

static enum fy_rc
loop(struct run *r)
{
    const struct fetch_opts *o = r->o;
    struct tor_status st;
    double start = out_now(), last_move = start, seed_start = -1;
    int64_t last_down = -1, last_done = -1;
    enum fy_rc rc;
    if (!r->have_meta && tor_has_metadata(r->s) &&
        (rc = on_metadata(r)) != FY_OK)
        return rc;
    if (r->list && r->have_meta)
        return FY_OK;
    for (;;) {
        if ((rc = pump(r, POLL_MS)) != FY_OK)
            return rc;
        if (r->list && r->have_meta)
            return FY_OK;
        if ((rc = tor_get_status(r->s, &st, r->err)) != FY_OK)
            return rc;
        if (st.state == TOR_ERROR)
            return fy_fail(r->err, FY_ERUNTIME, "%s", st.error);
        double now = out_now();
        r->max_peers = imax(r->max_peers, imax(st.peers, st.sources_max));
        r->max_seeds = imax(r->max_seeds, imax(st.seeds, st.seed_sources_max));
        /* a magnet's files start at priority 0 ("finished" at once) and
         * the priorities fetch sets apply asynchronously: done only once
         * the selected bytes are wanted */
        bool done = r->have_meta && st.wanted >= r->selected_bytes &&
                    (st.state == TOR_FINISHED || st.state == TOR_SEEDING);
        struct out_progress p = OUT_PROGRESS_INIT;
        p.phase = phase_of(&st, seed_start >= 0);
        p.done = st.state == TOR_CHECKING
                     ? (int64_t)(st.progress * (double)st.wanted)
                     : st.wanted_done;
        p.total = r->have_meta ? st.wanted : -1;
        /* libtorrent's rates lag by seconds: out.c measures ours */
        p.rate = seed_start >= 0 ? st.up_rate : -1;
        if (seed_start >= 0) { /* what seeding does: sent, ratio */
            p.done = st.session_up;
            p.ratio =
                st.wanted > 0 ? (double)st.all_time_up / (double)st.wanted : 0;
        }
        p.peers = st.peers;
        p.seeds = st.seeds;
        p.session_down = st.session_down;
        p.session_up = st.session_up;
        if (done && seed_start < 0) {
            if (now > start)
                p.rate = (double)st.session_down / (now - start);
            /* libtorrent drops the seeds once the data is complete: the
             * last line says how many the data came from */
            p.peers = r->max_peers;
            p.seeds = r->max_seeds;
        }
        out_progress(r->out, &p, done && seed_start < 0);

        if (st.session_down != last_down || st.wanted_done != last_done ||
            st.state == TOR_CHECKING) {
            last_down = st.session_down;
            last_done = st.wanted_done;
            last_move = now;
        }
        if (st.wanted_done != r->saved_done &&
            now - r->last_save >= RESUME_EVERY) {
            r->saved_done = st.wanted_done;
            save_resume(r, false);
        }
        if (done && seed_start < 0) {
            out_progress_end(r->out);
            apply_exec_bits(r);
            summary(r, &st, now - start);
            if (o->seed_ratio < 0 && o->seed_time < 0)
                return FY_OK;
            final_save(r);
            seed_start = now;
            out_info(r->out, "seeding until %s",
                     o->seed_ratio >= 0 && o->seed_time >= 0
                         ? "the ratio or the time is reached"
                     : o->seed_ratio >= 0 ? "the ratio is reached"
                                          : "the time is up");
        }
        if (seed_start >= 0) {
            double ratio =
                st.wanted > 0 ? (double)st.all_time_up / (double)st.wanted : 0;
            if ((o->seed_ratio >= 0 && ratio >= o->seed_ratio) ||
                (o->seed_time >= 0 && now - seed_start >= o->seed_time))
                return FY_OK;
            last_move = now; /* a seed never stalls */
        }
        if (fy_interrupted() && seed_start >= 0) {
            /* the fetch itself is done: stopping the extra seeding is a
             * normal end (exit 0), with nothing to resume */
            out_info(r->out, "seeding stopped by a signal; %s is complete",
                     o->dir);
            return FY_OK;
        }
        if (fy_interrupted())
            return fy_fail(r->err, FY_EINTR,
                           "interrupted: state saved in %s/.ferry; rerun to "
                           "resume",
                           o->dir);
        if (o->timeout > 0 && now - start >= o->timeout)
            return fy_fail(
                r->err, FY_ETIMEOUT, "%s: --timeout %.0f s reached at %.1f%%",
                r->have_meta ? "fetch" : "metadata", o->timeout,
                p.total > 0 ? 100.0 * (double)p.done / (double)p.total : 0.0);
        if (o->stall_timeout > 0 && now - last_move >= o->stall_timeout)
            return stall_error(r, &st, now - last_move);
    }
}

/* lstat path: a symlink there is refused (FY_EREFUSED). */
static enum fy_rc
refuse_link(const char *path, const char *what, struct fy_err *err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return fy_fail(err, FY_EREFUSED,
                       "%s: is a symlink; fetch keeps its %s only in a real "
                       "directory (remove the link)",
                       path, what);
    return FY_OK;
}

/*
 * libtorrent keeps the pieces of unselected files that it had to download
 * in DIR/.<infohash>.parts while it runs; between runs that file lives in
 * DIR/.ferry, so a fetch leaves nothing of its own in DIR.  Moves it into
 * the state directory (to_state) or back; never over an existing file.
 */
static void
move_parts(const struct run *r, bool to_state)
{
    char *in_dir = xasprintf("%s/.%s.parts", r->o->dir, r->hex);
    char *in_state =
        xasprintf("%s/%s/%s.parts", r->o->dir, FETCH_STATE_DIR, r->hex);
    const char *from = to_state ? in_dir : in_state;
    const char *to = to_state ? in_state : in_dir;
    struct stat st;
    if (lstat(from, &st) == 0 && S_ISREG(st.st_mode) && lstat(to, &st) != 0 &&
        errno == ENOENT)
        (void)rename(from, to);
    free(in_state);
    free(in_dir);
}

/*
 * DIR/.ferry: make it (never through a symlink), find the resume data and
 * the marker, mark this run "running".
 */
static enum fy_rc
open_state(struct run *r, struct tor_add_params *ap, struct sbuf *resume)
{
    char *state_dir = fs_join(r->o->dir, FETCH_STATE_DIR);
    char *parts = xasprintf("%s/.%s.parts", r->o->dir, r->hex);
    enum fy_rc rc;
    if ((rc = refuse_link(state_dir, "state", r->err)) != FY_OK ||
        (rc = refuse_link(parts, "partial pieces", r->err)) != FY_OK ||
        (rc = fs_mkdir_p(state_dir, 0755, r->err)) != FY_OK ||
        (rc = refuse_link(state_dir, "state", r->err)) != FY_OK)
        goto out;
    char *name = xasprintf("%s.resume", r->hex);
    r->resume_path = fs_join(state_dir, name);
    free(name);
    name = xasprintf("%s.state", r->hex);
    r->marker_path = fs_join(state_dir, name);
    free(name);
    boot_id(r->boot);
    bool missing;
    struct fy_err why = FY_ERR_INIT;
    if (fs_read_regular(r->resume_path, TORRENT_MAX_BYTES * 2, resume, &missing,
                        &why) == FY_OK) {
        ap->resume = resume->buf;
        ap->resume_len = resume->len;
        bool complete = marker_says(r, "complete");
        ap->recheck = !marker_says(r, "clean");
        out_verbose(r->out, "resuming from %s%s", r->resume_path,
                    complete      ? " (complete before: checking the files)"
                    : ap->recheck ? " (the last run did not end cleanly: "
                                    "checking the files)"
                                  : "");
    } else if (!missing) {
        out_warn(r->out, "ignoring resume data: %s", why.msg);
    }
    move_parts(r, false);
    rc = write_marker(r, "running", r->err);
out:
    free(parts);
    free(state_dir);
    return rc;
}

/*
 * One session for fetch, --list or seed: the options a run shares, and
 * the source, peers and trackers in ap (which tor_prepare()/tor_add()
 * take next).  seed uploads only; --list fetches the metadata only.
 */
static enum fy_rc
open_session(struct run *r, struct tor_add_params *ap, bool seeding)
{
    const struct fetch_opts *o = r->o;
    struct tor_options to;
    tor_options_init(&to);
    to.listen = o->listen;
    to.dht = o->dht;
    to.lsd = o->lsd;
    to.upnp = to.natpmp = o->upnp;
    to.max_down = o->max_down;
    to.max_up = o->max_up;
    to.metadata_only = r->list;
    to.seeding = seeding;
    r->s = o->session ? tor_session_view(o->session, r->err)
                      : tor_session_new(&to, r->err);
    if (r->s == NULL)
        return r->err->rc;
    ap->save_path = o->dir;
    ap->upload_only = seeding;
    ap->super_seed = seeding && o->super_seed;
    ap->send_once = seeding && o->send_once;
    ap->peers = (const char *const *)o->peers.v;
    ap->npeers = o->peers.n;
    ap->webseeds = (const char *const *)o->webseeds.v;
    ap->nwebseeds = o->webseeds.n;
    ap->trackers = (const char *const *)o->trackers.v;
    ap->ntrackers = o->trackers.n;
    return FY_OK;
}

/* fetch_run() and fetch_list(): r->list and r->on_file are set. */
static enum fy_rc
fetch(struct run *r)
{
    const struct fetch_opts *o = r->o;
    struct sbuf torrent = SBUF_INIT, resume = SBUF_INIT;
    struct tor_add_params ap;
    memset(&ap, 0, sizeof ap);
    r->saved_done = -1;
    enum fy_rc rc = load_source(o, &ap, &torrent, r->hex, r->err);
    if (rc != FY_OK || (rc = fetch_resolve_peers(o, r->err)) != FY_OK)
        goto out;
    if (!r->list && (rc = open_state(r, &ap, &resume)) != FY_OK)
        goto out;
    if ((rc = open_session(r, &ap, false)) != FY_OK)
        goto out;
    out_event(r->out, "start", "{ssssss?}", "infohash", r->hex, "dir", o->dir,
              "resume", r->resume_path);
    /* SPEC: every path is checked before anything touches the disk */
    if ((rc = tor_prepare(r->s, &ap, r->err)) != FY_OK ||
        (tor_has_metadata(r->s) && (rc = on_metadata(r)) != FY_OK))
        goto out;
    if (r->list && r->have_meta)
        goto out; /* --list of a .torrent: nothing to start */
    if ((rc = tor_start(r->s, r->prio, r->nprio, r->err)) != FY_OK)
        goto out;
    rc = loop(r);
    if (rc == FY_OK || rc == FY_EINTR || rc == FY_ETIMEOUT)
        finish_clean(r, rc == FY_OK);
out:
    out_progress_end(r->out);
    tor_session_free(r->s); /* the part file is complete after this */
    if (r->marker_path != NULL)
        move_parts(r, true);
    free(r->resume_path);
    free(r->marker_path);
    free(r->prio);
    sbuf_release(&resume);
    sbuf_release(&torrent);
    return rc;
}

enum fy_rc
fetch_run(const struct fetch_opts *o, struct out *out, struct fy_err *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.out = out;
    r.err = err;
    return fetch(&r);
}

enum fy_rc
fetch_list(const struct fetch_opts *o,
           enum fy_rc (*on_file)(void *arg,
                                 const struct fetch_file *f,
                                 struct fy_err *err),
           void *arg,
           struct out *out,
           struct fy_err *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.out = out;
    r.err = err;
    r.list = true;
    r.on_file = on_file;
    r.on_file_arg = arg;
    return fetch(&r);
}

/* seed: a .torrent (not a magnet), peers that resolve, DIR a directory. */
static enum fy_rc
seed_prepare(struct run *r, struct tor_add_params *ap, struct sbuf *torrent)
{
    const struct fetch_opts *o = r->o;
    enum fy_rc rc;
    if (magnet_is(o->source))
        return fy_fail(r->err, FY_EINPUT,
                       "%s: seed needs a .torrent file, not a magnet link",
                       o->source);
    if ((rc = load_source(o, ap, torrent, r->hex, r->err)) != FY_OK ||
        (rc = fetch_resolve_peers(o, r->err)) != FY_OK)
        return rc;
    struct stat sb;
    if (stat(o->dir, &sb) != 0) /* missing: I/O (1) */
        return fy_fail_errno(r->err, FY_ERUNTIME, "%s", o->dir);
    if (!S_ISDIR(sb.st_mode)) /* the wrong kind of input (3) */
        return fy_fail(r->err, FY_EINPUT, "%s: not a directory", o->dir);
    return FY_OK;
}

/* Check every piece of DIR against the torrent: all there, or refused. */
static enum fy_rc
seed_check(struct run *r, struct tor_status *st)
{
    enum fy_rc rc;
    for (;;) {
        if ((rc = pump(r, POLL_MS)) != FY_OK ||
            (rc = tor_get_status(r->s, st, r->err)) != FY_OK)
            return rc;
        if (st->state == TOR_ERROR)
            return fy_fail(r->err, FY_ERUNTIME, "%s", st->error);
        if (st->state != TOR_CHECKING && st->state != TOR_METADATA)
            break;
        struct out_progress p = OUT_PROGRESS_INIT;
        p.phase = "check";
        p.total = tor_total_size(r->s);
        p.done = (int64_t)(st->progress * (double)p.total);
        out_progress(r->out, &p, false);
        if (fy_interrupted())
            return fy_fail(r->err, FY_EINTR, "interrupted while checking");
    }
    out_progress_end(r->out);
    if (st->state != TOR_SEEDING)
        return fy_fail(r->err, FY_EREFUSED,
                       "%s: does not match the torrent: %d of %d pieces "
                       "verified",
                       r->o->dir, st->pieces_done, st->pieces);
    return FY_OK;
}

/* Upload until a signal, --seed-time or --seed-ratio. */
static enum fy_rc
seed_upload(struct run *r, struct tor_status *st)
{
    const struct fetch_opts *o = r->o;
    char *name = tor_name(r->s), *esc = out_escape(name ? name : "?");
    out_info(r->out,
             "seeding %s (%d pieces verified) on port %d%s; Ctrl-C "
             "stops",
             esc, st->pieces, st->listen_port,
             st->super_seeding ? ", super seeding" : "");
    out_event(r->out, "seeding", "{sssssisbsb}", "name", esc, "infohash",
              r->hex, "port", st->listen_port, "super_seed", st->super_seeding,
              "send_once", o->send_once);
    free(esc);
    free(name);
    fflush(stderr);
    double start = out_now();
    enum fy_rc rc;
    while (!fy_interrupted()) {
        if ((rc = pump(r, 200)) != FY_OK ||
            (rc = tor_get_status(r->s, st, r->err)) != FY_OK)
            return rc;
        struct out_progress p = OUT_PROGRESS_INIT;
        double ratio =
            st->wanted > 0 ? (double)st->session_up / (double)st->wanted : 0;
        p.phase = "seed";
        p.done = st->session_up;
        p.rate = st->up_rate;
        p.peers = st->peers;
        p.seeds = st->seeds;
        p.session_down = st->session_down;
        p.session_up = st->session_up;
        p.ratio = ratio;
        out_progress(r->out, &p, false);
        if ((o->seed_time >= 0 && out_now() - start >= o->seed_time) ||
            (o->seed_ratio >= 0 && ratio >= o->seed_ratio))
            break;
    }
    out_progress_end(r->out);
    char up[24];
    double ratio =
        st->wanted > 0 ? (double)st->session_up / (double)st->wanted : 0;
    out_fmt_size(up, sizeof up, st->session_up);
    out_info(r->out, "stopped seeding: %s sent, ratio %.2f", up, ratio);
    out_event(r->out, "done", "{sIsfsI}", "session_up",
              (long long)st->session_up, "share_ratio", ratio, "held_back",
              (long long)st->held_back);
    return FY_OK;
}

enum fy_rc
fetch_seed(const struct fetch_opts *o, struct out *out, struct fy_err *err)
{
    struct run r;
    struct sbuf torrent = SBUF_INIT;
    struct tor_add_params ap;
    struct tor_status st;
    memset(&r, 0, sizeof r);
    memset(&ap, 0, sizeof ap);
    r.o = o;
    r.out = out;
    r.err = err;
    enum fy_rc rc;
    if ((rc = seed_prepare(&r, &ap, &torrent)) != FY_OK)
        goto out;
    char *shown = remote_is_url(o->source) ? remote_url_show(o->source)
                                           : xstrdup(o->source);
    out_event(out, "start", "{ssssss}", "infohash", r.hex, "dir", o->dir,
              "torrent", shown); /* SPEC: a URL's secrets hidden */
    free(shown);
    if ((rc = open_session(&r, &ap, true)) != FY_OK ||
        (rc = tor_add(r.s, &ap, err)) != FY_OK)
        goto out;
    r.have_meta = true;
    if ((rc = seed_check(&r, &st)) == FY_OK)
        rc = seed_upload(&r, &st);
out:
    out_progress_end(out);
    tor_session_free(r.s);
    sbuf_release(&torrent);
    return rc;
}
