/*
 * test_assets.c - the asset registry: validation, CRUD, state transitions,
 * roles, PQC account keys, canonical serialization and restore, JSON views.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aegis/assets.h"

static const aegis_assets_config CFG_ON = { .enable_asset_protection = true, .enable_migration = true };

static aegis_assets *new_reg(void)
{
    aegis_assets *r = NULL;
    assert_int_equal(aegis_assets_new(&CFG_ON, &r), AEGIS_OK);
    return r;
}

static void token(aegis_asset *a, const char *id, uint8_t fill)
{
    aegis_asset_init(a);
    strcpy(a->id, id);
    memset(a->locator.contract, fill, 20);
}

static void test_names_and_ids(void **state)
{
    (void)state;
    assert_true(aegis_asset_id_is_valid("usdc.main-1_x"));
    assert_false(aegis_asset_id_is_valid(""));
    assert_false(aegis_asset_id_is_valid("USDC"));
    assert_false(aegis_asset_id_is_valid("a b"));
    assert_false(aegis_asset_id_is_valid("a/b"));
    char id[70];
    memset(id, 'a', 64);
    id[64] = 0;
    assert_true(aegis_asset_id_is_valid(id));
    id[64] = 'a';
    id[65] = 0;
    assert_false(aegis_asset_id_is_valid(id));
    for (int t = 0; t < AEGIS_ASSET_TYPE_COUNT; t++) {
        aegis_asset_type back;
        assert_int_equal(aegis_asset_type_parse(aegis_asset_type_name((aegis_asset_type)t), &back), AEGIS_OK);
        assert_int_equal(back, t);
    }
    for (int s = 0; s < AEGIS_ASSET_STATE_COUNT; s++) {
        aegis_asset_state back;
        assert_int_equal(aegis_asset_state_parse(aegis_asset_state_name((aegis_asset_state)s), &back), AEGIS_OK);
        assert_int_equal(back, s);
    }
    uint32_t bit;
    for (uint32_t b = 1; b <= AEGIS_ASSET_OP_ALL; b <<= 1) {
        assert_int_equal(aegis_asset_op_parse(aegis_asset_op_name(b), &bit), AEGIS_OK);
        assert_int_equal(bit, b);
    }
    aegis_asset_type t;
    assert_int_equal(aegis_asset_type_parse("coin", &t), AEGIS_ERR_ASSET_BAD_FIELD);
    assert_int_equal(aegis_asset_op_parse("burn", &bit), AEGIS_ERR_ASSET_BAD_FIELD);
    assert_int_not_equal(aegis_asset_group_id("a"), aegis_asset_group_id("b"));
    assert_int_not_equal(aegis_asset_group_id("a"), 0);
}

static void test_validate(void **state)
{
    (void)state;
    aegis_asset a;
    token(&a, "t", 1);
    assert_int_equal(aegis_asset_validate(&a), AEGIS_OK);
    a.level = 4;
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    token(&a, "t", 1);
    a.threshold = 10001;
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    token(&a, "t", 1);
    a.type = AEGIS_ASSET_FILE;   /* off-chain type with an on-chain locator */
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    a.locator.onchain = false;
    a.locator.chain_id = 0;
    memset(a.locator.contract, 0, 20);
    strcpy(a.locator.uri, "s3://bucket/key");
    assert_int_equal(aegis_asset_validate(&a), AEGIS_OK);
    strcpy(a.locator.uri, "has space");
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    token(&a, "t", 1);
    a.policy.n_senders = 2;   /* senders must be strictly increasing */
    memset(a.policy.senders[0], 2, 20);
    memset(a.policy.senders[1], 1, 20);
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    memset(a.policy.senders[1], 2, 20);
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    memset(a.policy.senders[1], 3, 20);
    assert_int_equal(aegis_asset_validate(&a), AEGIS_OK);
    a.policy.ops = 0x40;
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_FIELD);
    token(&a, "Bad", 1);
    assert_int_equal(aegis_asset_validate(&a), AEGIS_ERR_ASSET_BAD_ID);
}

