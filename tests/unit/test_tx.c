/*
 * test_tx.c - transaction decoding: valid legacy / EIP-155 / 2930 / 1559
 * transactions built with aegis_tx_build, a known-answer EIP-155 vector,
 * and one crafted, correctly signed transaction per invalid class.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/crypto.h"
#include "aegis/rlp.h"
#include "aegis/tx.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ })

static const uint8_t SK[32] = {
    0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46,
    0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46, 0x46,
};

static void sender_of(uint8_t addr[20], const uint8_t sk[32])
{
    uint8_t pk[65];
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_OK);
    aegis_eth_address(addr, pk);
}

/* ---------------- crafting: one raw RLP encoding per unsigned field ---------------- */
enum { MAXF = 9 };
typedef struct tmpl {
    int type;                 /* 0, 1, 2 (or anything, written as the type byte) */
    size_t nf;                /* unsigned fields */
    uint8_t *f[MAXF];
    size_t fl[MAXF];
    bool eip155;
    uint64_t chain;           /* for the EIP-155 signing tail and v */
    /* signature overrides (raw RLP) */
    const uint8_t *v_raw, *r_raw, *s_raw;
    size_t v_n, r_n, s_n;
    bool high_s;
    bool extra_field;         /* append one more field after s */
} tmpl;

/* Legacy: nonce price gas to value data. Typed 1: chain nonce price gas to
 * value data al. Typed 2: chain nonce prio max gas to value data al. */
enum { L_NONCE, L_PRICE, L_GAS, L_TO, L_VALUE, L_DATA };
enum { T1_CHAIN, T1_NONCE, T1_PRICE, T1_GAS, T1_TO, T1_VALUE, T1_DATA, T1_AL };
enum { T2_CHAIN, T2_NONCE, T2_PRIO, T2_MAX, T2_GAS, T2_TO, T2_VALUE, T2_DATA, T2_AL };

static void set_raw(tmpl *t, size_t i, const void *p, size_t n)
{
    free(t->f[i]);
    t->f[i] = malloc(n ? n : 1);
    assert_non_null(t->f[i]);
    memcpy(t->f[i], p, n);
    t->fl[i] = n;
}

static void enc_into(tmpl *t, size_t i, aegis_rlp_enc *e)
{
    uint8_t *out = NULL;
    size_t n = 0;
    assert_int_equal(aegis_rlp_enc_finish(e, &out, &n), AEGIS_OK);
    free(t->f[i]);
    t->f[i] = malloc(n);
    memcpy(t->f[i], out, n);
    t->fl[i] = n;
    aegis_free(out);
}

static void set_uint(tmpl *t, size_t i, uint64_t v)
{
    aegis_rlp_enc e;
    aegis_rlp_enc_init(&e, 64);
    aegis_rlp_enc_uint(&e, v);
    enc_into(t, i, &e);
}

static void set_bytes(tmpl *t, size_t i, const void *p, size_t n)
{
    aegis_rlp_enc e;
    aegis_rlp_enc_init(&e, n + 16);
    aegis_rlp_enc_bytes(&e, p, n);
    enc_into(t, i, &e);
}

static const uint8_t TO[20] = { 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35,
                                0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35, 0x35 };

static void tmpl_init(tmpl *t, int type)
{
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->chain = 1;
    t->eip155 = true;
    size_t o = 0;
    if (type == 0) {
        t->nf = 6;
    } else {
        t->nf = type == 1 ? 8 : 9;
        set_uint(t, 0, 1);
        o = 1;
    }
    set_uint(t, o + 0, 7);                          /* nonce */
    set_uint(t, o + 1, 1000000000);                 /* price or prio */
    if (type == 2) {
        set_uint(t, o + 2, 2000000000);             /* max fee */
        o++;
    }
    set_uint(t, o + 2, 21000);                      /* gas */
    set_bytes(t, o + 3, TO, 20);                    /* to */
    set_uint(t, o + 4, 12345);                      /* value */
    set_bytes(t, o + 5, "", 0);                     /* data */
    if (type != 0)
        set_raw(t, o + 6, B(0xc0), 1);              /* access list */
}

static void tmpl_free(tmpl *t)
{
    for (size_t i = 0; i < MAXF; i++)
        free(t->f[i]);
}

