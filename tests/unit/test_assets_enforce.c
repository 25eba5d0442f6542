/*
 * test_assets_enforce.c - transaction enforcement (protected policy,
 * threshold activation, frozen/migrated, witnesses, per-batch value limits,
 * switches, token ids, classifier) and sealed off-chain asset data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/assets.h"

static const uint8_t TOKEN[20] = { 0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
static const uint8_t NFT[20] = { 0x0f, 0x7e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18 };
static const uint8_t MIGRATOR[20] = { 0x11, 0x22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18 };
static uint8_t ALICE[20], BOB[20];

typedef struct tx_buf {
    aegis_tx tx;
    uint8_t data[4 + 32 * 3];
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES];
} tx_buf;

static void word_u64(uint8_t *w, uint64_t v)
{
    memset(w, 0, 32);
    aegis_put_be64(w + 24, v);
}

static void word_addr(uint8_t *w, const uint8_t a[20])
{
    memset(w, 0, 12);
    memcpy(w + 12, a, 20);
}

/* A decoded-looking tx from sender to `to` with the given calldata. */
static void mk(tx_buf *b, const uint8_t sender[20], const uint8_t to[20], const char *call, uint64_t arg, uint64_t value)
{
    memset(b, 0, sizeof(*b));
    aegis_tx *tx = &b->tx;
    tx->type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    tx->eip155 = true;
    tx->chain_id = 1;
    memcpy(tx->to, to, 20);
    memcpy(tx->sender, sender, 20);
    aegis_u256_from_u64(&tx->value, value);
    size_t n = 0;
    if (strcmp(call, "transfer") == 0) {           /* transfer(BOB, arg) */
        memcpy(b->data, "\xa9\x05\x9c\xbb", 4);
        word_addr(b->data + 4, BOB);
        word_u64(b->data + 36, arg);
        n = 68;
    } else if (strcmp(call, "approve") == 0) {     /* approve(BOB, arg) */
        memcpy(b->data, "\x09\x5e\xa7\xb3", 4);
        word_addr(b->data + 4, BOB);
        word_u64(b->data + 36, arg);
        n = 68;
    } else if (strcmp(call, "transferFrom") == 0) { /* transferFrom(sender, BOB, arg) */
        memcpy(b->data, "\x23\xb8\x72\xdd", 4);
        word_addr(b->data + 4, sender);
        word_addr(b->data + 36, BOB);
        word_u64(b->data + 68, arg);
        n = 100;
    } else if (strcmp(call, "other") == 0) {
        memcpy(b->data, "\xde\xad\xbe\xef", 4);
        n = 4;
    }
    tx->data = n ? b->data : NULL;
    tx->data_len = n;
    aegis_tx_assets_decode(&tx->assets, tx->to, tx->data, n);
    aegis_keccak256(tx->hash, b->data, sizeof(b->data));
    tx->hash[0] ^= (uint8_t)arg;
}

static void witness(tx_buf *b, const uint8_t sk[AEGIS_MLDSA87_SK_BYTES])
{
    assert_int_equal(aegis_mldsa87_sign(b->sig, b->tx.hash, 32, (const uint8_t *)AEGIS_TX_WITNESS_CTX,
                                        strlen(AEGIS_TX_WITNESS_CTX), sk, true), AEGIS_OK);
    b->tx.ext.present = true;
    b->tx.ext.witness_sig = b->sig;
}

static void intent(tx_buf *b, const char *asset)
{
    b->tx.ext.present = true;
    b->tx.ext.has_intent = true;
    b->tx.ext.intent = AEGIS_TX_INTENT_MIGRATION;
    b->tx.ext.intent_asset = (const uint8_t *)asset;
    b->tx.ext.intent_asset_len = strlen(asset);
}

static aegis_assets *reg_with(bool protect, bool migrate, const aegis_asset *a)
{
    aegis_assets_config cfg = { protect, migrate, &MIGRATOR, 1 };
    aegis_assets *r;
    assert_int_equal(aegis_assets_new(&cfg, &r), AEGIS_OK);
    if (a)
        assert_int_equal(aegis_assets_add(r, a), AEGIS_OK);
    return r;
}

