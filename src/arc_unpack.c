/*
 * arc_unpack.c - unpack: the walk of arc_walk.c, with every entry that
 * passed its gate created in a locked staging directory beside the
 * target: regular files by the writer pool (arc_pwrite.c: openat2 beneath
 * the stage, never through a symlink), directories, links and the rest by
 * libarchive's archive_write_disk with the SECURE_* flags (and everything
 * by it when there is no pool: a zip file, or --same-owner as root); all
 * data is hashed as it is read and compared with the manifest at the end.
 * The stage is synced (syncfs) and renamed into place only when every
 * check passed.
 *
 * Invariants: nothing is written outside the staging directory; the target
 * is touched only by the final rename (or RENAME_EXCHANGE with --force);
 * every error path removes the staging tree and restores the cwd.
 */
#include "ferry/arc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "arc_int.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

#define KICK_MIN (256u << 10) /* start writeback of files this big */

static const char *
special_name(char type)
{
    switch (type) {
    case 'c':
        return "character device";
    case 'b':
        return "block device";
    case 'p':
        return "FIFO";
    case 's':
        return "socket";
    default:
        return "special file";
    }
}

struct unpacker {
    const struct arc_unpack_opts *o;
    struct out *out;
    struct fy_err *err;
    struct arc_stats *st;
    const char *dir;     /* as given */
    char *target;        /* absolute */
    char *parent, *base; /* of target */
    int parentfd;
    bool exists, isdir, nonempty;
    mode_t old_mode;
    char *stage_name; /* base.ferry-XXXXXX, in parent */
    int stage_fd;
    struct archive *disk;
    struct arc_writers *writers;      /* the pool, or NULL: write inline */
    int64_t state_skipped;            /* entries under .ferry/ left out */
    const struct arc_layer_hooks *lh; /* arc_unpack_layers, else NULL */
    size_t layer;                     /* the archive being walked */
    bool layer_started;               /* it gave its first entry */
};

#define MEMBER_MAX (1u << 20) /* .ferry/ members handed to lh->member */

static bool
dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return false;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = false;
    closedir(d);
    return empty;
}

static bool
staging_name(const char *name, const char *base)
{
    size_t bl = strlen(base), pl = strlen(".ferry-");
    if (strncmp(name, base, bl) != 0 || strncmp(name + bl, ".ferry-", pl) != 0)
        return false;
    const char *x = name + bl + pl;
    if (strlen(x) != 6)
        return false;
    for (; *x; x++)
        if (!((*x >= 'a' && *x <= 'z') || (*x >= 'A' && *x <= 'Z') ||
              (*x >= '0' && *x <= '9')))
            return false;
    return true;
}

/* Remove staging directories of this target left by a killed run: only
 * ours (the name pattern) and only unlocked ones (no live unpack). */
static void
clean_stale(struct unpacker *u)
{
    int fd = dup(u->parentfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!staging_name(de->d_name, u->base))
            continue;
        int sfd = openat(u->parentfd, de->d_name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (sfd < 0)
            continue;
        /* ours: made by this user, and no live unpack holds its lock */
        if (fstat(sfd, &st) == 0 && st.st_uid == geteuid() &&
            flock(sfd, LOCK_EX | LOCK_NB) == 0) {
            struct fy_err tmp = FY_ERR_INIT;
            if (fs_remove_tree_at(u->parentfd, de->d_name, &tmp) == FY_OK)
                out_verbose(u->out,
                            "removed %s/%s (left by an interrupted "
                            "unpack)",
                            u->parent, de->d_name);
            else
                out_warn(u->out, "cannot remove leftover %s", tmp.msg);
        }
        close(sfd);
    }
    closedir(d);
}

