/*
 * arc_scan.c - pack's pre-scan: the tree below the packed directory,
 * walked in name order per directory, with the excludes applied, the
 * output file and ferry's state directory left out, and what is neither a
 * file, a directory nor a symlink skipped (with a warning).  It gives pack
 * its list of entries and the total size for progress (struct arc_scan in
 * arc_int.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arc_int.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *
mode_kind(mode_t m)
{
    if (S_ISSOCK(m))
        return "socket";
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    return "special file";
}

static void
add_entry(struct arc_scan *s, const char *rel, const struct stat *st)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->ents = xrealloc(s->ents, s->cap * sizeof *s->ents);
    }
    struct arc_scan_entry *e = &s->ents[s->n++];
    e->path_off = s->names.len;
    sbuf_add(&s->names, rel, strlen(rel) + 1);
    e->mode = st->st_mode;
    e->uid = st->st_uid;
    e->gid = st->st_gid;
    e->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    e->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
}

static bool
is_output(const struct arc_scan *s, const struct stat *st)
{
    for (int i = 0; i < s->nskip; i++)
        if (st->st_dev == s->skip_dev[i] && st->st_ino == s->skip_ino[i])
            return true;
    return false;
}

/* Scan the directory open as dfd (consumed); s->path holds its prefix. */
enum fy_rc
arc_scan_dir(struct arc_scan *s, int dfd)
{
    size_t plen = s->path.len;
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return fy_fail_errno(s->err, FY_ERUNTIME, "%s/%s", s->dir,
                             s->path.buf ? s->path.buf : "");
    }
    struct sbuf arena = SBUF_INIT;
    size_t *offs = NULL, nn = 0, ncap = 0;
    char **v = NULL;
    enum fy_rc rc = FY_OK;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (nn == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            offs = xrealloc(offs, ncap * sizeof *offs);
        }
        offs[nn++] = arena.len;
        sbuf_add(&arena, de->d_name, strlen(de->d_name) + 1);
    }
    if (errno != 0) {
        rc = fy_fail_errno(s->err, FY_ERUNTIME, "%s/%s", s->dir,
                           s->path.buf ? s->path.buf : "");
        goto done;
    }
    v = xmalloc((nn ? nn : 1) * sizeof *v);
    for (size_t i = 0; i < nn; i++)
        v[i] = arena.buf + offs[i];
    qsort(v, nn, sizeof *v, cmp_names);
    for (size_t i = 0; i < nn && rc == FY_OK; i++) {
        if (fy_interrupted()) {
            rc = fy_fail(s->err, FY_EINTR, "%s: interrupted", s->name);
            break;
        }
        s->path.len = plen;
        sbuf_adds(&s->path, v[i]);
        const char *rel = s->path.buf;
        struct stat st;
        if (fstatat(dirfd(d), v[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* vanished between readdir and stat */
            rc = fy_fail_errno(s->err, FY_ERUNTIME, "%s/%s", s->dir, rel);
            break;
        }
        if (is_output(s, &st)) {
            if (s->visit != NULL)
                rc = s->visit(s->visit_ctx, dirfd(d), v[i], rel, &st,
                              ARC_SCAN_OUTPUT, "the archive itself", NULL);
            continue;
        }
        bool isdir = S_ISDIR(st.st_mode);
        const char *from = NULL, *rule = NULL;
        if (s->ex.n > 0 &&
            (rule = arc_excludes_why(&s->ex, rel, isdir, &from)) != NULL) {
            if (s->visit != NULL) {
                rc = s->visit(s->visit_ctx, dirfd(d), v[i], rel, &st,
                              ARC_SCAN_EXCLUDED, rule, from);
                continue;
            }
            char *e = out_escape(rel);
            out_verbose(s->out, "excluded: %s%s", e, isdir ? "/" : "");
            free(e);
            continue;
        }
        if (plen == 0 && strcmp(rel, ARC_STATE_DIR) == 0) {
            /* fetch's state (and the manifest's name): never archived, so
             * ferry's archives cannot plant state in a later fetch's DIR */
            if (s->visit != NULL)
                rc = s->visit(s->visit_ctx, dirfd(d), v[i], rel, &st,
                              ARC_SCAN_STATE, "ferry's state directory", NULL);
            else
                out_verbose(s->out, "skipped %s/%s (ferry's state directory)",
                            s->dir, ARC_STATE_DIR);
            continue;
        }
        if (!S_ISREG(st.st_mode) && !isdir && !S_ISLNK(st.st_mode)) {
            s->st->skipped++;
            if (s->visit != NULL) {
                rc = s->visit(s->visit_ctx, dirfd(d), v[i], rel, &st,
                              ARC_SCAN_SPECIAL, mode_kind(st.st_mode), NULL);
                continue;
            }
            char *e = out_escape(rel);
            out_warn(s->out, "%s/%s: %s skipped", s->dir, e,
                     mode_kind(st.st_mode));
            free(e);
            continue;
        }
        if (s->visit != NULL &&
            (rc = s->visit(s->visit_ctx, dirfd(d), v[i], rel, &st,
                           ARC_SCAN_PACK, NULL, NULL)) != FY_OK)
            break;
        add_entry(s, rel, &st);
        if (S_ISREG(st.st_mode))
            s->total += (int64_t)st.st_size;
        if (isdir) {
            int cfd = openat(dirfd(d), v[i],
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0) {
                rc = fy_fail_errno(s->err, FY_ERUNTIME, "%s/%s", s->dir, rel);
                break;
            }
            sbuf_add(&s->path, "/", 1);
            rc = arc_scan_dir(s, cfd);
        }
    }
done:
    s->path.len = plen;
    if (s->path.buf)
        s->path.buf[plen] = '\0';
    free(v);
    free(offs);
    sbuf_release(&arena);
    closedir(d);
    return rc;
}

enum fy_rc
arc_scan_excludes(struct arc_scan *s, const struct arc_pack_opts *o)
{
    char *ign = fs_join(s->dir, ".ferryignore");
    enum fy_rc rc = arc_excludes_load(&s->ex, ign, true, s->err);
    free(ign);
    for (size_t i = 0; rc == FY_OK && i < o->exclude_files.n; i++)
        rc = arc_excludes_load(&s->ex, o->exclude_files.v[i], false, s->err);
    for (size_t i = 0; rc == FY_OK && i < o->excludes.n; i++)
        arc_excludes_add_from(&s->ex, o->excludes.v[i], "--exclude");
    return rc;
}

void
arc_scan_skip(struct arc_scan *s, const struct stat *sb)
{
    if (s->nskip < 2) {
        s->skip_dev[s->nskip] = sb->st_dev;
        s->skip_ino[s->nskip++] = sb->st_ino;
    }
}

void
arc_scan_release(struct arc_scan *s)
{
    free(s->ents);
    sbuf_release(&s->names);
    sbuf_release(&s->path);
    arc_excludes_release(&s->ex);
}
