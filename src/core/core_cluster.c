/* core_cluster.c - the trusted side of the cluster (docs/internals/cluster.md):
 * the key set handed only to attested workers, and co-attestations.
 *
 * Join: the joiner's core makes a transport key pair (an epoch-0 key set whose
 * envelope keys are used; its secrets never leave this file's objects) and
 * attests SHA-256(worker || 0 || transport public key set). A member's core
 * checks that attestation under the cluster's measurement policy, wraps its
 * key set to the transport key (aegis_keyset_wrap: an envelope) and attests
 * SHA-256(worker || 0 || keyset hash || wrapped). The joiner checks the
 * grant's attestation under the same policy, unwraps, compares the key set
 * with the cluster's genesis hash and seals it under its own TEE. The host
 * and NATS see public keys, quotes and the wrapped (encrypted) key set only. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "aegis/log.h"
#include "core_attest.h"
#include "core_int.h"

#define MOD "cluster"

struct aegis_core_joiner {
    aegis_tee *tee;
    aegis_keyset *transport;
    aegis_attest_policy pol;
    bool allow_sim;
    char collateral[4096];   /* cluster.collateral ("" = none: hardware grants refused) */
    char worker[129];
    char path[4096];     /* data_dir/keyset.sealed */
};

/* The measurement policy: the configured list, else this TEE's own. */
static aegis_err cluster_policy(aegis_tee *tee, const aegis_config *cfg, aegis_attest_policy *pol, bool *allow_sim)
{
    aegis_attest_policy_init(pol);
    *allow_sim = aegis_tee_is_insecure(tee);
    size_t n = cfg->cluster_measurements.n;
    if (n > AEGIS_POLICY_MAX_VALUES)
        n = AEGIS_POLICY_MAX_VALUES;
    for (size_t i = 0; i < n; i++)
        if (aegis_hex_decode_exact(cfg->cluster_measurements.items[i], pol->mrtd.v[i], 48) != AEGIS_OK)
            return AEGIS_ERR_INVAL;
    pol->mrtd.n = n;
    if (n == 0) {
        if (aegis_tee_measurement(tee, pol->mrtd.v[0]) != AEGIS_OK)
            return AEGIS_ERR_CORE_ATTEST;
        pol->mrtd.n = 1;
    }
    return AEGIS_OK;
}

aegis_err aegis__core_cluster_init(aegis_core *core, const aegis_config *cfg)
{
    core->cluster = cfg->cluster_nats_urls.n > 0;
    core->max_members = cfg->max_workers ? cfg->max_workers : 1;
    core->members = aegis_calloc(core->max_members, sizeof(*core->members));
    if (!core->members)
        return AEGIS_ERR_NOMEM;
    if (cfg->cluster_collateral && cfg->cluster_collateral[0] &&
        !(core->cluster_collateral = aegis_strdup(cfg->cluster_collateral)))
        return AEGIS_ERR_NOMEM;
    return cluster_policy(core->tee, cfg, &core->cluster_pol, &core->cluster_allow_sim);
}

static aegis_err attest_json(aegis_tee *tee, const char *tag, const uint8_t value[32], json_t **ret)
{
    aegis_chain_attest a;
    memset(&a, 0, sizeof(a));
    aegis_chain_report_data(a.report_data, tag, value);
    aegis_err err = aegis_tee_quote_eventlog(tee, a.report_data, &a.quote, &a.quote_len, &a.event_log,
                                             &a.event_log_len);
    if (err)
        return AEGIS_ERR_CORE_ATTEST;
    snprintf(a.backend, sizeof(a.backend), "%s", aegis_tee_name(tee));
    snprintf(a.mode, sizeof(a.mode), "key-binding");
    a.insecure = aegis_tee_is_insecure(tee);
    *ret = aegis_chain_attest_to_json(&a);
    aegis_chain_attest_clear(&a);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}