static enum fy_rc
target_prepare(struct unpacker *u)
{
    struct stat st;
    const char *dir = u->dir;
    if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* SPEC (issue 9): never unpack (or --force replace) through a
         * link: the tree would land, or be swapped, where it points */
        char *real = realpath(dir, NULL);
        if (real != NULL)
            fy_fail(u->err, FY_EREFUSED,
                    "%s: is a symlink (to %s); give the real directory", dir,
                    real);
        else
            fy_fail(u->err, FY_EREFUSED,
                    "%s: is a symlink; give the real directory", dir);
        free(real);
        return u->err->rc;
    }
    if (lstat(dir, &st) == 0) {
        u->target = realpath(dir, NULL);
        if (u->target == NULL || stat(u->target, &st) != 0)
            return fy_fail_errno(u->err, FY_ERUNTIME, "%s", dir);
        u->exists = true;
        u->isdir = S_ISDIR(st.st_mode);
        u->old_mode = st.st_mode & 07777;
    } else if (errno == ENOENT) {
        char *parent = fs_dirname(dir), *base = fs_basename(dir);
        enum fy_rc rc = FY_OK;
        if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
            strcmp(base, "/") == 0)
            rc = fy_fail(u->err, FY_EUSAGE, "%s: not a usable directory name",
                         dir);
        if (rc == FY_OK)
            rc = fs_mkdir_p(parent, 0777, u->err);
        char *rp = rc == FY_OK ? realpath(parent, NULL) : NULL;
        if (rc == FY_OK && rp == NULL)
            rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s", parent);
        if (rc == FY_OK)
            u->target = fs_join(rp, base);
        free(rp);
        free(parent);
        free(base);
        if (rc != FY_OK)
            return rc;
    } else {
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s", dir);
    }
    if (strcmp(u->target, "/") == 0)
        return fy_fail(u->err, FY_EREFUSED, "%s: refusing to replace /", dir);
    u->parent = fs_dirname(u->target);
    u->base = fs_basename(u->target);
    u->parentfd = open(u->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (u->parentfd < 0)
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->parent);
    clean_stale(u);
    if (u->exists) {
        u->nonempty = !(u->isdir && dir_empty(u->target));
        if (u->nonempty && !u->o->force)
            return fy_fail(u->err, FY_EREFUSED,
                           "%s: exists and is not %s (use --force to "
                           "replace it)",
                           dir, u->isdir ? "empty" : "a directory");
    }
    return FY_OK;
}

static enum fy_rc
stage_make(struct unpacker *u)
{
    char *tmpl = xasprintf("%s/%s.ferry-XXXXXX", u->parent, u->base);
    enum fy_rc rc = FY_OK;
    /* errors name DIR as given: the staging name is ours, not the user's
     * (it shares DIR's parent, so the errno is the same) */
    if (mkdtemp(tmpl) == NULL) {
        rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->dir);
    } else {
        u->stage_name = fs_basename(tmpl);
        u->stage_fd = openat(u->parentfd, u->stage_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (u->stage_fd < 0)
            rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->dir);
        else if (flock(u->stage_fd, LOCK_EX) != 0)
            rc = fy_fail_errno(u->err, FY_ERUNTIME, "%s: lock", u->dir);
    }
    free(tmpl);
    return rc;
}

/* Sync the staging tree, then move it into place; --force swaps the old
 * tree out atomically (RENAME_EXCHANGE) and removes it afterwards. */
static enum fy_rc
stage_commit(struct unpacker *u)
{
    mode_t um = fs_umask();
    mode_t mode = u->exists && u->isdir ? u->old_mode : (0777 & ~um);
    if (fchmod(u->stage_fd, mode) != 0)
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s: chmod", u->dir);
    if (syncfs(u->stage_fd) != 0)
        return fy_fail_errno(u->err, FY_ERUNTIME, "%s: sync", u->dir);
    bool swapped = false;
    if (renameat(u->parentfd, u->stage_name, u->parentfd, u->base) != 0) {
        if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR &&
            errno != EISDIR)
            return fy_fail_errno(u->err, FY_ERUNTIME, "%s", u->dir);
        if (!u->o->force)
            return fy_fail(u->err, FY_EREFUSED,
                           "%s: exists and is not empty (use --force to "
                           "replace it)",
                           u->dir);
        if (renameat2(u->parentfd, u->stage_name, u->parentfd, u->base,
                      RENAME_EXCHANGE) != 0)
            return fy_fail_errno(u->err, FY_ERUNTIME, "%s: swap", u->dir);
        swapped = true;
    }
    enum fy_rc rc = fs_fsync_dir(u->parent, u->err);
    if (swapped) {
        /* the old tree now sits under the staging name */
        struct fy_err tmp = FY_ERR_INIT;
        if (fs_remove_tree_at(u->parentfd, u->stage_name, &tmp) != FY_OK)
            out_warn(u->out, "cannot remove the old tree: %s", tmp.msg);
    }
    free(u->stage_name);
    u->stage_name = NULL; /* committed: nothing to clean up */
    return rc;
}

