/*
 * Unit tests for the parsers behind `ferry ls`: the ListObjectsV2 answer
 * (remote_s3list.c) fed as hostile servers would send it, the query it
 * signs, and the SFTP listing lines (remote_list.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ferry/remote_list.h"
#include "ferry/xalloc.h"

#define HEAD                                                                   \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                             \
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"     \
    "<Name>bkt</Name>"
#define TAIL "</ListBucketResult>"

/* Parse xml whole (step 0) or in pieces of step bytes; finish it. */
static enum fy_rc
parse_in(const char *xml,
         size_t step,
         const char *prefix,
         const char *sent,
         struct s3_list_page *page,
         struct fy_err *err)
{
    struct s3_list_parser *p = s3_list_parser_new();
    size_t len = strlen(xml), off = 0;
    enum fy_rc rc = FY_OK;
    if (step == 0)
        step = len;
    while (rc == FY_OK && off < len) {
        size_t n = len - off < step ? len - off : step;
        rc = s3_list_parser_feed(p, xml + off, n, false, err);
        off += n;
    }
    if (rc == FY_OK)
        rc = s3_list_parser_feed(p, "", 0, true, err);
    if (rc == FY_OK)
        rc = s3_list_parser_finish(p, prefix, sent, page, err);
    s3_list_parser_free(p);
    return rc;
}

static enum fy_rc
parse(const char *xml, struct s3_list_page *page, struct fy_err *err)
{
    return parse_in(xml, 0, "", NULL, page, err);
}

