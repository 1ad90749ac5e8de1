/*
 * Unit tests for remote_s3_addr.c: which URL an S3 request is built with
 * (virtual-hosted or path-style, as the AWS CLI picks), the override, and
 * the region a wrong-region answer points to.  No request goes anywhere:
 * the URL builder and the route are tested as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/remote_s3.h"

static void
expect_url(enum s3_addressing a,
           const char *endpoint,
           const char *region,
           const char *bucket,
           const char *key,
           const char *query,
           const char *want)
{
    char *u = s3_object_url(a, endpoint, region, bucket, key, query);
    assert_string_equal(u, want);
    free(u);
}

static void
test_parse(void **state)
{
    (void)state;
    assert_int_equal(s3_addressing_parse(NULL), S3_ADDR_AUTO);
    assert_int_equal(s3_addressing_parse(""), S3_ADDR_AUTO);
    assert_int_equal(s3_addressing_parse("auto"), S3_ADDR_AUTO);
    assert_int_equal(s3_addressing_parse("path"), S3_ADDR_PATH);
    assert_int_equal(s3_addressing_parse("Virtual"), S3_ADDR_VIRTUAL);
    assert_int_equal(s3_addressing_parse("vhost"), S3_ADDR_INVALID);
    assert_int_equal(s3_addressing_parse("path "), S3_ADDR_INVALID);
    assert_string_equal(s3_addressing_name(S3_ADDR_VIRTUAL), "virtual");
    assert_string_equal(s3_addressing_name(S3_ADDR_PATH), "path");
    assert_string_equal(s3_addressing_name(S3_ADDR_AUTO), "auto");
}

static void
test_bucket_dns(void **state)
{
    (void)state;
    assert_true(s3_bucket_dns_ok("bkt", false));
    assert_true(s3_bucket_dns_ok("my-bucket-2024", false));
    assert_true(s3_bucket_dns_ok("123", false));
    assert_true(s3_bucket_dns_ok(
        "a23456789012345678901234567890123456789012345678901234567890123",
        false)); /* 63 */
    assert_false(s3_bucket_dns_ok(
        "a234567890123456789012345678901234567890123456789012345678901234",
        false)); /* 64 */
    assert_false(s3_bucket_dns_ok("ab", false));
    assert_false(s3_bucket_dns_ok("MyBucket", false));
    assert_false(s3_bucket_dns_ok("my_bucket", false));
    assert_false(s3_bucket_dns_ok("-bkt", false));
    assert_false(s3_bucket_dns_ok("bkt-", false));
    assert_false(s3_bucket_dns_ok("my.bkt", false));
    assert_true(s3_bucket_dns_ok("my.bkt", true));
    assert_false(s3_bucket_dns_ok("my..bkt", true));
    assert_false(s3_bucket_dns_ok("my-.bkt", true));
    assert_false(s3_bucket_dns_ok("my.-bkt", true));
    assert_false(s3_bucket_dns_ok(".bkt", true));
    assert_false(s3_bucket_dns_ok("bkt.", true));
    assert_false(s3_bucket_dns_ok("192.168.5.4", true));
    assert_false(s3_bucket_dns_ok("b%2Fk", true));
}

static void
test_endpoint_is_aws(void **state)
{
    (void)state;
    assert_true(s3_endpoint_is_aws("https://s3.us-east-1.amazonaws.com"));
    assert_true(s3_endpoint_is_aws("https://S3.EU-WEST-1.AMAZONAWS.COM/"));
    assert_true(
        s3_endpoint_is_aws("https://s3-fips.us-gov-west-1.amazonaws.com"));
    assert_true(
        s3_endpoint_is_aws("https://s3.dualstack.eu-west-1.amazonaws.com"));
    assert_true(s3_endpoint_is_aws("https://s3.cn-north-1.amazonaws.com.cn"));
    assert_true(s3_endpoint_is_aws("https://s3.amazonaws.com:443"));
    assert_false(s3_endpoint_is_aws("http://127.0.0.1:9000"));
    assert_false(s3_endpoint_is_aws("http://[::1]:9000"));
    assert_false(s3_endpoint_is_aws("https://minio.example.com"));
    assert_false(s3_endpoint_is_aws("https://s3.amazonaws.com.evil.example"));
    assert_false(s3_endpoint_is_aws("https://evil-amazonaws.com"));
    assert_false(s3_endpoint_is_aws("https://amazonaws.com"));
    assert_false(s3_endpoint_is_aws("https://ec2.us-east-1.amazonaws.com"));
    assert_false(s3_endpoint_is_aws("https://mys3.us-east-1.amazonaws.com"));
    assert_false(s3_endpoint_is_aws("https://s3.r2.cloudflarestorage.com"));
}

