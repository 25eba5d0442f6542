/*
 * test_tx_ext.c - token calldata decoding (ERC-20/721/1155) and the Aegis
 * extension: strict parsing, decoding behind a transaction, and the
 * ML-DSA-87 PQC witness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"
#include "aegis/tx.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ })

static const uint8_t TOKEN[20] = { 0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };

/* ---------------- ABI calldata builder ---------------- */
typedef struct cd {
    uint8_t b[2048];
    size_t n;
} cd;

static void cd_sel(cd *c, const char *sig)
{
    uint8_t h[32];
    aegis_keccak256(h, sig, strlen(sig));
    memcpy(c->b, h, 4);
    c->n = 4;
}

static void cd_word_u64(cd *c, uint64_t v)
{
    memset(c->b + c->n, 0, 32);
    aegis_put_be64(c->b + c->n + 24, v);
    c->n += 32;
}

static void cd_addr(cd *c, uint8_t fill)
{
    memset(c->b + c->n, 0, 12);
    memset(c->b + c->n + 12, fill, 20);
    c->n += 32;
}

static void decode(aegis_tx_assets *a, const cd *c)
{
    aegis_tx_assets_decode(a, TOKEN, c->b, c->n);
    assert_true(a->has_contract);
    assert_memory_equal(a->contract, TOKEN, 20);
}

static void test_selectors_and_erc20(void **state)
{
    (void)state;
    aegis_tx_assets a;
    cd c;
    /* the selectors in the decoder match keccak of the signatures */
    struct { const char *sig; aegis_tx_call want; } sels[] = {
        { "transfer(address,uint256)", AEGIS_TX_CALL_ERC20_TRANSFER },
        { "transferFrom(address,address,uint256)", AEGIS_TX_CALL_TRANSFER_FROM },
        { "approve(address,uint256)", AEGIS_TX_CALL_APPROVE },
        { "safeTransferFrom(address,address,uint256)", AEGIS_TX_CALL_ERC721_SAFE_TRANSFER },
        { "safeTransferFrom(address,address,uint256,bytes)", AEGIS_TX_CALL_ERC721_SAFE_TRANSFER },
        { "safeTransferFrom(address,address,uint256,uint256,bytes)", AEGIS_TX_CALL_ERC1155_SAFE_TRANSFER },
        { "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)", AEGIS_TX_CALL_ERC1155_BATCH_TRANSFER },
        { "balanceOf(address)", AEGIS_TX_CALL_OTHER },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(sels); i++) {
        cd_sel(&c, sels[i].sig);
        decode(&a, &c);
        assert_int_equal(a.call, sels[i].want);
        assert_int_equal(a.selector, aegis_get_be32(c.b));
    }
    /* ERC-20 transfer(to, 1000) */
    cd_sel(&c, "transfer(address,uint256)");
    cd_addr(&c, 0xab);
    cd_word_u64(&c, 1000);
    decode(&a, &c);
    assert_int_equal(a.call, AEGIS_TX_CALL_ERC20_TRANSFER);
    assert_true(a.args_ok);
    assert_true(a.has_to && a.has_amount);
    assert_false(a.has_from);
    assert_int_equal(a.to[0], 0xab);
    assert_int_equal(a.amount.w[0], 1000);
    assert_int_equal(a.n_ids, 0);
    /* short calldata: recognised but not decoded */
    c.n -= 1;
    decode(&a, &c);
    assert_int_equal(a.call, AEGIS_TX_CALL_ERC20_TRANSFER);
    assert_false(a.args_ok);
    assert_false(a.has_amount);
    /* extra trailing bytes are still a transfer (old ABI decoders accept them) */
    c.n += 1 + 32;
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_int_equal(a.amount.w[0], 1000);
    /* dirty address bytes: decoded (low 20 bytes) but flagged */
    c.n -= 32;
    c.b[4] = 0x01;
    decode(&a, &c);
    assert_false(a.args_ok);
    assert_true(a.has_to);
    assert_int_equal(a.to[19], 0xab);
    /* approve(spender, 5): amount and (ERC-721 reading) token id 5 */
    cd_sel(&c, "approve(address,uint256)");
    cd_addr(&c, 0x01);
    cd_word_u64(&c, 5);
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_int_equal(a.amount.w[0], 5);
    assert_int_equal(a.n_ids, 1);
    assert_int_equal(a.ids[0].w[0], 5);
    /* transferFrom(from, to, 77) */
    cd_sel(&c, "transferFrom(address,address,uint256)");
    cd_addr(&c, 0x0f);
    cd_addr(&c, 0x0e);
    cd_word_u64(&c, 77);
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_true(a.has_from && a.has_to);
    assert_int_equal(a.from[0], 0x0f);
    assert_int_equal(a.to[0], 0x0e);
    assert_int_equal(a.ids[0].w[0], 77);
    assert_int_equal(a.amount.w[0], 77);
    /* no calldata, fewer than 4 bytes, creation */
    aegis_tx_assets_decode(&a, TOKEN, NULL, 0);
    assert_int_equal(a.call, AEGIS_TX_CALL_NONE);
    aegis_tx_assets_decode(&a, TOKEN, B(1, 2, 3), 3);
    assert_int_equal(a.call, AEGIS_TX_CALL_OTHER);
    aegis_tx_assets_decode(&a, NULL, c.b, c.n);
    assert_false(a.has_contract);
    assert_int_equal(a.call, AEGIS_TX_CALL_NONE);
}

