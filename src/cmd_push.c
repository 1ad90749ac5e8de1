/*
 * cmd_push.c - `ferry push FILE URL`: options in, remote_push() out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/cmds.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"

static const char usage[] =
    "usage: ferry push FILE URL [options]\n"
    "\n"
    "Upload one file to remote storage.  The object appears under URL only\n"
    "once the upload is complete (S3: one PUT, or a multipart upload with\n"
    "several parts in flight; SFTP: PATH.part, then renamed; file://: "
    "PATH.part,\n"
    "fsync, rename).  Failed requests are retried with backoff.  URLs are\n"
    "shown with passwords, signatures, keys and tokens as ***.\n"
    "\n"
    "URL: s3://BUCKET/KEY, http(s)://HOST/PATH, "
    "sftp://[USER@]HOST[:PORT]/PATH,\n"
    "     file:///PATH\n"
    "\n" REMOTE_OPTS_HELP "  -h, --help              this help\n"
    "\n"
    "S3 credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
    "AWS_SESSION_TOKEN,\n"
    "else ~/.aws/credentials (AWS_PROFILE); region AWS_REGION, "
    "AWS_DEFAULT_REGION\n"
    "or ~/.aws/config; AWS_ENDPOINT_URL for S3-compatible stores "
    "(path-style).\n"
    "HTTPS with a private CA: its bundle in CURL_CA_BUNDLE, AWS_CA_BUNDLE or\n"
    "SSL_CERT_FILE.\n"
    "\n"
    "Exit: 0 uploaded, 1 failed (a missing FILE, after retries), 2 usage,\n"
    "3 bad URL or FILE not a regular file, 4 SSH host refused, 5 stalled\n"
    "(--stall-timeout), 130 interrupted.\n";

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

enum fy_rc
cmd_push(int argc, char **argv, struct fy_ctx *ctx)
{
    struct remote_opts o;
    struct remote_stats st = {0};
    enum fy_rc rc = FY_OK;
    int c;
    remote_opts_init(&o);
    o.phase = "push";
    while (rc == FY_OK &&
           (c = cli_getopt(ctx, "push", argc, argv, "h", options)) != -1) {
        if (c == 'h') {
            rc = cli_help(usage);
            goto out;
        }
        if (remote_opt_is(c))
            rc = remote_opts_set(&o, c, optarg, &ctx->err);
        else
            rc = ctx->err.rc;
    }
    if (rc != FY_OK)
        goto out;
    static const char *const names[] = {"FILE", "URL"};
    const char *args[2];
    if ((rc = cli_args(ctx, "push", argc, argv, 2, names, args)) != FY_OK)
        goto out;
    const char *file = args[0], *url = args[1];
    /* FILE is local: missing is an I/O error (1), not "no such object";
     * a directory or device is not a file to upload (3) */
    struct stat sb;
    if (stat(file, &sb) != 0) {
        rc = fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", file);
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = fy_fail(&ctx->err, FY_EINPUT, "%s: not a regular file", file);
        goto out;
    }
    rc = remote_push(file, url, &o, &ctx->out, &st, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK) {
        char size[24], rate[24], *show = remote_url_show(url);
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
out:
    remote_opts_release(&o);
    return rc;
}
