/*
 * Unit tests for resume.c and resume_record.c: the byte-range set, the URL a
 * sidecar names, the sidecar's JSON (what resume_format writes parses back;
 * anything else is refused), and FILE.part with its sidecar on disk: a
 * checkpoint kept by one run is picked up by the next, a changed object or a
 * planted symlink starts over, commit leaves FILE alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/resume.h"
#include "ferry/xalloc.h"

static void
expect_ranges(const struct resume_ranges *r, size_t n, const int64_t *v)
{
    assert_int_equal(r->n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r->v[i].from, v[2 * i]);
        assert_int_equal(r->v[i].to, v[2 * i + 1]);
    }
}

static void
test_ranges_add(void **state)
{
    (void)state;
    struct resume_ranges r = RESUME_RANGES_INIT;
    resume_ranges_add(&r, 10, 10); /* empty: nothing */
    assert_int_equal(r.n, 0);
    resume_ranges_add(&r, 20, 30);
    resume_ranges_add(&r, 0, 5);
    resume_ranges_add(&r, 40, 50);
    expect_ranges(&r, 3, (const int64_t[]){0, 5, 20, 30, 40, 50});
    resume_ranges_add(&r, 5, 10); /* touches: merged */
    expect_ranges(&r, 3, (const int64_t[]){0, 10, 20, 30, 40, 50});
    resume_ranges_add(&r, 25, 45); /* joins two */
    expect_ranges(&r, 2, (const int64_t[]){0, 10, 20, 50});
    resume_ranges_add(&r, 15, 60); /* swallows one */
    expect_ranges(&r, 2, (const int64_t[]){0, 10, 15, 60});
    resume_ranges_add(&r, 0, 100);
    expect_ranges(&r, 1, (const int64_t[]){0, 100});
    assert_int_equal(resume_ranges_bytes(&r), 100);
    resume_ranges_release(&r);
}

static void
test_ranges_gap_covers(void **state)
{
    (void)state;
    struct resume_ranges r = RESUME_RANGES_INIT;
    int64_t a, b;
    assert_true(resume_ranges_gap(&r, 100, 0, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 100);
    resume_ranges_add(&r, 0, 10);
    resume_ranges_add(&r, 20, 30);
    assert_true(resume_ranges_gap(&r, 100, 0, &a, &b));
    assert_int_equal(a, 10);
    assert_int_equal(b, 20);
    assert_true(resume_ranges_gap(&r, 100, b, &a, &b));
    assert_int_equal(a, 30);
    assert_int_equal(b, 100);
    assert_false(resume_ranges_gap(&r, 100, b, &a, &b));
    assert_false(resume_ranges_gap(&r, 10, 0, &a, &b));
    assert_true(resume_ranges_gap(&r, 25, 5, &a, &b));
    assert_int_equal(a, 10);
    assert_int_equal(b, 20);
    assert_true(resume_ranges_covers(&r, 0, 10));
    assert_true(resume_ranges_covers(&r, 22, 30));
    assert_true(resume_ranges_covers(&r, 5, 5));
    assert_false(resume_ranges_covers(&r, 5, 21));
    assert_false(resume_ranges_covers(&r, 0, 100));
    struct resume_ranges c = RESUME_RANGES_INIT;
    resume_ranges_copy(&c, &r);
    expect_ranges(&c, 2, (const int64_t[]){0, 10, 20, 30});
    resume_ranges_clear(&c);
    assert_int_equal(c.n, 0);
    resume_ranges_release(&c);
    resume_ranges_release(&r);
}

static void
test_url_id(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"s3://b/k", "s3://b/k"},
        {"https://h/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
         "&X-Amz-Date=20261127T101010Z&X-Amz-Expires=3600"
         "&X-Amz-SignedHeaders=host&X-Amz-Signature=***",
         "https://h/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***"
         "&X-Amz-SignedHeaders=host&X-Amz-Signature=***"},
        {"https://h/k?x-amz-date=1&versionId=7#frag",
         "https://h/k?versionId=7"},
        {"https://h/k?Expires=9&AWSAccessKeyId=a",
         "https://h/k?AWSAccessKeyId=a"},
        {"https://h/k?X-Goog-Date=1&X-Goog-Expires=2", "https://h/k"},
        {"https://h/k?expiresx=1&a", "https://h/k?expiresx=1&a"},
        {"https://h/k?", "https://h/k"},
        {"http://u:***@h/k#x", "http://u:***@h/k"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *id = resume_url_id(cases[i][0]);
        assert_string_equal(id, cases[i][1]);
        free(id);
    }
}

