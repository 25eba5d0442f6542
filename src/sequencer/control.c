/* control.c - control records: what changes admission or ordering besides
 * envelopes, applied in log order like them (docs/internals/cluster.md,
 * "Control records"):
 *   risk    a signed risk assessment (aegis_submitRiskAssessment, the
 *           watched risk file): level, algorithms, protections, rotation
 *   admin   a signed admin request (aegis_adminAssets): registry changes
 *           and rollbacks to a checkpoint
 *   join    a cluster's join request (or its founder's record): the worker
 *           admitted to the member set, at most worker.max_workers
 * A single node applies one at once with its own clock (log_local.c); a
 * cluster worker appends it to the replicated log and every worker applies
 * it at its position there with the record's timestamp (cluster.c), so all
 * of them decide the same at the same place. Key-epoch changes follow from
 * these and from batch counts, deterministically (cluster.c after_record). */
#include <string.h>

#include "seq_int.h"

static const struct {
    const char *kind;
    aegis_err (*apply)(struct aegis_seq *p, const char *json, size_t len, uint64_t now_ms, json_t **ret,
                       const char **detail);
} controls[] = {
    { "risk", aegis_seq_apply_risk },
    { "admin", aegis_seq_apply_admin },
    { "join", aegis_seq_apply_join },
};

bool aegis_seq_control_known(const char *kind)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(controls); i++)
        if (strcmp(controls[i].kind, kind) == 0)
            return true;
    return false;
}

aegis_err aegis_seq_apply_control(struct aegis_seq *p, const char *kind, const char *json, size_t len,
                                  uint64_t now_ms, json_t **ret, const char **detail)
{
    json_t *out = NULL;
    const char *why = NULL;
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(controls); i++)
        if (strcmp(controls[i].kind, kind) == 0) {
            err = controls[i].apply(p, json, len, now_ms, &out, &why);
            break;
        }
    if (err == AEGIS_ERR_CLUSTER_RECORD && !why)
        why = "unknown control record";
    if (err && !why)
        why = aegis_strerror(err);
    if (detail)
        *detail = why;
    if (ret)
        *ret = out;
    else
        json_decref(out);
    return err;
}