/* The requests the issue names: AWS buckets of today virtual-hosted,
 * names a host cannot carry and custom endpoints path-style. */
static void
test_object_url_auto(void **state)
{
    (void)state;
    const enum s3_addressing A = S3_ADDR_AUTO;
    expect_url(A, NULL, "eu-west-1", "bkt", "ws.tar.zst", "uploads=",
               "https://bkt.s3.eu-west-1.amazonaws.com/ws.tar.zst?uploads=");
    expect_url(A, NULL, "us-east-1", "my-bkt-1", "dir/a b+c", NULL,
               "https://my-bkt-1.s3.us-east-1.amazonaws.com/dir/a%20b%2Bc");
    /* dots under https: the *.s3 certificate would not match */
    expect_url(A, NULL, "eu-west-1", "my.bkt", "k", NULL,
               "https://s3.eu-west-1.amazonaws.com/my.bkt/k");
    /* legacy us-east-1 names: upper case, '_' */
    expect_url(A, NULL, "us-east-1", "MyBucket", "k", NULL,
               "https://s3.us-east-1.amazonaws.com/MyBucket/k");
    expect_url(A, NULL, "us-east-1", "my_bucket", "k", NULL,
               "https://s3.us-east-1.amazonaws.com/my_bucket/k");
    /* China: its own domain */
    expect_url(A, NULL, "cn-north-1", "bkt", "k", NULL,
               "https://bkt.s3.cn-north-1.amazonaws.com.cn/k");
    /* custom endpoints: path-style, by address or by name */
    expect_url(A, "http://127.0.0.1:9000/", "us-east-1", "bkt",
               "dir/my file+1.tar.zst", NULL,
               "http://127.0.0.1:9000/bkt/dir/my%20file%2B1.tar.zst");
    expect_url(A, "https://minio.example:9000", "us-east-1", "bkt", "k",
               "uploadId=X", "https://minio.example:9000/bkt/k?uploadId=X");
    expect_url(A, "https://gw.example/s3//", "auto", "bkt", "k", NULL,
               "https://gw.example/s3/bkt/k");
    /* an endpoint that is itself an AWS S3 host: virtual-hosted on it */
    expect_url(A, "https://s3.dualstack.eu-west-1.amazonaws.com", "eu-west-1",
               "bkt", "k", NULL,
               "https://bkt.s3.dualstack.eu-west-1.amazonaws.com/k");
    expect_url(A, "https://s3.eu-west-1.amazonaws.com", "eu-west-1", "my.bkt",
               "k", NULL, "https://s3.eu-west-1.amazonaws.com/my.bkt/k");
}

