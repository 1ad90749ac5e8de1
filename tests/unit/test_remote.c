/*
 * Unit tests for remote.c: the retry policy (which failures are retried,
 * what the user is told), backoff, Retry-After, storage URLs, how a URL is
 * shown (no secret), same-origin redirects and the shared remote options.
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
#include "ferry/remote_opts.h"

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
    v = remote_classify(CURLE_OK, 501, true); /* Not Implemented: for good */
    assert_int_equal(v.action, REMOTE_FAIL);
    assert_int_equal(v.rc, FY_ERUNTIME);
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

/* remote_url_show(url) is want. */
static void
shows(const char *url, const char *want)
{
    char *got = remote_url_show(url);
    if (strcmp(got, want) != 0)
        fail_msg("remote_url_show(\"%s\")\n  got  \"%s\"\n  want \"%s\"", url,
                 got, want);
    free(got);
}

static void
test_url_show(void **state)
{
    (void)state;
    /* nothing to hide */
    shows("s3://bkt/dir/ws.tar.zst", "s3://bkt/dir/ws.tar.zst");
    shows("https://h.example:8443/a/b?x=1&y=2#f",
          "https://h.example:8443/a/b?x=1&y=2#f");
    shows("sftp://me@h:2222/~/ws.tar.zst", "sftp://me@h:2222/~/ws.tar.zst");
    shows("file:///tmp/a%20b", "file:///tmp/a%20b");
    /* the userinfo's password; the user name stays */
    shows("http://user:pa55@h/x", "http://user:***@h/x");
    shows("https://u:p%40ss%3Aw@h:1/x", "https://u:***@h:1/x");
    shows("sftp://me:hunter2@h:22/~/x", "sftp://me:***@h:22/~/x");
    shows("http://:tok@h/", "http://:***@h/");
    shows("http://u:@h/", "http://u:@h/");
    shows("s3://k:s@bkt/key", "s3://k:***@bkt/key");
    shows("http://u:p@[::1]:8/x", "http://u:***@[::1]:8/x");
    /* an '@' in the path is not userinfo */
    shows("https://h/a:b@c", "https://h/a:b@c");
    /* pre-signed URLs (S3 SigV2/SigV4, tokens) */
    shows("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIA%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600"
          "&X-Amz-Security-Token=FQoG&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=abcdef0123",
          "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=***&X-Amz-Date=20240101T000000Z"
          "&X-Amz-Expires=3600&X-Amz-Security-Token=***"
          "&X-Amz-SignedHeaders=host&X-Amz-Signature=***");
    shows("https://h/k?AWSAccessKeyId=A&Expires=1&Signature=s%2Bx",
          "https://h/k?AWSAccessKeyId=***&Expires=1&Signature=***");
    shows("https://h/k?sv=2020&sig=abc&se=1",
          "https://h/k?sv=2020&sig=***&se=1");
    /* tracker passkeys and other keys and tokens, any case */
    shows("http://t.example/announce?passkey=0123abcd&info_hash=x",
          "http://t.example/announce?passkey=***&info_hash=x");
    shows("http://t/a?key=K1&uk=1;TOKEN=T2",
          "http://t/a?key=***&uk=1;TOKEN=***");
    shows("http://t/a?access_token=a;b&c=d", "http://t/a?access_token=***&c=d");
    shows("http://t/a?apikey=1&api_key=2&auth=3&password=4&secret=5",
          "http://t/a?apikey=***&api_key=***&auth=***&password=***"
          "&secret=***");
    /* %-encoded names */
    shows("http://t/a?pass%6Bey=K&X%2DAmz%2DSignature=S",
          "http://t/a?pass%6Bey=***&X%2DAmz%2DSignature=***");
    shows("http://t/a?%zzkey=K", "http://t/a?%zzkey=***");
    /* the fragment too; a name without a value shows nothing */
    shows("https://h/cb#access_token=T&state=1",
          "https://h/cb#access_token=***&state=1");
    shows("http://t/a?token&x=1", "http://t/a?token&x=1");
    shows("http://t/a?token=", "http://t/a?token=");
    /* malformed: everything from the first ':' to the last '@' goes */
    shows("http://u:pa/ss@h/x", "http://u:***@h/x");
    shows("http://u:p@ss@h/x", "http://u:***@h/x");
    shows("http://u:pa?ss@h/x", "http://u:***@h/x");
    shows("u:secret@h/x", "u:***@h/x");
    shows("http://u:pa ss@h/x", "http://u:***@h/x");
    /* control bytes are escaped, as out_escape() does */
    shows("http://h/a\x1b[2Jb", "http://h/a\\x1b[2Jb");
    shows("", "");
    shows("://", "://");
    shows("@", "@");
    shows("http://@", "http://@");
    shows("http://:@", "http://:@");
}

