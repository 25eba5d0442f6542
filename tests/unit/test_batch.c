/* test_batch.c - batch header abi layout, strict decoding, hash; Merkle
 * root/proof/verify for sizes 1..33 incl. tampering; epoch seal digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/batch.h"
#include "aegis/crypto.h"

static void fill(uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v + i);
}

static struct aegis_batch_header sample(void)
{
    struct aegis_batch_header h;
    memset(&h, 0, sizeof(h));
    h.version = AEGIS_BATCH_VERSION;
    h.chain_id = 0x0102030405060708ull;
    h.number = 0x1112131415161718ull;
    fill(h.parent_hash, 32, 0x20);
    h.timestamp_ms = 1700000000123ull;
    h.tx_count = 0xa1a2a3a4u;
    fill(h.tx_root, 32, 0x40);
    h.strategy_id = 5;
    fill(h.policy_hash, 32, 0x60);
    h.risk_score = 6543;
    h.risk_level = 1;
    h.algorithm_set = AEGIS_ALG_MLDSA87 | AEGIS_ALG_ECDSA;
    h.key_epoch = 0x2122232425262728ull;
    h.protected_count = 0xb1b2b3b4u;
    fill(h.protected_hash, 32, 0x80);
    h.checkpoint_number = 0x3132333435363738ull;
    fill(h.checkpoint_hash, 32, 0xa0);
    return h;
}

/* The word at index w holds v right-aligned with zero padding. */
static void assert_uint_word(const uint8_t *enc, size_t w, uint64_t v)
{
    uint8_t want[32] = { 0 };
    aegis_put_be64(want + 24, v);
    assert_memory_equal(enc + 32 * w, want, 32);
}

static void test_layout(void **state)
{
    (void)state;
    struct aegis_batch_header h = sample();
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES];
    assert_int_equal(AEGIS_BATCH_HEADER_BYTES, 544);
    assert_int_equal(aegis_batch_header_encode(&h, enc), AEGIS_OK);
    assert_uint_word(enc, 0, 1);
    assert_uint_word(enc, 1, h.chain_id);
    assert_uint_word(enc, 2, h.number);
    assert_memory_equal(enc + 96, h.parent_hash, 32);
    assert_uint_word(enc, 4, h.timestamp_ms);
    assert_uint_word(enc, 5, h.tx_count);
    assert_memory_equal(enc + 192, h.tx_root, 32);
    assert_uint_word(enc, 7, 5);
    assert_memory_equal(enc + 256, h.policy_hash, 32);
    assert_uint_word(enc, 9, 6543);
    assert_uint_word(enc, 10, 1);
    assert_uint_word(enc, 11, 5);
    assert_uint_word(enc, 12, h.key_epoch);
    assert_uint_word(enc, 13, h.protected_count);
    assert_memory_equal(enc + 448, h.protected_hash, 32);
    assert_uint_word(enc, 15, h.checkpoint_number);
    assert_memory_equal(enc + 512, h.checkpoint_hash, 32);

    /* Batch hash = keccak-256 of exactly those 544 bytes. */
    uint8_t hh[32], k[32];
    assert_int_equal(aegis_batch_header_hash(&h, hh), AEGIS_OK);
    aegis_keccak256(k, enc, sizeof(enc));
    assert_memory_equal(hh, k, 32);
}

static void test_roundtrip_and_sensitivity(void **state)
{
    (void)state;
    struct aegis_batch_header h = sample(), d;
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES], enc2[AEGIS_BATCH_HEADER_BYTES], h0[32], h1[32];
    assert_int_equal(aegis_batch_header_encode(&h, enc), AEGIS_OK);
    assert_int_equal(aegis_batch_header_decode(enc, sizeof(enc), &d), AEGIS_OK);
    assert_int_equal(aegis_batch_header_encode(&d, enc2), AEGIS_OK);
    assert_memory_equal(enc, enc2, sizeof(enc));
    assert_int_equal(d.number, h.number);
    assert_int_equal(d.tx_count, h.tx_count);
    assert_int_equal(d.risk_score, h.risk_score);
    assert_memory_equal(d.checkpoint_hash, h.checkpoint_hash, 32);

    /* Changing any field changes the hash. */
    assert_int_equal(aegis_batch_header_hash(&h, h0), AEGIS_OK);
    for (size_t w = 0; w < AEGIS_BATCH_HEADER_WORDS; w++) {
        memcpy(enc2, enc, sizeof(enc));
        enc2[32 * w + 31] ^= 1;                        /* low bit of each word */
        if (aegis_batch_header_decode(enc2, sizeof(enc2), &d) != AEGIS_OK)
            continue;                                   /* e.g. version 0 */
        assert_int_equal(aegis_batch_header_hash(&d, h1), AEGIS_OK);
        assert_memory_not_equal(h0, h1, 32);
    }
}

