/*
 * cmd_seed.c - `ferry seed`: verify a directory against a torrent and
 * upload it until interrupted.
 */
#include "ferry/cli_opts.h"
#include "ferry/cmds.h"
#include "ferry/fetch.h"

enum { OPT_SUPER_SEED = 256, OPT_SEND_ONCE };

static const char usage[] =
    "usage: ferry seed FILE.torrent -d DIR [options]\n"
    "\n"
    "Check every piece of DIR against the torrent, then seed it until\n"
    "interrupted (Ctrl-C or SIGTERM, exit 0).  A DIR that does not match the\n"
    "torrent is refused (exit 4); seed never downloads or changes a file.\n"
    "DIR is the directory that holds the torrent's top directory or file,\n"
    "i.e. the -o DIR of a fetch.  Progress shows the bytes sent, the\n"
    "upload rate, the peers and the ratio (bytes sent / the data's size).\n"
    "\n"
    "  -d, --dir DIR           the data to seed (required)\n"
    "      --listen ADDR:PORT  listen here (default 0.0.0.0:6881 and "
    "[::]:6881;\n"
    "                          port 0 picks a free one, shown on start)\n"
    "      --tracker URL       announce to this tracker too (repeatable)\n"
    "      --peer HOST:PORT    connect to this peer (repeatable)\n"
    "      --max-up RATE       upload limit, e.g. 10M (bytes/s; 0 = none;\n"
    "                          at most 2G)\n"
    "      --seed-time SECS    stop after SECS (a duration: 3600, 90m, 1h30m)\n"
    "      --seed-ratio R      stop after sending R times the torrent's size\n"
    "      --super-seed        BEP 16 super seeding (libtorrent's): each\n"
    "                          peer is shown one piece at a time, the next\n"
    "                          once it has that one, so the origin sends\n"
    "                          every piece about once; with libtorrent\n"
    "                          2.0.8 a new peer waits 10 s for its first\n"
    "                          piece: --send-once is faster\n"
    "      --send-once         for an origin that starts a fleet: a request\n"
    "                          for a piece another peer is getting from this\n"
    "                          seed, or has, is turned away (BEP 6 reject)\n"
    "                          for up to 8 s, so the peers trade it instead\n"
    "      --no-dht, --no-lsd, --no-upnp   as for fetch\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  ferry seed tools.torrent -d ~                (~/tools is the data)\n"
    "  ferry seed tools.torrent -d . --send-once --max-up 100M\n"
    "      (an origin for many VMs, each running: ferry fetch tools.torrent\n"
    "      -o /opt --seed-time 5m; see doc/FLEET.md)\n"
    "  ferry seed tools.torrent -d /opt --listen 0.0.0.0:6881 --max-up 50M\n"
    "  ferry seed tools.torrent -d /opt --seed-time 2h   (then exit 0)\n"
    "\n"
    "Exit: 0 stopped by Ctrl-C/SIGTERM or --seed-time/--seed-ratio, 1 I/O\n"
    "(a missing torrent or DIR), 2 usage, 3 bad torrent, 4 DIR does not\n"
    "match the torrent.\n";

static const struct option options[] = {
    {"dir", required_argument, NULL, 'd'},
    {"listen", required_argument, NULL, CLI_OPT_LISTEN},
    {"tracker", required_argument, NULL, CLI_OPT_TRACKER},
    {"peer", required_argument, NULL, CLI_OPT_PEER},
    {"max-up", required_argument, NULL, CLI_OPT_MAX_UP},
    {"seed-time", required_argument, NULL, CLI_OPT_SEED_TIME},
    {"seed-ratio", required_argument, NULL, CLI_OPT_SEED_RATIO},
    {"no-dht", no_argument, NULL, CLI_OPT_NO_DHT},
    {"no-lsd", no_argument, NULL, CLI_OPT_NO_LSD},
    {"no-upnp", no_argument, NULL, CLI_OPT_NO_UPNP},
    {"super-seed", no_argument, NULL, OPT_SUPER_SEED},
    {"send-once", no_argument, NULL, OPT_SEND_ONCE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    {"dir", CLI_DIR, NULL},
    {"seed-time", CLI_DURATION, NULL},
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"FILE.torrent", CLI_FILE, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_seed_def = {"seed", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct seed_args {
    bool help;
    struct fetch_opts o; /* o.source: FILE.torrent, o.dir: -d DIR */
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct seed_args *a)
{
    const char *dir = NULL;
    int c;
    while ((c = cli_getopt(ctx, "seed", argc, argv, "d:h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'd':
            dir = optarg;
            break;
        case OPT_SUPER_SEED:
            a->o.super_seed = true;
            break;
        case OPT_SEND_ONCE:
            a->o.send_once = true;
            break;
        default:
            if (!cli_opts_fetch_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = cli_opts_fetch_set(&a->o, c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"FILE.torrent"};
    enum fy_rc rc = cli_args(ctx, "seed", argc, argv, 1, names, &a->o.source);
    if (rc != FY_OK)
        return rc;
    if (dir == NULL)
        return cli_usage(ctx, "seed", "missing -d DIR");
    a->o.dir = dir;
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct seed_args *a)
{
    return fetch_seed(&a->o, &ctx->out, &ctx->err);
}

enum fy_rc
cmd_seed(int argc, char **argv, struct fy_ctx *ctx)
{
    struct seed_args a = {false, {0}};
    fetch_opts_init(&a.o);
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    fetch_opts_release(&a.o);
    return rc;
}
