/*
 * session_auto.c - autosave: keep saving the workspace while the VM runs
 * (include/ferry/session.h; doc/SESSION.md "Autosave").
 *
 * The loop runs on the calling thread and sleeps in short steps on the
 * monotonic clock, so a signal is seen within 100 ms.  Each interval it
 * takes a digest of the workspace (session_scan(): names, types, sizes,
 * modes, mtimes and ctimes to the nanosecond, inodes; a file rewritten
 * within one mtime tick still changes its ctime or its inode) and saves
 * through session_save() when the digest differs from the one taken just
 * before the last save that succeeded, so a change made while a save runs
 * is saved at the next interval.  Saves never overlap: the loop waits for
 * one to end, and intervals missed meanwhile fold into one check.
 * SIGTERM, SIGINT and SIGHUP end the loop: the first only asks it to
 * stop (handlers of its own while it runs), so a save that runs ends
 * normally, then the last save runs; a second one goes to ferry's own
 * handler (the interrupt flag), which stops the save then running.
 */
#include "ferry/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ferry/arc.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/remote.h"

#define SCAN_MAX_DEPTH 256

/* ------------------------------------------------------------- scan */

struct scan {
    struct arc_excludes ex;
    struct sbuf path; /* relative path of the directory being read */
    uint64_t sum;
    struct fy_err *err;
};

/* FNV-1a over bytes, then a final mix (splitmix64). */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t
mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* One entry's part of the digest: order does not matter (a sum). */
static void
add_entry(struct scan *s, const char *rel, const struct stat *sb)
{
    int64_t v[] = {(int64_t)sb->st_mode,        (int64_t)sb->st_size,
                   (int64_t)sb->st_mtim.tv_sec, (int64_t)sb->st_mtim.tv_nsec,
                   (int64_t)sb->st_ctim.tv_sec, (int64_t)sb->st_ctim.tv_nsec,
                   (int64_t)sb->st_ino,         (int64_t)sb->st_dev,
                   (int64_t)sb->st_uid,         (int64_t)sb->st_gid};
    uint64_t h = fnv(0xcbf29ce484222325ULL, rel, strlen(rel) + 1);
    h = fnv(h, v, sizeof v);
    s->sum += mix(h);
}

static enum fy_rc
scan_dir(struct scan *s, int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return fy_fail_errno(s->err, FY_ERUNTIME, "%s", s->path.buf);
    }
    size_t plen = s->path.len;
    enum fy_rc rc = FY_OK;
    struct dirent *de;
    unsigned n = 0;
    while (rc == FY_OK && (errno = 0, de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
            continue;
        if ((++n & 1023) == 0 && fy_interrupted()) {
            rc = fy_fail(s->err, FY_EINTR, "workspace scan: interrupted");
            break;
        }
        if (depth == 0 && strcmp(nm, ARC_STATE_DIR) == 0)
            continue;
        s->path.len = plen;
        sbuf_adds(&s->path, nm);
        const char *rel = s->path.buf;
        struct stat sb;
        if (fstatat(dirfd(d), nm, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* gone meanwhile: the next scan sees it */
            rc = fy_fail_errno(s->err, FY_ERUNTIME, "%s", rel);
            break;
        }
        bool dir = S_ISDIR(sb.st_mode);
        if (arc_excludes_match(&s->ex, rel, dir))
            continue;
        add_entry(s, rel, &sb);
        if (!dir || depth >= SCAN_MAX_DEPTH)
            continue;
        int cfd = openat(dirfd(d), nm,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) {
            if (errno == ENOENT)
                continue;
            rc = fy_fail_errno(s->err, FY_ERUNTIME, "%s", rel);
            break;
        }
        sbuf_add(&s->path, "/", 1);
        rc = scan_dir(s, cfd, depth + 1);
    }
    if (rc == FY_OK && errno != 0)
        rc = fy_fail_errno(s->err, FY_ERUNTIME, "%s", s->path.buf);
    s->path.len = plen;
    if (s->path.buf != NULL)
        s->path.buf[plen] = '\0';
    closedir(d);
    return rc;
}

enum fy_rc
session_scan(const char *dir,
             const struct strlist *exclude,
             uint64_t *digest,
             struct fy_err *err)
{
    struct scan s = {ARC_EXCLUDES_INIT, SBUF_INIT, 0, err};
    char *ign = fs_join(dir, ".ferryignore");
    enum fy_rc rc = arc_excludes_load(&s.ex, ign, true, err);
    free(ign);
    for (size_t i = 0; exclude != NULL && i < exclude->n; i++)
        arc_excludes_add(&s.ex, exclude->v[i]);
    sbuf_adds(&s.path, "");
    if (rc == FY_OK) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
        else
            rc = scan_dir(&s, fd, 0);
    }
    *digest = mix(s.sum ^ 0x5ca1ab1eULL);
    arc_excludes_release(&s.ex);
    sbuf_release(&s.path);
    return rc;
}

/* ------------------------------------------------------------- loop */

/*
 * The first SIGTERM, SIGINT or SIGHUP only asks the loop to stop (a save
 * that runs goes on to its end); a second one is passed to ferry's own
 * handler (fy_signals_install), which raises the interrupt flag every
 * engine polls: the save then running stops.
 */
static volatile sig_atomic_t stop_sig;
static struct sigaction prev_int, prev_term, prev_hup;

static void
on_stop(int sig)
{
    if (stop_sig == 0) {
        stop_sig = sig;
        return;
    }
    const struct sigaction *p = sig == SIGINT ? &prev_int : &prev_term;
    if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
        p->sa_handler(sig == SIGHUP ? SIGTERM : sig);
    } else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static void