static void
test_token(void **state)
{
    (void)state;
    assert_true(resume_token_ok("\"abc\""));
    assert_true(resume_token_ok("Tue, 01 Dec 2026 10:00:00 GMT"));
    assert_false(resume_token_ok(NULL));
    assert_false(resume_token_ok(""));
    assert_false(resume_token_ok("a\rb"));
    assert_false(resume_token_ok("a\nIf-None-Match: *"));
    assert_false(resume_token_ok("\xc3\xa9"));
    char *big = xmalloc(RESUME_MAX_TOKEN + 2);
    memset(big, 'a', RESUME_MAX_TOKEN + 1);
    big[RESUME_MAX_TOKEN + 1] = '\0';
    assert_false(resume_token_ok(big));
    big[RESUME_MAX_TOKEN] = '\0';
    assert_true(resume_token_ok(big));
    free(big);
}

static void
test_format_parse(void **state)
{
    (void)state;
    struct resume_meta m = {xstrdup("https://h/k?sig=***"), 1000,
                            xstrdup("\"e\\tag\""), NULL};
    struct resume_ranges r = RESUME_RANGES_INIT;
    resume_ranges_add(&r, 0, 100);
    resume_ranges_add(&r, 500, 1000);
    char *text = resume_format(&m, &r);
    assert_non_null(strchr(text, '\n'));
    assert_non_null(strstr(text, "\"modified\":null"));
    struct resume_meta got = RESUME_META_INIT;
    struct resume_ranges done = RESUME_RANGES_INIT;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(resume_parse(text, strlen(text), &got, &done, &err),
                     FY_OK);
    assert_true(resume_meta_same(&got, &m));
    expect_ranges(&done, 2, (const int64_t[]){0, 100, 500, 1000});
    resume_meta_release(&got);
    resume_ranges_release(&done);
    free(text);
    resume_meta_release(&m);
    resume_ranges_release(&r);
}

#define HEAD_ "{\"format\":\"ferry-resume\",\"version\":1,\"url\":\"s3://b/k\","

