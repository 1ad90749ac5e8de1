/*
 * Unit tests for the transfer limits and checks of the remote layer: the
 * token bucket of --max-up/--max-down (remote_rate.c) with time as an
 * argument, the options that set it, the Content-MD5 digests
 * (remote_digest.c) against known values, and what an HTTP 411 to a
 * streamed upload means.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/remote_digest.h"
#include "ferry/remote_opts.h"
#include "ferry/remote_rate.h"

#define KIB 1024
#define MIB (1024 * 1024)

static void
test_rate_off(void **state)
{
    (void)state;
    struct rrate r;
    rrate_init(&r, 0, 0);
    assert_false(rrate_on(&r));
    assert_int_equal(rrate_allow(&r, 5 * MIB, 0), 5 * MIB);
    rrate_spend(&r, 5 * MIB);
    assert_true(rrate_wait(&r, 0) == 0);
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(rrate_throttle(&r, 100 * MIB, "x", &err), FY_OK);
}

static void
test_rate_chunk(void **state)
{
    (void)state;
    struct rrate r;
    rrate_init(&r, 16 * KIB, 0); /* rate/16 */
    assert_int_equal(r.chunk, KIB);
    rrate_init(&r, 100, 0); /* at least 1 KiB */
    assert_int_equal(r.chunk, RRATE_CHUNK_MIN);
    rrate_init(&r, 10 * MIB, 0); /* at most 256 KiB */
    assert_int_equal(r.chunk, RRATE_CHUNK_MAX);
    rrate_init(&r, 1 * MIB, 0);
    assert_int_equal(r.chunk, 64 * KIB);
}

static void
test_rate_debt(void **state)
{
    (void)state;
    struct rrate r;
    rrate_init(&r, MIB, 100.0); /* chunk 64 KiB, starts with one */
    assert_true(rrate_on(&r));
    assert_int_equal(rrate_allow(&r, MIB, 100.0), 64 * KIB);
    assert_int_equal(rrate_allow(&r, 10, 100.0), 10);
    rrate_spend(&r, 64 * KIB);
    assert_int_equal(rrate_allow(&r, MIB, 100.0), 0); /* empty */
    /* a callback may take more than it was allowed: it is owed */
    rrate_spend(&r, 64 * KIB);
    double w = rrate_wait(&r, 100.0);
    assert_true(w > 0.0624 && w < 0.0626); /* 64 KiB at 1 MiB/s */
    assert_int_equal(rrate_allow(&r, MIB, 100.06), 0);
    assert_true(rrate_allow(&r, MIB, 100.0626) > 0);
    /* time going backwards (it never does) changes nothing */
    assert_true(rrate_wait(&r, 50.0) == 0);
}

static void
test_rate_burst(void **state)
{
    (void)state;
    struct rrate r;
    rrate_init(&r, 8 * MIB, 0);
    rrate_spend(&r, r.chunk);
    /* idle for a minute: at most an eighth of a second saved up */
    (void)rrate_allow(&r, 1, 60.0);
    assert_true(r.tokens <= (double)MIB + 0.5);
    assert_true(r.tokens >= (double)MIB - 0.5);
}

/*
 * A greedy transfer (4 requests sharing the bucket, each moving what it is
 * allowed whenever it is looked at, every millisecond, each taking a
 * little more than allowed at times) moves about rate * t, never more than
 * rate * t + burst + chunk.
 */
static void
test_rate_long_run(void **state)
{
    (void)state;
    const int64_t rate = 10 * MIB;
    struct rrate r;
    rrate_init(&r, rate, 0);
    double moved = 0;
    for (int ms = 1; ms <= 4000; ms++) {
        double now = ms / 1000.0;
        for (int req = 0; req < 4; req++) {
            size_t n = rrate_allow(&r, 300 * KIB, now);
            if (n == 0)
                continue;
            if (req == 3)
                n += 1000; /* owes a little */
            rrate_spend(&r, n);
            moved += (double)n;
        }
        double bound = (double)rate * now + r.burst + (double)r.chunk + 1000;
        assert_true(moved <= bound);
    }
    /* 4 s at 10 MiB/s: 40 MiB, give or take a chunk and the start */
    assert_true(moved >= 40.0 * MIB - (double)r.chunk - 1000);
    assert_true(moved <= 40.0 * MIB + (double)r.chunk * 2 + 2000);
}