static void test_strict_decode(void **state)
{
    (void)state;
    struct aegis_batch_header h = sample(), d;
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES + 1], bad[AEGIS_BATCH_HEADER_BYTES];
    assert_int_equal(aegis_batch_header_encode(&h, enc), AEGIS_OK);
    assert_int_equal(aegis_batch_header_decode(enc, AEGIS_BATCH_HEADER_BYTES - 1, &d),
                     AEGIS_ERR_BATCH_BAD_ENCODING);
    assert_int_equal(aegis_batch_header_decode(enc, AEGIS_BATCH_HEADER_BYTES + 1, &d),
                     AEGIS_ERR_BATCH_BAD_ENCODING);
    /* Non-zero padding in every uintN word; bytes32 words take anything. */
    static const unsigned bits[17] = { 8, 64, 64, 0, 64, 32, 0, 8, 0, 16, 8, 8, 64, 32, 0, 64, 0 };
    for (size_t w = 0; w < 17; w++) {
        memcpy(bad, enc, sizeof(bad));
        if (bits[w] == 0) {
            bad[32 * w] ^= 0xff;
            assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_OK);
            continue;
        }
        bad[32 * w + 31 - bits[w] / 8] = 1;            /* first padding byte above the value */
        assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_ERR_BATCH_NONCANONICAL);
    }
    memcpy(bad, enc, sizeof(bad));
    bad[31] = 2;
    assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_ERR_BATCH_BAD_VERSION);
    memcpy(bad, enc, sizeof(bad));
    bad[10 * 32 + 31] = 3;                             /* risk level */
    assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_ERR_BATCH_BAD_FIELD);
    memcpy(bad, enc, sizeof(bad));
    aegis_put_be16(bad + 9 * 32 + 30, 10001);          /* risk score */
    assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_ERR_BATCH_BAD_FIELD);
    memcpy(bad, enc, sizeof(bad));
    bad[11 * 32 + 31] = 0;                             /* empty algorithm set */
    assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_ERR_BATCH_BAD_FIELD);
    bad[11 * 32 + 31] = 8;                             /* unknown algorithm bit */
    assert_int_equal(aegis_batch_header_decode(bad, sizeof(bad), &d), AEGIS_ERR_BATCH_BAD_FIELD);

    h.risk_level = 3;
    assert_int_equal(aegis_batch_header_encode(&h, bad), AEGIS_ERR_BATCH_BAD_FIELD);
    h = sample();
    h.version = 2;
    assert_int_equal(aegis_batch_header_encode(&h, bad), AEGIS_ERR_BATCH_BAD_FIELD);
}

/* Independent recursive root: split at the largest power of two below n
 * is NOT our shape, so compute level by level with promotion explicitly. */
static void ref_root(uint8_t (*items)[32], size_t n, uint8_t out[32])
{
    uint8_t lv[64][32];
    for (size_t i = 0; i < n; i++)
        aegis_batch_merkle_leaf(lv[i], items[i]);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i < n; i += 2) {
            uint8_t t[32];
            if (i + 1 < n)
                aegis_batch_merkle_node(t, lv[i], lv[i + 1]);
            else
                memcpy(t, lv[i], 32);
            memcpy(lv[m++], t, 32);
        }
        n = m;
    }
    memcpy(out, lv[0], 32);
}

static void test_merkle_known_shapes(void **state)
{
    (void)state;
    uint8_t it[4][32], root[32], a[32], b[32], c[32], ab[32], want[32];
    for (int i = 0; i < 4; i++)
        memset(it[i], 0x11 * (i + 1), 32);
    assert_int_equal(aegis_batch_merkle_root(NULL, 0, root), AEGIS_OK);
    memset(want, 0, 32);
    assert_memory_equal(root, want, 32);

    /* Leaf and node are keccak with 0x00 / 0x01 prefixes. */
    uint8_t buf[65];
    buf[0] = 0;
    memcpy(buf + 1, it[0], 32);
    aegis_keccak256(want, buf, 33);
    aegis_batch_merkle_leaf(a, it[0]);
    assert_memory_equal(a, want, 32);
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])it, 1, root), AEGIS_OK);
    assert_memory_equal(root, a, 32);

    /* Three items: node(node(a, b), c) with c promoted. */
    aegis_batch_merkle_leaf(b, it[1]);
    aegis_batch_merkle_leaf(c, it[2]);
    buf[0] = 1;
    memcpy(buf + 1, a, 32);
    memcpy(buf + 33, b, 32);
    aegis_keccak256(ab, buf, 65);
    aegis_batch_merkle_node(want, ab, c);
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])it, 3, root), AEGIS_OK);
    assert_memory_equal(root, want, 32);
    /* No duplication: [a, b, c, c] has a different root. */
    memcpy(it[3], it[2], 32);
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])it, 4, want), AEGIS_OK);
    assert_memory_not_equal(root, want, 32);
}

