/*
 * main.c - the command table, global options, dispatch, the one error
 * line and the exit code.  Below this file nothing prints an error or
 * calls exit() (except out of memory).  A closed output pipe ends ferry
 * with 141 and no line.
 *
 * ferry's own options (-h, -V) are parsed here; the global options every
 * command also takes after its word (-q -v --json --no-progress --color)
 * are cli.c's table, which cli_getopt() adds to each command's (so this
 * file stays the only one that knows the commands, and cli.c never calls
 * up into it).
 *
 * To add a command: write src/cmd_<name>.c (see cmd_verify.c for the
 * shape, with its cmd_<name>_def beside its option table), declare
 * cmd_<name>() and cmd_<name>_def in include/ferry/cmds.h, list both in
 * commands[] below and its source in CMakeLists.txt.  `ferry completion`
 * reads this table (through ctx.commands) and each def, so the shell
 * scripts know the new command and its options with nothing more to do.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry/cli.h"
#include "ferry/cmds.h"
#include "ferry/err.h"
#include "ferry/out.h"
#include "ferry/version.h"

static const struct cmd commands[] = {
    {"fetch", cmd_fetch, "download a bundle over BitTorrent", &cmd_fetch_def},
    {"make-torrent", cmd_make_torrent, "create a .torrent of a directory",
     &cmd_make_torrent_def},
    {"seed", cmd_seed, "verify a directory and seed it", &cmd_seed_def},
    {"pack", cmd_pack, "pack a directory into an archive", &cmd_pack_def},
    {"unpack", cmd_unpack, "unpack an archive safely and atomically",
     &cmd_unpack_def},
    {"list", cmd_list, "list the entries of an archive", &cmd_list_def},
    {"verify", cmd_verify, "check an archive and its checksums",
     &cmd_verify_def},
    {"push", cmd_push, "upload a file or stdin to S3, HTTP(S), SFTP, file://",
     &cmd_push_def},
    {"pull", cmd_pull, "download a file from remote storage", &cmd_pull_def},
    {"save", cmd_save, "pack a directory straight into an upload",
     &cmd_save_def},
    {"restore", cmd_restore, "download straight into a safe unpack",
     &cmd_restore_def},
    {"ls", cmd_ls, "list what storage holds under a URL prefix", &cmd_ls_def},
    {"rm", cmd_rm, "remove objects from storage", &cmd_rm_def},
    {"up", cmd_up, "fetch the bundles and restore the workspace of ferry.ini",
     &cmd_up_def},
    {"down", cmd_down, "save the manifest's workspace (ferry.ini)",
     &cmd_down_def},
    {"completion", cmd_completion,
     "print a bash, zsh or fish completion script", &cmd_completion_def},
    /* FERRY_COMMANDS (new commands are listed above this line) */
    {NULL, NULL, NULL, NULL},
};

