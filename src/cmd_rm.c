/*
 * cmd_rm.c - `ferry rm URL...`: remote_remove() on each URL in turn.
 * Every URL is tried (until Ctrl-C); each failure is one line, the last
 * one printed by main.c, and the exit code is the worst of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/cmds.h"
#include "ferry/remote.h"
#include "ferry/remote_list.h"
#include "ferry/remote_opts.h"

static const char usage[] =
    "usage: ferry rm URL... [--force] [options]\n"
    "\n"
    "Remove objects from remote storage, one per URL:\n"
    "  s3://BUCKET/KEY     a HEAD, then DeleteObject (S3 answers the delete "
    "of\n"
    "                      a missing key with success, so ferry asks first)\n"
    "  http(s)://HOST/PATH DELETE (a path ending in / is refused: WebDAV "
    "would\n"
    "                      delete the whole collection)\n"
    "  sftp://[USER@]HOST[:PORT]/PATH   the SFTP remove command\n"
    "  file:///PATH        unlink (a symlink is removed, not what it points\n"
    "                      to; a directory is refused, exit 3)\n"
    "A missing object is an error ('no such object', exit 1) unless "
    "--force.\n"
    "Every URL is tried; each failure is one line on stderr, and the exit "
    "code\n"
    "is the worst of them.  URLs are shown with secrets as ***.\n"
    "\n"
    "  -f, --force             a missing object is not an "
    "error\n" REMOTE_OPTS_HELP "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  ferry rm s3://bucket/saves/ws-2026-11-01.tar.zst\n"
    "  ferry rm -f sftp://me@host/srv/saves/ws.tar.zst "
    "file:///mnt/old.tar.zst\n"
    "  ferry --json ls s3://bucket/old/ | jq -r 'select(.type==\"file\") | "
    ".url' \\\n"
    "      | xargs ferry rm\n"
    "\n"
    "--json: one {\"event\":\"removed\",\"command\":\"rm\",\"url\":...,"
    "\"existed\":true}\n"
    "per URL removed (existed false: missing, with --force).\n"
    "\n"
    "Proxies: http_proxy, https_proxy, ALL_PROXY and NO_PROXY, as for\n"
    "push (see 'ferry push --help').\n"
    "\n"
    "Exit: 0 removed, 1 failed (no such object, network, refused), 2 usage,\n"
    "3 bad URL or AWS settings, or a directory, 4 SSH host refused, 5\n"
    "stalled, 130 interrupted.\n";

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"force", no_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"URL...", CLI_URL, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_rm_def = {"rm", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct rm_args {
    bool help, force;
    char **urls; /* borrowed from argv */
    int nurls;
    struct remote_opts remote;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct rm_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "rm", argc, argv, "hf", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'f':
            a->force = true;
            break;
        default:
            if (!remote_opt_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = remote_opts_set(&a->remote, c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    if (optind >= argc)
        return cli_usage(ctx, "rm", "missing URL");
    for (int i = optind; i < argc; i++)
        if (argv[i][0] == '\0')
            return cli_usage(ctx, "rm", "URL is empty");
    a->urls = argv + optind;
    a->nurls = argc - optind;
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct rm_args *a)
{
    enum fy_rc worst = FY_OK;
    struct fy_err last = FY_ERR_INIT; /* printed by main.c */
    int64_t removed = 0;
    out_event(&ctx->out, "start", "{sI}", "urls", (long long)a->nurls);
    for (int i = 0; i < a->nurls; i++) {
        struct fy_err e = FY_ERR_INIT;
        bool missing = false;
        enum fy_rc rc;
        if (fy_interrupted())
            rc = fy_fail(&e, FY_EINTR, "rm: interrupted");
        else
            rc = remote_remove(a->urls[i], &a->remote, &ctx->out, &missing,
                               NULL, &e);
        char *show = remote_url_show(a->urls[i]);
        if (rc != FY_OK && missing && a->force) {
            out_verbose(&ctx->out, "%s: not there (--force)", show);
            out_event(&ctx->out, "removed", "{sssb}", "url", show, "existed",
                      0);
            rc = FY_OK;
        } else if (rc == FY_OK) {
            out_info(&ctx->out, "removed %s", show);
            out_event(&ctx->out, "removed", "{sssb}", "url", show, "existed",
                      1);
        }
        free(show);
        if (rc == FY_OK) {
            removed++;
            continue;
        }
        /* one line per failure: all but the last printed here */
        if (last.rc != FY_OK)
            out_error(&ctx->out, &last);
        last = e;
        if (rc > worst)
            worst = rc;
        if (rc == FY_EINTR)
            break;
    }
    if (worst != FY_OK)
        ctx->err = last;
    else
        out_event(&ctx->out, "done", "{sIsI}", "urls", (long long)a->nurls,
                  "removed", (long long)removed);
    return worst;
}

enum fy_rc
cmd_rm(int argc, char **argv, struct fy_ctx *ctx)
{
    struct rm_args a = {false, false, NULL, 0, {0}};
    remote_opts_init(&a.remote);
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    remote_opts_release(&a.remote);
    return rc;
}
