/* Unit tests for cli_opts.c: the torrent option group of fetch and seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/cli_opts.h"
#include "ferry/fetch.h"

static void
test_fetch_is(void **state)
{
    (void)state;
    assert_true(cli_opts_fetch_is(CLI_OPT_SELECT));
    assert_true(cli_opts_fetch_is(CLI_OPT_NO_UPNP));
    assert_false(cli_opts_fetch_is(CLI_OPT_FETCH_END));
    assert_false(cli_opts_fetch_is(CLI_OPT_FETCH_BASE - 1));
    assert_false(cli_opts_fetch_is('h'));
}

/* Values land in the engine's struct; lists keep the order given. */
static void
test_fetch_set(void **state)
{
    (void)state;
    struct fetch_opts o;
    struct fy_err err = FY_ERR_INIT;
    fetch_opts_init(&o);
    assert_int_equal(
        cli_opts_fetch_set(&o, CLI_OPT_PEER, "127.0.0.1:6881", &err), FY_OK);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_PEER, "[::1]:7", &err),
                     FY_OK);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_SELECT, "*.bin", &err),
                     FY_OK);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_MAX_DOWN, "1M", &err),
                     FY_OK);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_SEED_TIME, "2.5", &err),
                     FY_OK);
    assert_int_equal(
        cli_opts_fetch_set(&o, CLI_OPT_LISTEN, "127.0.0.1:0", &err), FY_OK);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_NO_DHT, NULL, &err), FY_OK);
    assert_int_equal((int)o.peers.n, 2);
    assert_string_equal(o.peers.v[0], "127.0.0.1:6881");
    assert_string_equal(o.peers.v[1], "[::1]:7");
    assert_int_equal((int)o.select.n, 1);
    assert_true(o.max_down > 0);
    assert_true(o.seed_time == 2.5);
    assert_string_equal(o.listen, "127.0.0.1:0");
    assert_false(o.dht);
    assert_true(o.lsd && o.upnp);
    assert_int_equal(err.rc, FY_OK);
    fetch_opts_release(&o);
}

/* A bad value is a usage error naming the option; a bad peer is not kept. */
static void
test_fetch_set_bad(void **state)
{
    (void)state;
    struct fetch_opts o;
    struct fy_err err = FY_ERR_INIT;
    fetch_opts_init(&o);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_PEER, "nohost", &err),
                     FY_EUSAGE);
    assert_non_null(strstr(err.msg, "--peer"));
    assert_int_equal((int)o.peers.n, 0);
    fy_err_clear(&err);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_TIMEOUT, "x", &err),
                     FY_EUSAGE);
    assert_non_null(strstr(err.msg, "--timeout"));
    fy_err_clear(&err);
    assert_int_equal(cli_opts_fetch_set(&o, CLI_OPT_MAX_UP, "fast", &err),
                     FY_EUSAGE);
    assert_non_null(strstr(err.msg, "--max-up"));
    fetch_opts_release(&o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_is),
        cmocka_unit_test(test_fetch_set),
        cmocka_unit_test(test_fetch_set_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
