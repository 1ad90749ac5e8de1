/*
 * cmd_pull.c - `ferry pull URL [-o FILE]`: options in, remote_pull() out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/cmds.h"
#include "ferry/fs.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"

static const char usage[] =
    "usage: ferry pull URL [-o FILE] [--no-resume] [options]\n"
    "\n"
    "Download one object from remote storage into FILE (default: the last\n"
    "element of URL, in the current directory; '-' is stdout; a directory,\n"
    "or any FILE ending in '/', gets DIR/<last element of URL>, as with cp).\n"
    "The directory FILE goes in must exist.  Large objects\n"
    "come in several ranged requests at once; an interrupted request resumes\n"
    "where it stopped.  FILE is written as FILE.part and renamed only when\n"
    "every byte has arrived; a FILE that is a device or FIFO is written into\n"
    "directly, in order.  An object larger than 5 TiB, or than the free\n"
    "space where FILE goes, is refused before it is downloaded.  A URL\n"
    "pre-signed for GET (HEAD refused: 403, 405, 501) works: the size comes\n"
    "from a GET of byte 0, and a server that ignores ranges gets one plain\n"
    "GET.  URLs are shown with passwords, signatures, keys and tokens as\n"
    "***.\n"
    "\n"
    "Resume: a pull that is interrupted (Ctrl-C, SIGTERM, kill -9, power\n"
    "loss) or fails keeps FILE.part and FILE.part.ferry, a small JSON record\n"
    "of the URL (secrets hidden), the size, the ETag or Last-Modified (SFTP:\n"
    "the mtime) and the byte ranges already on disk.  The same pull run\n"
    "again asks only for the missing bytes, with If-Match, so an object that\n"
    "changed meanwhile is fetched whole again: FILE is always one version\n"
    "of the object.  A server without byte ranges or validators starts over\n"
    "(-v says so).\n"
    "\n"
    "  -o, --output FILE|DIR/  write here, or into this directory\n"
    "      --no-resume         start over: remove FILE.part and\n"
    "                          FILE.part.ferry, and keep nothing if this\n"
    "                          pull is interrupted\n";

/* after the remote options and their S3 and SFTP paragraphs */
static const char usage_tail[] =
    "Examples:\n"
    "  ferry pull s3://bkt/ws.tar.zst -o ws.tar.zst    (cut off? run it "
    "again)\n"
    "  ferry pull --no-resume https://host/ws.tar.zst  (fetch it all afresh)\n"
    "  ferry pull s3://bkt/ws.tar.zst --max-down 50M   (all requests "
    "together)\n"
    "  ferry pull 'https://bkt.s3.amazonaws.com/ws.tar.zst?X-Amz-...' -o "
    "ws.tar.zst\n"
    "\n"
    "Exit: 0 downloaded, 1 failed (\"no such object\", after retries, too\n"
    "large), 2 usage, 3 bad URL or AWS settings, 4 SSH host or passphrase\n"
    "file refused or redirected to another host with --header, 5 stalled,\n"
    "130 interrupted (run it again to resume).\n";

enum { OPT_NO_RESUME = 256 };

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"output", required_argument, NULL, 'o'},
    {"no-resume", no_argument, NULL, OPT_NO_RESUME},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {"output", CLI_FILE, NULL},
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"URL", CLI_URL, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_pull_def = {"pull", options, arg_kinds, value_kinds};

/*
 * -o names a directory (one that exists, or any path ending in '/'): *into
 * is true.  A path ending in '/' that is not a directory is an I/O error
 * naming it as given.
 */
static enum fy_rc
output_dir(struct fy_ctx *ctx, const char *output, bool *into)
{
    struct stat st;
    size_t n = strlen(output);
    int r = stat(output, &st);
    *into = r == 0 && S_ISDIR(st.st_mode);
    if (*into || n == 0 || output[n - 1] != '/')
        return FY_OK;
    if (r == 0) /* not a directory, yet stat took the '/' */
        errno = ENOTDIR;
    return fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", output);
}

/*
 * The directory FILE goes in must exist, whatever the scheme (file://
 * would make it): a missing one is an I/O error naming FILE as given.
 */
