/*
 * cli.h - the run context, the command table and the shared option parsers.
 *
 * main.c parses global options into a struct fy_ctx, looks the command word
 * up in cli_commands[] and calls its function with argv starting at the
 * command word.  Commands parse their own options with cli_getopt(), which
 * turns getopt's complaints into one usage error line, validate, and call an
 * engine.  Numbers go through cli_parse_*(): strict, with the option name
 * in the error.
 *
 * Global options (-q -v --json --no-progress --color) may also follow the
 * command word: cli_getopt() adds them to every command's own table, so
 * getopt sees one table and an option that takes a value always takes the
 * next word first ("pack ws --exclude -v" excludes "-v").  Every option
 * that takes a value accepts both "--opt VALUE" and "--opt=VALUE".
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/out.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Everything one run of ferry carries: output settings and the error. */
struct fy_ctx {
    struct out out;
    struct out_opts oo; /* the global options; out is made from them */
    struct fy_err err;
};

struct cmd {
    const char *name;
    enum fy_rc (*fn)(int argc, char **argv, struct fy_ctx *ctx);
    const char *summary;
};

extern const struct cmd cli_commands[];
const struct cmd *cli_find(const char *name);

/*
 * getopt_long for a command: returns the option, -1 at the end of options,
 * or '?' after recording a usage error ("<cmd>: unknown option '--x' (see
 * 'ferry <cmd> --help')"; with cmd NULL, for ferry's own options: "unknown
 * option '--x' (see 'ferry --help')").  shortopts must not start with ':'
 * (added here).  The global options are handled here, wherever they stand:
 * they update ctx->oo and ctx->out and are never returned.
 */
int cli_getopt(struct fy_ctx *ctx,
               const char *cmd,
               int argc,
               char **argv,
               const char *shortopts,
               const struct option *longopts);
/* Record a usage error for cmd (NULL: ferry itself), pointing at its help. */
enum fy_rc cli_usage(struct fy_ctx *ctx, const char *cmd, const char *fmt, ...)
    FY_PRINTF(3, 4);
/*
 * Take the positional arguments left after the options: exactly n, named
 * by names[] for the messages ("missing DIR", "unexpected argument 'x'",
 * "DIR is empty").  On success out[i] = argv[optind + i].
 */
enum fy_rc cli_args(struct fy_ctx *ctx,
                    const char *cmd,
                    int argc,
                    char **argv,
                    int n,
                    const char *const *names,
                    const char **out);
/* Print a command's help text to stdout; returns FY_OK. */
enum fy_rc cli_help(const char *text);

/* Whole decimal number in [min, max]. */
enum fy_rc cli_parse_i64(const char *opt,
                         const char *s,
                         int64_t min,
                         int64_t max,
                         int64_t *out,
                         struct fy_err *err);
/* Non-negative decimal (e.g. 1.5). */
enum fy_rc cli_parse_double(const char *opt,
                            const char *s,
                            double max,
                            double *out,
                            struct fy_err *err);
/*
 * A rate in bytes per second: "0" (no limit), "500K", "4M", "1.5G", "1000"
 * (bytes); suffixes are powers of 1024, case-insensitive, optional "iB/s".
 * At most 2G (CLI_RATE_MAX): libtorrent keeps a rate in an int of bytes/s,
 * so exactly 2G is taken as INT32_MAX, one byte/s less.
 */
#define CLI_RATE_MAX ((int64_t)2 << 30)
enum fy_rc cli_parse_rate(const char *opt,
                          const char *s,
                          int64_t *out,
                          struct fy_err *err);
/* "HOST:PORT" or "[V6]:PORT", port 1-65535 (0 allowed if allow_zero). */
enum fy_rc cli_parse_hostport(const char *opt,
                              const char *s,
                              bool allow_zero,
                              struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