static void
kick_writeback(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        close(fd);
    }
}

/* An entry the gate lets through but unpack does not create: its data
 * is read (and hashed for the manifest check) all the same. */
static enum fy_rc
unpack_pass_over(struct arc_walk *w,
                 struct unpacker *u,
                 const struct arc_gate *g,
                 const char *clean,
                 struct arc_span *sp)
{
    unsigned char h[16];
    if (g->kind == GATE_SPECIAL) {
        char *esc = out_escape(g->raw);
        out_warn(w->out, "%s: entry '%s': %s skipped", w->name, esc,
                 special_name(g->type));
        free(esc);
        u->st->skipped++;
    }
    enum fy_rc rc = arc_pump(w, sp, NULL, g->raw, h, NULL);
    if (g->kind != GATE_SKIP || rc != FY_OK)
        return rc;
    /* stripped away, or fetch's state: only hashed for the manifest check */
    arc_gate_record(w, g, clean, sp, h);
    if (g->state) {
        u->state_skipped++;
        u->st->skipped++;
    }
    return FY_OK;
}

/* An entry libarchive creates with its data (all but big files). */
static enum fy_rc
unpack_inline(struct arc_walk *w,
              struct unpacker *u,
              struct archive_entry *e,
              const struct arc_gate *g,
              const char *raw,
              const char *clean,
              struct arc_span *sp)
{
    unsigned char h[16];
    int64_t bytes = 0;
    int r = archive_write_header(u->disk, e);
    if (r < ARCHIVE_WARN)
        return arc_disk_fail(w, u->disk, ARC_SIDE_EXTRACT, raw);
    enum fy_rc rc = arc_pump(w, sp, u->disk, raw, h, &bytes);
    if (rc != FY_OK)
        return rc;
    r = archive_write_finish_entry(u->disk);
    if (r < ARCHIVE_WARN)
        return arc_disk_fail(w, u->disk, ARC_SIDE_WRITE, raw);
    arc_gate_pass(w, g);
    arc_gate_record(w, g, clean, sp, h);
    int64_t size = arc_span_size(sp);
    arc_stats_count(u->st, g->type, size);
    if (g->type == 'f' && size >= (int64_t)KICK_MIN && u->writers == NULL)
        kick_writeback(g->fin);
    return FY_OK;
}

/* An entry to create (GATE_MAKE): named as the gate cleaned it, without
 * setuid/setgid, then made by the path that fits it. */