static void
test_object_url_forced(void **state)
{
    (void)state;
    const enum s3_addressing P = S3_ADDR_PATH, V = S3_ADDR_VIRTUAL;
    expect_url(P, NULL, "eu-west-1", "bkt", "k", NULL,
               "https://s3.eu-west-1.amazonaws.com/bkt/k");
    expect_url(P, "https://s3.eu-west-1.amazonaws.com/", "eu-west-1", "bkt",
               "k", NULL, "https://s3.eu-west-1.amazonaws.com/bkt/k");
    expect_url(V, "http://s3.localhost:8000", "us-east-1", "bkt", "d/k",
               "uploads=", "http://bkt.s3.localhost:8000/d/k?uploads=");
    expect_url(V, "https://minio.example/prefix/", "us-east-1", "bkt", "k",
               NULL, "https://bkt.minio.example/prefix/k");
    expect_url(V, "https://me@minio.example", "us-east-1", "bkt", "k", NULL,
               "https://me@bkt.minio.example/k");
    /* dots: fine under http, not under https */
    expect_url(V, "http://s3.localhost:8000", "us-east-1", "my.bkt", "k", NULL,
               "http://my.bkt.s3.localhost:8000/k");
    expect_url(V, "https://minio.example", "us-east-1", "my.bkt", "k", NULL,
               "https://minio.example/my.bkt/k");
    expect_url(V, NULL, "eu-west-1", "my.bkt", "k", NULL,
               "https://s3.eu-west-1.amazonaws.com/my.bkt/k");
    /* no host name to put a bucket in front of; a name no host can carry */
    expect_url(V, "http://127.0.0.1:9000", "us-east-1", "bkt", "k", NULL,
               "http://127.0.0.1:9000/bkt/k");
    expect_url(V, "http://[::1]:9000", "us-east-1", "bkt", "k", NULL,
               "http://[::1]:9000/bkt/k");
    expect_url(V, "http://s3.localhost:8000", "us-east-1", "Bkt_1", "k", NULL,
               "http://s3.localhost:8000/Bkt_1/k");
}

static void
test_regions(void **state)
{
    (void)state;
    assert_true(s3_region_ok("eu-west-1"));
    assert_true(s3_region_ok("us-gov-west-1"));
    assert_true(s3_region_ok("garage"));
    assert_true(s3_region_ok("auto"));
    assert_false(s3_region_ok(""));
    assert_false(s3_region_ok("-x"));
    assert_false(s3_region_ok("eu-west-1.evil.example"));
    assert_false(s3_region_ok("eu/west"));
    assert_false(s3_region_ok("eu west"));
    assert_false(s3_region_ok("eu-west-1\r\nX-Evil: 1"));
    assert_false(s3_region_ok("a23456789012345678901234567890123")); /* 33 */
    assert_true(s3_region_ok("a2345678901234567890123456789012"));   /* 32 */

    const char *hosts[][2] = {
        {"bkt.s3.eu-west-1.amazonaws.com", "eu-west-1"},
        {"bkt.s3-eu-west-1.amazonaws.com", "eu-west-1"},
        {"s3.dualstack.ap-southeast-2.amazonaws.com", "ap-southeast-2"},
        {"https://bkt.s3.us-gov-west-1.amazonaws.com/k?x=1", "us-gov-west-1"},
        {"bkt.s3.cn-north-1.amazonaws.com.cn", "cn-north-1"},
        {"bkt.s3.amazonaws.com", NULL},
        {"bkt.s3-external-1.amazonaws.com", NULL},
        {"johnsmith.s3-gztb4pa9sq.amazonaws.com", NULL},
        {"ec2.eu-west-1.amazonaws.com", NULL},
        {"bkt.s3.eu-west-1.amazonaws.com.evil.example", NULL},
        {"bkt.s3.eu-west-1.example.com", NULL},
        {"127.0.0.1", NULL},
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char *r = s3_region_from_host(hosts[i][0]);
        if (hosts[i][1] == NULL)
            assert_null(r);
        else
            assert_string_equal(r, hosts[i][1]);
        free(r);
    }

    char *e = s3_endpoint_with_region("https://s3.us-east-1.amazonaws.com/",
                                      "us-east-1", "eu-west-1");
    assert_string_equal(e, "https://s3.eu-west-1.amazonaws.com/");
    free(e);
    e = s3_endpoint_with_region("https://s3-us-east-2.amazonaws.com",
                                "us-east-2", "eu-west-1");
    assert_string_equal(e, "https://s3-eu-west-1.amazonaws.com");
    free(e);
    e = s3_endpoint_with_region(
        "https://s3.dualstack.us-east-1.amazonaws.com:443/p", "us-east-1",
        "eu-west-1");
    assert_string_equal(e,
                        "https://s3.dualstack.eu-west-1.amazonaws.com:443/p");
    free(e);
    assert_null(s3_endpoint_with_region("https://s3.amazonaws.com", "us-east-1",
                                        "eu-west-1"));
    assert_null(s3_endpoint_with_region("http://127.0.0.1:9000", "us-east-1",
                                        "eu-west-1"));
    assert_null(s3_endpoint_with_region("https://us-east-1.minio.example",
                                        "us-east-1", "eu-west-1"));
}

