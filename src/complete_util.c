/*
 * complete_util.c - the helpers the completion writers share
 * (src/complete_int.h): a command's options as a script sees them (its own
 * getopt table, then the global options), its positional arguments, the
 * "help" word, shell quoting.
 */
#include "complete_int.h"

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