static void usdc(aegis_asset *a, aegis_asset_state st)
{
    aegis_asset_init(a);
    strcpy(a->id, "usdc");
    memcpy(a->locator.contract, TOKEN, 20);
    a->level = 2;
    a->threshold = 6000;
    a->state = st;
    a->policy.ops = AEGIS_ASSET_OP_TRANSFER | AEGIS_ASSET_OP_MIGRATE;
    a->policy.n_senders = 1;
    memcpy(a->policy.senders[0], ALICE, 20);
}

static const aegis_assets_env NORMAL = { .global_risk = 1000, .level = AEGIS_ASSETS_RISK_NORMAL };

static int setup(void **state)
{
    (void)state;
    memset(ALICE, 0xa1, 20);
    memset(BOB, 0xb0, 20);
    return 0;
}

static void test_protected_policy(void **state)
{
    (void)state;
    aegis_asset a;
    usdc(&a, AEGIS_ASSET_PROTECTED);
    aegis_assets *r = reg_with(true, true, &a);
    tx_buf b;
    aegis_assets_verdict v;
    mk(&b, ALICE, TOKEN, "transfer", 100, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    assert_int_equal(v.n_touched, 1);
    assert_int_equal(v.asset_level, 2);
    assert_false(v.migration);
    mk(&b, BOB, TOKEN, "transfer", 100, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    assert_string_equal(v.asset, "usdc");
    mk(&b, ALICE, TOKEN, "approve", 100, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_OP_DENIED);
    mk(&b, ALICE, TOKEN, "other", 0, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_OP_DENIED);
    /* a plain value transfer to the contract is a transfer; a bare call is a call */
    mk(&b, ALICE, TOKEN, "none", 0, 5);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    mk(&b, ALICE, TOKEN, "none", 0, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_OP_DENIED);
    /* other contracts and other chains are untouched */
    mk(&b, BOB, NFT, "transfer", 100, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    assert_int_equal(v.n_touched, 0);
    mk(&b, BOB, TOKEN, "transfer", 100, 0);
    b.tx.chain_id = 5;
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    b.tx.chain_id = 0;   /* pre-EIP-155: valid on every chain, so it counts */
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    /* roles: BOB allowed once he holds a role the policy lists */
    aegis_asset_policy p = a.policy;
    p.n_roles = 1;
    strcpy(p.roles[0], "treasury");
    assert_int_equal(aegis_assets_update_policy(r, "usdc", &p, -1, -1), AEGIS_OK);
    mk(&b, BOB, TOKEN, "transfer", 100, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    assert_int_equal(aegis_assets_role_grant(r, "treasury", BOB), AEGIS_OK);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    /* level 0: monitor only */
    assert_int_equal(aegis_assets_role_revoke(r, "treasury", BOB), AEGIS_OK);
    assert_int_equal(aegis_assets_update_policy(r, "usdc", NULL, 0, -1), AEGIS_OK);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    assert_int_equal(v.asset_level, 0);
    aegis_assets_free(r);
}

static bool override(void *arg, const char *id, uint16_t *ret)
{
    if (strcmp(id, (const char *)arg) != 0)
        return false;
    *ret = 7000;
    return true;
}

static void test_threshold_activation(void **state)
{
    (void)state;
    aegis_asset a;
    usdc(&a, AEGIS_ASSET_ACTIVE);
    aegis_assets *r = reg_with(true, true, &a);
    tx_buf b;
    mk(&b, BOB, TOKEN, "transfer", 1, 0);
    aegis_assets_env env = NORMAL;
    env.global_risk = 5999;
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &env, NULL, NULL), AEGIS_OK);
    env.global_risk = 6000;
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &env, NULL, NULL), AEGIS_ERR_ASSET_SENDER_DENIED);
    /* per-asset override above the threshold while global is low */
    env.global_risk = 1000;
    env.risk_override = override;
    env.risk_arg = (void *)"usdc";
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &env, NULL, NULL), AEGIS_ERR_ASSET_SENDER_DENIED);
    env.risk_arg = (void *)"other";
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &env, NULL, NULL), AEGIS_OK);
    /* activate: moves the asset to protected, audited; then low risk no longer helps */
    aegis_audit *log;
    assert_int_equal(aegis_audit_new(&log), AEGIS_OK);
    size_t changed = 9;
    assert_int_equal(aegis_assets_activate(r, &env, log, 1, &changed), AEGIS_OK);
    assert_int_equal(changed, 0);
    env.global_risk = 6500;
    assert_int_equal(aegis_assets_activate(r, &env, log, 2, &changed), AEGIS_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(aegis_audit_count(log), 1);
    aegis_asset got;
    assert_int_equal(aegis_assets_get(r, "usdc", &got), AEGIS_OK);
    assert_int_equal(got.state, AEGIS_ASSET_PROTECTED);
    env.global_risk = 0;
    env.risk_override = NULL;
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &env, NULL, NULL), AEGIS_ERR_ASSET_SENDER_DENIED);
    char *text;
    size_t len;
    assert_int_equal(aegis_audit_export(log, &text, &len), AEGIS_OK);
    assert_non_null(strstr(text, "\"op\":\"auto_protect\""));
    assert_int_equal(aegis_audit_verify(text, len, NULL, NULL, NULL, NULL, NULL), AEGIS_OK);
    aegis_free(text);
    aegis_audit_free(log);
    aegis_assets_free(r);
}

