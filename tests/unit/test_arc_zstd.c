/*
 * test_arc_zstd.c - ferry's stored zstd frames on their own: what the
 * writer makes, read back by the reader, and the damaged frames the reader
 * must refuse (truncated header or payload, a block too big or not raw, a
 * checksum that does not match), each with its exit code.  The window byte
 * tells ferry's stored frames (0x39, decoded by the reader) from any other
 * frame (0x38 from earlier versions: libzstd's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/arc_zstd.h"

/* An input stream over bytes in memory, chunk bytes per read. */
struct mem {
    const unsigned char *p;
    size_t len, pos, chunk;
};

static enum fy_rc
mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct fy_err *err)
{
    struct mem *m = ctx;
    (void)err;
    size_t n = m->len - m->pos;
    n = n < cap ? n : cap;
    n = n < m->chunk ? n : m->chunk;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    *got = n;
    return FY_OK;
}

static void
mem_close(void *ctx)
{
    (void)ctx;
}

/* What the reader made of in: its result, the bytes and the stored frames
 * it decoded, its message. */
struct decoded {
    enum fy_rc rc;
    struct sbuf out;
    long long stored;
    struct fy_err err;
};

static void
decode_chunked(const unsigned char *in,
               size_t len,
               size_t chunk,
               struct decoded *d)
{
    struct mem m = {in, len, 0, chunk};
    struct fy_istream is = {mem_read, mem_close, &m, "t.tar.zst", -1, -1};
    struct ring r;
    struct arc_zstd_reader *z = NULL;
    unsigned char *dst = xmalloc(RING_SLOT);
    memset(&r, 0, sizeof r);
    memset(d, 0, sizeof *d);
    r.is = &is;
    r.window_log = ARC_WINDOW_LOG_DEFAULT;
    r.in = xmalloc(IN_CHUNK);
    r.refill = IN_CHUNK;
    atomic_init(&r.stop, false);
    atomic_init(&r.stored_frames, 0);
    atomic_init(&r.in_bytes, 0);
    d->rc = arc_zstd_reader_new(&z, r.window_log, is.name, &d->err);
    bool end = false;
    while (d->rc == FY_OK && !end) {
        size_t dlen = 0;
        d->rc = arc_zstd_produce(&r, z, dst, RING_SLOT, &dlen, &end);
        sbuf_add(&d->out, dst, dlen);
    }
    if (d->rc != FY_OK && r.err.rc != FY_OK)
        d->err = r.err;
    d->stored = atomic_load(&r.stored_frames);
    arc_zstd_reader_free(z);
    free(r.in);
    free(dst);
}

static void
decode(const unsigned char *in, size_t len, struct decoded *d)
{
    decode_chunked(in, len, (size_t)-1, d);
}

static enum fy_rc
to_sbuf(void *ctx, const void *buf, size_t n)
{
    sbuf_add(ctx, buf, n);
    return FY_OK;
}

/* Bytes that do not compress (and are not all the same). */
static void
noise(unsigned char *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (unsigned char)(seed >> 24);
    }
}

/* One stored frame of n noise bytes, as the writer makes it. */
static void
stored_frame(struct sbuf *out, unsigned char *data, size_t n)
{
    struct fy_err err = FY_ERR_INIT;
    struct arc_zstd_writer *z = NULL;
    noise(data, n, 7);
    assert_int_equal(arc_zstd_writer_new(3, 0, to_sbuf, out, "t", &err, &z),
                     FY_OK);
    assert_int_equal(arc_zstd_writer_put_stored(z, data, n), FY_OK);
    assert_int_equal(arc_zstd_writer_finish(z), FY_OK);
    arc_zstd_writer_free(z);
}

static void
test_round_trip(void **state)
{
    (void)state;
    size_t text_n = 300000, raw_n = 2 * ARC_ZSTD_RAW_BLOCK + 1000;
    unsigned char *text = xmalloc(text_n), *raw = xmalloc(raw_n);
    for (size_t i = 0; i < text_n; i++)
        text[i] = (unsigned char)("ferry packs a tree\n"[i % 19]);
    noise(raw, raw_n, 1);
    struct sbuf arc = SBUF_INIT, want = SBUF_INIT;
    struct fy_err err = FY_ERR_INIT;
    struct arc_zstd_writer *z = NULL;
    assert_int_equal(arc_zstd_writer_new(3, 0, to_sbuf, &arc, "t", &err, &z),
                     FY_OK);
    assert_int_equal(arc_zstd_writer_put(z, text, text_n), FY_OK);
    assert_int_equal(arc_zstd_writer_put_stored(z, raw, raw_n), FY_OK);
    assert_int_equal(arc_zstd_writer_put_stored(z, raw, 10), FY_OK);
    assert_int_equal(arc_zstd_writer_put(z, text, 1000), FY_OK);
    assert_int_equal(arc_zstd_writer_finish(z), FY_OK);
    arc_zstd_writer_free(z);
    sbuf_add(&want, text, text_n);
    sbuf_add(&want, raw, raw_n);
    sbuf_add(&want, raw, 10);
    sbuf_add(&want, text, 1000);
    assert_true(arc.len < text_n / 10 + raw_n + 1000); /* text compressed */

    /* whole, and in pieces that split every header */
    size_t chunks[] = {(size_t)-1, 1, 5, 4099};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct decoded d;
        decode_chunked((unsigned char *)arc.buf, arc.len, chunks[c], &d);
        assert_int_equal(d.rc, FY_OK);
        assert_int_equal(d.out.len, want.len);
        assert_memory_equal(d.out.buf, want.buf, want.len);
        assert_int_equal(d.stored, 1); /* two puts in a row: one frame */
        sbuf_release(&d.out);
    }
    sbuf_release(&arc);
    sbuf_release(&want);
    free(text);
    free(raw);
}

