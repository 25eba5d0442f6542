/*
 * core_mark.c - the sealed high-water mark: what this core has released.
 *
 * The host's store is not trusted to say where the chain ends (a dropped
 * WAL or an old aegis.db put back would make the core sign a published
 * batch number again with other contents, and forget acknowledged
 * envelopes). So the core keeps its own record, data_dir/hwm.sealed:
 *
 *   - the last batch number it signed and released, with its hash, and the
 *     batch itself until the host has persisted it (so a crash between the
 *     mark and the store's insert re-offers that same batch: no number is
 *     ever signed with two contents);
 *   - the highest envelope id a receipt acknowledged (or higher: the host
 *     raises it as soon as its log commit returns, aegis_core_mark_logged,
 *     so this write overlaps the group's opening and signing instead of
 *     following them; the receipts still leave only once it covers them).
 *
 * Two files take turns, hwm.sealed and hwm-b.sealed: each write goes to
 * the one not holding the newest record (pwrite, truncate, one fdatasync),
 * BEFORE the batch or the receipt group leaves the core, under one lock.
 * A crash in the middle of a write leaves the other file, one record
 * older, which released nothing more; at start the valid record with the
 * higher sequence wins. One fdatasync per write, no rename, no directory
 * sync (only when the files are first created).
 * Sealed with AES-256-GCM under aegis_tee_derive_key(AEGIS_MARK_LABEL), like
 * keyset.sealed: the host cannot forge or edit it. It can still put back
 * an older copy of it together with an older store; what closes that is
 * outside one machine (docs/internals/crash-safety.md).
 *
 * File: "AEGH" | version (1) | nonce (12) | AEAD(payload) | tag (16), the
 * 17-byte header as associated data. Payload: be64 seq | be64 batch |
 * hash (32) | be64 acked_env | be64 json_len | json.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_int.h"

void aegis__core_pending_clear(struct core_pending *p);

#define MARK_MAGIC   "AEGH"
#define MARK_VERSION 1
#define MARK_HDR     (4 + 1 + AEGIS_AEAD_NONCE_BYTES)
#define MARK_FIXED   (8 + 8 + 32 + 8 + 8)
#define MARK_LABEL   "aegis/hwm/v1"
#define MARK_MAX     (AEGIS_CORE_MARK_MAX_BATCH + MARK_HDR + MARK_FIXED + AEGIS_AEAD_TAG_BYTES)

/* Open both files for writing (first write only; creates them). */
static aegis_err mark_files_open(struct core_mark *m)
{
    bool created = false;
    for (int i = 0; i < 2; i++) {
        if (m->fd[i] >= 0)
            continue;
        const char *path = i ? m->path_b : m->path;
        struct stat st;
        created |= stat(path, &st) != 0;
        m->fd[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m->fd[i] < 0)
            return AEGIS_ERR_CORE_MARK;
        m->size[i] = fstat(m->fd[i], &st) == 0 ? st.st_size : -1;
    }
    if (created) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", m->path);
        int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0) {
            if (dfd >= 0)
                close(dfd);
            return AEGIS_ERR_CORE_MARK;
        }
        close(dfd);
    }
    return AEGIS_OK;
}

/* Compose the next record from the fields and write it durably into the
 * file that does not hold the newest one (caller holds mark.lock). */