static void test_frozen_and_migration(void **state)
{
    (void)state;
    aegis_asset a;
    usdc(&a, AEGIS_ASSET_FROZEN);
    aegis_assets *r = reg_with(true, true, &a);
    tx_buf b;
    aegis_assets_verdict v;
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_FROZEN);
    /* declared migration intent naming the asset */
    intent(&b, "usdc");
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    assert_true(v.migration);
    assert_int_equal(v.migration_group, aegis_asset_group_id("usdc"));
    /* the policy still applies to migration txs: BOB is not an allowed sender */
    mk(&b, BOB, TOKEN, "transfer", 1, 0);
    intent(&b, "usdc");
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    /* a call to the migration contract naming the asset by intent */
    mk(&b, ALICE, MIGRATOR, "other", 0, 0);
    intent(&b, "usdc");
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    assert_int_equal(v.n_touched, 1);
    assert_true(v.migration);
    /* migrate not in ops: refused */
    aegis_asset_policy p = a.policy;
    p.ops = AEGIS_ASSET_OP_TRANSFER;
    assert_int_equal(aegis_assets_update_policy(r, "usdc", &p, -1, -1), AEGIS_OK);
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    intent(&b, "usdc");
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_OP_DENIED);
    aegis_assets_free(r);
    /* enable_migration = false: migration txs are ordinary, frozen refuses them */
    usdc(&a, AEGIS_ASSET_FROZEN);
    r = reg_with(true, false, &a);
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    intent(&b, "usdc");
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_FROZEN);
    assert_false(v.migration);
    aegis_assets_free(r);
    /* migrated */
    usdc(&a, AEGIS_ASSET_MIGRATED);
    r = reg_with(true, true, &a);
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_MIGRATED);
    aegis_assets_free(r);
    /* enable_asset_protection = false: nothing is enforced */
    usdc(&a, AEGIS_ASSET_FROZEN);
    r = reg_with(false, true, &a);
    mk(&b, BOB, TOKEN, "approve", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    aegis_assets_free(r);
}

static void test_witness(void **state)
{
    (void)state;
    uint8_t *pk = malloc(AEGIS_MLDSA87_PK_BYTES), *sk = malloc(AEGIS_MLDSA87_SK_BYTES);
    uint8_t *pk2 = malloc(AEGIS_MLDSA87_PK_BYTES), *sk2 = malloc(AEGIS_MLDSA87_SK_BYTES);
    uint8_t seed[32] = { 1 };
    assert_int_equal(aegis_mldsa87_keygen_seed(pk, sk, seed), AEGIS_OK);
    seed[0] = 2;
    assert_int_equal(aegis_mldsa87_keygen_seed(pk2, sk2, seed), AEGIS_OK);
    aegis_asset a;
    usdc(&a, AEGIS_ASSET_PROTECTED);
    a.policy.witness_required = true;
    aegis_assets *r = reg_with(true, true, &a);
    tx_buf b;
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_WITNESS_REQUIRED);
    witness(&b, sk);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_NO_PQC_KEY);
    assert_int_equal(aegis_assets_pqc_register(r, ALICE, pk, false), AEGIS_OK);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_OK);
    /* signed by another key, or over another tx hash */
    witness(&b, sk2);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_WITNESS_BAD);
    witness(&b, sk);
    b.tx.hash[31] ^= 1;
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_WITNESS_BAD);
    /* a witness carrying a different key than the registered one */
    b.tx.hash[31] ^= 1;
    b.tx.ext.witness_pk = pk2;
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_WITNESS_BAD);
    aegis_assets_free(r);

    /* emergency: witness required on every protected asset even without the flag */
    usdc(&a, AEGIS_ASSET_PROTECTED);
    r = reg_with(true, true, &a);
    aegis_assets_env em = { .global_risk = 9500, .level = AEGIS_ASSETS_RISK_EMERGENCY };
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_OK);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &em, NULL, NULL), AEGIS_ERR_ASSET_WITNESS_REQUIRED);
    /* registration by transaction: witness with its own key (first use) */
    witness(&b, sk);
    b.tx.ext.witness_pk = pk;
    assert_int_equal(aegis_assets_pqc_register_tx(r, &b.tx), AEGIS_OK);
    assert_memory_equal(aegis_assets_pqc_key(r, ALICE), pk, AEGIS_MLDSA87_PK_BYTES);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &em, NULL, NULL), AEGIS_OK);
    /* a second registration with another key is refused */
    witness(&b, sk2);
    b.tx.ext.witness_pk = pk2;
    assert_int_equal(aegis_assets_pqc_register_tx(r, &b.tx), AEGIS_ERR_ASSET_PQC_KEY_EXISTS);
    /* an unprotected asset in emergency needs nothing */
    assert_int_equal(aegis_assets_update_policy(r, "usdc", NULL, 0, -1), AEGIS_OK);
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &em, NULL, NULL), AEGIS_OK);
    aegis_assets_free(r);
    free(pk);
    free(sk);
    free(pk2);
    free(sk2);
}

