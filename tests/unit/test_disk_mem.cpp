/* Unit tests for torrent_disk_mem.cpp: pooled block buffers (a block
 * comes back from the free list, other sizes and blocks past the limit
 * go back to malloc, a null put is ignored). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" { /* cmocka.h has no C++ guards */
#include <cmocka.h>
}

#include <cstring>

#include "../../src/torrent_disk_mem.hpp"

namespace {

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
        cmocka_unit_test(pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
