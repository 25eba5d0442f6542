/* fuzz_admin.c - libFuzzer target for the admin request format and what
 * it carries: the full submit path (strict parse, key lookup, ML-DSA-87
 * signature, freshness, apply, audit append) against a fixed admin key, the
 * op params of every operation on a populated registry, the asset JSON
 * form, and the audit-line parser. Properties checked: the registry's
 * serialization round-trips through restore to the same hash after any
 * accepted change, and an accepted request's audit log verifies.
 * Must never crash or leak.
 *
 * Seeds in fuzz/corpus/admin/ include requests signed by the fixed key
 * (ML-DSA-87 from seed 0x41 * 32) at ts FUZZ_NOW. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/assets.h"

#define FUZZ_NOW 1700000000000ull

static uint8_t admin_pk[AEGIS_MLDSA87_PK_BYTES];   /* harness state, set once */
static int have_key;

static void populate(aegis_assets *r)
{
    aegis_asset a;
    aegis_asset_init(&a);
    strcpy(a.id, "usdc");
    memset(a.locator.contract, 0xaa, 20);
    a.state = AEGIS_ASSET_PROTECTED;
    uint8_t addr[20];
    memset(addr, 0x11, 20);
    if (aegis_assets_add(r, &a) != AEGIS_OK || aegis_assets_role_grant(r, "treasury", addr) != AEGIS_OK)
        abort();
}

static void check_round_trip(const aegis_assets *r)
{
    uint8_t *blob = NULL, h1[32], h2[32];
    size_t n;
    aegis_assets_config cfg = { 0 };
    aegis_assets *r2 = NULL;
    if (aegis_assets_serialize(r, &blob, &n) != AEGIS_OK || aegis_assets_new(&cfg, &r2) != AEGIS_OK)
        goto out;
    if (aegis_assets_restore(r2, blob, n) != AEGIS_OK)
        abort();   /* our own canonical output must restore */
    if (aegis_assets_hash(r, h1) == AEGIS_OK && aegis_assets_hash(r2, h2) == AEGIS_OK && memcmp(h1, h2, 32) != 0)
        abort();
out:
    aegis_assets_free(r2);
    aegis_free(blob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    aegis_assets_config cfg = { .enable_asset_protection = true, .enable_migration = true };
    aegis_assets *reg = NULL;
    aegis_assets_admin *adm = NULL;
    aegis_audit *log = NULL;
    aegis_admin_result res = { 0 };
    const char *msg = NULL;
    if (!have_key) {
        uint8_t seed[32], *sk = malloc(AEGIS_MLDSA87_SK_BYTES);
        memset(seed, 0x41, sizeof(seed));
        if (!sk || aegis_mldsa87_keygen_seed(admin_pk, sk, seed) != AEGIS_OK)
            abort();
        free(sk);
        have_key = 1;
    }
    if (aegis_assets_new(&cfg, &reg) || aegis_assets_admin_new(0, &adm) || aegis_audit_new(&log) ||
        aegis_assets_admin_add_key(adm, admin_pk))
        goto out;
    populate(reg);

    /* 1. the whole admin path */
    if (aegis_assets_admin_submit(adm, reg, log, text, size, FUZZ_NOW, &res, &msg) == AEGIS_OK) {
        char *exp = NULL;
        size_t n;
        if (aegis_audit_export(log, &exp, &n) == AEGIS_OK &&
            aegis_audit_verify(exp, n, adm, NULL, NULL, NULL, NULL) != AEGIS_OK)
            abort();
        aegis_free(exp);
        aegis_admin_result_clear(&res);
        /* replay must be refused */
        if (aegis_assets_admin_submit(adm, reg, log, text, size, FUZZ_NOW, &res, &msg) != AEGIS_ERR_ADMIN_REPLAY)
            abort();
    }

    /* 2. op params without authentication: {"op": "...", "params": {...}} */
    json_error_t jerr;
    json_t *o = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
    const char *op = json_string_value(json_object_get(o, "op"));
    json_t *params = json_object_get(o, "params");
    if (op && json_is_object(params)) {
        char *p = json_dumps(params, JSON_COMPACT);
        if (p && aegis_assets_apply_op(reg, op, p, strlen(p), &msg) == AEGIS_OK)
            check_round_trip(reg);
        free(p);
    }
    json_t *asset = json_object_get(params, "asset");
    if (asset) {
        char *p = json_dumps(asset, JSON_COMPACT);
        aegis_asset a;
        char *back = NULL;
        if (p && aegis_asset_from_json(p, strlen(p), &a) == AEGIS_OK) {
            if (aegis_asset_validate(&a) != AEGIS_OK || aegis_asset_to_json(&a, &back) != AEGIS_OK)
                abort();
            aegis_asset b;
            if (aegis_asset_from_json(back, strlen(back), &b) != AEGIS_OK)
                abort();
        }
        aegis_free(back);
        free(p);
    }
    json_decref(o);

    /* 3. the same bytes as an asset and as audit lines */
    aegis_asset a;
    if (aegis_asset_from_json(text, size, &a) == AEGIS_OK && aegis_asset_validate(&a) != AEGIS_OK)
        abort();
    aegis_audit *l2 = NULL;
    if (aegis_audit_import(text, size, &l2, &msg) == AEGIS_OK) {
        char *exp = NULL;
        size_t n;
        if (aegis_audit_export(l2, &exp, &n) == AEGIS_OK && (n != size || memcmp(exp, text, n) != 0)) {
            /* import accepts exactly the canonical export, except a missing final newline */
            if (!(n == size + 1 && memcmp(exp, text, size) == 0))
                abort();
        }
        aegis_free(exp);
        aegis_audit_free(l2);
    }
    check_round_trip(reg);
out:
    aegis_audit_free(log);
    aegis_assets_admin_free(adm);
    aegis_assets_free(reg);
    return 0;
}
