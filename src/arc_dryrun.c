/*
 * arc_dryrun.c - pack --dry-run: arc_pack()'s pre-scan (arc_scan.c) with a
 * visitor that reports every verdict instead of packing, so what it shows
 * is what a pack of the same tree would do.  It opens nothing for writing:
 * no archive, no ".part", no temporary file.
 *
 * What it keeps true: the verdicts are the scan's own (the visitor never
 * decides); a later name of a file with several links is reported as a
 * hardlink as pack_file() would store it (not in zip); an excluded
 * directory is measured beneath it without following a symlink, at most
 * MEASURE_DEPTH levels deep, and honours SIGINT/SIGTERM.
 */
#include "ferry/arc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arc_int.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

#define MEASURE_DEPTH 256 /* deeper trees count only down to here */

struct dry {
    enum arc_format fmt;
    enum fy_rc (*cb)(void *ctx,
                     const struct arc_dry_entry *e,
                     struct fy_err *err);
    void *ctx;
    struct arc_dry_totals *t;
    struct arc_map links; /* (dev, ino) -> the first name's offset in names */
    struct sbuf names;
    struct fy_err *err;
    const char *dir;
};

/* Bytes of the regular files below the directory name in dfd. */
static enum fy_rc
measure(struct dry *y, int dfd, const char *name, int depth, int64_t *bytes)
{
    if (depth > MEASURE_DEPTH)
        return FY_OK;
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return FY_OK; /* gone, or unreadable: it is not packed either way */
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return FY_OK;
    }
    enum fy_rc rc = FY_OK;
    struct dirent *de;
    while (rc == FY_OK && (de = readdir(d)) != NULL) {
        if (fy_interrupted()) {
            rc = fy_fail(y->err, FY_EINTR, "%s: interrupted", y->dir);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode))
            *bytes += (int64_t)st.st_size;
        else if (S_ISDIR(st.st_mode))
            rc = measure(y, dirfd(d), de->d_name, depth + 1, bytes);
    }
    closedir(d);
    return rc;
}

static char
type_of(mode_t m)
{
    return S_ISREG(m)    ? 'f'
           : S_ISDIR(m)  ? 'd'
           : S_ISLNK(m)  ? 'l'
           : S_ISSOCK(m) ? 's'
           : S_ISFIFO(m) ? 'p'
           : S_ISCHR(m)  ? 'c'
           : S_ISBLK(m)  ? 'b'
                         : '?';
}

/* A packed regular file: its first name, or a later one (a hardlink). */
static void
packed_file(struct dry *y,
            const char *rel,
            const struct stat *st,
            struct arc_dry_entry *e)
{
    if (st->st_nlink > 1 && y->fmt != ARC_FMT_ZIP) {
        uint64_t id[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};
        struct arc_map_val *v = arc_map_get(&y->links, id, sizeof id);
        if (v != NULL) {
            e->type = 'h';
            e->link = y->names.buf + v->name_off;
            y->t->hardlinks++;
            return;
        }
        v = arc_map_put(&y->links, id, sizeof id);
        v->name_off = y->names.len;
        sbuf_add(&y->names, rel, strlen(rel) + 1);
    }
    e->size = (int64_t)st->st_size;
    y->t->files++;
    y->t->bytes += e->size;
}

static enum fy_rc
visit(void *ctx,
      int dfd,
      const char *name,
      const char *rel,
      const struct stat *st,
      enum arc_scan_verdict v,
      const char *why,
      const char *from)
{
    struct dry *y = ctx;
    struct arc_dry_entry e = {
        rel, type_of(st->st_mode), 0, ARC_DRY_PACK, why, from, NULL};
    enum fy_rc rc = FY_OK;
    if (v == ARC_SCAN_PACK) {
        if (e.type == 'f')
            packed_file(y, rel, st, &e);
        else if (e.type == 'd')
            y->t->dirs++;
        else
            y->t->symlinks++;
        return y->cb(y->ctx, &e, y->err);
    }
    if (S_ISREG(st->st_mode))
        e.size = (int64_t)st->st_size;
    else if (S_ISDIR(st->st_mode))
        rc = measure(y, dfd, name, 0, &e.size);
    if (rc != FY_OK)
        return rc;
    if (v == ARC_SCAN_EXCLUDED) {
        e.action = ARC_DRY_EXCLUDE;
        y->t->excluded++;
        y->t->excluded_bytes += e.size;
    } else {
        e.action = ARC_DRY_SKIP;
        y->t->skipped++;
        y->t->skipped_bytes += e.size;
    }
    return y->cb(y->ctx, &e, y->err);
}

enum fy_rc
arc_pack_dry_run(const char *dir,
                 const struct arc_pack_opts *o,
                 const char *output,
                 enum fy_rc (*cb)(void *ctx,
                                  const struct arc_dry_entry *e,
                                  struct fy_err *err),
                 void *ctx,
                 struct out *out,
                 struct arc_dry_totals *t,
                 struct fy_err *err)
{
    struct arc_stats st;
    struct arc_scan s;
    struct dry y;
    struct stat sb;
    memset(t, 0, sizeof *t);
    memset(&st, 0, sizeof st);
    memset(&s, 0, sizeof s);
    memset(&y, 0, sizeof y);
    y.fmt = o->format == ARC_FMT_NONE ? ARC_FMT_TAR_ZST : o->format;
    y.cb = cb;
    y.ctx = ctx;
    y.t = t;
    y.err = err;
    y.dir = dir;
    s.dir = dir;
    s.name = output != NULL ? output : dir;
    s.out = out;
    s.err = err;
    s.st = &st;
    s.visit = visit;
    s.visit_ctx = &y;
    locale_t old, loc = arc_utf8_enter(&old);
    enum fy_rc rc = arc_scan_excludes(&s, o);
    /* as pack_scan(): an existing archive of that name is left out */
    if (rc == FY_OK && output != NULL && strcmp(output, "-") != 0 &&
        stat(output, &sb) == 0 && S_ISREG(sb.st_mode))
        arc_scan_skip(&s, &sb);
    if (rc == FY_OK) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = dfd < 0 ? fy_fail_errno(err, FY_ERUNTIME, "%s", dir)
                     : arc_scan_dir(&s, dfd);
    }
    arc_scan_release(&s);
    arc_map_release(&y.links);
    sbuf_release(&y.names);
    arc_utf8_leave(loc, old);
    return rc;
}