static char *
region_of(long status,
          const char *hdr,
          const char *code,
          const char *xml_region,
          const char *endpoint,
          const char *location)
{
    struct s3_answer a = {status, hdr, code, xml_region, endpoint, location};
    return s3_answer_region(&a);
}

static void
expect_region(char *got, const char *want)
{
    if (want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, want);
    free(got);
}

static void
test_answer_region(void **state)
{
    (void)state;
    /* 301: the header, else the Endpoint's region; a HEAD has no body */
    expect_region(region_of(301, "eu-west-1", "PermanentRedirect", NULL,
                            "bkt.s3.eu-west-1.amazonaws.com", NULL),
                  "eu-west-1");
    expect_region(region_of(301, NULL, "PermanentRedirect", NULL,
                            "bkt.s3.eu-west-2.amazonaws.com", NULL),
                  "eu-west-2");
    expect_region(region_of(301, "ap-south-1", NULL, NULL, NULL, NULL),
                  "ap-south-1");
    expect_region(region_of(301, NULL, "PermanentRedirect", NULL,
                            "s3.amazonaws.com", NULL),
                  NULL);
    expect_region(region_of(301, "eu-west-1", "NoSuchKey", NULL, NULL, NULL),
                  NULL);
    /* 307: the header, the Endpoint, the Location */
    expect_region(region_of(307, NULL, "TemporaryRedirect", NULL, NULL,
                            "https://bkt.s3-us-west-2.amazonaws.com/k?rk=1"),
                  "us-west-2");
    expect_region(region_of(307, NULL, "TemporaryRedirect", NULL,
                            "johnsmith.s3-gztb4pa9sq.amazonaws.com",
                            "http://johnsmith.s3-gztb4pa9sq.amazonaws.com/p"),
                  NULL);
    /* 400: AuthorizationHeaderMalformed names it; other 400s do not */
    expect_region(region_of(400, NULL, "AuthorizationHeaderMalformed",
                            "eu-central-1", NULL, NULL),
                  "eu-central-1");
    expect_region(region_of(400, "af-south-1",
                            "IllegalLocationConstraintException", NULL, NULL,
                            NULL),
                  "af-south-1");
    expect_region(region_of(400, "us-west-1", NULL, NULL, NULL, NULL),
                  "us-west-1");
    expect_region(
        region_of(400, "us-west-1", "EntityTooSmall", NULL, NULL, NULL), NULL);
    expect_region(region_of(403, "us-west-1", "AccessDenied", NULL, NULL, NULL),
                  NULL);
    /* hostile: nothing that is not a region name gets through */
    expect_region(region_of(301, "evil.example/x", "PermanentRedirect", NULL,
                            "evil.example", NULL),
                  NULL);
    expect_region(region_of(400, "x y", "AuthorizationHeaderMalformed",
                            "eu-west-1.evil.example:80", NULL, NULL),
                  NULL);
    expect_region(region_of(307, "", "TemporaryRedirect", NULL, NULL,
                            "http://bkt.s3.eu-west-1.amazonaws.com.evil/"),
                  NULL);
}

static void
request(struct s3_route *r, unsigned *gen, const char *url, const char *sig)
{
    char *u, *s;
    *gen = s3_route_request(r, "bkt", "k", NULL, &u, &s);
    assert_string_equal(u, url);
    assert_string_equal(s, sig);
    free(u);
    free(s);
}

