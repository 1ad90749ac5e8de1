/*
 * cmd_fetch.c - `ferry fetch`: options in, fetch_run() out; --list rows
 * (fetch_list()) printed here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ferry/cli_opts.h"
#include "ferry/cmds.h"
#include "ferry/fetch.h"

static const char usage[] =
    "usage: ferry fetch SOURCE [-o DIR] [options]\n"
    "\n"
    "Download a bundle over BitTorrent, verify every piece, and stop.\n"
    "SOURCE is a magnet link, a .torrent file, or an http(s):// or file://\n"
    "URL of a .torrent.  Rerun the same command after any interruption\n"
    "(Ctrl-C, kill -9, power loss): verified pieces are kept, only the rest\n"
    "is downloaded.  Resume state lives in DIR/.ferry/ and is kept after\n"
    "completion: a rerun checks the files again, repairs any that changed,\n"
    "and says \"already complete\" when nothing was missing.\n"
    "\n"
    "  -o, --output DIR        save into DIR (default: the current directory)\n"
    "      --select GLOB       fetch only matching files (repeatable); the\n"
    "                          rules of pack --exclude, on paths inside the\n"
    "                          torrent: no '/' = a name at any depth\n"
    "                          ('*.whl'); with '/' = anchored, with or\n"
    "                          without the top directory ('sub/*' or\n"
    "                          'tools/sub/*'); a matched directory selects\n"
    "                          all below it ('sub/'); '!GLOB' takes files\n"
    "                          back out; the last rule matching a file or\n"
    "                          one of its directories decides, and a file\n"
    "                          no rule matches is skipped\n"
    "      --list              print the file list (index, size, path) once\n"
    "                          the metadata is known; download nothing\n"
    "  -H, --human             --list sizes as 1.50 MiB, not bytes:\n"
    "                          ferry fetch tools.torrent --list -H\n"
    "      --peer HOST:PORT    connect to this peer (repeatable)\n"
    "      --webseed URL       add an HTTP web seed (repeatable; also\n"
    "                          spelled --web-seed)\n"
    "      --tracker URL       add a tracker (repeatable)\n"
    "      --seed-ratio R      after completion, seed until uploaded/size >= "
    "R\n"
    "      --seed-time SECS    after completion, seed for SECS seconds\n"
    "                          (Ctrl-C while seeding: exit 0, the fetch is\n"
    "                          complete)\n"
    "      --timeout SECS      give up (exit 5) after SECS in all (default: "
    "none)\n"
    "      --stall-timeout SECS  give up (exit 5) after SECS without any data\n"
    "                          (default 600; 0 waits forever)\n"
    "      --max-down RATE     download limit, e.g. 20M (bytes/s; 0 = none;\n"
    "                          at most 2G)\n"
    "      --max-up RATE       upload limit, e.g. 500K\n"
    "      --listen ADDR:PORT  listen here (default 0.0.0.0:6881 and "
    "[::]:6881)\n"
    "      --no-dht            no DHT\n"
    "      --no-lsd            no local service discovery\n"
    "      --no-upnp           no UPnP or NAT-PMP port mapping\n"
    "  -h, --help              this help\n"
    "SECS may carry units: 90s, 10m, 1h30m, 2d (--timeout 10m); a bare\n"
    "number is seconds.\n"
    "Proxies: BitTorrent has none (peers, trackers and web seeds are\n"
    "reached directly); only a .torrent URL is fetched through libcurl's\n"
    "https_proxy/http_proxy/ALL_PROXY (NO_PROXY honoured).\n"
    "\n"
    "Examples:\n"
    "  ferry fetch 'magnet:?xt=urn:btih:...' -o /opt/tools\n"
    "  ferry fetch https://example.org/tools.torrent -o /opt/tools "
    "--select '*.whl'\n"
    "\n"
    "Exit: 0 done and verified, 1 I/O or network (a missing .torrent file,\n"
    "a --peer host that does not resolve), 2 usage, 3 bad magnet/torrent/URL,\n"
    "4 unsafe torrent, 5 timed out (--timeout, --stall-timeout),\n"
    "130 interrupted.\n";

enum { OPT_LIST = 256 };

static const struct option options[] = {
    {"output", required_argument, NULL, 'o'},
    {"select", required_argument, NULL, CLI_OPT_SELECT},
    {"list", no_argument, NULL, OPT_LIST},
    {"human", no_argument, NULL, 'H'},
    {"peer", required_argument, NULL, CLI_OPT_PEER},
    {"webseed", required_argument, NULL, CLI_OPT_WEBSEED},
    {"web-seed", required_argument, NULL, CLI_OPT_WEBSEED},
    {"tracker", required_argument, NULL, CLI_OPT_TRACKER},
    {"seed-ratio", required_argument, NULL, CLI_OPT_SEED_RATIO},
    {"seed-time", required_argument, NULL, CLI_OPT_SEED_TIME},
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
    {"stall-timeout", required_argument, NULL, CLI_OPT_STALL},
    {"max-down", required_argument, NULL, CLI_OPT_MAX_DOWN},
    {"max-up", required_argument, NULL, CLI_OPT_MAX_UP},
    {"listen", required_argument, NULL, CLI_OPT_LISTEN},
    {"no-dht", no_argument, NULL, CLI_OPT_NO_DHT},
    {"no-lsd", no_argument, NULL, CLI_OPT_NO_LSD},
    {"no-upnp", no_argument, NULL, CLI_OPT_NO_UPNP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    {"output", CLI_DIR, NULL},
    CLI_OPT_FETCH_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"SOURCE", CLI_SOURCE, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_fetch_def = {"fetch", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct fetch_args {
    bool help;
    bool list;  /* --list: print the files, download nothing */
    bool human; /* -H: --list sizes as 1.50 MiB */
    struct fetch_opts o;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct fetch_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "fetch", argc, argv, "o:hH", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'o':
            a->o.dir = optarg;
            break;
        case OPT_LIST:
            a->list = true;
            break;
        case 'H':
            a->human = true;
            break;
        default:
            if (!cli_opts_fetch_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = cli_opts_fetch_set(&a->o, c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"SOURCE"};
    enum fy_rc rc = cli_args(ctx, "fetch", argc, argv, 1, names, &a->o.source);
    if (rc != FY_OK)
        return rc;
    if (a->o.dir[0] == '\0')
        return cli_usage(ctx, "fetch", "-o: empty directory name");
    return FY_OK;
}

