/* core_submit.c - envelope -> plaintext tx -> validation -> admission, and
 * signed receipts.
 *
 * Two steps (core.h): aegis_core_open does the expensive, stateless part
 * (decryption, decoding, sender recovery) outside the core lock and may run
 * on many threads at once; aegis_core_admit does admission into the mempool,
 * serialised, in the host's log order. The plaintext lives in one buffer
 * inside the opened handle, wiped on every path.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core_int.h"

static void fill_record(struct aegis_mempool_tx *rec, const aegis_tx *tx, const uint8_t env_hash[32],
                        uint64_t env_id)
{
    memset(rec, 0, sizeof(*rec));
    memcpy(rec->tx_hash, tx->hash, 32);
    memcpy(rec->envelope_hash, env_hash, 32);
    rec->envelope_id = env_id;
    memcpy(rec->sender, tx->sender, 20);
    if (!tx->is_create) {
        memcpy(rec->to, tx->to, 20);
        rec->flags |= AEGIS_MEMPOOL_TX_HAS_TO;
    }
    if (tx->ext.present && tx->ext.has_intent && tx->ext.intent == AEGIS_TX_INTENT_MIGRATION) {
        rec->flags |= AEGIS_MEMPOOL_TX_DECLARED_MIGRATION;
        /* group: the registry's group id of the declared asset id (so a
         * declared migration and calls to the migration contract for the
         * same asset group together); opaque bytes: their first 8 bytes */
        char id[AEGIS_TX_INTENT_MAX_ASSET + 1];
        size_t n = tx->ext.intent_asset_len;
        memcpy(id, tx->ext.intent_asset, n);
        id[n] = '\0';
        uint64_t g = 0;
        if (n && strlen(id) == n && aegis_asset_id_is_valid(id)) {
            g = aegis_asset_group_id(id);
        } else {
            for (size_t i = 0; i < n && i < 8; i++)
                g = (g << 8) | tx->ext.intent_asset[i];
        }
        rec->declared_group = g ? g : 1;
    }
    rec->nonce = tx->nonce;
    aegis_u256_to_be(rec->max_fee, &tx->max_fee);
    aegis_u256_to_be(rec->priority_fee, &tx->max_priority_fee);
    rec->gas_limit = tx->gas_limit;
    aegis_u256_to_be(rec->value, &tx->value);
    rec->raw = tx->raw;
    rec->raw_len = tx->raw_len;
}

/* An opened envelope: everything admission needs, plaintext included. It
 * never leaves the core (core.h only names the type); pt is wiped and tx
 * cleared when it is freed. */
struct aegis_core_opened {
    aegis_err err;             /* the open step's verdict, reported by admit */
    const char *why;
    uint8_t env_hash[32];
    uint64_t epoch;            /* the core's epoch when it was opened */
    aegis_tx tx;               /* borrows pt */
    uint8_t *pt;
    size_t pt_len, pt_cap;
};

void aegis_core_opened_free(aegis_core_opened *o)
{
    if (!o)
        return;
    if (o->pt)
        aegis_free_secret(o->pt, o->pt_cap);
    aegis_memzero(&o->tx, sizeof(o->tx));
    aegis_free(o);
}

void aegis_core_opened_env_hash(const aegis_core_opened *o, uint8_t out[32])
{
    memcpy(out, o->env_hash, 32);
}

/* The stateless part: hash, decrypt under the epoch's key, decode, recover
 * the sender, verify a witness. Reads only the key sets (under ks_lock) and
 * the fixed tx config, so any number of threads may run it at once. */
