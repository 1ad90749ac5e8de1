/*
 * cli.c - the command-line machinery every command shares: getopt_long
 * with the global options folded into each command's table, the one usage
 * error line that points at the command's help, positional arguments and
 * help text, and "did you mean" for a mistyped command or option.  The
 * command table is main.c's; value parsers are parse.c's.
 */
#include "ferry/cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ferry/cmd_def.h"

/* A usage error "[cmd: ]msg", pointing at the help when see_help. */
static enum fy_rc usage_fail(struct fy_ctx *ctx,
                             const char *cmd,
                             bool see_help,
                             const char *fmt,
                             va_list ap) FY_PRINTF(4, 0);

static enum fy_rc
usage_fail(struct fy_ctx *ctx,
           const char *cmd,
           bool see_help,
           const char *fmt,
           va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (cmd == NULL)
        return fy_fail(&ctx->err, FY_EUSAGE, "%s%s", msg,
                       see_help ? " (see 'ferry --help')" : "");
    if (!see_help)
        return fy_fail(&ctx->err, FY_EUSAGE, "%s: %s", cmd, msg);
    return fy_fail(&ctx->err, FY_EUSAGE, "%s: %s (see 'ferry %s --help')", cmd,
                   msg, cmd);
}

enum fy_rc
cli_usage(struct fy_ctx *ctx, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum fy_rc rc = usage_fail(ctx, cmd, true, fmt, ap);
    va_end(ap);
    return rc;
}

/* ------------------------------------------------------- did you mean */

#define SUGGEST_MAX_LEN 64 /* longer words get no suggestion */

size_t
cli_edit_distance(const char *a, const char *b)
{
    /*
     * Optimal string alignment (Damerau-Levenshtein without editing a
     * substring twice): insert, delete, substitute, swap two neighbours,
     * each cost 1; case is ignored.  Three rows of at most 65 cells.
     */
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return (size_t)-1;
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    size_t *pp = rows[0], *p = rows[1], *c = rows[2];
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        c[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            char x = (char)tolower((unsigned char)a[i - 1]);
            char y = (char)tolower((unsigned char)b[j - 1]);
            size_t best = p[j - 1] + (x != y);
            if (p[j] + 1 < best)
                best = p[j] + 1;
            if (c[j - 1] + 1 < best)
                best = c[j - 1] + 1;
            if (i > 1 && j > 1 && x == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == y && pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            c[j] = best;
        }
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}

/*
 * How far a word may be from a name to be suggested: one edit for short
 * names, about a third of the name's length for longer ones, never more
 * than three.  "fetc" -> fetch, "exlude" -> exclude, "xyz" -> nothing.
 */
static size_t
suggest_limit(size_t len)
{
    size_t lim = len / 3;
    if (lim < 1)
        lim = 1;
    return lim > 3 ? 3 : lim;
}

const char *
cli_suggest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, wlen = strlen(word);
    bool tie = false;
    if (wlen == 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (names[i] == NULL || strcmp(names[i], word) == 0)
            continue;
        size_t d = cli_edit_distance(word, names[i]);
        size_t len = strlen(names[i]);
        size_t limit = suggest_limit(len > wlen ? len : wlen);
        /* a word that is no more than its edits ("ab" -> "up") is noise */
        if (d > limit || d >= wlen || d >= len)
            continue;
        if (d < best_d) {
            best = names[i];
            best_d = d;
            tie = false;
        } else if (d == best_d && strcmp(best, names[i]) != 0) {
            tie = true;
        }
    }
    return tie ? NULL : best;
}

enum fy_rc
cli_args(struct fy_ctx *ctx,
         const char *cmd,
         int argc,
         char **argv,
         int n,
         const char *const *names,
         const char **out)
{
    int have = argc - optind;
    if (have < n)
        return cli_usage(ctx, cmd, "missing %s", names[have < 0 ? 0 : have]);
    if (have > n)
        return cli_usage(ctx, cmd, "unexpected argument '%s'",
                         argv[optind + n]);
    for (int i = 0; i < n; i++) {
        out[i] = argv[optind + i];
        if (out[i][0] == '\0')
            return cli_usage(ctx, cmd, "%s is empty", names[i]);
    }
    return FY_OK;
}

enum fy_rc
cli_help(const char *text)
{
    fputs(text, stdout);
    return FY_OK;
}

/* Global options, accepted before and after the command word. */
enum { OPT_JSON = 0x180, OPT_NO_PROGRESS, OPT_COLOR };

static const struct option global_options[] = {
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {NULL, 0, NULL, 0},
};
#define NGLOBAL   (sizeof global_options / sizeof global_options[0] - 1)
#define MAX_LONGS 128 /* a command's options plus the globals */

/* Apply one global option to ctx; false if it is not one. */
static bool
global_set(struct fy_ctx *ctx, int c, const char *arg, enum fy_rc *rc)
{
    *rc = FY_OK;
    switch (c) {
    case 'q':
        ctx->oo.verbosity = -1;
        break;
    case 'v':
        ctx->oo.verbosity = 1;
        break;
    case OPT_JSON:
        ctx->oo.json = true;
        break;
    case OPT_NO_PROGRESS:
        ctx->oo.no_progress = true;
        break;
    case OPT_COLOR:
        if (strcmp(arg, "auto") == 0)
            ctx->oo.color = OUT_COLOR_AUTO;
        else if (strcmp(arg, "always") == 0)
            ctx->oo.color = OUT_COLOR_ALWAYS;
        else if (strcmp(arg, "never") == 0)
            ctx->oo.color = OUT_COLOR_NEVER;
        else
            *rc = fy_fail(&ctx->err, FY_EUSAGE,
                          "--color: '%s' is not auto, always or never", arg);
        break;
    default:
        return false;
    }
    /* nothing has been shown yet while options are parsed */
    out_init(&ctx->out, &ctx->oo);
    return true;
}