static void test_crud(void **state)
{
    (void)state;
    aegis_assets *r = new_reg();
    aegis_asset a, got;
    const char *ids[] = { "m", "c", "x", "a" };
    for (size_t i = 0; i < 4; i++) {
        token(&a, ids[i], (uint8_t)(i + 1));
        assert_int_equal(aegis_assets_add(r, &a), AEGIS_OK);
    }
    assert_int_equal(aegis_assets_add(r, &a), AEGIS_ERR_ASSET_EXISTS);
    assert_int_equal(aegis_assets_count(r), 4);
    /* iteration is in id order whatever the insertion order */
    const char *sorted[] = { "a", "c", "m", "x" };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(aegis_assets_at(r, i, &got), AEGIS_OK);
        assert_string_equal(got.id, sorted[i]);
    }
    assert_int_equal(aegis_assets_at(r, 4, &got), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_assets_get(r, "c", &got), AEGIS_OK);
    assert_int_equal(got.locator.contract[0], 2);
    /* update policy, level, threshold */
    aegis_asset_policy p = got.policy;
    p.ops = AEGIS_ASSET_OP_TRANSFER;
    p.witness_required = true;
    assert_int_equal(aegis_assets_update_policy(r, "c", &p, 3, 6000), AEGIS_OK);
    assert_int_equal(aegis_assets_get(r, "c", &got), AEGIS_OK);
    assert_int_equal(got.policy.ops, AEGIS_ASSET_OP_TRANSFER);
    assert_true(got.policy.witness_required);
    assert_int_equal(got.level, 3);
    assert_int_equal(got.threshold, 6000);
    assert_int_equal(aegis_assets_update_policy(r, "c", NULL, 9, -1), AEGIS_ERR_ASSET_BAD_FIELD);
    assert_int_equal(aegis_assets_get(r, "c", &got), AEGIS_OK);
    assert_int_equal(got.level, 3);   /* unchanged after a refused update */
    assert_int_equal(aegis_assets_update_policy(r, "nope", NULL, 1, -1), AEGIS_ERR_ASSET_NOT_FOUND);
    assert_int_equal(aegis_assets_remove(r, "m"), AEGIS_OK);
    assert_int_equal(aegis_assets_remove(r, "m"), AEGIS_ERR_ASSET_NOT_FOUND);
    assert_int_equal(aegis_assets_get(r, "m", &got), AEGIS_ERR_ASSET_NOT_FOUND);
    assert_int_equal(aegis_assets_count(r), 3);
    aegis_assets_free(r);
}

static void test_transitions(void **state)
{
    (void)state;
    /* the documented table, exhaustively */
    static const char *const allowed[] = { "active>protected", "active>migrating", "active>frozen",
                                           "protected>active", "protected>migrating", "protected>frozen",
                                           "migrating>migrated", "migrating>protected", "migrating>active",
                                           "migrating>frozen", "migrated>frozen", "frozen>active",
                                           "frozen>protected", "frozen>migrating" };
    for (int f = 0; f < AEGIS_ASSET_STATE_COUNT; f++)
        for (int t = 0; t < AEGIS_ASSET_STATE_COUNT; t++) {
            char k[40];
            snprintf(k, sizeof(k), "%s>%s", aegis_asset_state_name((aegis_asset_state)f),
                     aegis_asset_state_name((aegis_asset_state)t));
            bool want = false;
            for (size_t i = 0; i < AEGIS_ARRAY_LEN(allowed); i++)
                want |= strcmp(k, allowed[i]) == 0;
            assert_int_equal(aegis_asset_transition_is_allowed((aegis_asset_state)f, (aegis_asset_state)t), want);
        }
    aegis_assets *r = new_reg();
    aegis_asset a, got;
    token(&a, "t", 1);
    assert_int_equal(aegis_assets_add(r, &a), AEGIS_OK);
    assert_int_equal(aegis_assets_set_state(r, "t", AEGIS_ASSET_MIGRATED), AEGIS_ERR_ASSET_BAD_TRANSITION);
    assert_int_equal(aegis_assets_set_state(r, "t", AEGIS_ASSET_ACTIVE), AEGIS_ERR_ASSET_BAD_TRANSITION);
    assert_int_equal(aegis_assets_set_state(r, "t", AEGIS_ASSET_MIGRATING), AEGIS_OK);
    assert_int_equal(aegis_assets_set_state(r, "t", AEGIS_ASSET_MIGRATED), AEGIS_OK);
    assert_int_equal(aegis_assets_set_state(r, "t", AEGIS_ASSET_ACTIVE), AEGIS_ERR_ASSET_BAD_TRANSITION);
    assert_int_equal(aegis_assets_get(r, "t", &got), AEGIS_OK);
    assert_int_equal(got.state, AEGIS_ASSET_MIGRATED);
    assert_int_equal(aegis_assets_set_state(r, "zz", AEGIS_ASSET_FROZEN), AEGIS_ERR_ASSET_NOT_FOUND);
    aegis_assets_free(r);
}

