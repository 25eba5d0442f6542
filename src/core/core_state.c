/*
 * core_state.c - a cluster worker's state at a log position, so a restarted
 * worker reads the replicated log from where it stopped, not from its first
 * record (docs/internals/cluster.md, "Restart").
 *
 * A worker's core is a deterministic function of the log prefix it applied.
 * The state file holds all of it as of the last record applied: the chain
 * (the restart snapshot's part: tip, seal window, checkpoint, senders' next
 * nonces), the key epoch, every pooled transaction exactly as pooled
 * (plaintext: hence sealed), the risk state, the registry and its audit log,
 * the migration set, the rollback count, the members admitted, and the
 * host's own facts of that position (opaque to the core: its log position,
 * counters), sealed together so that they come back together.
 *
 * Sealed like restore.sealed (AES-256-GCM under
 * aegis_tee_derive_key("aegis/cluster-state/v1")): the host can withhold it
 * (the worker then applies the log from its start) or put back an older one
 * (it applies more of the log). Either gives the same state, since the log
 * decides. The host must show its batch S with the recorded hash and the
 * key epoch's hand-overs; the sealed high-water mark still checks the batch
 * it records.
 *
 * Payload (big-endian; "bytes" = u64 length then the bytes): host bytes |
 * epoch | chain (core_snapshot.c) | risk state JSON bytes | migrations JSON
 * bytes | n_audit | n x audit line bytes | registry blob bytes | rollbacks |
 * checkpoint_due | n_members | n x worker id bytes | admitted | rejected |
 * next_seq | n_txs | n x tx (below).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core_int.h"

#define STATE_MAGIC   "AEGS"
#define STATE_VERSION 1
#define STATE_LABEL   "aegis/cluster-state/v1"
#define STATE_MAX     ((size_t)1 << 31)

static aegis_err state_path(const aegis_core *core, char *out, size_t cap)
{
    if (!core->data_dir || snprintf(out, cap, "%s/state.sealed", core->data_dir) >= (int)cap)
        return AEGIS_ERR_INVAL;
    return AEGIS_OK;
}

/* ---- one pooled transaction ---- */

static void put_tx(void *ctx, const struct aegis_mempool_tx *tx)
{
    struct aegis__wr *b = ctx;
    aegis__wr_put(b, tx->tx_hash, 32);
    aegis__wr_put(b, tx->envelope_hash, 32);
    aegis__wr_u64(b, tx->envelope_id);
    aegis__wr_put(b, tx->sender, 20);
    aegis__wr_put(b, tx->to, 20);
    aegis__wr_u64(b, tx->flags);
    aegis__wr_u64(b, tx->declared_group);
    aegis__wr_u64(b, tx->nonce);
    aegis__wr_put(b, tx->max_fee, 32);
    aegis__wr_put(b, tx->priority_fee, 32);
    aegis__wr_u64(b, tx->gas_limit);
    aegis__wr_put(b, tx->value, 32);
    aegis__wr_u64(b, tx->expires_ms);
    aegis__wr_u64(b, tx->seq);
    aegis__wr_u64(b, tx->admitted_ms);
    aegis__wr_u64(b, tx->admitted_batch);
    aegis__wr_u64(b, tx->cls.risk_score);
    aegis__wr_u64(b, tx->cls.asset_level);
    aegis__wr_u64(b, tx->cls.migration);
    aegis__wr_u64(b, tx->cls.migration_group);
    aegis__wr_bytes(b, tx->raw, tx->raw_len);
    aegis__wr_bytes(b, tx->ext, tx->ext_len);
}

static void take_fixed(struct aegis__rd *r, void *out, size_t n)
{
    const uint8_t *p = aegis__rd_take(r, n);
    if (p)
        memcpy(out, p, n);
}

