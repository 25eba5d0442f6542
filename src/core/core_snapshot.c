/*
 * core_snapshot.c - the restart snapshot: the chain state the core would
 * otherwise rebuild by verifying every persisted batch again.
 *
 * Restoring batch after batch (ML-DSA-87 verification, tx decoding and
 * sender recovery, two JSON parses each) made the time to a healthy node
 * grow with the chain: ~38 s at 9,614 batches. The snapshot holds what that
 * walk produces, as of batch S:
 *
 *   chain tip (S, its hash, timestamp, batches so far), the SLH-DSA seal
 *   window (first unsealed batch, next seal number, unsealed batch hashes),
 *   the latest checkpoint (number, hash, batch), and every sender's next
 *   nonce (what inclusion taught the mempool, so an included tx is never
 *   admitted again).
 *
 * It is sealed like keyset.sealed and hwm.sealed (AES-256-GCM under
 * aegis_tee_derive_key("aegis/restore/v1")), so the host can neither forge
 * nor edit it; it can only withhold it or put back an older one, and then
 * the core simply verifies more batches. At start the host names the
 * store's batch S; the snapshot is used only if that batch has the hash the
 * snapshot recorded (else the full walk runs). Batches after S are
 * restored and verified as before. The host saves a snapshot after its
 * batch statuses are durable (every few thousand batches and at a clean
 * stop); never while a cut is pending.
 *
 * File: "AEGR" | version (1) | nonce (12) | AEAD(payload) | tag (16).
 * Payload (big-endian): S | hash (32) | last_ts | batches_total |
 * seal_first | next_seal | n_unsealed | n_unsealed x 32 | have_ckpt (1) |
 * ckpt_number | ckpt_hash (32) | ckpt_batch | n_senders | n x (sender 20,
 * next nonce 8).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core_int.h"

#define SNAP_MAGIC   "AEGR"
#define SNAP_VERSION 1
#define SNAP_LABEL   "aegis/restore/v1"
#define SNAP_MAX     (1u << 30)

static void put_sender(void *ctx, const uint8_t sender[20], uint64_t next)
{
    struct aegis__wr *b = ctx;
    aegis__wr_put(b, sender, 20);
    aegis__wr_u64(b, next);
}

void aegis__core_chain_put(aegis_core *core, struct aegis__wr *b)
{
    aegis__wr_u64(b, core->next_number - 1);
    aegis__wr_put(b, core->parent_hash, 32);
    aegis__wr_u64(b, core->last_timestamp_ms);
    aegis__wr_u64(b, core->batches_total);
    pthread_mutex_lock(&core->seal_lock);
    aegis__wr_u64(b, core->seal_first);
    aegis__wr_u64(b, core->next_seal);
    aegis__wr_u64(b, core->n_unsealed);
    aegis__wr_put(b, core->unsealed, core->n_unsealed * 32);
    pthread_mutex_unlock(&core->seal_lock);
    uint8_t hc = core->have_checkpoint;
    aegis__wr_put(b, &hc, 1);
    aegis__wr_u64(b, core->ckpt_number);
    aegis__wr_put(b, core->ckpt_hash, 32);
    aegis__wr_u64(b, core->ckpt_batch);
    size_t at_count = b->n;
    aegis__wr_u64(b, 0);
    size_t n_senders = aegis_mempool_each_sender_nonce(core->mp, put_sender, b);
    if (!b->oom)
        aegis_put_be64(b->p + at_count, n_senders);
}

bool aegis__core_chain_take(struct aegis__rd *r, struct core_chain *c)
{
    c->batch = aegis__rd_u64(r);
    c->hash = aegis__rd_take(r, 32);
    c->last_ts = aegis__rd_u64(r);
    c->total = aegis__rd_u64(r);
    c->seal_first = aegis__rd_u64(r);
    c->next_seal = aegis__rd_u64(r);
    c->n_unsealed = aegis__rd_u64(r);
    c->unsealed = c->n_unsealed <= SNAP_MAX / 32 ? aegis__rd_take(r, c->n_unsealed * 32) : NULL;
    const uint8_t *hc = aegis__rd_take(r, 1);
    c->have_ckpt = hc && *hc;
    c->ckpt_number = aegis__rd_u64(r);
    c->ckpt_hash = aegis__rd_take(r, 32);
    c->ckpt_batch = aegis__rd_u64(r);
    c->n_senders = aegis__rd_u64(r);
    c->senders = c->n_senders <= SNAP_MAX / 28 ? aegis__rd_take(r, c->n_senders * 28) : NULL;
    return !r->bad && c->hash && c->ckpt_hash && (!c->n_unsealed || c->unsealed) && (!c->n_senders || c->senders);
}

aegis_err aegis__core_chain_apply(aegis_core *core, const struct core_chain *c)
{
    if (core->next_number != 1 || core->have_checkpoint)
        return AEGIS_ERR_CORE_RESTORE;
    for (uint64_t i = 0; i < c->n_senders; i++) {
        struct aegis_mempool_txlist dropped = { 0 };
        if (aegis_mempool_set_sender_nonce(core->mp, c->senders + i * 28, aegis_get_be64(c->senders + i * 28 + 20),
                                           &dropped) == AEGIS_OK)
            aegis__core_drop_list(core, &dropped);
    }
    core->next_number = c->batch + 1;
    memcpy(core->parent_hash, c->hash, 32);
    core->last_timestamp_ms = c->last_ts;
    core->batches_total = c->total;
    aegis_mempool_set_next_batch(core->mp, core->next_number);
    core->have_checkpoint = c->have_ckpt;
    core->ckpt_number = c->ckpt_number;
    memcpy(core->ckpt_hash, c->ckpt_hash, 32);
    core->ckpt_batch = c->ckpt_batch;
    pthread_mutex_lock(&core->seal_lock);
    if (c->n_unsealed > core->cap_unsealed) {
        uint8_t (*nv)[32] = aegis_realloc(core->unsealed, c->n_unsealed * 32);
        if (nv) {
            core->unsealed = nv;
            core->cap_unsealed = c->n_unsealed;
        }
    }
    if (c->n_unsealed <= core->cap_unsealed) {
        if (c->n_unsealed)
            memcpy(core->unsealed, c->unsealed, c->n_unsealed * 32);
        core->n_unsealed = c->n_unsealed;
        core->seal_first = c->seal_first;
    } else {
        /* cannot track the window: it restarts after S, as chain_advance does */
        core->n_unsealed = 0;
        core->seal_first = c->batch + 1;
    }
    core->next_seal = c->next_seal;
    pthread_mutex_unlock(&core->seal_lock);
    return AEGIS_OK;
}

