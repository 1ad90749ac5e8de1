/* Unit tests for cli.c's option machinery and err.c's first-error rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/cli.h"

static void
test_first_error_wins(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    fy_fail(&err, FY_EINPUT, "inner: %s", "why");
    assert_int_equal(fy_fail(&err, FY_ERUNTIME, "outer"), FY_EINPUT);
    assert_string_equal(err.msg, "inner: why");
    fy_err_clear(&err);
    fy_fail(&err, FY_EINPUT, "two\nlines");
    assert_null(strchr(err.msg, '\n'));
}

/*
 * cli_getopt() over argv (NULL-terminated words, argv[0] the command),
 * as a command parses: returns the options it saw as a string ("o=X e=Y"),
 * the usage error, or the positional arguments after "|".
 */
enum { T_EXCLUDE = 256, T_LONG };

static const struct option t_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"exclude", required_argument, NULL, T_EXCLUDE},
    {"long", optional_argument, NULL, T_LONG},
    {NULL, 0, NULL, 0},
};

static char t_seen[512];

static const char *
parse_words(struct fy_ctx *ctx, const char *cmd, const char *const *words)
{
    char *argv[32];
    int argc = 0;
    for (; words[argc] != NULL; argc++)
        argv[argc] = (char *)words[argc];
    argv[argc] = NULL;
    memset(ctx, 0, sizeof *ctx);
    ctx->oo = (struct out_opts){0, false, false, OUT_COLOR_AUTO, NULL};
    out_init(&ctx->out, &ctx->oo);
    t_seen[0] = '\0';
    optind = 0;
    int c;
    size_t n = 0;
    while ((c = cli_getopt(ctx, cmd, argc, argv, "o:", t_opts)) != -1) {
        if (c == '?')
            return ctx->err.msg;
        n += (size_t)snprintf(t_seen + n, sizeof t_seen - n, "%s=%s ",
                              c == 'o'         ? "o"
                              : c == T_EXCLUDE ? "e"
                                               : "l",
                              optarg ? optarg : "");
    }
    n += (size_t)snprintf(t_seen + n, sizeof t_seen - n, "|");
    for (int i = optind; i < argc; i++)
        n += (size_t)snprintf(t_seen + n, sizeof t_seen - n, " %s", argv[i]);
    return t_seen;
}

static void
test_getopt_globals(void **state)
{
    (void)state;
    struct fy_ctx ctx;
    /* a value is taken before globals are looked for */
    static const char *const a[] = {"pack", "ws",        "--exclude", "-v",
                                    "-o",   "g.tar.zst", NULL};
    assert_string_equal(parse_words(&ctx, "pack", a), "e=-v o=g.tar.zst | ws");
    assert_int_equal(ctx.oo.verbosity, 0);
    /* globals after the command word, in both value forms */
    static const char *const b[] = {
        "pack",   "ws", "--color", "never",           "-q",
        "--json", "-o", "x",       "--colour=always", NULL};
    assert_string_equal(parse_words(&ctx, "pack", b), "o=x | ws");
    assert_int_equal(ctx.oo.color, OUT_COLOR_ALWAYS);
    assert_int_equal(ctx.oo.verbosity, -1);
    assert_true(ctx.oo.json);
    assert_true(ctx.out.json); /* out is made anew from oo */
    static const char *const c[] = {"pack", "--color", "never",
                                    "ws",   "-v",      NULL};
    assert_string_equal(parse_words(&ctx, "pack", c), "| ws");
    assert_int_equal(ctx.oo.color, OUT_COLOR_NEVER);
    assert_int_equal(ctx.oo.verbosity, 1);
    /* --opt VALUE and --opt=VALUE alike; an optional value only with '=' */
    static const char *const d[] = {"list",   "--output=a", "--exclude=b",
                                    "--long", "--long=30",  NULL};
    assert_string_equal(parse_words(&ctx, "list", d), "o=a e=b l= l=30 |");
    /* "--" ends the options, globals too */
    static const char *const e[] = {"pack", "--", "-v", NULL};
    assert_string_equal(parse_words(&ctx, "pack", e), "| -v");
    assert_int_equal(ctx.oo.verbosity, 0);
    /* errors: named after the command, or after ferry itself */
    static const char *const f[] = {"pack", "--color", "bogus", NULL};
    assert_string_equal(parse_words(&ctx, "pack", f),
                        "--color: 'bogus' is not auto, always or never");
    static const char *const g[] = {"pack", "ws", "--color", NULL};
    assert_string_equal(
        parse_words(&ctx, "pack", g),
        "pack: option '--color' needs a value (see 'ferry pack --help')");
    static const char *const h[] = {"ferry", "--jsn", "list", NULL};
    assert_string_equal(parse_words(&ctx, NULL, h),
                        "unknown option '--jsn' (did you mean '--json'?)");
    static const char *const h2[] = {"ferry", "--frobnicate", "list", NULL};
    assert_string_equal(parse_words(&ctx, NULL, h2),
                        "unknown option '--frobnicate' (see 'ferry --help')");
    assert_int_equal(ctx.err.rc, FY_EUSAGE);
    static const char *const i[] = {"pack", "-x", NULL};
    assert_string_equal(parse_words(&ctx, "pack", i),
                        "pack: unknown option '-x' (see 'ferry pack --help')");
}

