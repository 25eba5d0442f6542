/* core_cut.c - cutting, signing, attesting and committing batches, and
 * restoring the chain after a restart.
 *
 * Protocol with the host (DESIGN.md section 8): cut -> the host persists the
 * batch insert-only under its number -> commit. Until commit the records stay
 * in the mempool (a failed write aborts and nothing is lost) and no second
 * cut can start, so a number is never signed with two contents that leave
 * the core: the signed batch leaves only as the record the host persists.
 */
#include <jansson.h>
#include <string.h>

#include "core_attest.h"
#include "core_int.h"

void aegis__core_pending_clear(struct core_pending *p);

void aegis_core_batch_free(aegis_core_batch *b)
{
    if (!b)
        return;
    aegis_free(b->json);
    aegis_free(b->envelope_ids);
    aegis_free(b->tx_hashes);
    aegis_free(b);
}

static void protected_summary(const struct aegis_mempool_tx **txs, size_t n, uint32_t *count,
                              uint8_t hash[32])
{
    aegis_keccak k;
    aegis_keccak256_init(&k);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        if (txs[i]->cls.asset_level > 0) {
            (*count)++;
            aegis_keccak256_update(&k, txs[i]->tx_hash, 32);
        }
    }
    if (*count)
        aegis_keccak256_final(&k, hash);
    else
        memset(hash, 0, 32);
}

/* Everything but ML-DSA-87 that signs or attests the header hash: ECDSA,
 * per-batch SLH-DSA, the attestation(s). Caller holds core->lock. */
static aegis_err sign_rest(aegis_core *core, aegis_chain_batch *cb)
{
    const uint8_t *ctx = (const uint8_t *)AEGIS_CHAIN_BATCH_CTX;
    size_t ctx_len = strlen(AEGIS_CHAIN_BATCH_CTX);
    aegis_err err = AEGIS_OK;
    if (cb->h.algorithm_set & AEGIS_ALG_ECDSA) {
        err = aegis_keyset_sign_secp256k1(core->ks, cb->sig_ecdsa, cb->hash);
        cb->has_ecdsa = true;
    }
    if (!err && core->slh_every) {
        cb->sig_slh = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
        err = cb->sig_slh ? aegis_keyset_sign_slhdsa(core->ks, cb->sig_slh, cb->hash, 32, ctx, ctx_len)
                          : AEGIS_ERR_NOMEM;
    }
    if (!err) {
        if (core->attest_per_batch) {
            err = aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_BATCH, cb->hash, &cb->primary, &cb->backup);
        } else {
            err = aegis_chain_attest_copy(&cb->primary, &core->keyset_att);
            if (!err && core->keyset_backup_att.backend[0])
                err = aegis_chain_attest_copy(&cb->backup, &core->keyset_backup_att);
        }
    }
    return err;
}

/*
 * Sign, attest and encode cb, in order on this thread: ML-DSA-87, then
 * sign_rest (ECDSA, SLH-DSA, attestation), then the JSON. (Running the rest
 * beside ML-DSA-87 on a helper thread was measured: a thread per cut costs
 * ~50 us to start plus ~200 us of CPU, mostly OpenSSL's per-thread state,
 * to save ~30 us of wall time; docs/internals/batch-latency.md.)
 */
static aegis_err sign_and_encode(aegis_core *core, aegis_chain_batch *cb, char **ret, size_t *ret_len)
{
    aegis_err err = aegis_keyset_sign_mldsa87_raced(core->ks, core->racer, cb->sig_mldsa, cb->hash, 32,
                                                    (const uint8_t *)AEGIS_CHAIN_BATCH_CTX,
                                                    strlen(AEGIS_CHAIN_BATCH_CTX));
    if (!err)
        err = sign_rest(core, cb);
    if (!err)
        err = aegis__core_batch_json(cb, ret, ret_len);
    return err;
}

