/*
 * tee_health.c - what the sequencer says about its TEEs: the /healthz "tee"
 * entries after each cut (docs/internals/attestation-batches.md, "When the
 * primary fails while running") and their metrics.
 */
#include <stdio.h>
#include <string.h>

#include "aegis/log.h"
#include "seq_int.h"

/*
 * After every cut attempt. The primary failed its last attestation:
 *   on_primary_failure = "halt":   "tee" down (503): no batch is signed
 *                                  until the primary attests again, which
 *                                  the cutter retries every interval;
 *   on_primary_failure = "backup": "tee" degraded (206): batches are
 *                                  attested by the backup alone, and say
 *                                  so in their quotes.
 * A primary that attests again returns "tee" to ok. The backup's own
 * degradation ("tee_backup") stays sticky since start (core_attest.c).
 */
void aegis_seq_tee_health(struct aegis_seq *p, bool cut)
{
    const aegis_config *c = p->cfg;
    bool failed = aegis_core_primary_failed(p->core);
    bool failover = c->tee_on_primary_failure && strcmp(c->tee_on_primary_failure, "backup") == 0;
    if (failed != p->primary_failed_seen) {
        p->primary_failed_seen = failed;
        if (failed && failover) {
            AEGIS_LOGE("tee", "primary TEE failed: batches are attested by the backup TEE alone (failover)",
                       "primary=%s backup=%s", c->tee_primary, c->tee_backup);
            (void)aegis_rpc_health_set(p->rpc, "tee", AEGIS_HEALTH_DEGRADED,
                                       "primary TEE failed: batches attested by the backup TEE alone (failover)");
        } else if (failed) {
            AEGIS_LOGE("tee", "primary TEE failed: batch production halted until it attests again",
                       "primary=%s on_primary_failure=halt", c->tee_primary);
            (void)aegis_rpc_health_set(p->rpc, "tee", AEGIS_HEALTH_DOWN,
                                       "primary TEE failed: batch production halted (tee.on_primary_failure = halt)");
        } else {
            AEGIS_LOGI("tee", "primary TEE attests again", "primary=%s", c->tee_primary);
            (void)aegis_rpc_health_set(p->rpc, "tee", AEGIS_HEALTH_OK,
                                       strcmp(c->tee_primary, "sim") == 0 ? "sim: INSECURE, no hardware protection"
                                                                           : c->tee_primary);
        }
    }
    /* The backup: logged on each change, health sticky since start. */
    uint64_t degraded = aegis_core_degraded_batches(p->core);
    if (degraded > p->degraded_seen && !p->backup_failing) {
        p->backup_failing = true;
        AEGIS_LOGW("tee", "backup TEE did not attest: batches are produced without its attestation (degraded)",
                   "backup=%s degraded_total=%llu", c->tee_backup, (unsigned long long)degraded);
    } else if (degraded == p->degraded_seen && cut && p->backup_failing) {
        p->backup_failing = false;
        AEGIS_LOGI("tee", "backup TEE attests again", "backup=%s", c->tee_backup);
    }
    p->degraded_seen = degraded;
    if (degraded)
        (void)aegis_rpc_health_set(p->rpc, "tee_backup", AEGIS_HEALTH_DEGRADED,
                                   "batches produced without the backup TEE attestation");
}

static void tee_metrics(void *arg, aegis_buf *out)
{
    struct aegis_seq *p = arg;
    if (aegis_buf_printf(out,
        "# HELP aegis_batches_failover_total Batches attested by the backup TEE alone because the primary failed.\n"
        "# TYPE aegis_batches_failover_total counter\naegis_batches_failover_total %llu\n"
        "# HELP aegis_tee_primary_failed 1 while the primary TEE's last attestation failed.\n"
        "# TYPE aegis_tee_primary_failed gauge\naegis_tee_primary_failed %d\n",
        (unsigned long long)aegis_core_failover_batches(p->core), aegis_core_primary_failed(p->core) ? 1 : 0) != AEGIS_OK)
        return;   /* the scrape shows what fitted */
}

aegis_err aegis_seq_tee_register(struct aegis_seq *p)
{
    return aegis_rpc_add_metrics_source(p->rpc, tee_metrics, p);
}
