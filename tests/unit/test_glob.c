/*
 * Unit tests for glob.c: the one glob dialect (gitignore's) shared by pack's
 * excludes and fetch --select, its rule parser, glob_rules_last() with and
 * without parents / an optional top directory, and the matcher's cost on
 * hostile patterns (it must never backtrack).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ferry/glob.h"
#include "ferry/xalloc.h"

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
repeat(const char *unit, size_t times, const char *tail)
{
    struct sbuf sb = SBUF_INIT;
    for (size_t i = 0; i < times; i++)
        sbuf_adds(&sb, unit);
    sbuf_adds(&sb, tail);
    return sbuf_detach(&sb);
}

static void
test_match(void **state)
{
    (void)state;
    assert_true(glob_match("*.log", "train.log"));
    assert_false(glob_match("*.log", "a/train.log"));
    assert_true(glob_match("a/*.log", "a/x.log"));
    assert_false(glob_match("a/*.log", "a/b/x.log"));
    assert_true(glob_match("*", ""));
    assert_false(glob_match("?", ""));
    assert_true(glob_match("img_??.jpg", "img_07.jpg"));
    assert_false(glob_match("img_??.jpg", "img_7.jpg"));
    assert_false(glob_match("a?b", "a/b"));
    assert_false(glob_match("a*b", "a/b"));
    assert_true(glob_match("a*b*c", "abbbc"));
    assert_false(glob_match("a*b*c", "abbb"));
    assert_true(glob_match("", ""));
    assert_false(glob_match("", "x"));
}

static void
test_sets(void **state)
{
    (void)state;
    assert_true(glob_match("[a-c]x", "bx"));
    assert_false(glob_match("[a-c]x", "dx"));
    assert_true(glob_match("[!a-c]x", "dx"));
    assert_true(glob_match("[^a-c]x", "dx"));
    assert_false(glob_match("[!a-c]x", "ax"));
    assert_false(glob_match("a[!x]b", "a/b")); /* never '/' */
    assert_false(glob_match("a[/]b", "a/b"));
    assert_true(glob_match("[]]", "]"));   /* ']' first is literal */
    assert_true(glob_match("[!]]", "x"));  /* ... after '!' too */
    assert_true(glob_match("[a-]", "-"));  /* '-' last is literal */
    assert_true(glob_match("[\\]]", "]")); /* escaped */
    assert_true(glob_match("[[:digit:]]x", "7x"));
    assert_false(glob_match("[[:digit:]]x", "ax"));
    assert_true(glob_match("[[:upper:][:digit:]_]*", "_a"));
    assert_false(glob_match("[[:nosuch:]]", "a")); /* unknown: empty */
    assert_true(glob_match("[x", "[x"));           /* unterminated: literal */
    assert_true(glob_match("a[b", "a[b"));
    assert_false(glob_match("a[b", "ab"));
}

static void
test_escapes(void **state)
{
    (void)state;
    assert_true(glob_match("\\*", "*"));
    assert_false(glob_match("\\*", "x"));
    assert_true(glob_match("\\?x", "?x"));
    assert_true(glob_match("\\[a]", "[a]"));
    assert_true(glob_match("a\\", "a\\")); /* a trailing '\' is itself */
}

static void
test_doublestar(void **state)
{
    (void)state;
    assert_true(glob_match("**/cache", "cache"));
    assert_true(glob_match("**/cache", "a/b/cache"));
    assert_false(glob_match("**/cache", "a/b/cache2"));
    assert_false(glob_match("**/cache", "a/bcache"));
    assert_true(glob_match("data/**", "data/x/y"));
    assert_false(glob_match("data/**", "data"));
    assert_true(glob_match("a/**/b", "a/b"));
    assert_true(glob_match("a/**/b", "a/x/y/b"));
    assert_false(glob_match("a/**/b", "a/x/y/c"));
    assert_false(glob_match("a/**/b", "a/xb"));
    assert_false(glob_match("a/**/b", "ab"));
    assert_true(glob_match("**", "a/b/c"));
    assert_true(glob_match("**/**/x", "x"));
    assert_true(glob_match("**/**/x", "a/b/x"));
    assert_true(glob_match("a/**/**", "a/b"));
    assert_true(glob_match("**/*.py", "a/b/c.py"));
    assert_true(glob_match("**/*.py", "c.py"));
    assert_false(glob_match("**/*.py", "a/b/c.pyc"));
    assert_true(glob_match("a/**/*/b", "a/x/b"));
    assert_false(glob_match("a/**/*/b", "a/b"));
    /* not a whole component: a plain '*' */
    assert_true(glob_match("a**b", "axxb"));
    assert_false(glob_match("a**b", "a/b"));
    assert_true(glob_match("**.log", "x.log"));
    assert_false(glob_match("**.log", "a/x.log"));
    assert_false(glob_match("x/a**/b", "x/a/y/b"));
}

