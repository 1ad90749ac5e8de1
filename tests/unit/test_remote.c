/*
 * Unit tests for remote.c: the retry policy (which failures are retried,
 * what the user is told), backoff, Retry-After, storage URLs and the shared
 * remote options.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "ferry/remote.h"

static void
test_classify_curl(void **state)
{
    (void)state;
    struct remote_verdict v = remote_classify(CURLE_OK, 200, true);
    assert_int_equal(v.action, REMOTE_DONE);
    v = remote_classify(CURLE_OK, 0, false); /* SFTP: no status */
    assert_int_equal(v.action, REMOTE_DONE);
    v = remote_classify(CURLE_OK, 206, true);
    assert_int_equal(v.action, REMOTE_DONE);
    static const int retried[] = {CURLE_COULDNT_CONNECT,
                                  CURLE_COULDNT_RESOLVE_HOST,
                                  CURLE_OPERATION_TIMEDOUT,
                                  CURLE_SEND_ERROR,
                                  CURLE_RECV_ERROR,
                                  CURLE_GOT_NOTHING,
                                  CURLE_PARTIAL_FILE,
                                  CURLE_HTTP2_STREAM,
                                  CURLE_SSH,
                                  CURLE_UPLOAD_FAILED};
    for (size_t i = 0; i < sizeof retried / sizeof retried[0]; i++) {
        v = remote_classify(retried[i], 0, true);
        assert_int_equal(v.action, REMOTE_RETRY);
    }
    v = remote_classify(CURLE_OPERATION_TIMEDOUT, 0, true);
    assert_int_equal(v.rc, FY_ETIMEOUT);
    v = remote_classify(CURLE_COULDNT_RESOLVE_HOST, 0, true);
    assert_string_equal(v.why, "cannot resolve the host");
    v = remote_classify(CURLE_PEER_FAILED_VERIFICATION, 0, true);
    assert_int_equal(v.action, REMOTE_FAIL);
    assert_non_null(strstr(v.why, "TLS"));
    v = remote_classify(CURLE_SSL_CACERT_BADFILE, 0, true);
    assert_int_equal(v.action, REMOTE_FAIL);
    v = remote_classify(CURLE_LOGIN_DENIED, 0, false);
    assert_int_equal(v.action, REMOTE_FAIL);
    v = remote_classify(CURLE_REMOTE_FILE_NOT_FOUND, 0, true);
    assert_string_equal(v.why, "no such object");
    v = remote_classify(CURLE_URL_MALFORMAT, 0, true);
    assert_int_equal(v.rc, FY_EINPUT);
    v = remote_classify(CURLE_ABORTED_BY_CALLBACK, 0, true);
    assert_int_equal(v.rc, FY_EINTR);
}

static void
test_classify_http(void **state)
{
    (void)state;
    static const long retried[] = {408, 429, 500, 502, 503, 504, 599};
    for (size_t i = 0; i < sizeof retried / sizeof retried[0]; i++) {
        struct remote_verdict v = remote_classify(CURLE_OK, retried[i], false);
        assert_int_equal(v.action, REMOTE_RETRY);
        assert_int_equal(v.rc, FY_ERUNTIME);
    }
    struct remote_verdict v = remote_classify(CURLE_OK, 403, false);
    assert_int_equal(v.action, REMOTE_FAIL);
    assert_string_equal(v.why,
                        "access denied: check credentials and permissions");
    v = remote_classify(CURLE_OK, 401, true);
    assert_int_equal(v.action, REMOTE_FAIL);
    assert_non_null(strstr(v.why, "credentials"));
    v = remote_classify(CURLE_OK, 404, true);
    assert_string_equal(v.why, "no such object");
    v = remote_classify(CURLE_OK, 404, false);
    assert_string_equal(v.why, "no such bucket or path");
    v = remote_classify(CURLE_OK, 301, true);
    assert_int_equal(v.action, REMOTE_FAIL);
    v = remote_classify(CURLE_OK, 400, false);
    assert_int_equal(v.action, REMOTE_FAIL);
}

static void
test_backoff(void **state)
{
    (void)state;
    assert_true(remote_backoff(1, -1, 0.0) == 0.5);
    assert_true(remote_backoff(1, -1, 0.999) < 1.5);
    assert_true(remote_backoff(2, -1, 0.5) == 2.0);
    assert_true(remote_backoff(3, -1, 0.5) == 4.0);
    assert_true(remote_backoff(20, -1, 0.5) == 30.0); /* capped */
    assert_true(remote_backoff(3, 7, 0.9) == 7.0);    /* Retry-After wins */
    assert_true(remote_backoff(1, 1e6, 0.1) == 120.0);
    assert_true(remote_backoff(1, 0, 0.5) == 1.0); /* 0: use our own */
}

