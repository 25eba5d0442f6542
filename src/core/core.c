/* core.c - the trusted core's lifecycle and public information. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "core_attest.h"
#include "core_int.h"

/* The set that signs new batches: per risk level, from config (normal and
 * scheduled: ML-DSA-87 + SLH-DSA + ECDSA when hybrid_ecdsa; emergency drops
 * ECDSA). ML-DSA-87 always signs. */
uint8_t aegis__core_algorithm_set(const aegis_core *core)
{
    return (uint8_t)(aegis_risk_algorithms(core->risk) | AEGIS_ALG_MLDSA87);
}

void aegis__core_push_dropped(aegis_core *core, uint64_t env_id)
{
    if (core->n_dropped == core->cap_dropped) {
        size_t ncap = core->cap_dropped ? core->cap_dropped * 2 : 64;
        uint64_t *n = aegis_realloc(core->dropped, ncap * sizeof(*n));
        if (!n)
            return;   /* the status stays "pending" in the log; replay re-decides it */
        core->dropped = n;
        core->cap_dropped = ncap;
    }
    core->dropped[core->n_dropped++] = env_id;
}

void aegis__core_drop_list(aegis_core *core, struct aegis_mempool_txlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        aegis__core_push_dropped(core, l->v[i]->envelope_id);
    aegis_mempool_txlist_clear(l);
}

size_t aegis_core_take_dropped(aegis_core *core, uint64_t *ids, size_t cap)
{
    pthread_mutex_lock(&core->lock);
    size_t n = core->n_dropped < cap ? core->n_dropped : cap;
    if (n) {
        memcpy(ids, core->dropped, n * sizeof(*ids));
        memmove(core->dropped, core->dropped + n, (core->n_dropped - n) * sizeof(*ids));
        core->n_dropped -= n;
    }
    pthread_mutex_unlock(&core->lock);
    return n;
}

void aegis_core_envelope_hash(const uint8_t *env, size_t len, uint8_t out[static 32])
{
    aegis_sha256(out, env, len);
}

size_t aegis_core_envelope_max(void)
{
    return AEGIS_ENVELOPE_MAX_BYTES;
}

aegis_err aegis_core_check_pubkey_file(const char *path, const char **ret_type)
{
    const char *type = NULL;
    uint8_t *pk = NULL;
    size_t n = 0;
    *ret_type = NULL;
    aegis_err err = aegis_keyfile_read(path, false, &type, &pk, &n);
    aegis_free(pk);
    if (err)
        return err;
    if (strcmp(type, "ml-dsa-87") != 0 || n != AEGIS_MLDSA87_PK_BYTES) {
        *ret_type = type;
        return AEGIS_ERR_BAD_LENGTH;   /* the type is in *ret_type */
    }
    return AEGIS_OK;
}

/* Load the sealed key set of data_dir, or create epoch 1 on first start. */
static aegis_err load_keys(aegis_core *core, const char *data_dir, const char **detail)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/keyset.sealed", data_dir) >= (int)sizeof(path)) {
        *detail = "data dir path too long";
        return AEGIS_ERR_INVAL;
    }
    aegis_err err = aegis_keyset_load(core->tee, path, &core->ks);
    if (err == AEGIS_ERR_NOT_FOUND && core->mark.found && (core->mark.batch || core->mark.acked_env)) {
        /* this data dir has released batches or receipts under a key set
         * that is gone: new keys would orphan them (refuse, write nothing) */
        *detail = "keyset.sealed is missing but the sealed high-water mark records released batches or receipts";
        return AEGIS_ERR_CORE_KEYS_MISSING;
    }
    if (err == AEGIS_ERR_NOT_FOUND) {
        err = aegis_keyset_generate(1, &core->ks);
        if (!err)
            err = aegis_keyset_save(core->ks, core->tee, path);
        if (err)
            *detail = "cannot create and seal the key set";
    } else if (err) {
        *detail = "cannot unseal the key set (modified file or another TEE's key)";
    }
    return err;
}

/* The options a backend takes (each backend refuses options it does not
 * know). opts must have room for 2. */
