/* core_assets.c - the asset-protection registry inside the core.
 *
 * The registry, its admin authentication (ML-DSA-87 requests from keys in
 * [assets] admin_keys) and its hash-chained audit log live in the core; the
 * host persists what the core hands out (audit records, the registry blob)
 * and restores it at start. Admission checks every transaction against the
 * policies of the assets it touches; the per-transaction risk classifier
 * asks the registry for the asset level and the sender's PQC key. */
#include <jansson.h>
#include <string.h>

#include "core_int.h"

aegis_err aegis__core_assets_init(aegis_core *core, const aegis_config *cfg, const char **detail)
{
    aegis_err err = AEGIS_ERR_NOMEM;
    size_t n = cfg->migration_contracts.n;
    if (n) {
        core->migration_contracts = aegis_calloc(n, 20);
        if (!core->migration_contracts)
            goto fail;
        for (size_t i = 0; i < n; i++)
            if (aegis_hex_decode_exact(cfg->migration_contracts.items[i], core->migration_contracts[i], 20)) {
                *detail = "assets.migration_contracts: malformed address";
                return AEGIS_ERR_INVAL;
            }
        core->n_migration_contracts = n;
    }
    aegis_assets_config ac = {
        .enable_asset_protection = cfg->enable_asset_protection,
        .enable_migration = cfg->enable_migration,
        .migration_contracts = (const uint8_t (*)[20])core->migration_contracts,
        .n_migration_contracts = core->n_migration_contracts,
    };
    err = aegis_assets_new(&ac, &core->reg);
    if (!err)
        err = aegis_assets_admin_new(cfg->admin_skew_ms ? cfg->admin_skew_ms : 300000, &core->admin);
    if (!err)
        err = aegis_assets_admin_load_keys(core->admin, (const char *const *)cfg->admin_keys.items,
                                           cfg->admin_keys.n);
    if (err == AEGIS_OK)
        err = aegis_audit_new(&core->audit);
    if (err) {
        *detail = "cannot set up the asset registry (check assets.admin_keys)";
        return err;
    }
    return AEGIS_OK;
fail:
    *detail = "out of memory";
    return err;
}

void aegis__core_assets_free(aegis_core *core)
{
    aegis_audit_free(core->audit);
    aegis_assets_admin_free(core->admin);
    aegis_assets_free(core->reg);
    aegis_free(core->migration_contracts);
}

static bool risk_override(void *arg, const char *asset_id, uint16_t *ret_score)
{
    return aegis_risk_asset_score(arg, asset_id, ret_score);
}

void aegis__core_assets_env(const aegis_core *core, aegis_assets_env *env)
{
    memset(env, 0, sizeof(*env));
    env->global_risk = aegis_risk_score(core->risk);
    env->level = (aegis_assets_risk_level)aegis_risk_level(core->risk);
    env->risk_override = risk_override;
    env->risk_arg = core->risk;
}

/* The classifier's registry lookup (called by the mempool under core->lock). */
aegis_err aegis__core_assets_lookup(void *ctx, const struct aegis_mempool_tx *tx, struct aegis_risk_tx_facts *out)
{
    aegis_core *core = ctx;
    aegis_assets_class c;
    aegis_assets_classify(core->reg, (tx->flags & AEGIS_MEMPOOL_TX_HAS_TO) ? tx->to : NULL, tx->sender, &c);
    out->asset_level = c.asset_level;
    out->sender_pqc = c.sender_has_pqc_key;
    out->migration = c.migration;
    if (c.migration && (tx->flags & AEGIS_MEMPOOL_TX_HAS_TO) && !(tx->flags & AEGIS_MEMPOOL_TX_DECLARED_MIGRATION)) {
        /* a call to a migration contract without a declared asset: grouped
         * (and tracked) per contract */
        char name[64] = "contract:0x";
        aegis_hex_encode(name + strlen(name), tx->to, 20);
        out->migration_group = aegis_asset_group_id(name);
    }
    return AEGIS_OK;
}

