/*
 * cmd_verify.c - `ferry verify`: read an archive whole and check it.
 */
#include <stdio.h>
#include <string.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cmds.h"
#include "ferry/stream.h"

static const char usage[] =
    "usage: ferry verify ARCHIVE [--long[=LOG]]\n"
    "\n"
    "Read ARCHIVE ('-' reads stdin) whole and make every check unpack makes:\n"
    "the compressed stream's own checksums (zstd frame checksums, gzip/xz\n"
    "CRCs, bzip2 block and stream CRCs, lz4 frame and block checksums, zip\n"
    "CRC-32), the archive structure, the entry safety rules\n"
    "(unsafe entries are refused as unpack refuses them), and every file and\n"
    "link target against the XXH3-128 checksums in ferry's manifest.  An\n"
    "archive without a manifest (made by another tool) gets the structural\n"
    "and safety checks only.  Nothing is written.\n"
    "\n" ARC_LONG_HELP "  -h, --help        this help\n"
    "\n"
    "Examples:\n"
    "  ferry verify ws.tar.zst && ferry push ws.tar.zst s3://bkt/ws.tar.zst\n"
    "  curl -s https://host/ws.tar.zst | ferry verify -\n"
    "  ferry verify --long big.tar.zst        (made by zstd --long=31)\n"
    "\n"
    "Exit: 0 intact, 1 I/O error, 2 usage, 3 corrupt or truncated,\n"
    "4 an unsafe entry, a file or link that does not match the manifest, or\n"
    "a zip CRC-32 mismatch.\n";

enum { OPT_LONG = 256 };

static const struct option options[] = {
    {"long", optional_argument, NULL, OPT_LONG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value arg_kinds[] = {
    {"ARCHIVE", CLI_FILE, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_verify_def = {"verify", options, arg_kinds, NULL};

/* What the command line asked for. */
struct verify_args {
    bool help;
    const char *archive;
    struct arc_read_opts read; /* --long */
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct verify_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "verify", argc, argv, "h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case OPT_LONG:
            rc = arc_long_parse(optarg, &a->read, &ctx->err);
            break;
        default:
            return ctx->err.rc; /* cli_getopt() recorded it */
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"ARCHIVE"};
    return cli_args(ctx, "verify", argc, argv, 1, names, &a->archive);
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct verify_args *a)
{
    struct fy_istream is;
    struct arc_stats st;
    enum fy_rc rc = stream_in_open(&is, a->archive, &ctx->err);
    if (rc == FY_OK)
        out_event(&ctx->out, "start", "{sssI}", "archive", a->archive,
                  "archive_bytes", (long long)is.size);
    if (rc == FY_OK)
        rc = arc_verify(&is, &a->read, &ctx->out, &st, &ctx->err);
    if (rc == FY_OK) {
        char size[24];
        out_fmt_size(size, sizeof size, st.bytes);
        out_info(&ctx->out,
                 "%s: ok: %lld files, %lld dirs, %lld symlinks, %lld "
                 "hardlinks (%s)%s",
                 strcmp(a->archive, "-") == 0 ? "stdin" : a->archive,
                 (long long)st.files, (long long)st.dirs,
                 (long long)st.symlinks, (long long)st.hardlinks, size,
                 st.manifest ? "; every file matches the manifest"
                             : "; no ferry manifest, structure checked only");
        out_event(&ctx->out, "done", "{sssIsIsbsf}", "archive", a->archive,
                  "files", (long long)st.files, "bytes", (long long)st.bytes,
                  "verified", st.manifest, "seconds", st.seconds);
    }
    return rc;
}

enum fy_rc
cmd_verify(int argc, char **argv, struct fy_ctx *ctx)
{
    struct verify_args a = {false, NULL, {0}};
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    return rc;
}