size_t aegis__core_tee_options(const char *name, const aegis_config *cfg, const char *data_dir,
                               aegis_tee_option *opts)
{
    size_t n = 0;
    if (strcmp(name, "sim") == 0) {
        opts[n++] = (aegis_tee_option){ "data_dir", data_dir };
        if (cfg->tee_sim_measurement && cfg->tee_sim_measurement[0] && strcmp(cfg->tee_primary, "sim") == 0)
            opts[n++] = (aegis_tee_option){ "measurement", cfg->tee_sim_measurement };
    } else if (strcmp(name, "dstack") == 0) {
        if (cfg->tee_dstack_socket && cfg->tee_dstack_socket[0])
            opts[n++] = (aegis_tee_option){ "socket", cfg->tee_dstack_socket };
    } else if (strcmp(name, "tdx") == 0) {
        if (cfg->tee_configfs_root && cfg->tee_configfs_root[0])
            opts[n++] = (aegis_tee_option){ "configfs_root", cfg->tee_configfs_root };
        if (cfg->tee_dstack_socket && cfg->tee_dstack_socket[0])
            opts[n++] = (aegis_tee_option){ "socket", cfg->tee_dstack_socket };
    }
    return n;
}

static aegis_err open_tee(aegis_core *core, const aegis_config *cfg, const char *data_dir,
                          const char **detail)
{
    aegis_tee_option opts[3];
    size_t n = aegis__core_tee_options(cfg->tee_primary, cfg, data_dir, opts);
    /* TEST ONLY: the sim primary's fault injection (tee.sim_fault_file) */
    if (strcmp(cfg->tee_primary, "sim") == 0 && cfg->tee_sim_fault_file && cfg->tee_sim_fault_file[0])
        opts[n++] = (aegis_tee_option){ "fault_file", cfg->tee_sim_fault_file };
    aegis_err err = aegis_tee_open(cfg->tee_primary, opts, n, &core->tee);
    if (err) {
        *detail = err == AEGIS_ERR_NOT_FOUND ? "tee.primary names a backend not built in"
                                             : "cannot open the primary TEE backend";
        return err;
    }
    aegis_tee_install_random(core->tee);
    return AEGIS_OK;
}

