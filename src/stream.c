/*
 * stream.c - file, stdio and memory implementations of the byte sink and
 * source tables in stream.h.
 *
 * A file output goes through fs_atomic_* (ARCHIVE.part, fsync, rename,
 * fsync of the directory), so the final name only ever holds a complete
 * archive.  While it is written, every STREAM_KICK bytes are handed to the
 * kernel's writeback with sync_file_range(SYNC_FILE_RANGE_WRITE): the disk
 * works while we compress, and the fsync at commit only waits for the
 * tail.  A read or write interrupted by SIGINT/SIGTERM returns FY_EINTR.
 */
#include "ferry/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/xalloc.h"

#define STREAM_KICK (8u << 20)

struct file_out {
    struct fs_atomic af;
    int fd;
    bool is_stdout;
    uint64_t written; /* bytes written so far */
    uint64_t kicked;  /* bytes handed to writeback */
};

static enum fy_rc
file_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    struct file_out *f = ctx;
    const char *what = f->is_stdout ? "stdout" : fs_atomic_name(&f->af);
    enum fy_rc rc = fs_write_all(f->fd, buf, n, what, err);
    if (rc != FY_OK)
        return rc;
    f->written += n;
    if (!f->is_stdout && f->written - f->kicked >= STREAM_KICK) {
        /* start writeback now; commit's fsync waits for the rest */
        (void)sync_file_range(f->fd, (off_t)f->kicked,
                              (off_t)(f->written - f->kicked),
                              SYNC_FILE_RANGE_WRITE);
        f->kicked = f->written;
    }
    return FY_OK;
}

static enum fy_rc
file_close(void *ctx, bool commit, struct fy_err *err)
{
    struct file_out *f = ctx;
    enum fy_rc rc = FY_OK;
    if (!f->is_stdout) {
        if (commit)
            rc = fs_atomic_commit(&f->af, err);
        fs_atomic_abort(&f->af);
    }
    free(f);
    return rc;
}

enum fy_rc
stream_out_open(struct fy_ostream *os, const char *path, struct fy_err *err)
{
    struct file_out *f = xcalloc(1, sizeof *f);
    f->af = (struct fs_atomic)FS_ATOMIC_INIT;
    memset(os, 0, sizeof *os);
    if (strcmp(path, "-") == 0) {
        f->is_stdout = true;
        f->fd = STDOUT_FILENO;
    } else {
        enum fy_rc rc = fs_atomic_open(&f->af, path, 0644, err);
        if (rc != FY_OK) {
            free(f);
            return rc;
        }
        f->fd = f->af.fd;
        os->is_file = true;
        os->any_thread = true;
    }
    os->write = file_write;
    os->close = file_close;
    os->ctx = f;
    os->name = path;
    os->fd = f->fd;
    return FY_OK;
}

struct file_in {
    int fd;
    bool is_stdin;
    const char *name;
};

static enum fy_rc
file_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct file_in *f = ctx;
    for (;;) {
        ssize_t n = read(f->fd, buf, cap);
        if (n < 0 && errno == EINTR) {
            if (fy_interrupted())
                return fy_fail(err, FY_EINTR, "%s: interrupted", f->name);
            continue;
        }
        if (n < 0)
            return fy_fail_errno(err, FY_ERUNTIME, "%s",
                                 f->is_stdin ? "stdin" : f->name);
        *got = (size_t)n;
        return FY_OK;
    }
}

static void
file_in_close(void *ctx)
{
    struct file_in *f = ctx;
    if (!f->is_stdin && f->fd >= 0)
        close(f->fd);
    free(f);
}

/* An input over fd (named name); a directory is refused (fd closed). */
static enum fy_rc
in_fd(struct fy_istream *is,
      int fd,
      bool is_stdin,
      const char *name,
      struct fy_err *err)
{
    struct file_in *f = xcalloc(1, sizeof *f);
    struct stat st;
    memset(is, 0, sizeof *is);
    is->size = -1;
    f->name = name;
    f->fd = fd;
    f->is_stdin = is_stdin;
    if (fstat(f->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            file_in_close(f);
            return fy_fail(err, FY_EINPUT, "%s: is a directory", name);
        }
        if (S_ISREG(st.st_mode)) {
            is->size = (int64_t)st.st_size;
            (void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        }
    }
    is->read = file_read;
    is->close = file_in_close;
    is->ctx = f;
    is->name = name;
    is->fd = f->fd;
    return FY_OK;
}

enum fy_rc
stream_in_open(struct fy_istream *is, const char *path, struct fy_err *err)
{
    if (strcmp(path, "-") == 0)
        return in_fd(is, STDIN_FILENO, true, path, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        memset(is, 0, sizeof *is);
        is->size = -1;
        return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
    }
    return in_fd(is, fd, false, path, err);
}

enum fy_rc
stream_in_fd(struct fy_istream *is,
             int fd,
             const char *name,
             struct fy_err *err)
{
    return in_fd(is, fd, false, name, err);
}

struct mem_in {
    const unsigned char *p;
    size_t len, pos;
};

static enum fy_rc
mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct mem_in *m = ctx;
    (void)err;
    size_t n = m->len - m->pos < cap ? m->len - m->pos : cap;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    *got = n;
    return FY_OK;
}

static void
mem_close(void *ctx)
{
    free(ctx);
}

void
stream_in_mem(struct fy_istream *is,
              const void *buf,
              size_t len,
              const char *name)
{
    struct mem_in *m = xcalloc(1, sizeof *m);
    m->p = buf;
    m->len = len;
    memset(is, 0, sizeof *is);
    is->read = mem_read;
    is->close = mem_close;
    is->ctx = m;
    is->name = name;
    is->fd = -1;
    is->size = (int64_t)len;
}

static enum fy_rc
sbuf_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    (void)err;
    sbuf_add(ctx, buf, n);
    return FY_OK;
}

static enum fy_rc
sbuf_close(void *ctx, bool commit, struct fy_err *err)
{
    (void)ctx;
    (void)commit;
    (void)err;
    return FY_OK;
}

void
stream_out_sbuf(struct fy_ostream *os, struct sbuf *sb, const char *name)
{
    memset(os, 0, sizeof *os);
    os->write = sbuf_write;
    os->close = sbuf_close;
    os->ctx = sb;
    os->name = name;
    os->fd = -1;
}
