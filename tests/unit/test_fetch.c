/* Unit tests for fetch.c's pure rules: --select matching, path safety. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/fetch.h"
#include "ferry/glob.h"
#include "ferry/xalloc.h"

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
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_path_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
