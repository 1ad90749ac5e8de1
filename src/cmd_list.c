/*
 * cmd_list.c - `ferry list`: one line per entry on stdout (or one JSON
 * object per entry with --json), each once verify's checks of it passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cmds.h"
#include "ferry/stream.h"

static const char usage[] =
    "usage: ferry list ARCHIVE [-H] [--long[=LOG]]\n"
    "\n"
    "Print one line per entry of ARCHIVE ('-' reads stdin): mode, size,\n"
    "modification time (UTC), path, and ' -> target' for symlinks or\n"
    "' link to target' for hardlinks.  Names are escaped (\\xNN) where they\n"
    "hold control characters or invalid UTF-8.  ferry's own manifest is not\n"
    "listed.  With --json: one {\"event\":\"entry\",...} object per entry.\n"
    "\n"
    "list reads the whole archive and checks it as verify does (checksums,\n"
    "structure, entry safety, the manifest), printing each entry once it\n"
    "passed: if the archive turns out damaged, the rows printed so far are\n"
    "followed by the error and exit 3 or 4.\n"
    "\n" ARC_LONG_HELP
    "  -H, --human       sizes as 1.50 MiB, not bytes (-h is "
    "--help):\n"
    "                    ferry list -H ws.tar.zst\n"
    "  -h, --help        this help\n"
    "\n"
    "Examples:\n"
    "  ferry list ws.tar.zst\n"
    "  ferry list ws.tar.zst | grep '\\.py$'\n"
    "  ferry --json list ws.tar.zst | jq -r 'select(.type==\"file\") | .path'\n"
    "\n"
    "Exit: 0 intact, 1 I/O error, 2 usage, 3 corrupt or truncated archive,\n"
    "4 unsafe entry or checksum mismatch (manifest, zip CRC-32).\n";

enum { OPT_LONG = 256 };

static const struct option options[] = {
    {"long", optional_argument, NULL, OPT_LONG},
    {"human", no_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value arg_kinds[] = {
    {"ARCHIVE", CLI_FILE, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_list_def = {"list", options, arg_kinds, NULL};

static void
mode_string(char out[11], char type, unsigned mode)
{
    static const char rwx[] = "rwxrwxrwx";
    out[0] = type == 'f' || type == 'h' ? '-' : type;
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
    if (mode & S_ISUID)
        out[3] = (mode & 0100) ? 's' : 'S';
    if (mode & S_ISGID)
        out[6] = (mode & 0010) ? 's' : 'S';
    if (mode & S_ISVTX)
        out[9] = (mode & 0001) ? 't' : 'T';
    out[10] = '\0';
}

/* What the listing callback needs: the run, -H, and the entries so far. */
struct list_state {
    struct fy_ctx *ctx;
    bool human;
    int64_t entries;
};

static enum fy_rc
print_entry(void *arg, const struct arc_entry_info *e, struct fy_err *err)
{
    struct list_state *ls = arg;
    struct fy_ctx *ctx = ls->ctx;
    ls->entries++;
    if (ctx->out.json) {
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", e->mode);
        out_event(&ctx->out, "entry", "{sssssssIsIss*}", "path", e->path,
                  "type", arc_type_word(e->type), "mode", mode, "size",
                  (long long)e->size, "mtime", (long long)e->mtime, "target",
                  e->link);
        return out_stdout_check(err); /* a closed pipe stops the listing */
    }
    char mode[11], when[32] = "?";
    struct tm tm;
    time_t t = (time_t)e->mtime;
    mode_string(mode, e->type, e->mode);
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    char *path = out_escape(e->path);
    char *link = e->link ? out_escape(e->link) : NULL;
    if (ls->human) {
        char size[24];
        printf("%s %10s %s %s", mode, out_fmt_size(size, sizeof size, e->size),
               when, path);
    } else {
        printf("%s %12lld %s %s", mode, (long long)e->size, when, path);
    }
    if (link != NULL)
        printf(e->type == 'h' ? " link to %s" : " -> %s", link);
    putchar('\n');
    free(path);
    free(link);
    return out_stdout_check(err); /* a closed pipe stops the listing */
}

/* What the command line asked for. */
struct list_args {
    bool help;
    bool human; /* -H */
    const char *archive;
    struct arc_read_opts read; /* --long */
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct list_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "list", argc, argv, "hH", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'H':
            a->human = true;
            break;
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
    return cli_args(ctx, "list", argc, argv, 1, names, &a->archive);
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct list_args *a)
{
    struct fy_istream is;
    struct list_state ls = {ctx, a->human, 0};
    enum fy_rc rc = stream_in_open(&is, a->archive, &ctx->err);
    if (rc == FY_OK) {
        out_event(&ctx->out, "start", "{sssI}", "archive", a->archive,
                  "archive_bytes", (long long)is.size);
        rc = arc_list(&is, &a->read, print_entry, &ls, &ctx->out, &ctx->err);
    }
    if (rc == FY_OK)
        out_event(&ctx->out, "done", "{sssI}", "archive", a->archive, "entries",
                  (long long)ls.entries);
    return rc;
}

enum fy_rc
cmd_list(int argc, char **argv, struct fy_ctx *ctx)
{
    struct list_args a = {false, false, NULL, {0}};
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    return rc;
}