aegis_err aegis__core_assets_state(aegis_core *core, uint8_t **blob, size_t *len, uint8_t reg_hash[32],
                                   uint8_t audit_head[32])
{
    uint64_t seq;
    aegis_err err = aegis_assets_serialize(core->reg, blob, len);
    if (!err)
        err = aegis_assets_hash(core->reg, reg_hash);
    aegis_audit_head(core->audit, &seq, audit_head);
    return err;
}

/* ---- call table ---- */

static aegis_err text_out(json_t *j, char **ret)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return AEGIS_ERR_NOMEM;
    *ret = aegis_strdup(s);
    free(s);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

/* From a rollback request: the pinned state hash (optional) and the admin
 * signature bytes (carried into the rollback event). */
static aegis_err rollback_request(const char *req, size_t len, uint8_t pinned[32], bool *has_pinned,
                                  uint8_t **sig, size_t *sig_len)
{
    json_t *j = json_loadb(req, len, 0, NULL);
    json_t *params = json_object_get(j, "params");
    const char *h = json_string_value(json_object_get(params, "state_hash"));
    const char *s = json_string_value(json_object_get(j, "sig"));
    aegis_err err = AEGIS_ERR_ADMIN_MALFORMED;
    *has_pinned = false;
    if (!json_is_integer(json_object_get(params, "checkpoint")))
        goto out;
    if (h) {
        if (aegis_hex_decode_exact(h, pinned, 32) != AEGIS_OK)
            goto out;
        *has_pinned = true;
    }
    err = s ? aegis_hex_decode_alloc(s, 65536, sig, sig_len) : AEGIS_ERR_ADMIN_MALFORMED;
out:
    json_decref(j);
    return err;
}

aegis_err aegis_core_admin(aegis_core *core, const char *req, size_t len, uint64_t now_ms,
                           const char *ckpt_json, size_t ckpt_len, char **ret_json, char **ret_rollback,
                           uint64_t *ret_orphan_first, uint64_t *ret_orphan_last, const char **detail)
{
    aegis_admin_result r;
    memset(&r, 0, sizeof(r));
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    uint8_t pinned[32], *sig = NULL;
    size_t sig_len = 0;
    bool has_pinned = false;
    uint64_t first = 0, last = 0;
    aegis_err err = AEGIS_OK;
    if (ret_rollback)
        *ret_rollback = NULL;
    /* A rollback is checked completely before anything is applied: the
     * request names an integer checkpoint, the checkpoint verifies, matches
     * the pinned state hash. */
    if (ckpt_json) {
        err = rollback_request(req, len, pinned, &has_pinned, &sig, &sig_len);
        if (err)
            *detail = "rollback takes {checkpoint: N, state_hash?: 0x..} and a signature";
        if (!err)
            err = aegis__core_rollback_check(core, ckpt_json, ckpt_len, has_pinned ? pinned : NULL, &c, detail);
        if (err)
            goto out;
    }
    pthread_mutex_lock(&core->lock);
    err = aegis_assets_admin_submit(core->admin, core->reg, core->audit, req, len, now_ms, &r, detail);
    if (!err && strcmp(r.op, "rollback") == 0 && !ckpt_json) {
        *detail = "rollback: the named checkpoint does not exist";
        err = AEGIS_ERR_NOT_FOUND;   /* the host checks first; this cannot be reached through it */
    }
    if (!err && ckpt_json)
        err = aegis__core_rollback_restore_locked(core, &c, now_ms, &first, &last, detail);
    else if (!err)
        /* a freeze, a stricter policy or a new protection holds for what
         * already waits in the mempool (the rollback path re-checks itself) */
        (void)aegis__core_mempool_recheck(core, now_ms);
    pthread_mutex_unlock(&core->lock);
    if (err)
        goto out;
    if (ckpt_json) {
        err = aegis__core_rollback_event(core, &c, now_ms, first, last, sig, sig_len, ret_rollback);
        if (err)
            goto out;
        *ret_orphan_first = first;
        *ret_orphan_last = last;
    }
    json_t *params = json_loads(r.params_json ? r.params_json : "{}", 0, NULL);
    err = text_out(json_pack("{s:s, s:o, s:o}", "op", r.op, "registry_hash", aegis_json_hex(r.registry_hash, 32),
                             "params", params ? params : json_object()),
                   ret_json);
out:
    aegis_admin_result_clear(&r);
    aegis_checkpoint_clear(&c);
    aegis_free(sig);
    return err;
}

