/* guard.c - the start-up refusals and the store checks that keep
 * a damaged or rolled-back store from costing an acknowledged transaction
 * (docs/internals/crash-safety.md):
 *
 *   - no new key set over a store that holds envelopes or batches (they
 *     were sealed to, or signed by, the lost one): refuse before the core
 *     writes anything;
 *   - after restore, the core's sealed high-water mark decides whether the
 *     store lost batches or acknowledged envelopes (refuse, with numbers);
 *   - an envelope read back must match its hash ("corrupted", never
 *     "rejected");
 *   - /healthz follows the store: a store that cannot be written is
 *     reported at once, and "degraded" clears once writes succeed again.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "aegis/log.h"
#include "seq_int.h"

#define MOD "pipeline"

aegis_err aegis_seq_check_keys(struct aegis_seq *p, const char **detail)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof(path), "%s/keyset.sealed", p->cfg->data_dir) >= (int)sizeof(path) ||
        stat(path, &st) == 0)
        return AEGIS_OK;   /* present (the core checks it), or the core reports the path */
    uint64_t envs = 0, last = 0;
    if (aegis_store_env_count(p->store, &envs) != AEGIS_OK)
        envs = 0;
    bool batches = aegis_store_last(p->store, "batch", &last) == AEGIS_OK && last > 0;
    if (envs == 0 && !batches)
        return AEGIS_OK;   /* a fresh store: the core makes epoch 1 */
    AEGIS_LOGE(MOD, "keyset.sealed missing over a used store: refusing to start", "path=%s envelopes=%llu last_batch=%llu",
               path, (unsigned long long)envs, (unsigned long long)last);
    *detail = "keyset.sealed is missing but the store holds envelopes or batches (new keys would reject "
              "every pending envelope): put the sealed key set back";
    return AEGIS_ERR_CORE_KEYS_MISSING;
}

aegis_err aegis_seq_finish_restore(struct aegis_seq *p, const char **detail)
{
    uint64_t env_last = 0;
    aegis_err err = aegis_store_env_count(p->store, &env_last);
    if (err) {
        *detail = "cannot read the envelope log";
        return err;
    }
    aegis_core_mark_info m;
    aegis_core_mark_get(p->core, &m);
    if (m.found && m.batch < p->last_batch)
        AEGIS_LOGW(MOD, "sealed high-water mark older than the store (put back?): following the store",
                   "mark_batch=%llu store_last_batch=%llu", (unsigned long long)m.batch,
                   (unsigned long long)p->last_batch);
    /* the operator's one-shot consent to lost envelopes (aegis recover) */
    uint8_t *flag = NULL;
    size_t flag_len = 0;
    bool accept = aegis_store_meta_get(p->store, AEGIS_RECOVER_ACCEPT_KEY, &flag, &flag_len) == AEGIS_OK &&
                  flag_len == 1 && flag[0] == '1';
    aegis_free(flag);
    if (accept && env_last < m.acked_env)
        AEGIS_LOGW(MOD, "ACKNOWLEDGED ENVELOPES LOST: accepted by the operator (aegis recover --accept-lost-envelopes)",
                   "first_lost=%llu last_lost=%llu", (unsigned long long)env_last + 1,
                   (unsigned long long)m.acked_env);
    err = aegis_core_restore_finish(p->core, env_last, accept, detail);
    if (!err && accept && aegis_store_meta_put(p->store, AEGIS_RECOVER_ACCEPT_KEY, (const uint8_t *)"0", 1) != AEGIS_OK)
        AEGIS_LOGW(MOD, "cannot clear the recover consent flag", NULL);
    if (err == AEGIS_ERR_CORE_STORE_BEHIND || err == AEGIS_ERR_CORE_MARK) {
        char hex[65];
        aegis_hex_encode(hex, m.hash, 32);
        AEGIS_LOGE(MOD, "store is behind the sealed high-water mark: refusing to start (see aegis recover)",
                   "store_last_batch=%llu mark_batch=%llu mark_hash=0x%s store_last_envelope=%llu "
                   "mark_acked_envelope=%llu err=%s",
                   (unsigned long long)p->last_batch, (unsigned long long)m.batch, hex,
                   (unsigned long long)env_last, (unsigned long long)m.acked_env, aegis_err_name(err));
        fprintf(stderr,
                "aegisd: the store ends at batch %llu and envelope %llu, but this sequencer has signed batch %llu "
                "and acknowledged envelope %llu (hwm.sealed)\n",
                (unsigned long long)p->last_batch, (unsigned long long)env_last, (unsigned long long)m.batch,
                (unsigned long long)m.acked_env);
    } else if (!err && m.batch == p->last_batch + 1) {
        AEGIS_LOGW(MOD, "the last signed batch never reached the store: offering it again", "number=%llu",
                   (unsigned long long)m.batch);
    }
    return err;
}

bool aegis_seq_envelope_intact(struct aegis_seq *p, const aegis_store_env *env)
{
    uint8_t h[32];
    aegis_core_envelope_hash(env->data, env->len, h);
    if (aegis_ct_eq(h, env->hash, 32))
        return true;
    __atomic_add_fetch(&p->corrupted, 1, __ATOMIC_RELAXED);
    AEGIS_LOGE(MOD, "CORRUPTED envelope: its bytes do not match its logged hash (not replayed, not rejected)",
               "id=%llu err=%s", (unsigned long long)env->id, aegis_err_name(AEGIS_ERR_STORE_ENV_CORRUPT));
    (void)aegis_rpc_health_set(p->rpc, "store_integrity", AEGIS_HEALTH_DEGRADED,
                               "corrupted envelopes in the log (see aegis_envelopes_corrupted_total)");
    return false;
}

static void store_health_set(struct aegis_seq *p, aegis_err err)
{
    __atomic_store_n(&p->store_bad, err != AEGIS_OK, __ATOMIC_RELAXED);
    if (err == AEGIS_OK)
        (void)aegis_rpc_health_set(p->rpc, "store", AEGIS_HEALTH_OK, aegis_store_backend_name(p->store));
    else
        (void)aegis_rpc_health_set(p->rpc, "store",
                                   err == AEGIS_ERR_STORE_READONLY || err == AEGIS_ERR_STORE_CORRUPT
                                       ? AEGIS_HEALTH_DOWN : AEGIS_HEALTH_DEGRADED,
                                   aegis_strerror(err));
}

void aegis_seq_store_written(struct aegis_seq *p, aegis_err err)
{
    if (err || __atomic_load_n(&p->store_bad, __ATOMIC_RELAXED))
        store_health_set(p, err);
}

void aegis_seq_store_probe(struct aegis_seq *p, bool always)
{
    if (!always && !__atomic_load_n(&p->store_bad, __ATOMIC_RELAXED) && aegis_store_health(p->store) == AEGIS_OK)
        return;
    /* a small durable write says whether the store takes writes now */
    static const uint8_t one[1] = { 1 };
    store_health_set(p, aegis_store_meta_put(p->store, "write_probe", one, sizeof(one)));
}
