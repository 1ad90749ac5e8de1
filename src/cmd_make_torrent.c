/*
 * cmd_make_torrent.c - `ferry make-torrent`: hash a directory into a v1
 * .torrent (written atomically) and print its magnet link on stdout.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ferry/cmds.h"
#include "ferry/parse.h"
#include "ferry/fs.h"
#include "ferry/torrent.h"
#include "ferry/xalloc.h"

static const char usage[] =
    "usage: ferry make-torrent DIR -o FILE.torrent [options]\n"
    "\n"
    "Create a BitTorrent v1 torrent of DIR (readable by every client) and\n"
    "print its magnet link.  A top-level DIR/.ferry (fetch state) is left\n"
    "out.  Then seed it with: ferry seed FILE.torrent -d PARENT_OF_DIR\n"
    "\n"
    "  -o, --output FILE       the .torrent to write (required)\n"
    "      --tracker URL       announce URL (repeatable; each its own tier)\n"
    "      --web-seed URL      HTTP(S) web seed (BEP 19; repeatable; also\n"
    "                          spelled --webseed): where the bundle also\n"
    "                          lies, e.g. in a bucket; a fetch then needs no\n"
    "                          peer that runs ferry seed.  For a directory\n"
    "                          the URL ends with '/' and names the directory\n"
    "                          that holds DIR; for a single file it is the\n"
    "                          file's URL\n"
    "      --piece-size KIB    piece size in KiB, a power of two from 16\n"
    "                          (default: chosen from the total size)\n"
    "  -h, --help              this help\n"
    "\n"
    "Examples:\n"
    "  ferry make-torrent ~/tools -o tools.torrent     (prints the magnet)\n"
    "  ferry make-torrent ~/tools -o tools.torrent \\\n"
    "      --tracker udp://tracker.example.org:6969/announce\n"
    "  ferry make-torrent tools -o tools.torrent \\\n"
    "      --web-seed https://bucket.s3.amazonaws.com/bundles/\n"
    "      (upload tools/ to bundles/tools/ in the bucket, as is; every\n"
    "      VM then runs: ferry fetch tools.torrent -o /opt --seed-time 5m)\n"
    "  ferry seed tools.torrent -d ~                  (then share it)\n"
    "\n"
    "Exit: 0 written, 1 I/O error (also a missing DIR), 2 usage,\n"
    "130 interrupted.\n";

enum { OPT_TRACKER = 256, OPT_WEBSEED, OPT_PIECE };

static const struct option options[] = {
    {"output", required_argument, NULL, 'o'},
    {"tracker", required_argument, NULL, OPT_TRACKER},
    {"webseed", required_argument, NULL, OPT_WEBSEED},
    {"web-seed", required_argument, NULL, OPT_WEBSEED},
    {"piece-size", required_argument, NULL, OPT_PIECE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    {"output", CLI_FILE, NULL},
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"DIR", CLI_DIR, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_make_torrent_def = {"make-torrent", options, arg_kinds,
                                             value_kinds};

struct hash_progress {
    struct out *out;
};

static void
on_hash(void *arg, int64_t done, int64_t total)
{
    struct hash_progress *hp = arg;
    struct out_progress p = OUT_PROGRESS_INIT;
    p.phase = "hash";
    p.done = done;
    p.total = total;
    out_progress(hp->out, &p, done == total);
}

/* What the command line asked for. */
struct make_torrent_args {
    bool help;
    const char *dir;
    const char *out; /* -o FILE.torrent */
    struct strlist trackers, webseeds;
    int64_t piece; /* KiB, 0: chosen from the size */
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct make_torrent_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "make-torrent", argc, argv, "o:h", options)) !=
           -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'o':
            a->out = optarg;
            break;
        case OPT_TRACKER:
            strlist_add(&a->trackers, optarg);
            break;
        case OPT_WEBSEED:
            strlist_add(&a->webseeds, optarg);
            break;
        case OPT_PIECE:
            rc = parse_i64("--piece-size", optarg, 16, 65536, &a->piece,
                           &ctx->err);
            if (rc == FY_OK && (a->piece & (a->piece - 1)) != 0)
                rc = fy_fail(&ctx->err, FY_EUSAGE,
                             "--piece-size: %lld is not a power of two",
                             (long long)a->piece);
            break;
        default:
            return ctx->err.rc; /* cli_getopt() recorded it */
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"DIR"};
    enum fy_rc rc =
        cli_args(ctx, "make-torrent", argc, argv, 1, names, &a->dir);
    if (rc != FY_OK)
        return rc;
    if (a->out == NULL || a->out[0] == '\0')
        return cli_usage(ctx, "make-torrent",
                         a->out ? "-o: empty file name"
                                : "missing -o FILE.torrent");
    return FY_OK;
}

/*
 * DIR must exist (I/O, 1), FILE.torrent must not be a directory (usage)
 * and the directory it goes in must exist, before the hashing starts.
 */
static enum fy_rc
check_paths(struct fy_ctx *ctx, const struct make_torrent_args *a)
{
    struct stat st;
    if (stat(a->dir, &st) != 0) /* a missing input: I/O (1) */
        return fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", a->dir);
    if (stat(a->out, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_usage(ctx, "make-torrent", "-o: %s is a directory", a->out);
    char *parent = fs_dirname(a->out);
    int r = stat(parent, &st);
    free(parent);
    if (r == 0 && !S_ISDIR(st.st_mode))
        errno = ENOTDIR;
    if (r != 0 || !S_ISDIR(st.st_mode))
        return fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", a->out);
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct make_torrent_args *a)
{
    struct sbuf torrent = SBUF_INIT;
    char *magnet = NULL;
    enum fy_rc rc = check_paths(ctx, a);
    if (rc != FY_OK)
        return rc;
    struct tor_create_params p = {
        a->dir,
        (const char *const *)a->trackers.v,
        a->trackers.n,
        (const char *const *)a->webseeds.v,
        a->webseeds.n,
        (int)a->piece,
        "ferry " FERRY_VERSION,
    };
    out_event(&ctx->out, "start", "{ssss}", "dir", a->dir, "torrent", a->out);
    struct hash_progress hp = {&ctx->out};
    rc = tor_create(&p, &torrent, &magnet, on_hash, &hp, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK)
        rc = fs_write_file(a->out, torrent.buf, torrent.len, 0644, &ctx->err);
    if (rc == FY_OK) {
        if (ctx->out.json)
            out_event(&ctx->out, "done", "{sssssI}", "torrent", a->out,
                      "magnet", magnet, "torrent_bytes",
                      (long long)torrent.len);
        else
            printf("%s\n", magnet);
    }
    free(magnet);
    sbuf_release(&torrent);
    return rc;
}

enum fy_rc
cmd_make_torrent(int argc, char **argv, struct fy_ctx *ctx)
{
    struct make_torrent_args a = {
        false, NULL, NULL, STRLIST_INIT, STRLIST_INIT, 0,
    };
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    strlist_release(&a.trackers);
    strlist_release(&a.webseeds);
    return rc;
}
