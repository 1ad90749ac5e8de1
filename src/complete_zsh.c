/*
 * complete_zsh.c - `ferry completion zsh`: an _arguments spec per command
 * (compsys), written from the same tables as the bash script.  Every
 * option may be given again ('*' specs: --exclude, --peer and the like
 * repeat), an option's value may follow as the next word or after '='
 * (as getopt_long takes it), an optional value only after '='.
 */
#include "complete_int.h"

#include <string.h>

/* The action of a value or argument, as a single-quoted spec tail. */
static void
put_action(FILE *fp, const struct cmd_value *v)
{
    switch (v ? v->kind : CLI_TEXT) {
    case CLI_FILE:
    case CLI_SOURCE:
        fputs("_files", fp);
        break;
    case CLI_DIR:
        fputs("_files -/", fp);
        break;
    case CLI_URL:
        fputs("_ferry_urls", fp);
        break;
    case CLI_WORDS:
        fprintf(fp, "(%s)", v->words);
        break;
    case CLI_COMMAND:
        fputs("_ferry_commands", fp);
        break;
    case CLI_DURATION:
    case CLI_TEXT:
    default:
        fputs(" ", fp);
        break;
    }
}

static void
spec_lines(FILE *fp, const struct complete_src *src, const struct cmd_def *def)
{
    struct complete_opt o[COMPLETE_MAX_OPTS];
    size_t n = complete_opts(src, def, o);
    for (size_t i = 0; i < n; i++) {
        if (o[i].global)
            continue; /* in $globals */
        const char *lsuf = o[i].has_arg == required_argument   ? "="
                           : o[i].has_arg == optional_argument ? "=-"
                                                               : "";
        fputs("        ", fp);
        if (o[i].letter)
            fprintf(fp, "'*'{-%c%s,--%s%s}", o[i].letter,
                    o[i].has_arg == required_argument ? "+" : "", o[i].name,
                    lsuf);
        else
            fprintf(fp, "'*--%s%s'", o[i].name, lsuf);
        if (o[i].has_arg != no_argument) {
            fprintf(fp,
                    "'%s%s:", o[i].has_arg == optional_argument ? "::" : ":",
                    o[i].name);
            put_action(fp, o[i].value);
            fputs("'", fp);
        }
        fputs(" \\\n", fp);
    }
    for (const struct cmd_value *a = complete_args(def); a->name; a++) {
        if (complete_repeats(a))
            fprintf(fp, "        '*:%.*s:", (int)(strlen(a->name) - 3),
                    a->name);
        else
            fprintf(fp, "        '%d:%s:", (int)(a - complete_args(def)) + 1,
                    a->name);
        put_action(fp, a);
        fputs("' \\\n", fp);
    }
}

/* "fetch:download a bundle", ':' escaped for _describe */
static void
describe_item(FILE *fp, const char *name, const char *summary)
{
    char buf[512];
    size_t n = 0;
    for (const char *s = summary; *s && n + 2 < sizeof buf; s++) {
        if (*s == ':' || *s == '\\')
            buf[n++] = '\\';
        buf[n++] = *s;
    }
    buf[n] = '\0';
    fprintf(fp, "        %s:", name);
    complete_squote(fp, buf);
    fputs("\n", fp);
}

void
complete_zsh(FILE *fp, const struct complete_src *src)
{
    const struct cmd_def *help = complete_help_def();
    fprintf(fp,
            "#compdef ferry\n"
            "# zsh completion for ferry, written by `ferry completion zsh` "
            "(ferry %s)\n"
            "# from the option tables ferry's getopt reads.  Load it with\n"
            "#   source <(ferry completion zsh)\n"
            "# after compinit, or save it as _ferry in a directory of "
            "$fpath.\n\n",
            FERRY_VERSION);
    fputs("_ferry_urls()\n{\n"
          "    compadd -S '' -- s3:// https:// http:// sftp:// file://\n}\n\n"
          "_ferry_commands()\n{\n    local -a cmds\n    cmds=(\n",
          fp);
    for (const struct cmd *c = src->commands; c->name; c++)
        describe_item(fp, c->name, c->summary);
    describe_item(fp, help->name, "print a command's help");
    fputs("    )\n    _describe -t commands 'ferry command' cmds\n}\n\n", fp);

    fputs("_ferry()\n{\n"
          "    local curcontext=$curcontext state state_descr line ret=1\n"
          "    typeset -A opt_args\n"
          "    local -a globals\n"
          "    globals=(\n",
          fp);
    struct complete_opt g[COMPLETE_MAX_OPTS];
    size_t ng = complete_opts(src, src->globals, g);
    for (size_t i = 0; i < ng; i++) {
        fputs("        ", fp);
        if (g[i].letter)
            fprintf(fp, "'*'{-%c%s,--%s%s}", g[i].letter,
                    g[i].has_arg == required_argument ? "+" : "", g[i].name,
                    g[i].has_arg == required_argument ? "=" : "");
        else
            fprintf(fp, "'*--%s%s'", g[i].name,
                    g[i].has_arg == required_argument ? "=" : "");
        if (g[i].has_arg == required_argument) {
            fprintf(fp, "':%s:", g[i].name);
            put_action(fp, g[i].value);
            fputs("'", fp);
        }
        fputs("\n", fp);
    }
    fputs("    )\n"
          "    _arguments -C -S : \"${globals[@]}\" \\\n",
          fp);
    struct complete_opt t[COMPLETE_MAX_OPTS];
    size_t nt = complete_opts(src, src->top, t);
    for (size_t i = 0; i < nt; i++)
        if (!t[i].global && t[i].has_arg == no_argument) {
            if (t[i].letter)
                fprintf(fp, "        '(- *)'{-%c,--%s} \\\n", t[i].letter,
                        t[i].name);
            else
                fprintf(fp, "        '(- *)--%s' \\\n", t[i].name);
        }
    fputs("        '1:command:_ferry_commands' \\\n"
          "        '*::argument:->args' && ret=0\n"
          "    [[ $state == args ]] || return ret\n"
          "    curcontext=${curcontext%:*:*}:ferry-$words[1]:\n"
          "    case $words[1] in\n",
          fp);
    fprintf(fp, "    %s)\n        _arguments -S : \"${globals[@]}\" \\\n",
            help->name);
    spec_lines(fp, src, help);
    fputs("            && ret=0 ;;\n", fp);
    for (const struct cmd *c = src->commands; c->name; c++) {
        fprintf(fp, "    %s)\n        _arguments -S : \"${globals[@]}\"",
                c->name);
        fputs(" \\\n", fp);
        spec_lines(fp, src, c->def);
        fputs("            && ret=0 ;;\n", fp);
    }
    fputs("    esac\n    return ret\n}\n\n"
          "# autoloaded from $fpath: complete; sourced: register\n"
          "if [[ $funcstack[1] == _ferry ]]; then\n"
          "    _ferry \"$@\"\n"
          "else\n"
          "    compdef _ferry ferry\n"
          "fi\n",
          fp);
}