static void test_erc721_1155(void **state)
{
    (void)state;
    aegis_tx_assets a;
    cd c;
    /* ERC-721 safeTransferFrom(from, to, id) and the 4-argument form */
    cd_sel(&c, "safeTransferFrom(address,address,uint256)");
    cd_addr(&c, 1);
    cd_addr(&c, 2);
    cd_word_u64(&c, 31337);
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_int_equal(a.n_ids, 1);
    assert_int_equal(a.ids[0].w[0], 31337);
    assert_int_equal(a.amounts[0].w[0], 1);
    cd_sel(&c, "safeTransferFrom(address,address,uint256,bytes)");
    cd_addr(&c, 1);
    cd_addr(&c, 2);
    cd_word_u64(&c, 9);
    cd_word_u64(&c, 128);    /* offset of bytes */
    cd_word_u64(&c, 3);      /* length */
    memset(c.b + c.n, 0xee, 32);
    c.n += 32;
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_int_equal(a.ids[0].w[0], 9);
    /* bytes length past the end */
    aegis_put_be32(c.b + 4 + 4 * 32 + 28, 33);
    decode(&a, &c);
    assert_false(a.args_ok);
    /* ERC-1155 safeTransferFrom(from, to, id, amount, data) */
    cd_sel(&c, "safeTransferFrom(address,address,uint256,uint256,bytes)");
    cd_addr(&c, 1);
    cd_addr(&c, 2);
    cd_word_u64(&c, 4);
    cd_word_u64(&c, 250);
    cd_word_u64(&c, 160);
    cd_word_u64(&c, 0);
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_int_equal(a.n_ids, 1);
    assert_int_equal(a.ids[0].w[0], 4);
    assert_int_equal(a.amounts[0].w[0], 250);
    /* offset not word aligned */
    aegis_put_be32(c.b + 4 + 4 * 32 + 28, 161);
    decode(&a, &c);
    assert_false(a.args_ok);

    /* ERC-1155 batch: ids [10, 11, 12], amounts [1, 2, 3] */
    cd_sel(&c, "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)");
    cd_addr(&c, 1);
    cd_addr(&c, 2);
    cd_word_u64(&c, 160);             /* ids at 5 * 32 */
    cd_word_u64(&c, 160 + 128);       /* amounts after 1 + 3 words */
    cd_word_u64(&c, 160 + 256);       /* data */
    cd_word_u64(&c, 3);
    cd_word_u64(&c, 10);
    cd_word_u64(&c, 11);
    cd_word_u64(&c, 12);
    cd_word_u64(&c, 3);
    cd_word_u64(&c, 1);
    cd_word_u64(&c, 2);
    cd_word_u64(&c, 3);
    cd_word_u64(&c, 0);
    decode(&a, &c);
    assert_int_equal(a.call, AEGIS_TX_CALL_ERC1155_BATCH_TRANSFER);
    assert_true(a.args_ok);
    assert_int_equal(a.n_ids, 3);
    assert_int_equal(a.n_ids_total, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(a.ids[i].w[0], 10 + i);
        assert_int_equal(a.amounts[i].w[0], 1 + i);
    }
    /* mismatched lengths */
    aegis_put_be32(c.b + 4 + 160 + 128 + 28, 2);
    decode(&a, &c);
    assert_false(a.args_ok);
    assert_true(a.has_from);
    /* a huge array length cannot read past the calldata */
    aegis_put_be32(c.b + 4 + 160 + 28, 0xffffffffu);
    decode(&a, &c);
    assert_false(a.args_ok);
    /* an offset word with high bits set */
    aegis_put_be32(c.b + 4 + 160 + 28, 3);
    aegis_put_be32(c.b + 4 + 160 + 128 + 28, 3);
    decode(&a, &c);
    assert_true(a.args_ok);
    c.b[4 + 2 * 32] = 0x80;
    decode(&a, &c);
    assert_false(a.args_ok);

    /* more ids than stored: total kept, first 16 stored */
    cd_sel(&c, "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)");
    cd_addr(&c, 1);
    cd_addr(&c, 2);
    cd_word_u64(&c, 160);
    cd_word_u64(&c, 160 + 32 * 21);
    cd_word_u64(&c, 160 + 32 * 42);
    cd_word_u64(&c, 20);
    for (uint64_t i = 0; i < 20; i++)
        cd_word_u64(&c, 100 + i);
    cd_word_u64(&c, 20);
    for (uint64_t i = 0; i < 20; i++)
        cd_word_u64(&c, 1);
    cd_word_u64(&c, 0);
    decode(&a, &c);
    assert_true(a.args_ok);
    assert_int_equal(a.n_ids_total, 20);
    assert_int_equal(a.n_ids, AEGIS_TX_MAX_TOKEN_IDS);
    assert_int_equal(a.ids[15].w[0], 115);
}

