/* test_tx_rlp.c - canonical RLP corner cases, the encoder, and u256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/rlp.h"
#include "aegis/tx.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ })
#define DEC(err, ...) assert_int_equal(decode_bytes(B(__VA_ARGS__), sizeof((const uint8_t[]){ __VA_ARGS__ })), err)

static aegis_err decode_bytes(const uint8_t *p, size_t n)
{
    aegis_rlp_item it;
    return aegis_rlp_decode(p, n, &it);
}

static void test_single_bytes(void **state)
{
    (void)state;
    aegis_rlp_item it;
    DEC(AEGIS_OK, 0x00);
    DEC(AEGIS_OK, 0x7f);
    DEC(AEGIS_OK, 0x80);
    DEC(AEGIS_OK, 0x81, 0x80);
    DEC(AEGIS_OK, 0x81, 0xff);
    /* a single byte below 0x80 must be its own encoding */
    DEC(AEGIS_ERR_RLP_NONCANONICAL, 0x81, 0x00);
    DEC(AEGIS_ERR_RLP_NONCANONICAL, 0x81, 0x7f);
    assert_int_equal(aegis_rlp_decode(B(0x42), 1, &it), AEGIS_OK);
    assert_false(it.is_list);
    assert_int_equal(it.len, 1);
    assert_int_equal(it.payload[0], 0x42);
    assert_int_equal(aegis_rlp_decode(B(0x80), 1, &it), AEGIS_OK);
    assert_int_equal(it.len, 0);
    assert_int_equal(aegis_rlp_decode(NULL, 0, &it), AEGIS_ERR_RLP_EMPTY);
}

static void test_long_forms(void **state)
{
    (void)state;
    uint8_t buf[2 + 300];
    aegis_rlp_item it;
    /* 55-byte string must use the short form */
    memset(buf, 0x61, sizeof(buf));
    buf[0] = 0xb8;
    buf[1] = 55;
    assert_int_equal(aegis_rlp_decode(buf, 2 + 55, &it), AEGIS_ERR_RLP_NONCANONICAL);
    buf[1] = 56;
    assert_int_equal(aegis_rlp_decode(buf, 2 + 56, &it), AEGIS_OK);
    assert_int_equal(it.len, 56);
    assert_ptr_equal(it.payload, buf + 2);
    /* same for lists */
    buf[0] = 0xf8;
    buf[1] = 55;
    assert_int_equal(aegis_rlp_decode(buf, 2 + 55, &it), AEGIS_ERR_RLP_NONCANONICAL);
    /* length with a leading zero byte */
    uint8_t lz[3 + 0x5f];
    memset(lz, 0x01, sizeof(lz));
    lz[0] = 0xb9;
    lz[1] = 0x00;
    lz[2] = 0x5f;
    assert_int_equal(aegis_rlp_decode(lz, sizeof(lz), &it), AEGIS_ERR_RLP_LEADING_ZEROS);
    lz[0] = 0xf9;
    assert_int_equal(aegis_rlp_decode(lz, sizeof(lz), &it), AEGIS_ERR_RLP_LEADING_ZEROS);
    /* two-byte length, canonical */
    uint8_t two[3 + 256];
    memset(two, 0x01, sizeof(two));
    two[0] = 0xb9;
    two[1] = 0x01;
    two[2] = 0x00;
    assert_int_equal(aegis_rlp_decode(two, sizeof(two), &it), AEGIS_OK);
    assert_int_equal(it.len, 256);
    /* huge declared lengths never read past the input */
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00);
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0xb8);
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0xba, 0x01);
}

