/* core_checkpoint.c - PQC-signed checkpoints of the protected state.
 *
 * Due every checkpoint_interval batches and at every risk level change.
 * Like batches: make (signed ML-DSA-87 + SLH-DSA-SHA2-256s, attested) ->
 * the host persists it -> commit; later batch headers reference the latest
 * committed checkpoint (number + hash). The SLH-DSA signature takes ~0.1-0.2 s,
 * so the daemon makes checkpoints on its sealer thread, never on the cutter,
 * and no core lock is held while signing. */
#include <jansson.h>
#include <string.h>

#include "core_attest.h"
#include "core_int.h"

bool aegis_core_checkpoint_due(aegis_core *core)
{
    pthread_mutex_lock(&core->lock);
    uint64_t last = core->next_number - 1;
    bool due = !core->ckpt_pending && last > 0 &&
               (core->checkpoint_due ||
                (core->checkpoint_interval &&
                 last >= (core->have_checkpoint ? core->ckpt_batch : 0) + core->checkpoint_interval));
    if (due && core->have_checkpoint && core->ckpt_batch == last && !core->checkpoint_due)
        due = false;
    pthread_mutex_unlock(&core->lock);
    return due;
}

bool aegis_core_checkpoint_urgent(aegis_core *core)
{
    pthread_mutex_lock(&core->lock);
    bool urgent = core->checkpoint_due;
    pthread_mutex_unlock(&core->lock);
    return urgent;
}

/* The state a rollback restores (canonical JSON, sorted keys): the risk
 * state and the asset registry's canonical blob (entries, policies, states,
 * roles, PQC account keys). Caller holds core->lock. */
static char *state_blob(aegis_core *core, uint8_t reg_hash[32], uint8_t audit_head[32])
{
    uint8_t *blob = NULL;
    size_t len = 0;
    if (aegis__core_assets_state(core, &blob, &len, reg_hash, audit_head) != AEGIS_OK)
        return NULL;
    json_t *j = json_pack("{s:i, s:i, s:I, s:o, s:o}", "risk_score", (int)aegis_risk_score(core->risk),
                          "risk_level", (int)aegis_risk_level(core->risk),
                          "risk_since", (json_int_t)aegis_risk_since(core->risk),
                          "registry", aegis_json_hex(blob, len),
                          "migrations", aegis__core_migrations_json(core));
    aegis_free(blob);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return s;
}

/* The cached record (this worker's own, from before a restart) is the
 * checkpoint in would build now: its text is the new record, nothing signed. */
static aegis_err adopt_cached(aegis_core *core, const struct aegis_checkpoint_input *in, const char *cached,
                              size_t len, char **ret_json)
{
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    json_t *rec = json_loadb(cached, len, 0, NULL);
    aegis_err err = rec ? aegis_checkpoint_from_json(json_object_get(rec, "checkpoint"), &c) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(rec);
    if (!err) {
        pthread_rwlock_rdlock(&core->ks_lock);
        aegis_keyset_pub pub = core->pub;
        pthread_rwlock_unlock(&core->ks_lock);
        err = aegis_checkpoint_is_built(&c, in, &pub);
    }
    aegis_checkpoint_clear(&c);
    if (!err && !(*ret_json = aegis_malloc(len + 1)))
        err = AEGIS_ERR_NOMEM;
    if (!err) {
        memcpy(*ret_json, cached, len);
        (*ret_json)[len] = '\0';
    }
    return err;
}

aegis_err aegis_core_checkpoint_make(aegis_core *core, uint64_t now_ms, uint64_t *ret_number, char **ret_json)
{
    return aegis_core_checkpoint_make_cached(core, now_ms, NULL, 0, ret_number, ret_json);
}

