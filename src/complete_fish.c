/*
 * complete_fish.c - `ferry completion fish`: `complete` lines from the
 * same tables as the bash script.  Two helper functions read the command
 * line the way getopt will (an option that takes a value eats the next
 * word): __ferry_state prints whether a command word was given, which
 * one, and how many arguments follow it; the conditions of the complete
 * lines ask it.  Files are offered only where a path goes.
 */
#include "complete_int.h"

#include <string.h>

/* Print s in fish single quotes: \ and ' escaped. */
static void
fish_quote(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
    fputc('\'', fp);
}

/* The tail of a complete line for a value or an argument. */
static void
put_what(FILE *fp, const struct cmd_value *v)
{
    switch (v ? v->kind : CLI_TEXT) {
    case CLI_FILE:
    case CLI_SOURCE:
        fputs(" -F", fp);
        break;
    case CLI_DIR:
        fputs(" -f -a '(__fish_complete_directories (commandline -ct))'", fp);
        break;
    case CLI_URL:
        fputs(" -f -a 's3:// https:// http:// sftp:// file://'", fp);
        break;
    case CLI_WORDS:
        fputs(" -f -a ", fp);
        fish_quote(fp, v->words);
        break;
    case CLI_COMMAND:
        fputs(" -f -a '(__ferry_commands)'", fp);
        break;
    case CLI_DURATION:
    case CLI_TEXT:
    default:
        fputs(" -f", fp);
        break;
    }
}

static void
option_line(FILE *fp, const struct complete_opt *o, const char *cond)
{
    fputs("complete -c ferry", fp);
    if (cond != NULL)
        fprintf(fp, " -n '%s'", cond);
    if (o->letter)
        fprintf(fp, " -s %c", o->letter);
    fprintf(fp, " -l %s", o->name);
    if (o->has_arg == required_argument) {
        fputs(" -r", fp);
        put_what(fp, o->value);
    }
    fputs("\n", fp);
}

static void
command_lines(FILE *fp,
              const struct complete_src *src,
              const struct cmd_def *def)
{
    char cond[128];
    struct complete_opt o[COMPLETE_MAX_OPTS];
    size_t n = complete_opts(src, def, o);
    snprintf(cond, sizeof cond, "__ferry_using %s", def->name);
    for (size_t i = 0; i < n; i++)
        if (!o[i].global)
            option_line(fp, &o[i], cond);
    int i = 1;
    for (const struct cmd_value *a = complete_args(def); a->name; a++, i++) {
        fprintf(fp, "complete -c ferry -n '__ferry_arg %s %d%s'", def->name, i,
                complete_repeats(a) ? " more" : "");
        put_what(fp, a);
        fputs("\n", fp);
    }
}

/* The case arm of __ferry_takes_value for def ('' for ferry itself). */
static void
value_case(FILE *fp,
           const struct complete_src *src,
           const struct cmd_def *def,
           const char *word)
{
    struct complete_opt o[COMPLETE_MAX_OPTS];
    size_t n = complete_opts(src, def, o);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (o[i].has_arg != required_argument)
            continue;
        if (!any)
            fputs("        case", fp);
        any = true;
        fprintf(fp, " '%s --%s'", word, o[i].name);
        if (o[i].letter)
            fprintf(fp, " '%s -%c'", word, o[i].letter);
    }
    if (any)
        fputs("\n            return 0\n", fp);
}

static const char script_state[] =
    "# __ferry_state: three lines: 1 if a command word was given (else 0),\n"
    "# the command word (or -), how many arguments follow it.\n"
    "function __ferry_state\n"
    "    set -l toks (commandline -opc)\n"
    "    set -e toks[1]\n"
    "    set -l have 0\n"
    "    set -l cmd -\n"
    "    set -l n 0\n"
    "    set -l skip 0\n"
    "    set -l ddash 0\n"
    "    for t in $toks\n"
    "        if test $skip = 1\n"
    "            set skip 0\n"
    "        else if test $ddash = 0; and string match -q -- '-?*' $t\n"
    "            if test $t = --\n"
    "                test $have = 1; and set ddash 1\n"
    "            else if not string match -q -- '--*=*' $t\n"
    "                if test $have = 1\n"
    "                    __ferry_takes_value $cmd $t; and set skip 1\n"
    "                else\n"
    "                    __ferry_takes_value '' $t; and set skip 1\n"
    "                end\n"
    "            end\n"
    "        else if test $have = 0\n"
    "            set have 1\n"
    "            set cmd $t\n"
    "        else\n"
    "            set n (math $n + 1)\n"
    "        end\n"
    "    end\n"
    "    printf '%s\\n' $have $cmd $n\n"
    "end\n"
    "\n"
    "function __ferry_needs_command\n"
    "    set -l s (__ferry_state)\n"
    "    test $s[1] = 0\n"
    "end\n"
    "\n"
    "function __ferry_using --argument-names name\n"
    "    set -l s (__ferry_state)\n"
    "    test $s[1] = 1; and test $s[2] = $name\n"
    "end\n"
    "\n"
    "# __ferry_arg CMD N [more]: the word under the cursor is argument N of\n"
    "# CMD (with 'more': N or any later one)\n"
    "function __ferry_arg --argument-names name idx more\n"
    "    set -l s (__ferry_state)\n"
    "    test $s[1] = 1; and test $s[2] = $name; or return 1\n"
    "    set -l at (math $s[3] + 1)\n"
    "    test $at = $idx; or begin; test -n \"$more\"; and test $at -gt "
    "$idx; end\n"
    "end\n\n";

void
complete_fish(FILE *fp, const struct complete_src *src)
{
    const struct cmd_def *help = complete_help_def();
    fprintf(fp,
            "# fish completion for ferry, written by `ferry completion fish` "
            "(ferry %s)\n"
            "# from the option tables ferry's getopt reads.  Load it with\n"
            "#   ferry completion fish | source\n"
            "# or save it as ~/.config/fish/completions/ferry.fish.\n\n",
            FERRY_VERSION);
    fputs("function __ferry_commands\n", fp);
    for (const struct cmd *c = src->commands; c->name; c++) {
        fprintf(fp, "    printf '%%s\\t%%s\\n' %s ", c->name);
        fish_quote(fp, c->summary);
        fputs("\n", fp);
    }
    fprintf(fp, "    printf '%%s\\t%%s\\n' %s 'print a command\\'s help'\n",
            help->name);
    fputs("end\n\n", fp);

    fputs("# __ferry_takes_value CMD OPTION: does OPTION of CMD ('' for ferry\n"
          "# itself) take the next word as its value?\n"
          "function __ferry_takes_value --argument-names cmd opt\n"
          "    switch \"$cmd $opt\"\n",
          fp);
    value_case(fp, src, src->top, "");
    for (const struct cmd *c = src->commands; c->name; c++)
        value_case(fp, src, c->def, c->name);
    fputs("    end\n    return 1\nend\n\n", fp);
    fputs(script_state, fp);

    fputs("complete -c ferry -f\n"
          "complete -c ferry -n __ferry_needs_command -f -a "
          "'(__ferry_commands)'\n",
          fp);
    struct complete_opt o[COMPLETE_MAX_OPTS];
    size_t n = complete_opts(src, src->top, o);
    for (size_t i = 0; i < n; i++)
        option_line(fp, &o[i], o[i].global ? NULL : "__ferry_needs_command");
    command_lines(fp, src, help);
    for (const struct cmd *c = src->commands; c->name; c++)
        command_lines(fp, src, c->def);
}