static void
test_route_override(void **state)
{
    (void)state;
    struct s3_route r;
    struct fy_err err = FY_ERR_INIT;
    unsigned gen;
    unsetenv("FERRY_S3_ADDRESSING");
    /* what the profile says when no variable is set */
    assert_int_equal(
        s3_route_init(&r, "eu-west-1", NULL, S3_ADDR_PATH, "s", &err), FY_OK);
    request(&r, &gen, "https://s3.eu-west-1.amazonaws.com/bkt/k",
            "aws:amz:eu-west-1:s3");
    s3_route_release(&r);
    /* FERRY_S3_ADDRESSING wins over it */
    setenv("FERRY_S3_ADDRESSING", "virtual", 1);
    assert_int_equal(
        s3_route_init(&r, "eu-west-1", NULL, S3_ADDR_PATH, "s", &err), FY_OK);
    request(&r, &gen, "https://bkt.s3.eu-west-1.amazonaws.com/k",
            "aws:amz:eu-west-1:s3");
    s3_route_release(&r);
    assert_int_equal(s3_route_init(&r, "us-east-1", "http://s3.localhost:8000",
                                   S3_ADDR_AUTO, "s", &err),
                     FY_OK);
    request(&r, &gen, "http://bkt.s3.localhost:8000/k", "aws:amz:us-east-1:s3");
    s3_route_release(&r);
    setenv("FERRY_S3_ADDRESSING", "path", 1);
    assert_int_equal(
        s3_route_init(&r, "eu-west-1", NULL, S3_ADDR_VIRTUAL, "s", &err),
        FY_OK);
    request(&r, &gen, "https://s3.eu-west-1.amazonaws.com/bkt/k",
            "aws:amz:eu-west-1:s3");
    s3_route_release(&r);
    /* bad values are usage errors, shown escaped */
    setenv("FERRY_S3_ADDRESSING", "vhost\x1b", 1);
    assert_int_equal(
        s3_route_init(&r, "eu-west-1", NULL, S3_ADDR_AUTO, "s3://bkt/k", &err),
        FY_EUSAGE);
    assert_string_equal(err.msg, "s3://bkt/k: FERRY_S3_ADDRESSING: "
                                 "'vhost\\x1b' is not auto, path or virtual");
    s3_route_release(&r); /* harmless after a failed init */
    unsetenv("FERRY_S3_ADDRESSING");
    struct fy_err err2 = FY_ERR_INIT;
    assert_int_equal(s3_route_init(&r, "eu-west-1", NULL, S3_ADDR_INVALID,
                                   "s3://bkt/k", &err2),
                     FY_EUSAGE);
    struct fy_err err3 = FY_ERR_INIT;
    assert_int_equal(
        s3_route_init(&r, "x.evil/", NULL, S3_ADDR_AUTO, "s3://bkt/k", &err3),
        FY_EUSAGE);
    assert_non_null(strstr(err3.msg, "is not a region name"));
}

static int
follow(struct s3_route *r, unsigned gen, long status, const char *hdr)
{
    struct s3_answer a = {status, hdr, NULL, NULL, NULL, NULL};
    struct fy_err err = FY_ERR_INIT;
    int ret = s3_route_follow(r, gen, &a, "s3://bkt/k", NULL, &err);
    assert_int_equal(err.rc, ret < 0 ? FY_ERUNTIME : FY_OK);
    return ret;
}

