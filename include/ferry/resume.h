/*
 * resume.h - a download into FILE.part that a later run can finish
 * (src/resume.c; the record and its JSON: src/resume_record.c).  pull
 * keeps FILE.part and a small sidecar, FILE.part.ferry, that says which
 * object the bytes are from and which byte ranges of it are already on
 * disk.  No libcurl here: the transfers are remote_pull.c's.
 *
 *     struct resume_meta want = {url_shown, size, etag, modified};
 *     rc = resume_open(&r, "ws.tar.zst", &want, true, out, err);
 *     have = resume_have(r);           (ranges already on disk: skip them)
 *     ... pwrite(resume_fd(r), ...) at offsets ...
 *     resume_checkpoint(r, &written, max_lag);   (often, as bytes land)
 *     rc = resume_commit(r, err);      (all there: FILE.part -> FILE)
 *   or, interrupted or failed:
 *     resume_keep(r, &written, err);   (a rerun picks it up)
 *   or resume_discard(r);               (remove FILE.part and the sidecar)
 *
 * The sidecar is one JSON object (resume_format/resume_parse):
 *
 *   {"format":"ferry-resume","version":1,"url":"https://h/k?sig=***",
 *    "size":209715200,"etag":"\"9b2cf535f27731c974343645a3985328\"",
 *    "modified":"Tue, 01 Dec 2026 10:00:00 GMT","done":[[0,8388608],...]}
 *
 * url is the URL as remote_url_show() shows it (no secret ever reaches the
 * disk); etag and modified are the server's validators (null if none;
 * for SFTP and file://, modified is the mtime in seconds); done lists the
 * byte ranges [from, to) that are on disk, sorted, disjoint, not touching.
 *
 * What it guarantees: a range is named in the sidecar only after the
 * bytes of FILE.part were fdatasync()ed, and the sidecar is replaced
 * atomically (written to FILE.part.ferry.tmp, fsynced, renamed), so after
 * a kill -9 or a power loss every range the sidecar names holds the
 * object's bytes; at worst it lags the data.  A run that starts over
 * removes the sidecar (and fsyncs the directory) before it truncates
 * FILE.part.  The checkpoints are written by a thread of their own
 * (fdatasync does not stall the transfers) as often as the disk allows;
 * resume_checkpoint() waits when more than max_lag bytes are on their way
 * to it, which bounds what a kill -9 can cost.
 *
 * Hostile directory: FILE.part is opened with O_NOFOLLOW and used only if
 * it is a regular file with one link, owned by this user, that no other
 * process holds a lock on (flock: two pulls into one FILE fail, they do
 * not mix); anything else at that name (a symlink, FIFO, device, hard
 * link) is removed, never written through, and a new file is made with
 * O_EXCL.  The sidecar is read the same way, at most RESUME_MAX_TEXT
 * bytes, and parsed strictly: any doubt (malformed, unknown keys, ranges
 * beyond the size, a size that differs from FILE.part's, another URL,
 * other validators) starts the download over, with a warning for a
 * damaged sidecar and a -v line for a changed object.
 *
 * Ownership: resume_open copies want; resume_commit, resume_keep and
 * resume_discard free r.  Errors are recorded in err as "FILE: why".
 * Threads: every function but resume_checkpoint and resume_failed belongs
 * to the thread that opened r; those two may be called from one other
 * thread (the transfer engine's) while the opener waits for it.
 */
#ifndef FERRY_RESUME_H
#define FERRY_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct out;

/* Bounds on what a sidecar may hold. */
#define RESUME_MAX_TEXT   (256 * 1024)
#define RESUME_MAX_RANGES 4096
#define RESUME_MAX_TOKEN  1024 /* etag, modified */
#define RESUME_MAX_URL    (64 * 1024)

/* ------------------------------------------------------- byte ranges */

struct resume_range {
    int64_t from, to; /* [from, to) */
};
/* Sorted, disjoint, never touching (adjacent ranges are merged). */
struct resume_ranges {
    struct resume_range *v;
    size_t n, cap;
};
#define RESUME_RANGES_INIT                                                     \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

/* Add [from, to) (nothing if empty), merging as needed. */
void resume_ranges_add(struct resume_ranges *r, int64_t from, int64_t to);
void resume_ranges_copy(struct resume_ranges *dst,
                        const struct resume_ranges *src);
void resume_ranges_clear(struct resume_ranges *r);
void resume_ranges_release(struct resume_ranges *r);
/* How many bytes the ranges hold. */
int64_t resume_ranges_bytes(const struct resume_ranges *r);
/* Is all of [from, to) covered? */
bool
resume_ranges_covers(const struct resume_ranges *r, int64_t from, int64_t to);
/* The end of the range that holds pos, or pos if none does. */
int64_t resume_ranges_end(const struct resume_ranges *r, int64_t pos);
/*
 * The first gap of r in [pos, size): true with [*from, *to), or false if
 * [pos, size) is covered.
 */
bool resume_ranges_gap(const struct resume_ranges *r,
                       int64_t size,
                       int64_t pos,
                       int64_t *from,
                       int64_t *to);