/* ---------------- extension ---------------- */

static uint8_t *ext_bytes(size_t *n, const uint8_t *sig, const uint8_t *pk, uint8_t intent,
                          const uint8_t *asset, size_t asset_len)
{
    aegis_buf b;
    aegis_buf_init(&b, 1 << 16);
    assert_int_equal(aegis_tx_ext_append(&b, sig, pk, intent, asset, asset_len), AEGIS_OK);
    *n = b.len;
    return b.data;
}

static void test_ext_parse(void **state)
{
    (void)state;
    static uint8_t sig[AEGIS_MLDSA87_SIG_BYTES], pk[AEGIS_MLDSA87_PK_BYTES];
    memset(sig, 0x5a, sizeof(sig));
    memset(pk, 0xa5, sizeof(pk));
    aegis_tx_ext x;
    size_t n;
    uint8_t *e = ext_bytes(&n, sig, NULL, 0, NULL, 0);
    assert_int_equal(n, 4 + 3 + AEGIS_MLDSA87_SIG_BYTES);
    assert_memory_equal(e, "AGX1\x01", 5);
    assert_int_equal(aegis_tx_ext_parse(e, n, &x), AEGIS_OK);
    assert_true(x.present);
    assert_ptr_equal(x.witness_sig, e + 7);
    assert_null(x.witness_pk);
    assert_false(x.has_intent);
    /* truncations at every length are errors, never reads past the end */
    for (size_t k = 0; k < n; k++)
        assert_int_not_equal(aegis_tx_ext_parse(e, k, &x), AEGIS_OK);
    aegis_free(e);

    const uint8_t asset[3] = { 'e', 't', 'h' };
    e = ext_bytes(&n, sig, pk, AEGIS_TX_INTENT_MIGRATION, asset, 3);
    assert_int_equal(aegis_tx_ext_parse(e, n, &x), AEGIS_OK);
    assert_ptr_equal(x.witness_pk, e + 7 + AEGIS_MLDSA87_SIG_BYTES);
    assert_true(x.has_intent);
    assert_int_equal(x.intent, AEGIS_TX_INTENT_MIGRATION);
    assert_int_equal(x.intent_asset_len, 3);
    assert_memory_equal(x.intent_asset, "eth", 3);
    /* trailing byte */
    uint8_t *t = malloc(n + 1);
    memcpy(t, e, n);
    t[n] = 0;
    assert_int_equal(aegis_tx_ext_parse(t, n + 1, &x), AEGIS_ERR_TX_EXT_TRUNCATED);
    free(t);
    aegis_free(e);

    /* intent only */
    e = ext_bytes(&n, NULL, NULL, AEGIS_TX_INTENT_MIGRATION, NULL, 0);
    assert_int_equal(aegis_tx_ext_parse(e, n, &x), AEGIS_OK);
    assert_null(x.witness_sig);
    assert_true(x.has_intent);
    assert_int_equal(x.intent_asset_len, 0);
    aegis_free(e);

    /* hand-made bad ones */
    struct { const uint8_t *p; size_t n; aegis_err want; } bad[] = {
        { (const uint8_t *)"AGX2\x02\x00\x01\x01", 8, AEGIS_ERR_TX_EXT_MAGIC },
        { (const uint8_t *)"AGX1", 4, AEGIS_ERR_TX_EXT_EMPTY },
        { (const uint8_t *)"AGX1\x03\x00\x00", 7, AEGIS_ERR_TX_EXT_UNKNOWN },
        { (const uint8_t *)"AGX1\x00\x00\x00", 7, AEGIS_ERR_TX_EXT_UNKNOWN },
        { (const uint8_t *)"AGX1\x02\x00\x01\x01\x02\x00\x01\x01", 12, AEGIS_ERR_TX_EXT_ORDER },
        { (const uint8_t *)"AGX1\x02\x00\x01\x07", 8, AEGIS_ERR_TX_EXT_INTENT },
        { (const uint8_t *)"AGX1\x02\x00\x00", 7, AEGIS_ERR_TX_EXT_LENGTH },
        { (const uint8_t *)"AGX1\x01\x00\x20" "0123456789abcdef0123456789abcdef", 39, AEGIS_ERR_TX_EXT_LENGTH },
        { (const uint8_t *)"AGX1\x02\x00\x02\x01", 8, AEGIS_ERR_TX_EXT_TRUNCATED },
        { (const uint8_t *)"AGX1\x02\x00", 6, AEGIS_ERR_TX_EXT_TRUNCATED },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(bad); i++) {
        aegis_err err = aegis_tx_ext_parse(bad[i].p, bad[i].n, &x);
        if (err != bad[i].want)
            fail_msg("bad[%zu]: got %s", i, aegis_err_name(err));
    }
    /* asset id of 65 bytes is too long; witness then intent out of order */
    uint8_t big[4 + 3 + 66];
    memcpy(big, "AGX1\x02\x00\x42\x01", 8);
    memset(big + 8, 'x', 65);
    assert_int_equal(aegis_tx_ext_parse(big, 4 + 3 + 66, &x), AEGIS_ERR_TX_EXT_LENGTH);
    big[6] = 0x41;
    assert_int_equal(aegis_tx_ext_parse(big, 4 + 3 + 65, &x), AEGIS_OK);
    aegis_buf b;
    aegis_buf_init(&b, 1 << 16);
    assert_int_equal(aegis_tx_ext_append(&b, NULL, pk, 0, NULL, 0), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_tx_ext_append(&b, NULL, NULL, 0, NULL, 0), AEGIS_ERR_INVAL);
    assert_int_equal(b.len, 0);
    aegis_buf_clear(&b);
}

