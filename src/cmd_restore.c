/*
 * cmd_restore.c - `ferry restore URL DIR`: remote_download_open() straight
 * into arc_unpack(); no temporary archive anywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/arc.h"
#include "ferry/cmds.h"
#include "ferry/incr.h"
#include "ferry/parse.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"
#include "ferry/save.h"
#include "ferry/stream.h"

static const char usage[] =
    "usage: ferry restore URL DIR [--force] [--resumable|--no-resume]\n"
    "                     [options]\n"
    "       ferry restore SET-URL/ DIR [--force] [--state N] [options]\n"
    "\n"
    "Download the archive at URL and unpack it into DIR while it arrives\n"
    "(several ranged requests at once into a bounded window of memory; no\n"
    "temporary file).  Everything 'ferry unpack' promises holds: unsafe\n"
    "entries are refused, every file is checked against the manifest, the\n"
    "tree is built beside DIR and renamed into place, so a failed or broken\n"
    "download leaves DIR as it was.  An object larger than 5 TiB is refused\n"
    "before it is downloaded.  A URL pre-signed for GET (HEAD refused) works:\n"
    "the size comes from a GET of byte 0, and a server that ignores ranges\n"
    "gets one plain GET.  URLs are shown with passwords, signatures, keys\n"
    "and tokens as ***.\n"
    "\n"
    "Resume: by default nothing touches the disk but the new tree, so an\n"
    "interrupted restore downloads everything again.  With --resumable the\n"
    "archive is also kept as it arrives in DIR.ferry-download.part beside\n"
    "DIR (and its record, DIR.ferry-download.part.ferry, as 'ferry pull'\n"
    "keeps): run the same restore again after Ctrl-C, kill -9 or a reboot\n"
    "and only the missing bytes are downloaded (the unpack starts over).\n"
    "It costs the archive's size on disk until DIR is restored; then both\n"
    "files are removed.  A restore that finds them goes on with them, with\n"
    "or without --resumable; --no-resume removes them.\n"
    "\n"
    "  ferry restore --resumable s3://bkt/ws.tar.zst ws   (cut off? again)\n"
    "\n"
    "      --force             replace a non-empty DIR (only once the new\n"
    "                          tree is complete)\n"
    "      --strip-components N drop the first N path components\n"
    "      --resumable         keep the download in DIR.ferry-download.part\n"
    "                          so that a rerun resumes it\n"
    "      --no-resume         remove a kept download, keep nothing\n"
    "\n"
    "Save sets: a URL ending in '/' names a set made by 'ferry save\n"
    "--incremental': its newest state is restored (its full layer and\n"
    "deltas applied in one pass into the same staging directory, each file\n"
    "written once, everything checked against the state's index before the\n"
    "swap).  'ferry ls URL/' shows the states.  A missing or damaged layer\n"
    "is exit 3, a layer of another set exit 4, DIR untouched.\n"
    "      --state N           restore state N of the set, not the newest\n"
    "\n"
    "  ferry restore s3://bkt/sets/work/ ~/work --force\n"
    "  ferry restore --state 3 s3://bkt/sets/work/ /tmp/work-3\n";

/* after the remote options and their S3 and SFTP paragraphs */
static const char usage_tail[] =
    "Examples:\n"
    "  ferry restore s3://bkt/work.tar.zst ~/work       (absent or empty)\n"
    "  ferry restore s3://bkt/work.tar.zst ~/work --force --max-down 50M\n"
    "  ferry restore --resumable https://host/work.tar.zst ~/work\n"
    "  ferry restore sftp://nas/~/work.tar.gz ~/work\n"
    "\n"
    "Exit: 0 restored, 1 failed (\"no such object\", after retries, too\n"
    "large), 2 usage, 3 bad URL or AWS settings or corrupt archive, 4 unsafe\n"
    "entry, checksum mismatch, DIR not empty, SSH host or passphrase file\n"
    "refused or redirected to another host with --header, 5 stalled, 130\n"
    "interrupted.\n";

