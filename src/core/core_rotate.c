/* core_rotate.c - key epochs: scheduled and emergency rotation of the
 * signing and encryption keys, with a hand-over record signed by the old and
 * the new key set (ML-DSA-87 + SLH-DSA each, src/risk/risk_handover.c).
 *
 * Like batches: prepare (new key set generated and sealed to
 * <data_dir>/keyset-<epoch>.sealed, hand-over signed; cutting pauses) -> the
 * host persists the hand-over insert-only under the new epoch -> commit (the
 * switch). A sealed key set without a persisted hand-over is an aborted
 * rotation and is ignored (the next rotation overwrites it). After the
 * switch, envelopes to the previous epoch are accepted for the grace window
 * and refused after it with an error naming the current epoch. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core_attest.h"
#include "core_int.h"

static _Thread_local char epoch_msg[256];

static aegis_err epochs_push(aegis_core *core, const aegis_keyset_pub *pub, const aegis_chain_attest *att)
{
    struct core_epoch *n = aegis_realloc(core->epochs, (core->n_epochs + 1) * sizeof(*n));
    if (!n)
        return AEGIS_ERR_NOMEM;
    core->epochs = n;
    memset(&n[core->n_epochs], 0, sizeof(n[0]));
    n[core->n_epochs].pub = *pub;
    if (att && att->backend[0]) {
        aegis_err err = aegis_chain_attest_copy(&n[core->n_epochs].att, att);
        if (err)
            return err;
    }
    core->n_epochs++;
    return AEGIS_OK;
}

aegis_err aegis__core_rotate_init(aegis_core *core, const aegis_config *cfg, const char *data_dir)
{
    struct aegis_rotation_config rc;
    aegis_rotation_config_defaults(&rc);
    rc.interval_batches = cfg->key_rotation_batches;
    rc.interval_ms = cfg->key_rotation_s * 1000;
    rc.on_emergency = cfg->rotate_on_emergency;
    rc.grace_ms = cfg->key_grace_s * 1000;
    if (cfg->cluster_nats_urls.n > 0) {
        /* a cluster rotates at log positions, never by a worker's clock */
        core->derive_keys = true;
        rc.interval_ms = 0;
    }
    aegis_rotation_init(&core->rot, &rc, core->pub.epoch, core->next_number,
                        core->derive_keys ? 0 : aegis_wall_ms());
    core->data_dir = aegis_strdup(data_dir);
    if (!core->data_dir)
        return AEGIS_ERR_NOMEM;
    return epochs_push(core, &core->pub, &core->keyset_att);
}

void aegis__core_rotate_free(aegis_core *core)
{
    for (size_t i = 0; i < core->n_epochs; i++)
        aegis_chain_attest_clear(&core->epochs[i].att);
    aegis_free(core->epochs);
    aegis_keyset_free(core->prev_ks);
    aegis_keyset_free(core->next_ks);
    aegis_free(core->data_dir);
}

const aegis_keyset_pub *aegis__core_pub_of(const aegis_core *core, uint64_t epoch)
{
    if (epoch == 0 || epoch > core->n_epochs)
        return NULL;
    return &core->epochs[epoch - 1].pub;
}

aegis_err aegis__core_keys_for_epoch(aegis_core *core, uint64_t env_epoch, uint64_t now_ms,
                                     const aegis_keyset **ret, const char **why)
{
    if (env_epoch == core->pub.epoch) {
        *ret = core->ks;
        return AEGIS_OK;
    }
    pthread_mutex_lock(&core->lock);
    aegis_err err = aegis_rotation_check_epoch(&core->rot, env_epoch, core->next_number, now_ms, epoch_msg,
                                               sizeof(epoch_msg));
    pthread_mutex_unlock(&core->lock);
    if (!err && core->prev_ks && aegis_keyset_epoch(core->prev_ks) == env_epoch) {
        *ret = core->prev_ks;
        return AEGIS_OK;
    }
    if (!err || err == AEGIS_ERR_RISK_EPOCH_UNKNOWN) {
        snprintf(epoch_msg, sizeof(epoch_msg), "envelope is for key epoch %llu; the current key epoch is %llu",
                 (unsigned long long)env_epoch, (unsigned long long)core->pub.epoch);
        err = AEGIS_ERR_CORE_KEY_EPOCH;
    }
    *why = epoch_msg;   /* per thread: names the current epoch */
    return err;
}

static void keyset_path(const aegis_core *core, uint64_t epoch, char *out, size_t cap)
{
    snprintf(out, cap, "%s/keyset-%llu.sealed", core->data_dir, (unsigned long long)epoch);
}