aegis_err aegis_core_checkpoint_make_cached(aegis_core *core, uint64_t now_ms, const char *cached, size_t cached_len,
                                            uint64_t *ret_number, char **ret_json)
{
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    aegis_chain_attest att;
    memset(&att, 0, sizeof(att));
    *ret_json = NULL;

    pthread_mutex_lock(&core->lock);
    if (core->ckpt_pending || core->next_number <= 1) {
        pthread_mutex_unlock(&core->lock);
        return AEGIS_OK;
    }
    uint8_t prev[32], last_hash[32], reg_hash[32], audit_head[32], mig_hash[32];
    char *state = state_blob(core, reg_hash, audit_head);
    if (aegis_migration_set_hash(core->migs, core->n_migs, mig_hash) != AEGIS_OK)
        memset(mig_hash, 0, sizeof(mig_hash));
    memcpy(prev, core->ckpt_hash, 32);
    memcpy(last_hash, core->parent_hash, 32);
    struct aegis_checkpoint_input in = {
        .number = core->have_checkpoint ? core->ckpt_number + 1 : 0,
        .batch_number = core->next_number - 1,
        .timestamp_ms = now_ms,
        .prev_hash = core->have_checkpoint ? prev : NULL,
        .last_batch_hash = last_hash,
        .risk_score = aegis_risk_score(core->risk),
        .risk_level = aegis_risk_level(core->risk),
        .registry_hash = reg_hash,
        .asset_state_hash = reg_hash,   /* states are part of the registry blob */
        .migration_hash = mig_hash,
        .audit_head = audit_head,
    };
    core->ckpt_pending = state != NULL;
    core->checkpoint_due = false;
    pthread_mutex_unlock(&core->lock);
    if (!state)
        return AEGIS_ERR_NOMEM;
    in.state = (const uint8_t *)state;
    in.state_len = strlen(state);
    if (cached && adopt_cached(core, &in, cached, cached_len, ret_json) == AEGIS_OK) {
        *ret_number = in.number;
        free(state);
        return AEGIS_OK;
    }

    pthread_rwlock_rdlock(&core->ks_lock);
    aegis_err err = aegis_checkpoint_build(&in, core->ks, &c);
    pthread_rwlock_unlock(&core->ks_lock);
    if (!err)
        err = aegis__core_attest(core, AEGIS_CHECKPOINT_TAG, c.hash, &att);
    if (!err) {
        /* published record: the checkpoint (strict format of checkpoint.h)
         * and the TEE attestation binding its hash */
        snprintf(att.mode, sizeof(att.mode), "checkpoint");
        json_t *j = json_pack("{s:o, s:o}", "checkpoint", aegis_checkpoint_to_json(&c, true), "attestation",
                              aegis_chain_attest_to_json(&att));
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        *ret_json = s ? aegis_strdup(s) : NULL;
        free(s);
        err = *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    if (!err)
        *ret_number = c.number;
    else {
        pthread_mutex_lock(&core->lock);
        core->ckpt_pending = false;
        core->checkpoint_due = true;   /* try again */
        pthread_mutex_unlock(&core->lock);
    }
    aegis_chain_attest_clear(&att);
    aegis_checkpoint_clear(&c);
    free(state);
    return err;
}

/* Parse a checkpoint record and check it is ours and continues ours. */
static aegis_err checkpoint_accept(aegis_core *core, const char *json, size_t len, bool restoring)
{
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    json_t *rec = json_loadb(json, len, 0, NULL);
    aegis_err err = rec ? aegis_checkpoint_from_json(json_object_get(rec, "checkpoint"), &c) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(rec);
    if (err)
        return err;
    pthread_mutex_lock(&core->lock);
    uint64_t want = core->have_checkpoint ? core->ckpt_number + 1 : 0;
    static const uint8_t zero[32];
    if (c.number != want || !aegis_ct_eq(c.prev_hash, core->have_checkpoint ? core->ckpt_hash : zero, 32) ||
        (!restoring && !core->ckpt_pending)) {
        err = AEGIS_ERR_CORE_RESTORE;
    } else {
        const aegis_keyset_pub *cpub = aegis__core_pub_of(core, c.key_epoch);
        err = cpub ? aegis_checkpoint_verify(&c, cpub, NULL, false) : AEGIS_ERR_CORE_RESTORE;
    }
    if (!err) {
        core->have_checkpoint = true;
        core->ckpt_number = c.number;
        memcpy(core->ckpt_hash, c.hash, 32);
        core->ckpt_batch = c.batch_number;
        core->ckpt_pending = false;
    }
    pthread_mutex_unlock(&core->lock);
    aegis_checkpoint_clear(&c);
    return err;
}

aegis_err aegis_core_checkpoint_commit(aegis_core *core, const char *json, size_t len)
{
    return checkpoint_accept(core, json, len, false);
}

void aegis_core_checkpoint_abort(aegis_core *core)
{
    pthread_mutex_lock(&core->lock);
    core->ckpt_pending = false;
    core->checkpoint_due = true;
    pthread_mutex_unlock(&core->lock);
}

aegis_err aegis_core_restore_checkpoint(aegis_core *core, const char *json, size_t len)
{
    return checkpoint_accept(core, json, len, true);
}

/* ---- rollback (driven by an authorised admin request, core_assets.c) ---- */

/* Parse and verify a persisted checkpoint record for a rollback: signed by
 * its epoch's key, state present and hashing to its state hash, and equal
 * to the state hash the admin pinned (when given). */
aegis_err aegis__core_rollback_check(aegis_core *core, const char *ckpt_json, size_t len,
                                     const uint8_t *pinned_state_hash, aegis_checkpoint *c, const char **detail)
{
    memset(c, 0, sizeof(*c));
    json_t *rec = json_loadb(ckpt_json, len, 0, NULL);
    aegis_err err = rec ? aegis_checkpoint_from_json(json_object_get(rec, "checkpoint"), c) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(rec);
    if (err) {
        *detail = "checkpoint record malformed";
        return err;
    }
    pthread_mutex_lock(&core->lock);
    const aegis_keyset_pub *cpub = aegis__core_pub_of(core, c->key_epoch);
    err = cpub ? aegis_checkpoint_verify(c, cpub, NULL, true) : AEGIS_ERR_CORE_RESTORE;
    pthread_mutex_unlock(&core->lock);
    if (err)
        *detail = "checkpoint not signed by this sequencer, or its state does not hash to its state hash";
    else if (pinned_state_hash && !aegis_ct_eq(pinned_state_hash, c->state_hash, 32)) {
        *detail = "the admin request pins a state hash that is not this checkpoint's";
        err = AEGIS_ERR_CORE_RESTORE;
    }
    if (err)
        aegis_checkpoint_clear(c);
    return err;
}

/* Restore exactly the checkpoint's state (caller holds core->lock and has
 * run aegis__core_rollback_check): registry, risk; the restored state must
 * hash to the checkpoint's state hash. Batches after it are orphaned. */
aegis_err aegis__core_rollback_restore_locked(aegis_core *core, const aegis_checkpoint *c, uint64_t now_ms,
                                              uint64_t *ret_first, uint64_t *ret_last, const char **detail)
{
    uint8_t *reg = NULL;
    size_t reg_len = 0;
    char *line = NULL;
    size_t line_len = 0;
    json_t *st = json_loadb((const char *)c->state, c->state_len, 0, NULL);
    json_t *sc = json_object_get(st, "risk_score"), *lv = json_object_get(st, "risk_level"),
           *si = json_object_get(st, "risk_since");
    aegis_err err = AEGIS_ERR_CORE_RESTORE;
    *detail = "checkpoint state malformed";
    if (!json_is_integer(sc) || !json_is_integer(lv) || !json_is_integer(si) ||
        aegis_chain_get_hex_alloc(st, "registry", AEGIS_CHECKPOINT_MAX_STATE, &reg, &reg_len))
        goto out;
    *detail = "cannot restore the checkpoint state";
    err = aegis_assets_restore(core->reg, reg, reg_len);
    if (!err)
        err = aegis__core_migrations_restore(core, json_object_get(st, "migrations"));
    if (!err)
        err = aegis_risk_monitor_restore(core->risk, (uint16_t)json_integer_value(sc),
                                         (uint8_t)json_integer_value(lv), (uint64_t)json_integer_value(si));
    if (err)
        goto out;
    struct aegis_risk_level_event ev[4];
    while (aegis_risk_events_take(core->risk, ev, AEGIS_ARRAY_LEN(ev)) > 0)
        ;
    core->risk_score = aegis_risk_score(core->risk);
    core->risk_level = aegis_risk_level(core->risk);
    uint8_t rh[32], ah[32], h[32];
    char *now_state = state_blob(core, rh, ah);
    if (!now_state) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    aegis_keccak256(h, now_state, strlen(now_state));
    free(now_state);
    if (!aegis_ct_eq(h, c->state_hash, 32)) {
        *detail = "restored state does not hash to the checkpoint's state hash";
        err = AEGIS_ERR_CORE_RESTORE;
        goto out;
    }
    char params[64];
    snprintf(params, sizeof(params), "{\"checkpoint\":%llu}", (unsigned long long)c->number);
    err = aegis_audit_append_event(core->audit, core->reg, "restore", params, now_ms, &line, &line_len);
    if (err)
        goto out;
    *ret_first = c->batch_number + 1;
    *ret_last = core->next_number - 1;
    core->checkpoint_due = true;
    *detail = NULL;
    /* Transactions admitted under the later state must pass under this one. */
    (void)aegis__core_mempool_recheck(core, now_ms);
out:
    json_decref(st);
    aegis_free(line);
    aegis_free(reg);
    return err;
}

/* ---- the mempool after a rollback ----
 *
 * The pool was admitted under the state a rollback just discarded: an asset
 * may be frozen again, a protection active again, the level back at
 * emergency (witnesses), a PQC key registered since gone. Every pooled
 * transaction goes through the admission rules that read that state again,
 * in admission order - the order a restart's replay of the envelope log
 * would admit them in, so the pool ends as a restart would rebuild it:
 *  - decode the plaintext again (raw || extension, as carried by the record;
 *    decoding is stateless and passed at admission, it only recovers the
 *    fields and the extension);
 *  - the asset registry's policies at the restored risk
 *    (aegis_assets_check_tx: frozen/migrated assets take only migrations,
 *    protected assets' ops, senders, per-tx value limits, witnesses by
 *    policy or at emergency against the registered key);
 *  - as at admission, a surviving tx whose witness carries its key
 *    registers it again (audited), so later txs of that sender are judged
 *    with it, exactly as on admission.
 * Not re-checked: what does not depend on the restored state (envelope
 * epoch and decryption, the stateless witness self-check, the mempool's own
 * limits, duplicates and nonces). A refused transaction leaves the pool and
 * is queued like an eviction (aegis_core_take_dropped); its record, and
 * with it the plaintext, is wiped here. The classes the classifier gave at
 * admission are kept (ordering inputs, not admission rules). */

struct recheck_ctx {
    aegis_core *core;
    aegis_assets_env env;
    uint64_t now_ms;
};

static aegis_err recheck_tx(void *ctx, const struct aegis_mempool_tx *rec)
{
    struct recheck_ctx *rc = ctx;
    aegis_core *core = rc->core;
    aegis_tx tx;
    aegis_err err = aegis_tx_decode(&core->txcfg, rec->raw, rec->raw_len + rec->ext_len, &tx, NULL);
    if (!err && (tx.raw_len != rec->raw_len || memcmp(tx.hash, rec->tx_hash, 32) != 0))
        err = AEGIS_ERR_INVAL;   /* not the record's transaction: cannot happen */
    if (!err)
        err = aegis_assets_check_tx(core->reg, &tx, &rc->env, NULL, NULL);
    if (!err && tx.ext.present && tx.ext.witness_pk && aegis_assets_pqc_register_tx(core->reg, &tx) == AEGIS_OK) {
        char params[64] = "{\"account\":\"0x", *line = NULL;
        size_t line_len = 0;
        aegis_hex_encode(params + strlen(params), tx.sender, 20);
        strcat(params, "\"}");
        if (aegis_audit_append_event(core->audit, core->reg, "register_pqc_key", params, rc->now_ms, &line,
                                     &line_len) == AEGIS_OK)
            aegis_free(line);
    }
    aegis_memzero(&tx, sizeof(tx));
    return err;
}

static void recheck_drop(void *ctx, struct aegis_mempool_tx *rec, aegis_err why)
{
    struct recheck_ctx *rc = ctx;
    (void)why;
    aegis__core_push_dropped(rc->core, rec->envelope_id);
    aegis_mempool_tx_free(rec);
}

size_t aegis__core_mempool_recheck(aegis_core *core, uint64_t now_ms)
{
    struct recheck_ctx rc = { .core = core, .now_ms = now_ms };
    aegis__core_assets_env(core, &rc.env);
    return aegis_mempool_recheck(core->mp, recheck_tx, recheck_drop, &rc);
}

/* The signed rollback event, carrying the admin request's signature. */
aegis_err aegis__core_rollback_event(aegis_core *core, const aegis_checkpoint *c, uint64_t now_ms, uint64_t first,
                                     uint64_t last, const uint8_t *admin_sig, size_t admin_sig_len,
                                     char **ret_json)
{
    aegis_rollback r;
    memset(&r, 0, sizeof(r));
    pthread_mutex_lock(&core->lock);
    uint64_t number = core->rollbacks++;
    pthread_mutex_unlock(&core->lock);
    pthread_rwlock_rdlock(&core->ks_lock);
    aegis_err err = aegis_rollback_build(c, number, now_ms, first, last >= first ? last : first - 1,
                                         "admin rollback", admin_sig, admin_sig_len, core->ks, &r);
    pthread_rwlock_unlock(&core->ks_lock);
    if (!err) {
        json_t *ev = aegis_rollback_to_json(&r);
        char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
        json_decref(ev);
        *ret_json = s ? aegis_strdup(s) : NULL;
        free(s);
        err = *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    aegis_rollback_clear(&r);
    return err;
}

void aegis_core_restore_rollbacks(aegis_core *core, uint64_t count)
{
    pthread_mutex_lock(&core->lock);
    core->rollbacks = count;
    pthread_mutex_unlock(&core->lock);
}