static void
test_retry_after(void **state)
{
    (void)state;
    assert_true(remote_parse_retry_after("120", 0) == 120);
    assert_true(remote_parse_retry_after(" 3 ", 0) == 3);
    assert_true(remote_parse_retry_after("3x", 0) == -1);
    assert_true(remote_parse_retry_after("soon", 0) == -1);
    /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    assert_true(remote_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
                                         1445412480.0 - 30) == 30);
    assert_true(remote_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
                                         1445412480.0 + 5) == 0);
}

static enum fy_rc
parse(const char *s, struct remote_url *u)
{
    struct fy_err err = FY_ERR_INIT;
    enum fy_rc rc = remote_url_parse(s, u, &err);
    assert_int_equal(rc, err.rc);
    if (rc != FY_OK && strchr(s, '\n') == NULL)
        assert_non_null(strstr(err.msg, s));
    assert_null(strchr(err.msg, '\n'));
    return rc;
}

static void
test_urls(void **state)
{
    (void)state;
    struct remote_url u;
    assert_int_equal(parse("s3://bkt/dir/my file.tar.zst", &u), FY_OK);
    assert_int_equal(u.scheme, REMOTE_S3);
    assert_string_equal(u.bucket, "bkt");
    assert_string_equal(u.key, "dir/my file.tar.zst");
    remote_url_release(&u);
    assert_int_equal(parse("file:///tmp/a%20b.bin", &u), FY_OK);
    assert_int_equal(u.scheme, REMOTE_FILE);
    assert_string_equal(u.path, "/tmp/a b.bin");
    remote_url_release(&u);
    assert_int_equal(parse("file://localhost/x", &u), FY_OK);
    assert_string_equal(u.path, "/x");
    remote_url_release(&u);
    assert_int_equal(parse("HTTPS://h.example/x?y=1", &u), FY_OK);
    assert_int_equal(u.scheme, REMOTE_HTTP);
    remote_url_release(&u);
    assert_int_equal(parse("sftp://me@h:2222/~/ws.tar.zst", &u), FY_OK);
    assert_int_equal(u.scheme, REMOTE_SFTP);
    remote_url_release(&u);
    static const char *const bad[] = {
        "ftp://h/x",     "s3://bkt",     "s3://bkt/",    "s3:///key",
        "s3://bkt/dir/", "file://rel/x", "file:///tmp/", "file:///a%zz",
        "sftp://h",      "sftp://h/",    "http:///x",    "no-scheme",
        "http://h/a b",  "s3://b/k\n",   "://x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], &u), FY_EINPUT);
}

static void
test_basename(void **state)
{
    (void)state;
    char *b = remote_url_basename("s3://bkt/dir/ws.tar.zst");
    assert_string_equal(b, "ws.tar.zst");
    free(b);
    b = remote_url_basename("https://h/a/b%20c.bin?sig=1#x");
    assert_string_equal(b, "b c.bin");
    free(b);
    assert_null(remote_url_basename("https://h/"));
    assert_null(remote_url_basename("https://h"));
    assert_null(remote_url_basename("https://h/a/.."));
    assert_null(remote_url_basename("https://h/a%2Fb"));
}

static void
test_opts(void **state)
{
    (void)state;
    struct remote_opts o;
    struct fy_err err = FY_ERR_INIT;
    remote_opts_init(&o);
    assert_int_equal(o.retries, 5);
    assert_int_equal(o.parallel, 4);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_RETRIES, "2", &err), FY_OK);
    assert_int_equal(o.retries, 2);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_RETRIES, "x", &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_PARALLEL, "0", &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_HEADER, "X-A: 1", &err),
                     FY_OK);
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_HEADER, "nocolon", &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_int_equal(
        remote_opts_set(&o, REMOTE_OPT_HEADER, "X-B: 1\r\nX-C: 2", &err),
        FY_EUSAGE);
    assert_int_equal(o.headers.n, 1);
    assert_true(remote_opt_is(REMOTE_OPT_INSECURE_HOST));
    assert_false(remote_opt_is('h'));
    remote_opts_release(&o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_curl),
        cmocka_unit_test(test_classify_http),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_basename),
        cmocka_unit_test(test_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
