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
#define SNAP_HDR     (4 + 1 + AEGIS_AEAD_NONCE_BYTES)
#define SNAP_LABEL   "aegis/restore/v1"
#define SNAP_MAX     (1u << 30)

struct snap_buf {
    uint8_t *p;
    size_t n, cap;
    bool oom;
};

static void put(struct snap_buf *b, const void *v, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (ncap < b->n + n)
            ncap *= 2;
        uint8_t *np = aegis_realloc(b->p, ncap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

static void put64(struct snap_buf *b, uint64_t v)
{
    uint8_t x[8];
    aegis_put_be64(x, v);
    put(b, x, 8);
}

static void put_sender(void *ctx, const uint8_t sender[20], uint64_t next)
{
    struct snap_buf *b = ctx;
    put(b, sender, 20);
    put64(b, next);
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
    struct snap_buf b = { 0 };
    pthread_mutex_lock(&core->lock);
    if (core->pending.active || core->next_number <= 1) {
        pthread_mutex_unlock(&core->lock);
        return core->pending.active ? AEGIS_ERR_CORE_CUT_PENDING : AEGIS_ERR_NOT_FOUND;
    }
    uint64_t s_batch = core->next_number - 1;
    put64(&b, s_batch);
    put(&b, core->parent_hash, 32);
    put64(&b, core->last_timestamp_ms);
    put64(&b, core->batches_total);
    pthread_mutex_lock(&core->seal_lock);
    put64(&b, core->seal_first);
    put64(&b, core->next_seal);
    put64(&b, core->n_unsealed);
    if (core->n_unsealed)
        put(&b, core->unsealed, core->n_unsealed * 32);
    pthread_mutex_unlock(&core->seal_lock);
    uint8_t hc = core->have_checkpoint;
    put(&b, &hc, 1);
    put64(&b, core->ckpt_number);
    put(&b, core->ckpt_hash, 32);
    put64(&b, core->ckpt_batch);
    size_t at_count = b.n;
    put64(&b, 0);
    size_t n_senders = aegis_mempool_each_sender_nonce(core->mp, put_sender, &b);
    pthread_mutex_unlock(&core->lock);
    size_t total = SNAP_HDR + b.n + AEGIS_AEAD_TAG_BYTES;
    uint8_t *out = b.oom ? NULL : aegis_malloc(total);
    if (!out) {
        aegis_free(b.p);
        return AEGIS_ERR_NOMEM;
    }
    aegis_put_be64(b.p + at_count, n_senders);
    memcpy(out, SNAP_MAGIC, 4);
    out[4] = SNAP_VERSION;
    uint8_t key[32];
    err = aegis_tee_derive_key(core->tee, SNAP_LABEL, key);
    if (!err)
        err = aegis_tee_random(core->tee, out + 5, AEGIS_AEAD_NONCE_BYTES);
    if (!err)
        err = aegis_aead_seal(out + SNAP_HDR, out + SNAP_HDR + b.n, key, out + 5, out, SNAP_HDR, b.p, b.n);
    aegis_memzero(key, sizeof(key));
    aegis_free(b.p);
    if (!err) {
        pthread_mutex_lock(&core->snap_lock);
        err = aegis_file_write_atomic(path, out, total, 0600);
        pthread_mutex_unlock(&core->snap_lock);
    }
    aegis_free(out);
    if (!err && ret_batch)
        *ret_batch = s_batch;
    return err;
}

/* ---- reading ---- */

struct snap_rd {
    const uint8_t *p;
    size_t n, off;
    bool bad;
};

static const uint8_t *take(struct snap_rd *r, size_t n)
{
    if (r->bad || n > r->n - r->off) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static uint64_t take64(struct snap_rd *r)
{
    const uint8_t *p = take(r, 8);
    return p ? aegis_get_be64(p) : 0;
}

aegis_err aegis_core_snapshot_open(aegis_core *core, uint64_t *ret_batch)
{
    char path[4096];
    *ret_batch = 0;
    if (snap_path(core, path, sizeof(path)) != AEGIS_OK)
        return AEGIS_OK;
    struct stat st;
    if (stat(path, &st) != 0)
        return AEGIS_OK;   /* none: the full walk */
    uint8_t *buf = NULL, key[32];
    size_t n = 0;
    aegis_err err = aegis_file_read(path, SNAP_MAX, &buf, &n);
    if (err)
        return AEGIS_OK;
    if (n < SNAP_HDR + AEGIS_AEAD_TAG_BYTES + 8 || memcmp(buf, SNAP_MAGIC, 4) != 0 || buf[4] != SNAP_VERSION) {
        aegis_free(buf);
        return AEGIS_ERR_CORE_MARK;
    }
    size_t plen = n - SNAP_HDR - AEGIS_AEAD_TAG_BYTES;
    uint8_t *pt = aegis_malloc(plen);
    err = pt ? aegis_tee_derive_key(core->tee, SNAP_LABEL, key) : AEGIS_ERR_NOMEM;
    if (!err)
        err = aegis_aead_open(pt, key, buf + 5, buf, SNAP_HDR, buf + SNAP_HDR, plen, buf + SNAP_HDR + plen);
    aegis_memzero(key, sizeof(key));
    aegis_free(buf);
    if (err) {
        aegis_free(pt);
        return err == AEGIS_ERR_NOMEM ? err : AEGIS_ERR_CORE_MARK;
    }
    aegis_free(core->snap);
    core->snap = pt;
    core->snap_len = plen;
    *ret_batch = aegis_get_be64(pt);
    return AEGIS_OK;
}

aegis_err aegis_core_snapshot_apply(aegis_core *core, const char *json, size_t len, aegis_core_snapshot_info *ret)
{
    memset(ret, 0, sizeof(*ret));
    if (!core->snap)
        return AEGIS_ERR_NOT_FOUND;
    struct snap_rd r = { core->snap, core->snap_len, 0, false };
    uint64_t s_batch = take64(&r);
    const uint8_t *hash = take(&r, 32);
    uint64_t last_ts = take64(&r), total = take64(&r), seal_first = take64(&r), next_seal = take64(&r);
    uint64_t n_unsealed = take64(&r);
    const uint8_t *unsealed = n_unsealed <= SNAP_MAX / 32 ? take(&r, n_unsealed * 32) : NULL;
    const uint8_t *hc = take(&r, 1);
    uint64_t ckpt_number = take64(&r);
    const uint8_t *ckpt_hash = take(&r, 32);
    uint64_t ckpt_batch = take64(&r), n_senders = take64(&r);
    const uint8_t *senders = n_senders <= SNAP_MAX / 28 ? take(&r, n_senders * 28) : NULL;
    aegis_err err = AEGIS_ERR_CORE_RESTORE;
    if (r.bad || !hash || (n_unsealed && !unsealed) || (n_senders && !senders) || r.off != r.n)
        goto out;
    /* the store's batch S must be the one the snapshot was taken at */
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    uint8_t h[32];
    bool same = j && json_integer_value(json_object_get(j, "number")) == (json_int_t)s_batch &&
                aegis_chain_get_hex(j, "hash", h, 32) == AEGIS_OK && aegis_ct_eq(h, hash, 32);
    json_decref(j);
    if (!same)
        goto out;
    err = aegis__core_mark_check_restored(core, s_batch, hash);
    if (err)
        goto out;
    pthread_mutex_lock(&core->lock);
    if (core->next_number != 1 || core->have_checkpoint) {
        pthread_mutex_unlock(&core->lock);
        err = AEGIS_ERR_CORE_RESTORE;
        goto out;
    }
    for (uint64_t i = 0; i < n_senders; i++) {
        struct aegis_mempool_txlist dropped = { 0 };
        if (aegis_mempool_set_sender_nonce(core->mp, senders + i * 28, aegis_get_be64(senders + i * 28 + 20),
                                           &dropped) == AEGIS_OK)
            aegis__core_drop_list(core, &dropped);
    }
    core->next_number = s_batch + 1;
    memcpy(core->parent_hash, hash, 32);
    core->last_timestamp_ms = last_ts;
    core->batches_total = total;
    aegis_mempool_set_next_batch(core->mp, core->next_number);
    core->have_checkpoint = *hc != 0;
    core->ckpt_number = ckpt_number;
    memcpy(core->ckpt_hash, ckpt_hash, 32);
    core->ckpt_batch = ckpt_batch;
    pthread_mutex_lock(&core->seal_lock);
    err = AEGIS_OK;
    if (n_unsealed > core->cap_unsealed) {
        uint8_t (*nv)[32] = aegis_realloc(core->unsealed, n_unsealed * 32);
        if (nv) {
            core->unsealed = nv;
            core->cap_unsealed = n_unsealed;
        } else {
            err = AEGIS_ERR_NOMEM;
        }
    }
    if (!err) {
        if (n_unsealed)
            memcpy(core->unsealed, unsealed, n_unsealed * 32);
        core->n_unsealed = n_unsealed;
        core->seal_first = seal_first;
        core->next_seal = next_seal;
    } else {
        /* cannot track the window: it restarts after S, as chain_advance does */
        core->n_unsealed = 0;
        core->seal_first = s_batch + 1;
        core->next_seal = next_seal;
        err = AEGIS_OK;
    }
    pthread_mutex_unlock(&core->seal_lock);
    pthread_mutex_unlock(&core->lock);
    ret->batch = s_batch;
    ret->next_seal = next_seal;
    ret->checkpoints = *hc ? ckpt_number + 1 : 0;
out:
    aegis_free(core->snap);
    core->snap = NULL;
    core->snap_len = 0;
    return err;
}