/* Sign and assemble; the caller frees *out. */
static size_t craft(tmpl *t, uint8_t **out)
{
    aegis_rlp_enc e;
    uint8_t *pay = NULL, *body = NULL;
    size_t pn = 0, bn = 0;
    uint8_t digest[32], sig[65];

    aegis_rlp_enc_init(&e, 1 << 20);
    aegis_rlp_enc_list_begin(&e);
    for (size_t i = 0; i < t->nf; i++)
        aegis_rlp_enc_raw(&e, t->f[i], t->fl[i]);
    if (t->type == 0 && t->eip155) {
        aegis_rlp_enc_uint(&e, t->chain);
        aegis_rlp_enc_uint(&e, 0);
        aegis_rlp_enc_uint(&e, 0);
    }
    aegis_rlp_enc_list_end(&e);
    assert_int_equal(aegis_rlp_enc_finish(&e, &pay, &pn), AEGIS_OK);
    aegis_keccak k;
    aegis_keccak256_init(&k);
    if (t->type != 0) {
        uint8_t tb = (uint8_t)t->type;
        aegis_keccak256_update(&k, &tb, 1);
    }
    aegis_keccak256_update(&k, pay, pn);
    aegis_keccak256_final(&k, digest);
    aegis_free(pay);
    assert_int_equal(aegis_secp256k1_sign(sig, digest, SK), AEGIS_OK);
    int recid = sig[64];
    if (t->high_s) {
        /* (r, n - s) is the same signature with the other parity */
        extern const uint8_t aegis__secp256k1_n[32];
        aegis_u256 n, s;
        aegis_u256_from_be(&n, aegis__secp256k1_n, 32);
        aegis_u256_from_be(&s, sig + 32, 32);
        assert_false(aegis_u256_sub(&s, &n, &s));
        aegis_u256_to_be(sig + 32, &s);
        recid ^= 1;
    }

    aegis_rlp_enc_init(&e, 1 << 20);
    aegis_rlp_enc_list_begin(&e);
    for (size_t i = 0; i < t->nf; i++)
        aegis_rlp_enc_raw(&e, t->f[i], t->fl[i]);
    if (t->v_raw)
        aegis_rlp_enc_raw(&e, t->v_raw, t->v_n);
    else if (t->type == 0)
        aegis_rlp_enc_uint(&e, t->eip155 ? t->chain * 2 + 35 + (uint64_t)recid : 27u + (uint64_t)recid);
    else
        aegis_rlp_enc_uint(&e, (uint64_t)recid);
    if (t->r_raw)
        aegis_rlp_enc_raw(&e, t->r_raw, t->r_n);
    else
        aegis_rlp_enc_be(&e, sig, 32);
    if (t->s_raw)
        aegis_rlp_enc_raw(&e, t->s_raw, t->s_n);
    else
        aegis_rlp_enc_be(&e, sig + 32, 32);
    if (t->extra_field)
        aegis_rlp_enc_uint(&e, 0);
    aegis_rlp_enc_list_end(&e);
    assert_int_equal(aegis_rlp_enc_finish(&e, &body, &bn), AEGIS_OK);
    size_t off = t->type != 0 ? 1 : 0;
    *out = malloc(bn + off);
    if (off)
        (*out)[0] = (uint8_t)t->type;
    memcpy(*out + off, body, bn);
    aegis_free(body);
    return bn + off;
}

/* Craft t and decode it under cfg; returns the error. */
static aegis_err try_cfg(tmpl *t, const aegis_tx_config *cfg, aegis_tx *tx)
{
    uint8_t *raw = NULL;
    size_t n = craft(t, &raw);
    aegis_tx local;
    const char *msg = NULL;
    aegis_err err = aegis_tx_decode(cfg, raw, n, tx ? tx : &local, &msg);
    if (err)
        assert_non_null(msg);
    free(raw);
    return err;
}

static aegis_err try(tmpl *t)
{
    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    return try_cfg(t, &cfg, NULL);
}

/* ---------------- valid transactions ---------------- */