static void
test_parse_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "garbage",
        "[]",
        "{}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[],"
              "\"x\":1}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null}",
        HEAD_ "\"size\":10,\"etag\":null,\"etag\":null,\"modified\":null,"
              "\"done\":[]}",
        "{\"format\":\"ferry-resume\",\"version\":2,\"url\":\"s3://b/k\","
        "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]}",
        "{\"format\":\"other\",\"version\":1,\"url\":\"s3://b/k\","
        "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]}",
        "{\"format\":\"ferry-resume\",\"version\":1,\"url\":\"\","
        "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]}",
        "{\"format\":\"ferry-resume\",\"version\":1,\"url\":\"a\\u0000b\","
        "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]}",
        "{\"format\":\"ferry-resume\",\"version\":1,\"url\":7,"
        "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":-1,\"etag\":null,\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":1.5,\"etag\":null,\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":\"10\",\"etag\":null,\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":99999999999999999,\"etag\":null,\"modified\":null,"
              "\"done\":[]}",
        HEAD_ "\"size\":10,\"etag\":\"a\\nb\",\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":10,\"etag\":\"\",\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":10,\"etag\":5,\"modified\":null,\"done\":[]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":\"\\u00e9\",\"done\":[]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":{}}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[[0]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[[0,1,2]]}",
        HEAD_
        "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[[0,\"1\"]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[[0,11]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[[-1,2]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[[3,3]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,"
              "\"done\":[[5,6],[0,1]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,"
              "\"done\":[[0,5],[4,6]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,"
              "\"done\":[[0,5],[5,6]]}",
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":null,\"done\":[]} x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct resume_meta m = RESUME_META_INIT;
        struct resume_ranges r = RESUME_RANGES_INIT;
        struct fy_err err = FY_ERR_INIT;
        if (resume_parse(bad[i], strlen(bad[i]), &m, &r, &err) != FY_EINPUT)
            fail_msg("accepted: %s", bad[i]);
        assert_null(m.url);
        assert_int_equal(r.n, 0);
        assert_null(strchr(err.msg, '\n'));
    }
    /* the good one those are made from */
    const char *good =
        HEAD_ "\"size\":10,\"etag\":null,\"modified\":\"1700000000\","
              "\"done\":[[0,5],[6,10]]}";
    struct resume_meta m = RESUME_META_INIT;
    struct resume_ranges r = RESUME_RANGES_INIT;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(resume_parse(good, strlen(good), &m, &r, &err), FY_OK);
    assert_string_equal(m.modified, "1700000000");
    resume_meta_release(&m);
    resume_ranges_release(&r);
    /* too many ranges, too much text */
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, HEAD_ "\"size\":100000,\"etag\":null,\"modified\":null,"
                         "\"done\":[");
    for (int i = 0; i <= RESUME_MAX_RANGES; i++)
        sbuf_addf(&sb, "%s[%d,%d]", i ? "," : "", 2 * i, 2 * i + 1);
    sbuf_adds(&sb, "]}");
    assert_int_equal(resume_parse(sb.buf, sb.len, &m, &r, &err), FY_EINPUT);
    sbuf_release(&sb);
    char *big = xcalloc(1, RESUME_MAX_TEXT + 1);
    memset(big, ' ', RESUME_MAX_TEXT + 1);
    assert_int_equal(resume_parse(big, RESUME_MAX_TEXT + 1, &m, &r, &err),
                     FY_EINPUT);
    free(big);
}

/* ------------------------------------------------- files on disk */

struct box {
    char dir[64];
    char *path;
    struct out_opts oo;
    struct out out;
};

static int
setup_box(void **state)
{
    struct box *b = xcalloc(1, sizeof *b);
    snprintf(b->dir, sizeof b->dir, "/tmp/ferry-resume-XXXXXX");
    if (mkdtemp(b->dir) == NULL)
        return -1;
    b->path = xasprintf("%s/obj.bin", b->dir);
    b->oo = (struct out_opts){-1, false, true, OUT_COLOR_NEVER, NULL};
    out_init(&b->out, &b->oo);
    *state = b;
    return 0;
}

static int
teardown_box(void **state)
{
    struct box *b = *state;
    struct fy_err err = FY_ERR_INIT;
    fs_remove_tree_at(AT_FDCWD, b->dir, &err);
    free(b->path);
    free(b);
    return 0;
}

static char *
side_of(const struct box *b)
{
    return xasprintf("%s.part.ferry", b->path);
}