static void test_ext_on_tx_and_witness(void **state)
{
    (void)state;
    static const uint8_t sk[32] = { 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };
    uint8_t seed[32], seed2[32];
    memset(seed, 0x11, 32);
    memset(seed2, 0x22, 32);
    uint8_t *pk = malloc(AEGIS_MLDSA87_PK_BYTES), *pk2 = malloc(AEGIS_MLDSA87_PK_BYTES);
    uint8_t *msk = malloc(AEGIS_MLDSA87_SK_BYTES), *msk2 = malloc(AEGIS_MLDSA87_SK_BYTES);
    uint8_t *sig = malloc(AEGIS_MLDSA87_SIG_BYTES);
    assert_int_equal(aegis_mldsa87_keygen_seed(pk, msk, seed), AEGIS_OK);
    assert_int_equal(aegis_mldsa87_keygen_seed(pk2, msk2, seed2), AEGIS_OK);

    /* an ERC-20 transfer with a witness + migration intent */
    cd c;
    cd_sel(&c, "transfer(address,uint256)");
    cd_addr(&c, 0x44);
    cd_word_u64(&c, 10);
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.chain_id = 1;
    p.gas_limit = 60000;
    aegis_u256_from_u64(&p.max_fee, 10);
    aegis_u256_from_u64(&p.max_priority_fee, 1);
    memcpy(p.to, TOKEN, 20);
    p.data = c.b;
    p.data_len = c.n;
    uint8_t *raw = NULL;
    size_t n = 0;
    assert_int_equal(aegis_tx_build(&p, sk, &raw, &n), AEGIS_OK);
    uint8_t txhash[32];
    aegis_keccak256(txhash, raw, n);
    assert_int_equal(aegis_mldsa87_sign(sig, txhash, 32, (const uint8_t *)AEGIS_TX_WITNESS_CTX,
                                        strlen(AEGIS_TX_WITNESS_CTX), msk, true), AEGIS_OK);
    aegis_buf b;
    aegis_buf_init(&b, 1 << 20);
    assert_int_equal(aegis_buf_append(&b, raw, n), AEGIS_OK);
    assert_int_equal(aegis_tx_ext_append(&b, sig, NULL, AEGIS_TX_INTENT_MIGRATION, TOKEN, 20), AEGIS_OK);

    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    aegis_tx tx;
    /* not allowed by default */
    assert_int_equal(aegis_tx_decode(&cfg, b.data, b.len, &tx, NULL), AEGIS_ERR_RLP_TRAILING);
    cfg.allow_extension = true;
    assert_int_equal(aegis_tx_decode(&cfg, b.data, b.len, &tx, NULL), AEGIS_OK);
    assert_int_equal(tx.raw_len, n);
    assert_memory_equal(tx.hash, txhash, 32);
    assert_true(tx.ext.present);
    assert_true(tx.ext.has_intent);
    assert_memory_equal(tx.ext.intent_asset, TOKEN, 20);
    assert_int_equal(tx.assets.call, AEGIS_TX_CALL_ERC20_TRANSFER);
    assert_int_equal(tx.assets.amount.w[0], 10);
    assert_memory_equal(tx.assets.contract, TOKEN, 20);
    /* witness against the registered key; the wrong key; no key */
    assert_int_equal(aegis_tx_verify_witness(&tx, pk), AEGIS_OK);
    assert_int_equal(aegis_tx_verify_witness(&tx, pk2), AEGIS_ERR_TX_WITNESS_BAD);
    assert_int_equal(aegis_tx_verify_witness(&tx, NULL), AEGIS_ERR_TX_WITNESS_MISSING);
    /* a flipped signature byte */
    b.data[n + 7 + 100] ^= 1;
    assert_int_equal(aegis_tx_decode(&cfg, b.data, b.len, &tx, NULL), AEGIS_OK);
    assert_int_equal(aegis_tx_verify_witness(&tx, pk), AEGIS_ERR_TX_WITNESS_BAD);
    b.data[n + 7 + 100] ^= 1;
    /* an extension with an unknown item makes the whole input invalid */
    uint8_t *bad = malloc(b.len + 3);
    memcpy(bad, b.data, b.len);
    memcpy(bad + b.len, "\x09\x00\x00", 3);
    assert_int_equal(aegis_tx_decode(&cfg, bad, b.len + 3, &tx, NULL), AEGIS_ERR_TX_EXT_UNKNOWN);
    free(bad);
    aegis_buf_clear(&b);

    /* registration: the witness carries its key */
    aegis_buf_init(&b, 1 << 20);
    assert_int_equal(aegis_buf_append(&b, raw, n), AEGIS_OK);
    assert_int_equal(aegis_tx_ext_append(&b, sig, pk, 0, NULL, 0), AEGIS_OK);
    assert_int_equal(aegis_tx_decode(&cfg, b.data, b.len, &tx, NULL), AEGIS_OK);
    assert_false(tx.ext.has_intent);
    assert_int_equal(aegis_tx_verify_witness(&tx, NULL), AEGIS_OK);
    assert_int_equal(aegis_tx_verify_witness(&tx, pk), AEGIS_OK);
    assert_int_equal(aegis_tx_verify_witness(&tx, pk2), AEGIS_ERR_TX_WITNESS_KEY_MISMATCH);
    aegis_buf_clear(&b);
    /* registration with someone else's key fails */
    aegis_buf_init(&b, 1 << 20);
    assert_int_equal(aegis_buf_append(&b, raw, n), AEGIS_OK);
    assert_int_equal(aegis_tx_ext_append(&b, sig, pk2, 0, NULL, 0), AEGIS_OK);
    assert_int_equal(aegis_tx_decode(&cfg, b.data, b.len, &tx, NULL), AEGIS_OK);
    assert_int_equal(aegis_tx_verify_witness(&tx, NULL), AEGIS_ERR_TX_WITNESS_BAD);
    aegis_buf_clear(&b);
    /* no extension at all */
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_OK);
    assert_false(tx.ext.present);
    assert_int_equal(aegis_tx_verify_witness(&tx, pk), AEGIS_ERR_TX_WITNESS_MISSING);

    aegis_free(raw);
    aegis_memzero(msk, AEGIS_MLDSA87_SK_BYTES);
    aegis_memzero(msk2, AEGIS_MLDSA87_SK_BYTES);
    free(msk);
    free(msk2);
    free(pk);
    free(pk2);
    free(sig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selectors_and_erc20),
        cmocka_unit_test(test_erc721_1155),
        cmocka_unit_test(test_ext_parse),
        cmocka_unit_test(test_ext_on_tx_and_witness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