/* Parsing xml fails with a message containing want. */
static void
assert_refused(const char *xml, const char *prefix, const char *want)
{
    struct s3_list_page page;
    struct fy_err err = FY_ERR_INIT;
    memset(&page, 0, sizeof page);
    assert_int_equal(parse_in(xml, 0, prefix, "tok0", &page, &err),
                     FY_ERUNTIME);
    if (strstr(err.msg, want) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_null(page.items);
}

static void
test_page(void **state)
{
    (void)state;
    const char *xml =
        HEAD "<Prefix>d/</Prefix><KeyCount>3</KeyCount>"
             "<IsTruncated>true</IsTruncated>"
             "<NextContinuationToken>tok1</NextContinuationToken>"
             "<Contents><Key>d/a.tar.zst</Key>"
             "<LastModified>2026-11-27T12:34:56.000Z</LastModified>"
             "<ETag>&quot;x&quot;</ETag><Size>1234</Size>"
             "<StorageClass>STANDARD</StorageClass></Contents>"
             "<Contents><Key>d/b</Key><Size>12x</Size>"
             "<LastModified>yesterday</LastModified></Contents>"
             "<CommonPrefixes><Prefix>d/sub/</Prefix></CommonPrefixes>" TAIL;
    /* whole, and byte by byte: the same page */
    for (size_t step = 0; step < 2; step++) {
        struct s3_list_page page;
        struct fy_err err = FY_ERR_INIT;
        assert_int_equal(parse_in(xml, step, "d/", NULL, &page, &err), FY_OK);
        assert_int_equal(page.n, 3);
        assert_true(page.truncated);
        assert_string_equal(page.next_token, "tok1");
        assert_string_equal(page.items[0].key, "d/a.tar.zst");
        assert_false(page.items[0].prefix);
        assert_int_equal(page.items[0].size, 1234);
        assert_true(page.items[0].has_mtime);
        assert_int_equal(page.items[0].mtime, 1795782896);
        /* a size or time that does not parse is unknown, not an error */
        assert_string_equal(page.items[1].key, "d/b");
        assert_int_equal(page.items[1].size, -1);
        assert_false(page.items[1].has_mtime);
        assert_string_equal(page.items[2].key, "d/sub/");
        assert_true(page.items[2].prefix);
        s3_list_page_release(&page);
    }
}

static void
test_no_is_truncated(void **state)
{
    (void)state;
    /* no IsTruncated: the listing ends here, even with a token */
    struct s3_list_page page;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(
        parse(HEAD "<NextContinuationToken>t</NextContinuationToken>"
                   "<Contents><Key>k</Key><Size>1</Size></Contents>" TAIL,
              &page, &err),
        FY_OK);
    assert_false(page.truncated);
    assert_null(page.next_token);
    assert_int_equal(page.n, 1);
    s3_list_page_release(&page);
    /* an empty last page */
    assert_int_equal(
        parse(HEAD "<IsTruncated>false</IsTruncated>" TAIL, &page, &err),
        FY_OK);
    assert_int_equal(page.n, 0);
    assert_false(page.truncated);
    s3_list_page_release(&page);
}

static void
test_tokens(void **state)
{
    (void)state;
    assert_refused(HEAD "<IsTruncated>true</IsTruncated>" TAIL, "",
                   "truncated but names no continuation token");
    assert_refused(HEAD "<IsTruncated>true</IsTruncated>"
                        "<NextContinuationToken></NextContinuationToken>" TAIL,
                   "", "names no continuation token");
    /* the token sent (tok0) comes back: the same page forever */
    assert_refused(HEAD "<IsTruncated>true</IsTruncated>"
                        "<NextContinuationToken>tok0</NextContinuationToken>"
                        "<Contents><Key>k</Key></Contents>" TAIL,
                   "", "does not move on");
    assert_refused(HEAD "<IsTruncated>maybe</IsTruncated>" TAIL, "",
                   "IsTruncated is 'maybe'");
}

static void
test_huge(void **state)
{
    (void)state;
    /* a key longer than S3_LIST_MAX_TEXT: refused, not kept */
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, HEAD "<Contents><Key>");
    for (int i = 0; i < S3_LIST_MAX_TEXT + 1; i++)
        sbuf_adds(&sb, "a");
    sbuf_adds(&sb, "</Key></Contents>" TAIL);
    assert_refused(sb.buf, "", "longer than 8192 bytes");
    sbuf_release(&sb);
    /* one more entry than a page may hold */
    sbuf_adds(&sb, HEAD);
    for (int i = 0; i < S3_LIST_MAX_ITEMS + 1; i++)
        sbuf_adds(&sb, "<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>");
    sbuf_adds(&sb, TAIL);
    assert_refused(sb.buf, "", "more than 10000 entries");
    sbuf_release(&sb);
    /* a page of 17 MiB (of things we do not even keep) */
    struct s3_list_parser *p = s3_list_parser_new();
    struct fy_err err = FY_ERR_INIT;
    char *junk = xmalloc(1 << 20);
    memset(junk, ' ', 1 << 20);
    enum fy_rc rc = s3_list_parser_feed(p, HEAD, strlen(HEAD), false, &err);
    for (int i = 0; i < 17 && rc == FY_OK; i++)
        rc = s3_list_parser_feed(p, junk, 1 << 20, false, &err);
    assert_int_equal(rc, FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "larger than 16 MiB"));
    /* and it stays failed */
    assert_int_equal(s3_list_parser_feed(p, TAIL, strlen(TAIL), true, &err),
                     FY_ERUNTIME);
    free(junk);
    s3_list_parser_free(p);
    /* nesting */
    sbuf_adds(&sb, HEAD);
    for (int i = 0; i < 40; i++)
        sbuf_adds(&sb, "<x>");
    for (int i = 0; i < 40; i++)
        sbuf_adds(&sb, "</x>");
    sbuf_adds(&sb, TAIL);
    assert_refused(sb.buf, "", "nested more than 16 deep");
    sbuf_release(&sb);
}

