/*
 * Unit tests for the incremental sets' documents (incr_index.c,
 * incr_state.c): the index round trip and every way a hostile server
 * could bend it, a state object's checks (names that are not ours, sizes,
 * order of layers), object names, and the small zstd documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/incr_int.h"
#include "ferry/arc.h"
#include "ferry/incr.h"
#include "ferry/xalloc.h"

#define H32 "0123456789abcdef0123456789abcdef"
#define S64 H32 H32

static enum fy_rc
parse_text(const char *t, struct incr_index *x)
{
    struct fy_err err = FY_ERR_INIT;
    memset(x, 0, sizeof *x);
    return incr_index_parse(t, strlen(t), "idx", x, &err);
}

static void
index_round_trip(void **state)
{
    (void)state;
    struct incr_index x = INCR_INDEX_INIT, y;
    x.scanned_ns = 1700000000123456789LL;
    struct incr_ent *e = incr_index_add(&x, "a dir/f%1.txt", NULL);
    e->type = 'f';
    e->layer = 3;
    e->mode = 0644;
    e->size = 12;
    e->mtime_ns = -5; /* before 1970 */
    e->ctime_ns = 99;
    e->ino = UINT64_MAX;
    memset(e->hash, 0xab, 16);
    e = incr_index_add(&x, "a dir", NULL);
    e->type = 'd';
    e->layer = 1;
    e->mode = 0755;
    e = incr_index_add(&x, "h\nname", "a dir/f%1.txt");
    e->type = 'h';
    e->layer = 3;
    struct sbuf t = SBUF_INIT;
    incr_index_write(&x, &t);
    assert_int_equal(parse_text(t.buf, &y), FY_OK);
    assert_int_equal(y.n, 3);
    assert_int_equal(y.scanned_ns, x.scanned_ns);
    const struct incr_ent *f = incr_index_get(&y, "a dir/f%1.txt");
    assert_non_null(f);
    assert_int_equal(f->mtime_ns, -5);
    assert_true(f->ino == UINT64_MAX);
    assert_memory_equal(f->hash, x.v[0].hash, 16);
    const struct incr_ent *h = incr_index_get(&y, "h\nname");
    assert_non_null(h);
    assert_string_equal(incr_ent_link(&y, h), "a dir/f%1.txt");
    assert_null(incr_index_get(&y, "missing"));
    /* the same text again */
    struct sbuf t2 = SBUF_INIT;
    incr_index_write(&y, &t2);
    assert_string_equal(t.buf, t2.buf);
    sbuf_release(&t);
    sbuf_release(&t2);
    incr_index_release(&x);
    incr_index_release(&y);
}

static void
index_hostile(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "ferry-index 2 0\nend 0\n",
        "ferry-index 1 0\n",                                     /* no end */
        "ferry-index 1 0\nend 1\n",                              /* count */
        "ferry-index 1 0\nend 0\nf 1 644 1 0 0 0 " H32 " a\n",   /* after end */
        "ferry-index 1 0\nx 1 644 1 0 0 0 " H32 " a\nend 1\n",   /* type */
        "ferry-index 1 0\nf 0 644 1 0 0 0 " H32 " a\nend 1\n",   /* layer 0 */
        "ferry-index 1 0\nf 1 999 1 0 0 0 " H32 " a\nend 1\n",   /* mode */
        "ferry-index 1 0\nf 1 644 -1 0 0 0 " H32 " a\nend 1\n",  /* size */
        "ferry-index 1 0\nf 1 644 1 0 0 0 xyz a\nend 1\n",       /* hash */
        "ferry-index 1 0\nd 1 755 0 0 0 0 " H32 " a\nend 1\n",   /* d hash */
        "ferry-index 1 0\nf 1 644 1 0 0 0 " H32 " a b\nend 1\n", /* f link */
        "ferry-index 1 0\nh 1 644 1 0 0 0 " H32 " a\nend 1\n",   /* h no link */
        "ferry-index 1 0\nf 1 644 1 0 0 0 " H32 " a\nf 1 644 1 0 0 0 " H32
        " a\nend 2\n",                                            /* twice */
        "ferry-index 1 0\nf 1 644 1 0 0 0 " H32 " a%zz\nend 1\n", /* escape */
        "ferry-index 1 0\nf 1 644 1 0 0 0 " H32 " \nend 1\n",     /* no path */
        "ferry-index 1 0\nf 1 644 99999999999999999999 0 0 0 " H32
        " a\nend 1\n",                                       /* overflow */
        "ferry-index 1 0\nf 1 644 1 0 0 0 " H32 " a\nend 1", /* no newline */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct incr_index x;
        struct fy_err err = FY_ERR_INIT;
        memset(&x, 0, sizeof x);
        enum fy_rc rc =
            incr_index_parse(bad[i], strlen(bad[i]), "idx", &x, &err);
        if (rc != FY_EINPUT)
            fail_msg("case %zu parsed: %s", i, bad[i]);
        assert_non_null(strstr(err.msg, "idx: "));
        incr_index_release(&x);
    }
}

static enum fy_rc
parse_state(const char *json, struct incr_state *s)
{
    struct fy_err err = FY_ERR_INIT;
    return incr_state_parse(json, strlen(json), "state-00000003.json", s, &err);
}

