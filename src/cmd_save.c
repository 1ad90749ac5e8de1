/*
 * cmd_save.c - `ferry save DIR URL`: arc_pack() straight into
 * remote_upload_open(); no temporary archive anywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cmds.h"
#include "ferry/remote.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

static const char usage[] =
    "usage: ferry save DIR URL [options]\n"
    "\n"
    "Pack DIR (as 'ferry pack' does: manifest, excludes, .ferryignore) and\n"
    "upload the archive while it is being made, through a bounded memory\n"
    "pipeline: no temporary file, and faster than pack then push.  The\n"
    "object appears under URL only once the upload is complete; a failed or\n"
    "interrupted save leaves nothing there (an S3 multipart upload is\n"
    "aborted).  S3 retries each part on its own; an HTTP or SFTP upload that\n"
    "breaks midway (a reset, a 5xx) is started again from the first byte,\n"
    "packing DIR anew, up to --retries times.  URLs are shown with\n"
    "passwords, signatures, keys and tokens as ***.\n"
    "\n"
    "URL: s3://BUCKET/KEY, http(s)://HOST/PATH, "
    "sftp://[USER@]HOST[:PORT]/PATH,\n"
    "     file:///PATH\n"
    "\n"
    "      --format FMT        tar.zst (default), tar.gz, tar.xz, tar, zip;\n"
    "                          otherwise taken from URL's extension: any\n"
    "                          other name is refused unless --format\n"
    "      --level N           compression level (zstd default 3)\n"
    "      --threads N         compression threads (default: every core)\n"
    "      --exclude GLOB      leave out matching paths (repeatable)\n"
    "      --exclude-from FILE read exclude rules from FILE "
    "(repeatable)\n" REMOTE_OPTS_HELP "  -h, --help              this help\n"
    "\n"
    "Memory: S3 keeps at most --parallel parts (8 MiB each at first) in\n"
    "flight plus the one being filled.\n"
    "\n"
    "Exit: 0 saved, 1 failed (after retries), 2 usage, 3 bad URL, 4 SSH host\n"
    "refused, 5 stalled, 130 interrupted.\n";

static const struct option options[] = {
    REMOTE_LONGOPTS,
    ARC_PACK_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct save_args {
    const char *dir, *url;
    bool help;
    struct arc_pack_args pack;
    struct remote_opts remote;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct save_args *a)
{
    struct fy_err *err = &ctx->err;
    int c;
    while ((c = cli_getopt(ctx, "save", argc, argv, "h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        if (remote_opt_is(c)) {
            rc = remote_opts_set(&a->remote, c, optarg, err);
        } else if (arc_pack_arg_is(c)) {
            rc = arc_pack_arg_set(&a->pack, "save", c, optarg, err);
        } else {
            switch (c) {
            case 'h':
                a->help = true;
                return FY_OK;
            default:
                return err->rc;
            }
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"DIR", "URL"};
    const char *args[2];
    enum fy_rc rc = cli_args(ctx, "save", argc, argv, 2, names, args);
    if (rc != FY_OK)
        return rc;
    a->dir = args[0];
    a->url = args[1];
    struct stat st; /* as pack: missing is I/O (1), not a directory 3 */
    if (stat(a->dir, &st) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", a->dir);
    if (!S_ISDIR(st.st_mode))
        return fy_fail(err, FY_EINPUT, "%s: not a directory", a->dir);
    /* a bad URL is exit 3 before anything is packed */
    struct remote_url u;
    if ((rc = remote_url_parse(a->url, &u, err)) != FY_OK)
        return rc;
    /* the format follows the object's name, not a pre-signed query */
    char *name =
        u.scheme == REMOTE_FILE ? xstrdup(u.path) : remote_url_basename(a->url);
    if (name == NULL)
        name = xstrdup(u.show); /* no name: refused, with secrets hidden */
    rc = arc_pack_args_settle(&a->pack, "save", name, err);
    free(name);
    remote_url_release(&u);
    return rc;
}