aegis_err aegis_core_assets_list(aegis_core *core, char **ret_json)
{
    pthread_mutex_lock(&core->lock);
    aegis_err err = aegis_assets_list_json(core->reg, ret_json);
    pthread_mutex_unlock(&core->lock);
    return err;
}

aegis_err aegis_core_asset_get(aegis_core *core, const char *id, char **ret_json)
{
    aegis_asset a;
    pthread_mutex_lock(&core->lock);
    aegis_err err = aegis_assets_get(core->reg, id, &a);
    if (!err)
        err = aegis_asset_to_json(&a, ret_json);
    pthread_mutex_unlock(&core->lock);
    return err;
}

aegis_err aegis_core_audit_take(aegis_core *core, uint64_t *ret_seq, char **ret_line, size_t *ret_len)
{
    aegis_err err = AEGIS_ERR_NOT_FOUND;
    pthread_mutex_lock(&core->lock);
    if (core->audit_persisted < aegis_audit_count(core->audit)) {
        err = aegis_audit_record_json(core->audit, core->audit_persisted, ret_line, ret_len);
        if (!err)
            *ret_seq = core->audit_persisted + 1;
    }
    pthread_mutex_unlock(&core->lock);
    return err;
}

void aegis_core_audit_persisted(aegis_core *core, uint64_t seq)
{
    pthread_mutex_lock(&core->lock);
    if (seq > core->audit_persisted && seq <= aegis_audit_count(core->audit))
        core->audit_persisted = (size_t)seq;
    pthread_mutex_unlock(&core->lock);
}

void aegis_core_audit_recs_free(aegis_core_audit_rec *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        aegis_free(v[i].line);
    aegis_free(v);
}

aegis_err aegis_core_audit_snapshot(aegis_core *core, uint64_t from_seq, aegis_core_audit_rec **ret, size_t *ret_n,
                                    uint8_t **ret_blob, size_t *ret_blob_len, uint64_t *ret_pending)
{
    aegis_core_audit_rec *v = NULL;
    uint8_t *blob = NULL;
    size_t n = 0, blob_len = 0;
    aegis_err err = AEGIS_OK;
    *ret = NULL;
    *ret_n = 0;
    *ret_blob = NULL;
    *ret_blob_len = 0;
    pthread_mutex_lock(&core->lock);
    size_t count = aegis_audit_count(core->audit);
    if (ret_pending)
        *ret_pending = count - core->audit_persisted;
    uint64_t first = from_seq ? from_seq : (uint64_t)core->audit_persisted + 1;
    if (first == 0 || first > count)
        goto out;   /* nothing from there on: the cheap, common case */
    size_t want = (size_t)(count - first + 1);
    v = aegis_calloc(want, sizeof(*v));
    if (!v) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    for (; n < want && !err; n++) {
        v[n].seq = first + n;
        err = aegis_audit_record_json(core->audit, (size_t)(first - 1 + n), &v[n].line, &v[n].len);
    }
    /* the registry as of the last record: every change appends its record
     * under this lock, so no change lies between them */
    if (!err)
        err = aegis_assets_serialize(core->reg, &blob, &blob_len);
out:
    pthread_mutex_unlock(&core->lock);
    if (err) {
        aegis_core_audit_recs_free(v, n);
        aegis_free(blob);
        return err;
    }
    *ret = v;
    *ret_n = n;
    *ret_blob = blob;
    *ret_blob_len = blob_len;
    return AEGIS_OK;
}

aegis_err aegis_core_registry_blob(aegis_core *core, uint8_t **ret, size_t *ret_len)
{
    pthread_mutex_lock(&core->lock);
    aegis_err err = aegis_assets_serialize(core->reg, ret, ret_len);
    pthread_mutex_unlock(&core->lock);
    return err;
}

