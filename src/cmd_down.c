/*
 * cmd_down.c - `ferry down [-f ferry.ini]`: the manifest's [workspace]
 * saved to its remote as a new save that becomes current only when
 * complete, `keep` earlier ones kept (session_save()); with --autosave,
 * saved again whenever it changes until a signal (session_autosave_down()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/cmds.h"
#include "ferry/parse.h"
#include "ferry/remote.h"
#include "ferry/remote_opts.h"
#include "ferry/session.h"

static const char usage[] =
    "usage: ferry down [-f FILE] [--autosave DURATION] [options]\n"
    "\n"
    "Save the workspace of the manifest (ferry.ini, [workspace]: path,\n"
    "remote, exclude, keep) as 'ferry save' does, without a temporary file.\n"
    "Each down makes a new save that becomes the current one only once it\n"
    "is complete, so a failed or killed down never harms the current save:\n"
    "\n"
    "  REMOTE.saves/20261127T203000.123Z-1a2b3c4d.tar.zst   the saves\n"
    "  REMOTE.current     which save is current, and the `keep` before it\n"
    "\n"
    "The pointer REMOTE.current is written last; then the saves beyond\n"
    "`keep` (default 3) are removed.  'ferry up' restores the current\n"
    "save, 'ferry up --save N' the N-th before it; 'ferry ls "
    "REMOTE.saves/'\n"
    "shows them and 'ferry restore REMOTE.saves/NAME DIR' restores any.\n"
    "\n"
    "  -f, --file FILE         the manifest (default ./ferry.ini, else\n"
    "                          $XDG_CONFIG_HOME/ferry/ferry.ini)\n"
    "      --autosave DURATION keep running: save every DURATION (90s, 15m,\n"
    "                          1h30m) when the workspace changed; SIGTERM,\n"
    "                          SIGHUP or Ctrl-C saves a last time, exit 0\n";

/* after the remote options and their S3 and SFTP paragraphs */
static const char usage_tail[] =
    "Examples:\n"
    "  ferry down                          (./ferry.ini)\n"
    "  ferry down -f ~/vm/ferry.ini --retries 10\n"
    "  ferry down --autosave 5m            (until SIGTERM)\n"
    "\n"
    "Exit: 0 saved, 1 failed (the current save is untouched), 2 usage,\n"
    "3 bad manifest or remote, 4 SSH host or passphrase file refused,\n"
    "5 stalled, 130 interrupted (the current save is untouched, or the new\n"
    "save is complete and current).\n";

enum { OPT_AUTOSAVE = 256 };

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"file", required_argument, NULL, 'f'},
    {"autosave", required_argument, NULL, OPT_AUTOSAVE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {"file", CLI_FILE, NULL},
    {"autosave", CLI_DURATION, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_down_def = {"down", options, NULL, value_kinds};

/* What the command line asked for. */
struct down_args {
    bool help;
    const char *file;
    double autosave; /* > 0: --autosave */
    struct remote_opts remote;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct down_args *a)
{
    struct fy_err *err = &ctx->err;
    int c;
    while ((c = cli_getopt(ctx, "down", argc, argv, "hf:", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'f':
            a->file = optarg;
            break;
        case OPT_AUTOSAVE:
            rc = parse_duration("--autosave", optarg, SESSION_DURATION_MAX,
                                &a->autosave, err);
            if (rc == FY_OK && a->autosave < 1)
                rc = fy_fail(err, FY_EUSAGE, "--autosave: at least one second");
            break;
        default:
            if (!remote_opt_is(c))
                return err->rc; /* cli_getopt() recorded it */
            rc = remote_opts_set(&a->remote, c, optarg, err);
        }
        if (rc != FY_OK)
            return rc;
    }
    return cli_args(ctx, "down", argc, argv, 0, NULL, NULL);
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct down_args *a)
{
    struct session s;
    memset(&s, 0, sizeof s);
    enum fy_rc rc = session_load(a->file, &s, &ctx->err);
    if (rc != FY_OK)
        return rc;
    if (!s.ws.present) {
        rc = fy_fail(&ctx->err, FY_EINPUT,
                     "%s: no [workspace] section: nothing to save", s.file);
        session_release(&s);
        return rc;
    }
    char *shown = s.ws.remote ? remote_url_show(s.ws.remote) : NULL;
    out_event(&ctx->out, "start", "{ssssss?sb}", "manifest", s.file, "dir",
              s.ws.path, "url", shown, "autosave", a->autosave > 0);
    free(shown);
    if (a->autosave > 0) {
        s.ws.autosave = a->autosave;
        rc = session_autosave_down(&s.ws, &a->remote, &ctx->out, &ctx->err);
        session_release(&s);
        return rc;
    }
    struct session_saved r;
    double t0 = out_now();
    rc = session_save(&s.ws, &a->remote, &ctx->out, &r, &ctx->err);
    if (rc == FY_OK) {
        char in[24], up[24], *show = remote_url_show(r.url);
        double secs = out_now() - t0;
        out_fmt_size(in, sizeof in, r.bytes);
        out_fmt_size(up, sizeof up, r.archive);
        out_info(&ctx->out,
                 "saved %s to %s: %lld files (%s) as %s in %.1f s; current "
                 "now, %d %s kept, %d older removed",
                 s.ws.path, show, (long long)r.files, in, up, secs, r.kept,
                 r.kept == 1 ? "save" : "saves", r.removed);
        out_event(&ctx->out, "done", "{sssssssIsIsIsisisf}", "dir", s.ws.path,
                  "url", show, "name", r.name, "files", (long long)r.files,
                  "bytes", (long long)r.bytes, "archive_bytes",
                  (long long)r.archive, "kept", r.kept, "removed", r.removed,
                  "seconds", secs);
        free(show);
    }
    session_saved_release(&r);
    session_release(&s);
    return rc;
}

enum fy_rc
cmd_down(int argc, char **argv, struct fy_ctx *ctx)
{
    struct down_args a;
    memset(&a, 0, sizeof a);
    remote_opts_init(&a.remote);
    a.remote.phase = "down";
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = remote_help(usage, usage_tail);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    remote_opts_release(&a.remote);
    return rc;
}