/* EIP-155's own example (private key 0x46..46, chain 1). */
static void test_eip155_known_answer(void **state)
{
    (void)state;
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_LEGACY;
    p.eip155 = true;
    p.chain_id = 1;
    p.nonce = 9;
    aegis_u256_from_u64(&p.gas_price, 20000000000ull);
    p.gas_limit = 21000;
    memcpy(p.to, TO, 20);
    aegis_u256_from_u64(&p.value, 1000000000000000000ull);
    uint8_t h[32], want_h[32];
    assert_int_equal(aegis_tx_params_signing_hash(&p, h), AEGIS_OK);
    assert_int_equal(aegis_hex_decode_exact("daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53",
                                            want_h, 32), AEGIS_OK);
    assert_memory_equal(h, want_h, 32);
    uint8_t *raw = NULL;
    size_t n = 0;
    assert_int_equal(aegis_tx_build(&p, SK, &raw, &n), AEGIS_OK);
    uint8_t *want = NULL;
    size_t wn = 0;
    assert_int_equal(aegis_hex_decode_alloc(
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
        "8025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f76"
        "1aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83", 1000, &want, &wn), AEGIS_OK);
    assert_int_equal(n, wn);
    assert_memory_equal(raw, want, n);
    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    aegis_tx tx;
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_OK);
    assert_memory_equal(tx.signing_hash, want_h, 32);
    uint8_t addr[20], want_addr[20];
    assert_int_equal(aegis_hex_decode_exact("9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f", want_addr, 20),
                     AEGIS_OK);
    sender_of(addr, SK);
    assert_memory_equal(addr, want_addr, 20);
    assert_memory_equal(tx.sender, want_addr, 20);
    assert_true(tx.eip155);
    assert_int_equal(tx.chain_id, 1);
    assert_int_equal(tx.nonce, 9);
    assert_int_equal(tx.intrinsic_gas, 21000);
    assert_int_equal(tx.v.w[0], 37);
    uint8_t th[32];
    aegis_keccak256(th, raw, n);
    assert_memory_equal(tx.hash, th, 32);
    aegis_free(raw);
    aegis_free(want);
}

static void build_decode(aegis_tx_params *p, aegis_tx *tx, uint8_t **raw, size_t *n)
{
    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    cfg.chain_id = p->chain_id ? p->chain_id : 1;
    assert_int_equal(aegis_tx_build(p, SK, raw, n), AEGIS_OK);
    const char *msg = NULL;
    aegis_err err = aegis_tx_decode(&cfg, *raw, *n, tx, &msg);
    if (err)
        fail_msg("decode: %s (%s)", aegis_err_name(err), msg);
}

static void test_valid_types(void **state)
{
    (void)state;
    uint8_t me[20];
    sender_of(me, SK);
    static const uint8_t keys[2][32] = { { 1 }, { 2 } };
    aegis_tx_al_entry al[2];
    memset(al, 0, sizeof(al));
    memset(al[0].address, 0xaa, 20);
    al[0].n_keys = 2;
    al[0].keys = keys;
    memset(al[1].address, 0xbb, 20);
    const uint8_t data[] = { 0, 0, 1, 2, 0 };   /* 3 zero, 2 non-zero */

    for (int type = 0; type <= 3; type++) {
        aegis_tx_params p;
        memset(&p, 0, sizeof(p));
        p.type = (uint8_t)(type == 3 ? 0 : type);
        p.eip155 = type != 3;                 /* type 3 here = pre-EIP-155 legacy */
        p.chain_id = type == 3 ? 0 : 1337;
        p.nonce = 42;
        p.gas_limit = 100000;
        aegis_u256_from_u64(&p.gas_price, 5);
        aegis_u256_from_u64(&p.max_fee, 9);
        aegis_u256_from_u64(&p.max_priority_fee, 3);
        memcpy(p.to, TO, 20);
        aegis_u256_from_u64(&p.value, 77);
        p.data = data;
        p.data_len = sizeof(data);
        if (p.type != 0) {
            p.access_list = al;
            p.access_list_len = 2;
        }
        aegis_tx tx;
        uint8_t *raw = NULL;
        size_t n = 0;
        build_decode(&p, &tx, &raw, &n);
        assert_int_equal(tx.type, p.type);
        assert_memory_equal(tx.sender, me, 20);
        assert_int_equal(tx.nonce, 42);
        assert_int_equal(tx.gas_limit, 100000);
        assert_int_equal(tx.data_len, sizeof(data));
        assert_memory_equal(tx.data, data, sizeof(data));
        assert_memory_equal(tx.to, TO, 20);
        assert_false(tx.is_create);
        assert_int_equal(tx.value.w[0], 77);
        assert_ptr_equal(tx.raw, raw);
        assert_int_equal(tx.raw_len, n);
        uint64_t ig = 21000 + 3 * 4 + 2 * 16;
        if (p.type != 0) {
            assert_int_equal(tx.access_list_addresses, 2);
            assert_int_equal(tx.access_list_keys, 2);
            ig += 2 * 2400 + 2 * 1900;
            assert_int_equal(tx.chain_id, 1337);
        }
        assert_int_equal(tx.intrinsic_gas, ig);
        if (p.type == 2) {
            assert_int_equal(tx.max_fee.w[0], 9);
            assert_int_equal(tx.max_priority_fee.w[0], 3);
            assert_int_equal(tx.priority.w[0], 3);
        } else {
            assert_int_equal(tx.gas_price.w[0], 5);
            assert_int_equal(tx.priority.w[0], 5);
        }
        assert_int_equal(tx.eip155, type != 3);
        uint8_t h[32];
        aegis_keccak256(h, raw, n);
        assert_memory_equal(tx.hash, h, 32);
        uint8_t sh[32];
        assert_int_equal(aegis_tx_params_signing_hash(&p, sh), AEGIS_OK);
        assert_memory_equal(tx.signing_hash, sh, 32);
        /* any flipped byte changes the hash, and is rejected or changes the sender */
        raw[n / 2] ^= 0x01;
        aegis_tx_config cfg;
        aegis_tx_config_default(&cfg);
        cfg.chain_id = 1337;
        aegis_tx tx2;
        if (aegis_tx_decode(&cfg, raw, n, &tx2, NULL) == AEGIS_OK) {
            assert_memory_not_equal(tx2.hash, tx.hash, 32);
            assert_memory_not_equal(tx2.sender, me, 20);
        }
        aegis_free(raw);
    }
}