aegis_err aegis_core_new(aegis_core **ret, const aegis_config *cfg, const char *data_dir,
                         const char **detail)
{
    const char *d = "out of memory";
    aegis_err err = AEGIS_ERR_NOMEM;
    aegis_core *core = aegis_calloc(1, sizeof(*core));
    if (!core)
        goto fail_msg;
    pthread_mutex_init(&core->lock, NULL);
    pthread_mutex_init(&core->seal_lock, NULL);
    pthread_mutex_init(&core->snap_lock, NULL);
    pthread_rwlock_init(&core->ks_lock, NULL);
    core->chain_id = cfg->chain_id;
    core->max_batch = cfg->batch_max;
    core->hybrid_ecdsa = cfg->hybrid_ecdsa;
    core->slh_every = strcmp(cfg->batch_slh_mode, "every") == 0;
    core->seal_every = cfg->batch_seal_every ? cfg->batch_seal_every : 20;
    core->attest_per_batch = strcmp(cfg->tee_attest_mode, "key-binding") != 0;
    core->risk_scheduled = cfg->risk_scheduled;
    core->checkpoint_interval = cfg->checkpoint_interval;
    core->risk_emergency = cfg->risk_emergency;
    core->next_number = 1;
    core->seal_first = 1;
    core->next_seal = 1;

    err = open_tee(core, cfg, data_dir, &d);
    if (!err)
        err = aegis__core_mark_open(core, cfg, data_dir, &d);
    if (err)
        goto fail_msg;
    err = aegis__core_attest_open_backup(core, cfg, data_dir, &d);
    if (err)
        goto fail_msg;
    err = load_keys(core, data_dir, &d);
    if (err)
        goto fail_msg;
    core->pub = *aegis_keyset_public(core->ks);
    aegis_keyset_pub_hash(core->keyset_hash, &core->pub);
    err = aegis__core_attest_pair(core, AEGIS_CHAIN_TAG_KEYSET, core->keyset_hash, &core->keyset_att,
                                  &core->keyset_backup_att);
    if (err) {
        d = "cannot attest the key set";
        goto fail_msg;
    }
    err = aegis__core_rotate_init(core, cfg, data_dir);
    if (err)
        goto fail_msg;
    err = aegis__core_cluster_init(core, cfg);
    if (err) {
        d = "cannot read the cluster's measurement policy";
        goto fail_msg;
    }

    aegis_tx_config_default(&core->txcfg);
    core->txcfg.chain_id = cfg->chain_id;
    core->txcfg.allow_extension = true;
    core->txcfg.max_bytes = cfg->mempool_max_envelope;

    /* Classification: the per-transaction risk function over the global
     * score (src/risk/), with the asset registry as its lookup. */
    err = aegis__core_risk_init(core, cfg, &d);
    if (!err)
        err = aegis__core_assets_init(core, cfg, &d);
    if (err)
        goto fail_msg;
    core->risk_cls.lookup = aegis__core_assets_lookup;
    core->risk_cls.lookup_ctx = core;
    struct aegis_mempool_config mc;
    aegis_mempool_config_defaults(&mc);
    mc.capacity = cfg->mempool_capacity;
    mc.per_sender = cfg->mempool_per_sender;
    mc.price_bump_pct = (unsigned)cfg->mempool_price_bump_pct;
    mc.expiry_ms = cfg->mempool_expiry_s * 1000;
    mc.max_raw = cfg->mempool_max_envelope;
    mc.classifier = aegis_risk_classifier_iface(&core->risk_cls);
    err = aegis_mempool_new(&mc, &core->mp);
    if (err)
        goto fail_msg;
    struct aegis_order_params op;
    aegis_order_params_defaults(&op);
    op.max_wait = (uint32_t)cfg->batch_max_wait;
    err = aegis_order_new(cfg->mode, &op, &core->order);
    if (err) {
        d = "unknown ordering strategy";
        goto fail_msg;
    }
    aegis_mempool_set_next_batch(core->mp, core->next_number);
    /* the batch signature raced on a second core (its tail is the cut's
     * p99); on one cpu there is nothing to race on */
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1 && aegis_mldsa87_racer_new(&core->racer) != AEGIS_OK)
        core->racer = NULL;   /* sign alone */
    *ret = core;
    return AEGIS_OK;
fail_msg:
    if (detail)
        *detail = d;
    aegis_core_free(core);
    return err;
}

static void pending_clear(struct core_pending *p)
{
    aegis_free(p->senders);
    aegis_free(p->nonces);
    aegis_free(p->tx_hashes);
    aegis_free(p->mig_groups);
    aegis_free(p->json);
    aegis_free(p->envelope_ids);
    memset(p, 0, sizeof(*p));
}

void aegis_core_free(aegis_core *core)
{
    if (!core)
        return;
    pending_clear(&core->pending);
    aegis__core_mark_free(core);
    aegis_mldsa87_racer_free(core->racer);
    aegis_mempool_free(core->mp);
    aegis_order_free(core->order);
    aegis__core_rotate_free(core);
    aegis_free(core->migs);
    aegis__core_risk_free(core);
    aegis__core_assets_free(core);
    aegis_free(core->members);
    aegis_free(core->cluster_collateral);
    aegis_keyset_free(core->ks);
    aegis_chain_attest_clear(&core->keyset_att);
    aegis_chain_attest_clear(&core->keyset_backup_att);
    aegis_tee_free(core->backup);
    aegis_tee_free(core->tee);
    aegis_free(core->unsealed);
    aegis_free(core->dropped);
    pthread_mutex_destroy(&core->lock);
    pthread_mutex_destroy(&core->seal_lock);
    pthread_mutex_destroy(&core->snap_lock);
    aegis_free(core->snap);
    aegis_free_secret(core->state, core->state_len ? core->state_len : 1);
    pthread_rwlock_destroy(&core->ks_lock);
    aegis_free(core);
}

void aegis__core_pending_clear(struct core_pending *p);
void aegis__core_pending_clear(struct core_pending *p)
{
    pending_clear(p);
}