static aegis_err build_batch(aegis_core *core, const struct aegis_mempool_tx **sel, size_t n,
                             uint64_t now_ms, aegis_core_batch **ret)
{
    aegis_err err = AEGIS_ERR_NOMEM;
    aegis_chain_batch cb;
    memset(&cb, 0, sizeof(cb));
    aegis_core_batch *out = aegis_calloc(1, sizeof(*out));
    struct core_pending *p = &core->pending;
    uint8_t (*hashes)[32] = aegis_malloc(n * 32);
    cb.txs = aegis_calloc(n, sizeof(*cb.txs));
    p->senders = aegis_malloc(n * 20);
    p->nonces = aegis_malloc(n * sizeof(uint64_t));
    p->tx_hashes = aegis_malloc(n * 32);
    p->mig_groups = aegis_calloc(n, sizeof(uint64_t));
    if (out)
        out->envelope_ids = aegis_malloc(n * sizeof(uint64_t));
    if (!out || !hashes || !cb.txs || !p->senders || !p->nonces || !p->tx_hashes || !p->mig_groups ||
        !out->envelope_ids)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct aegis_mempool_tx *t = sel[i];
        memcpy(hashes[i], t->tx_hash, 32);
        cb.txs[i].raw = t->raw;      /* published: the order is fixed now */
        cb.txs[i].raw_len = t->raw_len;
        memcpy(cb.txs[i].hash, t->tx_hash, 32);
        memcpy(cb.txs[i].sender, t->sender, 20);
        cb.txs[i].nonce = t->nonce;
        cb.txs[i].envelope_id = t->envelope_id;
        memcpy(p->senders[i], t->sender, 20);
        p->nonces[i] = t->nonce;
        memcpy(p->tx_hashes[i], t->tx_hash, 32);
        if (t->cls.migration)
            p->mig_groups[i] = t->cls.migration_group ? t->cls.migration_group : t->declared_group;
        out->envelope_ids[i] = t->envelope_id;
    }
    cb.n_txs = n;
    struct aegis_batch_header *h = &cb.h;
    err = aegis__core_mark_check_next(core, core->next_number);
    if (err)
        goto fail;
    h->version = AEGIS_BATCH_VERSION;
    h->chain_id = core->chain_id;
    h->number = core->next_number;
    memcpy(h->parent_hash, core->parent_hash, 32);
    h->timestamp_ms = now_ms > core->last_timestamp_ms ? now_ms : core->last_timestamp_ms;
    h->tx_count = (uint32_t)n;
    err = aegis_batch_merkle_root((const uint8_t (*)[32])hashes, n, h->tx_root);
    if (err)
        goto fail;
    h->strategy_id = aegis_order_strategy_id(core->order);
    aegis_order_policy_hash(core->order, h->policy_hash);
    h->risk_score = core->risk_score;
    h->risk_level = core->risk_level;
    h->algorithm_set = aegis__core_algorithm_set(core);
    h->key_epoch = core->pub.epoch;
    protected_summary(sel, n, &h->protected_count, h->protected_hash);
    if (core->have_checkpoint) {   /* the latest persisted checkpoint */
        h->checkpoint_number = core->ckpt_number;
        memcpy(h->checkpoint_hash, core->ckpt_hash, 32);
    }
    err = aegis_batch_header_hash(h, cb.hash);
    if (err)
        goto fail;
    err = sign_and_encode(core, &cb, &out->json, &out->json_len);
    if (err)
        goto fail;
    out->number = h->number;
    memcpy(out->hash, cb.hash, 32);
    out->n = n;
    out->tx_hashes = hashes;   /* the batch's, handed over */
    hashes = NULL;
    p->json = aegis_malloc(out->json_len + 1);   /* NUL-terminated like out->json */
    p->envelope_ids = aegis_malloc(n * sizeof(uint64_t));
    err = AEGIS_ERR_NOMEM;
    if (!p->json || !p->envelope_ids)
        goto fail;
    memcpy(p->json, out->json, out->json_len);
    p->json[out->json_len] = '\0';
    p->json_len = out->json_len;
    memcpy(p->envelope_ids, out->envelope_ids, n * sizeof(uint64_t));
    p->offered = true;
    p->marked = false;
    p->active = true;
    p->number = h->number;
    memcpy(p->hash, cb.hash, 32);
    p->timestamp_ms = h->timestamp_ms;
    p->n = n;
    /* cb.txs[].raw borrowed the pool's records: detach before clearing */
    aegis_free(cb.txs);
    cb.txs = NULL;
    aegis_chain_batch_clear(&cb);
    aegis_free(hashes);
    *ret = out;
    return AEGIS_OK;
