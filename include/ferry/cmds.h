/*
 * cmds.h - one function per subcommand (src/cmd_<name>.c), listed in
 * main.c's command table.  Each gets argv starting at the command word,
 * parses and validates its options, calls an engine, and returns the exit
 * code; errors are recorded in ctx->err (main prints them), and only the
 * help text and the command's data rows go to stdout.  Ownership: argv
 * and ctx are main's; getopt may reorder argv, and strings taken from it
 * (optarg, cli_args()) are borrowed for the run.
 *
 * Every cmd_<name>.c has the same shape (cmd_verify.c is the shortest):
 *
 *     static const char usage[] = "usage: ferry NAME ...";   --help text
 *     enum { OPT_X = 256, ... };                   long-only option values
 *     static const struct option options[] = { ..., {"help", ..., 'h'} };
 *     const struct cmd_def cmd_NAME_def = {"NAME", options, args, values};
 *                         the same table, for `ferry completion` (cmd_def.h)
 *     struct NAME_args { bool help; ...; };       what the line asked for
 *     static enum fy_rc parse(argc, argv, ctx, struct NAME_args *a);
 *         cli_getopt() loop: 'h' sets a->help and stops; a shared group
 *         (cli_opts.h, arc.h, remote.h) in the default branch; then
 *         cli_args() and the checks of the command line (usage errors)
 *     static enum fy_rc run(ctx, const struct NAME_args *a);
 *         checks that look at files or URLs, the engine, the summary line
 *     enum fy_rc cmd_NAME(argc, argv, ctx)
 *         init a; parse; a.help ? cli_help(usage) : run; release a
 */
#ifndef FERRY_CMDS_H
#define FERRY_CMDS_H

#include "ferry/cli.h"
#include "ferry/cmd_def.h"

enum fy_rc cmd_fetch(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_make_torrent(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_seed(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_pack(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_unpack(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_list(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_verify(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_push(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_pull(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_save(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_restore(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_ls(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_rm(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_up(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_down(int argc, char **argv, struct fy_ctx *ctx);
enum fy_rc cmd_completion(int argc, char **argv, struct fy_ctx *ctx);
/* FERRY_CMDS (new commands are declared above this line) */

/*
 * What each command takes (include/ferry/cmd_def.h), defined beside its
 * option table in src/cmd_<name>.c; main.c's table points at them.
 */
extern const struct cmd_def cmd_fetch_def, cmd_make_torrent_def, cmd_seed_def,
    cmd_pack_def, cmd_unpack_def, cmd_list_def, cmd_verify_def, cmd_push_def,
    cmd_pull_def, cmd_save_def, cmd_restore_def, cmd_ls_def, cmd_rm_def,
    cmd_up_def, cmd_down_def, cmd_completion_def;

#endif