/* The stored frame's layout, as the writer makes it. */
static void
test_stored_layout(void **state)
{
    (void)state;
    unsigned char data[1000];
    struct sbuf f = SBUF_INIT;
    stored_frame(&f, data, sizeof data);
    const unsigned char *p = (unsigned char *)f.buf;
    assert_int_equal(f.len, 6 + 3 + sizeof data + 3 + 4);
    assert_memory_equal(p, ARC_ZSTD_STORED_HEAD, 6);
    assert_int_equal(p[5], 0x39); /* the window byte: ferry's */
    uint32_t bh = (uint32_t)p[6] | (uint32_t)p[7] << 8 | (uint32_t)p[8] << 16;
    assert_int_equal(bh, sizeof data << 3); /* raw, not the last */
    assert_memory_equal(p + 9, data, sizeof data);
    assert_int_equal(p[9 + sizeof data], 1); /* empty last block */
    sbuf_release(&f);
}

static void
expect_refused(const unsigned char *in,
               size_t len,
               enum fy_rc rc,
               const char *why)
{
    struct decoded d;
    decode(in, len, &d);
    assert_int_equal(d.rc, rc);
    assert_int_equal(d.err.rc, rc);
    if (strstr(d.err.msg, why) == NULL)
        fail_msg("message '%s' lacks '%s'", d.err.msg, why);
    assert_int_equal(d.stored, 0);
    sbuf_release(&d.out);
}

static void
test_truncated(void **state)
{
    (void)state;
    unsigned char data[1000];
    struct sbuf f = SBUF_INIT;
    stored_frame(&f, data, sizeof data);
    const unsigned char *p = (unsigned char *)f.buf;
    /* inside the first block header */
    expect_refused(p, 6 + 2, FY_EINPUT, "truncated");
    /* inside the payload */
    expect_refused(p, 6 + 3 + 500, FY_EINPUT, "truncated");
    /* inside the last block header, and the checksum */
    expect_refused(p, 6 + 3 + sizeof data + 1, FY_EINPUT, "truncated");
    expect_refused(p, f.len - 1, FY_EINPUT, "truncated");
    sbuf_release(&f);
}

static void
test_block_too_big(void **state)
{
    (void)state;
    uint32_t bh = ((ARC_ZSTD_RAW_BLOCK + 1) << 3) | 1; /* raw, last */
    unsigned char f[16];
    memcpy(f, ARC_ZSTD_STORED_HEAD, 6);
    f[6] = (unsigned char)bh;
    f[7] = (unsigned char)(bh >> 8);
    f[8] = (unsigned char)(bh >> 16);
    memset(f + 9, 0, sizeof f - 9);
    expect_refused(f, sizeof f, FY_EINPUT, "block too big");
}

static void
test_block_not_raw(void **state)
{
    (void)state;
    unsigned char data[1000];
    struct sbuf f = SBUF_INIT;
    stored_frame(&f, data, sizeof data);
    unsigned char *p = (unsigned char *)f.buf;
    p[6] |= 1 << 1; /* an RLE block */
    expect_refused(p, f.len, FY_EINPUT, "compressed block");
    p[6] ^= 3 << 1; /* a compressed block */
    expect_refused(p, f.len, FY_EINPUT, "compressed block");
    sbuf_release(&f);
}

static void
test_checksum(void **state)
{
    (void)state;
    unsigned char data[1000];
    struct sbuf f = SBUF_INIT;
    stored_frame(&f, data, sizeof data);
    unsigned char *p = (unsigned char *)f.buf;
    p[9 + 500] ^= 0x10;
    expect_refused(p, f.len, FY_EINPUT, "stored frame checksum mismatch");
    sbuf_release(&f);
}

/* 0x38: the same frame with the window earlier versions wrote is not
 * ferry's stored frame: libzstd reads it, and checks it. */
static void
test_window_byte(void **state)
{
    (void)state;
    unsigned char data[1000];
    struct sbuf f = SBUF_INIT;
    stored_frame(&f, data, sizeof data);
    unsigned char *p = (unsigned char *)f.buf;
    struct decoded d;
    decode(p, f.len, &d);
    assert_int_equal(d.rc, FY_OK);
    assert_int_equal(d.stored, 1);
    sbuf_release(&d.out);

    p[5] = 0x38;
    decode(p, f.len, &d);
    assert_int_equal(d.rc, FY_OK);
    assert_int_equal(d.stored, 0); /* libzstd's */
    assert_int_equal(d.out.len, sizeof data);
    assert_memory_equal(d.out.buf, data, sizeof data);
    sbuf_release(&d.out);

    p[9 + 500] ^= 0x10; /* libzstd checks the checksum too */
    expect_refused(p, f.len, FY_EINPUT, "corrupt zstd data");
    p[9 + 500] ^= 0x10;
    expect_refused(p, 6 + 3 + 500, FY_EINPUT, "truncated");
    sbuf_release(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stored_layout),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_block_too_big),
        cmocka_unit_test(test_block_not_raw),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_window_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