static void test_merkle_proofs(void **state)
{
    (void)state;
    uint8_t items[33][32], root[32], ref[32];
    uint8_t path[AEGIS_MERKLE_MAX_DEPTH][32], bad[AEGIS_MERKLE_MAX_DEPTH + 1][32];
    for (size_t i = 0; i < 33; i++)
        aegis_keccak256(items[i], &i, sizeof(i));
    const uint8_t (*cit)[32] = (const uint8_t (*)[32])items;
    for (size_t n = 1; n <= 33; n++) {
        assert_int_equal(aegis_batch_merkle_root(cit, n, root), AEGIS_OK);
        ref_root(items, n, ref);
        assert_memory_equal(root, ref, 32);
        for (size_t i = 0; i < n; i++) {
            size_t len = 99;
            assert_int_equal(aegis_batch_merkle_proof(cit, n, i, path, AEGIS_MERKLE_MAX_DEPTH, &len), AEGIS_OK);
            assert_int_equal(len, aegis_batch_merkle_proof_len(i, n));
            assert_true(len <= 6);
            const uint8_t (*cp)[32] = (const uint8_t (*)[32])path;
            assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, cp, len, root), AEGIS_OK);

            /* Tampering: item, each sibling, index, size, path length, root. */
            uint8_t x[32];
            memcpy(x, items[i], 32);
            x[7] ^= 1;
            assert_int_equal(aegis_batch_merkle_verify(x, i, n, cp, len, root), AEGIS_ERR_BATCH_BAD_PROOF);
            for (size_t k = 0; k < len; k++) {
                memcpy(bad, path, sizeof(path));
                bad[k][31] ^= 0x80;
                assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, (const uint8_t (*)[32])bad, len, root),
                                 AEGIS_ERR_BATCH_BAD_PROOF);
            }
            if (n > 1) {
                size_t j = (i + 1) % n;
                assert_int_equal(aegis_batch_merkle_verify(items[i], j, n, cp, len, root),
                                 AEGIS_ERR_BATCH_BAD_PROOF);
                assert_int_equal(aegis_batch_merkle_verify(items[j], i, n, cp, len, root),
                                 AEGIS_ERR_BATCH_BAD_PROOF);
            }
            /* A different size with a different path shape fails; n itself
             * comes from the header's txCount, which the hash commits to. */
            if (aegis_batch_merkle_proof_len(i, n + 1) != len)
                assert_int_equal(aegis_batch_merkle_verify(items[i], i, n + 1, cp, len, root),
                                 AEGIS_ERR_BATCH_BAD_PROOF);
            assert_int_equal(aegis_batch_merkle_verify(items[i], n, n, cp, len, root),
                             AEGIS_ERR_BATCH_BAD_PROOF);
            if (len > 0)
                assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, cp, len - 1, root),
                                 AEGIS_ERR_BATCH_BAD_PROOF);
            memcpy(bad, path, sizeof(path));
            memset(bad[len], 0, 32);
            assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, (const uint8_t (*)[32])bad, len + 1, root),
                             AEGIS_ERR_BATCH_BAD_PROOF);
            memcpy(x, root, 32);
            x[0] ^= 1;
            assert_int_equal(aegis_batch_merkle_verify(items[i], i, n, cp, len, x), AEGIS_ERR_BATCH_BAD_PROOF);
        }
    }
    size_t len;
    assert_int_equal(aegis_batch_merkle_proof(cit, 5, 5, path, 64, &len), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_batch_merkle_proof(cit, 33, 0, path, 2, &len), AEGIS_ERR_TOO_BIG);
}

static void test_seal(void **state)
{
    (void)state;
    /* A seal over 20 batch hashes, each batch proving its membership. */
    uint8_t hashes[20][32], root[32], d0[32], d1[32], path[8][32];
    for (int i = 0; i < 20; i++) {
        struct aegis_batch_header h = sample();
        h.number = 100 + (uint64_t)i;
        assert_int_equal(aegis_batch_header_hash(&h, hashes[i]), AEGIS_OK);
    }
    const uint8_t (*ch)[32] = (const uint8_t (*)[32])hashes;
    assert_int_equal(aegis_batch_merkle_root(ch, 20, root), AEGIS_OK);
    aegis_batch_seal_digest(1, 100, 20, root, d0);
    aegis_batch_seal_digest(2, 100, 20, root, d1);
    assert_memory_not_equal(d0, d1, 32);
    aegis_batch_seal_digest(1, 101, 20, root, d1);
    assert_memory_not_equal(d0, d1, 32);
    aegis_batch_seal_digest(1, 100, 19, root, d1);
    assert_memory_not_equal(d0, d1, 32);
    root[3] ^= 1;
    aegis_batch_seal_digest(1, 100, 20, root, d1);
    assert_memory_not_equal(d0, d1, 32);
    root[3] ^= 1;
    size_t len;
    assert_int_equal(aegis_batch_merkle_proof(ch, 20, 13, path, 8, &len), AEGIS_OK);
    assert_int_equal(aegis_batch_merkle_verify(hashes[13], 13, 20, (const uint8_t (*)[32])path, len, root), AEGIS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_roundtrip_and_sensitivity),
        cmocka_unit_test(test_strict_decode),
        cmocka_unit_test(test_merkle_known_shapes),
        cmocka_unit_test(test_merkle_proofs),
        cmocka_unit_test(test_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