static aegis_err mark_write_locked(aegis_core *core)
{
    struct core_mark *m = &core->mark;
    if (!m->path)
        return AEGIS_OK;
    size_t plen = MARK_FIXED + m->batch_json_len, total = MARK_HDR + plen + AEGIS_AEAD_TAG_BYTES;
    uint8_t *pt = aegis_malloc(plen), *out = aegis_malloc(total);
    uint8_t key[32];
    uint64_t seq = m->seq + 1;
    aegis_err err = AEGIS_ERR_NOMEM;
    if (!pt || !out)
        goto out;
    aegis_put_be64(pt, seq);
    aegis_put_be64(pt + 8, m->batch);
    memcpy(pt + 16, m->hash, 32);
    aegis_put_be64(pt + 48, m->acked_env);
    aegis_put_be64(pt + 56, m->batch_json_len);
    if (m->batch_json_len)
        memcpy(pt + MARK_FIXED, m->batch_json, m->batch_json_len);
    memcpy(out, MARK_MAGIC, 4);
    out[4] = MARK_VERSION;
    err = aegis_tee_derive_key(core->tee, MARK_LABEL, key);
    if (!err)
        err = aegis_tee_random(core->tee, out + 5, AEGIS_AEAD_NONCE_BYTES);
    if (!err)
        err = aegis_aead_seal(out + MARK_HDR, out + MARK_HDR + plen, key, out + 5, out, MARK_HDR, pt, plen);
    aegis_memzero(key, sizeof(key));
    if (!err)
        err = mark_files_open(m);
    if (!err) {
        int fd = m->fd[seq & 1];
        off_t *size = &m->size[seq & 1];
        size_t done = 0;
        while (!err && done < total) {
            ssize_t w = pwrite(fd, out + done, total - done, (off_t)done);
            if (w < 0 && errno != EINTR)
                err = AEGIS_ERR_CORE_MARK;
            else if (w > 0)
                done += (size_t)w;
        }
        /* Only a longer file has a stale tail to cut: ext4 truncates (frees
         * and discards blocks, rewrites the inode) even to the same size,
         * which made each write several times slower. A write that grew the
         * file has its new size flushed by the fdatasync. */
        bool cut = *size < 0 || *size > (off_t)total;
        if (!err && cut && ftruncate(fd, (off_t)total) != 0)
            err = AEGIS_ERR_CORE_MARK;
        if (!err && fdatasync(fd) != 0)
            err = AEGIS_ERR_CORE_MARK;
        *size = err ? -1 : (off_t)total;
    }
    if (err) {
        err = err == AEGIS_ERR_NOMEM ? err : AEGIS_ERR_CORE_MARK;
    } else {
        m->seq = seq;
        m->found = true;
    }
out:
    aegis_free(pt);
    aegis_free(out);
    return err;
}

/* One file's record: seq, fields and the batch JSON (aegis_free). */
struct mark_rec {
    uint64_t seq, batch, acked_env;
    uint8_t hash[32];
    char *json;
    size_t json_len;
};

static aegis_err mark_read(aegis_core *core, const uint8_t *in, size_t len, struct mark_rec *r)
{
    if (len < MARK_HDR + MARK_FIXED + AEGIS_AEAD_TAG_BYTES || memcmp(in, MARK_MAGIC, 4) != 0 ||
        in[4] != MARK_VERSION)
        return AEGIS_ERR_CORE_MARK;
    size_t plen = len - MARK_HDR - AEGIS_AEAD_TAG_BYTES;
    uint8_t *pt = aegis_malloc(plen);
    uint8_t key[32];
    if (!pt)
        return AEGIS_ERR_NOMEM;
    aegis_err err = aegis_tee_derive_key(core->tee, MARK_LABEL, key);
    if (!err)
        err = aegis_aead_open(pt, key, in + 5, in, MARK_HDR, in + MARK_HDR, plen, in + MARK_HDR + plen);
    aegis_memzero(key, sizeof(key));
    uint64_t jlen = err ? 0 : aegis_get_be64(pt + 56);
    if (err || jlen != plen - MARK_FIXED) {
        aegis_free(pt);
        return err == AEGIS_ERR_NOMEM ? err : AEGIS_ERR_CORE_MARK;
    }
    memset(r, 0, sizeof(*r));
    r->seq = aegis_get_be64(pt);
    r->batch = aegis_get_be64(pt + 8);
    memcpy(r->hash, pt + 16, 32);
    r->acked_env = aegis_get_be64(pt + 48);
    if (jlen) {
        r->json = aegis_malloc(jlen);
        if (!r->json) {
            aegis_free(pt);
            return AEGIS_ERR_NOMEM;
        }
        memcpy(r->json, pt + MARK_FIXED, jlen);
        r->json_len = jlen;
    }
    aegis_free(pt);
    return AEGIS_OK;
}

/* Read one file: AEGIS_ERR_NOT_FOUND when absent. */
static aegis_err mark_read_file(aegis_core *core, const char *path, struct mark_rec *r)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return AEGIS_ERR_NOT_FOUND;
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_file_read(path, MARK_MAX, &buf, &n);
    if (!err)
        err = mark_read(core, buf, n, r);
    aegis_free(buf);
    return err == AEGIS_ERR_NOMEM ? err : err ? AEGIS_ERR_CORE_MARK : AEGIS_OK;
}

