/*
 * Unit tests for outpipe.c: an archive's bytes hashed and written on a
 * helper thread.  The sinks here are struct fy_ostream tables of the
 * test's own that record what they get and on which thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "ferry/outpipe.h"

struct sink {
    unsigned char *got;
    size_t len, cap;
    size_t fail_after; /* a write reaching past this fails (0: never) */
    size_t writes, writes_after_fail;
    bool failed;
    bool other_thread; /* some write ran on another thread than main's */
    pthread_t main;
};

static enum fy_rc
sink_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    struct sink *s = ctx;
    s->writes++;
    if (!pthread_equal(pthread_self(), s->main))
        s->other_thread = true;
    if (s->failed) {
        s->writes_after_fail++;
        return fy_fail(err, FY_ERUNTIME, "sink: written after a failure");
    }
    if (s->fail_after > 0 && s->len + n > s->fail_after) {
        s->failed = true;
        return fy_fail(err, FY_ERUNTIME, "sink: No space left on device");
    }
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->got = realloc(s->got, s->cap);
        assert_non_null(s->got);
    }
    memcpy(s->got + s->len, buf, n);
    s->len += n;
    return FY_OK;
}

static void
sink_open(struct fy_ostream *os, struct sink *s, bool any_thread)
{
    memset(s, 0, sizeof *s);
    s->main = pthread_self();
    memset(os, 0, sizeof *os);
    os->write = sink_write;
    os->ctx = s;
    os->name = "sink";
    os->fd = -1;
    os->any_thread = any_thread;
}

static unsigned char *
pattern(size_t n)
{
    unsigned char *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    return buf;
}

static void
want_hex(const unsigned char *buf, size_t n, char want[SHA256_HEX])
{
    unsigned char md[32];
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL), 1);
    for (unsigned int i = 0; i < len; i++)
        snprintf(want + 2 * i, 3, "%02x", md[i]);
}

/* Bytes in odd pieces, more than the ring holds: the sink gets all of
 * them in order, the digest is OpenSSL's one-shot; a regular file's
 * stream (any_thread) is written by the helper, another one by the
 * caller. */
static void
run_roundtrip(bool any_thread)
{
    size_t n = (9u << 20) + 12345;
    unsigned char *buf = pattern(n);
    char hex[SHA256_HEX], want[SHA256_HEX];
    want_hex(buf, n, want);
    struct fy_ostream os;
    struct sink s;
    struct fy_err err = FY_ERR_INIT;
    sink_open(&os, &s, any_thread);
    struct outpipe *o = outpipe_new(&os);
    for (size_t off = 0, k = 1; off < n; off += k, k = k * 7 % 200003 + 1)
        assert_int_equal(
            outpipe_write(o, buf + off, n - off < k ? n - off : k, &err),
            FY_OK);
    assert_int_equal(outpipe_finish(o, hex, &err), FY_OK);
    outpipe_free(o);
    assert_int_equal(s.len, n);
    assert_memory_equal(s.got, buf, n);
    assert_string_equal(hex, want);
    assert_true(s.other_thread == any_thread);
    free(s.got);
    free(buf);
}

static void
test_helper_writes(void **state)
{
    (void)state;
    run_roundtrip(true);
}

static void
test_caller_writes(void **state)
{
    (void)state;
    run_roundtrip(false);
}

/* A write that fails on the helper: the caller gets the stream's own
 * message (from a later write or from finish), nothing more is written,
 * and no digest is given. */
static void
test_failure(void **state)
{
    (void)state;
    size_t n = 8u << 20;
    unsigned char *buf = pattern(n);
    char hex[SHA256_HEX] = "x";
    struct fy_ostream os;
    struct sink s;
    struct fy_err err = FY_ERR_INIT;
    sink_open(&os, &s, true);
    s.fail_after = 1u << 20;
    struct outpipe *o = outpipe_new(&os);
    enum fy_rc rc = FY_OK;
    for (size_t off = 0; off < n && rc == FY_OK; off += 65536)
        rc = outpipe_write(o, buf + off, 65536, &err);
    /* 8 MiB cannot all fit in the ring: the failure reached a write */
    assert_int_equal(rc, FY_ERUNTIME);
    assert_string_equal(err.msg, "sink: No space left on device");
    struct fy_err err2 = FY_ERR_INIT;
    assert_int_equal(outpipe_finish(o, hex, &err2), FY_ERUNTIME);
    assert_string_equal(err2.msg, "sink: No space left on device");
    assert_string_equal(hex, "");
    outpipe_free(o);
    assert_int_equal(s.writes_after_fail, 0);
    assert_true(s.len <= 1u << 20);
    free(s.got);
    free(buf);
}

/* Freed without finish (pack failed elsewhere): it returns, and what was
 * queued is not written to the stream about to be discarded. */
static void
test_free_unfinished(void **state)
{
    (void)state;
    size_t n = (3u << 20) + 1000; /* 6 slots and 1000 bytes */
    unsigned char *buf = pattern(n);
    struct fy_ostream os;
    struct sink s;
    struct fy_err err = FY_ERR_INIT;
    sink_open(&os, &s, true);
    struct outpipe *o = outpipe_new(&os);
    assert_int_equal(outpipe_write(o, buf, n, &err), FY_OK);
    outpipe_free(o);
    /* the last, partly filled slot never goes: it is handed over after
     * free marked the stream discarded */
    assert_true(s.len <= n - 1000);
    assert_memory_equal(s.got, buf, s.len);
    free(s.got);
    free(buf);
}

/* No stream: a SHA-256 taken on the helper, OpenSSL's one-shot digest;
 * freed unfinished, it stops. */
static void
test_hash_only(void **state)
{
    (void)state;
    size_t n = (9u << 20) + 12345;
    unsigned char *buf = pattern(n);
    char hex[SHA256_HEX], want[SHA256_HEX];
    struct fy_err err = FY_ERR_INIT;
    want_hex(buf, n, want);
    struct outpipe *o = outpipe_new(NULL);
    for (size_t off = 0; off < n; off += 7777)
        assert_int_equal(
            outpipe_write(o, buf + off, n - off < 7777 ? n - off : 7777, &err),
            FY_OK);
    assert_int_equal(outpipe_finish(o, hex, &err), FY_OK);
    assert_string_equal(hex, want);
    outpipe_free(o);
    o = outpipe_new(NULL);
    assert_int_equal(outpipe_write(o, buf, n, &err), FY_OK);
    outpipe_free(o);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helper_writes),
        cmocka_unit_test(test_caller_writes),
        cmocka_unit_test(test_failure),
        cmocka_unit_test(test_free_unfinished),
        cmocka_unit_test(test_hash_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