/* false when malformed; raw and ext point into r */
static bool take_tx(struct aegis__rd *r, struct aegis_mempool_tx *tx)
{
    memset(tx, 0, sizeof(*tx));
    take_fixed(r, tx->tx_hash, 32);
    take_fixed(r, tx->envelope_hash, 32);
    tx->envelope_id = aegis__rd_u64(r);
    take_fixed(r, tx->sender, 20);
    take_fixed(r, tx->to, 20);
    uint64_t flags = aegis__rd_u64(r);
    tx->declared_group = aegis__rd_u64(r);
    tx->nonce = aegis__rd_u64(r);
    take_fixed(r, tx->max_fee, 32);
    take_fixed(r, tx->priority_fee, 32);
    tx->gas_limit = aegis__rd_u64(r);
    take_fixed(r, tx->value, 32);
    tx->expires_ms = aegis__rd_u64(r);
    tx->seq = aegis__rd_u64(r);
    tx->admitted_ms = aegis__rd_u64(r);
    tx->admitted_batch = aegis__rd_u64(r);
    uint64_t score = aegis__rd_u64(r), level = aegis__rd_u64(r), mig = aegis__rd_u64(r);
    tx->cls.migration_group = aegis__rd_u64(r);
    tx->raw = aegis__rd_bytes(r, &tx->raw_len);
    tx->ext = aegis__rd_bytes(r, &tx->ext_len);
    if (r->bad || flags > UINT32_MAX || score > AEGIS_RISK_SCORE_MAX || level > AEGIS_ASSET_LEVEL_MAX || mig > 1)
        return false;
    tx->flags = (uint32_t)flags;
    tx->cls.risk_score = (uint16_t)score;
    tx->cls.asset_level = (uint8_t)level;
    tx->cls.migration = mig != 0;
    if (!tx->ext_len)
        tx->ext = NULL;
    return true;
}

/* ---- saving ---- */

aegis_err aegis_core_state_save(aegis_core *core, const uint8_t *host, size_t host_len, uint64_t *ret_batch)
{
    char path[4096];
    aegis_err err = state_path(core, path, sizeof(path));
    if (err)
        return err;
    struct aegis__wr b = { 0 };
    char *risk = NULL, *migs = NULL;
    uint8_t *blob = NULL;
    size_t n_audit = 0, blob_len = 0;
    uint64_t migs_version = 0, s_batch = 0;
    aegis_core_audit_rec *audit = NULL;
    /* the parts with their own exporters (each takes core->lock); the
     * caller applies the log, so nothing replicated moves meanwhile */
    err = aegis_core_risk_state(core, &risk);
    if (!err)
        err = aegis_core_migration_state(core, &migs_version, &migs);
    if (!err)
        err = aegis_core_audit_snapshot(core, 1, &audit, &n_audit, &blob, &blob_len, NULL);
    if (err)
        goto out;
    aegis__wr_bytes(&b, host, host_len);
    pthread_mutex_lock(&core->lock);
    if (core->pending.active || core->rotating || core->ckpt_pending || core->next_number <= 1) {
        err = core->next_number <= 1 ? AEGIS_ERR_NOT_FOUND : AEGIS_ERR_CORE_CUT_PENDING;
        pthread_mutex_unlock(&core->lock);
        goto out;
    }
    s_batch = core->next_number - 1;
    aegis__wr_u64(&b, core->pub.epoch);
    aegis__core_chain_put(core, &b);
    aegis__wr_bytes(&b, risk, strlen(risk));
    aegis__wr_bytes(&b, migs, strlen(migs));
    aegis__wr_u64(&b, n_audit);
    for (size_t i = 0; i < n_audit; i++)
        aegis__wr_bytes(&b, audit[i].line, audit[i].len);
    aegis__wr_bytes(&b, blob, n_audit ? blob_len : 0);
    aegis__wr_u64(&b, core->rollbacks);
    aegis__wr_u64(&b, core->checkpoint_due);
    aegis__wr_u64(&b, core->n_members);
    for (size_t i = 0; i < core->n_members; i++)
        aegis__wr_bytes(&b, core->members[i], strlen(core->members[i]));
    aegis__wr_u64(&b, core->admitted_total);
    aegis__wr_u64(&b, core->rejected_total);
    aegis__wr_u64(&b, aegis_mempool_next_seq(core->mp));
    aegis__wr_u64(&b, aegis_mempool_count(core->mp));
    aegis_mempool_each(core->mp, put_tx, &b);
    pthread_mutex_unlock(&core->lock);
    err = b.oom ? AEGIS_ERR_NOMEM
                : aegis__core_file_seal(core, path, STATE_MAGIC, STATE_VERSION, STATE_LABEL, b.p, b.n);
out:
    aegis__wr_free(&b);
    aegis_free(risk);
    aegis_free(migs);
    aegis_free(blob);
    aegis_core_audit_recs_free(audit, n_audit);
    if (!err && ret_batch)
        *ret_batch = s_batch;
    return err;
}