enum {
    OPT_FORCE = 256,
    OPT_STRIP,
    OPT_RESUMABLE,
    OPT_NO_RESUME,
    OPT_STATE,
};

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"force", no_argument, NULL, OPT_FORCE},
    {"strip-components", required_argument, NULL, OPT_STRIP},
    {"resumable", no_argument, NULL, OPT_RESUMABLE},
    {"no-resume", no_argument, NULL, OPT_NO_RESUME},
    {"state", required_argument, NULL, OPT_STATE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"URL", CLI_URL, NULL},
    {"DIR", CLI_DIR, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_restore_def = {"restore", options, arg_kinds,
                                        value_kinds};

/* What the command line asked for. */
struct restore_args {
    bool help;
    int64_t state;
    const char *url, *dir;
    struct arc_unpack_opts unpack;
    struct remote_opts remote;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct restore_args *a)
{
    struct fy_err *err = &ctx->err;
    int c;
    while ((c = cli_getopt(ctx, "restore", argc, argv, "h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        int64_t v;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case OPT_FORCE:
            a->unpack.force = true;
            break;
        case OPT_STRIP:
            rc = parse_i64("--strip-components", optarg, 0, 1024, &v, err);
            a->unpack.strip = (int)v;
            break;
        case OPT_RESUMABLE:
            a->remote.resumable = true;
            break;
        case OPT_NO_RESUME:
            a->remote.no_resume = true;
            break;
        case OPT_STATE:
            rc = parse_i64("--state", optarg, 1, INT64_MAX / 2, &a->state, err);
            break;
        default:
            if (!remote_opt_is(c))
                return err->rc; /* cli_getopt() recorded it */
            rc = remote_opts_set(&a->remote, c, optarg, err);
        }
        if (rc != FY_OK)
            return rc;
    }
    if (a->remote.resumable && a->remote.no_resume)
        return cli_usage(ctx, "restore",
                         "--resumable and --no-resume exclude each other");
    static const char *const names[] = {"URL", "DIR"};
    const char *args[2] = {NULL, NULL};
    enum fy_rc rc = cli_args(ctx, "restore", argc, argv, 2, names, args);
    a->url = args[0];
    a->dir = args[1];
    if (rc == FY_OK && a->url != NULL && incr_is_set(a->url) &&
        (a->remote.resumable || a->unpack.strip > 0))
        return cli_usage(ctx, "restore",
                         "a save set takes neither --resumable nor "
                         "--strip-components");
    if (rc == FY_OK && a->state > 0 && !incr_is_set(a->url))
        return cli_usage(ctx, "restore",
                         "--state goes with a save set (a URL ending in '/')");
    return rc;
}

/* A save set (incr.h): its newest state, or --state N. */
static enum fy_rc
run_incr(struct fy_ctx *ctx, const struct restore_args *a)
{
    struct incr_opts io = {0, false, a->state, 0};
    struct incr_result r;
    double t0 = out_now();
    enum fy_rc rc = incr_restore(a->url, a->dir, &a->unpack, &io, &a->remote,
                                 &ctx->out, &r, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc != FY_OK)
        return rc;
    char size[24], down[24], *show = remote_url_show(a->url);
    double secs = out_now() - t0;
    out_fmt_size(size, sizeof size, r.st.bytes);
    out_fmt_size(down, sizeof down, r.downloaded);
    out_info(&ctx->out,
             "restored state %lld of %s into %s: %lld files, %lld dirs, %lld "
             "symlinks (%s from %d layers, %s) in %.1f s; every file matches "
             "the state's index",
             (long long)r.seq, show, a->dir, (long long)r.st.files,
             (long long)r.st.dirs, (long long)r.st.symlinks, size, r.layers,
             down, secs);
    /* restore's fields (resumed, parts, retries: not counted for a set),
     * then the set's */
    out_event(&ctx->out, "done", "{sssssIsIsIsIsIsIsbsfsIsi}", "url", show,
              "dir", a->dir, "files", (long long)r.st.files, "bytes",
              (long long)r.st.bytes, "archive_bytes", (long long)r.downloaded,
              "resumed", -1LL, "parts", -1LL, "retries", -1LL, "verified", true,
              "seconds", secs, "seq", (long long)r.seq, "layers", r.layers);
    free(show);
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct restore_args *a)
{
    if (incr_is_set(a->url))
        return run_incr(ctx, a);
    const char *url = a->url, *dir = a->dir;
    struct remote_stats rs = {0};
    struct arc_stats st;
    double t0 = out_now();
    enum fy_rc rc = restore_run(url, dir, &a->unpack, &a->remote, &ctx->out,
                                &st, &rs, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK) {
        char size[24], down[24], had[64] = "", *show = remote_url_show(url);
        double secs = out_now() - t0;
        out_fmt_size(size, sizeof size, st.bytes);
        out_fmt_size(down, sizeof down, rs.bytes);
        if (rs.resumed > 0) {
            char r[24];
            out_fmt_size(r, sizeof r, rs.resumed);
            snprintf(had, sizeof had, "; resumed: %s was already here", r);
        }
        out_info(&ctx->out,
                 "restored %s into %s: %lld files, %lld dirs, %lld symlinks "
                 "(%s from %s) in %.1f s (%lld %s, %lld retried%s); %s",
                 show, dir, (long long)st.files, (long long)st.dirs,
                 (long long)st.symlinks, size, down, secs, (long long)rs.parts,
                 rs.parts == 1 ? "request" : "requests", (long long)rs.retries,
                 had,
                 st.manifest ? "every file matches the manifest"
                             : "no ferry manifest, checksums not verified");
        out_event(&ctx->out, "done", "{sssssIsIsIsIsIsIsbsf}", "url", show,
                  "dir", dir, "files", (long long)st.files, "bytes",
                  (long long)st.bytes, "archive_bytes", (long long)rs.bytes,
                  "resumed", (long long)rs.resumed, "parts",
                  (long long)rs.parts, "retries", (long long)rs.retries,
                  "verified", st.manifest, "seconds", secs);
        free(show);
    }
    return rc;
}

enum fy_rc
cmd_restore(int argc, char **argv, struct fy_ctx *ctx)
{
    struct restore_args a = {false, 0, NULL, NULL, {false, 0, false, {0}}, {0}};
    remote_opts_init(&a.remote);
    a.remote.phase = "restore";
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = remote_help(usage, usage_tail);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    remote_opts_release(&a.remote);
    return rc;
}