static void test_value_limit(void **state)
{
    (void)state;
    aegis_asset a;
    usdc(&a, AEGIS_ASSET_PROTECTED);
    a.policy.has_value_limit = true;
    aegis_u256_from_u64(&a.policy.value_limit, 1000);
    a.policy.ops |= AEGIS_ASSET_OP_APPROVE;
    aegis_assets *r = reg_with(true, true, &a);
    aegis_assets_batch *batch;
    assert_int_equal(aegis_assets_batch_new(&batch), AEGIS_OK);
    tx_buf b;
    mk(&b, ALICE, TOKEN, "transfer", 600, 0);
    /* admission: per tx */
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_OK);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_OK);
    /* batch: 600 + 600 > 1000 */
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, batch, NULL), AEGIS_OK);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, batch, NULL), AEGIS_ERR_ASSET_VALUE_LIMIT);
    mk(&b, ALICE, TOKEN, "approve", 400, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, batch, NULL), AEGIS_OK);   /* exactly 1000 */
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, batch, NULL), AEGIS_ERR_ASSET_VALUE_LIMIT);
    /* a refused tx added nothing; a new batch starts from zero */
    aegis_assets_batch_reset(batch);
    mk(&b, ALICE, TOKEN, "transfer", 1000, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, batch, NULL), AEGIS_OK);
    mk(&b, ALICE, TOKEN, "transfer", 1001, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_VALUE_LIMIT);
    /* malformed token calldata cannot be bounded */
    mk(&b, ALICE, TOKEN, "transfer", 1, 0);
    b.tx.data_len = 40;
    aegis_tx_assets_decode(&b.tx.assets, b.tx.to, b.tx.data, 40);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_ERR_ASSET_VALUE_LIMIT);
    /* below the threshold the asset is not protected: no limit */
    aegis_assets_batch_free(batch);
    aegis_assets_free(r);
    usdc(&a, AEGIS_ASSET_ACTIVE);
    a.policy.has_value_limit = true;
    aegis_u256_from_u64(&a.policy.value_limit, 1000);
    r = reg_with(true, true, &a);
    mk(&b, ALICE, TOKEN, "transfer", 5000, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, NULL), AEGIS_OK);
    aegis_assets_env hi = { .global_risk = 8000 };
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &hi, NULL, NULL), AEGIS_ERR_ASSET_VALUE_LIMIT);
    aegis_assets_free(r);
}

