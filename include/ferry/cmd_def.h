/*
 * cmd_def.h - what a command takes, as data: its getopt table (the very
 * array its parse() hands to cli_getopt()), its positional arguments and
 * what each option value or argument is (a file, a directory, a URL, one
 * of a few words).  `ferry completion` (src/complete*.c) writes the shell
 * scripts from these and from main.c's command table, so the scripts
 * cannot drift from what getopt accepts.
 *
 * Each src/cmd_<name>.c defines one, beside its option table:
 *
 *     static const struct cmd_value value_kinds[] = {
 *         {"output", CLI_FILE, NULL}, ARC_PACK_VALUES, {NULL, 0, NULL}};
 *     static const struct cmd_value arg_kinds[] = {{"DIR", CLI_DIR, NULL},
 *                                                  {NULL, 0, NULL}};
 *     const struct cmd_def cmd_pack_def = {"pack", options, arg_kinds,
 *                                          value_kinds};
 *
 * value_kinds[] names long options of the table; an option that takes a value
 * and is not listed there is free text (CLI_TEXT).  A short option is the
 * table entry whose val is a letter (the shortopts string passed to
 * cli_getopt() lists the same letters).  arg_kinds[] is in order; a name that
 * ends in "..." (rm's "URL...") repeats.  Groups of options that several
 * commands share bring their values as a macro beside their LONGOPTS one
 * (REMOTE_VALUES, ARC_PACK_VALUES, CLI_OPT_FETCH_VALUES).
 *
 * Ownership: all static data; nothing is allocated.
 */
#ifndef FERRY_CMD_DEF_H
#define FERRY_CMD_DEF_H

#include <getopt.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fy_ctx;

/* What an option value or a positional argument is. */
enum cli_kind {
    CLI_TEXT = 0, /* free text: a number, a glob, a name: nothing offered */
    CLI_FILE,     /* a path (files and directories are offered) */
    CLI_DIR,      /* a directory */
    CLI_URL,    /* a storage URL: s3://, https://, http://, sftp://, file:// */
    CLI_SOURCE, /* fetch's SOURCE: a .torrent file, a magnet: or a URL */
    CLI_DURATION, /* seconds, or 90s, 10m, 1h30m */
    CLI_WORDS,    /* one of words, a space-separated list */
    CLI_COMMAND,  /* a ferry command (ferry help COMMAND) */
};

/* An option's value (name: its long name) or a positional argument. */
struct cmd_value {
    const char *name;
    enum cli_kind kind;
    const char *words; /* CLI_WORDS: "bash zsh fish"; else NULL */
};

struct cmd_def {
    const char *name;               /* the command word */
    const struct option *longopts;  /* the table parse() gives cli_getopt() */
    const struct cmd_value *args;   /* positionals; NULL or {NULL} ends */
    const struct cmd_value *values; /* option values; NULL or {NULL} ends */
};

/* One row of main.c's command table. */
struct cmd {
    const char *name;
    enum fy_rc (*fn)(int argc, char **argv, struct fy_ctx *ctx);
    const char *summary;
    const struct cmd_def *def;
};

#ifdef __cplusplus
}
#endif

#endif
