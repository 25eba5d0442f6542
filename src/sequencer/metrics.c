/*
 * metrics.c - the sequencer's state on /metrics beyond the
 * sequencer's counters (sequencer.c): quantum risk score and level, the key
 * epoch, and the submissions refused before they were written.
 *
 * Read from aegis_core_status (the one public view of the core's state) on
 * each scrape: scrapes are seconds apart, and this keeps one source of
 * truth for what aegis_status and /metrics say.
 *
 * Names: aegis_envelopes_rejected_total (sequencer.c) counts envelopes that
 * were logged and then rejected at admission, for any reason; the status
 * field core.policy_rejected_total counts only the transactions that
 * decrypted and decoded and were then refused by the mempool or the asset
 * registry (restart replay included). They count different things, so they
 * have different names (issue 12).
 */
#include <string.h>

#include "seq_int.h"

static int level_value(const char *s)
{
    return !s ? -1 : strcmp(s, "normal") == 0 ? 0 : strcmp(s, "scheduled") == 0 ? 1
                   : strcmp(s, "emergency") == 0 ? 2 : -1;
}

static void state_metrics(void *arg, aegis_buf *out)
{
    struct aegis_seq *p = arg;
    char *s = NULL;
    if (aegis_core_status(p->core, &s) != AEGIS_OK)
        return;
    json_t *j = json_loads(s, 0, NULL);
    aegis_free(s);
    json_t *risk = json_object_get(j, "risk");
    aegis_ingest_stats is = { 0 };
    if (p->ingest)
        aegis_ingest_get_stats(p->ingest, &is);
    if (aegis_buf_printf(out,
        "# HELP aegis_risk_score Quantum risk score (0-10000) of the latest accepted assessment.\n"
        "# TYPE aegis_risk_score gauge\naegis_risk_score %lld\n"
        "# HELP aegis_risk_level Quantum risk level: 0 normal, 1 scheduled, 2 emergency.\n"
        "# TYPE aegis_risk_level gauge\naegis_risk_level %d\n"
        "# HELP aegis_key_epoch Current key epoch (encryption and signing key set).\n"
        "# TYPE aegis_key_epoch gauge\naegis_key_epoch %lld\n"
        "# HELP aegis_envelopes_refused_total Envelopes refused before anything was written "
        "(framing, key epoch, key id).\n"
        "# TYPE aegis_envelopes_refused_total counter\naegis_envelopes_refused_total %llu\n"
        "# HELP aegis_policy_rejected_total Transactions that decrypted and decoded but the mempool or "
        "the asset registry refused (status core.policy_rejected_total).\n"
        "# TYPE aegis_policy_rejected_total counter\naegis_policy_rejected_total %lld\n",
        (long long)json_integer_value(json_object_get(risk, "score")),
        level_value(json_string_value(json_object_get(risk, "level"))),
        (long long)json_integer_value(json_object_get(j, "key_epoch")), (unsigned long long)is.refused,
        (long long)json_integer_value(json_object_get(j, "policy_rejected_total"))) != AEGIS_OK) {
        /* the scrape shows what fitted */
    }
    json_decref(j);
}

aegis_err aegis_seq_metrics_register(struct aegis_seq *p)
{
    return aegis_rpc_add_metrics_source(p->rpc, state_metrics, p);
}
