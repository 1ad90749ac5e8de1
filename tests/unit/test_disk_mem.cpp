/* Unit tests for torrent_disk_mem.cpp: the write-fed piece hashes give a
 * piece's SHA-1 only when every byte of it was fed once, in order, by
 * writes that succeeded (a repeat, a gap, a failure or a piece not seen
 * from its start means "read it back"), and pooled block buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" { /* cmocka.h has no C++ guards */
#include <cmocka.h>
}

#include <cstring>
#include <vector>

#include <libtorrent/hasher.hpp>

#include "../../src/torrent_disk_mem.hpp"

namespace lt = libtorrent;
using ferry::piece_hashes;

namespace {

constexpr int B = 16 * 1024;
constexpr int PIECE = 4 * B;

std::vector<char>
data_of(int seed)
{
    std::vector<char> v(PIECE);
    for (int i = 0; i < PIECE; i++)
        v[static_cast<std::size_t>(i)] =
            static_cast<char>((i * 7 + seed) & 0xff);
    return v;
}

void
feed_blocks(piece_hashes &h, std::vector<char> const &d, int piece)
{
    for (int off = 0; off < PIECE; off += B)
        h.feed(1, piece, off, d.data() + off, B, true);
}

void
in_order(void **)
{
    piece_hashes h(16);
    auto d = data_of(1);
    feed_blocks(h, d, 3);
    lt::sha1_hash got;
    assert_true(h.take(1, 3, PIECE, got));
    assert_true(got == lt::hasher(d.data(), PIECE).final());
    /* taken: forgotten */
    assert_false(h.take(1, 3, PIECE, got));
}

void
short_last_piece(void **)
{
    piece_hashes h(16);
    auto d = data_of(2);
    h.feed(1, 9, 0, d.data(), B, true);
    h.feed(1, 9, B, d.data() + B, 100, true);
    lt::sha1_hash got;
    assert_true(h.take(1, 9, B + 100, got));
    assert_true(got == lt::hasher(d.data(), B + 100).final());
}

void
incomplete(void **)
{
    piece_hashes h(16);
    auto d = data_of(3);
    h.feed(1, 0, 0, d.data(), B, true);
    h.feed(1, 0, B, d.data() + B, B, true);
    lt::sha1_hash got;
    assert_false(h.take(1, 0, PIECE, got));
}

/* block 1 written again (other bytes) after it was fed: the file holds
 * the second write, the hash saw the first */
void
rewrite_spoils(void **)
{
    piece_hashes h(16);
    auto d = data_of(4), e = data_of(5);
    feed_blocks(h, d, 0);
    h.feed(1, 0, B, e.data() + B, B, true);
    lt::sha1_hash got;
    assert_false(h.take(1, 0, PIECE, got));
}

void
gap_spoils(void **)
{
    piece_hashes h(16);
    auto d = data_of(6);
    h.feed(1, 0, 0, d.data(), B, true);
    h.feed(1, 0, 2 * B, d.data() + 2 * B, B, true); /* block 1 skipped */
    h.feed(1, 0, B, d.data() + B, B, true);
    h.feed(1, 0, 3 * B, d.data() + 3 * B, B, true);
    lt::sha1_hash got;
    assert_false(h.take(1, 0, PIECE, got));
}

void
failed_write_spoils(void **)
{
    piece_hashes h(16);
    auto d = data_of(7);
    h.feed(1, 0, 0, d.data(), B, true);
    h.feed(1, 0, B, d.data() + B, B, false);
    h.feed(1, 0, 2 * B, d.data() + 2 * B, B, true);
    h.feed(1, 0, 3 * B, d.data() + 3 * B, B, true);
    lt::sha1_hash got;
    assert_false(h.take(1, 0, PIECE, got));
}

/* blocks on disk from before (a resumed piece) are not fed: tracking
 * starts only at offset 0, and a later full pass in order still counts */
void
starts_at_zero(void **)
{
    piece_hashes h(16);
    auto d = data_of(8);
    h.feed(1, 0, 2 * B, d.data() + 2 * B, B, true);
    h.feed(1, 0, 3 * B, d.data() + 3 * B, B, true);
    lt::sha1_hash got;
    assert_false(h.take(1, 0, PIECE, got));
    h.feed(1, 0, 2 * B, d.data() + 2 * B, B, true);
    feed_blocks(h, d, 0);
    assert_true(h.take(1, 0, PIECE, got));
    assert_true(got == lt::hasher(d.data(), PIECE).final());
}

void
forget_and_bounds(void **)
{
    piece_hashes h(2);
    auto d = data_of(9);
    feed_blocks(h, d, 0);
    h.forget(1, 0);
    lt::sha1_hash got;
    assert_false(h.take(1, 0, PIECE, got));
    /* storages kept apart; forget_all drops one storage's pieces */
    feed_blocks(h, d, 0);
    h.feed(2, 0, 0, d.data(), B, true);
    h.forget_all(1);
    assert_false(h.take(1, 0, PIECE, got));
    for (int off = B; off < PIECE; off += B)
        h.feed(2, 0, off, d.data() + off, B, true);
    assert_true(h.take(2, 0, PIECE, got));
    /* at most 2 pieces tracked: a third is not (it will be read back) */
    feed_blocks(h, d, 1);
    feed_blocks(h, d, 2);
    feed_blocks(h, d, 3);
    assert_true(h.take(1, 1, PIECE, got));
    assert_true(h.take(1, 2, PIECE, got));
    assert_false(h.take(1, 3, PIECE, got));
}

void
pool(void **)
{
    ferry::block_pool p(1);
    char *a = p.get(ferry::DISK_BLOCK);
    char *b = p.get(100);
    assert_non_null(a);
    assert_non_null(b);
    std::memset(a, 1, ferry::DISK_BLOCK);
    std::memset(b, 2, 100);
    p.put(a);
    p.put(b);
    p.put(nullptr);
    char *c = p.get(ferry::DISK_BLOCK); /* the kept one comes back */
    assert_ptr_equal(c, a);
    char *d = p.get(ferry::DISK_BLOCK);
    assert_non_null(d);
    p.put(c);
    p.put(d); /* over the limit: freed (ASan sees a leak otherwise) */
}

} // namespace

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order),       cmocka_unit_test(short_last_piece),
        cmocka_unit_test(incomplete),     cmocka_unit_test(rewrite_spoils),
        cmocka_unit_test(gap_spoils),     cmocka_unit_test(failed_write_spoils),
        cmocka_unit_test(starts_at_zero), cmocka_unit_test(forget_and_bounds),
        cmocka_unit_test(pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
