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

/* The state a rollback restores: risk state now; the asset registry adds
 * its canonical blob here. */
static char *state_blob(aegis_core *core)
{
    json_t *j = json_pack("{s:i, s:i, s:I}", "risk_score", (int)aegis_risk_score(core->risk),
                          "risk_level", (int)aegis_risk_level(core->risk),
                          "risk_since", (json_int_t)aegis_risk_since(core->risk));
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return s;
}

aegis_err aegis_core_checkpoint_make(aegis_core *core, uint64_t now_ms, uint64_t *ret_number, char **ret_json)
{
    static const uint8_t zero[32];
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
    uint8_t prev[32], last_hash[32];
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
        .registry_hash = zero,
        .asset_state_hash = zero,
        .migration_hash = zero,
        .audit_head = zero,
    };
    char *state = state_blob(core);
    core->ckpt_pending = state != NULL;
    core->checkpoint_due = false;
    pthread_mutex_unlock(&core->lock);
    if (!state)
        return AEGIS_ERR_NOMEM;
    in.state = (const uint8_t *)state;
    in.state_len = strlen(state);

    aegis_err err = aegis_checkpoint_build(&in, core->ks, &c);
    if (!err)
        err = aegis__core_attest(core, AEGIS_CHECKPOINT_TAG, c.hash, &att);
    if (!err) {
        /* published record: the checkpoint (strict format of checkpoint.h)
         * and the TEE attestation binding its hash */
        json_t *j = json_pack("{s:o, s:{s:s, s:s, s:b, s:o, s:o}}", "checkpoint", aegis_checkpoint_to_json(&c, true),
                              "attestation", "backend", att.backend, "mode", "checkpoint",
                              "insecure", att.insecure, "report_data", aegis_chain_hex(att.report_data, 64),
                              "quote", aegis_chain_hex(att.quote, att.quote_len));
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
    aegis_free(att.quote);
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
        err = aegis_checkpoint_verify(&c, &core->pub, NULL, false);
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