static enum fy_rc
unpack_make(struct arc_walk *w,
            struct unpacker *u,
            struct archive_entry *e,
            const struct arc_gate *g,
            const char *clean,
            struct arc_span *sp)
{
    enum fy_rc rc;
    unsigned char h[16];
    /* SPEC: setuid/setgid bits are stripped */
    unsigned perm = (unsigned)archive_entry_perm(e);
    if (perm & (S_ISUID | S_ISGID)) {
        archive_entry_set_perm(e, perm & ~(unsigned)(S_ISUID | S_ISGID));
        char *esc = out_escape(g->raw);
        out_verbose(w->out, "%s: setuid/setgid bits dropped", esc);
        free(esc);
    }
    /* what must land after the files the writers still have: a hardlink
     * (its target may be one of them), a name an earlier entry made */
    if (u->writers != NULL &&
        (g->type == 'h' || arc_guard_type(w->guard, g->fin) != 0)) {
        rc = arc_writers_sync(u->writers, w);
        if (rc != FY_OK)
            return rc;
    }
    if (g->type == 'f' && u->writers != NULL && !sp->sparse && sp->size >= 0) {
        rc = arc_writers_file(u->writers, w, e, g->raw, g->fin, sp, h);
        if (rc == FY_OK) {
            arc_gate_pass(w, g);
            arc_gate_record(w, g, clean, sp, h);
            arc_stats_count(u->st, 'f', sp->size);
        }
        return rc;
    }
    char *raw = xstrdup(g->raw); /* set_pathname frees g->raw */
    archive_entry_set_pathname(e, g->fin);
    if (g->fin_hl != NULL)
        archive_entry_set_hardlink(e, g->fin_hl);
    if (sp->sparse) {
        rc = arc_file_sparse(w, u->disk, e, raw, g->fin, sp, h);
        if (rc == FY_OK) {
            arc_gate_pass(w, g);
            arc_gate_record(w, g, clean, sp, h);
            arc_stats_count(u->st, 'f', sp->size);
        }
    } else {
        rc = unpack_inline(w, u, e, g, raw, clean, sp);
    }
    free(raw);
    return rc;
}

/* A small member under .ferry/ of a layer: read whole, checked as any
 * entry, handed to lh->member. */
static enum fy_rc
layer_member(struct arc_walk *w,
             struct unpacker *u,
             const struct arc_gate *g,
             const char *clean,
             struct arc_span *sp)
{
    struct sbuf b = SBUF_INIT;
    unsigned char h[16];
    const void *buf;
    size_t len;
    int64_t off;
    int got;
    enum fy_rc rc = FY_OK;
    XXH3_128bits_reset(w->xx);
    while ((got = arc_entry_block(w, sp, g->raw, &buf, &len, &off, &rc)) > 0) {
        XXH3_128bits_update(w->xx, buf, len);
        sbuf_add(&b, buf, len);
    }
    if (got == 0)
        rc = arc_span_end(w, sp, g->raw);
    if (rc == FY_OK) {
        arc_xx_digest(w->xx, h);
        arc_gate_record(w, g, clean, sp, h);
        rc = u->lh->member(u->lh->ctx, u->layer, g->fin, b.buf, b.len, w->err);
    }
    sbuf_release(&b);
    return rc;
}

/* arc_unpack_layers: what becomes of entry g of the layer being walked
 * (*done: read and handed over already). */
static enum fy_rc
layer_entry(struct arc_walk *w,
            struct unpacker *u,
            struct arc_gate *g,
            const char *clean,
            struct arc_span *sp,
            bool *done)
{
    const struct arc_layer_hooks *h = u->lh;
    bool first = !u->layer_started;
    enum fy_rc rc = FY_OK;
    u->layer_started = true;
    *done = false;
    if (g->state && g->type == 'f' && !sp->sparse && sp->size >= 0 &&
        sp->size <= (int64_t)MEMBER_MAX) {
        *done = true;
        return layer_member(w, u, g, clean, sp);
    }
    if (first)
        rc = h->member(h->ctx, u->layer, NULL, NULL, 0, w->err);
    if (rc == FY_OK && g->kind == GATE_MAKE) {
        bool make = false;
        rc = h->want(h->ctx, u->layer, g->fin, g->type, g->fin_hl, &make,
                     w->err);
        if (!make) {
            /* not made, but later entries of this archive are checked
             * as if it were (a hardlink to it, as unpack would) */
            arc_gate_pass(w, g);
            g->kind = GATE_SKIP;
        }
    }
    return rc;
}

static enum fy_rc
layer_line(void *ctx, const struct arc_mf_line *l, struct fy_err *err)
{
    struct unpacker *u = ctx;
    return u->lh->line(u->lh->ctx, u->layer, l, err);
}

