/*
 * complete.c - `ferry completion`'s engine: check that every name in the
 * tables can stand unquoted in a script, then hand them to the writer of
 * the shell asked for (complete_bash.c, complete_zsh.c, complete_fish.c;
 * their shared helpers are complete_util.c).
 */
#include "ferry/complete.h"

#include <ctype.h>
#include <string.h>

#include "complete_int.h"

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
