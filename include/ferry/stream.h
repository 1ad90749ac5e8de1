/*
 * stream.h - byte sinks and sources as small callback tables, so the
 * archive engine (arc.c) can write to a file, stdout or (later) an upload,
 * and read from a file, stdin or a download, without knowing which.
 *
 * Output:
 *
 *     struct fy_ostream os;
 *     if (stream_out_open(&os, "ws.tar.zst", err) != FY_OK) ...
 *     os.write(os.ctx, buf, n, err);            (all n bytes, or an error)
 *     os.close(os.ctx, true, err);              (commit: make it final)
 *
 * close() is called exactly once and frees ctx.  With commit false it
 * discards the output (a file's ARCHIVE.part is removed) and never fails.
 * For a file, commit means fsync, rename ARCHIVE.part to ARCHIVE, fsync
 * the directory (fs_atomic_*): an interrupted or failed pack never leaves
 * a partial file under the final name.  "-" is stdout: never renamed,
 * fsynced or removed.
 *
 * Input:
 *
 *     struct fy_istream is;
 *     if (stream_in_open(&is, "ws.tar.zst", err) != FY_OK) ...
 *     is.read(is.ctx, buf, cap, &got, err);     (got == 0: end of input)
 *     is.close(is.ctx);
 *
 * read() may return fewer bytes than asked.  "-" is stdin.
 *
 * Both honour SIGINT/SIGTERM: a write or read interrupted by a signal
 * returns FY_EINTR once fy_interrupted() is true.  A stream may be used
 * by one thread at a time (arc.c reads from a helper thread).
 */
#ifndef FERRY_STREAM_H
#define FERRY_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fy_ostream {
    /* Write all n bytes; FY_OK or an error recorded in err. */
    enum fy_rc (*write)(void *ctx,
                        const void *buf,
                        size_t n,
                        struct fy_err *err);
    /* Finish (commit) or discard (!commit), then free ctx. */
    enum fy_rc (*close)(void *ctx, bool commit, struct fy_err *err);
    void *ctx;
    const char *name; /* for messages: the final path, "-" for stdout */
    int fd;           /* the file descriptor written, or -1 if none */
    bool is_file;     /* a regular file on disk (the packer skips it) */
    /* write may run on a thread other than the caller's: it touches
     * nothing shared and never waits long (a regular file, not a pipe) */
    bool any_thread;
};

struct fy_istream {
    /* Read up to cap bytes into buf; *got = 0 means end of input. */
    enum fy_rc (*read)(
        void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err);
    /* Release everything; never fails. */
    void (*close)(void *ctx);
    void *ctx;
    const char *name; /* for messages: the path, "-" for stdin */
    int fd;           /* pollable descriptor, or -1 */
    int64_t size;     /* total bytes if known (progress), else -1 */
};

/*
 * Open an output: "-" is stdout, anything else a file written atomically
 * through "<path>.part" (mode 0644 once committed).  A file's data is
 * pushed to disk in the background while it is written (sync_file_range),
 * so the fsync at commit is short.
 */
enum fy_rc
stream_out_open(struct fy_ostream *os, const char *path, struct fy_err *err);

/* Open an input: "-" is stdin, anything else a file. */
enum fy_rc
stream_in_open(struct fy_istream *is, const char *path, struct fy_err *err);

/*
 * An input over fd, open for reading, named name in messages (borrowed;
 * must outlive the stream): taken over, closed by close() (or here, on a
 * failure).  A directory is FY_EINPUT.
 */
enum fy_rc stream_in_fd(struct fy_istream *is,
                        int fd,
                        const char *name,
                        struct fy_err *err);

/*
 * An input over a memory buffer (borrowed; must outlive the stream).
 * Used by tests and to replay bytes already read.
 */
void stream_in_mem(struct fy_istream *is,
                   const void *buf,
                   size_t len,
                   const char *name);

/* An output that appends to a caller-owned struct sbuf (tests). */
struct sbuf;
void stream_out_sbuf(struct fy_ostream *os, struct sbuf *sb, const char *name);

#ifdef __cplusplus
}
#endif

#endif