static void test_creation_and_priority(void **state)
{
    (void)state;
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = 2;
    p.chain_id = 1;
    p.is_create = true;
    uint8_t *code = calloc(1, AEGIS_TX_MAX_INITCODE + 1);
    memset(code, 0x60, 100);
    p.data = code;
    p.data_len = AEGIS_TX_MAX_INITCODE;
    /* 100 non-zero, rest zero, 1536 words */
    uint64_t ig = 21000 + 32000 + 100 * 16 + (AEGIS_TX_MAX_INITCODE - 100) * 4 + 1536 * 2;
    assert_int_equal(aegis_tx_intrinsic_gas(true, code, AEGIS_TX_MAX_INITCODE, 0, 0), ig);
    p.gas_limit = ig;
    aegis_u256_from_u64(&p.max_fee, 100);
    aegis_u256_from_u64(&p.max_priority_fee, 30);
    aegis_tx tx;
    uint8_t *raw = NULL;
    size_t n = 0;
    build_decode(&p, &tx, &raw, &n);
    assert_true(tx.is_create);
    assert_int_equal(tx.intrinsic_gas, ig);
    assert_false(tx.assets.has_contract);
    /* effective tip with a base fee: min(30, 100 - base) */
    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    aegis_u256_from_u64(&cfg.base_fee, 80);
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_OK);
    assert_int_equal(tx.priority.w[0], 20);
    aegis_u256_from_u64(&cfg.base_fee, 150);
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_OK);
    assert_true(aegis_u256_is_zero(&tx.priority));
    aegis_free(raw);

    /* one byte more: EIP-3860 */
    p.data_len = AEGIS_TX_MAX_INITCODE + 1;
    p.gas_limit = 10000000;
    assert_int_equal(aegis_tx_build(&p, SK, &raw, &n), AEGIS_OK);
    aegis_tx_config_default(&cfg);
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_ERR_TX_INITCODE_TOO_BIG);
    /* the same data to an address is fine (calldata, not initcode) */
    aegis_free(raw);
    p.is_create = false;
    memcpy(p.to, TO, 20);
    build_decode(&p, &tx, &raw, &n);
    aegis_free(raw);
    free(code);
}

/* ---------------- invalid classes ---------------- */