static aegis_err dump_json(json_t *j, char **ret_json)
{
    if (!j)
        return AEGIS_ERR_NOMEM;
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return AEGIS_ERR_NOMEM;
    *ret_json = aegis_strdup(s);
    free(s);
    return *ret_json ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

aegis_err aegis_core_key_info(aegis_core *core, char **ret_json)
{
    pthread_rwlock_rdlock(&core->ks_lock);
    aegis_err err = dump_json(aegis_chain_keyset_to_json(&core->pub, &core->keyset_att), ret_json);
    pthread_rwlock_unlock(&core->ks_lock);
    return err;
}

static const char *level_name(uint8_t lvl)
{
    return lvl == 0 ? "normal" : lvl == 1 ? "scheduled" : "emergency";
}

static json_t *alg_names(uint8_t set)
{
    json_t *a = json_array();
    if (set & AEGIS_ALG_MLDSA87)
        json_array_append_new(a, json_string("ML-DSA-87"));
    if (set & AEGIS_ALG_SLHDSA256S)
        json_array_append_new(a, json_string("SLH-DSA-SHA2-256s"));
    if (set & AEGIS_ALG_ECDSA)
        json_array_append_new(a, json_string("ECDSA-secp256k1"));
    return a;
}

aegis_err aegis_core_status(aegis_core *core, char **ret_json)
{
    pthread_mutex_lock(&core->lock);
    json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:s, s:{s:i, s:s}, s:o, s:I, s:I, s:s, s:s}",
                          "tee", aegis_tee_name(core->tee), "tee_insecure", aegis_tee_is_insecure(core->tee),
                          "key_epoch", (json_int_t)core->pub.epoch,
                          "mempool", (json_int_t)aegis_mempool_count(core->mp),
                          "next_batch", (json_int_t)core->next_number,
                          "strategy", aegis_order_name(core->order),
                          "risk", "score", (int)core->risk_score, "level", level_name(core->risk_level),
                          /* since: below */
                          "algorithms", alg_names(aegis__core_algorithm_set(core)),
                          "admitted_total", (json_int_t)core->admitted_total,
                          /* only policy refusals (mempool, asset registry) after a
                           * successful decrypt and decode: not the log's rejections */
                          "policy_rejected_total", (json_int_t)core->rejected_total,
                          "slh_mode", core->slh_every ? "every" : "epoch",
                          "attest_mode", core->attest_per_batch ? "per-batch" : "key-binding");
    if (j) {
        json_object_set_new(j, "migrations", aegis__core_migrations_json(core));
        json_object_set_new(json_object_get(j, "risk"), "since", json_integer((json_int_t)aegis_risk_since(core->risk)));
        json_object_set_new(j, "checkpoint", core->have_checkpoint
                                                 ? json_pack("{s:I, s:o, s:I}", "number", (json_int_t)core->ckpt_number,
                                                             "hash", aegis_json_hex(core->ckpt_hash, 32),
                                                             "batch", (json_int_t)core->ckpt_batch)
                                                 : json_null());
        json_object_set_new(j, "tee_backup", json_string(core->backup ? aegis_tee_name(core->backup) : ""));
        json_object_set_new(j, "degraded_batches", json_integer((json_int_t)core->degraded_batches));
        json_object_set_new(j, "tee_primary_failed", json_boolean(aegis_core_primary_failed(core)));
        json_object_set_new(j, "failover_batches", json_integer((json_int_t)aegis_core_failover_batches(core)));
    }
    pthread_mutex_unlock(&core->lock);
    return dump_json(j, ret_json);
}

bool aegis_core_is_pending(aegis_core *core, const uint8_t hash[static 32])
{
    pthread_mutex_lock(&core->lock);
    bool found = aegis_mempool_get(core->mp, hash) != NULL || aegis_mempool_get_envelope(core->mp, hash) != NULL;
    pthread_mutex_unlock(&core->lock);
    return found;
}

size_t aegis_core_pending_count(aegis_core *core)
{
    pthread_mutex_lock(&core->lock);
    size_t n = aegis_mempool_count(core->mp);
    pthread_mutex_unlock(&core->lock);
    return n;
}