static const struct cmd *
find_command(const char *name)
{
    for (const struct cmd *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* The usage error for a command word that is none: "did you mean"? */
static enum fy_rc
unknown_command(struct fy_ctx *ctx, const char *name)
{
    const char *names[sizeof commands / sizeof commands[0] + 1];
    size_t n = 0;
    for (const struct cmd *c = commands; c->name; c++)
        names[n++] = c->name;
    names[n++] = "help";
    const char *hint = cli_suggest(name, names, n);
    if (hint != NULL)
        return fy_fail(&ctx->err, FY_EUSAGE,
                       "unknown command '%s' (did you mean '%s'?)", name, hint);
    return fy_fail(&ctx->err, FY_EUSAGE,
                   "%s: unknown command (see 'ferry --help')", name);
}

static const char usage_text[] =
    "usage: ferry [GLOBAL] COMMAND [ARGS]\n"
    "\n"
    "Carry a work environment onto a short-lived VM and back.\n"
    "\n"
    "Commands:\n"
    "%s"
    "\n"
    "Global options:\n"
    "  -q, --quiet          print only errors\n"
    "  -v, --verbose        say more about what happens\n"
    "      --json           progress and results as JSON lines (on stdout, or\n"
    "                       on stderr when stdout carries data)\n"
    "      --no-progress    no progress display\n"
    "      --color WHEN     colour errors red, warnings yellow, finished\n"
    "                       progress green: auto (default: a terminal, TERM\n"
    "                       not dumb, NO_COLOR unset or empty), always, never\n"
    "  -h, --help           this help; 'ferry COMMAND --help' for a command\n"
    "  -V, --version        print the version of ferry and of its libraries\n"
    "                       (ferry --version --json: one JSON object)\n"
    "\n"
    "Global options may also follow the command word.  Options that take a\n"
    "value accept '--opt VALUE' and '--opt=VALUE'.  Times are durations:\n"
    "90 (seconds), 90s, 10m, 1h30m.\n"
    "\n"
    "Exit codes: 0 ok, 1 runtime failure (also a missing input file), 2 "
    "usage,\n"
    "3 invalid input, 4 refused for safety or integrity, 5 timed out,\n"
    "130 interrupted, 141 the reader of the output pipe went away (quiet).\n";

static void
print_usage(FILE *fp)
{
    char cmds[2048] = "";
    size_t n = 0;
    for (const struct cmd *c = commands; c->name && n < sizeof cmds; c++)
        n += (size_t)snprintf(cmds + n, sizeof cmds - n, "  %-14s %s\n",
                              c->name, c->summary);
    fprintf(fp, usage_text, cmds);
}

/* Make sure fds 0-2 are open, so no file we open becomes stdout. */
static void
check_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/* ferry's own options; -q -v --json --no-progress --color come from
 * cli_getopt() */
static const struct option opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};
/* ...and what ferry itself takes, for `ferry completion` */
static const struct cmd_value top_args[] = {
    {"COMMAND", CLI_COMMAND, NULL},
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_def top = {"ferry", opts, top_args, NULL};

int
main(int argc, char **argv)
{
    struct fy_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.commands = commands;
    ctx.top = &top;
    ctx.oo = (struct out_opts){0, false, false, OUT_COLOR_AUTO, NULL};
    check_fds();
    fy_signals_install();
    out_init(&ctx.out, &ctx.oo);

    int c;
    bool version = false;
    enum fy_rc rc = FY_OK;
    while (rc == FY_OK &&
           (c = cli_getopt(&ctx, NULL, argc, argv, "+hV", opts)) != -1) {
        switch (c) {
        case 'h':
            print_usage(stdout);
            return out_finish(&ctx.out, 0);
        case 'V': /* printed once every global is read (--json) */
            version = true;
            break;
        default:
            rc = ctx.err.rc;
            break;
        }
    }
    if (rc == FY_OK && version) {
        version_print(&ctx.out);
        return out_finish(&ctx.out, 0);
    }
    if (rc == FY_OK && optind >= argc) {
        print_usage(stderr);
        rc = fy_fail(&ctx.err, FY_EUSAGE, "no command given");
    }
    if (rc == FY_OK) {
        const char *name = argv[optind];
        const struct cmd *cmd = NULL;
        if (strcmp(name, "help") == 0 && optind + 1 < argc) {
            /* "ferry help fetch" == "ferry fetch --help" */
            static char help_flag[] = "--help";
            argv[optind] = argv[optind + 1];
            argv[optind + 1] = help_flag;
            name = argv[optind];
        } else if (strcmp(name, "help") == 0) {
            print_usage(stdout);
            return out_finish(&ctx.out, 0);
        }
        cmd = find_command(name);
        if (cmd == NULL) {
            rc = unknown_command(&ctx, name);
        } else {
            /* every JSON event from here on names the command */
            ctx.oo.command = cmd->name;
            ctx.out.command = cmd->name;
            int first = optind;
            optind = 0; /* glibc: full reset for the command's own parse */
            rc = cmd->fn(argc - first, argv + first, &ctx);
        }
    }
    /* SPEC: a reader that closed our output pipe ends ferry quietly */
    if (rc == FY_EPIPE || fy_pipe_closed())
        rc = FY_EPIPE;
    else if (rc != FY_OK)
        out_error(&ctx.out, &ctx.err);
    return out_finish(&ctx.out, rc);
}