static void
test_rule_parse(void **state)
{
    (void)state;
    struct glob_rule r;
    assert_false(glob_rule_parse(&r, ""));
    assert_false(glob_rule_parse(&r, "   "));
    assert_false(glob_rule_parse(&r, "# comment"));
    assert_false(glob_rule_parse(&r, "/"));
    assert_false(glob_rule_parse(&r, "!"));
    assert_false(glob_rule_parse(&r, "\r"));
    assert_null(r.pat);

    assert_true(glob_rule_parse(&r, "!build/\r"));
    assert_true(r.negate && r.dir_only && !r.anchored);
    assert_true(glob_pat_match(r.pat, "build"));
    glob_rule_release(&r);

    assert_true(glob_rule_parse(&r, "/top"));
    assert_true(!r.negate && !r.dir_only && r.anchored);
    assert_true(glob_pat_match(r.pat, "top"));
    glob_rule_release(&r);

    assert_true(glob_rule_parse(&r, "a/b  "));
    assert_true(r.anchored);
    assert_true(glob_pat_match(r.pat, "a/b"));
    glob_rule_release(&r);

    assert_true(glob_rule_parse(&r, "sp\\ "));
    assert_true(glob_pat_match(r.pat, "sp "));
    glob_rule_release(&r);

    assert_true(glob_rule_parse(&r, "\\!x"));
    assert_false(r.negate);
    assert_true(glob_pat_match(r.pat, "!x"));
    glob_rule_release(&r);

    assert_true(glob_rule_parse(&r, "\\#x"));
    assert_true(glob_pat_match(r.pat, "#x"));
    glob_rule_release(&r);
    assert_null(r.pat);
}

struct ruleset {
    struct glob_rule v[16];
    size_t n;
};

static void
rules_add(struct ruleset *s, const char *line)
{
    assert_true(s->n < 16);
    if (glob_rule_parse(&s->v[s->n], line))
        s->n++;
}

static void
rules_release(struct ruleset *s)
{
    for (size_t i = 0; i < s->n; i++)
        glob_rule_release(&s->v[i]);
    s->n = 0;
}

/* Does the last matching rule say yes (non-negated)? */
static bool
hit(const struct ruleset *s, const char *path, bool is_dir, unsigned flags)
{
    const struct glob_rule *r =
        glob_rules_last(s->v, s->n, path, is_dir, flags);
    return r != NULL && !r->negate;
}

static void
test_rules_last(void **state)
{
    (void)state;
    struct ruleset s = {.n = 0};
    rules_add(&s, "*.log");
    rules_add(&s, "!keep.log");
    rules_add(&s, "sub/");
    rules_add(&s, "data/raw");
    assert_true(hit(&s, "a/x.log", false, 0));
    assert_false(hit(&s, "a/keep.log", false, 0));
    assert_null(glob_rules_last(s.v, s.n, "a/x.txt", false, 0));
    assert_true(hit(&s, "a/sub", true, 0));
    assert_false(hit(&s, "a/sub", false, 0));   /* dir only */
    assert_false(hit(&s, "a/sub/x", false, 0)); /* the entry alone */
    assert_true(hit(&s, "a/sub/x", false, GLOB_PARENTS));
    assert_true(hit(&s, "data/raw", false, 0));
    assert_false(hit(&s, "x/data/raw", false, 0));
    assert_false(hit(&s, "data/raw/x", false, 0));
    assert_true(hit(&s, "data/raw/x", false, GLOB_PARENTS));
    assert_false(hit(&s, "x/data/raw", false, GLOB_PARENTS));
    assert_true(hit(&s, "x/data/raw", false, GLOB_TOP_OPTIONAL));
    assert_false(hit(&s, "y/x/data/raw", false, GLOB_TOP_OPTIONAL));
    /* the last rule matching the entry or a parent decides */
    rules_add(&s, "!sub/keep");
    assert_false(hit(&s, "sub/keep", false, GLOB_PARENTS));
    assert_true(hit(&s, "a/sub/keep", false, GLOB_PARENTS)); /* anchored */
    assert_false(hit(&s, "sub/keep/x", false, GLOB_PARENTS));
    assert_true(hit(&s, "sub/other", false, GLOB_PARENTS));
    rules_release(&s);
}

/* Patterns that take a backtracking matcher exponential time must take
 * milliseconds: 1 s is a bound no machine misses, yet far below the 13 s
 * the old matcher took for the first case (and the lifetimes the others
 * would have taken). */
static void
test_hostile_patterns(void **state)
{
    (void)state;
    char *name40 = repeat("a", 40, "");
    char *name4k = repeat("a", 4096, "");
    char *stars30 = repeat("*a", 30, "*b");
    char *deep = repeat("a/", 2047, "a"); /* 4,095 bytes */
    char *dirs30 = repeat("**/a/", 30, "b");
    char *mixed = repeat("*[a-z]?", 30, "b");
    char *long_pat = repeat("*", 100000, "b"); /* one star, really */
    char *many_dirs = repeat("**/", 50000, "b");
    double t0 = now();
    assert_false(glob_match("*a*a*a*a*a*a*a*a*a*a*b", name40));
    assert_false(glob_match(stars30, name4k));
    assert_false(glob_match(dirs30, deep));
    assert_false(glob_match(mixed, name4k));
    assert_false(glob_match(long_pat, name4k));
    assert_false(glob_match(many_dirs, deep));
    /* and they still match what they should */
    name4k[4095] = 'b';
    assert_true(glob_match(stars30, name4k));
    assert_true(glob_match(mixed, name4k));
    deep[4094] = 'b';
    assert_true(glob_match(dirs30, deep));
    assert_true(glob_match(many_dirs, deep));
    double dt = now() - t0;
    print_message("hostile patterns: %.1f ms\n", dt * 1e3);
    assert_true(dt < 1.0);
    free(name40);
    free(name4k);
    free(stars30);
    free(deep);
    free(dirs30);
    free(mixed);
    free(long_pat);
    free(many_dirs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_doublestar),
        cmocka_unit_test(test_rule_parse),
        cmocka_unit_test(test_rules_last),
        cmocka_unit_test(test_hostile_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
