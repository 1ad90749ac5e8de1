/*
 * complete.h - shell completion scripts written from ferry's own tables
 * (src/complete.c; one writer per shell in complete_bash.c,
 * complete_zsh.c, complete_fish.c): main.c's command table, each
 * command's struct cmd_def (include/ferry/cmd_def.h) and the global
 * options of cli.c.  The scripts hold the option names as data, so a new
 * option in a getopt table is in the next generated script.
 *
 * Calling sequence: fill a struct complete_src from ctx->commands,
 * ctx->top and cli_globals(), then complete_write(fp, "bash", &src, err).
 * Nothing is allocated.  Errors: an unknown shell is FY_EUSAGE; a table
 * entry a script could not quote safely (a name outside [A-Za-z0-9._+-])
 * is FY_ERUNTIME ("internal error"), checked before anything is written.
 * Write errors on fp are left to the caller (out_finish() for stdout).
 */
#ifndef FERRY_COMPLETE_H
#define FERRY_COMPLETE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ferry/cmd_def.h"
#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct complete_src {
    const struct cmd *commands;    /* main.c's table, {NULL} ends it */
    const struct cmd_def *top;     /* ferry's own options and COMMAND */
    const struct cmd_def *globals; /* cli_globals() */
};

/* The shells complete_write() knows, for usage and the positional words. */
#define COMPLETE_SHELLS "bash zsh fish"

enum fy_rc complete_write(FILE *fp,
                          const char *shell,
                          const struct complete_src *src,
                          struct fy_err *err);

/* --- for the writers (complete_*.c) ------------------------------------- */

/* One option of a command as the scripts see it: the command's own and
 * then the global ones (a command's option wins a name clash). */
struct complete_opt {
    const char *name;              /* long name */
    char letter;                   /* the short form, or 0 */
    int has_arg;                   /* no_argument, required_, optional_ */
    const struct cmd_value *value; /* what the value is, or NULL: text */
    bool global;                   /* one of cli_globals() */
};
#define COMPLETE_MAX_OPTS 160

/* def's options then the globals not already named; returns how many. */
size_t complete_opts(const struct complete_src *src,
                     const struct cmd_def *def,
                     struct complete_opt *out);
/* The positional arguments of def ({NULL}-terminated, never NULL). */
const struct cmd_value *complete_args(const struct cmd_def *def);
/* "help", the word main.c takes before a command name, as a definition
 * with one argument: COMMAND. */
const struct cmd_def *complete_help_def(void);
/* Does arg name end in "..." (it repeats)? */
bool complete_repeats(const struct cmd_value *arg);
/* Print s inside single quotes for sh-like shells (bash, zsh): ' as '\''. */
void complete_squote(FILE *fp, const char *s);

void complete_bash(FILE *fp, const struct complete_src *src);
void complete_zsh(FILE *fp, const struct complete_src *src);
void complete_fish(FILE *fp, const struct complete_src *src);

#ifdef __cplusplus
}
#endif

#endif
