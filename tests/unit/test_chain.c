/*
 * test_chain.c - the published chain format on its own (no core): batches
 * assembled here from a fresh key set and a sim TEE, their strict JSON
 * parsing (each missing or malformed field), the key-set and seal records,
 * report_data layout, and verification of a hand-built batch.
 * (test_core_verify.c verifies batches the core produced.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>

#include "aegis/batch.h"
#include "aegis/chain.h"
#include "aegis/keys.h"
#include "aegis/tee.h"

typedef struct fx {
    char dir[64];
    aegis_tee *tee;
    aegis_keyset *ks;
    const aegis_keyset_pub *pub;
    uint8_t raw[3][40];
    aegis_chain_batch b;
    char *json;
} fx;

static int rm_cb(const char *p, const struct stat *sb, int f, struct FTW *w)
{
    (void)sb;
    (void)f;
    (void)w;
    return remove(p);
}

/* A signed, attested 3-tx batch number 1 built by hand, as the core would. */
static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/aegis-chaintest-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    aegis_tee_option o = { "data_dir", f->dir };
    assert_int_equal(aegis_tee_open("sim", &o, 1, &f->tee), AEGIS_OK);
    assert_int_equal(aegis_keyset_generate(1, &f->ks), AEGIS_OK);
    f->pub = aegis_keyset_public(f->ks);

    aegis_chain_batch *b = &f->b;
    b->txs = calloc(3, sizeof(*b->txs));
    assert_non_null(b->txs);
    uint8_t hashes[3][32];
    for (int i = 0; i < 3; i++) {
        memset(f->raw[i], 0xa0 + i, sizeof(f->raw[i]));
        b->txs[i].raw = f->raw[i];
        b->txs[i].raw_len = sizeof(f->raw[i]) - (size_t)i;
        aegis_keccak256(b->txs[i].hash, b->txs[i].raw, b->txs[i].raw_len);
        memcpy(hashes[i], b->txs[i].hash, 32);
        memset(b->txs[i].sender, i + 1, 20);
        b->txs[i].nonce = (uint64_t)i;
        b->txs[i].envelope_id = 10 + (uint64_t)i;
    }
    b->n_txs = 3;
    b->h.version = AEGIS_BATCH_VERSION;
    b->h.chain_id = 7;
    b->h.number = 1;
    b->h.timestamp_ms = 1700000000000ull;
    b->h.tx_count = 3;
    assert_int_equal(aegis_batch_merkle_root((const uint8_t (*)[32])hashes, 3, b->h.tx_root), AEGIS_OK);
    b->h.strategy_id = 5;
    b->h.algorithm_set = AEGIS_ALG_ALL;
    b->h.key_epoch = 1;
    assert_int_equal(aegis_batch_header_hash(&b->h, b->hash), AEGIS_OK);
    const uint8_t *ctx = (const uint8_t *)AEGIS_CHAIN_BATCH_CTX;
    assert_int_equal(aegis_keyset_sign_mldsa87(f->ks, b->sig_mldsa, b->hash, 32, ctx, strlen(AEGIS_CHAIN_BATCH_CTX)),
                     AEGIS_OK);
    assert_int_equal(aegis_keyset_sign_secp256k1(f->ks, b->sig_ecdsa, b->hash), AEGIS_OK);
    b->has_ecdsa = true;
    aegis_chain_report_data(b->primary.report_data, AEGIS_CHAIN_TAG_BATCH, b->hash);
    assert_int_equal(aegis_tee_quote(f->tee, b->primary.report_data, &b->primary.quote, &b->primary.quote_len),
                     AEGIS_OK);
    snprintf(b->primary.backend, sizeof(b->primary.backend), "sim");
    snprintf(b->primary.mode, sizeof(b->primary.mode), "per-batch");
    b->primary.insecure = true;

    json_t *j = aegis_chain_batch_to_json(b);
    assert_non_null(j);
    f->json = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    /* the txs point into f->raw: detach them from the clear */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    free(f->b.txs);
    f->b.txs = NULL;
    aegis_chain_batch_clear(&f->b);
    free(f->json);
    aegis_keyset_free(f->ks);
    aegis_tee_free(f->tee);
    nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static const aegis_chain_verify_opts SIM = { .allow_sim = true };