static void test_envelope_and_shape(void **state)
{
    (void)state;
    tmpl t;
    aegis_tx_config cfg;
    aegis_tx tx;
    aegis_tx_config_default(&cfg);
    /* baseline: each template is valid */
    for (int ty = 0; ty <= 2; ty++) {
        tmpl_init(&t, ty);
        assert_int_equal(try(&t), AEGIS_OK);
        tmpl_free(&t);
    }
    /* unsupported type bytes (3 blob, 4 set-code, 0x7f), and an RLP string */
    for (int ty = 3; ty <= 0x7f; ty += 0x7f - 4) {
        tmpl_init(&t, 2);
        t.type = ty;
        assert_int_equal(try(&t), AEGIS_ERR_TX_TYPE_UNSUPPORTED);
        tmpl_free(&t);
    }
    assert_int_equal(aegis_tx_decode(&cfg, B(0x83, 1, 2, 3), 4, &tx, NULL), AEGIS_ERR_TX_TYPE_UNSUPPORTED);
    assert_int_equal(aegis_tx_decode(&cfg, B(0x00, 0xc0), 2, &tx, NULL), AEGIS_ERR_TX_TYPE_UNSUPPORTED);
    assert_int_equal(aegis_tx_decode(&cfg, B(0x02, 0x80), 2, &tx, NULL), AEGIS_ERR_RLP_EXPECTED_LIST);
    assert_int_equal(aegis_tx_decode(&cfg, B(0x02), 1, &tx, NULL), AEGIS_ERR_RLP_EMPTY);
    assert_int_equal(aegis_tx_decode(&cfg, NULL, 0, &tx, NULL), AEGIS_ERR_RLP_EMPTY);
    /* field count: one too few (drop data), one too many */
    tmpl_init(&t, 0);
    t.nf = 5;
    assert_int_equal(try(&t), AEGIS_ERR_RLP_FIELD_COUNT);
    t.nf = 6;
    t.extra_field = true;
    assert_int_equal(try(&t), AEGIS_ERR_RLP_FIELD_COUNT);
    tmpl_free(&t);
    tmpl_init(&t, 2);
    t.extra_field = true;
    assert_int_equal(try(&t), AEGIS_ERR_RLP_FIELD_COUNT);
    tmpl_free(&t);
    /* trailing bytes; size limit */
    tmpl_init(&t, 1);
    uint8_t *raw = NULL;
    size_t n = craft(&t, &raw);
    uint8_t *more = malloc(n + 4);
    memcpy(more, raw, n);
    memcpy(more + n, "AGX1", 4);
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_OK);
    assert_int_equal(aegis_tx_decode(&cfg, more, n + 1, &tx, NULL), AEGIS_ERR_RLP_TRAILING);
    cfg.allow_extension = true;
    more[n] = 0x00;
    assert_int_equal(aegis_tx_decode(&cfg, more, n + 1, &tx, NULL), AEGIS_ERR_TX_TRAILING);
    more[n] = 'A';
    assert_int_equal(aegis_tx_decode(&cfg, more, n + 4, &tx, NULL), AEGIS_ERR_TX_EXT_EMPTY);
    cfg.allow_extension = false;
    cfg.max_bytes = n - 1;
    assert_int_equal(aegis_tx_decode(&cfg, raw, n, &tx, NULL), AEGIS_ERR_TX_TOO_BIG);
    /* truncated by one byte */
    aegis_tx_config_default(&cfg);
    assert_int_equal(aegis_tx_decode(&cfg, raw, n - 1, &tx, NULL), AEGIS_ERR_RLP_TRUNCATED);
    free(more);
    free(raw);
    tmpl_free(&t);
}

static void test_integer_fields(void **state)
{
    (void)state;
    tmpl t;
    uint8_t nine[10] = { 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
    uint8_t big33[34];
    big33[0] = 0xa1;
    memset(big33 + 1, 0x01, 33);
    /* leading zeros: gas limit 0x00 5208, nonce 0x00 */
    tmpl_init(&t, 0);
    set_raw(&t, L_GAS, B(0x83, 0x00, 0x52, 0x08), 4);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    set_uint(&t, L_GAS, 21000);
    set_raw(&t, L_NONCE, B(0x00), 1);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    /* nonce: 9 bytes, and exactly 2^64-1; 2^64-2 is fine */
    set_raw(&t, L_NONCE, nine, sizeof(nine));
    assert_int_equal(try(&t), AEGIS_ERR_TX_NONCE_TOO_BIG);
    set_uint(&t, L_NONCE, UINT64_MAX);
    assert_int_equal(try(&t), AEGIS_ERR_TX_NONCE_TOO_BIG);
    set_uint(&t, L_NONCE, UINT64_MAX - 1);
    assert_int_equal(try(&t), AEGIS_OK);
    /* gas limit over 64 bits */
    set_raw(&t, L_GAS, nine, sizeof(nine));
    assert_int_equal(try(&t), AEGIS_ERR_TX_GAS_LIMIT_TOO_BIG);
    set_uint(&t, L_GAS, 21000);
    /* price and value over 256 bits */
    set_raw(&t, L_PRICE, big33, sizeof(big33));
    assert_int_equal(try(&t), AEGIS_ERR_TX_FEE_TOO_BIG);
    set_uint(&t, L_PRICE, 1);
    set_raw(&t, L_VALUE, big33, sizeof(big33));
    assert_int_equal(try(&t), AEGIS_ERR_TX_VALUE_TOO_BIG);
    /* a list where an integer belongs */
    set_raw(&t, L_VALUE, B(0xc1, 0x01), 2);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_EXPECTED_STRING);
    set_uint(&t, L_VALUE, 1);
    set_raw(&t, L_DATA, B(0xc0), 1);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_EXPECTED_STRING);
    tmpl_free(&t);

    /* 1559: leading zero in max fee and priority fee; priority > max */
    tmpl_init(&t, 2);
    set_raw(&t, T2_MAX, B(0x82, 0x00, 0x01), 3);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    set_uint(&t, T2_MAX, 100);
    set_raw(&t, T2_PRIO, B(0x82, 0x00, 0x01), 3);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    set_uint(&t, T2_PRIO, 101);
    assert_int_equal(try(&t), AEGIS_ERR_TX_PRIORITY_ABOVE_MAX_FEE);
    set_uint(&t, T2_PRIO, 100);
    assert_int_equal(try(&t), AEGIS_OK);
    /* chain id wider than 64 bits can never be ours */
    set_raw(&t, T2_CHAIN, nine, sizeof(nine));
    assert_int_equal(try(&t), AEGIS_ERR_TX_CHAIN_ID);
    tmpl_free(&t);
}