static enum fy_rc
unpack_entry(struct arc_walk *w,
             struct archive_entry *e,
             enum arc_path_rc prc,
             const char *clean)
{
    struct unpacker *u = w->ctx;
    struct arc_span sp;
    struct arc_gate g;
    bool done = false;
    arc_span_init(&sp, e);
    enum fy_rc rc = arc_writers_failed(u->writers, w);
    if (rc != FY_OK)
        return rc;
    rc = arc_gate_entry(w, e, prc, clean, &sp, &g);
    if (rc == FY_OK && u->lh != NULL)
        rc = layer_entry(w, u, &g, clean, &sp, &done);
    if (rc == FY_OK && !done)
        rc = g.kind == GATE_MAKE ? unpack_make(w, u, e, &g, clean, &sp)
                                 : unpack_pass_over(w, u, &g, clean, &sp);
    free(g.hl);
    return rc;
}

/* Wait for the writers; fold their results into the manifest check. */
static enum fy_rc
unpack_drain(struct arc_walk *w)
{
    struct unpacker *u = w->ctx;
    return u->writers != NULL ? arc_writers_drain(u->writers, w) : FY_OK;
}

static void
unpacker_release(struct unpacker *u)
{
    if (u->disk != NULL)
        archive_write_free(u->disk);
    u->disk = NULL;
    if (u->stage_name != NULL && u->parentfd >= 0) {
        struct fy_err tmp = FY_ERR_INIT;
        if (fs_remove_tree_at(u->parentfd, u->stage_name, &tmp) != FY_OK)
            out_warn(u->out, "cannot remove the staging directory: %s",
                     tmp.msg);
    }
    if (u->stage_fd >= 0)
        close(u->stage_fd); /* releases the lock */
    if (u->parentfd >= 0)
        close(u->parentfd);
    free(u->stage_name);
    free(u->target);
    free(u->parent);
    free(u->base);
}

/* libarchive's disk writer, with its SECURE checks. */
static enum fy_rc
disk_open(struct unpacker *u)
{
    u->disk = archive_write_disk_new();
    if (u->disk == NULL)
        return fy_fail(u->err, FY_ERUNTIME, "%s: out of memory", u->dir);
    int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
    if (u->o->same_owner && geteuid() == 0)
        flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(u->disk, flags);
    if (flags & ARCHIVE_EXTRACT_OWNER)
        archive_write_disk_set_standard_lookup(u->disk);
    return FY_OK;
}

/* Close the disk writer (its fixups: directory modes and times); rc is
 * the walk's, kept if it failed. */
static enum fy_rc
disk_close(struct unpacker *u, enum fy_rc rc)
{
    if (archive_write_close(u->disk) < ARCHIVE_WARN && rc == FY_OK) {
        const char *la = archive_error_string(u->disk);
        char *why = out_escape(la ? la : "cannot finish"); /* names, raw */
        rc = fy_fail(u->err, FY_ERUNTIME, "%s: %s", u->dir, why);
        free(why);
    }
    archive_write_free(u->disk);
    u->disk = NULL;
    return rc;
}

/*
 * Walk one archive into the stage (the cwd), with its own writer pool;
 * is is consumed.
 */
static enum fy_rc
unpack_one(struct unpacker *u, struct fy_istream *is)
{
    struct arc_walk w;
    int64_t before = u->st->archive_bytes;
    enum fy_rc rc = arc_walk_open(&w, is, "unpack", &u->o->read, u->o->strip,
                                  unpack_entry, u, u->st, u->out, u->err);
    if (rc == FY_OK) {
        /* the writers make files themselves: not when libarchive must
         * give them their owner */
        if (!(u->o->same_owner && geteuid() == 0))
            u->writers = arc_writers_new(&w.reader.ring, u->stage_fd, is->name);
        if (u->writers != NULL) {
            w.reader.idle_hook = arc_writers_wake;
            w.reader.idle_ctx = u->writers;
        }
        w.drain = unpack_drain;
        if (u->lh != NULL) {
            w.mf_hook = layer_line;
            w.mf_ctx = u;
        }
        rc = arc_walk_run(&w);
    }
    /* the writers are done by now unless something failed */
    arc_writers_free(u->writers, rc != FY_OK);
    u->writers = NULL;
    w.reader.idle_hook = NULL;
    arc_walk_close(&w);
    u->st->archive_bytes += before;
    return rc;
}