aegis_err aegis__core_mark_open(aegis_core *core, const aegis_config *cfg, const char *data_dir,
                                const char **detail)
{
    struct core_mark *m = &core->mark;
    pthread_mutex_init(&m->lock, NULL);
    m->fd[0] = m->fd[1] = -1;
    m->size[0] = m->size[1] = -1;
    /* A cluster worker keeps a mark too: it rebuilds its chain from the
     * replicated log after a restart, signing the same headers again, and
     * the mark is how its TEE knows that the log it is given (by a host
     * that also runs NATS) still says what it signed (aegis__core_mark_batch). */
    (void)cfg;
    char path[4096], path_b[4096];
    if (snprintf(path, sizeof(path), "%s/hwm.sealed", data_dir) >= (int)sizeof(path) ||
        snprintf(path_b, sizeof(path_b), "%s/hwm-b.sealed", data_dir) >= (int)sizeof(path_b)) {
        *detail = "data dir path too long";
        return AEGIS_ERR_INVAL;
    }
    m->path = aegis_strdup(path);
    m->path_b = aegis_strdup(path_b);
    if (!m->path || !m->path_b) {
        *detail = "out of memory";
        return AEGIS_ERR_NOMEM;
    }
    struct mark_rec r[2];
    memset(r, 0, sizeof(r));
    aegis_err e0 = mark_read_file(core, path, &r[0]), e1 = mark_read_file(core, path_b, &r[1]);
    if (e0 == AEGIS_ERR_NOMEM || e1 == AEGIS_ERR_NOMEM) {
        aegis_free(r[0].json);
        aegis_free(r[1].json);
        *detail = "out of memory";
        return AEGIS_ERR_NOMEM;
    }
    /* the newest valid record; a damaged one beside a valid one is a write
     * a crash interrupted (it released nothing) */
    int pick = e0 == AEGIS_OK && (e1 != AEGIS_OK || r[0].seq > r[1].seq) ? 0 : e1 == AEGIS_OK ? 1 : -1;
    if (pick < 0 && e0 == AEGIS_ERR_CORE_MARK && e1 == AEGIS_ERR_CORE_MARK) {
        *detail = "cannot unseal hwm.sealed or hwm-b.sealed (modified files or another TEE's key)";
        return AEGIS_ERR_CORE_MARK;
    }
    if (pick >= 0) {
        m->found = true;
        m->seq = r[pick].seq;
        m->batch = r[pick].batch;
        memcpy(m->hash, r[pick].hash, 32);
        m->acked_env = r[pick].acked_env;
        m->batch_json = r[pick].json;
        m->batch_json_len = r[pick].json_len;
        r[pick].json = NULL;
    }
    aegis_free(r[0].json);
    aegis_free(r[1].json);
    return AEGIS_OK;   /* none: a fresh data dir, or one from before the mark */
}

void aegis__core_mark_free(aegis_core *core)
{
    struct core_mark *m = &core->mark;
    if (!m->path)
        return;
    for (int i = 0; i < 2; i++)
        if (m->fd[i] >= 0)
            close(m->fd[i]);
    aegis_free(m->path);
    aegis_free(m->path_b);
    aegis_free(m->batch_json);
    pthread_mutex_destroy(&m->lock);
    memset(m, 0, sizeof(*m));
}

aegis_err aegis__core_mark_batch(aegis_core *core, uint64_t number, const uint8_t hash[32], const char *json,
                                 size_t len)
{
    struct core_mark *m = &core->mark;
    if (len > AEGIS_CORE_MARK_MAX_BATCH)
        return AEGIS_ERR_TOO_BIG;
    if (core->cluster) {
        /* a replay below the mark: the released number must come back with
         * the released content (a reset or forged log would fork: refused) */
        pthread_mutex_lock(&m->lock);
        bool below = m->path && number <= m->batch;
        bool fork = below && number == m->batch && !aegis_ct_eq(hash, m->hash, 32);
        pthread_mutex_unlock(&m->lock);
        if (fork)
            return AEGIS_ERR_CORE_FORK;
        if (below)
            return AEGIS_OK;
    }
    char *copy = aegis_malloc(len ? len : 1);
    if (!copy)
        return AEGIS_ERR_NOMEM;
    memcpy(copy, json, len);
    pthread_mutex_lock(&m->lock);
    aegis_free(m->batch_json);
    m->batch = number;
    memcpy(m->hash, hash, 32);
    m->batch_json = copy;
    m->batch_json_len = len;
    aegis_err err = mark_write_locked(core);
    pthread_mutex_unlock(&m->lock);
    return err;
}

