/*
 * cmd_unpack.c - `ferry unpack`: options in, arc_unpack() out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cmds.h"
#include "ferry/parse.h"
#include "ferry/stream.h"

static const char usage[] =
    "usage: ferry unpack ARCHIVE [-C DIR] [--force] [--strip-components N]\n"
    "                    [--long[=LOG]]\n"
    "\n"
    "Unpack ARCHIVE ('-' reads stdin) into DIR, safely and atomically.  Reads\n"
    "tar.zst, tar.gz, tar.xz, tar.bz2, tar.lz4, tar and zip, from ferry, GNU\n"
    "tar or bsdtar, told apart by their first bytes; every checksum of the\n"
    "compressed stream is checked (a mismatch is exit 3).\n"
    "\n"
    "Safety: an entry with an absolute path or a '..' component, a path\n"
    "through a symlink or a file of an earlier entry, a hardlink to anything\n"
    "but an earlier file of the archive, or a non-directory where earlier\n"
    "entries made a directory is refused (exit 4, nothing written); verify\n"
    "refuses the same.  Symlinks are restored as links and never followed;\n"
    "devices and FIFOs are skipped with a warning; setuid/setgid bits are\n"
    "dropped; owners are not restored.  A corrupt archive (data outside an\n"
    "entry's declared size, a file shorter than declared, a zstd window or xz\n"
    "dictionary above the limit, a damaged manifest) is refused with exit 3,\n"
    "a zip CRC-32 mismatch with exit 4.  Entries under a top-level .ferry/\n"
    "(fetch's state) are skipped with a warning.  DIR must not be a symlink\n"
    "(exit 4).\n"
    "\n"
    "Atomicity: the tree is extracted into DIR.ferry-XXXXXX beside DIR, every\n"
    "file and link target is checked against the archive's manifest, synced,\n"
    "and renamed to DIR.  A refused, corrupt or interrupted unpack leaves DIR\n"
    "as it was; a later run removes what a killed one left.\n"
    "\n"
    "  -C, --directory DIR      unpack into DIR (default: ./<ARCHIVE without\n"
    "                           its extension>; required when reading stdin)\n"
    "      --force              replace a non-empty DIR (only once the new\n"
    "                           tree is complete)\n"
    "      --strip-components N drop the first N path components\n"
    "      --same-owner         restore owners (only when run as root)\n"
    "      --long[=LOG]         accept zstd windows and xz dictionaries up to\n"
    "                           2^LOG bytes (LOG 27..31; bare --long: 31, as\n"
    "                           zstd -d --long); without it more than 128 MiB\n"
    "                           is refused (exit 3)\n"
    "  -h, --help               this help\n"
    "\n"
    "Examples:\n"
    "  ferry unpack ws.tar.zst                   (into ./ws, absent or empty)\n"
    "  ferry unpack ws.tar.zst -C ~/work --force (replace ~/work when done)\n"
    "  ferry unpack tools.tar.gz -C /opt/tools --strip-components 1\n"
    "  ferry pack ~/work -o - | ssh vm ferry unpack - -C work\n"
    "\n"
    "Exit: 0 done, 1 I/O error, 2 usage, 3 corrupt or truncated archive,\n"
    "4 unsafe entry, checksum mismatch or DIR not empty, 130 interrupted.\n";

enum {
    OPT_FORCE = 256,
    OPT_STRIP,
    OPT_SAME_OWNER,
    OPT_LONG,
};

static const struct option options[] = {
    {"directory", required_argument, NULL, 'C'},
    {"force", no_argument, NULL, OPT_FORCE},
    {"strip-components", required_argument, NULL, OPT_STRIP},
    {"same-owner", no_argument, NULL, OPT_SAME_OWNER},
    {"long", optional_argument, NULL, OPT_LONG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    {"directory", CLI_DIR, NULL},
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"ARCHIVE", CLI_FILE, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_unpack_def = {"unpack", options, arg_kinds,
                                       value_kinds};

/* What the command line asked for. */
struct unpack_args {
    bool help;
    const char *archive;
    const char *dir; /* -C, or dir_owned: ARCHIVE without its extension */
    char *dir_owned;
    struct arc_unpack_opts o;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct unpack_args *a)
{
    struct fy_err *err = &ctx->err;
    int c;
    while ((c = cli_getopt(ctx, "unpack", argc, argv, "C:h", options)) != -1) {
        enum fy_rc rc = FY_OK;
        int64_t v;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'C':
            a->dir = optarg;
            break;
        case OPT_FORCE:
            a->o.force = true;
            break;
        case OPT_STRIP:
            rc = parse_i64("--strip-components", optarg, 0, 1024, &v, err);
            a->o.strip = (int)v;
            break;
        case OPT_SAME_OWNER:
            a->o.same_owner = true;
            break;
        case OPT_LONG:
            rc = arc_long_parse(optarg, &a->o.read, err);
            break;
        default:
            return err->rc; /* cli_getopt() recorded it */
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"ARCHIVE"};
    enum fy_rc rc = cli_args(ctx, "unpack", argc, argv, 1, names, &a->archive);
    if (rc != FY_OK)
        return rc;
    if (a->dir != NULL && a->dir[0] == '\0')
        return cli_usage(ctx, "unpack", "-C: empty directory name");
    if (a->dir == NULL) {
        if (strcmp(a->archive, "-") == 0)
            return cli_usage(ctx, "unpack", "reading stdin needs -C DIR");
        a->dir_owned = arc_strip_ext(a->archive);
        if (a->dir_owned == NULL)
            return cli_usage(ctx, "unpack",
                             "cannot name a directory after "
                             "'%s': give -C DIR",
                             a->archive);
        a->dir = a->dir_owned;
    }
    return FY_OK;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct unpack_args *a)
{
    struct fy_istream is;
    struct arc_stats st;
    enum fy_rc rc = stream_in_open(&is, a->archive, &ctx->err);
    if (rc == FY_OK)
        rc = arc_unpack(&is, a->dir, &a->o, &ctx->out, &st, &ctx->err);
    if (rc == FY_OK) {
        char size[24];
        out_fmt_size(size, sizeof size, st.bytes);
        out_info(&ctx->out,
                 "unpacked %lld files, %lld dirs, %lld symlinks, %lld "
                 "hardlinks (%s) into %s in %.1f s; %s",
                 (long long)st.files, (long long)st.dirs,
                 (long long)st.symlinks, (long long)st.hardlinks, size, a->dir,
                 st.seconds,
                 st.manifest ? "every file matches the manifest"
                             : "no ferry manifest, checksums not verified");
        out_event(&ctx->out, "done", "{sssIsIsIsIsIsIsbsf}", "dir", a->dir,
                  "files", (long long)st.files, "dirs", (long long)st.dirs,
                  "symlinks", (long long)st.symlinks, "hardlinks",
                  (long long)st.hardlinks, "bytes", (long long)st.bytes,
                  "skipped", (long long)st.skipped, "verified", st.manifest,
                  "seconds", st.seconds);
    }
    return rc;
}

enum fy_rc
cmd_unpack(int argc, char **argv, struct fy_ctx *ctx)
{
    struct unpack_args a = {false, NULL, NULL, NULL, {false, 0, false, {0}}};
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    free(a.dir_owned);
    return rc;
}
