/*
 * save.c - the save and restore engines: arc_pack() straight into
 * remote_upload_open(), arc_unpack() straight out of
 * remote_download_open(), with save's restart of a broken upload.
 *
 * What it keeps true: a restart packs the directory anew into a new
 * request (a stream is never replayed); every restart is counted and
 * shown with -v; SIGINT/SIGTERM during the wait ends it with FY_EINTR.
 */
#include "ferry/save.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/resume.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

void
save_say_start(struct out *out, const char *dir, const char *url, bool restore)
{
    char *shown = remote_url_show(url);
    if (restore)
        out_event(out, "start", "{ssss}", "url", shown, "dir", dir);
    else
        out_event(out, "start", "{ssss}", "dir", dir, "url", shown);
    free(shown);
}

enum fy_rc
save_run(const char *dir,
         const char *url,
         const struct arc_pack_opts *po,
         const struct remote_opts *o,
         struct out *out,
         struct arc_stats *st,
         struct remote_stats *rs,
         struct fy_err *err)
{
    /* the uploader draws the progress; the packer keeps its warnings */
    struct out quiet = *out;
    quiet.mode = OUT_NONE;
    save_say_start(out, dir, url, false);
    for (int attempt = 1;; attempt++) {
        struct remote_stats one = {0};
        struct fy_ostream os;
        enum fy_rc rc = remote_upload_open(&os, url, o, out, &one, err);
        if (rc == FY_OK)
            rc = arc_pack(dir, po, &os, &quiet, st, err);
        rs->bytes = one.bytes;
        rs->parts = one.parts;
        rs->retries += one.retries;
        if (rc != FY_OK && one.restart && attempt > o->retries) {
            char *why = xstrdup(err->msg);
            fy_err_clear(err);
            rc = fy_fail(err, rc, "%s; gave up after %d uploads", why, attempt);
            free(why);
        }
        if (rc == FY_OK || !one.restart || attempt > o->retries ||
            fy_interrupted())
            return rc;
        double wait = remote_backoff(attempt, one.retry_after, remote_jitter());
        char *show = remote_url_show(url);
        out_progress_end(out);
        out_verbose(out,
                    "retrying %s in %.1f s: %s (attempt %d of %d; the "
                    "directory is packed again)",
                    show, wait, one.restart_why, attempt + 1, o->retries + 1);
        fy_err_clear(err);
        rs->retries++;
        fy_nap(wait);
        bool stop = fy_interrupted();
        if (stop)
            rc = fy_fail(err, FY_EINTR, "%s: interrupted", show);
        free(show);
        if (stop)
            return rc;
    }
}

/*
 * Where a resumable restore of dir keeps its download: DIR.ferry-download
 * (files DIR.ferry-download.part and .part.ferry) beside DIR; NULL when
 * DIR has no name of its own ("/", ".").  Caller frees.
 */
static char *
cache_path(const char *dir)
{
    char *base = fs_basename(dir), *parent = fs_dirname(dir), *path = NULL;
    if (*base && strcmp(base, "/") != 0 && strcmp(base, ".") != 0 &&
        strcmp(base, "..") != 0) {
        char *name = xasprintf("%s.ferry-download", base);
        path = fs_join(parent, name);
        free(name);
    }
    free(base);
    free(parent);
    return path;
}

enum fy_rc
restore_run(const char *url,
            const char *dir,
            const struct arc_unpack_opts *uo,
            const struct remote_opts *o,
            struct out *out,
            struct arc_stats *st,
            struct remote_stats *rs,
            struct fy_err *err)
{
    /* the downloader draws the progress; the unpacker keeps its warnings */
    struct out quiet = *out;
    quiet.mode = OUT_NONE;
    save_say_start(out, dir, url, true);
    struct fy_istream is;
    struct remote_opts ro = *o; /* borrowed fields stay borrowed */
    char *cache = cache_path(dir);
    /* SPEC: no temporary file, unless asked for (or left by a run that
     * was asked for) */
    if (cache != NULL && o->no_resume)
        resume_remove(cache);
    else if (cache != NULL && (o->resumable || resume_exists(cache)))
        ro.cache = cache;
    else if (o->resumable)
        out_verbose(out, "%s: no place beside it for a download: not resumable",
                    dir);
    enum fy_rc rc = remote_download_open(&is, url, &ro, out, rs, err);
    if (rc == FY_OK)
        rc = arc_unpack(&is, dir, uo, &quiet, st, err);
    if (rc == FY_OK && ro.cache != NULL)
        resume_remove(ro.cache);
    free(cache);
    return rc;
}