/* ---- restoring ---- */

void aegis_core_state_info_clear(aegis_core_state_info *info)
{
    aegis_free(info->host);
    memset(info, 0, sizeof(*info));
}

aegis_err aegis_core_state_open(aegis_core *core, aegis_core_state_info *ret)
{
    memset(ret, 0, sizeof(*ret));
    char path[4096];
    aegis_err err = state_path(core, path, sizeof(path));
    if (err)
        return AEGIS_ERR_NOT_FOUND;
    uint8_t *pt = NULL;
    size_t plen = 0;
    err = aegis__core_file_open(core, path, STATE_MAGIC, STATE_VERSION, STATE_LABEL, STATE_MAX, &pt, &plen);
    if (err)
        return err;
    struct aegis__rd r = { pt, plen, 0, false };
    size_t hlen = 0;
    const uint8_t *host = aegis__rd_bytes(&r, &hlen);
    ret->epoch = aegis__rd_u64(&r);
    struct core_chain c;
    bool ok = aegis__core_chain_take(&r, &c);
    ret->host = ok ? aegis_malloc(hlen ? hlen : 1) : NULL;
    if (!ret->host) {
        aegis_free_secret(pt, plen ? plen : 1);
        return ok ? AEGIS_ERR_NOMEM : AEGIS_ERR_CORE_MARK;
    }
    if (hlen)
        memcpy(ret->host, host, hlen);
    ret->host_len = hlen;
    ret->batch = c.batch;
    memcpy(ret->hash, c.hash, 32);
    ret->next_seal = c.next_seal;
    ret->checkpoints = c.have_ckpt ? c.ckpt_number + 1 : 0;
    aegis_free_secret(core->state, core->state_len ? core->state_len : 1);
    core->state = pt;
    core->state_len = plen;
    return AEGIS_OK;
}

/* The audit lines as one JSON-lines text (aegis_free). */
static char *audit_text(struct aegis__rd *r, uint64_t n, size_t *ret_len)
{
    struct aegis__wr w = { 0 };
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        size_t len = 0;
        const uint8_t *line = aegis__rd_bytes(r, &len);
        aegis__wr_put(&w, line, len);
        aegis__wr_put(&w, "\n", 1);
    }
    aegis__wr_put(&w, "", 1);
    if (w.oom || r->bad) {
        aegis_free(w.p);
        return NULL;
    }
    *ret_len = w.n - 1;
    return (char *)w.p;
}

