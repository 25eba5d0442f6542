/*
 * core_fixture.h - shared helpers for the trusted-core and chain tests.
 *
 * A fixture is one core in its own temporary data dir (so its own sim TEE
 * secret and its own key set), with the public key set read back the way a
 * wallet reads it (aegis_core_key_info JSON -> aegis_chain_keyset_from_json),
 * and helpers that build signed EIP-1559 transactions (aegis_tx_build) and
 * seal them into envelopes for that key set (aegis_envelope_seal).
 *
 * Include after <cmocka.h>. Every helper is static and may be unused.
 */
#ifndef AEGIS_TEST_CORE_FIXTURE_H
#define AEGIS_TEST_CORE_FIXTURE_H

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aegis/batch.h"
#include "aegis/chain.h"
#include "aegis/config.h"
#include "aegis/core.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/keys.h"
#include "aegis/tx.h"

#define FX_UNUSED __attribute__((unused))
#define FX_GWEI 1000000000ull

typedef struct fx_core {
    char dir[64];                 /* temporary data dir */
    aegis_config cfg;
    aegis_core *core;
    aegis_keyset_pub pub;         /* from aegis_core_key_info */
    aegis_chain_attest att;       /* key-set attestation (owned quote) */
    aegis_envelope_pub env_pub;
    uint64_t next_env_id;
} fx_core;

static FX_UNUSED int fx_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static FX_UNUSED void fx_rmdir(const char *dir)
{
    if (dir && dir[0])
        nftw(dir, fx_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * The documented defaults (docs/config.md) for every field the core reads.
 * aegis_config_defaults lives in the config module, which aegis_core does
 * not link (core takes the struct only), so the tests fill it here; string
 * fields point to literals (never freed: no aegis_config_clear).
 */
static FX_UNUSED void fx_config_defaults(aegis_config *c)
{
    memset(c, 0, sizeof(*c));
    c->node_id = (char *)"aegis-node-1";
    c->data_dir = (char *)"./var";
    c->chain_id = 1;
    c->tee_primary = (char *)"sim";
    c->tee_backup = (char *)"";
    c->tee_require_backup = false;
    c->tee_attest_mode = (char *)"per-batch";
    c->tee_configfs_root = (char *)"/sys/kernel/config/tsm/report";
    c->tee_dstack_socket = (char *)"/var/run/dstack.sock";
    c->mempool_capacity = 10000;
    c->mempool_per_sender = 64;
    c->mempool_price_bump_pct = 10;
    c->mempool_expiry_s = 3600;
    c->mempool_max_envelope = 131072;
    c->batch_max = 50;
    c->batch_interval_ms = 1000;
    c->batch_slh_mode = (char *)"epoch";
    c->batch_seal_every = 20;
    c->batch_max_wait = 10;
    c->checkpoint_interval = 100;
    c->hybrid_ecdsa = true;
    c->risk_scheduled = 6000;
    c->risk_emergency = 9000;
    c->mode = (char *)"hybrid";
    c->enable_asset_protection = true;
    c->enable_migration = true;
}

/* Defaults plus a fresh temp dir; tweak fx->cfg, then fx_start(). */
static FX_UNUSED void fx_init(fx_core *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx_config_defaults(&fx->cfg);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/aegis-coretest-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    fx->next_env_id = 1;
}

/* Read the public key set the way a client does: key_info JSON. */
static FX_UNUSED void fx_read_keyset(aegis_core *core, aegis_keyset_pub *pub, aegis_chain_attest *att)
{
    char *ki = NULL;
    assert_int_equal(aegis_core_key_info(core, &ki), AEGIS_OK);
    json_t *j = json_loads(ki, 0, NULL);
    assert_non_null(j);
    const char *why = NULL;
    assert_int_equal(aegis_chain_keyset_from_json(j, pub, att, &why), AEGIS_OK);
    json_decref(j);
    aegis_free(ki);
}

/* Open (or reopen) the core on fx->dir with fx->cfg. */
static FX_UNUSED void fx_start(fx_core *fx)
{
    const char *detail = NULL;
    aegis_err err = aegis_core_new(&fx->core, &fx->cfg, fx->dir, &detail);
    if (err)
        fprintf(stderr, "aegis_core_new: %s (%s)\n", aegis_err_name(err), detail ? detail : "");
    assert_int_equal(err, AEGIS_OK);
    aegis_free(fx->att.quote);
    fx_read_keyset(fx->core, &fx->pub, &fx->att);
    aegis_keyset_pub_envelope(&fx->env_pub, &fx->pub);
}

/* Free the core only (the data dir stays: a restart). */
static FX_UNUSED void fx_stop(fx_core *fx)
{
    aegis_core_free(fx->core);
    fx->core = NULL;
}

static FX_UNUSED void fx_done(fx_core *fx)
{
    fx_stop(fx);
    aegis_free(fx->att.quote);
    fx_rmdir(fx->dir);
    memset(fx, 0, sizeof(*fx));
}

/* A deterministic secp256k1 secret key per sender index, and its address. */
static FX_UNUSED void fx_sender_sk(unsigned idx, uint8_t sk[32])
{
    char seed[32];
    int n = snprintf(seed, sizeof(seed), "aegis-test-sender-%u", idx);
    aegis_sha256(sk, seed, (size_t)n);
}

static FX_UNUSED void fx_sender_addr(unsigned idx, uint8_t addr[20])
{
    uint8_t sk[32], pk[65];
    fx_sender_sk(idx, sk);
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_OK);
    aegis_eth_address(addr, pk);
}

/* Transaction knobs. tip_gwei = max priority fee; max fee = 1000 gwei + tip. */
typedef struct fx_txopt {
    uint64_t chain_id;            /* 0: the fixture's chain id */
    uint64_t value;               /* wei, makes otherwise equal txs distinct */
} fx_txopt;

static FX_UNUSED void fx_tx_ex(const fx_core *fx, unsigned sender, uint64_t nonce, uint64_t tip_gwei,
                               const fx_txopt *opt, uint8_t **raw, size_t *len)
{
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.chain_id = opt && opt->chain_id ? opt->chain_id : fx->cfg.chain_id;
    p.nonce = nonce;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_priority_fee, tip_gwei * FX_GWEI);
    aegis_u256_from_u64(&p.max_fee, (1000 + tip_gwei) * FX_GWEI);
    memset(p.to, 0x35, 20);
    aegis_u256_from_u64(&p.value, opt ? opt->value : 1);
    uint8_t sk[32];
    fx_sender_sk(sender, sk);
    assert_int_equal(aegis_tx_build(&p, sk, raw, len), AEGIS_OK);
}

