/* test_tx_quantity.c - Ethereum JSON-RPC QUANTITY parsing (aegis/tx.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/tx.h"

static aegis_err q(const char *s, uint64_t *v)
{
    return aegis_eth_quantity_parse(s, strlen(s), v);
}

static void test_quantity(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(q("0x0", &v), AEGIS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(q("0x1000000", &v), AEGIS_OK);
    assert_int_equal(v, 16777216);
    assert_int_equal(q("0xffffffffffffffff", &v), AEGIS_OK);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(q("0xAbC", &v), AEGIS_OK);
    assert_int_equal(v, 0xabc);
    const char *bad[] = { "", "0x", "0", "x1", "0x01", "0x00", "0x1g", "0x 1", "-0x1", "0x10000000000000000", "1x1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = 42;
        assert_int_equal(q(bad[i], &v), AEGIS_ERR_INVAL);
        assert_int_equal(v, 42);
    }
    assert_int_equal(aegis_eth_quantity_parse("0x1\0" "2", 5, &v), AEGIS_ERR_INVAL); /* embedded NUL */
    assert_int_equal(aegis_eth_quantity_parse(NULL, 0, &v), AEGIS_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_quantity) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
