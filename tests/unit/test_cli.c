/* Unit tests for cli.c's shared parsers and fetch's path/select rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/cli.h"
#include "ferry/fetch.h"
#include "ferry/glob.h"
#include "ferry/xalloc.h"

static void
test_i64(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    int64_t v;
    assert_int_equal(cli_parse_i64("--n", "42", 0, 100, &v, &err), FY_OK);
    assert_int_equal(v, 42);
    assert_int_equal(cli_parse_i64("--n", "101", 0, 100, &v, &err), FY_EUSAGE);
    assert_non_null(strstr(err.msg, "--n"));
    fy_err_clear(&err);
    assert_int_equal(cli_parse_i64("--n", "4x", 0, 100, &v, &err), FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(cli_parse_i64("--n", "", 0, 100, &v, &err), FY_EUSAGE);
}

static void
test_rate(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    int64_t v;
    assert_int_equal(cli_parse_rate("--r", "0", &v, &err), FY_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cli_parse_rate("--r", "500K", &v, &err), FY_OK);
    assert_int_equal(v, 500 * 1024);
    assert_int_equal(cli_parse_rate("--r", "4MiB/s", &v, &err), FY_OK);
    assert_int_equal(v, 4 * 1024 * 1024);
    assert_int_equal(cli_parse_rate("--r", "1.5m", &v, &err), FY_OK);
    assert_int_equal(v, 1536 * 1024);
    assert_int_equal(cli_parse_rate("--r", "1000", &v, &err), FY_OK);
    assert_int_equal(v, 1000);
    assert_int_equal(cli_parse_rate("--r", "fast", &v, &err), FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(cli_parse_rate("--r", "-1M", &v, &err), FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(cli_parse_rate("--r", "4Q", &v, &err), FY_EUSAGE);
    /* issue 10: 2G is accepted (libtorrent's int: one byte/s less), more
     * is refused with the limit in the message */
    fy_err_clear(&err);
    assert_int_equal(cli_parse_rate("--r", "2G", &v, &err), FY_OK);
    assert_int_equal(v, INT32_MAX);
    assert_int_equal(cli_parse_rate("--r", "2047M", &v, &err), FY_OK);
    assert_int_equal(v, (int64_t)2047 << 20);
    assert_int_equal(cli_parse_rate("--r", "3G", &v, &err), FY_EUSAGE);
    assert_non_null(strstr(err.msg, "more than 2G"));
}

static void
test_hostport(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(cli_parse_hostport("--p", "127.0.0.1:6881", false, &err),
                     FY_OK);
    assert_int_equal(cli_parse_hostport("--p", "[::1]:6881", false, &err),
                     FY_OK);
    assert_int_equal(cli_parse_hostport("--p", "localhost:1", false, &err),
                     FY_OK);
    assert_int_equal(cli_parse_hostport("--p", "127.0.0.1:0", true, &err),
                     FY_OK);
    assert_int_equal(cli_parse_hostport("--p", "127.0.0.1:0", false, &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(cli_parse_hostport("--p", "127.0.0.1", false, &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(cli_parse_hostport("--p", "h:70000", false, &err),
                     FY_EUSAGE);
    assert_string_equal(err.msg,
                        "--p: 'h:70000': port 70000 is out of range (1-65535)");
    fy_err_clear(&err);
    assert_int_equal(cli_parse_hostport("--p", "::1:80", false, &err),
                     FY_EUSAGE);
}

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
    ctx->oo = (struct out_opts){0, false, false, OUT_COLOR_AUTO};
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
                        "unknown option '--jsn' (see 'ferry --help')");
    assert_int_equal(ctx.err.rc, FY_EUSAGE);
    static const char *const i[] = {"pack", "-x", NULL};
    assert_string_equal(parse_words(&ctx, "pack", i),
                        "pack: unknown option '-x' (see 'ferry pack --help')");
}

/* fetch --select through the shared glob dialect: "sel" holds the rules,
 * one per line. */
static bool
selected(const char *sel, const char *path)
{
    struct glob_rule rules[8];
    size_t n = 0;
    char *copy = xstrdup(sel);
    char *p = copy;
    while (p != NULL) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        assert_true(n < 8);
        n += glob_rule_parse(&rules[n], p);
        p = nl ? nl + 1 : NULL;
    }
    bool hit = fetch_select_match(rules, n, path);
    for (size_t i = 0; i < n; i++)
        glob_rule_release(&rules[i]);
    free(copy);
    return hit;
}

static void
test_select(void **state)
{
    (void)state;
    /* no '/': a name at any depth */
    assert_true(selected("*.bin", "bundle/sub/file1.bin"));
    assert_false(selected("*.txt", "bundle/sub/file1.bin"));
    assert_true(selected("file?.bin", "single/file2.bin"));
    assert_true(selected("file?.bin", "file2.bin")); /* single-file torrent */
    /* with '/': anchored, with or without the top directory */
    assert_true(selected("sub/*", "bundle/sub/file1.bin"));
    assert_true(selected("bundle/sub/*", "bundle/sub/file1.bin"));
    assert_true(selected("/sub/file1.bin", "bundle/sub/file1.bin"));
    assert_false(selected("other/*", "bundle/sub/file1.bin"));
    assert_false(selected("sub/*", "bundle/x/sub/file1.bin"));
    assert_false(selected("*/file1.bin", "bundle/a/sub/file1.bin"));
    /* a rule matching a parent directory selects everything below it */
    assert_true(selected("sub/", "bundle/sub/file1.bin"));
    assert_true(selected("sub/", "bundle/sub/deep/er/x"));
    assert_true(selected("sub", "bundle/a/sub/x"));
    assert_false(selected("sub/", "bundle/sub"));   /* a file named sub */
    assert_true(selected("sub", "bundle/sub"));     /* ... is a name too */
    assert_true(selected("bundle/", "bundle/x/y")); /* the top directory */
    assert_true(selected("**/deep/**", "bundle/sub/deep/er/x"));
    assert_false(selected("sub/", "bundle/subway/x"));
    /* '*' stops at '/' but a matched directory carries its contents */
    assert_true(selected("bundle/*", "bundle/sub/file1.bin"));
    assert_false(selected("bundle/*.bin", "bundle/sub/file1.bin"));
    /* '!' takes back; the last matching rule decides */
    assert_false(selected("sub/\n!*.log", "bundle/sub/x.log"));
    assert_true(selected("sub/\n!*.log", "bundle/sub/x.bin"));
    assert_true(selected("!*.log\nsub/", "bundle/sub/x.log"));
    assert_false(selected("*\n!sub/", "bundle/sub/x.bin"));
    assert_true(selected("*\n!sub/\nsub/keep", "bundle/sub/keep"));
    assert_false(selected("!*.log", "bundle/a.bin")); /* nothing selects */
    assert_false(selected("", "bundle/a.bin"));
}

static void
test_path_safe(void **state)
{
    (void)state;
    assert_true(fetch_path_safe("bundle/sub/a"));
    assert_true(fetch_path_safe("a..b/c"));
    assert_false(fetch_path_safe("/etc/passwd"));
    assert_false(fetch_path_safe("bundle/../x"));
    assert_false(fetch_path_safe(".."));
    assert_false(fetch_path_safe("a//b"));
    assert_false(fetch_path_safe(""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_getopt_globals),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_path_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
