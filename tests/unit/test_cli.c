/* Unit tests for cli.c's shared parsers and fetch's path/select rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/cli.h"
#include "ferry/fetch.h"

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

static void
test_select(void **state)
{
    (void)state;
    assert_true(fetch_select_match("*.bin", "bundle/sub/file1.bin"));
    assert_false(fetch_select_match("*.txt", "bundle/sub/file1.bin"));
    assert_true(fetch_select_match("sub/*", "bundle/sub/file1.bin"));
    assert_true(fetch_select_match("bundle/sub/*", "bundle/sub/file1.bin"));
    assert_false(fetch_select_match("other/*", "bundle/sub/file1.bin"));
    assert_true(fetch_select_match("file?.bin", "single/file2.bin"));
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
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_path_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
