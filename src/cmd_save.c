/*
 * cmd_save.c - `ferry save DIR URL`: arc_pack() straight into
 * remote_upload_open(); no temporary archive anywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cmds.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"
#include "ferry/save.h"
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
    "passwords, signatures, keys and tokens as ***.  The summary ends with\n"
    "the SHA-256 of the bytes uploaded (\"sha256\" in the done event), what\n"
    "sha256sum prints of the object.\n"
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
    "(repeatable)\n";

/* after the remote options and their S3 and SFTP paragraphs */
static const char usage_tail[] =
    "Memory: S3 keeps at most --parallel parts (8 MiB each at first) in\n"
    "flight plus the one being filled.\n"
    "\n"
    "Example:\n"
    "  ferry save ~/work s3://bkt/work.tar.zst --max-up 20M   (the whole\n"
    "  upload, all --parallel parts together)\n"
    "\n"
    "Exit: 0 saved, 1 failed (after retries), 2 usage, 3 bad URL or AWS\n"
    "settings, 4 SSH host or passphrase file refused, 5 stalled, 130\n"
    "interrupted.\n";

static const struct option options[] = {
    REMOTE_LONGOPTS,
    ARC_PACK_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the command line asked for. */
struct save_args {
    bool help;
    const char *dir, *url;
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
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        default:
            if (remote_opt_is(c))
                rc = remote_opts_set(&a->remote, c, optarg, err);
            else if (arc_pack_arg_is(c))
                rc = arc_pack_arg_set(&a->pack, "save", c, optarg, err);
            else
                return err->rc; /* cli_getopt() recorded it */
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"DIR", "URL"};
    const char *args[2] = {NULL, NULL};
    enum fy_rc rc = cli_args(ctx, "save", argc, argv, 2, names, args);
    a->dir = args[0];
    a->url = args[1];
    return rc;
}

/*
 * Before anything is packed: DIR a directory (as pack: missing is I/O
 * (1), not a directory 3), URL well formed (3), the format settled.
 */
static enum fy_rc
check(struct fy_ctx *ctx, struct save_args *a)
{
    struct fy_err *err = &ctx->err;
    struct stat st;
    if (stat(a->dir, &st) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", a->dir);
    if (!S_ISDIR(st.st_mode))
        return fy_fail(err, FY_EINPUT, "%s: not a directory", a->dir);
    struct remote_url u;
    enum fy_rc rc = remote_url_parse(a->url, &u, err);
    if (rc != FY_OK)
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

static enum fy_rc
run(struct fy_ctx *ctx, struct save_args *a)
{
    struct remote_stats rs = {0};
    struct arc_stats st;
    enum fy_rc rc = check(ctx, a);
    if (rc != FY_OK)
        return rc;
    double t0 = out_now();
    rc = save_run(a->dir, a->url, &a->pack.o, &a->remote, &ctx->out, &st, &rs,
                  &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK) {
        char in[24], up[24], rate[24], *show = remote_url_show(a->url);
        double secs = out_now() - t0;
        out_fmt_size(in, sizeof in, st.bytes);
        out_fmt_size(up, sizeof up, rs.bytes);
        out_fmt_size(rate, sizeof rate,
                     (int64_t)((double)rs.bytes / (secs > 0 ? secs : 1e-3)));
        out_info(&ctx->out,
                 "saved %s to %s: %lld files, %lld dirs, %lld symlinks (%s) "
                 "as %s in %.1f s (%s/s, %lld %s, %lld retried)",
                 a->dir, show, (long long)st.files, (long long)st.dirs,
                 (long long)st.symlinks, in, up, secs, rate,
                 (long long)rs.parts, rs.parts == 1 ? "request" : "requests",
                 (long long)rs.retries);
        if (st.sha256[0])
            out_info(&ctx->out, "sha256: %s", st.sha256);
        out_event(&ctx->out, "done", "{sssssssIsIsIsIsIsfss?}", "op", "save",
                  "dir", a->dir, "url", show, "files", (long long)st.files,
                  "bytes", (long long)st.bytes, "archive_bytes",
                  (long long)rs.bytes, "parts", (long long)rs.parts, "retries",
                  (long long)rs.retries, "seconds", secs, "sha256",
                  st.sha256[0] ? st.sha256 : NULL);
        free(show);
    }
    return rc;
}

enum fy_rc
cmd_save(int argc, char **argv, struct fy_ctx *ctx)
{
    struct save_args a;
    memset(&a, 0, sizeof a);
    arc_pack_opts_init(&a.pack.o);
    remote_opts_init(&a.remote);
    a.remote.phase = "save";
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = remote_help(usage, usage_tail);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    arc_pack_opts_release(&a.pack.o);
    remote_opts_release(&a.remote);
    return rc;
}
