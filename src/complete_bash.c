/*
 * complete_bash.c - `ferry completion bash`: a script for bash 4.1 or
 * later, with or without the bash-completion package.  The tables become
 * three case statements (what an option's value is, the options of each
 * command, what each positional argument is); one function walks the
 * words before the cursor the way getopt will (an option that takes a
 * value eats the next word, "--opt=value" is one word even when bash
 * splits it at '=', "--" ends the options) and answers from them.
 */
#include "complete_int.h"

#include <string.h>

static const char *
kind_word(enum cli_kind k)
{
    switch (k) {
    case CLI_FILE:
        return "file";
    case CLI_DIR:
        return "dir";
    case CLI_URL:
        return "url";
    case CLI_SOURCE:
        return "source";
    case CLI_WORDS:
        return "words";
    case CLI_COMMAND:
        return "command";
    case CLI_DURATION:
    case CLI_TEXT:
    default:
        return "text";
    }
}

/* "_ferry_kind=dir" or "_ferry_kind=words _ferry_words='a b'" */
static void
put_kind(FILE *fp, const struct cmd_value *v)
{
    fprintf(fp, "_ferry_kind=%s", kind_word(v ? v->kind : CLI_TEXT));
    if (v != NULL && v->kind == CLI_WORDS) {
        fputs(" _ferry_words=", fp);
        complete_squote(fp, v->words);
    }
    fputs(" ;;\n", fp);
}

static bool
same_kind(const struct cmd_value *a, const struct cmd_value *b)
{
    enum cli_kind ka = a ? a->kind : CLI_TEXT, kb = b ? b->kind : CLI_TEXT;
    if (ka == CLI_DURATION)
        ka = CLI_TEXT;
    if (kb == CLI_DURATION)
        kb = CLI_TEXT;
    return ka == kb && (ka != CLI_WORDS || strcmp(a->words, b->words) == 0);
}

/* The value arms of def's own options ('' for ferry itself), one arm per
 * kind of value. */
static void
value_arms(FILE *fp,
           const struct complete_src *src,
           const struct cmd_def *def,
           const char *word)
{
    struct complete_opt o[COMPLETE_MAX_OPTS];
    bool done[COMPLETE_MAX_OPTS] = {false};
    size_t n = complete_opts(src, def, o);
    for (size_t i = 0; i < n; i++) {
        if (done[i] || o[i].global || o[i].has_arg != required_argument)
            continue;
        const char *sep = "    ";
        for (size_t j = i; j < n; j++) {
            if (done[j] || o[j].global || o[j].has_arg != required_argument ||
                !same_kind(o[i].value, o[j].value))
                continue;
            done[j] = true;
            fprintf(fp, "%s'%s --%s'", sep, word, o[j].name);
            if (o[j].letter)
                fprintf(fp, " | '%s -%c'", word, o[j].letter);
            sep = " | \\\n    ";
        }
        fputs(")\n        ", fp);
        put_kind(fp, o[i].value);
    }
}

static void
option_words(FILE *fp, const struct complete_opt *o, size_t n, bool global)
{
    const char *sep = "";
    for (size_t i = 0; i < n; i++)
        if (o[i].global == global) {
            fprintf(fp, "%s--%s", sep, o[i].name);
            sep = " ";
        }
    for (size_t i = 0; i < n; i++)
        if (o[i].global == global && o[i].letter) {
            fprintf(fp, "%s-%c", sep, o[i].letter);
            sep = " ";
        }
}

static void
options_arm(FILE *fp,
            const struct complete_src *src,
            const struct cmd_def *def,
            const char *pattern)
{
    struct complete_opt o[COMPLETE_MAX_OPTS];
    size_t n = complete_opts(src, def, o);
    fprintf(fp, "    %s) _ferry_opts='", pattern);
    option_words(fp, o, n, false);
    fputs("' ;;\n", fp);
}

static void
arg_arms(FILE *fp, const struct cmd_def *def, const char *word)
{
    int i = 1;
    for (const struct cmd_value *a = complete_args(def); a->name; a++, i++) {
        if (complete_repeats(a))
            fprintf(fp, "    '%s '*) ", word);
        else
            fprintf(fp, "    '%s %d') ", word, i);
        put_kind(fp, a);
    }
}

