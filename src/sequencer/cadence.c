/* cadence.c - when the sealer thread signs with SLH-DSA: epoch
 * seals and interval checkpoints on a time cadence, so their cost per
 * transaction falls as the rate rises (docs/internals/seals.md).
 *
 * Seals: a seal covers every committed batch since the previous one. The
 * sealer asks the core for one at most once per batch.seal_interval_ms;
 * the core makes it once batch.seal_every batches wait (so a slow trickle
 * still gets one every seal_every batches), and any partial window is
 * forced after 5 batch intervals without a seal. On a busy machine a seal
 * takes longer (the sealer runs at nice +10 and gets what submissions
 * leave), and the gap before the next one grows with it:
 * AEGIS_SEQ_SEAL_SPACING times the last seal's wall time, never more than
 * the idle bound, so the worst-case time to seal does not change (see
 * docs/internals/pipeline.md). Checkpoints: an interval
 * checkpoint (checkpoint_interval batches) waits until
 * batch.checkpoint_min_interval_ms passed since the previous one; one the
 * core needs at once (risk level change, key rotation, rollback) does not.
 *
 * Pure functions of the clock and the previous times, so the rules read in
 * one place and the sequencer loop only calls them. */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "aegis/log.h"
#include "seq_int.h"

/* The sealer's signatures (SLH-DSA on two threads for ~75 ms, checkpoints)
 * are background work: on a busy machine they should wait for submissions,
 * not the other way round. Linux nice values are per thread and the helper
 * thread SLH-DSA signing starts inherits the value, so lowering the sealer
 * thread's priority covers all of it. Under saturation the sealer then gets
 * a smaller share of a CPU, which lengthens a signature (S below) - the
 * time-to-seal bound in docs/internals/pipeline.md counts with that. */
void aegis_seq_cadence_background(void)
{
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), AEGIS_SEQ_SEALER_NICE) != 0)
        AEGIS_LOGW("pipeline", "cannot lower the sealer's priority", NULL);
}

bool aegis_seq_cadence_seal(const struct aegis_seq_cadence *c, uint64_t now_ns, bool *ret_force)
{
    uint64_t since = now_ns - c->last_seal_ns;
    *ret_force = since > c->seal_idle_ns;
    return since >= c->seal_gap_ns;
}

void aegis_seq_cadence_sealed(struct aegis_seq_cadence *c, uint64_t start_ns, uint64_t end_ns)
{
    c->last_seal_ns = end_ns;
    if (!c->seal_min_gap_ns)
        return;   /* seal_interval_ms = 0: no limit, whatever a seal takes */
    uint64_t took = end_ns > start_ns ? end_ns - start_ns : 0;
    uint64_t gap = took > c->seal_idle_ns / AEGIS_SEQ_SEAL_SPACING ? c->seal_idle_ns : took * AEGIS_SEQ_SEAL_SPACING;
    c->seal_gap_ns = gap > c->seal_min_gap_ns ? gap : c->seal_min_gap_ns;
}

bool aegis_seq_cadence_checkpoint(const struct aegis_seq_cadence *c, uint64_t now_ns, bool urgent)
{
    return urgent || !c->have_ckpt || now_ns - c->last_ckpt_ns >= c->ckpt_gap_ns;
}

void aegis_seq_cadence_init(struct aegis_seq_cadence *c, const aegis_config *cfg, uint64_t now_ns)
{
    uint64_t batch_ms = cfg->batch_interval_ms ? cfg->batch_interval_ms : 1000;
    c->seal_min_gap_ns = cfg->batch_seal_interval_ms * 1000000ull;
    c->seal_gap_ns = c->seal_min_gap_ns;
    c->seal_idle_ns = 5ull * batch_ms * 1000000ull;
    if (c->seal_idle_ns < c->seal_min_gap_ns)
        c->seal_idle_ns = c->seal_min_gap_ns;
    c->ckpt_gap_ns = cfg->checkpoint_min_interval_ms * 1000000ull;
    c->last_seal_ns = now_ns;
    c->last_ckpt_ns = now_ns;
    c->have_ckpt = false;
}