/* Check an attestation record (JSON) binding value under tag and the policy;
 * a hardware (tdx, dstack) one with the DCAP collateral (NULL or "": none,
 * refused). */
static aegis_err check_attest(const json_t *j, const char *tag, const uint8_t value[32],
                              const aegis_attest_policy *pol, bool allow_sim, const char *collateral,
                              const char **why)
{
    aegis_chain_attest a;
    memset(&a, 0, sizeof(a));
    if (!j || aegis_chain_attest_from_json(j, &a) != AEGIS_OK) {
        *why = "attestation record missing or malformed";
        return AEGIS_ERR_CLUSTER_RECORD;
    }
    uint8_t rd[64];
    aegis_chain_report_data(rd, tag, value);
    aegis_chain_verify_opts o = { .allow_sim = allow_sim, .policy = pol,
                                  .collateral_dir = collateral && collateral[0] ? collateral : NULL };
    aegis_err err = aegis_chain_verify_attest(&a, rd, &o, why);
    aegis_chain_attest_clear(&a);
    return err ? AEGIS_ERR_CLUSTER_JOIN_REFUSED : AEGIS_OK;
}

static aegis_err worker_value(uint8_t out[32], const char *worker, const uint8_t *a, size_t alen, const uint8_t *b,
                              size_t blen)
{
    size_t wl = strlen(worker) + 1;   /* with the NUL separator */
    uint8_t *buf = aegis_malloc(wl + alen + blen);
    if (!buf)
        return AEGIS_ERR_NOMEM;
    memcpy(buf, worker, wl);
    memcpy(buf + wl, a, alen);
    if (b)
        memcpy(buf + wl + alen, b, blen);
    aegis_sha256(out, buf, wl + alen + blen);
    aegis_free(buf);
    return AEGIS_OK;
}

/* json_dumps into an aegis_free'able string; consumes o. */
static aegis_err dump(json_t *o, char **ret)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    *ret = s ? aegis_strdup(s) : NULL;
    free(s);
    return *ret ? AEGIS_OK : AEGIS_ERR_NOMEM;
}


aegis_err aegis_core_join_new(aegis_core_joiner **ret, const aegis_config *cfg, const char *data_dir,
                              char **ret_request, const char **detail)
{
    *detail = "out of memory";
    aegis_core_joiner *j = aegis_calloc(1, sizeof(*j));
    json_t *req = NULL, *att = NULL;
    if (!j)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_ERR_INVAL;
    if (snprintf(j->path, sizeof(j->path), "%s/keyset.sealed", data_dir) >= (int)sizeof(j->path) ||
        snprintf(j->worker, sizeof(j->worker), "%s", cfg->worker_id) >= (int)sizeof(j->worker)) {
        *detail = "data dir or worker id too long";
        goto fail;
    }
    aegis_tee_option opts[2];
    size_t n = aegis__core_tee_options(cfg->tee_primary, cfg, data_dir, opts);
    err = aegis_tee_open(cfg->tee_primary, opts, n, &j->tee);
    if (err) {
        *detail = "cannot open the primary TEE backend";
        goto fail;
    }
    snprintf(j->collateral, sizeof(j->collateral), "%s", cfg->cluster_collateral ? cfg->cluster_collateral : "");
    err = cluster_policy(j->tee, cfg, &j->pol, &j->allow_sim);
    if (err) {
        *detail = "cannot read this TEE's measurement";
        goto fail;
    }
    err = aegis_keyset_generate(0, &j->transport);
    if (err) {
        *detail = "cannot make the transport key";
        goto fail;
    }
    uint8_t pub[AEGIS_KEYSET_PUB_BYTES], value[32];
    aegis_keyset_pub_encode(pub, aegis_keyset_public(j->transport));
    err = worker_value(value, j->worker, pub, sizeof(pub), NULL, 0);
    if (!err)
        err = attest_json(j->tee, AEGIS_CORE_TAG_JOIN, value, &att);
    if (err) {
        *detail = "cannot attest the join request";
        goto fail;
    }
    err = AEGIS_ERR_NOMEM;
    req = json_object();
    if (!req || json_object_set_new(req, "type", json_string("join")) ||
        json_object_set_new(req, "worker", json_string(j->worker)) ||
        json_object_set_new(req, "transport", aegis_json_hex(pub, sizeof(pub))) ||
        json_object_set(req, "attestation", att))
        goto fail;
    err = dump(req, ret_request);
    req = NULL;
    if (err)
        goto fail;
    json_decref(att);
    *ret = j;
    *detail = NULL;
    return AEGIS_OK;
fail:
    json_decref(req);
    json_decref(att);
    aegis_core_join_free(j);
    return err;
}

