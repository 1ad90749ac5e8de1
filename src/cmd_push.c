/*
 * cmd_push.c - `ferry push FILE URL`: options in, remote_push() out.
 * FILE "-" is stdin, uploaded as it arrives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/cmds.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"

static const char usage[] =
    "usage: ferry push FILE URL [options]\n"
    "       ferry push - URL [options]      (stdin)\n"
    "\n"
    "Upload one file to remote storage.  The object appears under URL only\n"
    "once the upload is complete (S3: one PUT, or a multipart upload with\n"
    "several parts in flight; SFTP: PATH.part, then renamed; file://: "
    "PATH.part,\n"
    "fsync, rename).  Failed requests are retried with backoff; S3 checks\n"
    "each part's Content-MD5 (a damaged one is sent again).  URLs are shown\n"
    "with passwords, signatures, keys and tokens as ***.\n"
    "\n"
    "FILE '-' is stdin, uploaded as it comes in bounded memory (S3: 8 MiB\n"
    "parts; HTTP: one chunked PUT, which S3 and some servers refuse) and\n"
    "made visible only once it ended: a failure or ^C leaves nothing.\n"
    "\n"
    "URL: s3://BUCKET/KEY, http(s)://HOST/PATH, "
    "sftp://[USER@]HOST[:PORT]/PATH,\n"
    "     file:///PATH; an http(s) URL pre-signed for PUT works as it is\n"
    "\n";

/* after the remote options and their S3 and SFTP paragraphs */
static const char usage_tail[] =
    "Examples:\n"
    "  ferry push ws.tar.zst s3://bkt/ws.tar.zst --max-up 10M\n"
    "  pg_dump db | zstd | ferry push - s3://bkt/db.sql.zst\n"
    "  ferry push ws.tar.zst 'https://bkt.s3.amazonaws.com/ws.tar.zst?"
    "X-Amz-...'\n"
    "\n"
    "Exit: 0 uploaded, 1 failed (a missing FILE, after retries), 2 usage\n"
    "(or stdin a terminal), 3 bad URL or AWS settings, or FILE not a regular\n"
    "file, 4 SSH host or passphrase file refused, 5 stalled\n"
    "(--stall-timeout), 130 interrupted.\n";

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"FILE", CLI_FILE, NULL},
    {"URL", CLI_URL, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_push_def = {"push", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct push_args {
    bool help;
    const char *file, *url;
    struct remote_opts remote;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct push_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "push", argc, argv, "h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        default:
            if (!remote_opt_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = remote_opts_set(&a->remote, c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"FILE", "URL"};
    const char *args[2] = {NULL, NULL};
    enum fy_rc rc = cli_args(ctx, "push", argc, argv, 2, names, args);
    a->file = args[0];
    a->url = args[1];
    return rc;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct push_args *a)
{
    struct remote_stats st = {0};
    /* FILE is local: missing is an I/O error (1), not "no such object";
     * a directory or device is not a file to upload (3) */
    struct stat sb;
    bool in = strcmp(a->file, "-") == 0;
    if (in && isatty(STDIN_FILENO))
        return cli_usage(ctx, "push",
                         "refusing to read the upload from a terminal "
                         "(pipe it in: CMD | ferry push - URL)");
    if (!in && stat(a->file, &sb) != 0)
        return fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", a->file);
    if (!in && !S_ISREG(sb.st_mode))
        return fy_fail(&ctx->err, FY_EINPUT, "%s: not a regular file", a->file);
    char *shown = remote_url_show(a->url);
    out_event(&ctx->out, "start", "{sssssI}", "file", a->file, "url", shown,
              "size", in ? -1LL : (long long)sb.st_size);
    free(shown);
    enum fy_rc rc =
        remote_push(a->file, a->url, &a->remote, &ctx->out, &st, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK) {
        char size[24], rate[24], *show = remote_url_show(a->url);
        double secs = st.seconds > 0 ? st.seconds : 1e-3;
        out_fmt_size(size, sizeof size, st.bytes);
        out_fmt_size(rate, sizeof rate, (int64_t)((double)st.bytes / secs));
        out_info(&ctx->out,
                 "pushed %s to %s in %.1f s (%s/s, %lld %s, %lld "
                 "retried)",
                 size, show, st.seconds, rate, (long long)st.parts,
                 st.parts == 1 ? "request" : "requests", (long long)st.retries);
        out_event(&ctx->out, "done", "{sssIsIsIsf}", "url", show, "bytes",
                  (long long)st.bytes, "parts", (long long)st.parts, "retries",
                  (long long)st.retries, "seconds", st.seconds);
        free(show);
    }
    return rc;
}

enum fy_rc
cmd_push(int argc, char **argv, struct fy_ctx *ctx)
{
    struct push_args a = {false, NULL, NULL, {0}};
    remote_opts_init(&a.remote);
    a.remote.phase = "push";
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = remote_help(usage, usage_tail);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    remote_opts_release(&a.remote);
    return rc;
}
