/*
 * cmd_pack.c - `ferry pack`: options in, arc_pack() out, one summary line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cmds.h"
#include "ferry/fs.h"
#include "ferry/stream.h"

static const char usage[] =
    "usage: ferry pack DIR [-o ARCHIVE] [options]\n"
    "\n"
    "Pack DIR into one archive: files, directories (also empty ones),\n"
    "symlinks as links, hardlinks, modes and mtimes, plus a manifest with\n"
    "an XXH3-128 checksum of every file (the last entry, .ferry/manifest).\n"
    "The archive is written to ARCHIVE.part, synced and renamed: an\n"
    "interrupted or failed pack never leaves a partial archive under the\n"
    "final name, and never harms an older one.  A top-level DIR/.ferry\n"
    "(fetch's resume state) is left out.  The summary ends with the\n"
    "archive's SHA-256 (\"sha256\" in the done event), the same as\n"
    "`sha256sum ARCHIVE` prints.\n"
    "\n"
    "  -o, --output ARCHIVE    write here (default ./<name of DIR>.tar.zst);\n"
    "                          '-' writes to stdout\n"
    "      --format FMT        tar.zst (default), tar.gz, tar.xz, tar, zip;\n"
    "                          otherwise taken from ARCHIVE's extension: any\n"
    "                          other name (x.tar.bz2, a FIFO) is refused\n"
    "                          unless --format says what to write\n"
    "      --level N           compression level: zstd -7..22 (default 3),\n"
    "                          gzip 1-9 (6), xz 0-9 (6), zip 0-9\n"
    "      --threads N         compression threads (default: every core)\n"
    "      --exclude GLOB      leave out matching paths (repeatable)\n"
    "      --exclude-from FILE read exclude rules from FILE (repeatable)\n"
    "  -n, --dry-run           write nothing: list what would be packed,\n"
    "                          excluded (by which rule) and skipped (and\n"
    "                          why), with sizes, then the totals, on stdout\n"
    "                          (--json: one \"entry\" event each, then\n"
    "                          \"done\" with \"dry_run\":true)\n"
    "  -h, --help              this help\n"
    "\n"
    "Exclude rules work like .gitignore, and DIR/.ferryignore is read too:\n"
    "a rule without '/' matches a name at any depth ('*.pyc'), one with '/'\n"
    "is anchored at DIR ('data/raw'), a trailing '/' matches directories\n"
    "only ('cache/'), '**' spans directories, '!' re-includes, the last\n"
    "matching rule wins.  Sockets, devices and FIFOs are skipped with a\n"
    "warning; a file that changes while it is read is reported and marked\n"
    "in the manifest.\n"
    "\n"
    "Examples:\n"
    "  ferry pack ~/work                       # -> ./work.tar.zst\n"
    "  ferry pack ~/work -o /mnt/ws.tar.zst --exclude '*.tmp' --exclude "
    "'.cache/'\n"
    "  ferry pack ~/work -o - | ssh host ferry unpack - -C work\n"
    "  ferry pack ~/work --exclude '.cache/' --dry-run   # what would go in\n"
    "\n"
    "Exit: 0 done, 1 I/O error (also a missing DIR), 2 usage, 3 DIR is not a\n"
    "directory, 130 interrupted.\n";

static const struct option options[] = {
    {"output", required_argument, NULL, 'o'},
    {"dry-run", no_argument, NULL, 'n'},
    ARC_PACK_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    {"output", CLI_FILE, NULL},
    ARC_PACK_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"DIR", CLI_DIR, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_pack_def = {"pack", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct pack_args {
    bool help;
    bool dry_run; /* -n: list, write nothing */
    const char *dir;
    const char *output; /* -o, or output_owned: ./<name of DIR>.<format> */
    char *output_owned;
    struct arc_pack_args a;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct pack_args *pa)
{
    int c;
    while ((c = cli_getopt(ctx, "pack", argc, argv, "o:nh", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            pa->help = true;
            return FY_OK;
        case 'o':
            pa->output = optarg;
            break;
        case 'n':
            pa->dry_run = true;
            break;
        default:
            if (!arc_pack_arg_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = arc_pack_arg_set(&pa->a, "pack", c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"DIR"};
    enum fy_rc rc = cli_args(ctx, "pack", argc, argv, 1, names, &pa->dir);
    if (rc != FY_OK)
        return rc;
    if (pa->output != NULL && pa->output[0] == '\0')
        return cli_usage(ctx, "pack", "-o: empty file name");
    return FY_OK;
}

/*
 * Check DIR, fill in format and output name, check the level.  A missing
 * DIR is an I/O error (1), one that is not a directory invalid input (3),
 * the rest usage errors.
 */
static enum fy_rc
settle(struct fy_ctx *ctx, struct pack_args *pa)
{
    struct stat st;
    if (stat(pa->dir, &st) != 0)
        return fy_fail_errno(&ctx->err, FY_ERUNTIME, "%s", pa->dir);
    if (!S_ISDIR(st.st_mode))
        return fy_fail(&ctx->err, FY_EINPUT, "%s: not a directory", pa->dir);
    if (pa->output != NULL && strcmp(pa->output, "-") != 0 &&
        stat(pa->output, &st) == 0 && S_ISDIR(st.st_mode))
        return cli_usage(ctx, "pack", "-o: %s is a directory", pa->output);
    if (pa->output != NULL &&
        arc_pack_args_settle(&pa->a, "pack", pa->output, &ctx->err) != FY_OK)
        return ctx->err.rc;
    if (pa->output == NULL) {
        char *abs = realpath(pa->dir, NULL);
        char *base = abs ? fs_basename(abs) : NULL;
        if (base == NULL || strcmp(base, "/") == 0) {
            free(abs);
            free(base);
            return cli_usage(ctx, "pack",
                             "cannot name the archive after "
                             "'%s': give -o ARCHIVE",
                             pa->dir);
        }
        pa->output_owned =
            xasprintf("%s.%s", base, arc_format_name(pa->a.o.format));
        pa->output = pa->output_owned;
        free(abs);
        free(base);
    }
    if (strcmp(pa->output, "-") == 0 && isatty(STDOUT_FILENO) && !pa->dry_run)
        return cli_usage(ctx, "pack",
                         "refusing to write an archive to a terminal (use -o "
                         "FILE)");
    if (pa->output_owned != NULL && stat(pa->output, &st) == 0 &&
        S_ISDIR(st.st_mode))
        return cli_usage(ctx, "pack", "-o: %s is a directory", pa->output);
    if (pa->output_owned != NULL &&
        arc_pack_args_settle(&pa->a, "pack", NULL, &ctx->err) != FY_OK)
        return ctx->err.rc;
    return FY_OK;
}

static void
summary(struct fy_ctx *ctx,
        const struct pack_args *pa,
        const struct arc_stats *st)
{
    char in[24], outb[24];
    double ratio =
        st->bytes > 0 ? (double)st->archive_bytes / (double)st->bytes : 0;
    const char *name = strcmp(pa->output, "-") == 0 ? "stdout" : pa->output;
    out_fmt_size(in, sizeof in, st->bytes);
    out_fmt_size(outb, sizeof outb, st->archive_bytes);
    out_info(&ctx->out,
             "packed %lld files, %lld dirs, %lld symlinks, %lld hardlinks "
             "(%s) into %s: %s, ratio %.3f, in %.1f s",
             (long long)st->files, (long long)st->dirs, (long long)st->symlinks,
             (long long)st->hardlinks, in, name, outb, ratio, st->seconds);
    if (st->sha256[0])
        out_info(&ctx->out, "sha256: %s", st->sha256);
    out_event(
        &ctx->out, "done", "{sssIsIsIsIsIsIsIsfsfss?}", "archive", pa->output,
        "files", (long long)st->files, "dirs", (long long)st->dirs, "symlinks",
        (long long)st->symlinks, "hardlinks", (long long)st->hardlinks, "bytes",
        (long long)st->bytes, "archive_bytes", (long long)st->archive_bytes,
        "unstable", (long long)st->unstable, "ratio", ratio, "seconds",
        st->seconds, "sha256", st->sha256[0] ? st->sha256 : NULL);
}

/* --dry-run: one row (or "entry" event) per path the scan decided on. */
static enum fy_rc
dry_entry(void *arg, const struct arc_dry_entry *e, struct fy_err *err)
{
    struct fy_ctx *ctx = arg;
    static const char *const actions[] = {"pack", "exclude", "skip"};
    const char *action = actions[e->action];
    if (ctx->out.json) {
        out_event(&ctx->out, "entry", "{sbsssssssIss*ss*ss*}", "dry_run", 1,
                  "path", e->path, "type", arc_type_word(e->type), "action",
                  action, "size", (long long)e->size, "why", e->why, "from",
                  e->from, "target", e->link);
        return out_stdout_check(err);
    }
    char size[24] = "-";
    if (e->type == 'f' || (e->type == 'd' && e->action != ARC_DRY_PACK))
        out_fmt_size(size, sizeof size, e->size);
    char *path = out_escape(e->path);
    printf("%-7s %10s  %s%s", action, size, path, e->type == 'd' ? "/" : "");
    free(path);
    if (e->type == 'h') {
        char *first = out_escape(e->link);
        printf("  (hardlink to %s)", first);
        free(first);
    } else if (e->action == ARC_DRY_EXCLUDE) {
        char *rule = out_escape(e->why),
             *from = out_escape(e->from ? e->from : "");
        printf("  (rule '%s'%s%s)", rule, e->from ? " from " : "", from);
        free(rule);
        free(from);
    } else if (e->action == ARC_DRY_SKIP) {
        printf("  (%s)", e->why);
    }
    putchar('\n');
    return out_stdout_check(err);
}

static enum fy_rc
dry_run(struct fy_ctx *ctx, struct pack_args *pa)
{
    struct arc_dry_totals t;
    out_event(&ctx->out, "start", "{sssb}", "dir", pa->dir, "dry_run", 1);
    enum fy_rc rc = arc_pack_dry_run(pa->dir, &pa->a.o, pa->output, dry_entry,
                                     ctx, &ctx->out, &t, &ctx->err);
    if (rc != FY_OK)
        return rc;
    char in[24], ex[24], sk[24];
    out_fmt_size(in, sizeof in, t.bytes);
    out_fmt_size(ex, sizeof ex, t.excluded_bytes);
    out_fmt_size(sk, sizeof sk, t.skipped_bytes);
    if (!ctx->out.json) {
        printf("would pack %lld files, %lld dirs, %lld symlinks, %lld "
               "hardlinks: %s; excluded %lld (%s); skipped %lld (%s); "
               "nothing written\n",
               (long long)t.files, (long long)t.dirs, (long long)t.symlinks,
               (long long)t.hardlinks, in, (long long)t.excluded, ex,
               (long long)t.skipped, sk);
        return out_stdout_check(&ctx->err);
    }
    out_event(&ctx->out, "done", "{sbsIsIsIsIsIsIsIsIsI}", "dry_run", 1,
              "files", (long long)t.files, "dirs", (long long)t.dirs,
              "symlinks", (long long)t.symlinks, "hardlinks",
              (long long)t.hardlinks, "bytes", (long long)t.bytes, "excluded",
              (long long)t.excluded, "excluded_bytes",
              (long long)t.excluded_bytes, "skipped", (long long)t.skipped,
              "skipped_bytes", (long long)t.skipped_bytes);
    return out_stdout_check(&ctx->err);
}

static enum fy_rc
run(struct fy_ctx *ctx, struct pack_args *pa)
{
    struct fy_ostream os;
    struct arc_stats st;
    enum fy_rc rc = settle(ctx, pa);
    if (rc == FY_OK && pa->dry_run)
        return dry_run(ctx, pa);
    if (rc == FY_OK && strcmp(pa->output, "-") == 0)
        out_data_on_stdout(&ctx->out);
    if (rc == FY_OK)
        rc = stream_out_open(&os, pa->output, &ctx->err);
    if (rc == FY_OK)
        rc = arc_pack(pa->dir, &pa->a.o, &os, &ctx->out, &st, &ctx->err);
    if (rc == FY_OK)
        summary(ctx, pa, &st);
    return rc;
}

enum fy_rc
cmd_pack(int argc, char **argv, struct fy_ctx *ctx)
{
    struct pack_args pa;
    memset(&pa, 0, sizeof pa);
    arc_pack_opts_init(&pa.a.o);
    enum fy_rc rc = parse(argc, argv, ctx, &pa);
    if (rc == FY_OK && pa.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &pa);
    arc_pack_opts_release(&pa.a.o);
    free(pa.output_owned);
    return rc;
}