/* --list: the run, -H, and the files listed so far. */
struct list_state {
    struct fy_ctx *ctx;
    bool human;
    int64_t files;
};

/* --list: one row per file on stdout (index, size, path), or an event. */

static enum fy_rc
print_file(void *arg, const struct fetch_file *f, struct fy_err *err)
{
    struct list_state *ls = arg;
    struct fy_ctx *ctx = ls->ctx;
    (void)err;
    ls->files++;
    if (ctx->out.json) { /* jansson escapes control bytes */
        out_event(&ctx->out, "file", "{sIsIss}", "index", (long long)f->index,
                  "size", (long long)f->size, "path", f->path);
    } else {
        char *esc = out_escape(f->path);
        char size[24];
        if (ls->human)
            printf("%zu\t%s\t%s\n", f->index,
                   out_fmt_size(size, sizeof size, f->size), esc);
        else
            printf("%zu\t%lld\t%s\n", f->index, (long long)f->size, esc);
        free(esc);
    }
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct fetch_args *a)
{
    if (a->list) {
        struct list_state ls = {ctx, a->human, 0};
        enum fy_rc rc =
            fetch_list(&a->o, print_file, &ls, &ctx->out, &ctx->err);
        if (rc == FY_OK)
            out_event(&ctx->out, "done", "{sI}", "files", (long long)ls.files);
        return rc;
    }
    return fetch_run(&a->o, &ctx->out, &ctx->err);
}

enum fy_rc
cmd_fetch(int argc, char **argv, struct fy_ctx *ctx)
{
    struct fetch_args a = {false, false, false, {0}};
    fetch_opts_init(&a.o);
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    fetch_opts_release(&a.o);
    return rc;
}