static aegis_err parse_text(const char *s, aegis_chain_batch *out)
{
    json_t *j = json_loads(s, 0, NULL);
    if (!j)
        return AEGIS_ERR_BAD_JSON;
    const char *why = NULL;
    aegis_err err = aegis_chain_batch_from_json(j, out, &why);
    if (err)
        assert_non_null(why);
    json_decref(j);
    return err;
}

static void test_hand_built_verifies_and_round_trips(void **state)
{
    fx *f = *state;
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_batch(&f->b, f->pub, NULL, NULL, NULL, &SIM, &why), AEGIS_OK);
    aegis_chain_batch p;
    assert_int_equal(parse_text(f->json, &p), AEGIS_OK);
    assert_int_equal(p.n_txs, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.txs[i].raw_len, f->b.txs[i].raw_len);
        assert_memory_equal(p.txs[i].raw, f->b.txs[i].raw, p.txs[i].raw_len);
        assert_int_equal(p.txs[i].nonce, (uint64_t)i);
        assert_int_equal(p.txs[i].envelope_id, 10 + (uint64_t)i);
    }
    assert_memory_equal(&p.h, &f->b.h, sizeof(p.h));
    assert_memory_equal(p.sig_mldsa, f->b.sig_mldsa, sizeof(p.sig_mldsa));
    assert_true(p.has_ecdsa);
    assert_null(p.sig_slh);
    assert_false(p.has_seal);
    assert_int_equal(aegis_chain_verify_batch(&p, f->pub, NULL, NULL, NULL, &SIM, &why), AEGIS_OK);
    json_t *j = aegis_chain_batch_to_json(&p);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, f->json);
    free(s);
    json_decref(j);
    aegis_chain_batch_clear(&p);
    /* an empty batch never verifies */
    aegis_chain_batch e = f->b;
    e.n_txs = 0;
    e.h.tx_count = 0;
    memset(e.h.tx_root, 0, 32);
    assert_int_equal(aegis_batch_header_hash(&e.h, e.hash), AEGIS_OK);
    assert_int_equal(aegis_chain_verify_batch(&e, f->pub, NULL, NULL, NULL, &SIM, &why), AEGIS_ERR_CHAIN_TX_ROOT);
}