static void
test_rate_throttle_sleeps(void **state)
{
    (void)state;
    struct rrate r;
    struct fy_err err = FY_ERR_INIT;
    double t0 = out_now();
    rrate_init(&r, MIB, t0);
    /* one chunk in the bucket; 128 KiB owes 64 KiB: 62.5 ms at 1 MiB/s */
    assert_int_equal(rrate_throttle(&r, 128 * KIB, "x", &err), FY_OK);
    assert_true(out_now() - t0 >= 0.060);
}

static void
test_rate_options(void **state)
{
    (void)state;
    struct remote_opts o;
    struct fy_err err = FY_ERR_INIT;
    remote_opts_init(&o);
    assert_int_equal(o.max_up, 0);
    assert_int_equal(o.max_down, 0);
    assert_true(remote_opt_is(REMOTE_OPT_MAX_UP));
    assert_true(remote_opt_is(REMOTE_OPT_MAX_DOWN));
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_MAX_UP, "10M", &err),
                     FY_OK);
    assert_int_equal(o.max_up, 10 * MIB);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_MAX_DOWN, "500K", &err),
                     FY_OK);
    assert_int_equal(o.max_down, 500 * KIB);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_MAX_DOWN, "0", &err),
                     FY_OK);
    assert_int_equal(o.max_down, 0);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_MAX_UP, "fast", &err),
                     FY_EUSAGE);
    assert_non_null(strstr(err.msg, "--max-up: 'fast' is not a rate"));
    remote_opts_release(&o);
}

static void
test_classify_411(void **state)
{
    (void)state;
    struct remote_verdict v = remote_classify(0, 411, false);
    assert_int_equal(v.action, REMOTE_FAIL);
    assert_int_equal(v.rc, FY_ERUNTIME);
    assert_non_null(strstr(v.why, "no streamed upload"));
}

static void
test_md5_mem(void **state)
{
    (void)state;
    char md5[REMOTE_MD5_B64];
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(remote_md5_mem("", 0, md5, &err), FY_OK);
    assert_string_equal(md5, "1B2M2Y8AsgTpgAmY7PhCfg==");
    assert_int_equal(remote_md5_mem("abc", 3, md5, &err), FY_OK);
    assert_string_equal(md5, "kAFQmDzST7DWlj99KOF/cg==");
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    assert_int_equal(remote_md5_mem(fox, strlen(fox), md5, &err), FY_OK);
    assert_string_equal(md5, "nhB9nTcrtoJr2B01QqQZ1g==");
}

static void
test_md5_fd(void **state)
{
    (void)state;
    char path[] = "/tmp/ferry-test-md5-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    /* 3 MiB + 7: more than one 1 MiB read, not a multiple of it */
    size_t n = 3 * MIB + 7;
    char *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(i * 2654435761u >> 13);
    memcpy(buf + 100, "abc", 3);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    char a[REMOTE_MD5_B64], b[REMOTE_MD5_B64];
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(remote_md5_fd(fd, 0, (int64_t)n, "f", a, &err), FY_OK);
    assert_int_equal(remote_md5_mem(buf, n, b, &err), FY_OK);
    assert_string_equal(a, b);
    /* a range from an offset; the fd's own offset does not matter */
    assert_int_equal(remote_md5_fd(fd, 100, 3, "f", a, &err), FY_OK);
    assert_string_equal(a, "kAFQmDzST7DWlj99KOF/cg==");
    assert_int_equal(remote_md5_fd(fd, 5, 0, "f", a, &err), FY_OK);
    assert_string_equal(a, "1B2M2Y8AsgTpgAmY7PhCfg==");
    /* a file shorter than asked: an error, never a digest of less */
    assert_int_equal(remote_md5_fd(fd, (int64_t)n - 2, 10, "f.bin", a, &err),
                     FY_ERUNTIME);
    assert_string_equal(a, "");
    assert_non_null(strstr(err.msg, "f.bin: read"));
    close(fd);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_off),
        cmocka_unit_test(test_rate_chunk),
        cmocka_unit_test(test_rate_debt),
        cmocka_unit_test(test_rate_burst),
        cmocka_unit_test(test_rate_long_run),
        cmocka_unit_test(test_rate_throttle_sleeps),
        cmocka_unit_test(test_rate_options),
        cmocka_unit_test(test_classify_411),
        cmocka_unit_test(test_md5_mem),
        cmocka_unit_test(test_md5_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
