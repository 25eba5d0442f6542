/* risk_rotate.c - the key-epoch rotation planner and the envelope grace
 * window. Plain state, pure decisions: the core asks, builds the hand-over,
 * then commits. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "risk_int.h"

const char *aegis_rotation_reason_name(uint8_t reason)
{
    switch (reason) {
    case AEGIS_ROTATE_SCHEDULED: return "scheduled";
    case AEGIS_ROTATE_EMERGENCY: return "emergency";
    case AEGIS_ROTATE_MANUAL: return "manual";
    default: return "none";
    }
}

void aegis_rotation_config_defaults(struct aegis_rotation_config *rc)
{
    memset(rc, 0, sizeof(*rc));
    rc->interval_ms = 86400000;
    rc->on_emergency = true;
    rc->grace_ms = 600000;
}

void aegis_rotation_init(aegis_rotation *r, const struct aegis_rotation_config *cfg, uint64_t epoch,
                         uint64_t batch_number, uint64_t now_ms)
{
    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    r->epoch = epoch;
    r->epoch_start_batch = batch_number;
    r->epoch_start_ms = now_ms;
}

void aegis_rotation_on_level(aegis_rotation *r, uint8_t old_level, uint8_t new_level)
{
    if (r->cfg.on_emergency && new_level >= AEGIS_RISK_EMERGENCY && old_level < AEGIS_RISK_EMERGENCY)
        r->emergency_pending = true;
}

uint8_t aegis_rotation_due(const aegis_rotation *r, uint64_t batch_number, uint64_t now_ms)
{
    if (r->emergency_pending)
        return AEGIS_ROTATE_EMERGENCY;
    if (r->cfg.interval_batches && batch_number >= r->epoch_start_batch &&
        batch_number - r->epoch_start_batch >= r->cfg.interval_batches)
        return AEGIS_ROTATE_SCHEDULED;
    if (r->cfg.interval_ms && now_ms >= r->epoch_start_ms && now_ms - r->epoch_start_ms >= r->cfg.interval_ms)
        return AEGIS_ROTATE_SCHEDULED;
    return AEGIS_ROTATE_NONE;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void aegis_rotation_commit(aegis_rotation *r, uint64_t batch_number, uint64_t now_ms)
{
    r->has_prev = true;
    r->prev_epoch = r->epoch;
    r->grace_until_ms = sat_add(now_ms, r->cfg.grace_ms);
    r->grace_until_batch = r->cfg.grace_batches ? sat_add(batch_number, r->cfg.grace_batches) : UINT64_MAX;
    r->epoch++;
    r->epoch_start_batch = batch_number;
    r->epoch_start_ms = now_ms;
    r->emergency_pending = false;
}

aegis_err aegis_rotation_check_epoch(const aegis_rotation *r, uint64_t env_epoch, uint64_t batch_number,
                                     uint64_t now_ms, char *msg, size_t cap)
{
    if (env_epoch == r->epoch)
        return AEGIS_OK;
    if (r->has_prev && env_epoch == r->prev_epoch) {
        if (now_ms < r->grace_until_ms && batch_number < r->grace_until_batch)
            return AEGIS_OK;
        if (msg && cap)
            snprintf(msg, cap, "envelope is for key epoch %" PRIu64 ", whose grace window ended at %" PRIu64
                     " ms%s; the current key epoch is %" PRIu64 ": fetch the new key with aegis_getEncryptionKey",
                     env_epoch, r->grace_until_ms, now_ms < r->grace_until_ms ? " (batch limit)" : "", r->epoch);
        return AEGIS_ERR_RISK_EPOCH_EXPIRED;
    }
    if (msg && cap)
        snprintf(msg, cap, "envelope is for key epoch %" PRIu64 ", which is not accepted; the current key "
                 "epoch is %" PRIu64, env_epoch, r->epoch);
    return AEGIS_ERR_RISK_EPOCH_UNKNOWN;
}
