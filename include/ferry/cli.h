/*
 * cli.h - the run context and the command-line machinery every command
 * shares (src/cli.c).
 *
 * main.c parses global options into a struct fy_ctx, looks the command
 * word up in its command table and calls cmd_<name>(argc, argv, ctx) with
 * argv starting at the command word (include/ferry/cmds.h).  A command
 * parses its own options with cli_getopt(), takes its positional
 * arguments with cli_args(), validates, and calls an engine with
 * &ctx->out and &ctx->err.  Values go through the parsers of
 * include/ferry/parse.h.
 *
 * Global options (-q -v --json --no-progress --color) may also follow the
 * command word: cli_getopt() adds them to every command's own table, so
 * getopt sees one table and an option that takes a value always takes the
 * next word first ("pack ws --exclude -v" excludes "-v").  Every option
 * that takes a value accepts both "--opt VALUE" and "--opt=VALUE".
 *
 * Ownership: nothing here allocates.  Strings handed back (cli_args()'s
 * out[], getopt's optarg) point into argv and live as long as it does.
 * Errors: every failure here is a usage error (FY_EUSAGE), recorded once
 * in ctx->err; those about the shape of the command line read "<cmd>:
 * <what> (see 'ferry <cmd> --help')".  Nothing is printed here but a help
 * text that was asked for.
 */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "ferry/err.h"
#include "ferry/out.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cmd;
struct cmd_def;

/* Everything one run of ferry carries: output settings and the error. */
struct fy_ctx {
    struct out out;
    struct out_opts oo; /* the global options; out is made from them */
    struct fy_err err;
    /* main.c's command table ({NULL} ends it) and ferry's own options
     * (-h, -V, the COMMAND word), for `ferry completion`; may be NULL */
    const struct cmd *commands;
    const struct cmd_def *top;
};

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
/*
 * "Did you mean": the one name of names[0..n-1] (NULLs skipped) close
 * enough to word to be what was meant, by edit distance (insert, delete,
 * substitute, swap neighbours; case ignored) within about a third of the
 * length, or NULL if none is, or two are equally close.  Borrowed from
 * names.
 */
const char *cli_suggest(const char *word, const char *const *names, size_t n);
/* The edit distance above; (size_t)-1 for words over 64 bytes. */
size_t cli_edit_distance(const char *a, const char *b);
/* Print a command's help text to stdout; returns FY_OK. */
enum fy_rc cli_help(const char *text);
/*
 * The global options cli_getopt() adds to every command's table, as a
 * command definition (include/ferry/cmd_def.h) without a name: their
 * getopt table and what --color takes.
 */
const struct cmd_def *cli_globals(void);

#ifdef __cplusplus
}
#endif

#endif