void aegis__core_mark_persisted(aegis_core *core, uint64_t number)
{
    struct core_mark *m = &core->mark;
    pthread_mutex_lock(&m->lock);
    if (m->batch == number && m->batch_json) {
        /* the next write drops it; until then the copy on disk is harmless */
        aegis_free(m->batch_json);
        m->batch_json = NULL;
        m->batch_json_len = 0;
    }
    pthread_mutex_unlock(&m->lock);
}

/* Raise the acknowledged envelope id to hi, durably (no write when the
 * mark already covers it: a write in progress holds the lock, so what is
 * read here is on disk). */
static aegis_err mark_raise_env(aegis_core *core, uint64_t hi)
{
    struct core_mark *m = &core->mark;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&m->lock);
    if (hi > m->acked_env) {
        uint64_t before = m->acked_env;
        m->acked_env = hi;
        err = mark_write_locked(core);
        if (err)
            m->acked_env = before;   /* not released: not acknowledged */
    }
    pthread_mutex_unlock(&m->lock);
    return err;
}

aegis_err aegis__core_mark_receipts(aegis_core *core, const aegis_core_receipt *r, size_t n)
{
    /* a cluster worker acknowledges what JetStream's quorum acknowledged:
     * its local store holds no envelope log to fall behind */
    if (core->cluster)
        return AEGIS_OK;
    uint64_t hi = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].envelope_id > hi)
            hi = r[i].envelope_id;
    return mark_raise_env(core, hi);
}

aegis_err aegis_core_mark_logged(aegis_core *core, uint64_t env_id)
{
    /* Ahead of the receipts, never ahead of the log: the host calls this
     * once its commit of env_id returned, so a mark that says env_id never
     * names an envelope a crash could take back. A host that calls it
     * early only makes the mark demand more of its own log at start. */
    if (!core || core->cluster || !core->mark.path)
        return AEGIS_OK;
    return mark_raise_env(core, env_id);
}

void aegis_core_mark_get(aegis_core *core, aegis_core_mark_info *ret)
{
    struct core_mark *m = &core->mark;
    memset(ret, 0, sizeof(*ret));
    if (!m->path)
        return;
    pthread_mutex_lock(&m->lock);
    ret->found = m->found;
    ret->batch = m->batch;
    memcpy(ret->hash, m->hash, 32);
    ret->acked_env = m->acked_env;
    pthread_mutex_unlock(&m->lock);
}

aegis_err aegis__core_mark_check_next(aegis_core *core, uint64_t number)
{
    struct core_mark *m = &core->mark;
    if (!m->path)
        return AEGIS_OK;
    pthread_mutex_lock(&m->lock);
    /* a cluster worker rebuilds its chain by replaying the replicated log
     * from its start: it signs released numbers again, each with the one
     * content the log determines (aegis__core_mark_batch checks the last) */
    bool ok = number > m->batch || core->cluster;
    pthread_mutex_unlock(&m->lock);
    return ok ? AEGIS_OK : AEGIS_ERR_CORE_STORE_BEHIND;
}

aegis_err aegis__core_mark_check_restored(aegis_core *core, uint64_t number, const uint8_t hash[32])
{
    struct core_mark *m = &core->mark;
    if (!m->path)
        return AEGIS_OK;
    pthread_mutex_lock(&m->lock);
    bool ok = number != m->batch || aegis_ct_eq(hash, m->hash, 32);
    pthread_mutex_unlock(&m->lock);
    return ok ? AEGIS_OK : AEGIS_ERR_CORE_FORK;
}

/* The batch the mark holds becomes the pending one again, not yet offered
 * (caller holds core->lock and mark.lock; core->next_number == m->batch).
 * It must continue the restored chain and be the one the mark names. */