/* Each mutation of the JSON must be refused with the given code. */
typedef void (*jmut)(json_t *j);
static void m_drop_number(json_t *j) { json_object_del(j, "number"); }
static void m_number_mismatch(json_t *j) { json_object_set_new(j, "number", json_integer(2)); }
static void m_drop_hash(json_t *j) { json_object_del(j, "hash"); }
static void m_hash_short(json_t *j) { json_object_set_new(j, "hash", json_string("0x1234")); }
static void m_hash_no_prefix(json_t *j)
{
    const char *h = json_string_value(json_object_get(j, "hash"));
    json_object_set_new(j, "hash", json_string(h + 2));
}
static void m_drop_header(json_t *j) { json_object_del(j, "header"); }
static void m_header_field(json_t *j) { json_object_del(json_object_get(j, "header"), "checkpoint_hash"); }
static void m_header_neg(json_t *j) { json_object_set_new(json_object_get(j, "header"), "timestamp_ms", json_integer(-1)); }
static void m_header_str(json_t *j) { json_object_set_new(json_object_get(j, "header"), "chain_id", json_string("7")); }
static void m_risk_range(json_t *j) { json_object_set_new(json_object_get(j, "header"), "risk_score", json_integer(10001)); }
static void m_abi_changed(json_t *j)
{
    json_object_set_new(json_object_get(j, "header"), "timestamp_ms", json_integer(1700000000001ll));
}
static void m_drop_txs(json_t *j) { json_object_del(j, "txs"); }
static void m_tx_raw_odd(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(j, "txs"), 0), "raw", json_string("0xabc"));
}
static void m_tx_raw_empty(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(j, "txs"), 0), "raw", json_string("0x"));
}
static void m_tx_sender_len(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(j, "txs"), 1), "sender", json_string("0x0101"));
}
static void m_tx_nonce_neg(json_t *j)
{
    json_object_set_new(json_array_get(json_object_get(j, "txs"), 2), "nonce", json_integer(-5));
}
static void m_sigs_missing(json_t *j) { json_object_del(j, "signatures"); }
static void m_mldsa_short(json_t *j)
{
    json_object_set_new(json_object_get(j, "signatures"), "ml-dsa-87", json_string("0x00"));
}
static void m_ecdsa_bad(json_t *j)
{
    json_object_set_new(json_object_get(j, "signatures"), "secp256k1", json_integer(1));
}
static void m_slh_bad(json_t *j)
{
    json_object_set_new(json_object_get(j, "signatures"), "slh-dsa-sha2-256s", json_string("0xff"));
}
static void m_att_missing(json_t *j) { json_object_del(j, "attestation"); }
static void m_att_insecure(json_t *j)
{
    json_object_set_new(json_object_get(json_object_get(j, "attestation"), "primary"), "insecure", json_string("yes"));
}
static void m_att_backend_long(json_t *j)
{
    json_object_set_new(json_object_get(json_object_get(j, "attestation"), "primary"), "backend",
                        json_string("a-very-long-backend-name"));
}
static void m_seal_path_long(json_t *j)
{
    json_t *path = json_array();
    for (int i = 0; i < AEGIS_MERKLE_MAX_DEPTH + 1; i++)
        json_array_append_new(path, json_string("0x1111111111111111111111111111111111111111111111111111111111111111"));
    json_object_set_new(j, "seal", json_pack("{s:i, s:i, s:i, s:o}", "number", 1, "index", 0, "count", 2, "path", path));
}
static void m_seal_no_count(json_t *j)
{
    json_object_set_new(j, "seal", json_pack("{s:i, s:i, s:[]}", "number", 1, "index", 0, "path"));
}

static void test_strict_parse(void **state)
{
    fx *f = *state;
    static const struct { jmut fn; aegis_err want; } cases[] = {
        { m_drop_number, AEGIS_ERR_CHAIN_FORMAT }, { m_number_mismatch, AEGIS_ERR_CHAIN_FORMAT },
        { m_drop_hash, AEGIS_ERR_CHAIN_FORMAT }, { m_hash_short, AEGIS_ERR_CHAIN_FORMAT },
        { m_hash_no_prefix, AEGIS_ERR_CHAIN_FORMAT }, { m_drop_header, AEGIS_ERR_CHAIN_FORMAT },
        { m_header_field, AEGIS_ERR_CHAIN_FORMAT }, { m_header_neg, AEGIS_ERR_CHAIN_FORMAT },
        { m_header_str, AEGIS_ERR_CHAIN_FORMAT }, { m_risk_range, AEGIS_ERR_CHAIN_FORMAT },
        { m_abi_changed, AEGIS_ERR_CHAIN_HEADER }, { m_drop_txs, AEGIS_ERR_CHAIN_FORMAT },
        { m_tx_raw_odd, AEGIS_ERR_CHAIN_FORMAT }, { m_tx_raw_empty, AEGIS_ERR_CHAIN_FORMAT },
        { m_tx_sender_len, AEGIS_ERR_CHAIN_FORMAT }, { m_tx_nonce_neg, AEGIS_ERR_CHAIN_FORMAT },
        { m_sigs_missing, AEGIS_ERR_CHAIN_FORMAT }, { m_mldsa_short, AEGIS_ERR_CHAIN_FORMAT },
        { m_ecdsa_bad, AEGIS_ERR_CHAIN_FORMAT }, { m_slh_bad, AEGIS_ERR_CHAIN_FORMAT },
        { m_att_missing, AEGIS_ERR_CHAIN_FORMAT }, { m_att_insecure, AEGIS_ERR_CHAIN_FORMAT },
        { m_att_backend_long, AEGIS_ERR_CHAIN_FORMAT }, { m_seal_path_long, AEGIS_ERR_CHAIN_FORMAT },
        { m_seal_no_count, AEGIS_ERR_CHAIN_FORMAT },
    };
    json_t *orig = json_loads(f->json, 0, NULL);
    assert_non_null(orig);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = json_deep_copy(orig);
        cases[i].fn(j);
        aegis_chain_batch out;
        memset(&out, 0x5a, sizeof(out));
        const char *why = NULL;
        aegis_err err = aegis_chain_batch_from_json(j, &out, &why);
        if (err != cases[i].want)
            fprintf(stderr, "case %zu: got %s\n", i, aegis_err_name(err));
        assert_int_equal(err, cases[i].want);
        assert_non_null(why);
        json_decref(j);
    }
    /* not an object */
    json_t *a = json_array();
    aegis_chain_batch out;
    assert_int_equal(aegis_chain_batch_from_json(a, &out, NULL), AEGIS_ERR_CHAIN_FORMAT);
    json_decref(a);
    json_decref(orig);
}