aegis_err aegis_core_rotate_prepare(aegis_core *core, uint64_t now_ms, uint64_t *ret_epoch, char **ret_json)
{
    *ret_json = NULL;
    pthread_mutex_lock(&core->lock);
    if (!core->rotating) {
        uint8_t reason = aegis_rotation_due(&core->rot, core->next_number, now_ms);
        if (reason == AEGIS_ROTATE_NONE || core->pending.active) {
            pthread_mutex_unlock(&core->lock);
            return AEGIS_OK;
        }
        core->rotating = true;   /* the cutter pauses: the hand-over names the next batch */
        core->rotate_batch = core->next_number;
        core->rotate_reason = reason;
        core->rotate_ts = now_ms;
    }
    uint8_t reason = core->rotate_reason;
    uint64_t epoch = core->pub.epoch + 1;
    pthread_mutex_unlock(&core->lock);
    /* the SLH-DSA seal window must close under the old key first (the
     * sealer forces it while rotating) */
    pthread_mutex_lock(&core->seal_lock);
    bool open_window = !core->slh_every && core->n_unsealed > 0;
    pthread_mutex_unlock(&core->seal_lock);
    if (open_window)
        return AEGIS_OK;

    char path[4200];
    aegis_handover *h = aegis_calloc(1, sizeof(*h));
    aegis_keyset *next = NULL;
    aegis_err err = !h ? AEGIS_ERR_NOMEM
                  : core->derive_keys ? aegis_keyset_derive_next(core->ks, epoch, &next)
                                      : aegis_keyset_generate(epoch, &next);
    keyset_path(core, epoch, path, sizeof(path));
    if (!err)
        err = aegis_keyset_save(next, core->tee, path);
    if (!err)
        err = aegis_handover_build(core->ks, next, core->rotate_batch, reason, now_ms, h);
    if (!err) {
        json_t *j = aegis_handover_to_json(h);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        *ret_json = s ? aegis_strdup(s) : NULL;
        free(s);
        err = *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
    }
    aegis_free(h);
    pthread_mutex_lock(&core->lock);
    if (err) {
        aegis_keyset_free(next);
        core->rotating = false;
    } else {
        core->next_ks = next;
        *ret_epoch = epoch;
    }
    pthread_mutex_unlock(&core->lock);
    return err;
}

/* Make ks the current epoch (caller holds core->lock). */
static aegis_err switch_to(aegis_core *core, aegis_keyset *ks, uint64_t batch, uint64_t ts_ms)
{
    aegis_keyset_pub pub = *aegis_keyset_public(ks);
    uint8_t hash[32];
    aegis_chain_attest att, backup;
    aegis_keyset_pub_hash(hash, &pub);
    aegis_err err = aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_KEYSET, hash, &att, &backup);
    if (err)
        return err;
    err = epochs_push(core, &pub, &att);
    if (err) {
        aegis_chain_attest_clear(&att);
        aegis_chain_attest_clear(&backup);
        return err;
    }
    pthread_rwlock_wrlock(&core->ks_lock);
    aegis_keyset_free(core->prev_ks);   /* two epochs back: wiped */
    core->prev_ks = core->ks;
    core->ks = ks;
    core->pub = pub;
    memcpy(core->keyset_hash, hash, 32);
    aegis_chain_attest_clear(&core->keyset_att);
    aegis_chain_attest_clear(&core->keyset_backup_att);
    core->keyset_att = att;
    core->keyset_backup_att = backup;
    pthread_rwlock_unlock(&core->ks_lock);
    aegis_rotation_commit(&core->rot, batch, ts_ms);
    core->checkpoint_due = true;   /* the key set is part of the protected state */
    return AEGIS_OK;
}

aegis_err aegis_core_rotate_commit(aegis_core *core, uint64_t epoch)
{
    pthread_mutex_lock(&core->lock);
    aegis_err err = AEGIS_ERR_CORE_NOT_PENDING;
    if (core->rotating && core->next_ks && aegis_keyset_epoch(core->next_ks) == epoch) {
        err = switch_to(core, core->next_ks, core->rotate_batch, core->rotate_ts);
        if (!err)
            core->next_ks = NULL;
    }
    if (err) {
        aegis_keyset_free(core->next_ks);
        core->next_ks = NULL;
    }
    core->rotating = false;
    pthread_mutex_unlock(&core->lock);
    return err;
}

void aegis_core_rotate_abort(aegis_core *core)
{
    pthread_mutex_lock(&core->lock);
    aegis_keyset_free(core->next_ks);
    core->next_ks = NULL;
    core->rotating = false;
    pthread_mutex_unlock(&core->lock);
}

aegis_err aegis_core_restore_handover(aegis_core *core, const char *json, size_t len)
{
    aegis_handover *h = aegis_calloc(1, sizeof(*h));
    aegis_keyset *ks = NULL;
    json_t *j = json_loadb(json, len, 0, NULL);
    aegis_err err = !h ? AEGIS_ERR_NOMEM : j ? aegis_handover_from_json(j, h) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(j);
    char path[4200];
    if (!err && h->old_epoch != core->pub.epoch)
        err = AEGIS_ERR_CORE_RESTORE;
    if (!err) {
        keyset_path(core, h->new_epoch, path, sizeof(path));
        err = aegis_keyset_load(core->tee, path, &ks);
    }
    if (!err)
        err = aegis_handover_verify(h, &core->pub, aegis_keyset_public(ks));
    if (!err) {
        pthread_mutex_lock(&core->lock);
        err = switch_to(core, ks, h->batch_number, h->timestamp_ms);
        if (!err)
            ks = NULL;
        pthread_mutex_unlock(&core->lock);
    }
    aegis_keyset_free(ks);
    aegis_free(h);
    return err;
}

aegis_err aegis_core_key_info_epoch(aegis_core *core, uint64_t epoch, char **ret_json)
{
    pthread_mutex_lock(&core->lock);
    json_t *j = NULL;
    if (epoch >= 1 && epoch <= core->n_epochs)
        j = aegis_chain_keyset_to_json(&core->epochs[epoch - 1].pub, &core->epochs[epoch - 1].att);
    pthread_mutex_unlock(&core->lock);
    if (!j)
        return epoch >= 1 && epoch <= core->n_epochs ? AEGIS_ERR_NOMEM : AEGIS_ERR_NOT_FOUND;
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    *ret_json = s ? aegis_strdup(s) : NULL;
    free(s);
    return *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

bool aegis_core_rotation_due(aegis_core *core, uint64_t now_ms)
{
    pthread_mutex_lock(&core->lock);
    bool due = core->rotating || aegis_rotation_due(&core->rot, core->next_number, now_ms) != AEGIS_ROTATE_NONE;
    pthread_mutex_unlock(&core->lock);
    return due;
}