static void test_truncation_and_trailing(void **state)
{
    (void)state;
    aegis_rlp_item it;
    size_t used = 0;
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0x82, 0x01);
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0x81);
    DEC(AEGIS_ERR_RLP_TRUNCATED, 0xc2, 0x01);
    DEC(AEGIS_ERR_RLP_TRAILING, 0x01, 0x02);
    DEC(AEGIS_ERR_RLP_TRAILING, 0xc0, 0x00);
    assert_int_equal(aegis_rlp_decode_prefix(B(0x01, 0x02), 2, &it, &used), AEGIS_OK);
    assert_int_equal(used, 1);
    /* child overruns its list although the input continues */
    assert_int_equal(aegis_rlp_validate(B(0xc2, 0x82, 0x01), 3, 0), AEGIS_ERR_RLP_TRUNCATED);
    assert_int_equal(aegis_rlp_validate(B(0xc3, 0xc1, 0x82, 0x01), 4, 0), AEGIS_ERR_RLP_TRUNCATED);
    /* nested non-canonical child */
    assert_int_equal(aegis_rlp_validate(B(0xc3, 0xc2, 0x81, 0x05), 4, 0), AEGIS_ERR_RLP_NONCANONICAL);
    assert_int_equal(aegis_rlp_validate(B(0xc4, 0xc3, 0x82, 0x05, 0x06), 5, 0), AEGIS_OK);
}

static void test_depth(void **state)
{
    (void)state;
    uint8_t deep[40];
    /* n nested lists: c(n-1) c(n-2) ... c0 */
    for (int n = 16; n <= 18; n++) {
        for (int i = 0; i < n; i++)
            deep[i] = (uint8_t)(0xc0 + (n - 1 - i));
        aegis_err want = n <= 16 ? AEGIS_OK : AEGIS_ERR_RLP_TOO_DEEP;
        assert_int_equal(aegis_rlp_validate(deep, (size_t)n, 0), want);
        assert_int_equal(aegis_rlp_validate(deep, (size_t)n, 18), AEGIS_OK);
        assert_int_equal(aegis_rlp_validate(deep, (size_t)n, 3), AEGIS_ERR_RLP_TOO_DEEP);
    }
}