static void test_token_ids_and_classify(void **state)
{
    (void)state;
    aegis_asset a;
    aegis_asset_init(&a);
    strcpy(a.id, "nft.7");
    a.type = AEGIS_ASSET_NFT;
    memcpy(a.locator.contract, NFT, 20);
    a.locator.has_token_id = true;
    aegis_u256_from_u64(&a.locator.token_id, 7);
    a.level = 3;
    a.state = AEGIS_ASSET_PROTECTED;
    a.policy.n_senders = 1;
    memcpy(a.policy.senders[0], ALICE, 20);
    aegis_assets *r = reg_with(true, true, &a);
    tx_buf b;
    aegis_assets_verdict v;
    mk(&b, BOB, NFT, "transferFrom", 8, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_OK);
    assert_int_equal(v.n_touched, 0);
    mk(&b, BOB, NFT, "transferFrom", 7, 0);
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    mk(&b, BOB, NFT, "transfer", 7, 0);   /* legacy ERC-721 transfer(to, id) */
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    mk(&b, BOB, NFT, "other", 0, 0);      /* unknown selector: counts as touching */
    assert_int_equal(aegis_assets_check_tx(r, &b.tx, &NORMAL, NULL, &v), AEGIS_ERR_ASSET_SENDER_DENIED);
    /* classifier */
    aegis_assets_class c;
    aegis_assets_classify(r, NFT, BOB, &c);
    assert_int_equal(c.asset_level, 3);
    assert_false(c.sender_has_pqc_key);
    assert_false(c.migration);
    aegis_assets_classify(r, TOKEN, BOB, &c);
    assert_int_equal(c.asset_level, 0);
    aegis_assets_classify(r, MIGRATOR, BOB, &c);
    assert_true(c.migration);
    uint8_t *pk = calloc(1, AEGIS_MLDSA87_PK_BYTES);
    assert_int_equal(aegis_assets_pqc_register(r, BOB, pk, false), AEGIS_OK);
    aegis_assets_classify(r, NULL, BOB, &c);
    assert_true(c.sender_has_pqc_key);
    assert_int_equal(c.asset_level, 0);
    free(pk);
    aegis_assets_free(r);
}

/* ---------------- off-chain data ---------------- */

static aegis_tee *open_tee(char *dir)
{
    aegis_tee *t = NULL;
    assert_non_null(mkdtemp(dir));
    aegis_tee_option o[] = { { "data_dir", dir } };
    assert_int_equal(aegis_tee_open("sim", o, 1, &t), AEGIS_OK);
    return t;
}

static void rm_dir(const char *dir)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/sim-tee.secret", dir);
    unlink(p);
    rmdir(dir);
}