/* A usage error that carries its own hint: "<cmd>: <msg>", no pointer
 * to the help. */
static void
hint_usage(struct fy_ctx *ctx, const char *cmd, const char *fmt, ...)
    FY_PRINTF(3, 4);

static void
hint_usage(struct fy_ctx *ctx, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)usage_fail(ctx, cmd, false, fmt, ap);
    va_end(ap);
}

/* Two spellings of one option (--webseed, --web-seed). */
static bool
same_option(const struct option *a, const struct option *b)
{
    return a->val == b->val && a->has_arg == b->has_arg && a->flag == b->flag;
}

/*
 * Of the spellings of one option, only the one nearest to word stays a
 * candidate (the longer one on a tie), so that two spellings of the same
 * option never count as two equally good guesses.
 */
static void
drop_aliases(const char *word,
             const struct option *opts,
             const char **names,
             size_t n)
{
    size_t d[MAX_LONGS];
    for (size_t i = 0; i < n; i++)
        d[i] = cli_edit_distance(word, opts[i].name);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n && names[i] != NULL; j++) {
            if (j == i || !same_option(&opts[i], &opts[j]))
                continue;
            size_t li = strlen(opts[i].name), lj = strlen(opts[j].name);
            if (d[j] < d[i] ||
                (d[j] == d[i] && (lj > li || (lj == li && j < i))))
                names[i] = NULL;
        }
}

/*
 * The usage error for an option getopt did not take: "unknown option",
 * with "did you mean" for a long option close to one of opts; a value
 * given to an option that takes none; an abbreviation that fits several
 * options ("ambiguous", naming two of them).
 */
static void
unknown_option(struct fy_ctx *ctx,
               const char *cmd,
               const char *name,
               bool has_value,
               const struct option *opts)
{
    const char *names[MAX_LONGS];
    const struct option *match = NULL, *other = NULL;
    size_t n = 0;
    bool dashdash = strncmp(name, "--", 2) == 0 && name[2] != '\0';
    for (; dashdash && opts[n].name != NULL; n++) {
        const struct option *o = &opts[n];
        names[n] = o->name;
        if (strcmp(o->name, name + 2) == 0) {
            match = o; /* exact: getopt refused its value */
            other = NULL;
            break;
        }
        if (strncmp(o->name, name + 2, strlen(name + 2)) != 0)
            continue;
        /* glibc: abbreviations of the same option (--color, --colour) are
         * one option; of different ones, ambiguous */
        if (match == NULL)
            match = o;
        else if (other == NULL && !same_option(o, match))
            other = o;
    }
    if (match != NULL && other != NULL) {
        hint_usage(ctx, cmd,
                   "ambiguous option '%s' (did you mean '--%s' or '--%s'?)",
                   name, match->name, other->name);
        return;
    }
    if (match != NULL && has_value && match->has_arg == no_argument) {
        cli_usage(ctx, cmd, "option '--%s' takes no value", match->name);
        return;
    }
    if (dashdash)
        drop_aliases(name + 2, opts, names, n);
    const char *hint = dashdash ? cli_suggest(name + 2, names, n) : NULL;
    if (hint == NULL)
        cli_usage(ctx, cmd, "unknown option '%s'", name);
    else
        hint_usage(ctx, cmd, "unknown option '%s' (did you mean '--%s'?)", name,
                   hint);
}

int
cli_getopt(struct fy_ctx *ctx,
           const char *cmd,
           int argc,
           char **argv,
           const char *shortopts,
           const struct option *longopts)
{
    char spec[64];
    struct option all[MAX_LONGS + 1];
    size_t n = 0;
    /* the command's own options first: they win a name clash */
    for (; longopts[n].name != NULL; n++) {
        if (n + NGLOBAL >= MAX_LONGS) {
            cli_usage(ctx, cmd, "internal error: too many options");
            return '?';
        }
        all[n] = longopts[n];
    }
    memcpy(all + n, global_options, NGLOBAL * sizeof global_options[0]);
    memset(all + n + NGLOBAL, 0, sizeof all[0]);
    /* ':' reports missing values; it goes after a leading '+' */
    if (shortopts[0] == '+')
        snprintf(spec, sizeof spec, "+:%sqv", shortopts + 1);
    else
        snprintf(spec, sizeof spec, ":%sqv", shortopts);
    for (;;) {
        int prev = optind;
        opterr = 0;
        int c = getopt_long(argc, argv, spec, all, NULL);
        enum fy_rc rc;
        if (c != '?' && c != ':') {
            if (!global_set(ctx, c, optarg, &rc))
                return c;
            if (rc != FY_OK)
                return '?';
            continue;
        }
        const char *word =
            optind - 1 >= prev && optind - 1 < argc ? argv[optind - 1] : "";
        char name[128];
        if (strncmp(word, "--", 2) == 0) {
            snprintf(name, sizeof name, "%s", word);
            char *eq = strchr(name, '=');
            if (eq)
                *eq = '\0';
        } else {
            snprintf(name, sizeof name, "-%c", optopt);
        }
        if (c == ':')
            cli_usage(ctx, cmd, "option '%s' needs a value", name);
        else
            unknown_option(ctx, cmd, name, strchr(word, '=') != NULL, all);
        return '?';
    }
}

const struct cmd_def *
cli_globals(void)
{
    static const struct cmd_value values[] = {
        {"color", CLI_WORDS, "auto always never"},
        {"colour", CLI_WORDS, "auto always never"},
        {NULL, CLI_TEXT, NULL},
    };
    static const struct cmd_def def = {NULL, global_options, NULL, values};
    return &def;
}