/* ---------------------------------------------------------- sidecar */

struct resume_meta {
    char *url;      /* as remote_url_show() shows it */
    int64_t size;   /* bytes, >= 0 */
    char *etag;     /* a strong ETag as the server sent it, or NULL */
    char *modified; /* Last-Modified as sent, or an mtime; or NULL */
};
#define RESUME_META_INIT                                                       \
    {                                                                          \
        NULL, -1, NULL, NULL                                                   \
    }
void resume_meta_copy(struct resume_meta *dst, const struct resume_meta *src);
void resume_meta_release(struct resume_meta *m);
/* Same object: same url, size, etag and modified (NULL == NULL). */
bool resume_meta_same(const struct resume_meta *a, const struct resume_meta *b);

/*
 * The URL a sidecar names, from url as remote_url_show() shows it: without
 * its fragment and without the query parameters that only date a
 * pre-signed URL (X-Amz-Date, X-Amz-Expires, Expires, X-Goog-Date,
 * X-Goog-Expires; any case), so a URL signed again for the same object
 * resumes (its secrets are "***" already; the validators still have to
 * match).  Caller frees.
 */
char *resume_url_id(const char *shown);

/*
 * Is s fit to be a validator: 1 to RESUME_MAX_TOKEN printable ASCII bytes
 * (it goes back to the server in a header, and into the sidecar)?
 */
bool resume_token_ok(const char *s);

/* The sidecar's text for m and done (one line, '\n' ended).  Caller frees.
 * At most RESUME_MAX_RANGES ranges are written (the first ones): what is
 * left out is fetched again, never trusted. */
char *resume_format(const struct resume_meta *m,
                    const struct resume_ranges *done);
/*
 * Parse a sidecar's text (len bytes, hostile) into m and done (both
 * empty on entry; filled only on success).  Anything but what
 * resume_format() writes is FY_EINPUT with a few words saying why.
 */
enum fy_rc resume_parse(const char *text,
                        size_t len,
                        struct resume_meta *m,
                        struct resume_ranges *done,
                        struct fy_err *err);

/* ---------------------------------------------------------- the file */

struct resume;

/*
 * Open path.part for a download of want (want->size >= 0 is the size the
 * file is made; the file is sparse).  With resume true, a sidecar that
 * matches want and path.part is trusted: resume_have() lists its ranges,
 * and checkpoints are written; with resume false (--no-resume, or a server
 * that gives no validator) nothing is kept: any old part and sidecar are
 * dropped and none is written.  path must not be a directory.
 */
enum fy_rc resume_open(struct resume **rp,
                       const char *path,
                       const struct resume_meta *want,
                       bool resume,
                       struct out *out,
                       struct fy_err *err);
/* The descriptor of path.part, for pwrite. */
int resume_fd(const struct resume *r);
/* The ranges already on disk when opened (or restarted). */
const struct resume_ranges *resume_have(const struct resume *r);
/* The sidecar's path ("FILE.part.ferry"), for messages. */
const char *resume_sidecar(const struct resume *r);

/*
 * The ranges in written (a superset of resume_have(), all pwrite()n) may
 * be recorded: the checkpoint thread fdatasyncs path.part and then writes
 * them to the sidecar.  A later call replaces a checkpoint not yet begun.
 * If more than max_lag bytes of written are not yet recorded, wait (at
 * most until SIGINT/SIGTERM or a failure) until they are; max_lag <= 0:
 * never wait.  Does nothing when not resuming.
 */
void resume_checkpoint(struct resume *r,
                       const struct resume_ranges *written,
                       int64_t max_lag);
/* The checkpoint thread's failure (fdatasync, a full disk), if any,
 * copied into err; FY_OK if none. */
enum fy_rc resume_failed(struct resume *r, struct fy_err *err);

/*
 * The object changed on the server during the download: drop the
 * sidecar, empty path.part, and go on as a fresh download of want (resume
 * as for resume_open).  resume_have() is then empty.
 */
enum fy_rc resume_restart(struct resume *r,
                          const struct resume_meta *want,
                          bool resume,
                          struct fy_err *err);

/* Every byte is there: fsync, rename path.part to path, remove the
 * sidecar, fsync the directory.  Frees r, whatever happens. */
enum fy_rc resume_commit(struct resume *r, struct fy_err *err);
/*
 * Stop here and keep what is there for a rerun: a last checkpoint of
 * written, made durable now.  Returns true if something resumable was
 * kept (else path.part is removed, as resume_discard() does).  Frees r.
 */
bool resume_keep(struct resume *r, const struct resume_ranges *written);
/* Remove path.part and the sidecar.  Frees r; NULL is fine. */
void resume_discard(struct resume *r);
/*
 * Remove what a download into path left (path.part, its sidecar and the
 * sidecar's temporary), whatever they are (unlink: links are not
 * followed); missing ones are fine.  For a resumable restore's cache once
 * DIR is restored, or --no-resume.
 */
void resume_remove(const char *path);
/* Is there a sidecar for path (a regular file, not followed)? */
bool resume_exists(const char *path);

#ifdef __cplusplus
}
#endif

#endif
