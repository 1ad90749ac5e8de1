/* Unit tests for parse.c: the strict value parsers options share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/parse.h"

static void
test_i64(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    int64_t v;
    assert_int_equal(parse_i64("--n", "42", 0, 100, &v, &err), FY_OK);
    assert_int_equal(v, 42);
    assert_int_equal(parse_i64("--n", "101", 0, 100, &v, &err), FY_EUSAGE);
    assert_non_null(strstr(err.msg, "--n"));
    fy_err_clear(&err);
    assert_int_equal(parse_i64("--n", "4x", 0, 100, &v, &err), FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(parse_i64("--n", "", 0, 100, &v, &err), FY_EUSAGE);
}

static void
test_double(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    double v = -1;
    assert_int_equal(parse_double("--t", "1.5", 10, &v, &err), FY_OK);
    assert_true(v == 1.5);
    assert_int_equal(parse_double("--t", "0", 10, &v, &err), FY_OK);
    assert_true(v == 0);
    v = 7;
    assert_int_equal(parse_double("--t", "11", 10, &v, &err), FY_EUSAGE);
    assert_string_equal(err.msg, "--t: 11 is out of range (0-10)");
    assert_true(v == 7); /* left alone on failure */
    /* not a plain decimal: hex, inf, nan, trailing bytes, empty */
    static const char *const bad[] = {"0x10", "inf", "nan", "1s", "", "-0.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fy_err_clear(&err);
        assert_int_equal(parse_double("--t", bad[i], 10, &v, &err), FY_EUSAGE);
    }
    fy_err_clear(&err);
    assert_int_equal(parse_double("--t", "1e", 10, &v, &err), FY_EUSAGE);
    assert_string_equal(err.msg, "--t: '1e' is not a number");
}

static void
test_rate(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    int64_t v;
    assert_int_equal(parse_rate("--r", "0", &v, &err), FY_OK);
    assert_int_equal(v, 0);
    assert_int_equal(parse_rate("--r", "500K", &v, &err), FY_OK);
    assert_int_equal(v, 500 * 1024);
    assert_int_equal(parse_rate("--r", "4MiB/s", &v, &err), FY_OK);
    assert_int_equal(v, 4 * 1024 * 1024);
    assert_int_equal(parse_rate("--r", "1.5m", &v, &err), FY_OK);
    assert_int_equal(v, 1536 * 1024);
    assert_int_equal(parse_rate("--r", "1000", &v, &err), FY_OK);
    assert_int_equal(v, 1000);
    assert_int_equal(parse_rate("--r", "fast", &v, &err), FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(parse_rate("--r", "-1M", &v, &err), FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(parse_rate("--r", "4Q", &v, &err), FY_EUSAGE);
    /* issue 10: 2G is accepted (libtorrent's int: one byte/s less), more
     * is refused with the limit in the message */
    fy_err_clear(&err);
    assert_int_equal(parse_rate("--r", "2G", &v, &err), FY_OK);
    assert_int_equal(v, INT32_MAX);
    assert_int_equal(parse_rate("--r", "2047M", &v, &err), FY_OK);
    assert_int_equal(v, (int64_t)2047 << 20);
    assert_int_equal(parse_rate("--r", "3G", &v, &err), FY_EUSAGE);
    assert_non_null(strstr(err.msg, "more than 2G"));
}

static void
test_hostport(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(parse_hostport("--p", "127.0.0.1:6881", false, &err),
                     FY_OK);
    assert_int_equal(parse_hostport("--p", "[::1]:6881", false, &err), FY_OK);
    assert_int_equal(parse_hostport("--p", "localhost:1", false, &err), FY_OK);
    assert_int_equal(parse_hostport("--p", "127.0.0.1:0", true, &err), FY_OK);
    assert_int_equal(parse_hostport("--p", "127.0.0.1:0", false, &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(parse_hostport("--p", "127.0.0.1", false, &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(parse_hostport("--p", "h:70000", false, &err), FY_EUSAGE);
    assert_string_equal(err.msg,
                        "--p: 'h:70000': port 70000 is out of range (1-65535)");
    fy_err_clear(&err);
    assert_int_equal(parse_hostport("--p", "::1:80", false, &err), FY_EUSAGE);
}

/* parse_duration(): a bare number is seconds; units may be compounded. */
static void
test_duration(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        double want;
    } good[] = {
        {"0", 0},          {"90", 90},       {"1.5", 1.5},
        {"90s", 90},       {"10m", 600},     {"2h", 7200},
        {"1d", 86400},     {"1.5h", 5400},   {".5m", 30},
        {"1h30m", 5400},   {"1m30s", 90},    {"500ms", 0.5},
        {"2d12h", 216000}, {"1h0m5s", 3605}, {"1h30m15s500ms", 5415.5},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct fy_err err = FY_ERR_INIT;
        double v = -1;
        assert_int_equal(parse_duration("--t", good[i].in, 1e9, &v, &err),
                         FY_OK);
        if (v - good[i].want > 1e-9 || good[i].want - v > 1e-9)
            fail_msg("%s: got %g, want %g", good[i].in, v, good[i].want);
    }
    /* no unit after a later term, units out of order or repeated, signs,
     * spaces, exponents, hex, inf, an unknown unit, an empty string */
    static const char *const bad[] = {
        "",     "1h30", "30m1h", "1m1m",   "-5s", "+5s",    " 5",     "5 s",
        "1e3",  "0x10", "inf",   "nan",    "5x",  "h",      "1h.",    ".",
        "5sec", "1hh",  "m5",    "1.2.3s", "5S",  "1h-30m", "1h+30m",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fy_err err = FY_ERR_INIT;
        double v = 7;
        if (parse_duration("--t", bad[i], 1e9, &v, &err) != FY_EUSAGE)
            fail_msg("'%s' was taken as %g", bad[i], v);
        assert_true(v == 7);
    }
    struct fy_err err = FY_ERR_INIT;
    double v;
    assert_int_equal(parse_duration("--t", "1h30", 1e9, &v, &err), FY_EUSAGE);
    assert_string_equal(err.msg,
                        "--t: bad duration '1h30' (e.g. 90s, 10m, 1h30m)");
    fy_err_clear(&err);
    assert_int_equal(parse_duration("--t", "1h1s", 3600, &v, &err), FY_EUSAGE);
    assert_string_equal(err.msg, "--t: '1h1s' is more than 3600s");
    /* a long string of digits stays bounded and is refused cleanly */
    char big[200];
    memset(big, '9', sizeof big - 2);
    big[sizeof big - 2] = 's';
    big[sizeof big - 1] = '\0';
    fy_err_clear(&err);
    assert_int_equal(parse_duration("--t", big, 1e9, &v, &err), FY_EUSAGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64),      cmocka_unit_test(test_double),
        cmocka_unit_test(test_rate),     cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