static const char script_main[] =
    "# _ferry_reply: COMPREPLY for $cur from _ferry_kind and _ferry_words.\n"
    "_ferry_reply()\n"
    "{\n"
    "    case $_ferry_kind in\n"
    "    file | source)\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\") ;;\n"
    "    dir)\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -d -- \"$cur\") ;;\n"
    "    url)\n"
    "        compopt -o nospace 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -W "
    "'s3:// https:// http:// sftp:// file://' -- \"$cur\") ;;\n"
    "    words)\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$_ferry_words\" -- "
    "\"$cur\") ;;\n"
    "    command)\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$_ferry_commands\" -- "
    "\"$cur\") ;;\n"
    "    esac\n"
    "}\n"
    "\n"
    "_ferry()\n"
    "{\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} x cmd= have_cmd= n=0 skip= "
    "ddash=\n"
    "    local eq= pre= i=1 _ferry_kind _ferry_words _ferry_opts\n"
    "    COMPREPLY=()\n"
    "    # \"--opt=value\": bash splits it at '=' (COMP_WORDBREAKS), or not\n"
    "    if [[ $cur == = ]]; then\n"
    "        eq=${COMP_WORDS[COMP_CWORD-1]} cur=\n"
    "    elif ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[COMP_CWORD-1]} == = ]]; "
    "then\n"
    "        eq=${COMP_WORDS[COMP_CWORD-2]}\n"
    "    elif [[ $cur == --*=* ]]; then\n"
    "        eq=${cur%%=*} pre=${cur%%=*}= cur=${cur#*=}\n"
    "    fi\n"
    "    # the words before the cursor, as getopt will read them\n"
    "    while ((i < COMP_CWORD)); do\n"
    "        x=${COMP_WORDS[i]}\n"
    "        i=$((i + 1))\n"
    "        if [[ -n $skip ]]; then\n"
    "            skip=\n"
    "        elif [[ -z $ddash && $x == -?* ]]; then\n"
    "            if [[ ${COMP_WORDS[i]} == = ]]; then\n"
    "                i=$((i + 2))\n"
    "            elif [[ $x == -- ]]; then\n"
    "                [[ -n $have_cmd ]] && ddash=1\n"
    "            elif [[ $x != --*=* ]] && _ferry_value \"$cmd\" \"$x\"; then\n"
    "                skip=1\n"
    "            fi\n"
    "        elif [[ -z $have_cmd ]]; then\n"
    "            cmd=$x have_cmd=1\n"
    "        else\n"
    "            n=$((n + 1))\n"
    "        fi\n"
    "    done\n"
    "    if [[ -n $eq ]]; then\n"
    "        _ferry_value \"$cmd\" \"$eq\" && _ferry_reply\n"
    "        if [[ -n $pre ]]; then\n"
    "            COMPREPLY=(\"${COMPREPLY[@]/#/$pre}\")\n"
    "        fi\n"
    "    elif [[ -n $skip ]]; then\n"
    "        _ferry_value \"$cmd\" \"${COMP_WORDS[COMP_CWORD-1]}\" && "
    "_ferry_reply\n"
    "    elif [[ -z $ddash && $cur == -* ]]; then\n"
    "        _ferry_options \"$cmd\"\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$_ferry_opts\" -- "
    "\"$cur\")\n"
    "    elif [[ -z $have_cmd ]]; then\n"
    "        _ferry_arg '' 1 && _ferry_reply\n"
    "    else\n"
    "        _ferry_arg \"$cmd\" $((n + 1)) && _ferry_reply\n"
    "    fi\n"
    "    return 0\n"
    "}\n"
    "\n"
    "complete -F _ferry ferry\n";

void
complete_bash(FILE *fp, const struct complete_src *src)
{
    const struct cmd_def *help = complete_help_def();
    fputs("# bash completion for ferry                      "
          "-*- shell-script -*-\n",
          fp);
    fprintf(fp,
            "# Written by `ferry completion bash` (ferry %s) from the option "
            "tables\n"
            "# ferry's getopt reads.  Load it with\n"
            "#   source <(ferry completion bash)\n"
            "# or save it as "
            "~/.local/share/bash-completion/completions/ferry.\n\n",
            FERRY_VERSION);

    fputs("_ferry_commands='", fp);
    for (const struct cmd *c = src->commands; c->name; c++)
        fprintf(fp, "%s ", c->name);
    fprintf(fp, "%s'\n\n", help->name);

    fputs("# _ferry_value CMD OPTION: does OPTION of CMD ('' for ferry "
          "itself) take\n"
          "# a value?  If so, _ferry_kind (and _ferry_words) say what "
          "it is.\n"
          "_ferry_value()\n{\n    _ferry_words=\n    case \"$1 $2\" in\n",
          fp);
    value_arms(fp, src, src->top, "");
    for (const struct cmd *c = src->commands; c->name; c++)
        value_arms(fp, src, c->def, c->name);
    struct complete_opt g[COMPLETE_MAX_OPTS];
    size_t ng = complete_opts(src, src->globals, g);
    for (size_t i = 0; i < ng; i++) {
        if (g[i].has_arg != required_argument)
            continue;
        fprintf(fp, "    *' --%s'", g[i].name);
        if (g[i].letter)
            fprintf(fp, " | *' -%c'", g[i].letter);
        fputs(") ", fp);
        put_kind(fp, g[i].value);
    }
    fputs("    *) return 1 ;;\n    esac\n}\n\n", fp);

    fputs("# _ferry_options CMD: _ferry_opts, the options of CMD ('' for "
          "ferry itself)\n"
          "_ferry_options()\n{\n    case $1 in\n",
          fp);
    options_arm(fp, src, src->top, "''");
    for (const struct cmd *c = src->commands; c->name; c++)
        options_arm(fp, src, c->def, c->name);
    fputs("    *) _ferry_opts= ;;\n    esac\n    _ferry_opts+=' ", fp);
    option_words(fp, g, ng, true);
    fputs("'\n}\n\n", fp);

    fputs("# _ferry_arg CMD N: is there an Nth argument after CMD?  If so,\n"
          "# _ferry_kind (and _ferry_words) say what it is.\n"
          "_ferry_arg()\n{\n    _ferry_words=\n    case \"$1 $2\" in\n",
          fp);
    arg_arms(fp, src->top, "");
    arg_arms(fp, help, help->name);
    for (const struct cmd *c = src->commands; c->name; c++)
        arg_arms(fp, c->def, c->name);
    fputs("    *) return 1 ;;\n    esac\n}\n\n", fp);
    fputs(script_main, fp);
}