aegis_err aegis_core_open(aegis_core *core, const uint8_t *env, size_t len, uint64_t now_ms,
                          aegis_core_opened **ret)
{
    aegis_core_opened *o = aegis_calloc(1, sizeof(*o));
    if (!o)
        return AEGIS_ERR_NOMEM;
    aegis_err err;
    const char *why = NULL;
    aegis_core_envelope_hash(env, len, o->env_hash);
    aegis_envelope_view view;
    err = aegis_envelope_parse(&view, env, len);
    if (err) {
        why = "malformed envelope";
        goto out;
    }
    o->pt_cap = len;
    o->pt = aegis_malloc(o->pt_cap ? o->pt_cap : 1);
    if (!o->pt) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    /* the current epoch's keys, or the previous epoch's inside its grace window */
    pthread_rwlock_rdlock(&core->ks_lock);
    const aegis_keyset *ks = NULL;
    err = aegis__core_keys_for_epoch(core, view.epoch, now_ms, &ks, &why);
    if (!err) {
        err = aegis_keyset_open_envelope(ks, o->pt, o->pt_cap, &o->pt_len, env, len);
        if (err)
            why = "envelope does not decrypt under this sequencer's key";
    }
    o->epoch = core->pub.epoch;
    pthread_rwlock_unlock(&core->ks_lock);
    if (err)
        goto out;
    err = aegis_tx_decode(&core->txcfg, o->pt, o->pt_len, &o->tx, &why);
    if (err)
        goto out;
    if (o->tx.ext.present && o->tx.ext.witness_sig) {
        /* A witness carrying its own key registers it; the registry (risk
         * and assets) supplies registered keys for the others. */
        err = aegis_tx_verify_witness(&o->tx, NULL);
        if (err)
            why = "PQC witness does not verify";
    }
out:
    if (err) {
        /* nothing of a refused envelope is kept */
        if (o->pt)
            aegis_free_secret(o->pt, o->pt_cap);
        o->pt = NULL;
        aegis_memzero(&o->tx, sizeof(o->tx));
        o->err = err;
        o->why = why ? why : aegis_strerror(err);
    }
    *ret = o;
    return AEGIS_OK;
}

aegis_err aegis_core_admit(aegis_core *core, aegis_core_opened *o, uint64_t env_id, uint64_t now_ms, bool replay,
                           aegis_core_receipt *ret, const char **reason)
{
    const char *why = NULL;
    aegis_err err = o->err;
    if (err) {
        why = o->why;
        goto out;
    }
    const aegis_tx *tx = &o->tx;
    struct aegis_mempool_tx rec;
    fill_record(&rec, tx, o->env_hash, env_id);
    /* the extension after the tx (witness, declared intent) travels with
     * the record, so a re-check after a rollback sees what admission saw */
    if (tx->raw == o->pt && o->pt_len > tx->raw_len) {
        rec.ext = o->pt + tx->raw_len;
        rec.ext_len = o->pt_len - tx->raw_len;
    }
    struct aegis_mempool_admit admit;
    pthread_mutex_lock(&core->lock);
    /* The asset registry's policies (protected assets, frozen assets, PQC
     * witnesses, value limits) at the current risk. */
    aegis_assets_env aenv;
    aegis_assets_verdict verdict;
    aegis__core_assets_env(core, &aenv);
    err = aegis_assets_check_tx(core->reg, tx, &aenv, NULL, &verdict);
    if (!err)
        err = aegis_mempool_add(core->mp, &rec, now_ms, &admit);
    /* A witness carrying its key registers the sender's PQC account key (for
     * its later transactions; checked at admission, so an evicted
     * registration stays registered). */
    if (!err && tx->ext.present && tx->ext.witness_pk && aegis_assets_pqc_register_tx(core->reg, tx) == AEGIS_OK) {
        char params[64] = "{\"account\":\"0x", *line = NULL;
        size_t line_len = 0;
        aegis_hex_encode(params + strlen(params), tx->sender, 20);
        strcat(params, "\"}");
        if (aegis_audit_append_event(core->audit, core->reg, "register_pqc_key", params, now_ms, &line,
                                     &line_len) == AEGIS_OK)
            aegis_free(line);
    }
    if (!err) {
        core->admitted_total++;
        if (admit.dropped) {
            aegis__core_push_dropped(core, admit.dropped->envelope_id);
            aegis_mempool_tx_free(admit.dropped);
        }
    } else {
        core->rejected_total++;
    }
    pthread_mutex_unlock(&core->lock);
    if (err) {
        why = aegis_strerror(err);
        goto out;
    }
    if (ret) {
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->envelope_hash, o->env_hash, 32);
        memcpy(ret->tx_hash, tx->hash, 32);
        memcpy(ret->sender, tx->sender, 20);
        ret->nonce = tx->nonce;
        ret->seq = admit.seq;
        ret->envelope_id = env_id;
        ret->key_epoch = o->epoch;
    }
    (void)replay;