static void
test_scrub(void **state)
{
    (void)state;
    char *s = remote_scrub("Could not resolve host: pa55word and pa55word",
                           "http://u:pa55word@h/x");
    assert_string_equal(s, "Could not resolve host: *** and ***");
    free(s);
    /* raw and %-decoded forms */
    s = remote_scrub("a p%40ss b p@ss c", "http://u:p%40ss@h/x");
    assert_string_equal(s, "a *** b *** c");
    free(s);
    s = remote_scrub("bad URL x?token=T0KEN&y", "http://h/x?token=T0KEN");
    assert_string_equal(s, "bad URL x?token=***&y");
    free(s);
    s = remote_scrub("nothing here", "http://h/x");
    assert_string_equal(s, "nothing here");
    free(s);
    s = remote_scrub("", "http://u:p@h/");
    assert_string_equal(s, "");
    free(s);
    /* a short value would garble the text: left alone */
    s = remote_scrub("Failed to connect to 127.0.0.1 port 1",
                     "http://127.0.0.1:1/x?sig=1");
    assert_string_equal(s, "Failed to connect to 127.0.0.1 port 1");
    free(s);
}

static void
test_same_origin(void **state)
{
    (void)state;
    assert_true(remote_same_origin("http://h/a", "http://h/b?x"));
    assert_true(remote_same_origin("http://h/a", "HTTP://H:80/b"));
    assert_true(remote_same_origin("https://u:p@h:443/a", "https://h/b"));
    assert_true(remote_same_origin("http://127.0.0.1:8080/a",
                                   "http://127.0.0.1:8080/moved/a"));
    assert_false(remote_same_origin("http://h/a", "https://h/a"));
    assert_false(remote_same_origin("http://h/a", "http://h:81/a"));
    assert_false(remote_same_origin("http://h/a", "http://g/a"));
    assert_false(
        remote_same_origin("http://h.example/a", "http://h.example.evil/a"));
    assert_false(
        remote_same_origin("http://127.0.0.1:1/a", "http://localhost:1/a"));
    assert_false(remote_same_origin("http://h/a", "not a url"));
    assert_false(remote_same_origin("", "http://h/"));
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
    /* a malformed --header is not echoed: it may hold a key */
    assert_int_equal(
        remote_opts_set(&o, REMOTE_OPT_HEADER, "X-Api-Key=S3CR3T", &err),
        FY_EUSAGE);
    assert_null(strstr(err.msg, "S3CR3T"));
    fy_err_clear(&err);
    assert_int_equal(
        remote_opts_set(&o, REMOTE_OPT_KNOWN_HOSTS, "/etc/kh", &err), FY_OK);
    assert_string_equal(o.known_hosts, "/etc/kh");
    assert_int_equal(remote_opts_set(&o, REMOTE_OPT_KNOWN_HOSTS, "", &err),
                     FY_EUSAGE);
    fy_err_clear(&err);
    assert_true(remote_opt_is(REMOTE_OPT_INSECURE_HOST));
    assert_true(remote_opt_is(REMOTE_OPT_KNOWN_HOSTS));
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
        cmocka_unit_test(test_url_show),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_same_origin),
        cmocka_unit_test(test_opts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
