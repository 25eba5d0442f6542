/* test_batch_merkle_tree.c - the kept-levels tree agrees with
 * aegis_batch_merkle_root / _proof / _verify for every size 1..70 and every
 * index, and refuses what they refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/batch.h"
#include "aegis/crypto.h"

static void items_for(uint8_t (*items)[32], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t seed[8] = { (uint8_t)i, (uint8_t)(i >> 8), 0x5a };
        aegis_keccak256(items[i], seed, sizeof(seed));
    }
}

static void test_matches_single_proofs(void **state)
{
    (void)state;
    uint8_t items[70][32], root[32], troot[32], p1[16][32], p2[16][32];
    items_for(items, 70);
    for (size_t n = 1; n <= 70; n++) {
        aegis_batch_merkle_tree *t = NULL;
        assert_int_equal(aegis_batch_merkle_tree_new((const uint8_t (*)[32])items, n, &t), AEGIS_OK);
        assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])items, n, root), AEGIS_OK);
        aegis_batch_merkle_tree_root(t, troot);
        assert_memory_equal(root, troot, 32);
        for (size_t i = 0; i < n; i++) {
            size_t l1 = 99, l2 = 77;
            assert_int_equal(aegis_batch_merkle_proof((const uint8_t (*)[32])items, n, i, p1, 16, &l1), AEGIS_OK);
            assert_int_equal(aegis_batch_merkle_tree_proof(t, i, p2, 16, &l2), AEGIS_OK);
            assert_int_equal(l1, l2);
            if (l1)
                assert_memory_equal(p1, p2, l1 * 32);
            assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, (const uint8_t (*)[32])p2, l2, troot),
                             AEGIS_OK);
            if (l2) {
                p2[l2 - 1][0] ^= 1;
                assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, (const uint8_t (*)[32])p2, l2, troot),
                                 AEGIS_ERR_BATCH_BAD_PROOF);
            }
        }
        size_t len = 0;
        assert_int_equal(aegis_batch_merkle_tree_proof(t, n, p2, 16, &len), AEGIS_ERR_INVAL);
        if (n > 2)
            assert_int_equal(aegis_batch_merkle_tree_proof(t, 0, p2, 1, &len), AEGIS_ERR_TOO_BIG);
        aegis_batch_merkle_tree_free(t);
    }
}

static void test_refuses(void **state)
{
    (void)state;
    uint8_t items[1][32] = { { 1 } };
    aegis_batch_merkle_tree *t = NULL;
    assert_int_equal(aegis_batch_merkle_tree_new((const uint8_t (*)[32])items, 0, &t), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_batch_merkle_tree_new(NULL, 3, &t), AEGIS_ERR_INVAL);
    assert_null(t);
    aegis_batch_merkle_tree_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_single_proofs),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
