/*
 * complete.h - shell completion scripts written from ferry's own tables
 * (src/complete.c; one writer per shell in complete_bash.c,
 * complete_zsh.c, complete_fish.c, sharing src/complete_int.h): main.c's
 * command table, each
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

#ifdef __cplusplus
}
#endif

#endif