void aegis_core_join_free(aegis_core_joiner *j)
{
    if (!j)
        return;
    aegis_keyset_free(j->transport);
    aegis_tee_free(j->tee);
    aegis_memzero(j, sizeof(*j));
    aegis_free(j);
}

/* Decode a hex string member into a new buffer (at most max bytes). */
static aegis_err get_hex(const json_t *o, const char *key, size_t max, uint8_t **ret, size_t *ret_len)
{
    return aegis_chain_get_hex_alloc(o, key, max, ret, ret_len) == AEGIS_OK ? AEGIS_OK : AEGIS_ERR_CLUSTER_RECORD;
}

aegis_err aegis_core_join_finish(aegis_core_joiner *j, const char *grant, size_t len,
                                 const uint8_t genesis[static 32], const char **detail)
{
    json_t *g = json_loadb(grant, len, 0, NULL);
    uint8_t *wrapped = NULL;
    size_t wlen = 0;
    uint8_t khash[32], value[32];
    aegis_keyset *ks = NULL;
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    *detail = "grant malformed";
    const char *type = json_string_value(json_object_get(g, "type"));
    const char *worker = json_string_value(json_object_get(g, "worker"));
    if (!g || !type || strcmp(type, "grant") != 0 || !worker || strcmp(worker, j->worker) != 0 ||
        aegis_chain_get_hex(g, "keyset_hash", khash, 32) != AEGIS_OK ||
        get_hex(g, "wrapped", 1u << 16, &wrapped, &wlen) != AEGIS_OK)
        goto out;
    err = worker_value(value, j->worker, khash, 32, wrapped, wlen);
    if (!err)
        err = check_attest(json_object_get(g, "attestation"), AEGIS_CORE_TAG_GRANT, value, &j->pol, j->allow_sim,
                           j->collateral, detail);
    if (err)
        goto out;
    err = aegis_keyset_unwrap(j->transport, wrapped, wlen, &ks);
    if (err) {
        *detail = "the wrapped key set does not open with this worker's transport key";
        goto out;
    }
    uint8_t got[32];
    aegis_keyset_pub_hash(got, aegis_keyset_public(ks));
    if (!aegis_ct_eq(got, khash, 32) || !aegis_ct_eq(got, genesis, 32)) {
        *detail = "the granted key set is not the cluster's genesis key set";
        err = AEGIS_ERR_CLUSTER_GENESIS;
        goto out;
    }
    err = aegis_keyset_save(ks, j->tee, j->path);
    if (err)
        *detail = "cannot seal the granted key set";
out:
    aegis_keyset_free(ks);
    aegis_free(wrapped);
    json_decref(g);
    if (!err)
        *detail = NULL;
    return err;
}

/* The worker a join request names (type "join", a printable id), or NULL. */
static const char *join_worker(const json_t *r)
{
    const char *type = json_string_value(json_object_get(r, "type"));
    const char *worker = json_string_value(json_object_get(r, "worker"));
    if (!type || strcmp(type, "join") != 0 || !worker || !worker[0] || strlen(worker) > 128)
        return NULL;
    for (const char *c = worker; *c; c++)
        if (*c <= ' ' || *c > '~' || strchr(".*>\"\\", *c))
            return NULL;
    return worker;
}