static FX_UNUSED void fx_tx(const fx_core *fx, unsigned sender, uint64_t nonce, uint64_t tip_gwei,
                            uint8_t **raw, size_t *len)
{
    fx_tx_ex(fx, sender, nonce, tip_gwei, NULL, raw, len);
}

/* Seal plaintext bytes for a recipient; *env owned by the caller. */
static FX_UNUSED void fx_seal_to(const aegis_envelope_pub *rcpt, const uint8_t *pt, size_t n, uint8_t **env,
                                 size_t *env_len)
{
    size_t cap = aegis_envelope_sealed_size(n);
    *env = aegis_malloc(cap);
    assert_non_null(*env);
    assert_int_equal(aegis_envelope_seal(*env, cap, env_len, rcpt, pt, n), AEGIS_OK);
}

static FX_UNUSED void fx_seal(const fx_core *fx, const uint8_t *pt, size_t n, uint8_t **env, size_t *env_len)
{
    fx_seal_to(&fx->env_pub, pt, n, env, env_len);
}

/* Submit envelope bytes under the next envelope id. */
static FX_UNUSED aegis_err fx_submit_env(fx_core *fx, const uint8_t *env, size_t len, uint64_t env_id,
                                         aegis_core_receipt *r, const char **reason)
{
    aegis_core_receipt tmp;
    const char *w = NULL;
    aegis_err err = aegis_core_submit(fx->core, env, len, env_id, 1000, false, r ? r : &tmp, reason ? reason : &w);
    return err;
}

/* Build, seal and submit one tx with envelope id env_id (0: next id). */
static FX_UNUSED aegis_err fx_submit_tx_ex(fx_core *fx, unsigned sender, uint64_t nonce, uint64_t tip_gwei,
                                           const fx_txopt *opt, uint64_t env_id, aegis_core_receipt *r,
                                           const char **reason)
{
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    fx_tx_ex(fx, sender, nonce, tip_gwei, opt, &raw, &raw_len);
    fx_seal(fx, raw, raw_len, &env, &env_len);
    if (!env_id)
        env_id = fx->next_env_id++;
    aegis_err err = fx_submit_env(fx, env, env_len, env_id, r, reason);
    aegis_free(raw);
    aegis_free(env);
    return err;
}

static FX_UNUSED aegis_err fx_submit_tx(fx_core *fx, unsigned sender, uint64_t nonce, uint64_t tip_gwei,
                                        aegis_core_receipt *r)
{
    return fx_submit_tx_ex(fx, sender, nonce, tip_gwei, NULL, 0, r, NULL);
}

/* Cut (force) and commit the next batch; returns it (caller frees). */
static FX_UNUSED aegis_core_batch *fx_cut_commit(fx_core *fx, uint64_t now_ms)
{
    aegis_core_batch *b = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, now_ms, true, &b), AEGIS_OK);
    assert_non_null(b);
    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_OK);
    return b;
}

/* Parse a published batch JSON text (asserts success). */
static FX_UNUSED void fx_parse_batch(const char *json, size_t len, aegis_chain_batch *cb)
{
    json_t *j = json_loadb(json, len, 0, NULL);
    assert_non_null(j);
    const char *why = NULL;
    aegis_err err = aegis_chain_batch_from_json(j, cb, &why);
    if (err)
        fprintf(stderr, "batch_from_json: %s (%s)\n", aegis_err_name(err), why ? why : "");
    assert_int_equal(err, AEGIS_OK);
    json_decref(j);
}

/* Serialise a chain batch back to compact JSON text (caller frees with free()). */
static FX_UNUSED char *fx_batch_dump(const aegis_chain_batch *cb)
{
    json_t *j = aegis_chain_batch_to_json(cb);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    json_decref(j);
    return s;
}

#endif
