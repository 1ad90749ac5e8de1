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
    "      --webseed URL       HTTP web seed (BEP 19; repeatable)\n"
    "      --piece-size KIB    piece size in KiB, a power of two from 16\n"
    "                          (default: chosen from the total size)\n"
    "  -h, --help              this help\n";

enum { OPT_TRACKER = 256, OPT_WEBSEED, OPT_PIECE };

static const struct option options[] = {
    {"output", required_argument, NULL, 'o'},
    {"tracker", required_argument, NULL, OPT_TRACKER},
    {"webseed", required_argument, NULL, OPT_WEBSEED},
    {"piece-size", required_argument, NULL, OPT_PIECE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

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

enum fy_rc
cmd_make_torrent(int argc, char **argv, struct fy_ctx *ctx)
{
    struct strlist trackers = STRLIST_INIT, webseeds = STRLIST_INIT;
    struct sbuf torrent = SBUF_INIT;
    const char *out = NULL;
    char *magnet = NULL;
    int64_t piece = 0;
    enum fy_rc rc = FY_OK;
    int c;
    while (rc == FY_OK && (c = cli_getopt(ctx, "make-torrent", argc, argv,
                                          "o:h", options)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case OPT_TRACKER:
            strlist_add(&trackers, optarg);
            break;
        case OPT_WEBSEED:
            strlist_add(&webseeds, optarg);
            break;
        case OPT_PIECE:
            rc =
                parse_i64("--piece-size", optarg, 16, 65536, &piece, &ctx->err);
            if (rc == FY_OK && (piece & (piece - 1)) != 0)
                rc = fy_fail(&ctx->err, FY_EUSAGE,
                             "--piece-size: %lld is not a power of two",
                             (long long)piece);
            break;
        case 'h':
            rc = cli_help(usage);
            goto done;
        default:
            rc = ctx->err.rc;
        }
    }
    if (rc != FY_OK)
        goto done;
    static const char *const names[] = {"DIR"};
    const char *dir;
    if ((rc = cli_args(ctx, "make-torrent", argc, argv, 1, names, &dir)) !=
        FY_OK)
        goto done;
    if (out == NULL || out[0] == '\0') {
        rc = cli_usage(ctx, "make-torrent",
                       out ? "-o: empty file name" : "missing -o FILE.torrent");
        goto done;
    }
    struct stat st;
    if (stat(dir, &st) != 0) { /* a missing input: I/O (1) */
        rc = fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", dir);
        goto done;
    }
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = cli_usage(ctx, "make-torrent", "-o: %s is a directory", out);
        goto done;
    }
    /* where FILE.torrent goes must exist before the hashing starts */
    char *parent = fs_dirname(out);
    int r = stat(parent, &st);
    free(parent);
    if (r == 0 && !S_ISDIR(st.st_mode))
        errno = ENOTDIR;
    if (r != 0 || !S_ISDIR(st.st_mode)) {
        rc = fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", out);
        goto done;
    }
    struct tor_create_params p = {
        dir,
        (const char *const *)trackers.v,
        trackers.n,
        (const char *const *)webseeds.v,
        webseeds.n,
        (int)piece,
        "ferry " FERRY_VERSION,
    };
    struct hash_progress hp = {&ctx->out};
    rc = tor_create(&p, &torrent, &magnet, on_hash, &hp, &ctx->err);
    out_progress_end(&ctx->out);
    if (rc == FY_OK)
        rc = fs_write_file(out, torrent.buf, torrent.len, 0644, &ctx->err);
    if (rc == FY_OK) {
        if (ctx->out.json)
            out_event(&ctx->out, "done", "{sssssI}", "torrent", out, "magnet",
                      magnet, "bytes", (long long)torrent.len);
        else
            printf("%s\n", magnet);
    }
done:
    free(magnet);
    sbuf_release(&torrent);
    strlist_release(&trackers);
    strlist_release(&webseeds);
    return rc;
}
