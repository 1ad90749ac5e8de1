/*
 * Unit tests for complete.c and the command definitions it reads: every
 * value and argument a cmd_def names is an option of its table, the
 * --format words are the formats the archive engine writes, a name a
 * script could not carry is refused before anything is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/arc.h"
#include "ferry/arc_opts.h"
#include "ferry/cli.h"
#include "ferry/cmds.h"
#include "ferry/complete.h"

#include "../../src/complete_int.h"

static const struct cmd_def *const defs[] = {
    &cmd_fetch_def,      &cmd_make_torrent_def, &cmd_seed_def,
    &cmd_pack_def,       &cmd_unpack_def,       &cmd_list_def,
    &cmd_verify_def,     &cmd_push_def,         &cmd_pull_def,
    &cmd_save_def,       &cmd_restore_def,      &cmd_ls_def,
    &cmd_rm_def,         &cmd_up_def,           &cmd_down_def,
    &cmd_completion_def,
};
#define NDEFS (sizeof defs / sizeof defs[0])

static const struct option *
find_opt(const struct cmd_def *d, const char *name)
{
    for (const struct option *o = d->longopts; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* value_kinds[] names options of the table that take a value. */
static void
test_values_name_options(void **state)
{
    (void)state;
    for (size_t i = 0; i < NDEFS; i++) {
        const struct cmd_def *d = defs[i];
        assert_non_null(d->name);
        assert_non_null(find_opt(d, "help"));
        for (const struct cmd_value *v = d->values; v && v->name; v++) {
            const struct option *o = find_opt(d, v->name);
            if (o == NULL)
                fail_msg("%s: value_kinds names --%s, not in its table",
                         d->name, v->name);
            assert_int_not_equal(o->has_arg, no_argument);
            assert_true(v->kind != CLI_WORDS || v->words != NULL);
        }
        for (const struct cmd_value *a = d->args; a && a->name; a++)
            assert_true(a->kind != CLI_WORDS || a->words != NULL);
    }
    const struct cmd_def *g = cli_globals();
    for (const struct cmd_value *v = g->values; v->name; v++)
        assert_non_null(find_opt(g, v->name));
}

/* --format's words are exactly the formats pack writes. */
static void
test_format_words(void **state)
{
    (void)state;
    char words[] = ARC_FORMAT_WORDS;
    int n = 0;
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w;
         w = strtok_r(NULL, " ", &save), n++) {
        enum arc_format f;
        assert_true(arc_format_parse(w, &f));
        assert_string_equal(arc_format_name(f), w);
    }
    int formats = 0;
    for (int f = ARC_FMT_TAR_ZST; f <= ARC_FMT_ZIP; f++) {
        formats++;
        char padded[64];
        snprintf(padded, sizeof padded, " %s ",
                 arc_format_name((enum arc_format)f));
        char all[128];
        snprintf(all, sizeof all, " %s ", ARC_FORMAT_WORDS);
        assert_non_null(strstr(all, padded));
    }
    assert_int_equal(n, formats);
}

static const struct cmd rows[] = {
    {"pack", NULL, "pack it", &cmd_pack_def},
    {"completion", NULL, "scripts", &cmd_completion_def},
    {NULL, NULL, NULL, NULL},
};
static const struct option top_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
static const struct cmd_def top = {"ferry", top_opts, NULL, NULL};

/* Each shell gets a script; another is a usage error, nothing written. */
static void
test_write_shells(void **state)
{
    (void)state;
    struct complete_src src = {rows, &top, cli_globals()};
    char shells[] = COMPLETE_SHELLS;
    for (char *save = NULL, *w = strtok_r(shells, " ", &save); w;
         w = strtok_r(NULL, " ", &save)) {
        struct fy_err err = FY_ERR_INIT;
        FILE *fp = tmpfile();
        assert_non_null(fp);
        assert_int_equal(complete_write(fp, w, &src, &err), FY_OK);
        long size = ftell(fp);
        assert_true(size > 1000);
        char *buf = calloc(1, (size_t)size + 1);
        rewind(fp);
        assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
        /* the command's options and the globals are in every script */
        assert_non_null(strstr(buf, "exclude-from"));
        assert_non_null(strstr(buf, "no-progress"));
        assert_non_null(strstr(buf, "tar.zst"));
        free(buf);
        fclose(fp);
    }
    struct fy_err err = FY_ERR_INIT;
    FILE *fp = tmpfile();
    assert_int_equal(complete_write(fp, "tcsh", &src, &err), FY_EUSAGE);
    assert_int_equal(ftell(fp), 0);
    fclose(fp);
}

/* A name with a quote or a space would break a script: refused first. */
static void
test_refuse_unsafe_names(void **state)
{
    (void)state;
    static const struct option bad_opts[] = {
        {"out'put", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    static const struct cmd_def bad = {"pack", bad_opts, NULL, NULL};
    static const struct cmd bad_rows[] = {
        {"pack", NULL, "x", &bad},
        {NULL, NULL, NULL, NULL},
    };
    struct complete_src src = {bad_rows, &top, cli_globals()};
    struct fy_err err = FY_ERR_INIT;
    FILE *fp = tmpfile();
    assert_int_equal(complete_write(fp, "bash", &src, &err), FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "internal error"));
    assert_int_equal(ftell(fp), 0);
    fclose(fp);
    /* a row whose definition is another command's */
    static const struct cmd mixed[] = {
        {"unpack", NULL, "x", &cmd_pack_def},
        {NULL, NULL, NULL, NULL},
    };
    struct complete_src src2 = {mixed, &top, cli_globals()};
    fy_err_clear(&err);
    fp = tmpfile();
    assert_int_equal(complete_write(fp, "zsh", &src2, &err), FY_ERUNTIME);
    fclose(fp);
}

/* A command's own option wins a clash with a global; short forms. */
static void
test_opts_merge(void **state)
{
    (void)state;
    static const struct option own[] = {
        {"color", no_argument, NULL, 256},
        {"output", required_argument, NULL, 'o'},
        {"output", no_argument, NULL, 257},
        {NULL, 0, NULL, 0},
    };
    static const struct cmd_value vals[] = {
        {"output", CLI_DIR, NULL},
        {NULL, CLI_TEXT, NULL},
    };
    static const struct cmd_def d = {"x", own, NULL, vals};
    struct complete_src src = {rows, &top, cli_globals()};
    struct complete_opt o[COMPLETE_MAX_OPTS];
    size_t n = complete_opts(&src, &d, o);
    int colors = 0, outputs = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(o[i].name, "color") == 0) {
            colors++;
            assert_false(o[i].global);
            assert_int_equal(o[i].has_arg, no_argument);
            assert_int_equal(o[i].letter, 0);
        }
        if (strcmp(o[i].name, "output") == 0) {
            outputs++;
            assert_int_equal(o[i].letter, 'o');
            assert_int_equal(o[i].value->kind, CLI_DIR);
        }
        if (strcmp(o[i].name, "quiet") == 0) {
            assert_true(o[i].global);
            assert_int_equal(o[i].letter, 'q');
        }
    }
    assert_int_equal(colors, 1);
    assert_int_equal(outputs, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_name_options),
        cmocka_unit_test(test_format_words),
        cmocka_unit_test(test_write_shells),
        cmocka_unit_test(test_refuse_unsafe_names),
        cmocka_unit_test(test_opts_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