static void test_roles_and_pqc(void **state)
{
    (void)state;
    aegis_assets *r = new_reg();
    uint8_t a1[20], a2[20];
    memset(a1, 0x11, 20);
    memset(a2, 0x22, 20);
    assert_int_equal(aegis_assets_role_grant(r, "treasury", a1), AEGIS_OK);
    assert_int_equal(aegis_assets_role_grant(r, "treasury", a1), AEGIS_OK);   /* idempotent */
    assert_true(aegis_assets_role_has(r, "treasury", a1));
    assert_false(aegis_assets_role_has(r, "treasury", a2));
    assert_false(aegis_assets_role_has(r, "ops", a1));
    assert_int_equal(aegis_assets_role_grant(r, "Bad Role", a1), AEGIS_ERR_ASSET_BAD_FIELD);
    assert_int_equal(aegis_assets_role_revoke(r, "treasury", a2), AEGIS_ERR_NOT_FOUND);
    assert_int_equal(aegis_assets_role_revoke(r, "treasury", a1), AEGIS_OK);
    assert_false(aegis_assets_role_has(r, "treasury", a1));

    uint8_t *pk1 = malloc(AEGIS_MLDSA87_PK_BYTES), *pk2 = malloc(AEGIS_MLDSA87_PK_BYTES);
    memset(pk1, 1, AEGIS_MLDSA87_PK_BYTES);
    memset(pk2, 2, AEGIS_MLDSA87_PK_BYTES);
    assert_null(aegis_assets_pqc_key(r, a1));
    assert_int_equal(aegis_assets_pqc_register(r, a1, pk1, false), AEGIS_OK);
    assert_int_equal(aegis_assets_pqc_register(r, a1, pk1, false), AEGIS_OK);
    assert_int_equal(aegis_assets_pqc_register(r, a1, pk2, false), AEGIS_ERR_ASSET_PQC_KEY_EXISTS);
    assert_memory_equal(aegis_assets_pqc_key(r, a1), pk1, AEGIS_MLDSA87_PK_BYTES);
    assert_int_equal(aegis_assets_pqc_register(r, a1, pk2, true), AEGIS_OK);
    assert_memory_equal(aegis_assets_pqc_key(r, a1), pk2, AEGIS_MLDSA87_PK_BYTES);
    assert_int_equal(aegis_assets_pqc_unregister(r, a1), AEGIS_OK);
    assert_null(aegis_assets_pqc_key(r, a1));
    assert_int_equal(aegis_assets_pqc_unregister(r, a1), AEGIS_ERR_NOT_FOUND);
    free(pk1);
    free(pk2);
    aegis_assets_free(r);
}

/* A registry with every kind of field set. */
static aegis_assets *rich_reg(bool reversed)
{
    aegis_assets *r = new_reg();
    aegis_asset a;
    uint8_t addr[20];
    uint8_t *pk = calloc(1, AEGIS_MLDSA87_PK_BYTES);
    for (int k = 0; k < 3; k++) {
        int i = reversed ? 2 - k : k;
        if (i == 0) {
            token(&a, "erc20.usdc", 0xaa);
            a.level = 2;
            a.threshold = 6000;
            a.policy.n_senders = 2;
            memset(a.policy.senders[0], 1, 20);
            memset(a.policy.senders[1], 2, 20);
            a.policy.n_roles = 1;
            strcpy(a.policy.roles[0], "treasury");
            a.policy.has_value_limit = true;
            aegis_u256_from_u64(&a.policy.value_limit, 1000000);
            a.policy.witness_required = true;
            a.policy.ops = AEGIS_ASSET_OP_TRANSFER | AEGIS_ASSET_OP_MIGRATE;
        } else if (i == 1) {
            token(&a, "nft.punk-7", 0xbb);
            a.type = AEGIS_ASSET_NFT;
            a.locator.has_token_id = true;
            aegis_u256_from_u64(&a.locator.token_id, 7);
            a.state = AEGIS_ASSET_FROZEN;
        } else {
            aegis_asset_init(&a);
            strcpy(a.id, "db.customers");
            a.type = AEGIS_ASSET_DATABASE;
            a.locator.onchain = false;
            a.locator.chain_id = 0;
            strcpy(a.locator.uri, "postgres://db/customers");
            a.data_version = 3;
        }
        assert_int_equal(aegis_assets_add(r, &a), AEGIS_OK);
        memset(addr, 0x30 + i, 20);
        assert_int_equal(aegis_assets_role_grant(r, i == 1 ? "ops" : "treasury", addr), AEGIS_OK);
        pk[0] = (uint8_t)i;
        assert_int_equal(aegis_assets_pqc_register(r, addr, pk, false), AEGIS_OK);
    }
    free(pk);
    return r;
}

