/*
 * ingest_opener.c - envelopes opened in parallel for a caller that admits
 * them itself in log order (aegisd's restart replay, src/sequencer/replay.c;
 * a cluster worker's applier, src/sequencer/cluster.c, with each record's
 * own time).
 *
 * The pipeline (ingest.c) opens each group the same way: aegis_core_open on
 * a fixed set of threads (ingest_pfor.c), one handle per slot, the order of
 * opening unspecified; admission, which decides every outcome, stays with
 * the caller in log order.
 */
#include "aegis/ingest.h"
#include "aegis/util.h"
#include "ingest_int.h"

struct aegis_ingest_opener {
    aegis_core *core;
    aegis__pfor *pfor;
};

struct run {
    aegis_core *core;
    const uint8_t *const *env;
    const size_t *len;
    uint64_t now_ms;
    const uint64_t *now_each;   /* per envelope, or NULL: now_ms for all */
    aegis_core_opened **opened;
};

static void open_one(void *arg, size_t i)
{
    struct run *r = arg;
    uint64_t now = r->now_each ? r->now_each[i] : r->now_ms;
    if (aegis_core_open(r->core, r->env[i], r->len[i], now, &r->opened[i]) != AEGIS_OK)
        r->opened[i] = NULL;
}

aegis_err aegis_ingest_opener_new(aegis_ingest_opener **ret, aegis_core *core, size_t threads)
{
    if (!ret || !core)
        return AEGIS_ERR_INVAL;
    if (threads > AEGIS_INGEST_MAX_OPEN_THREADS)
        threads = AEGIS_INGEST_MAX_OPEN_THREADS;
    aegis_ingest_opener *o = aegis_calloc(1, sizeof(*o));
    if (!o)
        return AEGIS_ERR_NOMEM;
    o->core = core;
    if (aegis__pfor_new(&o->pfor, threads ? threads : 1) != AEGIS_OK) {
        aegis_free(o);
        return AEGIS_ERR_NOMEM;
    }
    *ret = o;
    return AEGIS_OK;
}

void aegis_ingest_opener_run(aegis_ingest_opener *o, const uint8_t *const *env, const size_t *len, size_t n,
                             uint64_t now_ms, aegis_core_opened **opened)
{
    struct run r = { o->core, env, len, now_ms, NULL, opened };
    aegis__pfor_run(o->pfor, n, open_one, &r);
}

void aegis_ingest_opener_run_each(aegis_ingest_opener *o, const uint8_t *const *env, const size_t *len,
                                  const uint64_t *now_ms, size_t n, aegis_core_opened **opened)
{
    struct run r = { o->core, env, len, 0, now_ms, opened };
    aegis__pfor_run(o->pfor, n, open_one, &r);
}

size_t aegis_ingest_opener_threads(const aegis_ingest_opener *o)
{
    return aegis__pfor_threads(o->pfor);
}

void aegis_ingest_opener_free(aegis_ingest_opener *o)
{
    if (!o)
        return;
    aegis__pfor_free(o->pfor);
    aegis_free(o);
}