static void test_keyset_record(void **state)
{
    fx *f = *state;
    aegis_chain_attest att;
    memset(&att, 0, sizeof(att));
    uint8_t kh[32];
    aegis_keyset_pub_hash(kh, f->pub);
    aegis_chain_report_data(att.report_data, AEGIS_CHAIN_TAG_KEYSET, kh);
    assert_int_equal(aegis_tee_quote(f->tee, att.report_data, &att.quote, &att.quote_len), AEGIS_OK);
    snprintf(att.backend, sizeof(att.backend), "sim");
    snprintf(att.mode, sizeof(att.mode), "key-binding");
    att.insecure = true;

    json_t *j = aegis_chain_keyset_to_json(f->pub, &att);
    assert_non_null(j);
    aegis_keyset_pub pub;
    aegis_chain_attest a2;
    const char *why = NULL;
    assert_int_equal(aegis_chain_keyset_from_json(j, &pub, &a2, &why), AEGIS_OK);
    uint8_t e1[AEGIS_KEYSET_PUB_BYTES], e2[AEGIS_KEYSET_PUB_BYTES];
    aegis_keyset_pub_encode(e1, &pub);
    aegis_keyset_pub_encode(e2, f->pub);
    assert_memory_equal(e1, e2, sizeof(e1));
    assert_int_equal(pub.epoch, 1);
    assert_string_equal(a2.mode, "key-binding");
    assert_int_equal(a2.quote_len, att.quote_len);
    assert_memory_equal(a2.report_data, att.report_data, 64);
    assert_int_equal(aegis_chain_verify_attest(&a2, att.report_data, &SIM, &why), AEGIS_OK);
    aegis_free(a2.quote);
    /* the eth address is that of the secp256k1 key */
    uint8_t addr[20], got[20];
    aegis_eth_address(addr, f->pub->secp256k1);
    assert_int_equal(aegis_chain_get_hex(json_object_get(j, "signing"), "eth_address", got, 20), AEGIS_OK);
    assert_memory_equal(addr, got, 20);

    /* a hash that does not match the encoding */
    json_t *k = json_deep_copy(j);
    uint8_t bad[32];
    memcpy(bad, kh, 32);
    bad[0] ^= 1;
    json_object_set_new(k, "keyset_hash", aegis_json_hex(bad, 32));
    assert_int_equal(aegis_chain_keyset_from_json(k, &pub, &a2, &why), AEGIS_ERR_CHAIN_FORMAT);
    json_decref(k);
    /* an encoding changed in the ML-DSA key: the hash no longer matches */
    k = json_deep_copy(j);
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES];
    aegis_keyset_pub_encode(enc, f->pub);
    enc[20] ^= 1;
    json_object_set_new(k, "encoded", aegis_json_hex(enc, sizeof(enc)));
    assert_int_equal(aegis_chain_keyset_from_json(k, &pub, &a2, &why), AEGIS_ERR_CHAIN_FORMAT);
    json_decref(k);
    /* a malformed attestation */
    k = json_deep_copy(j);
    json_object_set_new(json_object_get(k, "attestation"), "quote", json_string("0xq"));
    assert_int_equal(aegis_chain_keyset_from_json(k, &pub, &a2, &why), AEGIS_ERR_CHAIN_FORMAT);
    assert_null(a2.quote);
    json_decref(k);
    json_decref(j);
    aegis_free(att.quote);
}

