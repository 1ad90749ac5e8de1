/*
 * cli.c - the command table and the option/number parsers every command
 * shares, so "--timeout x" fails the same way in fetch as in up.
 */
#include "ferry/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ferry/cmds.h"

const struct cmd cli_commands[] = {
    {"fetch", cmd_fetch, "download a bundle over BitTorrent"},
    {"make-torrent", cmd_make_torrent, "create a .torrent of a directory"},
    {"seed", cmd_seed, "verify a directory and seed it"},
    {"pack", cmd_pack, "pack a directory into an archive"},
    {"unpack", cmd_unpack, "unpack an archive safely and atomically"},
    {"list", cmd_list, "list the entries of an archive"},
    {"verify", cmd_verify, "check an archive and its checksums"},
    {"push", cmd_push, "upload a file to S3, HTTP(S), SFTP or file://"},
    {"pull", cmd_pull, "download a file from remote storage"},
    {"save", cmd_save, "pack a directory straight into an upload"},
    {"restore", cmd_restore, "download straight into a safe unpack"},
    /* FERRY_COMMANDS (new commands are listed above this line) */
    {NULL, NULL, NULL},
};

const struct cmd *
cli_find(const char *name)
{
    for (const struct cmd *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

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
};
#define NGLOBAL   (sizeof global_options / sizeof global_options[0])
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
    memcpy(all + n, global_options, sizeof global_options);
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

enum fy_rc
cli_parse_i64(const char *opt,
              const char *s,
              int64_t min,
              int64_t max,
              int64_t *out,
              struct fy_err *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE)
        return fy_fail(err, FY_EUSAGE, "%s: '%s' is not a whole number", opt,
                       s);
    if (v < min || v > max)
        return fy_fail(err, FY_EUSAGE, "%s: %lld is out of range (%lld-%lld)",
                       opt, v, (long long)min, (long long)max);
    *out = v;
    return FY_OK;
}

enum fy_rc
cli_parse_double(
    const char *opt, const char *s, double max, double *out, struct fy_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) ||
        strchr(s, 'x') || strchr(s, 'X'))
        return fy_fail(err, FY_EUSAGE, "%s: '%s' is not a number", opt, s);
    if (v < 0 || v > max)
        return fy_fail(err, FY_EUSAGE, "%s: %s is out of range (0-%g)", opt, s,
                       max);
    *out = v;
    return FY_OK;
}

enum fy_rc
cli_parse_rate(const char *opt, const char *s, int64_t *out, struct fy_err *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v) || v < 0 ||
        strchr(s, 'x') || strchr(s, 'X'))
        goto bad;
    double mult = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024.0;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1024.0 * 1024;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1024.0 * 1024 * 1024;
        end++;
        break;
    default:
        break;
    }
    if (mult > 1 && (*end == 'i' || *end == 'I'))
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (strcasecmp(end, "/s") == 0)
        end += 2;
    if (*end != '\0')
        goto bad;
    v *= mult;
    if (v > (double)CLI_RATE_MAX)
        return fy_fail(err, FY_EUSAGE,
                       "%s: '%s' is more than 2G, the largest limit libtorrent "
                       "takes (0 = unlimited)",
                       opt, s);
    /* libtorrent's limit is an int of bytes/s: 2G is one byte/s less */
    *out = v >= (double)INT32_MAX ? INT32_MAX : (int64_t)v;
    return FY_OK;
bad:
    return fy_fail(err, FY_EUSAGE,
                   "%s: '%s' is not a rate (bytes/s, e.g. 500K, 4M, 0 = "
                   "unlimited)",
                   opt, s);
}

enum fy_rc
cli_parse_hostport(const char *opt,
                   const char *s,
                   bool allow_zero,
                   struct fy_err *err)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close == s + 1 || close[1] != ':')
            goto bad;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || colon == s || memchr(s, ':', (size_t)(colon - s)))
            goto bad;
    }
    int64_t port, min = allow_zero ? 0 : 1;
    struct fy_err tmp = FY_ERR_INIT;
    if (cli_parse_i64(opt, colon + 1, INT64_MIN, INT64_MAX, &port, &tmp) !=
        FY_OK)
        goto bad;
    if (port < min || port > 65535)
        return fy_fail(err, FY_EUSAGE,
                       "%s: '%s': port %lld is out of range (%lld-65535)", opt,
                       s, (long long)port, (long long)min);
    return FY_OK;
bad:
    return fy_fail(err, FY_EUSAGE, "%s: '%s' is not HOST:PORT", opt, s);
}
