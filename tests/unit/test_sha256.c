/*
 * Unit tests for sha256.c: the streaming SHA-256 pack and save print,
 * against the FIPS 180-2 test vectors, fed whole and in pieces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "ferry/sha256.h"

static void
test_vectors(void **state)
{
    (void)state;
    char hex[SHA256_HEX];
    struct sha256 *h = sha256_new();
    assert_non_null(h);
    assert_true(sha256_hex(h, hex));
    assert_string_equal(
        hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* spent: no second digest */
    assert_false(sha256_hex(h, hex));
    assert_string_equal(hex, "");
    sha256_free(h);

    const char *abc =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    h = sha256_new();
    size_t n = strlen(abc);
    for (size_t i = 0; i < n; i += 5) /* in pieces */
        sha256_update(h, abc + i, n - i < 5 ? n - i : 5);
    assert_true(sha256_hex(h, hex));
    assert_string_equal(
        hex,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256_free(h);
}

/* Many MiB in odd pieces: the same digest as OpenSSL's one-shot. */
static void
test_ring(void **state)
{
    (void)state;
    size_t n = (9u << 20) + 12345;
    unsigned char *buf = malloc(n), md[32];
    char hex[SHA256_HEX], want[SHA256_HEX];
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    unsigned int len = 0;
    assert_int_equal(EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL), 1);
    for (unsigned int i = 0; i < len; i++)
        snprintf(want + 2 * i, 3, "%02x", md[i]);
    struct sha256 *h = sha256_new();
    for (size_t off = 0; off < n; off += 7777)
        sha256_update(h, buf + off, n - off < 7777 ? n - off : 7777);
    assert_true(sha256_hex(h, hex));
    assert_string_equal(hex, want);
    sha256_free(h);
    /* freed unfinished */
    h = sha256_new();
    sha256_update(h, buf, n);
    sha256_free(h);
    free(buf);
}

static void
test_null(void **state)
{
    (void)state;
    char hex[SHA256_HEX] = "x";
    sha256_update(NULL, "a", 1);
    assert_false(sha256_hex(NULL, hex));
    assert_string_equal(hex, "");
    sha256_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