fail:
    aegis_free(cb.txs);
    cb.txs = NULL;
    aegis_chain_batch_clear(&cb);
    aegis_free(hashes);
    aegis_core_batch_free(out);
    aegis__core_pending_clear(p);
    return err;
}

/* A copy of the pending batch for the host (caller holds core->lock). */
static aegis_err offer_pending(aegis_core *core, aegis_core_batch **ret)
{
    struct core_pending *p = &core->pending;
    aegis_core_batch *out = aegis_calloc(1, sizeof(*out));
    if (out) {
        out->json = aegis_malloc(p->json_len + 1);
        out->envelope_ids = aegis_malloc(p->n ? p->n * sizeof(uint64_t) : 1);
        out->tx_hashes = aegis_malloc(p->n ? p->n * 32 : 1);
    }
    if (!out || !out->json || !out->envelope_ids || !out->tx_hashes) {
        aegis_core_batch_free(out);
        return AEGIS_ERR_NOMEM;
    }
    memcpy(out->json, p->json, p->json_len);
    out->json[p->json_len] = '\0';
    out->json_len = p->json_len;
    memcpy(out->envelope_ids, p->envelope_ids, p->n * sizeof(uint64_t));
    memcpy(out->tx_hashes, p->tx_hashes, p->n * 32);
    out->n = p->n;
    out->number = p->number;
    memcpy(out->hash, p->hash, 32);
    p->offered = true;
    *ret = out;
    return AEGIS_OK;
}

aegis_err aegis_core_cut_batch(aegis_core *core, uint64_t now_ms, bool force, aegis_core_batch **ret)
{
    const struct aegis_mempool_tx **sel = NULL;
    size_t n = 0;
    aegis_err err = AEGIS_OK;
    *ret = NULL;
    pthread_mutex_lock(&core->lock);
    if (core->pending.active) {
        /* offered and not yet committed or aborted: wait; aborted (the
         * host could not persist it): the same batch again, never a new
         * one under its number */
        err = core->pending.offered ? AEGIS_ERR_CORE_CUT_PENDING : offer_pending(core, ret);
        goto out;
    }
    if (core->rotating)
        goto out;   /* a key hand-over names the next batch: wait for it */
    struct aegis_mempool_txlist expired = { 0 };
    if (aegis_mempool_expire(core->mp, now_ms, &expired) == AEGIS_OK)
        aegis__core_drop_list(core, &expired);
    size_t avail = aegis_mempool_count(core->mp);
    if (avail == 0 || (!force && avail < core->max_batch))
        goto out;
    sel = aegis_malloc(core->max_batch * sizeof(*sel));
    if (!sel) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    err = aegis_order_cut(core->order, core->mp, core->risk_level, core->max_batch, sel, &n);
    if (err || n == 0 || (!force && n < core->max_batch))
        goto out;   /* e.g. every ready sender stalled on a nonce gap */
    err = build_batch(core, sel, n, now_ms, ret);
out:;
    bool mark = !err && *ret && !core->pending.marked;
    pthread_mutex_unlock(&core->lock);
    aegis_free(sel);
    /* Recorded in the sealed mark before it leaves: a crash from here on
     * finds either this very batch in the store or in the mark. Only the
     * cutter touches the pending batch until it commits or aborts. */
    if (mark) {
        err = aegis__core_mark_batch(core, (*ret)->number, (*ret)->hash, (*ret)->json, (*ret)->json_len);
        pthread_mutex_lock(&core->lock);
        if (err)
            core->pending.offered = false;   /* not released: offered again next time */
        else
            core->pending.marked = true;
        pthread_mutex_unlock(&core->lock);
        if (err) {
            aegis_core_batch_free(*ret);
            *ret = NULL;
        }
    }
    return err;
}

static aegis_err unsealed_push(aegis_core *core, const uint8_t hash[32])
{
    if (core->n_unsealed == core->cap_unsealed) {
        size_t ncap = core->cap_unsealed ? core->cap_unsealed * 2 : 64;
        uint8_t (*nv)[32] = aegis_realloc(core->unsealed, ncap * 32);
        if (!nv)
            return AEGIS_ERR_NOMEM;
        core->unsealed = nv;
        core->cap_unsealed = ncap;
    }
    memcpy(core->unsealed[core->n_unsealed++], hash, 32);
    return AEGIS_OK;
}