aegis_err aegis_core_restore_registry(aegis_core *core, const char *audit_jsonl, size_t audit_len,
                                      const uint8_t *blob, size_t blob_len, const char **detail)
{
    aegis_audit *log = NULL;
    aegis_err err = aegis_audit_import(audit_jsonl, audit_len, &log, detail);
    if (err)
        return err;
    /* The audit log is verified as a chain (and its admin signatures) before
     * anything is restored from the host's store. */
    err = aegis_audit_verify(audit_jsonl, audit_len, core->admin, NULL, NULL, NULL, detail);
    if (err) {
        aegis_audit_free(log);
        return err;
    }
    pthread_mutex_lock(&core->lock);
    if (blob && blob_len)
        err = aegis_assets_restore(core->reg, blob, blob_len);
    if (!err && aegis_audit_count(log) > 0) {
        uint8_t h[32], rh[32];
        uint64_t seq;
        aegis_audit_head(log, &seq, h);
        /* the registry must be the one the last audit record resulted in */
        char *line = NULL;
        size_t n = 0;
        err = aegis_audit_record_json(log, aegis_audit_count(log) - 1, &line, &n);
        json_t *rec = err ? NULL : json_loadb(line, n, 0, NULL);
        aegis_free(line);
        if (!err && (aegis_assets_hash(core->reg, rh) != AEGIS_OK ||
                     !json_string_value(json_object_get(rec, "reg_hash")) ||
                     aegis_hex_decode_exact(json_string_value(json_object_get(rec, "reg_hash")), h, 32) != AEGIS_OK || !aegis_ct_eq(h, rh, 32))) {
            *detail = "the persisted registry is not the state the audit log ends in";
            err = AEGIS_ERR_CORE_RESTORE;
        }
        json_decref(rec);
    }
    if (!err) {
        aegis_audit_free(core->audit);
        core->audit = log;
        log = NULL;
        core->audit_persisted = aegis_audit_count(core->audit);
        aegis_assets_admin_resume(core->admin, core->audit);
    }
    pthread_mutex_unlock(&core->lock);
    aegis_audit_free(log);
    return err;
}

/* ---- off-chain asset data ----
 * Only ciphertext crosses the host. A request (put or get, signed by the
 * requester with secp256k1; formats in include/aegis/assets.h) arrives as
 * an envelope to our key set and is opened here; the recovered address is
 * checked against the asset's access policy (write / read) by the registry.
 * The stored blob is AES-256-GCM under a key derived in the TEE for that
 * asset; a get's data leaves only sealed to the reply key the requester
 * signed, with the request's secret nonce echoed inside. */

/* Open a request envelope (current epoch, or the previous one in its grace
 * window), parse it and check it is the expected kind for asset id, signed,
 * fresh. *ret_pt (aegis_free_secret(p, *ret_cap)) holds the plaintext req
 * points into. */
static aegis_err open_request(aegis_core *core, const char *id, bool put, const uint8_t *env, size_t env_len,
                              uint64_t now_ms, uint8_t **ret_pt, size_t *ret_cap, aegis_asset_data_req *req,
                              uint8_t who[20], const char **detail)
{
    aegis_envelope_view view;
    size_t pt_len = 0, cap = env_len ? env_len : 1;
    uint8_t *pt = NULL;
    const char *why = NULL;
    aegis_err err = env ? aegis_envelope_parse(&view, env, env_len) : AEGIS_ERR_INVAL;
    if (err) {
        *detail = "the request must be an envelope to the sequencer's encryption key";
        return err;
    }
    pt = aegis_malloc(cap);
    if (!pt)
        return AEGIS_ERR_NOMEM;
    pthread_rwlock_rdlock(&core->ks_lock);
    const aegis_keyset *ks = NULL;
    err = aegis__core_keys_for_epoch(core, view.epoch, now_ms, &ks, &why);
    if (!err) {
        err = aegis_keyset_open_envelope(ks, pt, cap, &pt_len, env, env_len);
        if (err)
            why = "request envelope does not decrypt under this sequencer's key";
    }
    pthread_rwlock_unlock(&core->ks_lock);
    if (!err) {
        err = aegis_asset_data_request_parse(pt, pt_len, req);
        why = "malformed asset data request";
    }
    if (!err && req->is_put != put) {
        err = AEGIS_ERR_ASSET_DATA_MALFORMED;
        why = put ? "expected a put request (AGDP)" : "expected a get request (AGDG)";
    }
    if (!err && (!id || strcmp(req->id, id) != 0)) {
        err = AEGIS_ERR_ASSET_DATA_ID_MISMATCH;
        why = "the sealed request names another asset";
    }
    if (!err) {
        err = aegis_asset_data_request_verify(req, now_ms, who);
        why = "requester signature or timestamp refused";
    }
    if (err) {
        *detail = why;
        aegis_free_secret(pt, cap);
        memset(req, 0, sizeof(*req));
        return err;
    }
    *ret_pt = pt;
    *ret_cap = cap;
    return AEGIS_OK;
}

