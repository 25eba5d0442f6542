/* test_util.c - util: errors, hex, buffers, secrets, allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/util.h"

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(aegis_strerror(AEGIS_OK), "success");
    assert_string_equal(aegis_strerror(AEGIS_ERR_NOMEM), "out of memory");
    assert_string_equal(aegis_err_name(AEGIS_ERR_BAD_HEX), "AEGIS_ERR_BAD_HEX");
    assert_string_equal(aegis_strerror((aegis_err)99999), "unknown error");
    assert_null(aegis_err_name((aegis_err)99999));
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(aegis_hex_decode_alloc("0xDEadbeef", 16, &out, &n), AEGIS_OK);
    assert_int_equal(n, 4);
    char s[9];
    aegis_hex_encode(s, out, n);
    assert_string_equal(s, "deadbeef");
    aegis_free(out);
    assert_int_equal(aegis_hex_decode_alloc("abc", 16, &out, &n), AEGIS_ERR_BAD_HEX);
    assert_int_equal(aegis_hex_decode_alloc("zz", 16, &out, &n), AEGIS_ERR_BAD_HEX);
    assert_int_equal(aegis_hex_decode_alloc("aabbcc", 2, &out, &n), AEGIS_ERR_TOO_BIG);
    uint8_t two[2];
    assert_int_equal(aegis_hex_decode_exact("0x0102", two, 2), AEGIS_OK);
    assert_int_equal(two[1], 2);
    assert_int_equal(aegis_hex_decode_exact("010203", two, 2), AEGIS_ERR_BAD_HEX);
}

static void test_buf_cap(void **state)
{
    (void)state;
    aegis_buf b;
    aegis_buf_init(&b, 10);
    assert_int_equal(aegis_buf_append(&b, "12345", 5), AEGIS_OK);
    assert_int_equal(aegis_buf_printf(&b, "%d", 6789), AEGIS_OK);
    assert_int_equal(b.len, 9);
    assert_int_equal(aegis_buf_append(&b, "ab", 2), AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_buf_printf(&b, "%s", "xy"), AEGIS_ERR_TOO_BIG);
    assert_int_equal(aegis_buf_append(&b, "a", 1), AEGIS_OK);
    assert_int_equal(aegis_buf_cstr(&b), AEGIS_OK);
    assert_string_equal((char *)b.data, "123456789a");
    aegis_buf_clear(&b);
    assert_null(b.data);
}

static void test_ct_eq(void **state)
{
    (void)state;
    assert_true(aegis_ct_eq("abcd", "abcd", 4));
    assert_false(aegis_ct_eq("abcd", "abce", 4));
    uint8_t k[16];
    memset(k, 0xaa, sizeof(k));
    aegis_memzero(k, sizeof(k));
    for (size_t i = 0; i < sizeof(k); i++)
        assert_int_equal(k[i], 0);
}

static void test_alloc_fail(void **state)
{
    (void)state;
    aegis_alloc_fail_after(2);
    void *a = aegis_malloc(8);
    void *b = aegis_malloc(8);
    void *c = aegis_malloc(8);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    aegis_free(a);
    aegis_free(c);
    aegis_alloc_fail_after(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_ct_eq),
        cmocka_unit_test(test_alloc_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