static void test_serialize_round_trip(void **state)
{
    (void)state;
    aegis_assets *r1 = rich_reg(false), *r2 = rich_reg(true), *r3 = new_reg();
    uint8_t *b1, *b2, *b3;
    size_t n1, n2, n3;
    uint8_t h1[32], h2[32], h3[32];
    assert_int_equal(aegis_assets_serialize(r1, &b1, &n1), AEGIS_OK);
    assert_int_equal(aegis_assets_serialize(r2, &b2, &n2), AEGIS_OK);
    /* canonical: insertion order does not matter */
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    assert_int_equal(aegis_assets_hash(r1, h1), AEGIS_OK);
    assert_int_equal(aegis_assets_hash(r3, h3), AEGIS_OK);
    assert_memory_not_equal(h1, h3, 32);
    /* restore into an empty registry reproduces the bytes and the hash */
    assert_int_equal(aegis_assets_restore(r3, b1, n1), AEGIS_OK);
    assert_int_equal(aegis_assets_serialize(r3, &b3, &n3), AEGIS_OK);
    assert_int_equal(n3, n1);
    assert_memory_equal(b3, b1, n1);
    assert_int_equal(aegis_assets_hash(r3, h3), AEGIS_OK);
    assert_memory_equal(h3, h1, 32);
    aegis_asset got;
    assert_int_equal(aegis_assets_get(r3, "erc20.usdc", &got), AEGIS_OK);
    assert_int_equal(got.threshold, 6000);
    assert_true(got.policy.witness_required);
    assert_string_equal(got.policy.roles[0], "treasury");
    assert_int_equal(aegis_assets_get(r3, "db.customers", &got), AEGIS_OK);
    assert_string_equal(got.locator.uri, "postgres://db/customers");
    assert_int_equal(got.data_version, 3);
    /* rollback: change r3, restore the old blob, hash back to h1 */
    assert_int_equal(aegis_assets_set_state(r3, "nft.punk-7", AEGIS_ASSET_ACTIVE), AEGIS_OK);
    assert_int_equal(aegis_assets_remove(r3, "db.customers"), AEGIS_OK);
    assert_int_equal(aegis_assets_hash(r3, h2), AEGIS_OK);
    assert_memory_not_equal(h2, h1, 32);
    assert_int_equal(aegis_assets_restore(r3, b1, n1), AEGIS_OK);
    assert_int_equal(aegis_assets_hash(r3, h2), AEGIS_OK);
    assert_memory_equal(h2, h1, 32);
    aegis_free(b3);
    aegis_free(b2);
    aegis_free(b1);
    aegis_assets_free(r1);
    aegis_assets_free(r2);
    aegis_assets_free(r3);
}

