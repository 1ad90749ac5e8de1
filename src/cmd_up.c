/*
 * cmd_up.c - `ferry up [-f ferry.ini]`: the manifest loaded and checked
 * (session_load()), the command line laid over its [network] section, then
 * up_run() (ferry/up.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ferry/cli_opts.h"
#include "ferry/cmds.h"
#include "ferry/parse.h"
#include "ferry/remote_opts.h"
#include "ferry/session.h"
#include "ferry/up.h"

static const char usage[] =
    "usage: ferry up [-f FILE] [options]\n"
    "\n"
    "Set up a VM from a manifest, ferry.ini: fetch every bundle (all in one\n"
    "BitTorrent session, at the same time, one progress line each) while\n"
    "the workspace is restored from its remote.  Bundles already complete\n"
    "are verified from their resume data, not downloaded again.  With no\n"
    "save at the remote yet, the workspace starts empty (exit 0).  A\n"
    "workspace directory that is not empty is kept as it is (--force\n"
    "replaces it with the save).  A bundle with seed-time seeds for that\n"
    "long once complete, while the rest goes on; up returns when every\n"
    "part is done (Ctrl-C while seeding: exit 0; --no-seed skips it).\n"
    "Ends with a table: what, size, time, result, source (secrets hidden).\n"
    "\n"
    "The manifest is -f FILE, else ./ferry.ini, else\n"
    "$XDG_CONFIG_HOME/ferry/ferry.ini (~/.config/ferry/ferry.ini):\n"
    "\n"
    "  [workspace]\n"
    "  path     = ~/work                       ; ~, $VAR, ${VAR} expand\n"
    "  remote   = s3://my-bucket/vm1/work.tar.zst\n"
    "  exclude  = __pycache__/ *.tmp           ; pack's globs, for down\n"
    "  keep     = 3                            ; earlier saves kept (down)\n"
    "  autosave = 15m                          ; 90s, 15m, 1h30m (up "
    "--autosave)\n"
    "\n"
    "  [bundle \"tools\"]                        ; as many as needed\n"
    "  source    = magnet:?xt=urn:btih:...     ; or a .torrent, or its URL\n"
    "  dest      = ~/tools\n"
    "  select    = bin/* lib/                  ; fetch --select globs\n"
    "  seed-time = 10m\n"
    "\n"
    "  [network]                               ; the command line wins\n"
    "  listen   = 0.0.0.0:6881\n"
    "  dht      = yes                          ; yes/no: dht, lsd, upnp\n"
    "  max-down = 20M\n"
    "  max-up   = 1M\n"
    "\n"
    "Unknown sections and keys are errors; every error names the file, line\n"
    "and key (exit 3) before anything is downloaded or written.  Relative\n"
    "paths are taken from the manifest's directory.\n"
    "\n"
    "  -f, --file FILE         the manifest\n"
    "      --no-bundles        only restore the workspace\n"
    "      --no-workspace      only fetch the bundles\n"
    "      --no-seed           do not seed after a bundle is complete\n"
    "      --force             replace a non-empty workspace directory with\n"
    "                          the save (only once it is complete)\n"
    "      --save N            restore the Nth earlier save (0: the newest)\n"
    "      --autosave[=DURATION]  then keep running: save the workspace\n"
    "                          (as down) every DURATION if it changed, and\n"
    "                          once more on SIGTERM/SIGHUP/SIGINT, exit 0\n"
    "                          (default: the manifest's autosave, else 15m;\n"
    "                          autosave = in the manifest turns it on too)\n"
    "Network, for every bundle (over [network]):\n"
    "      --peer HOST:PORT    connect to this peer (repeatable)\n"
    "      --tracker URL       add a tracker (repeatable)\n"
    "      --webseed URL       add an HTTP web seed (repeatable)\n"
    "      --listen ADDR:PORT  listen here\n"
    "      --no-dht, --no-lsd, --no-upnp   discovery off\n"
    "      --max-down RATE, --max-up RATE  limits for the bundles' session,\n"
    "                          e.g. 20M (the workspace's restore has the "
    "same)\n"
    "      --timeout SECS      a bundle gives up (exit 5) after SECS in all\n"
    "      --stall-timeout SECS  a bundle, or a restore request, without\n"
    "                          data for SECS gives up (SECS: 90, 90s, 15m,\n"
    "                          1h30m)\n"
    "Storage, for the workspace (as restore):\n";

static const char usage_tail[] =
    "Examples:\n"
    "  ferry up                                 ./ferry.ini\n"
    "  ferry up -f vm.ini --no-workspace\n"
    "  ferry up --listen 127.0.0.1:0 --no-dht --no-lsd --no-upnp \\\n"
    "      --peer 127.0.0.1:6881\n"
    "\n"
    "Exit: the worst of the parts: 0 all done, 1 I/O or network, 2 usage,\n"
    "3 bad manifest (or bad magnet, torrent, archive), 4 unsafe torrent or\n"
    "archive, checksum mismatch, 5 timed out, 130 interrupted.\n";

enum {
    OPT_NO_BUNDLES = 256,
    OPT_NO_WORKSPACE,
    OPT_NO_SEED,
    OPT_FORCE,
    OPT_SAVE,
    OPT_AUTOSAVE,
};

static const struct option options[] = {
    REMOTE_LONGOPTS, /* first: its --stall-timeout, --max-down and --max-up
                      * are also the bundles' */
    {"file", required_argument, NULL, 'f'},
    {"no-bundles", no_argument, NULL, OPT_NO_BUNDLES},
    {"no-workspace", no_argument, NULL, OPT_NO_WORKSPACE},
    {"no-seed", no_argument, NULL, OPT_NO_SEED},
    {"force", no_argument, NULL, OPT_FORCE},
    {"save", required_argument, NULL, OPT_SAVE},
    {"autosave", optional_argument, NULL, OPT_AUTOSAVE},
    {"peer", required_argument, NULL, CLI_OPT_PEER},
    {"webseed", required_argument, NULL, CLI_OPT_WEBSEED},
    {"tracker", required_argument, NULL, CLI_OPT_TRACKER},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {"listen", required_argument, NULL, CLI_OPT_LISTEN},
    {"no-dht", no_argument, NULL, CLI_OPT_NO_DHT},
    {"no-lsd", no_argument, NULL, CLI_OPT_NO_LSD},
    {"no-upnp", no_argument, NULL, CLI_OPT_NO_UPNP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {"timeout", CLI_DURATION, NULL},
    {"file", CLI_FILE, NULL},
    {"autosave", CLI_DURATION, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_up_def = {"up", options, NULL, value_kinds};

struct up_args {
    bool help;
    const char *file;
    struct up_opts o;
    bool max_down_set, max_up_set;
    bool autosave;         /* --autosave */
    double autosave_every; /* its DURATION, 0: the manifest's or 15m */
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct up_args *a)
{
    struct fy_err *err = &ctx->err;
    int c;
    while ((c = cli_getopt(ctx, "up", argc, argv, "f:h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        int64_t v;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'f':
            a->file = optarg;
            break;
        case OPT_NO_BUNDLES:
            a->o.no_bundles = true;
            break;
        case OPT_NO_WORKSPACE:
            a->o.no_workspace = true;
            break;
        case OPT_NO_SEED:
            a->o.no_seed = true;
            break;
        case OPT_FORCE:
            a->o.force = true;
            break;
        case OPT_AUTOSAVE:
            a->autosave = true;
            if (optarg != NULL)
                rc = parse_duration("--autosave", optarg, SESSION_DURATION_MAX,
                                    &a->autosave_every, err);
            break;
        case OPT_SAVE:
            rc = parse_i64("--save", optarg, 0, SESSION_KEEP_MAX, &v, err);
            a->o.save = (int)v;
            break;
        default:
            /* the same limits for the bundles as for the workspace */
            if (c == REMOTE_OPT_STALL || c == REMOTE_OPT_MAX_DOWN ||
                c == REMOTE_OPT_MAX_UP) {
                int fc = c == REMOTE_OPT_STALL      ? CLI_OPT_STALL
                         : c == REMOTE_OPT_MAX_DOWN ? CLI_OPT_MAX_DOWN
                                                    : CLI_OPT_MAX_UP;
                if ((rc = cli_opts_fetch_set(&a->o.net, fc, optarg, err)) !=
                    FY_OK)
                    return rc;
                a->max_down_set |= c == REMOTE_OPT_MAX_DOWN;
                a->max_up_set |= c == REMOTE_OPT_MAX_UP;
            }
            if (remote_opt_is(c)) {
                rc = remote_opts_set(&a->o.remote, c, optarg, err);
                break;
            }
            if (!cli_opts_fetch_is(c))
                return err->rc; /* cli_getopt() recorded it */
            a->max_down_set |= c == CLI_OPT_MAX_DOWN;
            a->max_up_set |= c == CLI_OPT_MAX_UP;
            rc = cli_opts_fetch_set(&a->o.net, c, optarg, err);
        }
        if (rc != FY_OK)
            return rc;
    }
    return cli_args(ctx, "up", argc, argv, 0, NULL, NULL);
}

/* The manifest's [network] under what the command line said. */
static void
merge_network(struct up_args *a, const struct session_network *n)
{
    struct fetch_opts *o = &a->o.net;
    if (o->listen == NULL)
        o->listen = n->listen;
    if (n->dht == 0)
        o->dht = false;
    if (n->lsd == 0)
        o->lsd = false;
    if (n->upnp == 0)
        o->upnp = false;
    if (!a->max_down_set)
        o->max_down = n->max_down;
    if (!a->max_up_set)
        o->max_up = n->max_up;
}

/* --autosave, or autosave = in the manifest (unless --no-workspace):
 * it needs a [workspace]; checked before anything is fetched. */
static enum fy_rc
check_autosave(struct up_args *a, const struct session *s, struct fy_err *err)
{
    if (!a->autosave &&
        !(s->ws.present && s->ws.autosave > 0 && !a->o.no_workspace))
        return FY_OK;
    if (a->o.no_workspace)
        return fy_fail(err, FY_EUSAGE,
                       "--autosave and --no-workspace: nothing to save");
    if (!s->ws.present)
        return fy_fail(err, FY_EINPUT, "%s: --autosave: no [workspace]",
                       s->file);
    a->autosave = true;
    return FY_OK;
}

/* After up: save the workspace whenever it changed, until a signal. */
static enum fy_rc
autosave(const struct up_args *a,
         const struct session *s,
         struct out *out,
         struct fy_err *err)
{
    struct session_workspace ws = s->ws; /* shallow: read only */
    if (a->autosave_every > 0)
        ws.autosave = a->autosave_every;
    if (ws.autosave <= 0)
        ws.autosave = SESSION_AUTOSAVE_DEFAULT;
    return session_autosave(&ws, &a->o.remote, out, err);
}

enum fy_rc
cmd_up(int argc, char **argv, struct fy_ctx *ctx)
{
    struct up_args a = {false, NULL, {0}, false, false, false, 0};
    up_opts_init(&a.o);
    struct session s;
    bool loaded = false;
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help) {
        rc = remote_help(usage, usage_tail);
    } else if (rc == FY_OK &&
               (rc = session_load(a.file, &s, &ctx->err)) == FY_OK) {
        loaded = true;
        merge_network(&a, &s.net);
        rc = check_autosave(&a, &s, &ctx->err);
        if (rc == FY_OK)
            rc = up_run(&s, &a.o, &ctx->out, &ctx->err);
        /* only over a workspace that was set up: an autosave of a failed
         * restore would make an empty tree the newest save */
        if (rc == FY_OK && a.autosave)
            rc = autosave(&a, &s, &ctx->out, &ctx->err);
    }
    if (loaded)
        session_release(&s);
    up_opts_release(&a.o);
    return rc;
}
