/*
 * remote_file_pull.c - pull of a file:// object: the source file copied
 * into FILE.part by its missing ranges, resumable across runs as the other
 * schemes' pulls are (resume.h).  The source's size and mtime (to the
 * nanosecond) stand for an ETag.
 *
 * What it keeps true: FILE is renamed into place only once every byte was
 * copied and the source still has the size and mtime it had at the start
 * (else the copy starts over, at most MAX_ROUNDS times); a range is
 * recorded only after it was written (and, by resume.c, synced).
 */
#include "remote_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/remote_rate.h"
#include "ferry/resume.h"
#include "ferry/xalloc.h"

#define COPY_BUF   (1u << 20)
#define MAX_ROUNDS 3
#define LAG        (8 * (int64_t)COPY_BUF)

void
rfile_progress(const struct remote_opts *o,
               struct out *out,
               int64_t done,
               int64_t total,
               bool force)
{
    if (out == NULL || o->phase == NULL)
        return;
    struct out_progress p = OUT_PROGRESS_INIT;
    p.phase = o->phase;
    p.done = done;
    p.total = total;
    out_progress(out, &p, force);
}

/* The source as it is now: its identity for a sidecar. */
static enum fy_rc
look(int fd,
     const char *src,
     const char *show,
     struct resume_meta *m,
     struct fy_err *err)
{
    struct stat st;
    resume_meta_release(m);
    if (fstat(fd, &st) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", src);
    m->url = resume_url_id(show);
    m->size = (int64_t)st.st_size;
    m->modified = xasprintf("%lld.%09ld", (long long)st.st_mtim.tv_sec,
                            (long)st.st_mtim.tv_nsec);
    return FY_OK;
}

/* Copy the gaps of *written from fd into r's file, checkpointing. */
static enum fy_rc
copy_gaps(int fd,
          const char *src,
          struct resume *r,
          struct resume_ranges *written,
          int64_t size,
          const struct remote_opts *o,
          struct out *out,
          struct remote_stats *st,
          struct fy_err *err)
{
    char *buf = xmalloc(COPY_BUF);
    int64_t from, to, pos = 0, mark = 0;
    enum fy_rc rc = FY_OK;
    struct rrate limit; /* --max-down */
    rrate_init(&limit, o->max_down, out_now());
    size_t cap =
        rrate_on(&limit) && limit.chunk < COPY_BUF ? limit.chunk : COPY_BUF;
    while (rc == FY_OK && resume_ranges_gap(written, size, pos, &from, &to)) {
        for (int64_t off = from; off < to && rc == FY_OK;) {
            size_t want = to - off < (int64_t)cap ? (size_t)(to - off) : cap;
            ssize_t n = pread(fd, buf, want, (off_t)off);
            if (n < 0 && errno == EINTR && !fy_interrupted())
                continue;
            if (fy_interrupted())
                rc = fy_fail(err, FY_EINTR, "%s: interrupted", src);
            else if (n <= 0) /* shorter than it was: it changed */
                rc = n < 0 ? fy_fail_errno(err, FY_ERUNTIME, "%s", src)
                           : fy_fail(err, FY_ERUNTIME,
                                     "%s: changed during the copy", src);
            else if (fs_pwrite_all(resume_fd(r), buf, (size_t)n, (off_t)off) !=
                     0)
                rc = fy_fail_errno(err, FY_ERUNTIME, "%s.part", src);
            if (rc != FY_OK)
                break;
            resume_ranges_add(written, off, off + n);
            off += n;
            st->bytes += n;
            rc = rrate_throttle(&limit, (size_t)n, src, err);
            rfile_progress(o, out, resume_ranges_bytes(written), size, false);
            if (st->bytes - mark >= LAG / 2) {
                resume_checkpoint(r, written, LAG);
                mark = st->bytes;
                rc = resume_failed(r, err);
            }
        }
        pos = to;
    }
    free(buf);
    return rc;
}

enum fy_rc
rfile_pull(struct rtarget *t,
           const char *path,
           struct out *out,
           struct remote_stats *st,
           struct fy_err *err)
{
    const struct remote_opts *o = t->o;
    const char *src = t->u.path;
    struct resume_meta want = RESUME_META_INIT, now = RESUME_META_INIT;
    struct resume_ranges written = RESUME_RANGES_INIT;
    struct resume *r = NULL;
    struct fy_err local = FY_ERR_INIT;
    struct stat sb;
    enum fy_rc rc = FY_OK;
    bool changed = false;
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return fy_fail(err, FY_ERUNTIME, "%s: no such object", src);
    if (fd < 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", src);
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fy_fail(err, FY_EINPUT, "%s: not a regular file", src);
    }
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    for (int round = 0; round < MAX_ROUNDS; round++) {
        fy_err_clear(&local);
        changed = false;
        if ((rc = look(fd, src, t->u.show, &want, &local)) != FY_OK)
            break;
        if (round == 0)
            rc = resume_open(&r, path, &want, !o->no_resume, out, &local);
        else
            rc = resume_restart(r, &want, !o->no_resume, &local);
        if (rc != FY_OK)
            break;
        resume_ranges_copy(&written, resume_have(r));
        if (round == 0) {
            st->resumed = resume_ranges_bytes(&written);
            if (st->resumed > 0)
                out_verbose(out,
                            "%s: resuming: %lld of %lld bytes already "
                            "in %s.part",
                            t->u.show, (long long)st->resumed,
                            (long long)want.size, path);
        }
        if ((rc = remote_check_space(resume_fd(r), path,
                                     want.size - resume_ranges_bytes(&written),
                                     &local)) != FY_OK)
            break;
        rc = copy_gaps(fd, src, r, &written, want.size, o, out, st, &local);
        if (look(fd, src, t->u.show, &now, &local) == FY_OK &&
            !resume_meta_same(&now, &want))
            changed = true;
        if (!changed || rc == FY_EINTR)
            break;
        out_verbose(out, "%s: changed during the copy: starting over",
                    t->u.show);
        rc = fy_fail(&local, FY_ERUNTIME, "%s: kept changing during the copy",
                     src);
    }
    if (rc == FY_OK && !changed) {
        rfile_progress(o, out, want.size, want.size, true);
        st->parts++;
        rc = resume_commit(r, &local);
    } else if (r != NULL && changed) {
        resume_discard(r);
    } else if (r != NULL) {
        resume_keep(r, &written);
    }
    if (rc != FY_OK)
        fy_fail(err, rc, "%s", local.msg);
    close(fd);
    resume_ranges_release(&written);
    resume_meta_release(&want);
    resume_meta_release(&now);
    return rc;
}