static void test_offchain_data(void **state)
{
    (void)state;
    char d1[] = "/tmp/aegis-assets-XXXXXX", d2[] = "/tmp/aegis-assets-XXXXXX";
    aegis_tee *tee = open_tee(d1), *tee2 = open_tee(d2);
    aegis_asset a;
    aegis_asset_init(&a);
    strcpy(a.id, "db.customers");
    a.type = AEGIS_ASSET_DATABASE;
    a.locator.onchain = false;
    a.locator.chain_id = 0;
    strcpy(a.locator.uri, "postgres://db/customers");
    a.policy.ops = AEGIS_ASSET_OP_READ | AEGIS_ASSET_OP_WRITE;
    a.policy.n_senders = 1;
    memcpy(a.policy.senders[0], ALICE, 20);
    aegis_assets *r = reg_with(true, true, &a);
    strcpy(a.id, "db.other");
    assert_int_equal(aegis_assets_add(r, &a), AEGIS_OK);
    const char *msg = "customer records v1";
    uint8_t *blob, *pt;
    size_t n, pn;
    uint64_t ver;
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.customers", BOB, 0, (const uint8_t *)msg, strlen(msg), 0, &blob, &n, &ver),
                     AEGIS_ERR_ASSET_DATA_DENIED);
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.customers", ALICE, 0, (const uint8_t *)msg, strlen(msg), 0, &blob, &n, &ver),
                     AEGIS_OK);
    assert_int_equal(ver, 1);
    assert_int_equal(n, strlen(msg) + AEGIS_ASSET_DATA_OVERHEAD);
    assert_null(memmem(blob, n, "customer", 8));   /* the host sees ciphertext only */
    assert_int_equal(aegis_assets_data_get(r, tee, "db.customers", ALICE, blob, n, &pt, &pn, &ver), AEGIS_OK);
    assert_int_equal(pn, strlen(msg));
    assert_memory_equal(pt, msg, pn);
    aegis_free_secret(pt, pn);
    assert_int_equal(aegis_assets_data_get(r, tee, "db.customers", BOB, blob, n, &pt, &pn, &ver),
                     AEGIS_ERR_ASSET_DATA_DENIED);
    /* every byte tampered */
    uint8_t *t = malloc(n);
    for (size_t i = 0; i < n; i++) {
        memcpy(t, blob, n);
        t[i] ^= 0x80;
        assert_int_not_equal(aegis_assets_data_get(r, tee, "db.customers", ALICE, t, n, &pt, &pn, &ver), AEGIS_OK);
    }
    memcpy(t, blob, n);
    t[20] ^= 1;   /* inside the nonce/ciphertext: authenticity */
    assert_int_equal(aegis_assets_data_get(r, tee, "db.customers", ALICE, t, n, &pt, &pn, &ver), AEGIS_ERR_ASSET_DATA_BAD);
    assert_int_equal(aegis_assets_data_get(r, tee, "db.customers", ALICE, blob, n - 1, &pt, &pn, &ver),
                     AEGIS_ERR_ASSET_DATA_BAD);
    free(t);
    /* another TEE cannot open it; another asset's key does not fit */
    assert_int_equal(aegis_assets_data_get(r, tee2, "db.customers", ALICE, blob, n, &pt, &pn, &ver), AEGIS_ERR_ASSET_DATA_BAD);
    uint8_t *b2;
    size_t n2;
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.other", ALICE, 0, (const uint8_t *)"x", 1, 0, &b2, &n2, &ver), AEGIS_OK);
    aegis_free(b2);
    assert_int_equal(aegis_assets_data_get(r, tee, "db.other", ALICE, blob, n, &pt, &pn, &ver), AEGIS_ERR_ASSET_DATA_BAD);
    /* a newer version makes the old blob stale */
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.customers", ALICE, 1, (const uint8_t *)"v2", 2, 0, &b2, &n2, &ver), AEGIS_OK);
    assert_int_equal(ver, 2);
    /* compare-and-swap: a put naming an old base version (a replay) is refused */
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.customers", ALICE, 1, (const uint8_t *)"v1b", 3, 0, &blob, &n, &ver),
                     AEGIS_ERR_ASSET_DATA_CONFLICT);
    assert_int_equal(aegis_assets_data_get(r, tee, "db.customers", ALICE, blob, n, &pt, &pn, &ver), AEGIS_ERR_ASSET_DATA_STALE);
    assert_int_equal(aegis_assets_data_get(r, tee, "db.customers", ALICE, b2, n2, &pt, &pn, &ver), AEGIS_OK);
    assert_memory_equal(pt, "v2", 2);
    aegis_free_secret(pt, pn);
    aegis_free(b2);
    /* policy on every operation: write removed, read still allowed */
    aegis_asset got;
    assert_int_equal(aegis_assets_get(r, "db.customers", &got), AEGIS_OK);
    got.policy.ops = AEGIS_ASSET_OP_READ;
    assert_int_equal(aegis_assets_update_policy(r, "db.customers", &got.policy, -1, -1), AEGIS_OK);
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.customers", ALICE, 2, (const uint8_t *)"v3", 2, 0, &blob, &n, &ver),
                     AEGIS_ERR_ASSET_DATA_DENIED);
    /* frozen: no writes */
    got.policy.ops = AEGIS_ASSET_OP_READ | AEGIS_ASSET_OP_WRITE;
    assert_int_equal(aegis_assets_update_policy(r, "db.customers", &got.policy, -1, -1), AEGIS_OK);
    assert_int_equal(aegis_assets_set_state(r, "db.customers", AEGIS_ASSET_FROZEN), AEGIS_OK);
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "db.customers", ALICE, 2, (const uint8_t *)"v3", 2, 0, &b2, &n2, &ver),
                     AEGIS_ERR_ASSET_FROZEN);
    assert_int_equal(aegis_assets_data_put(r, tee, NULL, "nope", ALICE, 2, (const uint8_t *)"v3", 2, 0, &b2, &n2, &ver),
                     AEGIS_ERR_ASSET_NOT_FOUND);
    aegis_free(blob);
    aegis_assets_free(r);
    aegis_tee_free(tee);
    aegis_tee_free(tee2);
    rm_dir(d1);
    rm_dir(d2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_protected_policy, setup),
        cmocka_unit_test_setup(test_threshold_activation, setup),
        cmocka_unit_test_setup(test_frozen_and_migration, setup),
        cmocka_unit_test_setup(test_witness, setup),
        cmocka_unit_test_setup(test_value_limit, setup),
        cmocka_unit_test_setup(test_token_ids_and_classify, setup),
        cmocka_unit_test_setup(test_offchain_data, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