/* The edit distance: insert, delete, substitute, swap; case ignored. */
static void
test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(cli_edit_distance("fetch", "fetch"), 0);
    assert_int_equal(cli_edit_distance("fetc", "fetch"), 1);   /* delete */
    assert_int_equal(cli_edit_distance("fettch", "fetch"), 1); /* insert */
    assert_int_equal(cli_edit_distance("fetxh", "fetch"), 1);  /* change */
    assert_int_equal(cli_edit_distance("fecth", "fetch"), 1);  /* swap */
    assert_int_equal(cli_edit_distance("FETCH", "fetch"), 0);  /* case */
    assert_int_equal(cli_edit_distance("", "pack"), 4);
    assert_int_equal(cli_edit_distance("exlude", "exclude"), 1);
    assert_int_equal(cli_edit_distance("kitten", "sitting"), 3);
    /* optimal string alignment: "ca" -> "abc" is 3 (no edit twice) */
    assert_int_equal(cli_edit_distance("ca", "abc"), 3);
    char longw[100];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    assert_int_equal(cli_edit_distance(longw, "pack"), (size_t)-1);
}

/* Suggestions only when close, and only one. */
static void
test_suggest(void **state)
{
    (void)state;
    static const char *const cmds[] = {
        "fetch",  "make-torrent", "seed", "pack", "unpack",  "list",
        "verify", "push",         "pull", "save", "restore", "ls",
        "rm",     "up",           "down", NULL,   "help"};
    const size_t n = sizeof cmds / sizeof cmds[0];
    static const struct {
        const char *word, *want;
    } cases[] = {
        {"fetc", "fetch"},
        {"fecth", "fetch"},
        {"pakc", "pack"},
        {"sed", "seed"},
        {"unpak", "unpack"},
        {"verfy", "verify"},
        {"Pull", "pull"},
        {"hlep", "help"},
        {"restor", "restore"},
        {"make-torent", "make-torrent"},
        {"dwon", "down"},
        /* far from everything, or too short to tell */
        {"xyzzy", NULL},
        {"frobnicate", NULL},
        {"q", NULL},
        {"zz", NULL},
        {"deploy", NULL},
        {"", NULL},
        {"u", NULL},
        {"fetch", NULL}, /* itself: no hint */
        /* as close to two ("pul" is 1 from pull; "psh" 1 from push only) */
        {"psh", "push"},
        {"lx", "ls"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = cli_suggest(cases[i].word, cmds, n);
        if (cases[i].want == NULL && got != NULL)
            fail_msg("'%s': suggested '%s'", cases[i].word, got);
        if (cases[i].want != NULL &&
            (got == NULL || strcmp(got, cases[i].want) != 0))
            fail_msg("'%s': got '%s', want '%s'", cases[i].word,
                     got ? got : "(none)", cases[i].want);
    }
    /* two names equally close: no guess */
    static const char *const two[] = {"colour", "color", "cola"};
    assert_null(cli_suggest("colr", two + 1, 2));
    /* long options (without the dashes) */
    static const char *const opts[] = {"exclude", "exclude-from", "format",
                                       "level",   "threads",      "output"};
    assert_string_equal(cli_suggest("exlude", opts, 6), "exclude");
    assert_string_equal(cli_suggest("exclude-form", opts, 6), "exclude-from");
    assert_string_equal(cli_suggest("treads", opts, 6), "threads");
    assert_null(cli_suggest("dry-run", opts, 6));
    assert_null(cli_suggest("verbose", opts, 6));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_getopt_globals),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
