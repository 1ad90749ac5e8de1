/*
 * Unit tests for remote_s3.c's request building.  libcurl 7.88 signs the
 * URL, query and headers it is given without canonicalizing them, so these
 * must come out exactly in SigV4 canonical form: fixed expected strings.
 * (The e2e tests also check every signature against an independent SigV4
 * implementation in tests/e2e/servers/s3.js.)
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
test_uri_encode(void **state)
{
    (void)state;
    struct sbuf sb = SBUF_INIT;
    s3_uri_encode(&sb, "a/b c+d=e&f~g_h-i.j%k\xc3\xa9", true);
    assert_string_equal(sb.buf, "a/b%20c%2Bd%3De%26f~g_h-i.j%25k%C3%A9");
    sbuf_release(&sb);
    s3_uri_encode(&sb, "x/y", false);
    assert_string_equal(sb.buf, "x%2Fy");
    sbuf_release(&sb);
    s3_uri_encode(&sb, "", false);
    assert_string_equal(sb.buf, "");
    sbuf_release(&sb);
}

static void
test_queries(void **state)
{
    (void)state;
    /* already sorted (partNumber < uploadId) and encoded */
    char *q = s3_query_part(7, "VXBsb2FkIElE+/=");
    assert_string_equal(q, "partNumber=7&uploadId=VXBsb2FkIElE%2B%2F%3D");
    free(q);
    q = s3_query_upload("abc~_-.");
    assert_string_equal(q, "uploadId=abc~_-.");
    free(q);
    q = s3_sigv4_param("ap-south-1");
    assert_string_equal(q, "aws:amz:ap-south-1:s3");
    free(q);
}

static void
test_headers(void **state)
{
    (void)state;
    struct strlist l = STRLIST_INIT;
    s3_headers(&l, true, NULL);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0], "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    strlist_release(&l);
    s3_headers(&l, false, "TOKEN/1+=");
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "x-amz-content-sha256: "
                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
                                "934ca495991b7852b855");
    assert_string_equal(l.v[1], "x-amz-security-token: TOKEN/1+=");
    strlist_release(&l);
}

static void
test_complete_xml(void **state)
{
    (void)state;
    char e1[] = "\"a1\"", e2[] = "\"b&2\"";
    char *etags[] = {e1, e2};
    char *x = s3_complete_xml(etags, 2);
    assert_string_equal(
        x, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
           "2006-03-01/\"><Part><PartNumber>1</PartNumber><ETag>\"a1\"</ETag>"
           "</Part><Part><PartNumber>2</PartNumber><ETag>\"b&amp;2\"</ETag>"
           "</Part></CompleteMultipartUpload>");
    free(x);
}

static void
test_xml(void **state)
{
    (void)state;
    const char *init =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/"
        "2006-03-01/\"><Bucket>b</Bucket><Key>k</Key><UploadId>VXB&amp;"
        "sb2</UploadId></InitiateMultipartUploadResult>";
    char *v = s3_xml_text(init, strlen(init),
                          "InitiateMultipartUploadResult/UploadId");
    assert_string_equal(v, "VXB&sb2");
    free(v);
    v = s3_xml_root(init, strlen(init));
    assert_string_equal(v, "InitiateMultipartUploadResult");
    free(v);
    /* a nested element of the same name does not count */
    const char *err = "<Error><Code>AccessDenied</Code><Message>no</Message>"
                      "<Detail><Code>x</Code></Detail></Error>";
    v = s3_xml_text(err, strlen(err), "Error/Code");
    assert_string_equal(v, "AccessDenied");
    free(v);
    assert_null(s3_xml_text(err, strlen(err), "Error/UploadId"));
    /* not well-formed, or text that only looks like the element */
    const char *bad = "<Error><Code>AccessDenied</Code>";
    assert_null(s3_xml_text(bad, strlen(bad), "Error/Code"));
    const char *fake = "<X>&lt;UploadId&gt;1&lt;/UploadId&gt;</X>";
    assert_null(s3_xml_text(fake, strlen(fake), "X/UploadId"));
    assert_null(s3_xml_root("", 0));
    /* the empty element is found, and empty */
    const char *empty = "<R><UploadId/></R>";
    v = s3_xml_text(empty, strlen(empty), "R/UploadId");
    assert_string_equal(v, "");
    free(v);
}

static void
test_ini(void **state)
{
    (void)state;
    const char *text = "# comment\n"
                       "[default]\n"
                       "aws_access_key_id = AKID1\n"
                       "aws_secret_access_key=SECRET/1+\r\n"
                       "[work]\n"
                       "  aws_access_key_id =  AKID2  \n"
                       "; other\n"
                       "[profile dev]\n"
                       "region = eu-central-1\n";
    char *v = s3_ini_get(text, "default", "aws_access_key_id");
    assert_string_equal(v, "AKID1");
    free(v);
    v = s3_ini_get(text, "default", "aws_secret_access_key");
    assert_string_equal(v, "SECRET/1+");
    free(v);
    v = s3_ini_get(text, "work", "aws_access_key_id");
    assert_string_equal(v, "AKID2");
    free(v);
    v = s3_ini_get(text, "profile dev", "region");
    assert_string_equal(v, "eu-central-1");
    free(v);
    assert_null(s3_ini_get(text, "work", "aws_secret_access_key"));
    assert_null(s3_ini_get(text, "nope", "region"));
}

static void
test_part_size(void **state)
{
    (void)state;
    const int64_t mib = 1 << 20, min = 8 * mib;
    /* files: fixed, at least min, 10,000 parts cover any size */
    assert_int_equal(s3_part_size(100 * mib, 1, min), min);
    assert_int_equal(s3_part_size(78125 * mib, 1, min), min);
    int64_t big = (int64_t)1 << 40; /* 1 TiB */
    int64_t ps = s3_part_size(big, 1, min);
    assert_true(ps * 10000 >= big);
    assert_int_equal(ps % mib, 0);
    /* streams: 8, 16, 32, 64 MiB */
    assert_int_equal(s3_part_size(-1, 1, min), min);
    assert_int_equal(s3_part_size(-1, 1000, min), min);
    assert_int_equal(s3_part_size(-1, 1001, min), 2 * min);
    assert_int_equal(s3_part_size(-1, 2001, min), 4 * min);
    assert_int_equal(s3_part_size(-1, 3001, min), 8 * min);
    assert_int_equal(s3_part_size(-1, 10000, min), 64 * mib);
    int64_t sum = 0;
    for (int i = 1; i <= S3_MAX_PARTS; i++)
        sum += s3_part_size(-1, i, min);
    assert_true(sum > ((int64_t)480 << 30));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_encode), cmocka_unit_test(test_queries),
        cmocka_unit_test(test_headers),    cmocka_unit_test(test_complete_xml),
        cmocka_unit_test(test_xml),        cmocka_unit_test(test_ini),
        cmocka_unit_test(test_part_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
