/*
 * save.h - the save and restore engines: the archive engine (arc.h)
 * straight into an upload stream, or out of a download stream, of the
 * remote layer (remote.h); no temporary archive anywhere (src/save.c).
 *
 *     rc = save_run("ws", "s3://b/ws.tar.zst", &pack_opts, &remote_opts,
 *                   out, &st, &rs, err);
 *     rc = restore_run("s3://b/ws.tar.zst", "ws", &unpack_opts,
 *                      &remote_opts, out, &st, &rs, err);
 *
 * Ownership: every argument is borrowed and is only read (o->phase names
 * the progress phase); st and rs are filled (rs counts every request and
 * every retry, restarts included).  out draws the transfer's progress and
 * -v lines and the run's one "start" event (url with its secrets hidden);
 * the archive engine runs with out's warnings but no progress of its own.
 *
 * Errors are recorded in err (one line, the URL shown with its secrets
 * hidden) with arc.h's and remote.h's codes; an interrupted save or
 * restore returns FY_EINTR.  A failed save leaves nothing at the URL.
 */
#ifndef FERRY_SAVE_H
#define FERRY_SAVE_H

#include "ferry/arc.h"
#include "ferry/err.h"
#include "ferry/remote.h"

#ifdef __cplusplus
extern "C" {
#endif

struct out;

/*
 * Pack dir into one upload to url.  A stream cannot be replayed, so an
 * upload that broke midway in a retryable way (remote_stats.restart) is
 * started over: a new pack of dir into a new request, after the usual
 * backoff (shown with -v), at most o->retries times; then the error says
 * "gave up after N uploads".
 */
/*
 * The one "start" event of a save (restore false: dir, url) or a restore
 * (url, dir), with the URL's secrets hidden; the engines' own starts are
 * dropped after it (out.h).  Used by save_run(), restore_run() and the
 * save-set paths of `ferry save`/`ferry restore`.
 */
void
save_say_start(struct out *out, const char *dir, const char *url, bool restore);

enum fy_rc save_run(const char *dir,
                    const char *url,
                    const struct arc_pack_opts *po,
                    const struct remote_opts *o,
                    struct out *out,
                    struct arc_stats *st,
                    struct remote_stats *rs,
                    struct fy_err *err);

/* Unpack the archive at url into dir as it downloads. */
enum fy_rc restore_run(const char *url,
                       const char *dir,
                       const struct arc_unpack_opts *uo,
                       const struct remote_opts *o,
                       struct out *out,
                       struct arc_stats *st,
                       struct remote_stats *rs,
                       struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