aegis_err aegis_core_asset_data_put(aegis_core *core, const char *id, const uint8_t *env, size_t env_len,
                                    uint64_t now_ms, uint8_t **ret_blob, size_t *ret_len, uint64_t *ret_version,
                                    const char **detail)
{
    aegis_asset_data_req req;
    uint8_t who[20], *pt = NULL;
    size_t cap = 0;
    aegis_err err = open_request(core, id, true, env, env_len, now_ms, &pt, &cap, &req, who, detail);
    if (err)
        return err;
    pthread_mutex_lock(&core->lock);
    err = aegis_assets_data_put(core->reg, core->tee, core->audit, req.id, who, req.base_version, req.data,
                                req.data_len, now_ms, ret_blob, ret_len, ret_version);
    pthread_mutex_unlock(&core->lock);
    if (err)
        *detail = aegis_strerror(err);
    aegis_free_secret(pt, cap);
    aegis_memzero(&req, sizeof(req));
    return err;
}

aegis_err aegis_core_asset_data_version(aegis_core *core, const char *id, uint64_t *ret_version)
{
    aegis_asset a;
    pthread_mutex_lock(&core->lock);
    aegis_err err = id ? aegis_assets_get(core->reg, id, &a) : AEGIS_ERR_ASSET_NOT_FOUND;
    pthread_mutex_unlock(&core->lock);
    if (!err)
        *ret_version = a.data_version;
    return err;
}

aegis_err aegis_core_asset_data_get(aegis_core *core, const char *id, const uint8_t *env, size_t env_len,
                                    const uint8_t *blob, size_t blob_len, uint64_t now_ms, uint8_t **ret_reply,
                                    size_t *ret_len, uint64_t *ret_version, const char **detail)
{
    aegis_asset_data_req req;
    uint8_t who[20], *pt = NULL, *data = NULL, *reply = NULL, *out = NULL;
    size_t cap = 0, n = 0, reply_len = 0, out_len = 0;
    uint64_t version = 0;
    aegis_err err = open_request(core, id, false, env, env_len, now_ms, &pt, &cap, &req, who, detail);
    if (err)
        return err;
    pthread_mutex_lock(&core->lock);
    err = aegis_assets_data_get(core->reg, core->tee, req.id, who, blob, blob_len, &data, &n, &version);
    pthread_mutex_unlock(&core->lock);
    if (!err)
        err = aegis_asset_data_reply_build(req.id, version, req.nonce, data, n, &reply, &reply_len);
    if (!err) {
        size_t cap_out = aegis_envelope_sealed_size(reply_len);
        out = aegis_malloc(cap_out);
        err = out ? aegis_envelope_seal(out, cap_out, &out_len, &req.reply, reply, reply_len) : AEGIS_ERR_NOMEM;
        if (err && out) {
            aegis_free(out);
            out = NULL;
        }
    }
    if (err) {
        *detail = aegis_strerror(err);
    } else {
        *ret_reply = out;
        *ret_len = out_len;
        *ret_version = version;
    }
    if (data)
        aegis_free_secret(data, n ? n : 1);
    if (reply)
        aegis_free_secret(reply, reply_len);
    aegis_free_secret(pt, cap);
    aegis_memzero(&req, sizeof(req));
    return err;
}