static void
test_route_follow(void **state)
{
    (void)state;
    struct s3_route r;
    struct fy_err err = FY_ERR_INIT;
    unsigned g0, g1;
    unsetenv("FERRY_S3_ADDRESSING");
    assert_int_equal(
        s3_route_init(&r, "us-east-1", NULL, S3_ADDR_AUTO, "s", &err), FY_OK);
    request(&r, &g0, "https://bkt.s3.us-east-1.amazonaws.com/k",
            "aws:amz:us-east-1:s3");
    /* not a region answer; the region the request went to */
    assert_int_equal(follow(&r, g0, 403, "eu-west-1"), 0);
    assert_int_equal(follow(&r, g0, 301, "us-east-1"), 0);
    assert_int_equal(follow(&r, g0, 301, "bad/region"), 0);
    /* the switch: host and signing scope change together */
    assert_int_equal(follow(&r, g0, 301, "eu-west-1"), 1);
    request(&r, &g1, "https://bkt.s3.eu-west-1.amazonaws.com/k",
            "aws:amz:eu-west-1:s3");
    assert_int_not_equal(g0, g1);
    /* another request sent before the switch: sent again, no new switch */
    assert_int_equal(follow(&r, g0, 301, "eu-west-1"), 1);
    assert_int_equal(follow(&r, g0, 301, "ap-south-1"), 1);
    request(&r, &g1, "https://bkt.s3.eu-west-1.amazonaws.com/k",
            "aws:amz:eu-west-1:s3");
    /* a second switch is refused */
    assert_int_equal(follow(&r, g1, 301, "ap-south-1"), -1);
    request(&r, &g1, "https://bkt.s3.eu-west-1.amazonaws.com/k",
            "aws:amz:eu-west-1:s3");
    s3_route_release(&r);

    /* an AWS endpoint follows the region; any other stays, signed anew */
    assert_int_equal(s3_route_init(&r, "us-east-1",
                                   "https://s3.us-east-1.amazonaws.com",
                                   S3_ADDR_PATH, "s", &err),
                     FY_OK);
    request(&r, &g0, "https://s3.us-east-1.amazonaws.com/bkt/k",
            "aws:amz:us-east-1:s3");
    assert_int_equal(follow(&r, g0, 400, "eu-west-1"), 1);
    request(&r, &g0, "https://s3.eu-west-1.amazonaws.com/bkt/k",
            "aws:amz:eu-west-1:s3");
    s3_route_release(&r);
    assert_int_equal(s3_route_init(&r, "us-east-1", "http://127.0.0.1:9000",
                                   S3_ADDR_AUTO, "s", &err),
                     FY_OK);
    request(&r, &g0, "http://127.0.0.1:9000/bkt/k", "aws:amz:us-east-1:s3");
    assert_int_equal(follow(&r, g0, 301, "garage"), 1);
    request(&r, &g0, "http://127.0.0.1:9000/bkt/k", "aws:amz:garage:s3");
    s3_route_release(&r);
}

struct racer {
    struct s3_route *r;
    unsigned gen;
    int ret;
};

static void *
race(void *arg)
{
    struct racer *x = arg;
    struct s3_answer a = {301, "eu-west-1", NULL, NULL, NULL, NULL};
    struct fy_err err = FY_ERR_INIT;
    x->ret = s3_route_follow(x->r, x->gen, &a, "s3://bkt/k", NULL, &err);
    return NULL;
}

/* Parts in flight all hear "wrong region" at once: one switch, every one
 * of them sent again. */
static void
test_route_threads(void **state)
{
    (void)state;
    struct s3_route r;
    struct fy_err err = FY_ERR_INIT;
    unsetenv("FERRY_S3_ADDRESSING");
    assert_int_equal(
        s3_route_init(&r, "us-east-1", NULL, S3_ADDR_AUTO, "s", &err), FY_OK);
    struct racer x[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        char *u, *s;
        x[i].r = &r;
        x[i].gen = s3_route_request(&r, "bkt", "k", NULL, &u, &s);
        free(u);
        free(s);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race, &x[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(x[i].ret, 1);
    }
    assert_int_equal(r.switches, 1);
    assert_string_equal(r.region, "eu-west-1");
    s3_route_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_bucket_dns),
        cmocka_unit_test(test_endpoint_is_aws),
        cmocka_unit_test(test_object_url_auto),
        cmocka_unit_test(test_object_url_forced),
        cmocka_unit_test(test_regions),
        cmocka_unit_test(test_answer_region),
        cmocka_unit_test(test_route_override),
        cmocka_unit_test(test_route_follow),
        cmocka_unit_test(test_route_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