static aegis_err rearm_pending(aegis_core *core)
{
    struct core_mark *m = &core->mark;
    struct core_pending *p = &core->pending;
    json_error_t jerr;
    json_t *j = json_loadb(m->batch_json, m->batch_json_len, 0, &jerr);
    aegis_chain_batch cb;
    aegis_err err = j ? aegis_chain_batch_from_json(j, &cb, NULL) : AEGIS_ERR_CHAIN_FORMAT;
    json_decref(j);
    if (err)
        return AEGIS_ERR_CORE_MARK;
    err = AEGIS_ERR_CORE_MARK;
    uint8_t hash[32];
    size_t n = cb.n_txs;
    if (n == 0 || cb.h.number != m->batch || !aegis_ct_eq(cb.h.parent_hash, core->parent_hash, 32) ||
        aegis_batch_header_hash(&cb.h, hash) || !aegis_ct_eq(hash, m->hash, 32) ||
        !aegis_ct_eq(cb.hash, m->hash, 32))
        goto out;
    err = AEGIS_ERR_NOMEM;
    p->senders = aegis_malloc(n * 20);
    p->nonces = aegis_malloc(n * sizeof(uint64_t));
    p->tx_hashes = aegis_malloc(n * 32);
    p->mig_groups = aegis_calloc(n, sizeof(uint64_t));
    p->envelope_ids = aegis_malloc(n * sizeof(uint64_t));
    p->json = aegis_malloc(m->batch_json_len + 1);
    if (!p->senders || !p->nonces || !p->tx_hashes || !p->mig_groups || !p->envelope_ids || !p->json) {
        aegis__core_pending_clear(p);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(p->senders[i], cb.txs[i].sender, 20);
        p->nonces[i] = cb.txs[i].nonce;
        memcpy(p->tx_hashes[i], cb.txs[i].hash, 32);
        p->envelope_ids[i] = cb.txs[i].envelope_id;
        /* replayed into the pool like any pending envelope: its class there */
        const struct aegis_mempool_tx *t = aegis_mempool_get(core->mp, cb.txs[i].hash);
        if (t && t->cls.migration)
            p->mig_groups[i] = t->cls.migration_group ? t->cls.migration_group : t->declared_group;
    }
    memcpy(p->json, m->batch_json, m->batch_json_len);
    p->json[m->batch_json_len] = '\0';
    p->json_len = m->batch_json_len;
    p->n = n;
    p->number = cb.h.number;
    memcpy(p->hash, m->hash, 32);
    p->timestamp_ms = cb.h.timestamp_ms;
    p->offered = false;
    p->marked = true;
    p->active = true;
    err = AEGIS_OK;
out:
    aegis_chain_batch_clear(&cb);
    return err;
}

aegis_err aegis_core_restore_finish(aegis_core *core, uint64_t env_last, bool accept_env_loss, const char **detail)
{
    struct core_mark *m = &core->mark;
    if (!m->path)
        return AEGIS_OK;
    aegis_err err = AEGIS_OK;
    pthread_mutex_lock(&core->lock);
    pthread_mutex_lock(&m->lock);
    uint64_t last = core->next_number - 1;
    bool lower_acked = false;
    /* the envelope log first: a refusal changes nothing */
    if (env_last < m->acked_env && accept_env_loss) {
        /* the operator accepted the loss (aegis recover --accept-lost-envelopes):
         * the mark follows the log, so the next ids are acknowledged anew */
        m->acked_env = env_last;
        lower_acked = true;
    }
    if (env_last < m->acked_env) {
        err = AEGIS_ERR_CORE_STORE_BEHIND;
        *detail = "the envelope log ends before the last envelope this sequencer acknowledged (hwm.sealed)";
    } else if (m->batch > last) {
        if (core->pending.active && core->pending.number == m->batch) {
            /* re-armed by an earlier call */
        } else if (m->batch == last + 1 && m->batch_json && !core->pending.active) {
            /* signed and marked, then the process stopped before the store
             * had it: the next cut offers exactly that batch */
            err = rearm_pending(core);
            if (err)
                *detail = "the batch kept in hwm.sealed does not continue the store's chain";
        } else {
            err = AEGIS_ERR_CORE_STORE_BEHIND;
            *detail = "the store's batches end before the last batch this sequencer signed (hwm.sealed)";
        }
    }
    if (!err && lower_acked && !(m->batch < last || !m->found)) {
        err = mark_write_locked(core);
        if (err)
            *detail = "cannot write hwm.sealed";
    }
    if (!err && (m->batch < last || !m->found)) {
        /* a data dir from before the mark, or a mark older than the store
         * (put back by the host): it follows the verified chain from now */
        m->batch = last;
        memcpy(m->hash, core->parent_hash, 32);
        aegis_free(m->batch_json);
        m->batch_json = NULL;
        m->batch_json_len = 0;
        err = mark_write_locked(core);
        if (err)
            *detail = "cannot write hwm.sealed";
        else
            m->found = true;
    }
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&core->lock);
    return err;
}