stop_handlers(bool on)
{
    if (!on) {
        sigaction(SIGINT, &prev_int, NULL);
        sigaction(SIGTERM, &prev_term, NULL);
        sigaction(SIGHUP, &prev_hup, NULL);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    stop_sig = 0;
    sigaction(SIGINT, &sa, &prev_int);
    sigaction(SIGTERM, &sa, &prev_term);
    sigaction(SIGHUP, &sa, &prev_hup);
}

static bool
stopping(void)
{
    return stop_sig != 0 || fy_interrupted();
}

/* Sleep until the monotonic time `until` or a signal. */
static void
nap_until(double until)
{
    while (!stopping()) {
        double left = until - out_now();
        if (left <= 0)
            return;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void
said_saved(struct out *out,
           const char *why,
           const struct session_saved *r,
           double secs)
{
    char size[24], *show = remote_url_show(r->url);
    out_fmt_size(size, sizeof size, r->archive);
    out_info(out, "%s: saved %lld files as %s to %s in %.1f s (%d kept%s)", why,
             (long long)r->files, size, show, secs, r->kept,
             r->removed > 0 ? ", older removed" : "");
    out_event(out, "saved", "{sssssIsIsIsisisf}", "why", why, "url", show,
              "files", (long long)r->files, "bytes", (long long)r->bytes,
              "archive_bytes", (long long)r->archive, "kept", r->kept,
              "removed", r->removed, "seconds", secs);
    free(show);
}

/* One save; on success *saved = before (the digest taken before it). */
static enum fy_rc
save_once(const struct session_workspace *ws,
          const struct remote_opts *o,
          struct out *out,
          const char *why,
          struct fy_err *err)
{
    struct session_saved r;
    double t0 = out_now();
    enum fy_rc rc = session_save(ws, o, out, &r, err);
    if (rc == FY_OK)
        said_saved(out, why, &r, out_now() - t0);
    session_saved_release(&r);
    return rc;
}

/* The loop; returns when a signal asked it to stop (or an interrupt). */
static void
loop(const struct session_workspace *ws,
     const struct remote_opts *o,
     struct out *out,
     bool save_first,
     uint64_t *saved,
     bool *valid)
{
    double every = ws->autosave > 0 ? ws->autosave : SESSION_AUTOSAVE_DEFAULT;
    uint64_t now = 0;
    struct fy_err e = FY_ERR_INIT;
    if (!save_first && session_scan(ws->path, &ws->exclude, saved, &e) == FY_OK)
        *valid = true;
    else if (!save_first)
        out_warn(out, "autosave: %s", e.msg);
    out_info(out,
             "autosave: every %.0f s while the workspace changes; "
             "SIGTERM, SIGHUP or Ctrl-C saves a last time and stops",
             every);
    double next = save_first ? out_now() : out_now() + every;
    for (;;) {
        nap_until(next);
        if (stopping())
            return;
        double t = out_now();
        next += every;
        if (next <= t)
            next = t + every; /* a long save: missed intervals fold */
        fy_err_clear(&e);
        if (session_scan(ws->path, &ws->exclude, &now, &e) != FY_OK) {
            if (e.rc == FY_EINTR)
                return;
            out_warn(out, "autosave: %s", e.msg);
            continue;
        }
        if (*valid && now == *saved) {
            out_verbose(out, "autosave: no change");
            continue;
        }
        fy_err_clear(&e);
        enum fy_rc rc = save_once(ws, o, out, "autosave", &e);
        if (rc == FY_OK) {
            *saved = now;
            *valid = true;
        } else if (rc == FY_EINTR || fy_interrupted()) {
            return;
        } else {
            out_warn(out, "autosave failed (tried again in %.0f s): %s",
                     next - out_now() > 0 ? next - out_now() : 0.0, e.msg);
        }
    }
}

static enum fy_rc
autosave_loop(const struct session_workspace *ws,
              const struct remote_opts *o,
              struct out *out,
              bool save_first,
              struct fy_err *err)
{
    /* saved: the digest the last good save was made from; valid: known */
    uint64_t saved = 0, now = 0;
    bool valid = false;
    stop_handlers(true);
    loop(ws, o, out, save_first, &saved, &valid);

    /* stopped: one last save, unless nothing changed since the last */
    enum fy_rc rc = FY_OK;
    struct fy_err e = FY_ERR_INIT;
    int sig = stop_sig;
    if (fy_pipe_closed()) {
        rc = fy_fail(err, FY_EPIPE, "autosave: output closed");
    } else if (fy_interrupted()) {
        /* a second signal stopped a save: what is current stays */
        rc = fy_fail(err, FY_EINTR,
                     "autosave: interrupted (the current save is the last "
                     "one completed)");
    } else if (valid &&
               session_scan(ws->path, &ws->exclude, &now, &e) == FY_OK &&
               now == saved) {
        out_info(out, "autosave: %s: nothing changed since the last save",
                 strsignal(sig));
    } else {
        out_info(out, "autosave: %s: saving a last time", strsignal(sig));
        rc = save_once(ws, o, out, "final save", err);
    }
    stop_handlers(false);
    return rc;
}

enum fy_rc
session_autosave(const struct session_workspace *ws,
                 const struct remote_opts *o,
                 struct out *out,
                 struct fy_err *err)
{
    return autosave_loop(ws, o, out, false, err);
}

enum fy_rc
session_autosave_down(const struct session_workspace *ws,
                      const struct remote_opts *o,
                      struct out *out,
                      struct fy_err *err)
{
    return autosave_loop(ws, o, out, true, err);
}