static void test_restore_rejects(void **state)
{
    (void)state;
    aegis_assets *r1 = rich_reg(false), *r2 = new_reg();
    uint8_t *b, h_before[32], h[32];
    size_t n;
    assert_int_equal(aegis_assets_serialize(r1, &b, &n), AEGIS_OK);
    assert_int_equal(aegis_assets_hash(r2, h_before), AEGIS_OK);
    /* every truncation fails and leaves the registry unchanged */
    for (size_t cut = 0; cut < n; cut += (cut < 64 ? 1 : 97))
        assert_int_equal(aegis_assets_restore(r2, b, cut), AEGIS_ERR_ASSET_BAD_STATE_BLOB);
    /* trailing junk */
    uint8_t *big = malloc(n + 1);
    memcpy(big, b, n);
    big[n] = 0;
    assert_int_equal(aegis_assets_restore(r2, big, n + 1), AEGIS_ERR_ASSET_BAD_STATE_BLOB);
    /* magic, version */
    memcpy(big, b, n);
    big[0] ^= 1;
    assert_int_equal(aegis_assets_restore(r2, big, n), AEGIS_ERR_ASSET_BAD_STATE_BLOB);
    memcpy(big, b, n);
    big[4] = 2;
    assert_int_equal(aegis_assets_restore(r2, big, n), AEGIS_ERR_ASSET_BAD_STATE_BLOB);
    /* non-canonical order: the first id ("db.customers") made to sort after the second */
    memcpy(big, b, n);
    assert_int_equal(big[10], 'd');
    big[10] = 'z';
    assert_int_equal(aegis_assets_restore(r2, big, n), AEGIS_ERR_ASSET_BAD_STATE_BLOB);
    /* an invalid id character */
    memcpy(big, b, n);
    big[10] = 'D';
    assert_int_equal(aegis_assets_restore(r2, big, n), AEGIS_ERR_ASSET_BAD_STATE_BLOB);
    assert_int_equal(aegis_assets_hash(r2, h), AEGIS_OK);
    assert_memory_equal(h, h_before, 32);
    assert_int_equal(aegis_assets_count(r2), 0);
    free(big);
    aegis_free(b);
    aegis_assets_free(r1);
    aegis_assets_free(r2);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    aegis_assets *r = rich_reg(false);
    for (size_t i = 0; i < aegis_assets_count(r); i++) {
        aegis_asset a, b;
        char *js;
        assert_int_equal(aegis_assets_at(r, i, &a), AEGIS_OK);
        assert_int_equal(aegis_asset_to_json(&a, &js), AEGIS_OK);
        assert_int_equal(aegis_asset_from_json(js, strlen(js), &b), AEGIS_OK);
        char *js2;
        assert_int_equal(aegis_asset_to_json(&b, &js2), AEGIS_OK);
        assert_string_equal(js, js2);
        assert_string_equal(a.id, b.id);
        assert_int_equal(a.state, b.state);
        assert_int_equal(a.policy.ops, b.policy.ops);
        aegis_free(js);
        aegis_free(js2);
    }
    /* senders given unsorted are sorted; duplicates and unknown keys refused */
    const char *ok = "{\"id\":\"t\",\"type\":\"token\",\"locator\":{\"chain_id\":1,\"contract\":\"0x"
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},\"policy\":{\"senders\":["
                     "\"0x2222222222222222222222222222222222222222\",\"0x1111111111111111111111111111111111111111\"],"
                     "\"ops\":[\"transfer\"],\"value_limit\":\"0x10\"}}";
    aegis_asset a;
    assert_int_equal(aegis_asset_from_json(ok, strlen(ok), &a), AEGIS_OK);
    assert_int_equal(a.policy.senders[0][0], 0x11);
    assert_true(a.policy.has_value_limit);
    assert_int_equal(a.policy.value_limit.w[0], 16);
    assert_int_equal(a.level, 1);
    assert_int_equal(a.threshold, 10000);
    const char *bad[] = {
        "{\"id\":\"t\",\"type\":\"token\",\"locator\":{\"chain_id\":1,\"contract\":\"0xaa\"}}",
        "{\"id\":\"t\",\"type\":\"token\",\"locator\":{\"uri\":\"x://y\"}}",
        "{\"id\":\"t\",\"type\":\"file\",\"locator\":{\"uri\":\"x://y\"},\"extra\":1}",
        "{\"id\":\"t\",\"type\":\"file\",\"locator\":{\"uri\":\"x://y\"},\"level\":1.5}",
        "{\"id\":\"t\",\"type\":\"file\",\"locator\":{\"uri\":\"x://y\"},\"policy\":{\"ops\":[\"read\",\"read\"]}}",
        "{\"id\":\"t\",\"type\":\"file\",\"locator\":{\"uri\":\"x://y\"},\"id\":\"u\"}",
        "{\"id\":\"t\",\"type\":\"file\",\"locator\":{\"uri\":\"x://y\"},\"state\":\"gone\"}",
        "[1]",
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(bad); i++)
        assert_int_not_equal(aegis_asset_from_json(bad[i], strlen(bad[i]), &a), AEGIS_OK);
    char *list;
    assert_int_equal(aegis_assets_list_json(r, &list), AEGIS_OK);
    assert_non_null(strstr(list, "\"count\":3"));
    assert_non_null(strstr(list, "\"registry_hash\":\"0x"));
    aegis_free(list);
    aegis_assets_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_ids),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_crud),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_roles_and_pqc),
        cmocka_unit_test(test_serialize_round_trip),
        cmocka_unit_test(test_restore_rejects),
        cmocka_unit_test(test_json_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
