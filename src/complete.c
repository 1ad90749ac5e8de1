/*
 * complete.c - what the three completion writers share: the option list
 * of a command as a script sees it (its own getopt table, then the global
 * options), the check that every name in the tables can stand unquoted in
 * a script, and the choice of writer.  The writers are complete_bash.c,
 * complete_zsh.c and complete_fish.c; they read the tables only through
 * the functions here, so all three describe the same options.
 */
#include "ferry/complete.h"

#include <ctype.h>
#include <string.h>

static const struct cmd_value no_args[] = {{NULL, CLI_TEXT, NULL}};

const struct cmd_value *
complete_args(const struct cmd_def *def)
{
    return def->args != NULL ? def->args : no_args;
}

const struct cmd_def *
complete_help_def(void)
{
    static const struct option none[] = {{NULL, 0, NULL, 0}};
    static const struct cmd_value args[] = {
        {"COMMAND", CLI_COMMAND, NULL},
        {NULL, CLI_TEXT, NULL},
    };
    static const struct cmd_def def = {"help", none, args, NULL};
    return &def;
}

bool
complete_repeats(const struct cmd_value *arg)
{
    size_t n = strlen(arg->name);
    return n > 3 && strcmp(arg->name + n - 3, "...") == 0;
}

void
complete_squote(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

static const struct cmd_value *
find_value(const struct cmd_value *values, const char *name)
{
    for (; values != NULL && values->name != NULL; values++)
        if (strcmp(values->name, name) == 0)
            return values;
    return NULL;
}

static bool
known(const struct complete_opt *out, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].name, name) == 0)
            return true;
    return false;
}

static size_t
add_opts(const struct cmd_def *def,
         bool global,
         struct complete_opt *out,
         size_t n)
{
    for (const struct option *o = def->longopts; o != NULL && o->name != NULL;
         o++) {
        if (n >= COMPLETE_MAX_OPTS || known(out, n, o->name))
            continue; /* getopt takes the first of two equal names */
        out[n].name = o->name;
        out[n].letter = o->flag == NULL && o->val < 128 && isalnum(o->val)
                            ? (char)o->val
                            : 0;
        out[n].has_arg = o->has_arg;
        out[n].value =
            o->has_arg != no_argument ? find_value(def->values, o->name) : NULL;
        out[n].global = global;
        n++;
    }
    return n;
}

size_t
complete_opts(const struct complete_src *src,
              const struct cmd_def *def,
              struct complete_opt *out)
{
    size_t n = def == src->globals ? 0 : add_opts(def, false, out, 0);
    return add_opts(src->globals, true, out, n);
}

/* A name a script may hold in single quotes or bare: [A-Za-z0-9._+-]. */
static bool
plain(const char *s, bool spaces)
{
    if (s == NULL || *s == '\0')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr("._+-", *s) == NULL &&
            !(spaces && *s == ' '))
            return false;
    return true;
}

static bool
check_values(const struct cmd_value *v)
{
    for (; v != NULL && v->name != NULL; v++)
        if (!plain(v->name, false) ||
            (v->kind == CLI_WORDS && !plain(v->words, true)))
            return false;
    return true;
}

static bool
check_def(const struct cmd_def *def)
{
    if (def->name != NULL && !plain(def->name, false))
        return false;
    for (const struct option *o = def->longopts; o != NULL && o->name != NULL;
         o++)
        if (!plain(o->name, false))
            return false;
    return check_values(def->args) && check_values(def->values);
}

enum fy_rc
complete_write(FILE *fp,
               const char *shell,
               const struct complete_src *src,
               struct fy_err *err)
{
    void (*writer)(FILE *, const struct complete_src *) = NULL;
    if (strcmp(shell, "bash") == 0)
        writer = complete_bash;
    else if (strcmp(shell, "zsh") == 0)
        writer = complete_zsh;
    else if (strcmp(shell, "fish") == 0)
        writer = complete_fish;
    else
        return fy_fail(err, FY_EUSAGE,
                       "completion: '%s' is not bash, zsh or fish (see "
                       "'ferry completion --help')",
                       shell);
    const char *bad = NULL;
    if (!check_def(src->top) || !check_def(src->globals))
        bad = "ferry";
    for (const struct cmd *c = src->commands; bad == NULL && c->name; c++)
        if (c->def == NULL || !check_def(c->def) ||
            strcmp(c->def->name, c->name) != 0)
            bad = c->name;
    if (bad != NULL)
        return fy_fail(err, FY_ERUNTIME,
                       "completion: internal error: the tables of '%s' hold "
                       "a name a script cannot carry",
                       bad);
    writer(fp, src);
    return FY_OK;
}