/* caller holds core->lock */
static bool is_member(const aegis_core *core, const char *worker)
{
    for (size_t i = 0; i < core->n_members; i++)
        if (strcmp(core->members[i], worker) == 0)
            return true;
    return false;
}

aegis_err aegis_core_cluster_admit(aegis_core *core, const char *request, size_t len, char *ret_worker,
                                   size_t worker_cap, const char **detail)
{
    json_t *r = json_loadb(request, len, 0, NULL);
    const char *worker = join_worker(r);
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    *detail = "join record malformed";
    if (!worker)
        goto out;
    if (ret_worker)
        snprintf(ret_worker, worker_cap, "%s", worker);
    pthread_mutex_lock(&core->lock);
    if (is_member(core, worker)) {
        err = AEGIS_OK;   /* a worker joining again (its data dir lost): the same member */
    } else if (core->n_members >= core->max_members) {
        err = AEGIS_ERR_CLUSTER_FULL;
        *detail = "the cluster already has worker.max_workers members";
    } else {
        snprintf(core->members[core->n_members++], sizeof(core->members[0]), "%s", worker);
        err = AEGIS_OK;
    }
    pthread_mutex_unlock(&core->lock);
out:
    json_decref(r);
    if (!err)
        *detail = NULL;
    return err;
}

size_t aegis_core_cluster_members(aegis_core *core)
{
    pthread_mutex_lock(&core->lock);
    size_t n = core->n_members;
    pthread_mutex_unlock(&core->lock);
    return n;
}

/* A join request parsed and its attestation checked under the policy:
 * *ret_r (the request), *ret_worker (inside it), the transport key. */
static aegis_err join_checked(aegis_core *core, const char *request, size_t len, json_t **ret_r,
                              const char **ret_worker, uint8_t **ret_tpub, aegis_keyset_pub *tp, const char **detail)
{
    json_t *r = json_loadb(request, len, 0, NULL);
    uint8_t *tpub = NULL;
    size_t tlen = 0;
    const char *worker = join_worker(r);
    *detail = "join request malformed";
    if (!worker || get_hex(r, "transport", AEGIS_KEYSET_PUB_BYTES, &tpub, &tlen) != AEGIS_OK ||
        tlen != AEGIS_KEYSET_PUB_BYTES || aegis_keyset_pub_decode(tp, tpub, tlen) != AEGIS_OK) {
        json_decref(r);
        aegis_free(tpub);
        return AEGIS_ERR_CLUSTER_RECORD;
    }
    uint8_t value[32];
    aegis_err err = worker_value(value, worker, tpub, tlen, NULL, 0);
    if (!err)
        err = check_attest(json_object_get(r, "attestation"), AEGIS_CORE_TAG_JOIN, value, &core->cluster_pol,
                           core->cluster_allow_sim, core->cluster_collateral, detail);
    if (err) {
        /* the worker named, for the caller's log line */
        *ret_r = r;
        *ret_worker = worker;
        aegis_free(tpub);
        return err;
    }
    *ret_r = r;
    *ret_worker = worker;
    *ret_tpub = tpub;
    return AEGIS_OK;
}

aegis_err aegis_core_join_check(aegis_core *core, const char *request, size_t len, char *ret_worker,
                                size_t worker_cap, const char **detail)
{
    json_t *r = NULL;
    const char *worker = NULL;
    uint8_t *tpub = NULL;
    aegis_keyset_pub tp;
    aegis_err err = join_checked(core, request, len, &r, &worker, &tpub, &tp, detail);
    if (worker && ret_worker)
        snprintf(ret_worker, worker_cap, "%s", worker);
    json_decref(r);
    aegis_free(tpub);
    if (!err)
        *detail = NULL;
    return err;
}