/* Advance the chain state past batch (number, hash). Caller holds the lock. */
static void chain_advance(aegis_core *core, uint64_t number, const uint8_t hash[32], uint64_t ts)
{
    core->next_number = number + 1;
    memcpy(core->parent_hash, hash, 32);
    core->last_timestamp_ms = ts;
    core->batches_total++;
    aegis_mempool_set_next_batch(core->mp, core->next_number);
    if (!core->slh_every) {
        pthread_mutex_lock(&core->seal_lock);
        if (unsealed_push(core, hash) != AEGIS_OK) {
            /* cannot track it for sealing: the seal window restarts after it */
            core->n_unsealed = 0;
            core->seal_first = number + 1;
        }
        pthread_mutex_unlock(&core->seal_lock);
    }
}

aegis_err aegis_core_commit_batch(aegis_core *core, const aegis_core_batch *b)
{
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&core->lock);
    struct core_pending *p = &core->pending;
    if (!p->active || !p->offered || p->number != b->number || !aegis_ct_eq(p->hash, b->hash, 32)) {
        err = AEGIS_ERR_CORE_NOT_PENDING;
        goto out;
    }
    for (size_t i = 0; i < p->n; i++) {
        struct aegis_mempool_txlist removed = { 0 };
        if (aegis_mempool_mark_included(core->mp, p->senders[i], p->nonces[i], &removed) == AEGIS_OK) {
            /* the included record itself, and anything that lost its nonce */
            for (size_t k = 0; k < removed.n; k++)
                if (!aegis_ct_eq(removed.v[k]->tx_hash, p->tx_hashes[i], 32))
                    aegis__core_push_dropped(core, removed.v[k]->envelope_id);
            aegis_mempool_txlist_clear(&removed);
        }
    }
    aegis__core_migrations_commit(core, p->mig_groups, p->n, p->number);
    chain_advance(core, p->number, p->hash, p->timestamp_ms);
    aegis__core_mark_persisted(core, p->number);
    aegis__core_pending_clear(p);
out:
    pthread_mutex_unlock(&core->lock);
    return err;
}

void aegis_core_abort_batch(aegis_core *core, const aegis_core_batch *b)
{
    /* The batch is signed and may have been seen (it is in the mark): it
     * stays pending and the next cut offers it again, unchanged. A cluster
     * worker drops it: the replicated log decides what a number holds, and
     * cutting the same cut record again gives the same batch (the mark
     * checks that it does). */
    pthread_mutex_lock(&core->lock);
    if (core->pending.active && core->pending.number == b->number) {
        if (core->mark.path && !core->cluster)
            core->pending.offered = false;
        else
            aegis__core_pending_clear(&core->pending);
    }
    pthread_mutex_unlock(&core->lock);
}

/* Every persisted tx must be what the header commits to, and its sender and
 * nonce (which restore marks included) must be the ones its signed bytes
 * carry: the JSON's sender/nonce fields are not covered by any signature. */
static bool restore_txs_ok(const aegis_core *core, const aegis_chain_batch *cb)
{
    if (cb->n_txs == 0 || cb->n_txs != cb->h.tx_count)
        return false;
    uint8_t (*hashes)[32] = aegis_malloc(cb->n_txs * 32);
    if (!hashes)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < cb->n_txs; i++) {
        const aegis_chain_tx *t = &cb->txs[i];
        aegis_tx tx;
        ok = aegis_tx_decode(&core->txcfg, t->raw, t->raw_len, &tx, NULL) == AEGIS_OK &&
             tx.raw_len == t->raw_len && memcmp(tx.hash, t->hash, 32) == 0 &&
             memcmp(tx.sender, t->sender, 20) == 0 && tx.nonce == t->nonce;
        memcpy(hashes[i], t->hash, 32);
    }
    uint8_t root[32];
    ok = ok && aegis_batch_merkle_root((const uint8_t (*)[32])hashes, cb->n_txs, root) == AEGIS_OK &&
         memcmp(root, cb->h.tx_root, 32) == 0;
    aegis_free(hashes);
    return ok;
}