out:
    if (err && reason)
        *reason = why ? why : aegis_strerror(err);
    aegis_core_opened_free(o);
    return err;
}

aegis_err aegis_core_submit(aegis_core *core, const uint8_t *env, size_t len, uint64_t env_id,
                            uint64_t now_ms, bool replay, aegis_core_receipt *ret, const char **reason)
{
    aegis_core_opened *o = NULL;
    aegis_err err = aegis_core_open(core, env, len, now_ms, &o);
    if (err) {
        if (reason)
            *reason = aegis_strerror(err);
        return err;
    }
    return aegis_core_admit(core, o, env_id, now_ms, replay, ret, reason);
}

static void receipt_hash(const aegis_core_receipt *r, uint8_t out[32])
{
    aegis_chain_receipt_hash(out, r->envelope_hash, r->tx_hash, r->seq, r->envelope_id, r->key_epoch);
}

/* The group's signature as a receipt carries it. */
struct receipt_sig {
    const uint8_t *root;
    size_t index, count;
    const uint8_t (*path)[32];
    size_t path_len;
    const char *sig_hex;       /* ML-DSA-87, hex without 0x, encoded once per group */
};

/* One signed receipt as compact JSON text (aegis_free), written directly
 * rather than through jansson: the 9 KB signature is encoded once per group
 * and copied into each receipt. Integers print as jansson prints them. */
static const char *u64_text(char out[24], uint64_t v)
{
    snprintf(out, 24, v <= AEGIS_JSON_MAX_SAFE ? "%llu" : "\"%llu\"", (unsigned long long)v);
    return out;
}

static char *receipt_text(const aegis_core_receipt *r, uint64_t epoch, const uint8_t leaf[32],
                          const struct receipt_sig *rs)
{
    char eh[65], th[65], snd[41], lh[65], rh[65], ph[65];
    aegis_hex_encode(eh, r->envelope_hash, 32);
    aegis_hex_encode(th, r->tx_hash, 32);
    aegis_hex_encode(snd, r->sender, 20);
    aegis_hex_encode(lh, leaf, 32);
    aegis_hex_encode(rh, rs->root, 32);
    aegis_buf b;
    aegis_buf_init(&b, 4096 + rs->path_len * 72 + strlen(rs->sig_hex));
    /* u64s: JSON integers up to 2^53 - 1, decimal strings above (aegis/json.h) */
    char nonce[24], seq[24], id[24], ep[24];
    aegis_err err = aegis_buf_printf(&b,
        "{\"envelope_hash\":\"0x%s\",\"tx_hash\":\"0x%s\",\"sender\":\"0x%s\",\"nonce\":%s,"
        "\"seq\":%s,\"envelope_id\":%s,\"receipt_hash\":\"0x%s\",\"key_epoch\":%s,"
        "\"status\":\"pending\",\"signature\":{\"root\":\"0x%s\",\"index\":%zu,\"count\":%zu,\"path\":[",
        eh, th, snd, u64_text(nonce, r->nonce), u64_text(seq, r->seq), u64_text(id, r->envelope_id), lh,
        u64_text(ep, epoch), rh, rs->index, rs->count);
    for (size_t k = 0; !err && k < rs->path_len; k++) {
        aegis_hex_encode(ph, rs->path[k], 32);
        err = aegis_buf_printf(&b, "%s\"0x%s\"", k ? "," : "", ph);
    }
    static const char sig_open[] = "],\"ml-dsa-87\":\"0x", sig_close[] = "\"}}";
    if (!err)
        err = aegis_buf_append(&b, sig_open, sizeof(sig_open) - 1);
    if (!err)
        err = aegis_buf_append(&b, rs->sig_hex, strlen(rs->sig_hex));
    if (!err)
        err = aegis_buf_append(&b, sig_close, sizeof(sig_close) - 1);
    if (!err)
        err = aegis_buf_cstr(&b);
    if (err) {
        aegis_buf_clear(&b);
        return NULL;
    }
    return (char *)b.data;
}