aegis_err aegis_core_state_apply(aegis_core *core, const char *batch_json, size_t len, aegis_core_state_info *info,
                                 const char **detail)
{
    if (!core->state)
        return AEGIS_ERR_NOT_FOUND;
    struct aegis__rd r = { core->state, core->state_len, 0, false };
    size_t hlen = 0, risk_len = 0, migs_len = 0, audit_len = 0, blob_len = 0;
    (void)aegis__rd_bytes(&r, &hlen);
    uint64_t epoch = aegis__rd_u64(&r);
    struct core_chain c;
    bool ok = aegis__core_chain_take(&r, &c);
    const uint8_t *risk = aegis__rd_bytes(&r, &risk_len), *migs = aegis__rd_bytes(&r, &migs_len);
    uint64_t n_audit = aegis__rd_u64(&r);
    char *audit = audit_text(&r, n_audit, &audit_len);
    const uint8_t *blob = aegis__rd_bytes(&r, &blob_len);
    uint64_t rollbacks = aegis__rd_u64(&r), ckpt_due = aegis__rd_u64(&r), n_members = aegis__rd_u64(&r);
    aegis_err err = AEGIS_ERR_CORE_RESTORE;
    *detail = "the sealed worker state is malformed";
    if (!ok || !audit || r.bad || n_members > core->max_members)
        goto out;
    /* nothing changes unless the host shows the batch and the key epoch
     * the state was taken at */
    *detail = "the store's batch at the sealed state's tip is not the one the state records";
    if (!aegis__core_batch_json_is(batch_json, len, c.batch, c.hash))
        goto out;
    if ((err = aegis__core_mark_check_restored(core, c.batch, c.hash)) != AEGIS_OK) {
        *detail = "the sealed state's tip is not the batch the high-water mark records";
        goto out;
    }
    err = AEGIS_ERR_CORE_RESTORE;
    pthread_rwlock_rdlock(&core->ks_lock);
    bool same_epoch = core->pub.epoch == epoch;
    pthread_rwlock_unlock(&core->ks_lock);
    *detail = "the key hand-overs restored do not reach the sealed state's key epoch";
    if (!same_epoch)
        goto out;
    /* from here on the core changes: an error leaves it half restored */
    *detail = "the sealed worker state does not apply";
    if (n_audit && (err = aegis_core_restore_registry(core, audit, audit_len, blob, blob_len, detail)) != AEGIS_OK)
        goto out;
    if ((err = aegis_core_restore_risk(core, (const char *)risk, risk_len)) != AEGIS_OK ||
        (err = aegis_core_restore_migrations(core, (const char *)migs, migs_len)) != AEGIS_OK)
        goto out;
    aegis_core_restore_rollbacks(core, rollbacks);
    pthread_mutex_lock(&core->lock);
    err = aegis__core_chain_apply(core, &c);
    core->checkpoint_due = ckpt_due != 0;
    core->n_members = 0;
    for (uint64_t i = 0; i < n_members && !err; i++) {
        size_t wl = 0;
        const uint8_t *w = aegis__rd_bytes(&r, &wl);
        if (!w || wl >= sizeof(core->members[0]))
            err = AEGIS_ERR_CORE_RESTORE;
        else
            snprintf(core->members[core->n_members++], sizeof(core->members[0]), "%.*s", (int)wl, (const char *)w);
    }
    core->admitted_total = aegis__rd_u64(&r);
    core->rejected_total = aegis__rd_u64(&r);
    uint64_t next_seq = aegis__rd_u64(&r), n_txs = aegis__rd_u64(&r);
    for (uint64_t i = 0; i < n_txs && !err; i++) {
        struct aegis_mempool_tx tx;
        err = take_tx(&r, &tx) ? aegis_mempool_restore(core->mp, &tx) : AEGIS_ERR_CORE_RESTORE;
    }
    aegis_mempool_set_next_seq(core->mp, next_seq);
    if (!err && (r.bad || r.off != r.n))
        err = AEGIS_ERR_CORE_RESTORE;
    pthread_mutex_unlock(&core->lock);
    if (!err) {
        *detail = NULL;
        info->batch = c.batch;
        info->next_seal = c.next_seal;
        info->checkpoints = c.have_ckpt ? c.ckpt_number + 1 : 0;
        info->rollbacks = rollbacks;
    }
out:
    aegis_free(audit);
    aegis_free_secret(core->state, core->state_len ? core->state_len : 1);
    core->state = NULL;
    core->state_len = 0;
    return err;
}