/* The index facts of a restored batch, for the host. */
static aegis_err batch_facts(const aegis_chain_batch *cb, aegis_core_batch **ret)
{
    size_t n = cb->n_txs;
    aegis_core_batch *out = aegis_calloc(1, sizeof(*out));
    if (out) {
        out->envelope_ids = aegis_malloc(n ? n * sizeof(uint64_t) : 1);
        out->tx_hashes = aegis_malloc(n ? n * 32 : 1);
    }
    if (!out || !out->envelope_ids || !out->tx_hashes) {
        aegis_core_batch_free(out);
        return AEGIS_ERR_NOMEM;
    }
    out->number = cb->h.number;
    memcpy(out->hash, cb->hash, 32);
    for (size_t i = 0; i < n; i++) {
        out->envelope_ids[i] = cb->txs[i].envelope_id;
        memcpy(out->tx_hashes[i], cb->txs[i].hash, 32);
    }
    out->n = n;
    *ret = out;
    return AEGIS_OK;
}

aegis_err aegis_core_restore_batch(aegis_core *core, const char *json, size_t len)
{
    return aegis_core_restore_batch_indexed(core, json, len, NULL);
}

aegis_err aegis_core_restore_batch_indexed(aegis_core *core, const char *json, size_t len, aegis_core_batch **ret)
{
    if (ret)
        *ret = NULL;
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    aegis_chain_batch cb;
    const char *why = NULL;
    aegis_err err = j ? aegis_chain_batch_from_json(j, &cb, &why) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(j);
    if (err)
        return AEGIS_ERR_CORE_RESTORE;
    if (!restore_txs_ok(core, &cb)) {
        aegis_chain_batch_clear(&cb);
        return AEGIS_ERR_CORE_RESTORE;
    }
    pthread_mutex_lock(&core->lock);
    /* The host's store is not trusted: the batch must continue our chain and
     * carry our own signature. */
    uint8_t hash[32];
    err = AEGIS_ERR_CORE_RESTORE;
    if (cb.h.number != core->next_number || !aegis_ct_eq(cb.h.parent_hash, core->parent_hash, 32) ||
        aegis_batch_header_hash(&cb.h, hash) || !aegis_ct_eq(hash, cb.hash, 32))
        goto out;
    /* signed by the key of its epoch (restored hand-overs give every epoch's
     * public key set); an unknown epoch cannot be checked and is refused */
    const aegis_keyset_pub *epub = aegis__core_pub_of(core, cb.h.key_epoch);
    if (!epub || aegis_mldsa87_verify(cb.sig_mldsa, sizeof(cb.sig_mldsa), cb.hash, 32,
                                      (const uint8_t *)AEGIS_CHAIN_BATCH_CTX, strlen(AEGIS_CHAIN_BATCH_CTX),
                                      epub->mldsa87) != AEGIS_OK)
        goto out;
    err = aegis__core_mark_check_restored(core, cb.h.number, cb.hash);
    if (err)
        goto out;
    err = AEGIS_ERR_CORE_RESTORE;
    for (size_t i = 0; i < cb.n_txs; i++) {
        struct aegis_mempool_txlist removed = { 0 };
        if (aegis_mempool_mark_included(core->mp, cb.txs[i].sender, cb.txs[i].nonce, &removed) == AEGIS_OK)
            aegis__core_drop_list(core, &removed);
    }
    chain_advance(core, cb.h.number, cb.hash, cb.h.timestamp_ms);
    err = ret ? batch_facts(&cb, ret) : AEGIS_OK;
out:
    pthread_mutex_unlock(&core->lock);
    aegis_chain_batch_clear(&cb);
    return err;
}

/* ---- SLH-DSA epoch seals ---- */