static void test_fee_product(void **state)
{
    (void)state;
    tmpl t;
    /* gas 2^63 * price 2^193 = 2^256: overflow; price 2^192 fits */
    uint8_t p193[26], p192[26];
    memset(p193, 0, sizeof(p193));
    memset(p192, 0, sizeof(p192));
    p193[0] = 0x99;     /* 25-byte string */
    p193[1] = 0x02;     /* 2^193 = 0x02 followed by 24 zero bytes */
    p192[0] = 0x99;
    p192[1] = 0x01;
    tmpl_init(&t, 0);
    set_uint(&t, L_GAS, 1ull << 63);
    set_raw(&t, L_PRICE, p193, sizeof(p193));
    assert_int_equal(try(&t), AEGIS_ERR_TX_FEE_PRODUCT_OVERFLOW);
    set_raw(&t, L_PRICE, p192, sizeof(p192));
    assert_int_equal(try(&t), AEGIS_OK);
    tmpl_free(&t);
    tmpl_init(&t, 2);               /* 1559: the max fee is what multiplies */
    set_uint(&t, T2_GAS, 1ull << 63);
    set_uint(&t, T2_PRIO, 1);
    set_raw(&t, T2_MAX, p193, sizeof(p193));
    assert_int_equal(try(&t), AEGIS_ERR_TX_FEE_PRODUCT_OVERFLOW);
    tmpl_free(&t);
}

static void test_to_and_access_list(void **state)
{
    (void)state;
    tmpl t;
    uint8_t addr21[21] = { 0 };
    tmpl_init(&t, 0);
    set_bytes(&t, L_TO, TO, 19);
    assert_int_equal(try(&t), AEGIS_ERR_TX_ADDRESS_LENGTH);
    memcpy(addr21 + 1, TO, 20);
    set_bytes(&t, L_TO, addr21, 21);
    assert_int_equal(try(&t), AEGIS_ERR_TX_ADDRESS_LENGTH);
    set_raw(&t, L_TO, B(0xc0), 1);
    assert_int_equal(try(&t), AEGIS_ERR_RLP_EXPECTED_STRING);
    tmpl_free(&t);

    /* access lists, each encoded by hand: [[addr, [key...]]] */
    struct { const char *what; int addr_len, key_len, shape; aegis_err want; } cases[] = {
        { "valid",            20, 32, 0, AEGIS_OK },
        { "address 19",       19, 32, 0, AEGIS_ERR_TX_ACCESS_LIST },
        { "address 21",       21, 32, 0, AEGIS_ERR_TX_ACCESS_LIST },
        { "key 31",           20, 31, 0, AEGIS_ERR_TX_ACCESS_LIST },
        { "key 33",           20, 33, 0, AEGIS_ERR_TX_ACCESS_LIST },
        { "entry 3 items",    20, 32, 1, AEGIS_ERR_TX_ACCESS_LIST },
        { "keys not a list",  20, 32, 2, AEGIS_ERR_TX_ACCESS_LIST },
        { "entry not a list", 20, 32, 3, AEGIS_ERR_TX_ACCESS_LIST },
        { "al not a list",    20, 32, 4, AEGIS_ERR_TX_ACCESS_LIST },
    };
    uint8_t zeros[40] = { 0 };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(cases); i++) {
        aegis_rlp_enc e;
        aegis_rlp_enc_init(&e, 1024);
        if (cases[i].shape == 4) {
            aegis_rlp_enc_bytes(&e, zeros, 20);
        } else {
            aegis_rlp_enc_list_begin(&e);
            if (cases[i].shape == 3) {
                aegis_rlp_enc_bytes(&e, zeros, 20);
            } else {
                aegis_rlp_enc_list_begin(&e);
                aegis_rlp_enc_bytes(&e, zeros, (size_t)cases[i].addr_len);
                if (cases[i].shape == 2) {
                    aegis_rlp_enc_bytes(&e, zeros, 32);
                } else {
                    aegis_rlp_enc_list_begin(&e);
                    aegis_rlp_enc_bytes(&e, zeros, 32);
                    aegis_rlp_enc_bytes(&e, zeros, (size_t)cases[i].key_len);
                    aegis_rlp_enc_list_end(&e);
                }
                if (cases[i].shape == 1)
                    aegis_rlp_enc_bytes(&e, zeros, 1);
                aegis_rlp_enc_list_end(&e);
            }
            aegis_rlp_enc_list_end(&e);
        }
        for (int ty = 1; ty <= 2; ty++) {
            tmpl_init(&t, ty);
            enc_into(&t, ty == 1 ? T1_AL : T2_AL, &e);
            set_uint(&t, ty == 1 ? T1_GAS : T2_GAS, 100000);
            aegis_tx tx;
            aegis_tx_config cfg;
            aegis_tx_config_default(&cfg);
            aegis_err err = try_cfg(&t, &cfg, &tx);
            if (err != cases[i].want)
                fail_msg("%s (type %d): got %s", cases[i].what, ty, aegis_err_name(err));
            if (err == AEGIS_OK) {
                assert_int_equal(tx.access_list_addresses, 1);
                assert_int_equal(tx.access_list_keys, 2);
                assert_int_equal(tx.intrinsic_gas, 21000 + 2400 + 2 * 1900);
            }
            if (ty == 1) {
                /* reuse the same encoding for type 2: re-encode */
                aegis_rlp_enc_init(&e, 1024);
                aegis_rlp_enc_raw(&e, t.f[T1_AL], t.fl[T1_AL]);
            }
            tmpl_free(&t);
        }
        aegis_rlp_enc_clear(&e);
    }
}