static void test_seal_record_and_report_data(void **state)
{
    fx *f = *state;
    aegis_chain_seal s;
    memset(&s, 0, sizeof(s));
    s.number = 4;
    s.first = 10;
    s.count = 1;
    s.key_epoch = 1;
    s.chain_id = 7;
    aegis_batch_merkle_leaf(s.root, f->b.hash);   /* a one-batch window: root = leaf(hash) */
    uint8_t d1[32], d2[32];
    aegis_chain_seal_digest(&s, d1);
    aegis_batch_seal_digest(7, 10, 1, s.root, d2);
    assert_memory_equal(d1, d2, 32);
    assert_int_equal(aegis_keyset_sign_slhdsa(f->ks, s.sig, d1, 32, (const uint8_t *)AEGIS_CHAIN_SEAL_CTX,
                                              strlen(AEGIS_CHAIN_SEAL_CTX)), AEGIS_OK);
    const char *why = NULL;
    assert_int_equal(aegis_chain_verify_seal(&s, f->pub, &why), AEGIS_OK);
    json_t *j = aegis_chain_seal_to_json(&s);
    aegis_chain_seal s2;
    assert_int_equal(aegis_chain_seal_from_json(j, &s2, &why), AEGIS_OK);
    assert_memory_equal(&s, &s2, sizeof(s));
    /* count 0 and a missing signature are format errors */
    json_object_set_new(j, "count", json_integer(0));
    assert_int_equal(aegis_chain_seal_from_json(j, &s2, &why), AEGIS_ERR_CHAIN_FORMAT);
    json_object_set_new(j, "count", json_integer(1));
    json_object_del(j, "slh-dsa-sha2-256s");
    assert_int_equal(aegis_chain_seal_from_json(j, &s2, &why), AEGIS_ERR_CHAIN_FORMAT);
    json_decref(j);
    /* a changed chain id changes the digest: the signature fails */
    s2 = s;
    s2.chain_id = 8;
    assert_int_equal(aegis_chain_verify_seal(&s2, f->pub, &why), AEGIS_ERR_CHAIN_SEAL);

    /* report_data = tag zero-padded to 32 bytes || value */
    uint8_t rd[64], v[32];
    memset(v, 0x77, 32);
    aegis_chain_report_data(rd, AEGIS_CHAIN_TAG_BATCH, v);
    assert_memory_equal(rd, AEGIS_CHAIN_TAG_BATCH, strlen(AEGIS_CHAIN_TAG_BATCH));
    for (size_t i = strlen(AEGIS_CHAIN_TAG_BATCH); i < 32; i++)
        assert_int_equal(rd[i], 0);
    assert_memory_equal(rd + 32, v, 32);
    /* the batch attestation binds exactly that */
    assert_memory_equal(f->b.primary.report_data + 32, f->b.hash, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hand_built_verifies_and_round_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyset_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_record_and_report_data, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