static void
test_entities(void **state)
{
    (void)state;
    struct s3_list_page page;
    struct fy_err err = FY_ERR_INIT;
    /* predefined and character references are decoded */
    assert_int_equal(parse(HEAD "<Contents><Key>a&amp;b&lt;c&#x41;&#9;&#xe9;"
                                "</Key></Contents>" TAIL,
                           &page, &err),
                     FY_OK);
    assert_string_equal(page.items[0].key, "a&b<cA\t\xc3\xa9");
    s3_list_page_release(&page);
    /* XML 1.0 has no escape for ESC: such a key comes %-encoded
     * (test_url_encoded) or not at all */
    assert_refused(HEAD "<Contents><Key>a&#27;b</Key></Contents>" TAIL, "",
                   "not well-formed XML");
    /* a DTD is refused: no entity is ever defined, so none can expand */
    assert_refused("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">"
                   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
                   "<ListBucketResult><Contents><Key>&b;</Key></Contents>"
                   "</ListBucketResult>",
                   "", "has a DTD");
    /* an undefined entity is not well-formed */
    assert_refused(HEAD "<Contents><Key>&nope;</Key></Contents>" TAIL, "",
                   "not well-formed XML");
}

static void
test_malformed(void **state)
{
    (void)state;
    assert_refused(HEAD "<Contents><Key>k</Key>" TAIL, "",
                   "not well-formed XML");
    assert_refused(HEAD "<Contents><Key>k</Key></Contents>", "",
                   "not well-formed XML");
    assert_refused("", "", "not well-formed");
    assert_refused("<Error><Code>AccessDenied</Code></Error>", "",
                   "the answer is <Error>, not a ListBucketResult");
    assert_refused(HEAD "<Contents><Size>1</Size></Contents>" TAIL, "",
                   "without a Key");
    assert_refused(HEAD "<CommonPrefixes></CommonPrefixes>" TAIL, "",
                   "without a Prefix");
    assert_refused(HEAD "<Contents><Key></Key></Contents>" TAIL, "",
                   "an empty key");
    /* every key must be under the prefix asked for */
    assert_refused(HEAD "<Contents><Key>d/ok</Key></Contents>"
                        "<EncodingType>url</EncodingType>"
                        "<Contents><Key>..%2Fetc%2Fx%1B</Key></Contents>" TAIL,
                   "d/", "a key outside the prefix asked for: ../etc/x\\x1b");
}

static void
test_url_encoded(void **state)
{
    (void)state;
    struct s3_list_page page;
    struct fy_err err = FY_ERR_INIT;
    /* decoded only when the server says it encoded them */
    assert_int_equal(
        parse_in(HEAD "<EncodingType>url</EncodingType>"
                      "<Contents><Key>d/a%20b+c%2Fd%25%1B</Key></Contents>"
                      "<CommonPrefixes><Prefix>d/%C3%A9/</Prefix>"
                      "</CommonPrefixes>" TAIL,
                 3, "d/", NULL, &page, &err),
        FY_OK);
    assert_string_equal(page.items[0].key, "d/a b c/d%\x1b");
    assert_string_equal(page.items[1].key, "d/\xc3\xa9/");
    s3_list_page_release(&page);
    assert_int_equal(
        parse(HEAD "<Contents><Key>a%20b+c</Key></Contents>" TAIL, &page, &err),
        FY_OK);
    assert_string_equal(page.items[0].key, "a%20b+c");
    s3_list_page_release(&page);
    assert_refused(HEAD "<EncodingType>url</EncodingType>"
                        "<Contents><Key>a%zz</Key></Contents>" TAIL,
                   "", "badly %-encoded");
    assert_refused(HEAD "<EncodingType>url</EncodingType>"
                        "<Contents><Key>a%00b</Key></Contents>" TAIL,
                   "", "badly %-encoded");
}

static void
test_query(void **state)
{
    (void)state;
    char *q = s3_list_query("saves/ws 1+", NULL, true, 1000);
    assert_string_equal(q, "delimiter=%2F&encoding-type=url&list-type=2&"
                           "max-keys=1000&prefix=saves%2Fws%201%2B");
    free(q);
    q = s3_list_query("", "1/a+b=", false, 7);
    assert_string_equal(q, "continuation-token=1%2Fa%2Bb%3D&encoding-type=url&"
                           "list-type=2&max-keys=7");
    free(q);
}