static void test_intrinsic_gas(void **state)
{
    (void)state;
    tmpl t;
    const uint8_t data[] = { 0, 1, 0, 0, 0xff };   /* 3 zero, 2 non-zero: 21044 */
    tmpl_init(&t, 0);
    set_bytes(&t, L_DATA, data, sizeof(data));
    set_uint(&t, L_GAS, 21043);
    assert_int_equal(try(&t), AEGIS_ERR_TX_INTRINSIC_GAS);
    set_uint(&t, L_GAS, 21044);
    assert_int_equal(try(&t), AEGIS_OK);
    /* creation: + 32000 + 2 per word (1 word) */
    set_raw(&t, L_TO, B(0x80), 1);
    set_uint(&t, L_GAS, 21044 + 32000 + 1);
    assert_int_equal(try(&t), AEGIS_ERR_TX_INTRINSIC_GAS);
    set_uint(&t, L_GAS, 21044 + 32000 + 2);
    assert_int_equal(try(&t), AEGIS_OK);
    tmpl_free(&t);
    /* 33 bytes of initcode are 2 words */
    uint8_t code[33];
    memset(code, 0, sizeof(code));
    assert_int_equal(aegis_tx_intrinsic_gas(true, code, 33, 0, 0), 21000 + 32000 + 33 * 4 + 4);
    assert_int_equal(aegis_tx_intrinsic_gas(true, code, 32, 0, 0), 21000 + 32000 + 32 * 4 + 2);
    assert_int_equal(aegis_tx_intrinsic_gas(false, NULL, 0, 3, 5), 21000 + 3 * 2400 + 5 * 1900);
}

