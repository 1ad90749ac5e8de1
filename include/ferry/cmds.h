/*
 * cmds.h - one function per subcommand (src/cmd_<name>.c).  Each gets argv
 * starting at the command word, parses and validates its options, calls an
 * engine, and returns the exit code; errors are recorded in ctx->err.
 */
#ifndef FERRY_CMDS_H
#define FERRY_CMDS_H

#include "ferry/cli.h"

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
/* FERRY_CMDS (new commands are declared above this line) */

#endif