aegis_err aegis_core_sign_receipts(aegis_core *core, const aegis_core_receipt *r, size_t n,
                                   char ***ret_json)
{
    if (n == 0 || n > 4096)
        return AEGIS_ERR_INVAL;
    aegis_err err = AEGIS_ERR_NOMEM;
    uint8_t (*leaves)[32] = aegis_malloc(n * 32);
    uint8_t (*path)[32] = aegis_malloc(AEGIS_MERKLE_MAX_DEPTH * 32);
    uint8_t *sig = aegis_malloc(AEGIS_MLDSA87_SIG_BYTES);
    char **out = aegis_calloc(n, sizeof(*out));
    aegis_batch_merkle_tree *tree = NULL;
    char *sig_hex = NULL;
    uint8_t root[32];
    if (!leaves || !path || !sig || !out)
        goto fail;
    /* Signed by the current epoch's key, and saying so: a receipt admitted
     * just before a rotation names the epoch whose key signs it. */
    pthread_rwlock_rdlock(&core->ks_lock);
    uint64_t epoch = core->pub.epoch;
    for (size_t i = 0; i < n; i++) {
        aegis_core_receipt ri = r[i];
        ri.key_epoch = epoch;
        receipt_hash(&ri, leaves[i]);
    }
    /* one tree for the group: every path comes from its kept levels */
    err = aegis_batch_merkle_tree_new((const uint8_t (*)[32])leaves, n, &tree);
    if (!err) {
        aegis_batch_merkle_tree_root(tree, root);
        err = aegis_keyset_sign_mldsa87(core->ks, sig, root, 32, (const uint8_t *)AEGIS_CHAIN_RECEIPT_CTX,
                                        strlen(AEGIS_CHAIN_RECEIPT_CTX));
    }
    pthread_rwlock_unlock(&core->ks_lock);
    if (err)
        goto fail;
    err = AEGIS_ERR_NOMEM;
    sig_hex = aegis_malloc(2 * AEGIS_MLDSA87_SIG_BYTES + 1);
    if (!sig_hex)
        goto fail;
    aegis_hex_encode(sig_hex, sig, AEGIS_MLDSA87_SIG_BYTES);
    for (size_t i = 0; i < n; i++) {
        size_t plen = 0;
        if (aegis_batch_merkle_tree_proof(tree, i, path, AEGIS_MERKLE_MAX_DEPTH, &plen))
            goto fail;
        struct receipt_sig rs = { root, i, n, (const uint8_t (*)[32])path, plen, sig_hex };
        if (!(out[i] = receipt_text(&r[i], epoch, leaves[i], &rs)))
            goto fail;
    }
    /* durable in the sealed mark before any of them is acknowledged */
    err = aegis__core_mark_receipts(core, r, n);
    if (err)
        goto fail;
    *ret_json = out;
    out = NULL;
fail:
    aegis_free(sig_hex);
    for (size_t i = 0; out && i < n; i++)
        aegis_free(out[i]);
    aegis_free(out);
    aegis_batch_merkle_tree_free(tree);
    aegis_free(leaves);
    aegis_free(path);
    aegis_free(sig);
    return err;
}
