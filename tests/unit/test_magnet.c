/* Unit tests for magnet.c: ferry's own info-hash check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/magnet.h"

static enum fy_rc
check(const char *uri, char hex[41])
{
    struct fy_err err = FY_ERR_INIT;
    enum fy_rc rc = magnet_check(uri, hex, &err);
    assert_int_equal(rc, err.rc);
    if (rc != FY_OK)
        assert_non_null(strstr(err.msg, "magnet link"));
    return rc;
}

static void
test_hex_v1(void **state)
{
    (void)state;
    char hex[41];
    assert_int_equal(
        check("magnet:?xt=urn:btih:5BA277602D37AF636EB3B5C86EC5CBE9D5E14279"
              "&dn=x&tr=http%3A%2F%2F127.0.0.1%2Fannounce",
              hex),
        FY_OK);
    assert_string_equal(hex, "5ba277602d37af636eb3b5c86ec5cbe9d5e14279");
}

static void
test_base32(void **state)
{
    (void)state;
    char hex[41];
    /* base32 of 20 bytes 0x00..0x13 */
    assert_int_equal(
        check("magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT", hex),
        FY_OK);
    assert_string_equal(hex, "000102030405060708090a0b0c0d0e0f10111213");
    assert_int_equal(
        check("magnet:?xt=urn:btih:aaaqeayeaudaocajbifqydiob4ibceqt", hex),
        FY_OK);
}

static void
test_v2(void **state)
{
    (void)state;
    char hex[41];
    assert_int_equal(
        check(
            "magnet:?xt=urn:btmh:1220"
            "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e",
            hex),
        FY_OK);
    assert_string_equal(hex, "caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa");
}

static void
test_malformed(void **state)
{
    (void)state;
    char hex[41];
    static const char *const bad[] = {
        "magnet:?xt=urn:btih:5ba277602d37af636eb3b5c86ec5cbe9d5e1427", /* 39 */
        "magnet:?xt=urn:btih:5ba277602d37af636eb3b5c86ec5cbe9d5e142799", /* 41
                                                                          */
        "magnet:?xt=urn:btih:5ba277602d37af636eb3b5c86ec5cbe9d5e1427g",  /* g */
        "magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQ1", /* '1' */
        "magnet:?xt=urn:btih:AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQ",  /* 31 */
        "magnet:?xt=urn:btih:",
        "magnet:?dn=nothing",
        "magnet:xt=urn:btih:5ba277602d37af636eb3b5c86ec5cbe9d5e14279",
        "magnet:?xt=urn:btmh:1220abcd",
        "http://example.invalid/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(check(bad[i], hex), FY_EINPUT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_v1),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_v2),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