/* Sleep secs, waking early on SIGINT/SIGTERM. */
static void
nap(double secs)
{
    double end = out_now() + secs;
    while (!fy_interrupted() && out_now() < end) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/*
 * Pack into one upload.  A stream cannot be replayed, so an upload that
 * broke midway in a retryable way is started over: a new pack of DIR into
 * a new request, with the usual backoff, up to --retries times.
 */
static enum fy_rc
save_with_restarts(struct save_args *a,
                   struct fy_ctx *ctx,
                   struct out *quiet,
                   struct arc_stats *st,
                   struct remote_stats *rs)
{
    for (int attempt = 1;; attempt++) {
        struct remote_stats one = {0};
        struct fy_ostream os;
        enum fy_rc rc = remote_upload_open(&os, a->url, &a->remote, &ctx->out,
                                           &one, &ctx->err);
        if (rc == FY_OK)
            rc = arc_pack(a->dir, &a->pack.o, &os, quiet, st, &ctx->err);
        rs->bytes = one.bytes;
        rs->parts = one.parts;
        rs->retries += one.retries;
        if (rc != FY_OK && one.restart && attempt > a->remote.retries) {
            char *why = xstrdup(ctx->err.msg);
            fy_err_clear(&ctx->err);
            rc = fy_fail(&ctx->err, rc, "%s; gave up after %d uploads", why,
                         attempt);
            free(why);
        }
        if (rc == FY_OK || !one.restart || attempt > a->remote.retries ||
            fy_interrupted())
            return rc;
        double wait = remote_backoff(attempt, one.retry_after, remote_jitter());
        char *show = remote_url_show(a->url);
        out_progress_end(&ctx->out);
        out_verbose(&ctx->out,
                    "retrying %s in %.1f s: %s (attempt %d of %d; the "
                    "directory is packed again)",
                    show, wait, one.restart_why, attempt + 1,
                    a->remote.retries + 1);
        fy_err_clear(&ctx->err);
        rs->retries++;
        nap(wait);
        bool stop = fy_interrupted();
        if (stop)
            rc = fy_fail(&ctx->err, FY_EINTR, "%s: interrupted", show);
        free(show);
        if (stop)
            return rc;
    }
}

enum fy_rc
cmd_save(int argc, char **argv, struct fy_ctx *ctx)
{
    struct save_args a;
    struct remote_stats rs = {0};
    struct arc_stats st;
    memset(&a, 0, sizeof a);
    arc_pack_opts_init(&a.pack.o);
    remote_opts_init(&a.remote);
    a.remote.phase = "save";
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help) {
        rc = cli_help(usage);
        goto out;
    }
    if (rc != FY_OK)
        goto out;
    /* the uploader draws the progress; the packer keeps its warnings */
    struct out quiet = ctx->out;
    quiet.mode = OUT_NONE;
    double t0 = out_now();
    rc = save_with_restarts(&a, ctx, &quiet, &st, &rs);
    out_progress_end(&ctx->out);
    if (rc == FY_OK) {
        char in[24], up[24], rate[24], *show = remote_url_show(a.url);
        double secs = out_now() - t0;
        out_fmt_size(in, sizeof in, st.bytes);
        out_fmt_size(up, sizeof up, rs.bytes);
        out_fmt_size(rate, sizeof rate,
                     (int64_t)((double)rs.bytes / (secs > 0 ? secs : 1e-3)));
        out_info(&ctx->out,
                 "saved %s to %s: %lld files, %lld dirs, %lld symlinks (%s) "
                 "as %s in %.1f s (%s/s, %lld %s, %lld retried)",
                 a.dir, show, (long long)st.files, (long long)st.dirs,
                 (long long)st.symlinks, in, up, secs, rate,
                 (long long)rs.parts, rs.parts == 1 ? "request" : "requests",
                 (long long)rs.retries);
        out_event(&ctx->out, "done", "{sssssssIsIsIsIsIsf}", "op", "save",
                  "dir", a.dir, "url", show, "files", (long long)st.files,
                  "bytes", (long long)st.bytes, "archive_bytes",
                  (long long)rs.bytes, "parts", (long long)rs.parts, "retries",
                  (long long)rs.retries, "seconds", secs);
        free(show);
    }
out:
    arc_pack_opts_release(&a.pack.o);
    remote_opts_release(&a.remote);
    return rc;
}