static void test_chain_id_and_v(void **state)
{
    (void)state;
    tmpl t;
    aegis_tx_config cfg;
    aegis_tx tx;
    /* legacy EIP-155 for chain 5 under config 1 */
    tmpl_init(&t, 0);
    t.chain = 5;
    assert_int_equal(try(&t), AEGIS_ERR_TX_CHAIN_ID);
    aegis_tx_config_default(&cfg);
    cfg.chain_id = 5;
    assert_int_equal(try_cfg(&t, &cfg, &tx), AEGIS_OK);
    assert_int_equal(tx.chain_id, 5);
    /* pre-EIP-155: allowed by default, refused when EIP-155 is required */
    t.eip155 = false;
    assert_int_equal(try_cfg(&t, &cfg, &tx), AEGIS_OK);
    assert_false(tx.eip155);
    assert_int_equal(tx.chain_id, 0);
    cfg.require_eip155 = true;
    assert_int_equal(try_cfg(&t, &cfg, &tx), AEGIS_ERR_TX_UNPROTECTED);
    /* v values that are neither: 0, 26, 29, 34, and 2^64 + 37 */
    static const uint64_t bad_v[] = { 0, 26, 29, 34, 39 };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(bad_v); i++) {
        uint8_t enc[9];
        aegis_rlp_enc e;
        uint8_t *o = NULL;
        size_t on = 0;
        aegis_rlp_enc_init(&e, 16);
        aegis_rlp_enc_uint(&e, bad_v[i]);
        assert_int_equal(aegis_rlp_enc_finish(&e, &o, &on), AEGIS_OK);
        memcpy(enc, o, on);
        aegis_free(o);
        t.v_raw = enc;
        t.v_n = on;
        t.eip155 = true;
        t.chain = 1;
        assert_int_equal(try(&t), AEGIS_ERR_TX_CHAIN_ID);
    }
    t.v_raw = B(0x89, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x25);
    t.v_n = 10;
    assert_int_equal(try(&t), AEGIS_ERR_TX_CHAIN_ID);
    t.v_raw = B(0x82, 0x00, 0x25);   /* 37 with a leading zero */
    t.v_n = 3;
    assert_int_equal(try(&t), AEGIS_ERR_RLP_INT_LEADING_ZERO);
    tmpl_free(&t);
    /* typed: wrong chain id; y-parity 2 */
    tmpl_init(&t, 2);
    set_uint(&t, T2_CHAIN, 5);
    assert_int_equal(try(&t), AEGIS_ERR_TX_CHAIN_ID);
    set_uint(&t, T2_CHAIN, 1);
    t.v_raw = B(0x02);
    t.v_n = 1;
    assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_V);
    t.v_raw = B(0x1b);             /* a legacy-style v in a typed tx */
    assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_V);
    tmpl_free(&t);
}

static void test_signature_values(void **state)
{
    (void)state;
    extern const uint8_t aegis__secp256k1_n[32];
    extern const uint8_t aegis__secp256k1_half_n[32];
    tmpl t;
    uint8_t n_enc[33], half_enc[33];
    n_enc[0] = half_enc[0] = 0xa0;
    memcpy(n_enc + 1, aegis__secp256k1_n, 32);
    memcpy(half_enc + 1, aegis__secp256k1_half_n, 32);
    for (int ty = 0; ty <= 2; ty += 2) {
        tmpl_init(&t, ty);
        t.r_raw = B(0x80);         /* r = 0 */
        t.r_n = 1;
        assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_RANGE);
        t.r_raw = n_enc;           /* r = n */
        t.r_n = 33;
        assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_RANGE);
        t.r_raw = NULL;
        t.s_raw = B(0x80);         /* s = 0 */
        t.s_n = 1;
        assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_RANGE);
        t.s_raw = n_enc;           /* s = n */
        t.s_n = 33;
        assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_RANGE);
        uint8_t r33[34];
        r33[0] = 0xa1;
        memset(r33 + 1, 0x01, 33);
        t.s_raw = r33;             /* 33-byte s */
        t.s_n = 34;
        assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_RANGE);
        t.s_raw = NULL;
        /* the valid signature turned high-s (EIP-2) */
        t.high_s = true;
        assert_int_equal(try(&t), AEGIS_ERR_TX_SIG_HIGH_S);
        t.high_s = false;
        /* s = n/2 is the largest allowed value: passes the range checks
         * (the sender is then whatever recovers, or recovery fails) */
        t.s_raw = half_enc;
        t.s_n = 33;
        aegis_err err = try(&t);
        assert_true(err == AEGIS_OK || err == AEGIS_ERR_TX_RECOVERY);
        t.s_raw = NULL;
        /* some r values are not x coordinates on the curve: recovery fails */
        int fails = 0;
        for (uint8_t r = 1; r < 40 && !fails; r++) {
            uint8_t renc[1] = { r };
            t.r_raw = renc;
            t.r_n = 1;
            err = try(&t);
            assert_true(err == AEGIS_OK || err == AEGIS_ERR_TX_RECOVERY);
            fails += err == AEGIS_ERR_TX_RECOVERY;
        }
        assert_true(fails > 0);
        tmpl_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eip155_known_answer),
        cmocka_unit_test(test_valid_types),
        cmocka_unit_test(test_creation_and_priority),
        cmocka_unit_test(test_envelope_and_shape),
        cmocka_unit_test(test_integer_fields),
        cmocka_unit_test(test_fee_product),
        cmocka_unit_test(test_to_and_access_list),
        cmocka_unit_test(test_intrinsic_gas),
        cmocka_unit_test(test_chain_id_and_v),
        cmocka_unit_test(test_signature_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
