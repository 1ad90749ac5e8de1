/*
 * cmd_completion.c - `ferry completion bash|zsh|fish`: print a completion
 * script written from main.c's command table and every command's option
 * table (complete.h), so the script knows exactly the options getopt
 * takes.
 */
#include <stdio.h>
#include <string.h>

#include "ferry/cmds.h"
#include "ferry/complete.h"

static const char usage[] =
    "usage: ferry completion bash|zsh|fish\n"
    "\n"
    "Print a completion script for the shell: commands, every command's\n"
    "options, the words some options take (--format, --color), and file or\n"
    "directory names where a path goes.  The script is written from the\n"
    "same tables ferry's option parser reads, so it matches this ferry.\n"
    "The Debian package installs all three (bash-completion, zsh and fish\n"
    "load them by themselves).\n"
    "\n"
    "  -h, --help    this help\n"
    "\n"
    "Examples:\n"
    "  source <(ferry completion bash)        # bash, this shell; for every\n"
    "                                         # shell: add it to ~/.bashrc\n"
    "  ferry completion bash > "
    "~/.local/share/bash-completion/completions/ferry\n"
    "  source <(ferry completion zsh)         # zsh, after compinit\n"
    "  ferry completion zsh > ~/.zfunc/_ferry # with fpath+=(~/.zfunc) "
    "before\n"
    "                                         # compinit in ~/.zshrc\n"
    "  ferry completion fish | source         # fish, this shell\n"
    "  ferry completion fish > ~/.config/fish/completions/ferry.fish\n"
    "\n"
    "Exit: 0 done, 2 usage (no shell, or one ferry does not know).\n";

static const struct option options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value arg_kinds[] = {
    {"SHELL", CLI_WORDS, COMPLETE_SHELLS},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_completion_def = {"completion", options, arg_kinds,
                                           NULL};

/* What the command line asked for. */
struct completion_args {
    bool help;
    const char *shell;
};

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct completion_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "completion", argc, argv, "h", options)) !=
           -1) {
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        default:
            return ctx->err.rc; /* cli_getopt() recorded it */
        }
    }
    static const char *const names[] = {"SHELL (bash, zsh or fish)"};
    return cli_args(ctx, "completion", argc, argv, 1, names, &a->shell);
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct completion_args *a)
{
    if (ctx->commands == NULL || ctx->top == NULL)
        return fy_fail(&ctx->err, FY_ERUNTIME,
                       "completion: internal error: no command table");
    struct complete_src src = {ctx->commands, ctx->top, cli_globals()};
    return complete_write(stdout, a->shell, &src, &ctx->err);
}

enum fy_rc
cmd_completion(int argc, char **argv, struct fy_ctx *ctx)
{
    struct completion_args a = {false, NULL};
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help)
        rc = cli_help(usage);
    else if (rc == FY_OK)
        rc = run(ctx, &a);
    return rc;
}
