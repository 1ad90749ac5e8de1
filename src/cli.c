/*
 * cli.c - the command-line machinery every command shares: getopt_long
 * with the global options folded into each command's table, the one usage
 * error line that points at the command's help, positional arguments and
 * help text.  The command table is main.c's; value parsers are parse.c's.
 */
#include "ferry/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ferry/cmd_def.h"

enum fy_rc
cli_usage(struct fy_ctx *ctx, const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cmd == NULL)
        return fy_fail(&ctx->err, FY_EUSAGE, "%s (see 'ferry --help')", msg);
    return fy_fail(&ctx->err, FY_EUSAGE, "%s: %s (see 'ferry %s --help')", cmd,
                   msg, cmd);
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
            cli_usage(ctx, cmd, "unknown option '%s'", name);
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
