/*
 * replay.c - restart replay of the envelope log: the pending envelopes, read
 * in log order, are opened in parallel runs (aegis_ingest_opener: decrypt,
 * decode, recover senders on storage.ingest_open_threads threads) and
 * admitted in log order on the calling thread, exactly as submissions are
 * (src/ingest/ingest.c). aegis_core_admit decides every outcome from the
 * handles in log order, so the replayed mempool, the rejections and the
 * batches cut afterwards are the same whatever the thread count
 * (tests/integration/test_replay.c).
 *
 * A run holds at most RUN_MAX envelopes and RUN_BYTES of them (envelopes
 * are copied: the store's bytes live only during its callback).
 */
#include <string.h>

#include "aegis/log.h"
#include "seq_int.h"

#define MOD "pipeline"
#define RUN_MAX 256
#define RUN_BYTES (8u << 20)

struct aegis_seq_replay {
    struct aegis_seq *p;
    aegis_ingest_opener *op;
    size_t n, bytes;
    uint8_t *env[RUN_MAX];
    size_t len[RUN_MAX];
    uint64_t id[RUN_MAX];
    aegis_core_opened *opened[RUN_MAX];
    uint64_t replayed, rejected;
};

aegis_err aegis_seq_replay_new(struct aegis_seq *p, size_t threads, struct aegis_seq_replay **ret)
{
    struct aegis_seq_replay *r = aegis_calloc(1, sizeof(*r));
    if (!r)
        return AEGIS_ERR_NOMEM;
    r->p = p;
    aegis_err err = aegis_ingest_opener_new(&r->op, p->core, threads);
    if (err) {
        aegis_free(r);
        return err;
    }
    *ret = r;
    return AEGIS_OK;
}

/* Open the run on the opener's threads, then admit in log order. */
static void run(struct aegis_seq_replay *r)
{
    if (r->n == 0)
        return;
    aegis_ingest_opener_run(r->op, (const uint8_t *const *)r->env, r->len, r->n, aegis_wall_ms(), r->opened);
    for (size_t i = 0; i < r->n; i++) {
        const char *reason = NULL;
        aegis_core_opened *o = r->opened[i];
        r->opened[i] = NULL;
        aegis_err err = o ? aegis_core_admit(r->p->core, o, r->id[i], aegis_wall_ms(), true, NULL, &reason)
                          : AEGIS_ERR_NOMEM;
        if (err) {
            if (!reason)
                reason = aegis_strerror(err);
            if (aegis_store_env_set_status(r->p->store, &r->id[i], 1, AEGIS_ENV_REJECTED, reason) != AEGIS_OK)
                AEGIS_LOGW(MOD, "cannot record a replay rejection", "id=%llu", (unsigned long long)r->id[i]);
            r->rejected++;
        } else {
            r->replayed++;
        }
        aegis_free(r->env[i]);
        r->env[i] = NULL;
    }
    r->n = 0;
    r->bytes = 0;
}

aegis_err aegis_seq_replay_add(struct aegis_seq_replay *r, const aegis_store_env *env)
{
    uint8_t *copy = aegis_malloc(env->len ? env->len : 1);
    if (!copy)
        return AEGIS_ERR_NOMEM;
    if (env->len)
        memcpy(copy, env->data, env->len);
    r->env[r->n] = copy;
    r->len[r->n] = env->len;
    r->id[r->n] = env->id;
    r->n++;
    r->bytes += env->len;
    if (r->n == RUN_MAX || r->bytes >= RUN_BYTES)
        run(r);
    return AEGIS_OK;
}

void aegis_seq_replay_finish(struct aegis_seq_replay *r, uint64_t *replayed, uint64_t *rejected)
{
    if (!r)
        return;
    run(r);
    *replayed += r->replayed;
    *rejected += r->rejected;
}

void aegis_seq_replay_free(struct aegis_seq_replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        aegis_core_opened_free(r->opened[i]);
        aegis_free(r->env[i]);
    }
    aegis_ingest_opener_free(r->op);
    aegis_free(r);
}