aegis_err aegis_core_seal_pending(aegis_core *core, bool force, uint64_t *ret_seal_number, char **ret_json)
{
    *ret_json = NULL;
    if (core->slh_every)
        return AEGIS_OK;
    aegis_chain_seal s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_lock(&core->seal_lock);
    size_t n = core->n_unsealed;
    force = force || core->rotating;   /* a key rotation waits for the window to close */
    if (n == 0 || (!force && n < core->seal_every)) {
        pthread_mutex_unlock(&core->seal_lock);
        return AEGIS_OK;
    }
    /* every batch since the previous seal (the host paces seals by time,
     * so under load one seal covers many batches), up to a bound on one
     * Merkle tree */
    if (n > AEGIS_CORE_SEAL_MAX)
        n = AEGIS_CORE_SEAL_MAX;
    aegis_err err = aegis_batch_merkle_root((const uint8_t (*)[32])core->unsealed, n, s.root);
    s.number = core->next_seal;
    s.first = core->seal_first;
    s.count = n;
    s.key_epoch = core->pub.epoch;
    s.chain_id = core->chain_id;
    pthread_mutex_unlock(&core->seal_lock);
    if (err)
        return err;
    /* The slow part (SLH-DSA signing) runs without the core lock held. A
     * window never spans two epochs: batches are cut with one epoch's key. */
    uint8_t digest[32];
    aegis_chain_seal_digest(&s, digest);
    pthread_rwlock_rdlock(&core->ks_lock);
    if (s.key_epoch != core->pub.epoch)
        err = AEGIS_ERR_CORE_RESTORE;
    else
        err = aegis_keyset_sign_slhdsa(core->ks, s.sig, digest, 32, (const uint8_t *)AEGIS_CHAIN_SEAL_CTX,
                                       strlen(AEGIS_CHAIN_SEAL_CTX));
    pthread_rwlock_unlock(&core->ks_lock);
    if (err)
        return err;
    json_t *j = aegis_chain_seal_to_json(&s);
    char *str = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!str)
        return AEGIS_ERR_NOMEM;
    *ret_json = aegis_strdup(str);
    free(str);
    if (!*ret_json)
        return AEGIS_ERR_NOMEM;
    /* Not applied yet: like a batch, the seal counts only once the host has
     * persisted it and handed it back (aegis_core_seal_commit). A seal that
     * was not persisted never left, and the window is signed again. */
    *ret_seal_number = s.number;
    return AEGIS_OK;
}

aegis_err aegis_core_seal_commit(aegis_core *core, const char *json, size_t len)
{
    return aegis_core_restore_seal(core, json, len);
}

/* Advance the seal window past s. With check (a record from the host's
 * store), the record must be the one this core would have made: chain,
 * epoch, its window's Merkle root over the committed batch hashes. */
static aegis_err seal_apply(aegis_core *core, const aegis_chain_seal *s, bool check)
{
    aegis_err err = AEGIS_ERR_CORE_RESTORE;
    pthread_mutex_lock(&core->seal_lock);
    if (s->number != core->next_seal || s->first != core->seal_first)
        goto out;
    if (check) {
        uint8_t root[32];
        if (s->count > core->n_unsealed || s->chain_id != core->chain_id || !aegis__core_pub_of(core, s->key_epoch) ||
            aegis_batch_merkle_root((const uint8_t (*)[32])core->unsealed, (size_t)s->count, root) != AEGIS_OK ||
            !aegis_ct_eq(root, s->root, 32))
            goto out;
    }
    size_t drop = s->count < core->n_unsealed ? s->count : core->n_unsealed;
    memmove(core->unsealed, core->unsealed + drop, (core->n_unsealed - drop) * 32);
    core->n_unsealed -= drop;
    core->seal_first = s->first + s->count;
    core->next_seal = s->number + 1;
    core->last_seal_first = s->first;
    core->last_seal_count = s->count;
    err = AEGIS_OK;
out:
    pthread_mutex_unlock(&core->seal_lock);
    return err;
}

aegis_err aegis_core_restore_seal(aegis_core *core, const char *json, size_t len)
{
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    aegis_chain_seal s;
    aegis_err err = j ? aegis_chain_seal_from_json(j, &s, NULL) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(j);
    if (err)
        return err;
    /* The host's store is not trusted: the seal must carry our signature. */
    const char *why = NULL;
    const aegis_keyset_pub *spub = aegis__core_pub_of(core, s.key_epoch);
    if (!spub || aegis_chain_verify_seal(&s, spub, &why) != AEGIS_OK)
        return AEGIS_ERR_CORE_RESTORE;
    return seal_apply(core, &s, true);
}

bool aegis_core_last_seal(aegis_core *core, uint64_t *ret_number, uint64_t *ret_first, uint64_t *ret_count)
{
    pthread_mutex_lock(&core->seal_lock);
    bool any = core->last_seal_count > 0;
    *ret_number = core->next_seal - 1;
    *ret_first = core->last_seal_first;
    *ret_count = core->last_seal_count;
    pthread_mutex_unlock(&core->seal_lock);
    return any;
}
