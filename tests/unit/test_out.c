/* Unit tests for out.c's pure formatting and escaping. */
#include <setjmp.h>
#include <stdarg.h>
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_eta),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
