/*
 * cli_opts.h - option groups that several commands share (src/cli_opts.c):
 * the torrent options of fetch and seed.  The engine gets a filled options
 * struct; it never sees getopt.
 *
 * A command lists the group's entries it takes in its own struct option
 * table, with the values below (from CLI_OPT_FETCH_BASE: clear of a
 * command's own long-only values, which start at 256, and of the arc and
 * remote groups at 0x280 and 0x300).  While parsing, cli_opts_fetch_is()
 * says whether a getopt value is one of them and cli_opts_fetch_set()
 * applies it.
 *
 * Ownership: strings are borrowed from argv (optarg) and stored as they
 * are; a list option (--select, --peer) appends to its strlist, freed by
 * fetch_opts_release().  Errors: a value that does not parse is a usage
 * error (FY_EUSAGE) recorded in err and naming the option.
 */
#ifndef FERRY_CLI_OPTS_H
#define FERRY_CLI_OPTS_H

#include <stdbool.h>

#include "ferry/err.h"

struct fetch_opts;

enum {
    CLI_OPT_FETCH_BASE = 0x200,
    CLI_OPT_SELECT = CLI_OPT_FETCH_BASE, /* --select GLOB */
    CLI_OPT_PEER,                        /* --peer HOST:PORT */
    CLI_OPT_WEBSEED,                     /* --webseed URL */
    CLI_OPT_TRACKER,                     /* --tracker URL */
    CLI_OPT_SEED_RATIO,                  /* --seed-ratio R */
    CLI_OPT_SEED_TIME,                   /* --seed-time SECS */
    CLI_OPT_TIMEOUT,                     /* --timeout SECS */
    CLI_OPT_STALL,                       /* --stall-timeout SECS */
    CLI_OPT_MAX_DOWN,                    /* --max-down RATE */
    CLI_OPT_MAX_UP,                      /* --max-up RATE */
    CLI_OPT_LISTEN,                      /* --listen ADDR:PORT */
    CLI_OPT_NO_DHT,                      /* --no-dht */
    CLI_OPT_NO_LSD,                      /* --no-lsd */
    CLI_OPT_NO_UPNP,                     /* --no-upnp */
    CLI_OPT_FETCH_END
};

/* What the group's options take, for the completion values of a command
 * that has them all (fetch; include/ferry/cmd_def.h); the rest are free
 * text.  A command with only some lists those itself (test_complete
 * checks every value names an option of the command's table). */
#define CLI_OPT_FETCH_VALUES                                                   \
    {"seed-time", CLI_DURATION, NULL}, {"timeout", CLI_DURATION, NULL},        \
    {                                                                          \
        "stall-timeout", CLI_DURATION, NULL                                    \
    }

/* Is opt one of the fetch group's values? */
bool cli_opts_fetch_is(int opt);
/* Apply one of them to o; FY_EUSAGE naming the option if arg is bad. */
enum fy_rc cli_opts_fetch_set(struct fetch_opts *o,
                              int opt,
                              const char *arg,
                              struct fy_err *err);

#endif