static aegis_err snap_path(const aegis_core *core, char *out, size_t cap)
{
    if (!core->data_dir || snprintf(out, cap, "%s/restore.sealed", core->data_dir) >= (int)cap)
        return AEGIS_ERR_INVAL;
    return AEGIS_OK;
}

aegis_err aegis_core_snapshot_save(aegis_core *core, uint64_t *ret_batch)
{
    char path[4096];
    aegis_err err = snap_path(core, path, sizeof(path));
    if (err)
        return err;
    struct aegis__wr b = { 0 };
    pthread_mutex_lock(&core->lock);
    if (core->pending.active || core->next_number <= 1) {
        pthread_mutex_unlock(&core->lock);
        return core->pending.active ? AEGIS_ERR_CORE_CUT_PENDING : AEGIS_ERR_NOT_FOUND;
    }
    uint64_t s_batch = core->next_number - 1;
    aegis__core_chain_put(core, &b);
    pthread_mutex_unlock(&core->lock);
    err = b.oom ? AEGIS_ERR_NOMEM : aegis__core_file_seal(core, path, SNAP_MAGIC, SNAP_VERSION, SNAP_LABEL, b.p, b.n);
    aegis__wr_free(&b);
    if (!err && ret_batch)
        *ret_batch = s_batch;
    return err;
}

/* ---- reading ---- */

aegis_err aegis_core_snapshot_open(aegis_core *core, uint64_t *ret_batch)
{
    char path[4096];
    *ret_batch = 0;
    if (snap_path(core, path, sizeof(path)) != AEGIS_OK)
        return AEGIS_OK;
    uint8_t *pt = NULL;
    size_t plen = 0;
    aegis_err err = aegis__core_file_open(core, path, SNAP_MAGIC, SNAP_VERSION, SNAP_LABEL, SNAP_MAX, &pt, &plen);
    if (err == AEGIS_ERR_NOT_FOUND)
        return AEGIS_OK;   /* none: the full walk */
    if (!err && plen < 8) {
        aegis_free_secret(pt, plen ? plen : 1);
        err = AEGIS_ERR_CORE_MARK;
    }
    if (err)
        return err;
    aegis_free(core->snap);
    core->snap = pt;
    core->snap_len = plen;
    *ret_batch = aegis_get_be64(pt);
    return AEGIS_OK;
}

/* The batch JSON the host holds under number S has hash `hash`. */
bool aegis__core_batch_json_is(const char *json, size_t len, uint64_t number, const uint8_t hash[32])
{
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    uint8_t h[32];
    bool same = j && json_integer_value(json_object_get(j, "number")) == (json_int_t)number &&
                aegis_chain_get_hex(j, "hash", h, 32) == AEGIS_OK && aegis_ct_eq(h, hash, 32);
    json_decref(j);
    return same;
}

aegis_err aegis_core_snapshot_apply(aegis_core *core, const char *json, size_t len, aegis_core_snapshot_info *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!core->snap)
        return AEGIS_ERR_NOT_FOUND;
    struct aegis__rd r = { core->snap, core->snap_len, 0, false };
    struct core_chain c;
    aegis_err err = AEGIS_ERR_CORE_RESTORE;
    if (!aegis__core_chain_take(&r, &c) || r.off != r.n)
        goto out;
    /* the store's batch S must be the one the snapshot was taken at */
    if (!aegis__core_batch_json_is(json, len, c.batch, c.hash))
        goto out;
    err = aegis__core_mark_check_restored(core, c.batch, c.hash);
    if (err)
        goto out;
    pthread_mutex_lock(&core->lock);
    err = aegis__core_chain_apply(core, &c);
    pthread_mutex_unlock(&core->lock);
    if (err)
        goto out;
    ret->batch = c.batch;
    ret->next_seal = c.next_seal;
    ret->checkpoints = c.have_ckpt ? c.ckpt_number + 1 : 0;
out:
    aegis_free(core->snap);
    core->snap = NULL;
    core->snap_len = 0;
    return err;
}
