/*
 * complete_int.h - what the completion writers (src/complete_bash.c,
 * complete_zsh.c, complete_fish.c) share, from src/complete_util.c: the
 * option list of a command as a script sees it, its arguments, quoting.
 * complete.c checks the tables and picks the writer; the writers read the
 * tables only through these, so all three describe the same options.
 */
#ifndef FERRY_COMPLETE_INT_H
#define FERRY_COMPLETE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ferry/complete.h"

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

#endif
