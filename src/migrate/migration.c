/* migration.c - the per-asset migration state machine: one const table,
 * a pure transition function, and the canonical hash of a migration set. */
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"

#define N_STATES 6
#define N_EVENTS 7
#define X 0xff   /* not allowed */

/* next[state][event]; event 0 is unused. */
static const uint8_t next_state[N_STATES][N_EVENTS] = {
    /*                    -  declare            tx                     finish             fail             rollback               retry */
    [AEGIS_MIG_NONE]        = { X, AEGIS_MIG_PENDING, X,                     X,                 X,               X,                     X },
    [AEGIS_MIG_PENDING]     = { X, X,                 AEGIS_MIG_IN_PROGRESS, X,                 AEGIS_MIG_FAILED, AEGIS_MIG_ROLLED_BACK, X },
    [AEGIS_MIG_IN_PROGRESS] = { X, X,                 AEGIS_MIG_IN_PROGRESS, AEGIS_MIG_COMPLETE, AEGIS_MIG_FAILED, AEGIS_MIG_ROLLED_BACK, X },
    [AEGIS_MIG_COMPLETE]    = { X, X,                 X,                     X,                 X,               AEGIS_MIG_ROLLED_BACK, X },
    [AEGIS_MIG_FAILED]      = { X, X,                 X,                     X,                 X,               AEGIS_MIG_ROLLED_BACK, AEGIS_MIG_PENDING },
    [AEGIS_MIG_ROLLED_BACK] = { X, X,                 X,                     X,                 X,               X,                     AEGIS_MIG_PENDING },
};

const char *aegis_migration_state_name(uint8_t s)
{
    static const char *const names[N_STATES] = { "none", "pending", "in_progress", "complete", "failed",
                                                 "rolled_back" };
    return s < N_STATES ? names[s] : "?";
}

const char *aegis_migration_event_name(uint8_t e)
{
    static const char *const names[N_EVENTS] = { "?", "declare", "tx", "finish", "fail", "rollback", "retry" };
    return e < N_EVENTS ? names[e] : "?";
}

aegis_err aegis_migration_next(uint8_t s, uint8_t ev, uint8_t *ret)
{
    if (s >= N_STATES || ev == 0 || ev >= N_EVENTS)
        return AEGIS_ERR_MIGRATION_UNKNOWN;
    if (next_state[s][ev] == X)
        return AEGIS_ERR_MIGRATION_TRANSITION;
    *ret = next_state[s][ev];
    return AEGIS_OK;
}

aegis_err aegis_migration_apply(struct aegis_migration *m, uint8_t ev, uint64_t batch_number)
{
    uint8_t ns;
    aegis_err err = aegis_migration_next(m->state, ev, &ns);
    if (err != AEGIS_OK)
        return err;
    if (ev == AEGIS_MIG_EV_DECLARE || ev == AEGIS_MIG_EV_RETRY) {
        m->started_batch = batch_number;
        m->tx_count = 0;
    }
    if (ev == AEGIS_MIG_EV_TX || ev == AEGIS_MIG_EV_FINISH)
        m->tx_count++;
    m->state = ns;
    m->updated_batch = batch_number;
    return AEGIS_OK;
}

bool aegis__mig_valid_id(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == ':' || c == '/' || c == '-'))
            return false;
    }
    return true;
}

static int by_id(const void *a, const void *b)
{
    return strcmp((*(const struct aegis_migration *const *)a)->asset_id,
                  (*(const struct aegis_migration *const *)b)->asset_id);
}

aegis_err aegis_migration_set_hash(const struct aegis_migration *v, size_t n, uint8_t out[static 32])
{
    if (n > UINT32_MAX)
        return AEGIS_ERR_INVAL;
    const struct aegis_migration **idx = aegis_malloc((n ? n : 1) * sizeof(*idx));
    if (!idx)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!aegis__mig_valid_id(v[i].asset_id, 64) || v[i].state >= N_STATES)
            goto out;
        idx[i] = &v[i];
    }
    qsort(idx, n, sizeof(*idx), by_id);
    aegis_keccak k;
    uint8_t w[8];
    aegis_keccak256_init(&k);
    aegis_keccak256_update(&k, "AEGM", 4);
    aegis_put_be32(w, (uint32_t)n);
    aegis_keccak256_update(&k, w, 4);
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(idx[i - 1]->asset_id, idx[i]->asset_id) == 0)
            goto out;
        uint8_t l = (uint8_t)strlen(idx[i]->asset_id);
        aegis_keccak256_update(&k, &l, 1);
        aegis_keccak256_update(&k, idx[i]->asset_id, l);
        aegis_keccak256_update(&k, &idx[i]->state, 1);
        aegis_put_be64(w, idx[i]->tx_count);
        aegis_keccak256_update(&k, w, 8);
        aegis_put_be64(w, idx[i]->started_batch);
        aegis_keccak256_update(&k, w, 8);
        aegis_put_be64(w, idx[i]->updated_batch);
        aegis_keccak256_update(&k, w, 8);
    }
    aegis_keccak256_final(&k, out);
    err = AEGIS_OK;
out:
    aegis_free(idx);
    return err;
}