static enum fy_rc
parent_exists(struct fy_ctx *ctx, const char *output)
{
    char *dir = fs_dirname(output);
    struct stat st;
    enum fy_rc rc = FY_OK;
    if (stat(dir, &st) != 0)
        rc = fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", output);
    else if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        rc = fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", output);
    }
    free(dir);
    return rc;
}

/* What the command line asked for. */
struct pull_args {
    bool help;
    const char *url;
    const char *output; /* -o FILE|DIR/, NULL: the last element of URL */
    struct remote_opts remote;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct pull_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "pull", argc, argv, "o:h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'o':
            a->output = optarg;
            break;
        case OPT_NO_RESUME:
            a->remote.no_resume = true;
            break;
        default:
            if (!remote_opt_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = remote_opts_set(&a->remote, c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"URL"};
    return cli_args(ctx, "pull", argc, argv, 1, names, &a->url);
}

/*
 * Where the object goes: -o FILE as given, '-' (stdout), or DIR/<last
 * element of URL> for -o DIR or no -o at all (*guess, caller frees).
 */
static enum fy_rc
output_path(struct fy_ctx *ctx,
            const struct pull_args *a,
            const char **path,
            char **guess)
{
    const char *output = a->output;
    bool into = false;
    enum fy_rc rc;
    *path = output;
    if (output != NULL && output[0] == '\0')
        return cli_usage(ctx, "pull", "-o: empty file name");
    if (output != NULL && strcmp(output, "-") != 0 &&
        (rc = output_dir(ctx, output, &into)) != FY_OK)
        return rc;
    if (output == NULL || into) {
        /* like cp and curl --output-dir: DIR/<last element of URL> */
        char *base = remote_url_basename(a->url);
        if (base == NULL) {
            char *show = remote_url_show(a->url);
            rc = cli_usage(ctx, "pull",
                           "cannot name the output after '%s': "
                           "give -o FILE",
                           show);
            free(show);
            return rc;
        }
        *guess = output ? fs_join(output, base) : base;
        if (output)
            free(base);
        *path = *guess;
    }
    if (strcmp(*path, "-") != 0)
        return parent_exists(ctx, *path);
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct pull_args *a)
{
    struct remote_stats st = {0};
    const char *url = a->url, *output;
    char *guess = NULL;
    enum fy_rc rc;
    struct remote_url u;
    if ((rc = remote_url_parse(url, &u, &ctx->err)) != FY_OK)
        return rc;
    remote_url_release(&u);
    if ((rc = output_path(ctx, a, &output, &guess)) != FY_OK)
        goto out;
    if (strcmp(output, "-") == 0)
        out_data_on_stdout(&ctx->out);
    char *shown = remote_url_show(url);
    out_event(&ctx->out, "start", "{ssss}", "url", shown, "file", output);
    free(shown);
    rc = remote_pull(url, output, &a->remote, &ctx->out, &st, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK) {
        char size[24], rate[24], had[64] = "", *show = remote_url_show(url);
        double secs = st.seconds > 0 ? st.seconds : 1e-3;
        out_fmt_size(size, sizeof size, st.bytes);
        out_fmt_size(rate, sizeof rate, (int64_t)((double)st.bytes / secs));
        if (st.resumed > 0) {
            char r[24];
            out_fmt_size(r, sizeof r, st.resumed);
            snprintf(had, sizeof had, "; resumed: %s was already here", r);
        }
        out_info(&ctx->out,
                 "pulled %s from %s into %s in %.1f s (%s/s, %lld "
                 "%s, %lld retried%s)",
                 size, show, output, st.seconds, rate, (long long)st.parts,
                 st.parts == 1 ? "request" : "requests", (long long)st.retries,
                 had);
        out_event(&ctx->out, "done", "{sssssIsIsIsIsf}", "url", show, "file",
                  output, "bytes", (long long)st.bytes, "resumed",
                  (long long)st.resumed, "parts", (long long)st.parts,
                  "retries", (long long)st.retries, "seconds", st.seconds);
        free(show);
    }
out:
    free(guess);
    return rc;
}

enum fy_rc
cmd_pull(int argc, char **argv, struct fy_ctx *ctx)
{
    struct pull_args a = {false, NULL, NULL, {0}};
    remote_opts_init(&a.remote);
    a.remote.phase = "pull";
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = remote_help(usage, usage_tail);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    remote_opts_release(&a.remote);
    return rc;
}