aegis_err aegis_core_key_grant(aegis_core *core, const char *request, size_t len, char **ret_grant,
                               char *ret_worker, size_t worker_cap, const char **detail)
{
    json_t *r = NULL, *att = NULL, *g = NULL;
    uint8_t *tpub = NULL, *wrapped = NULL;
    size_t wlen = 0;
    aegis_keyset_pub tp;
    const char *worker = NULL;
    aegis_err err = join_checked(core, request, len, &r, &worker, &tpub, &tp, detail);
    if (worker && ret_worker)
        snprintf(ret_worker, worker_cap, "%s", worker);
    if (err)
        goto out;
    /* admitted first, in log order, under the cap (aegis_core_cluster_admit) */
    pthread_mutex_lock(&core->lock);
    bool member = is_member(core, worker);
    pthread_mutex_unlock(&core->lock);
    if (!member) {
        err = AEGIS_ERR_CLUSTER_NOT_ADMITTED;
        *detail = "no join record of this worker was applied from the replicated log";
        goto out;
    }
    uint8_t value[32];
    aegis_envelope_pub rcpt;
    aegis_keyset_pub_envelope(&rcpt, &tp);
    /* the genesis key set (epoch 1, keyset.sealed): a joiner replays the log
     * from its start and derives every later epoch itself, at the same log
     * positions as every member did (aegis_keyset_derive_next) */
    uint8_t khash[32];
    char path[4200];
    aegis_keyset *gen = NULL;
    snprintf(path, sizeof(path), "%s/keyset.sealed", core->data_dir);
    err = aegis_keyset_load(core->tee, path, &gen);
    if (!err) {
        aegis_keyset_pub_hash(khash, aegis_keyset_public(gen));
        err = aegis_keyset_wrap(gen, &rcpt, &wrapped, &wlen);
    }
    aegis_keyset_free(gen);
    if (err) {
        *detail = "cannot wrap the genesis key set";
        goto out;
    }
    err = worker_value(value, worker, khash, 32, wrapped, wlen);
    if (!err)
        err = attest_json(core->tee, AEGIS_CORE_TAG_GRANT, value, &att);
    if (err) {
        *detail = "cannot attest the grant";
        goto out;
    }
    err = AEGIS_ERR_NOMEM;
    *detail = "out of memory";
    g = json_object();
    if (!g || json_object_set_new(g, "type", json_string("grant")) ||
        json_object_set_new(g, "worker", json_string(worker)) ||
        json_object_set_new(g, "keyset_hash", aegis_json_hex(khash, 32)) ||
        json_object_set_new(g, "wrapped", aegis_json_hex(wrapped, wlen)) || json_object_set(g, "attestation", att))
        goto out;
    err = dump(g, ret_grant);
    g = NULL;
out:
    json_decref(r);
    json_decref(g);
    json_decref(att);
    aegis_free(tpub);
    aegis_free(wrapped);
    if (!err)
        *detail = NULL;
    return err;
}

void aegis_core_keyset_hash(aegis_core *core, uint8_t out[static 32])
{
    pthread_rwlock_rdlock(&core->ks_lock);
    memcpy(out, core->keyset_hash, 32);
    pthread_rwlock_unlock(&core->ks_lock);
}

aegis_err aegis_core_coattest(aegis_core *core, const char *worker, uint64_t number, const uint8_t hash[static 32],
                              char **ret_json)
{
    uint8_t value[32];
    json_t *att = NULL;
    aegis_chain_coattest_value(value, worker, number, hash);
    aegis_err err = attest_json(core->tee, AEGIS_CORE_TAG_COATTEST, value, &att);
    if (err)
        return err;
    json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:o}", "type", "coattest", "worker", worker, "number",
                          (json_int_t)number, "hash", aegis_json_hex(hash, 32), "attestation", att);
    return dump(o, ret_json);
}