/* One archive (is), or the layers of lh, into dir. */
static enum fy_rc
unpack_run(struct fy_istream *is,
           const struct arc_layer_hooks *lh,
           const char *dir,
           const struct arc_unpack_opts *o,
           struct out *out,
           struct arc_stats *st,
           struct fy_err *err)
{
    struct unpacker u;
    int cwd = -1;
    double t0 = out_now();
    enum fy_rc rc;
    locale_t old, loc = arc_utf8_enter(&old);

    memset(&u, 0, sizeof u);
    memset(st, 0, sizeof *st);
    u.o = o;
    u.out = out;
    u.err = err;
    u.st = st;
    u.dir = dir;
    u.parentfd = -1;
    u.stage_fd = -1;
    u.lh = lh;
    rc = target_prepare(&u);
    if (rc == FY_OK)
        rc = stage_make(&u);
    if (rc != FY_OK) {
        if (is != NULL)
            is->close(is->ctx);
        goto done;
    }
    out_event(out, "start", "{sssssI}", "archive", is != NULL ? is->name : dir,
              "dir", dir, "archive_bytes",
              (long long)(is != NULL ? is->size : -1));
    rc = disk_open(&u);
    if (rc != FY_OK) {
        if (is != NULL)
            is->close(is->ctx);
        goto done;
    }
    cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || fchdir(u.stage_fd) != 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
        if (is != NULL)
            is->close(is->ctx);
        goto done;
    }
    if (is != NULL)
        rc = unpack_one(&u, is);
    for (size_t i = 0; lh != NULL && rc == FY_OK && i < lh->n; i++) {
        struct fy_istream li;
        u.layer = i;
        u.layer_started = false;
        rc = lh->open(lh->ctx, i, &li, err);
        if (rc == FY_OK)
            rc = unpack_one(&u, &li);
    }
    if (lh != NULL && rc == FY_OK)
        rc = lh->finish(lh->ctx, err);
    /* directory modes and times are set here, still inside the stage */
    rc = disk_close(&u, rc);
done:
    if (u.disk != NULL) /* its fixups must run inside the stage, if at all */
        archive_write_free(u.disk);
    u.disk = NULL;
    if (cwd >= 0) {
        if (fchdir(cwd) != 0 && rc == FY_OK)
            rc = fy_fail_errno(err, FY_ERUNTIME,
                               "cannot return to the "
                               "working directory");
        close(cwd);
    }
    if (rc == FY_OK)
        rc = stage_commit(&u);
    if (rc == FY_OK && u.state_skipped > 0 && lh == NULL)
        out_warn(out,
                 "%s: %lld entries under %s/ not unpacked (fetch's state "
                 "directory: a cache, never taken from an archive)",
                 is->name, (long long)u.state_skipped, ARC_STATE_DIR);
    unpacker_release(&u);
    arc_utf8_leave(loc, old);
    st->seconds = out_now() - t0;
    return rc;
}

enum fy_rc
arc_unpack(struct fy_istream *is,
           const char *dir,
           const struct arc_unpack_opts *o,
           struct out *out,
           struct arc_stats *st,
           struct fy_err *err)
{
    return unpack_run(is, NULL, dir, o, out, st, err);
}

enum fy_rc
arc_unpack_layers(const struct arc_layer_hooks *h,
                  const char *dir,
                  const struct arc_unpack_opts *o,
                  struct out *out,
                  struct arc_stats *st,
                  struct fy_err *err)
{
    return unpack_run(NULL, h, dir, o, out, st, err);
}
