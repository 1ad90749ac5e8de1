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
#include "ferry/incr.h"
#include "ferry/parse.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"
#include "ferry/save.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

static const char usage[] =
    "usage: ferry save DIR URL [options]\n"
    "       ferry save DIR SET-URL/ --incremental [--keep N] [--full]\n"
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
    "(repeatable)\n"
    "\n"
    "Incremental saves: with --incremental, URL ends in '/' and names a\n"
    "save set (s3://, sftp://, file://).  The first save uploads the whole\n"
    "tree (a full layer); later ones only what changed since the newest\n"
    "state (content, mode, mtime, links, deletions), an unchanged tree\n"
    "nothing at all.  Each layer is a plain tar.zst that GNU tar reads; the\n"
    "state is written last, so an interrupted save leaves the previous one\n"
    "restorable.  Once the deltas outgrow half the full layer a new full\n"
    "layer is written.  See doc/incremental.md.\n"
    "      --incremental       save into the set at URL/ (a delta when it "
    "can)\n"
    "      --keep N            states kept in the set (default 2); older "
    "ones,\n"
    "                          and layers no kept state needs, are removed\n"
    "      --full              write a full layer now, whatever the deltas\n";

/* after the remote options and their S3 and SFTP paragraphs */
static const char usage_tail[] =
    "Memory: S3 keeps at most --parallel parts (8 MiB each at first) in\n"
    "flight plus the one being filled.\n"
    "\n"
    "Examples:\n"
    "  ferry save ~/work s3://bkt/work.tar.zst\n"
    "  ferry save ~/work s3://bkt/work.tar.zst --max-up 20M   (the whole\n"
    "      upload, all --parallel parts together)\n"
    "  ferry save ~/work sftp://nas/~/work.tar.gz --exclude '.cache/'\n"
    "  ferry save ~/work file:///mnt/backup/work.tar.zst --level 9\n"
    "  ferry save ~/work s3://bkt/sets/work/ --incremental    (a delta of\n"
    "      what changed since the set's newest state)\n"
    "\n"
    "Exit: 0 saved, 1 failed (after retries), 2 usage, 3 bad URL or AWS\n"
    "settings, 4 SSH host or passphrase file refused, 5 stalled, 130\n"
    "interrupted.\n";

enum { OPT_INCR = 0x400, OPT_KEEP, OPT_FULL };

static const struct option options[] = {
    REMOTE_LONGOPTS,
    ARC_PACK_LONGOPTS,
    {"incremental", no_argument, NULL, OPT_INCR},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"full", no_argument, NULL, OPT_FULL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    ARC_PACK_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"DIR", CLI_DIR, NULL},
    {"URL", CLI_URL, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_save_def = {"save", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct save_args {
    bool help, incremental;
    struct incr_opts incr;
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
        case OPT_INCR:
            a->incremental = true;
            break;
        case OPT_FULL:
            a->incr.full = true;
            break;
        case OPT_KEEP: {
            int64_t v;
            rc = parse_i64("--keep", optarg, 1, INCR_KEEP_MAX, &v, err);
            a->incr.keep = (int)v;
            break;
        }
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
    if (rc == FY_OK && (a->incr.keep > 0 || a->incr.full) && !a->incremental)
        return cli_usage(ctx, "save",
                         "--keep and --full go with --incremental");
    if (rc == FY_OK && a->incremental != incr_is_set(a->url))
        return cli_usage(ctx, "save",
                         a->incremental
                             ? "--incremental needs a set URL ending in '/'"
                             : "a URL ending in '/' is a save set: add "
                               "--incremental");
    return rc;
}

/* DIR is a directory (as pack: missing is I/O (1), not a directory 3). */
static enum fy_rc
dir_check(const char *dir, struct fy_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
    if (!S_ISDIR(st.st_mode))
        return fy_fail(err, FY_EINPUT, "%s: not a directory", dir);
    return FY_OK;
}

/*
 * Before anything is packed: DIR a directory (as pack: missing is I/O
 * (1), not a directory 3), URL well formed (3), the format settled.
 */
static enum fy_rc
check(struct fy_ctx *ctx, struct save_args *a)
{
    struct fy_err *err = &ctx->err;
    if (dir_check(a->dir, err) != FY_OK)
        return err->rc;
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

/* --incremental: one layer of the set (incr.h). */
static enum fy_rc
run_incr(struct fy_ctx *ctx, struct save_args *a)
{
    struct fy_err *err = &ctx->err;
    if (dir_check(a->dir, err) != FY_OK)
        return err->rc;
    if (a->pack.format_given && a->pack.o.format != ARC_FMT_TAR_ZST)
        return cli_usage(ctx, "save", "a save set's layers are tar.zst");
    enum fy_rc rc =
        arc_pack_args_settle(&a->pack, "save", "layer.tar.zst", err);
    if (rc != FY_OK)
        return rc;
    struct incr_result r;
    double t0 = out_now();
    rc = incr_save(a->dir, a->url, &a->pack.o, &a->incr, &a->remote, &ctx->out,
                   &r, err);
    out_progress_end(&ctx->out);
    if (rc != FY_OK)
        return rc;
    char up[24], *show = remote_url_show(a->url);
    double secs = out_now() - t0;
    out_fmt_size(up, sizeof up, r.uploaded);
    if (r.unchanged)
        out_info(&ctx->out,
                 "%s unchanged since state %lld of %s: nothing uploaded",
                 a->dir, (long long)r.seq, show);
    else
        out_info(&ctx->out,
                 "saved %s to %s as state %lld: a %s layer of %lld changed "
                 "entries and %lld deletions (%d layers in all), %s uploaded "
                 "in %.1f s%s",
                 a->dir, show, (long long)r.seq, r.full ? "full" : "delta",
                 (long long)r.entries, (long long)r.deleted, r.layers, up, secs,
                 r.removed > 0 ? "; older objects removed" : "");
    /* save's fields (parts and retries: not counted for a set), then the
     * set's */
    out_event(&ctx->out, "done", "{sssssIsIsIsIsIsfsIsbsbsIsIsisi}", "dir",
              a->dir, "url", show, "files", (long long)r.st.files, "bytes",
              (long long)r.st.bytes, "archive_bytes", (long long)r.uploaded,
              "parts", -1LL, "retries", -1LL, "seconds", secs, "seq",
              (long long)r.seq, "unchanged", r.unchanged, "full", r.full,
              "entries", (long long)r.entries, "deleted", (long long)r.deleted,
              "layers", r.layers, "removed", r.removed);
    free(show);
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, struct save_args *a)
{
    if (a->incremental)
        return run_incr(ctx, a);
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
        out_event(&ctx->out, "done", "{sssssIsIsIsIsIsfss?}", "dir", a->dir,
                  "url", show, "files", (long long)st.files, "bytes",
                  (long long)st.bytes, "archive_bytes", (long long)rs.bytes,
                  "parts", (long long)rs.parts, "retries",
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
