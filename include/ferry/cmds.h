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
/* FERRY_CMDS (new commands are declared above this line) */

#endif