static void test_iter_split_ints(void **state)
{
    (void)state;
    aegis_rlp_item list, f[3];
    /* [ 0x0400, "", 0x05 ] */
    const uint8_t *in = B(0xc5, 0x82, 0x04, 0x00, 0x80, 0x05);
    assert_int_equal(aegis_rlp_decode(in, 6, &list), AEGIS_OK);
    assert_true(list.is_list);
    assert_int_equal(aegis_rlp_split(&list, f, 3), AEGIS_OK);
    assert_int_equal(aegis_rlp_split(&list, f, 2), AEGIS_ERR_RLP_FIELD_COUNT);
    aegis_rlp_item g[4];
    assert_int_equal(aegis_rlp_split(&list, g, 4), AEGIS_ERR_RLP_FIELD_COUNT);
    size_t c = 0;
    assert_int_equal(aegis_rlp_count(&list, &c), AEGIS_OK);
    assert_int_equal(c, 3);
    uint64_t v = 99;
    assert_int_equal(aegis_rlp_get_uint(&f[0], &v), AEGIS_OK);
    assert_int_equal(v, 1024);
    assert_int_equal(aegis_rlp_get_uint(&f[1], &v), AEGIS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(aegis_rlp_get_uint(&f[2], &v), AEGIS_OK);
    assert_int_equal(v, 5);
    assert_int_equal(aegis_rlp_get_uint(&list, &v), AEGIS_ERR_RLP_EXPECTED_STRING);
    assert_int_equal(aegis_rlp_split(&f[0], f, 1), AEGIS_ERR_RLP_EXPECTED_LIST);
    uint8_t be[4];
    assert_int_equal(aegis_rlp_get_be(&f[0], be, 4), AEGIS_OK);
    assert_memory_equal(be, B(0, 0, 4, 0), 4);
    assert_int_equal(aegis_rlp_get_be(&f[0], be, 1), AEGIS_ERR_RLP_INT_TOO_BIG);
    /* leading zeros in integers: 0x00 and 0x82 00 01 */
    aegis_rlp_item z;
    assert_int_equal(aegis_rlp_decode(B(0x00), 1, &z), AEGIS_OK);
    assert_int_equal(aegis_rlp_get_uint(&z, &v), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    assert_int_equal(aegis_rlp_decode(B(0x82, 0x00, 0x01), 3, &z), AEGIS_OK);
    assert_int_equal(aegis_rlp_get_uint(&z, &v), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    assert_int_equal(aegis_rlp_get_be(&z, be, 4), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    /* 9-byte integer is too big for u64 */
    assert_int_equal(aegis_rlp_decode(B(0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0), 10, &z), AEGIS_OK);
    assert_int_equal(aegis_rlp_get_uint(&z, &v), AEGIS_ERR_RLP_INT_TOO_BIG);
}

static void expect_enc(aegis_rlp_enc *e, const uint8_t *want, size_t want_len)
{
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(aegis_rlp_enc_finish(e, &out, &n), AEGIS_OK);
    assert_int_equal(n, want_len);
    assert_memory_equal(out, want, n);
    /* everything we encode must decode canonically */
    assert_int_equal(aegis_rlp_validate(out, n, 0), AEGIS_OK);
    aegis_free(out);
}

static void test_encoder(void **state)
{
    (void)state;
    aegis_rlp_enc e;
    aegis_rlp_enc_init(&e, 1 << 16);
    aegis_rlp_enc_bytes(&e, "dog", 3);
    expect_enc(&e, B(0x83, 'd', 'o', 'g'), 4);

    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_bytes(&e, "cat", 3);
    aegis_rlp_enc_bytes(&e, "dog", 3);
    aegis_rlp_enc_list_end(&e);
    expect_enc(&e, B(0xc8, 0x83, 'c', 'a', 't', 0x83, 'd', 'o', 'g'), 9);

    aegis_rlp_enc_uint(&e, 0);
    expect_enc(&e, B(0x80), 1);
    aegis_rlp_enc_uint(&e, 15);
    expect_enc(&e, B(0x0f), 1);
    aegis_rlp_enc_uint(&e, 1024);
    expect_enc(&e, B(0x82, 0x04, 0x00), 3);
    aegis_rlp_enc_bytes(&e, B(0x00), 1);
    expect_enc(&e, B(0x00), 1);
    aegis_rlp_enc_bytes(&e, B(0x80), 1);
    expect_enc(&e, B(0x81, 0x80), 2);

    /* set-theoretic three: [ [], [[]], [ [], [[]] ] ] */
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_end(&e);
    aegis_rlp_enc_list_end(&e);
    expect_enc(&e, B(0xc7, 0xc0, 0xc1, 0xc0, 0xc3, 0xc0, 0xc1, 0xc0), 8);

    /* long string and long list headers */
    const char *lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";  /* 56 */
    uint8_t want[2 + 56 + 2];
    want[0] = 0xb8;
    want[1] = 56;
    memcpy(want + 2, lorem, 56);
    aegis_rlp_enc_bytes(&e, lorem, 56);
    expect_enc(&e, want, 58);
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_bytes(&e, lorem, 56);
    aegis_rlp_enc_list_end(&e);
    uint8_t wantl[2 + 58];
    wantl[0] = 0xf8;
    wantl[1] = 58;
    memcpy(wantl + 2, want, 58);
    expect_enc(&e, wantl, 60);

    /* a 1000-byte list payload takes a 2-byte length */
    uint8_t big[1000];
    memset(big, 0xaa, sizeof(big));
    aegis_rlp_enc_list_begin(&e);
    aegis_rlp_enc_bytes(&e, big, 997);   /* 0xb9 03 e5 + 997 = 1000 */
    aegis_rlp_enc_list_end(&e);
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(aegis_rlp_enc_finish(&e, &out, &n), AEGIS_OK);
    assert_int_equal(n, 1003);
    assert_memory_equal(out, B(0xf9, 0x03, 0xe8, 0xb9, 0x03, 0xe5), 6);
    aegis_free(out);

    /* errors: unbalanced lists, over the cap */
    aegis_rlp_enc_list_begin(&e);
    assert_int_equal(aegis_rlp_enc_finish(&e, &out, &n), AEGIS_ERR_INVAL);
    aegis_rlp_enc_list_end(&e);
    assert_int_equal(aegis_rlp_enc_finish(&e, &out, &n), AEGIS_ERR_INVAL);
    aegis_rlp_enc_clear(&e);
    aegis_rlp_enc_init(&e, 10);
    aegis_rlp_enc_bytes(&e, big, 20);
    aegis_rlp_enc_uint(&e, 1);
    assert_int_equal(aegis_rlp_enc_finish(&e, &out, &n), AEGIS_ERR_TOO_BIG);
    aegis_rlp_enc_clear(&e);
}

static void u(aegis_u256 *r, uint64_t w3, uint64_t w2, uint64_t w1, uint64_t w0)
{
    r->w[3] = w3;
    r->w[2] = w2;
    r->w[1] = w1;
    r->w[0] = w0;
}

static void test_u256(void **state)
{
    (void)state;
    aegis_u256 a, b, r, max;
    char dec[80];
    u(&max, ~0ull, ~0ull, ~0ull, ~0ull);
    aegis_u256_to_dec(dec, &max);
    assert_string_equal(dec, "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    aegis_u256_from_u64(&a, 0);
    aegis_u256_to_dec(dec, &a);
    assert_string_equal(dec, "0");
    /* 2^128 * 2^128 overflows; (2^128 - 1)(2^128 + 1) = 2^256 - 1 does not */
    u(&a, 0, 1, 0, 0);
    assert_true(aegis_u256_mul(&r, &a, &a));
    u(&a, 0, 0, ~0ull, ~0ull);
    u(&b, 0, 1, 0, 1);
    assert_false(aegis_u256_mul(&r, &a, &b));
    assert_int_equal(aegis_u256_cmp(&r, &max), 0);
    aegis_u256_from_u64(&b, 2);
    assert_true(aegis_u256_mul(&r, &max, &b));
    aegis_u256_from_u64(&b, 1);
    assert_false(aegis_u256_mul(&r, &max, &b));
    /* gas limit 2^64-1 times a price of 2^192 fits; times 2^192 * 2 does not */
    aegis_u256_from_u64(&a, ~0ull);
    u(&b, 1, 0, 0, 0);
    assert_false(aegis_u256_mul(&r, &a, &b));
    u(&b, 2, 0, 0, 0);
    assert_true(aegis_u256_mul(&r, &a, &b));
    /* add / sub carries across limbs */
    aegis_u256_from_u64(&b, 1);
    assert_true(aegis_u256_add(&r, &max, &b));
    assert_true(aegis_u256_is_zero(&r));
    assert_true(aegis_u256_sub(&r, &r, &b));
    assert_int_equal(aegis_u256_cmp(&r, &max), 0);
    u(&a, 0, 0, 1, 0);
    assert_false(aegis_u256_sub(&r, &a, &b));
    assert_int_equal(r.w[0], ~0ull);
    assert_int_equal(r.w[1], 0);
    assert_int_equal(aegis_u256_cmp(&a, &b), 1);
    assert_int_equal(aegis_u256_cmp(&b, &a), -1);
    /* byte conversions */
    uint8_t be[32];
    aegis_u256_from_be(&a, B(0x01, 0x02, 0x03), 3);
    assert_int_equal(a.w[0], 0x010203);
    aegis_u256_to_be(be, &a);
    assert_int_equal(be[29], 1);
    assert_int_equal(be[31], 3);
    /* parse */
    assert_int_equal(aegis_u256_parse(&a, "1000000000000000000"), AEGIS_OK);
    assert_int_equal(a.w[0], 1000000000000000000ull);
    assert_int_equal(aegis_u256_parse(&a, "0xFFffffffffffffffff"), AEGIS_OK);
    assert_int_equal(a.w[0], ~0ull);
    assert_int_equal(a.w[1], 0xff);
    assert_int_equal(aegis_u256_parse(&a, "115792089237316195423570985008687907853269984665640564039457584007913129639935"), AEGIS_OK);
    assert_int_equal(aegis_u256_cmp(&a, &max), 0);
    assert_int_equal(aegis_u256_parse(&a, "115792089237316195423570985008687907853269984665640564039457584007913129639936"), AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_u256_parse(&a, "12a"), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_u256_parse(&a, ""), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_u256_parse(&a, "0x"), AEGIS_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_bytes),
        cmocka_unit_test(test_long_forms),
        cmocka_unit_test(test_truncation_and_trailing),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_iter_split_ints),
        cmocka_unit_test(test_encoder),
        cmocka_unit_test(test_u256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