static void
test_time(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_true(s3_parse_time("1970-01-01T00:00:10Z", &t));
    assert_int_equal(t, 10);
    assert_true(s3_parse_time("2026-11-27T12:34:56.789Z", &t));
    assert_int_equal(t, 1795782896);
    assert_true(s3_parse_time("2026-11-27T12:34:56", &t));
    assert_false(s3_parse_time("2026-11-27 12:34:56Z", &t));
    assert_false(s3_parse_time("2026-11-27T12:34:56.Z", &t));
    assert_false(s3_parse_time("2026-11-27T12:34:56Zjunk", &t));
    assert_false(s3_parse_time("", &t));
}

static void
test_ls_line(void **state)
{
    (void)state;
    char *name;
    enum remote_entry_type type;
    int64_t size, mtime;
    /* 2026-11-27 12:00 UTC */
    time_t now = 1795780800;
    setenv("TZ", "UTC", 1);
    tzset();
    assert_true(remote_ls_line("-rw-r--r--    1 me       me        1234 Nov "
                               "27 11:59 ws.tar.zst",
                               now, &name, &type, &size, &mtime));
    assert_string_equal(name, "ws.tar.zst");
    assert_int_equal(type, REMOTE_ENTRY_FILE);
    assert_int_equal(size, 1234);
    assert_int_equal(mtime, now - 60);
    free(name);
    /* a December date seen in November is last year's */
    assert_true(remote_ls_line("-rw-r--r--    1 0 0 5 Dec 24 18:00 x", now,
                               &name, &type, &size, &mtime));
    assert_int_equal(mtime, 1766599200); /* 2025-12-24 18:00 */
    free(name);
    /* older than six months: the year, no time; spaces in the name kept */
    assert_true(remote_ls_line("drwxr-xr-x+   2 me me 4096 Jan  2  2020  two "
                               "spaces",
                               now, &name, &type, &size, &mtime));
    assert_string_equal(name, " two spaces");
    assert_int_equal(type, REMOTE_ENTRY_DIR);
    assert_int_equal(mtime, 1577923200); /* 2020-01-02 00:00 */
    free(name);
    /* a symlink: libcurl appends " -> TARGET" */
    assert_true(remote_ls_line("lrwxrwxrwx    1 me me 5 Nov 27 11:00 ln -> "
                               "a -> b",
                               now, &name, &type, &size, &mtime));
    assert_string_equal(name, "ln");
    assert_int_equal(type, REMOTE_ENTRY_LINK);
    free(name);
    assert_true(remote_ls_line("prw-r--r--    1 me me 0 Nov 27 11:00 fifo", now,
                               &name, &type, &size, &mtime));
    assert_int_equal(type, REMOTE_ENTRY_OTHER);
    free(name);
    /* not an entry ferry takes */
    static const char *const bad[] = {
        "",
        "total 12",
        "-rw-r--r--    1 me me 1 Nov 27 11:00 .",
        "drwxr-xr-x    1 me me 1 Nov 27 11:00 ..",
        "-rw-r--r--    1 me me 1 Nov 27 11:00 a/b",
        "-rw-r--r--    1 me me 1 Nov 27 11:00 ",
        "-rw-r--r--    1 me me 1 Nov 27 11:00",
        "-rw-r--r--    1 me me 1 Foo 27 11:00 x",
        "-rw-r--r--    1 me me 1 Nov 32 11:00 x",
        "-rw-r--r--    1 me me 1 Nov 27 24:00 x",
        "-rw-r--r--    1 me me -1 Nov 27 11:00 x",
        "-rw-r--r--    1 me me 99999999999999999999 Nov 27 11:00 x",
        "xrw-r--r--    1 me me 1 Nov 27 11:00 x",
        "-rw-r--r-    1 me me 1 Nov 27 11:00 x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (remote_ls_line(bad[i], now, &name, &type, &size, &mtime))
            fail_msg("accepted: '%s'", bad[i]);
        assert_null(name);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page),
        cmocka_unit_test(test_no_is_truncated),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_url_encoded),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_ls_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
