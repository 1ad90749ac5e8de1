/* Unit tests for out.c's pure formatting and escaping, and its modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/out.h"

static void
test_size(void **state)
{
    (void)state;
    char b[24];
    assert_string_equal(out_fmt_size(b, sizeof b, 0), "0 B");
    assert_string_equal(out_fmt_size(b, sizeof b, 1023), "1023 B");
    assert_string_equal(out_fmt_size(b, sizeof b, 1024), "1.00 KiB");
    assert_string_equal(out_fmt_size(b, sizeof b, 12 * 1024 * 1024 + 300000),
                        "12.3 MiB");
    assert_string_equal(out_fmt_size(b, sizeof b, 1LL << 30), "1.00 GiB");
    assert_string_equal(out_fmt_size(b, sizeof b, 500LL << 30), "500 GiB");
    assert_string_equal(out_fmt_size(b, sizeof b, -1), "?");
}

static void
test_eta(void **state)
{
    (void)state;
    char b[24];
    assert_string_equal(out_fmt_eta(b, sizeof b, 5), "0:05");
    assert_string_equal(out_fmt_eta(b, sizeof b, 754), "12:34");
    assert_string_equal(out_fmt_eta(b, sizeof b, 3723), "1:02:03");
    assert_string_equal(out_fmt_eta(b, sizeof b, -1), "--:--");
    assert_string_equal(out_fmt_eta(b, sizeof b, 1e9), "99+ days");
}

static void
test_escape(void **state)
{
    (void)state;
    char *s = out_escape("a\x1b[2Jb\n\\ é");
    assert_string_equal(s, "a\\x1b[2Jb\\x0a\\x5c é");
    free(s);
    s = out_escape("bad\xff\xfe");
    assert_string_equal(s, "bad\\xff\\xfe");
    free(s);
}

/* Color in auto mode on a (faked) terminal, with NO_COLOR as given. */
static bool
auto_color(const char *no_color)
{
    struct out o;
    struct out_opts oo = {0, false, false, OUT_COLOR_AUTO, NULL};
    setenv("FERRY_TEST_TTY", "1", 1);
    if (no_color != NULL)
        setenv("NO_COLOR", no_color, 1);
    else
        unsetenv("NO_COLOR");
    out_init(&o, &oo);
    unsetenv("FERRY_TEST_TTY");
    unsetenv("NO_COLOR");
    return o.color;
}

static void
test_no_color(void **state)
{
    (void)state;
    assert_true(auto_color(NULL));
    assert_false(auto_color("1"));
    assert_false(auto_color("0")); /* any value but the empty one */
    /* no-color.org: "when present and not an empty string" */
    assert_true(auto_color(""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_eta),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_no_color),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