#define LAYER(n, k)                                                            \
    "{\"name\": \"layer-0000000" #n "-0a0b0c0d.tar.zst\", \"seq\": " #n        \
    ", \"size\": 10, \"sha256\": \"" S64 "\", \"kind\": \"" k "\"}"
#define INDEX                                                                  \
    "\"index\": {\"name\": \"index-00000003-0a0b0c0d.zst\", \"seq\": 3, "      \
    "\"size\": 5, \"sha256\": \"" S64 "\"}"
#define STATE(layers, index)                                                   \
    "{\"ferry_set\": 1, \"set\": \"" H32 "\", \"seq\": 3, \"time\": 1, "       \
    "\"files\": 0, \"bytes\": 0, \"layers\": [" layers "], " index "}"

static void
state_parse(void **state)
{
    (void)state;
    struct incr_state s;
    assert_int_equal(
        parse_state(STATE(LAYER(1, "full") ", " LAYER(3, "delta"), INDEX), &s),
        FY_OK);
    assert_int_equal(s.n, 2);
    assert_true(s.layers[0].full);
    assert_int_equal(s.layers[1].seq, 3);
    /* what it writes, it reads */
    char *j = incr_state_json(&s);
    struct incr_state t;
    assert_int_equal(parse_state(j, &t), FY_OK);
    assert_string_equal(t.index.name, s.index.name);
    free(j);
    incr_state_release(&t);
    incr_state_release(&s);

    static const char *const bad[] = {
        "not json",
        STATE("", INDEX),                /* no layer */
        STATE(LAYER(1, "delta"), INDEX), /* first a delta */
        STATE(LAYER(1, "full") ", " LAYER(2, "full"), INDEX),  /* 2 full */
        STATE(LAYER(3, "full") ", " LAYER(1, "delta"), INDEX), /* order */
        STATE(LAYER(5, "full"), INDEX),                        /* newer */
        STATE("{\"name\": \"../x\", \"seq\": 1, \"size\": 1, \"sha256\": \"" S64
              "\", \"kind\": \"full\"}",
              INDEX), /* not our name */
        STATE("{\"name\": \"layer-00000001-0a0b0c0d.tar.zst\", \"seq\": 2, "
              "\"size\": 1, \"sha256\": \"" S64 "\", \"kind\": \"full\"}",
              INDEX), /* seq not the name's */
        STATE("{\"name\": \"layer-00000001-0a0b0c0d.tar.zst\", \"seq\": 1, "
              "\"size\": -1, \"sha256\": \"" S64 "\", \"kind\": \"full\"}",
              INDEX), /* size */
        STATE(LAYER(1, "full"), "\"index\": 7"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&s, 0, sizeof s);
        if (parse_state(bad[i], &s) != FY_EINPUT)
            fail_msg("case %zu parsed: %s", i, bad[i]);
        incr_state_release(&s);
    }
}

static void
names(void **state)
{
    (void)state;
    char k;
    int64_t seq;
    assert_true(incr_name_parse("state-00000012.json", &k, &seq));
    assert_int_equal(k, 's');
    assert_int_equal(seq, 12);
    assert_true(incr_name_parse("layer-00000001-0a0b0c0d.tar.zst", &k, &seq));
    assert_int_equal(k, 'l');
    assert_true(incr_name_parse("index-123456789-ffffffff.zst", &k, &seq));
    assert_int_equal(seq, 123456789);
    assert_false(incr_name_parse("state-1.json", &k, &seq));
    assert_false(incr_name_parse("state-00000000.json", &k, &seq));
    assert_false(incr_name_parse("state-00000001.json.part", &k, &seq));
    assert_false(incr_name_parse("layer-00000001-0A0B0C0D.tar.zst", &k, &seq));
    assert_false(incr_name_parse("layer-00000001.tar.zst", &k, &seq));
    assert_false(incr_name_parse("layer-00000001-0a0b0c0d.tar.gz", &k, &seq));
    assert_false(incr_name_parse("x/state-00000001.json", &k, &seq));
    assert_true(incr_is_set("s3://b/x/"));
    assert_false(incr_is_set("s3://b/x.tar.zst"));
}

static void
blob(void **state)
{
    (void)state;
    struct sbuf z = SBUF_INIT, back = SBUF_INIT;
    struct fy_err err = FY_ERR_INIT;
    char text[5000];
    memset(text, 'q', sizeof text);
    arc_blob_compress(text, sizeof text, &z);
    assert_true(z.len < 200);
    assert_int_equal(arc_blob_decompress(z.buf, z.len, 10000, "b", &back, &err),
                     FY_OK);
    assert_int_equal(back.len, sizeof text);
    /* too big, truncated, garbage */
    back.len = 0;
    assert_int_equal(arc_blob_decompress(z.buf, z.len, 100, "b", &back, &err),
                     FY_EINPUT);
    fy_err_clear(&err);
    back.len = 0;
    assert_int_equal(
        arc_blob_decompress(z.buf, z.len - 3, 10000, "b", &back, &err),
        FY_EINPUT);
    fy_err_clear(&err);
    back.len = 0;
    assert_int_equal(arc_blob_decompress("hello", 5, 10000, "b", &back, &err),
                     FY_EINPUT);
    sbuf_release(&z);
    sbuf_release(&back);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(index_round_trip),
        cmocka_unit_test(index_hostile),
        cmocka_unit_test(state_parse),
        cmocka_unit_test(names),
        cmocka_unit_test(blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
