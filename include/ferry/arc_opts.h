/*
 * arc_opts.h - the options of the archive commands that the engine
 * defines: pack's and save's --format, --level, --threads, --exclude and
 * --exclude-from (ARC_PACK_LONGOPTS, for a getopt_long table: the file
 * that expands it includes <getopt.h>), and --long of unpack, list and
 * verify.  src/arc_opts.c.
 *
 * Ownership: struct arc_pack_args is the caller's; what arc_pack_arg_set
 * adds to a.o (exclude lists) is released with arc_pack_opts_release(&a.o).
 * Strings given as arg are borrowed (argv) and must outlive a.
 * Errors: FY_EUSAGE with the one message in err, naming the command.
 */
#ifndef FERRY_ARC_OPTS_H
#define FERRY_ARC_OPTS_H

#include <stdbool.h>

#include "ferry/arc.h"
#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The pack options pack and save share, as getopt values for their option
 * tables (ARC_PACK_LONGOPTS).  Fill a struct arc_pack_args with
 * arc_pack_arg_set() while parsing, then call arc_pack_args_settle() with
 * the output name (a path or URL whose extension picks the format unless
 * --format was given; "-", stdout, keeps the default): a name without the
 * extension of a format ferry writes (".tar.bz2", "pipe", "/dev/stdout")
 * is FY_EUSAGE unless --format was given.  It checks --level against the
 * format.
 */
enum {
    ARC_OPT_BASE = 0x280,
    ARC_OPT_FORMAT = ARC_OPT_BASE,
    ARC_OPT_LEVEL,
    ARC_OPT_THREADS,
    ARC_OPT_EXCLUDE,
    ARC_OPT_EXCLUDE_FROM,
    ARC_OPT_END
};
#define ARC_PACK_LONGOPTS                                                      \
    {"format", required_argument, NULL, ARC_OPT_FORMAT},                       \
        {"level", required_argument, NULL, ARC_OPT_LEVEL},                     \
        {"threads", required_argument, NULL, ARC_OPT_THREADS},                 \
        {"exclude", required_argument, NULL, ARC_OPT_EXCLUDE},                 \
    {                                                                          \
        "exclude-from", required_argument, NULL, ARC_OPT_EXCLUDE_FROM          \
    }

/* The --format names ferry writes (test_arc checks each parses), and what
 * the options above take, for a command's completion values
 * (include/ferry/cmd_def.h). */
#define ARC_FORMAT_WORDS "tar.zst tar.gz tar.xz tar zip"
#define ARC_PACK_VALUES                                                        \
    {"format", CLI_WORDS, ARC_FORMAT_WORDS},                                   \
    {                                                                          \
        "exclude-from", CLI_FILE, NULL                                         \
    }

struct arc_pack_args {
    struct arc_pack_opts o;
    const char *level; /* --level as given, checked by settle */
    bool format_given;
};

bool arc_pack_arg_is(int opt);
/* cmd names the command in usage errors ("pack: --level: ..."). */
enum fy_rc arc_pack_arg_set(struct arc_pack_args *a,
                            const char *cmd,
                            int opt,
                            const char *arg,
                            struct fy_err *err);
enum fy_rc arc_pack_args_settle(struct arc_pack_args *a,
                                const char *cmd,
                                const char *output,
                                struct fy_err *err);

/* --long[=LOG] as the zstd CLI takes it: NULL (bare) is 31, else LOG in
 * 27..31 (FY_EUSAGE otherwise). */
enum fy_rc
arc_long_parse(const char *arg, struct arc_read_opts *ro, struct fy_err *err);
/* Its lines in list's and verify's --help. */
#define ARC_LONG_HELP                                                          \
    "      --long[=LOG]  accept zstd windows and xz dictionaries up to "       \
    "2^LOG\n"                                                                  \
    "                    bytes (LOG 27..31; bare --long: 31, as zstd -d\n"     \
    "                    --long); without it more than 128 MiB is refused\n"   \
    "                    (exit 3)\n"

#ifdef __cplusplus
}
#endif

#endif