static void
test_keep_and_resume(void **state)
{
    struct box *b = *state;
    struct resume_meta want = {xstrdup("s3://b/k"), 8192, xstrdup("\"e1\""),
                               NULL};
    struct resume *r;
    struct fy_err err = FY_ERR_INIT;
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(resume_open(&r, b->path, &want, true, &b->out, &err),
                     FY_OK);
    assert_int_equal(resume_have(r)->n, 0);
    assert_int_equal(pwrite(resume_fd(r), buf, sizeof buf, 4096), 4096);
    struct resume_ranges w = RESUME_RANGES_INIT;
    resume_ranges_add(&w, 4096, 8192);
    assert_true(resume_keep(r, &w));
    char *side = side_of(b);
    struct stat st;
    assert_int_equal(stat(side, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* the same object: picked up */
    assert_int_equal(resume_open(&r, b->path, &want, true, &b->out, &err),
                     FY_OK);
    expect_ranges(resume_have(r), 1, (const int64_t[]){4096, 8192});
    /* a second opener is refused while r holds it */
    struct resume *r2;
    assert_int_equal(resume_open(&r2, b->path, &want, true, &b->out, &err),
                     FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "another ferry"));
    fy_err_clear(&err);
    assert_int_equal(pwrite(resume_fd(r), buf, sizeof buf, 0), 4096);
    assert_int_equal(resume_commit(r, &err), FY_OK);
    assert_int_equal(stat(b->path, &st), 0);
    assert_int_equal(st.st_size, 8192);
    assert_int_not_equal(stat(side, &st), 0);
    free(side);
    resume_ranges_release(&w);
    resume_meta_release(&want);
}

static void
test_changed_starts_over(void **state)
{
    struct box *b = *state;
    struct resume_meta want = {xstrdup("s3://b/k"), 100, xstrdup("\"e1\""),
                               NULL};
    struct resume *r;
    struct fy_err err = FY_ERR_INIT;
    struct resume_ranges w = RESUME_RANGES_INIT;
    resume_ranges_add(&w, 0, 50);
    assert_int_equal(resume_open(&r, b->path, &want, true, &b->out, &err),
                     FY_OK);
    assert_int_equal(pwrite(resume_fd(r), "y", 1, 0), 1);
    assert_true(resume_keep(r, &w));
    /* another ETag: nothing trusted, the old bytes are gone */
    free(want.etag);
    want.etag = xstrdup("\"e2\"");
    assert_int_equal(resume_open(&r, b->path, &want, true, &b->out, &err),
                     FY_OK);
    assert_int_equal(resume_have(r)->n, 0);
    char c = 'z';
    assert_int_equal(pread(resume_fd(r), &c, 1, 0), 1);
    assert_int_equal(c, '\0');
    char *side = side_of(b);
    struct stat st;
    assert_int_not_equal(stat(side, &st), 0); /* dropped before reuse */
    /* nothing written yet: keeping it keeps nothing */
    struct resume_ranges none = RESUME_RANGES_INIT;
    assert_false(resume_keep(r, &none));
    char *part = xasprintf("%s.part", b->path);
    assert_int_not_equal(stat(part, &st), 0);
    free(part);
    free(side);
    resume_ranges_release(&w);
    resume_meta_release(&want);
}

static void
test_symlink_part(void **state)
{
    struct box *b = *state;
    struct resume_meta want = {xstrdup("s3://b/k"), 10, xstrdup("\"e\""), NULL};
    char *victim = xasprintf("%s/victim", b->dir);
    char *part = xasprintf("%s.part", b->path);
    struct fy_err err = FY_ERR_INIT;
    struct resume *r;
    assert_int_equal(fs_write_file(victim, "keep", 4, 0644, &err), FY_OK);
    assert_int_equal(symlink(victim, part), 0);
    assert_int_equal(resume_open(&r, b->path, &want, true, &b->out, &err),
                     FY_OK);
    assert_int_equal(pwrite(resume_fd(r), "0123456789", 10, 0), 10);
    resume_discard(r);
    struct stat st;
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_size, 4);
    assert_int_not_equal(lstat(part, &st), 0);
    free(victim);
    free(part);
    resume_meta_release(&want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges_add),
        cmocka_unit_test(test_ranges_gap_covers),
        cmocka_unit_test(test_url_id),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test_setup_teardown(test_keep_and_resume, setup_box,
                                        teardown_box),
        cmocka_unit_test_setup_teardown(test_changed_starts_over, setup_box,
                                        teardown_box),
        cmocka_unit_test_setup_teardown(test_symlink_part, setup_box,
                                        teardown_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
