/* core_attest.c - batch and key-set attestation by the primary TEE and the
 * optional redundant backup (docs/internals/attestation-batches.md). */
#include <stdio.h>
#include <string.h>

#include "core_attest.h"
#include "core_int.h"

/* The statement every quote of this core carries (aegis/chain.h): which
 * backends, under which policy, and what happened to this value. */
static void statement(const aegis_core *core, uint8_t flags, aegis_chain_statement *st)
{
    memset(st, 0, sizeof(*st));
    st->version = AEGIS_CHAIN_STMT_VERSION;
    snprintf(st->primary, sizeof(st->primary), "%s", aegis_tee_name(core->tee));
    if (core->backup)
        snprintf(st->backup, sizeof(st->backup), "%s", aegis_tee_name(core->backup));
    st->flags = flags;
    if (core->backup && core->require_backup)
        st->flags |= AEGIS_CHAIN_STMT_BACKUP_REQUIRED;
    if (core->backup && core->failover)
        st->flags |= AEGIS_CHAIN_STMT_FAILOVER;
}

/* st NULL: no statement (checkpoint records). */
static aegis_err attest_with(aegis_tee *tee, const char *tag, const uint8_t value[static 32],
                             const aegis_chain_statement *st, aegis_chain_attest *out)
{
    memset(out, 0, sizeof(*out));
    if (st) {
        if (aegis_chain_report_data_stmt(out->report_data, tag, value, st) != AEGIS_OK)
            return AEGIS_ERR_CORE_ATTEST;
    } else {
        aegis_chain_report_data(out->report_data, tag, value);
    }
    aegis_err err = aegis_tee_quote_eventlog(tee, out->report_data, &out->quote, &out->quote_len, &out->event_log,
                                             &out->event_log_len);
    if (err) {
        memset(out, 0, sizeof(*out));
        return AEGIS_ERR_CORE_ATTEST;
    }
    snprintf(out->backend, sizeof(out->backend), "%s", aegis_tee_name(tee));
    snprintf(out->mode, sizeof(out->mode), "%s",
             strcmp(tag, AEGIS_CHAIN_TAG_BATCH) == 0 ? "per-batch" : "key-binding");
    out->insecure = aegis_tee_is_insecure(tee);
    return AEGIS_OK;
}

static void note_primary(aegis_core *core, bool failed)
{
    __atomic_store_n(&core->primary_failed, failed, __ATOMIC_RELAXED);
}

/* Checkpoint records carry one attestation and no statement: the primary's,
 * or under failover the backup's (its record names its backend). */
aegis_err aegis__core_attest(aegis_core *core, const char *tag, const uint8_t value[static 32],
                             aegis_chain_attest *out)
{
    aegis_err err = attest_with(core->tee, tag, value, NULL, out);
    note_primary(core, err != AEGIS_OK);
    if (err && core->failover && core->backup)
        err = attest_with(core->backup, tag, value, NULL, out);
    return err;
}

aegis_err aegis__core_attest_open_backup(aegis_core *core, const aegis_config *cfg,
                                         const char *data_dir, const char **detail)
{
    const char *d = NULL;
    aegis_err err = AEGIS_OK;
    char dir[4096];
    core->require_backup = cfg->tee_require_backup;
    core->failover = cfg->tee_on_primary_failure && strcmp(cfg->tee_on_primary_failure, "backup") == 0;
    if (!cfg->tee_backup || !cfg->tee_backup[0]) {
        if (core->require_backup || core->failover) {
            d = core->failover ? "tee.on_primary_failure = \"backup\" but no tee.backup is configured"
                               : "tee.require_backup is set but no tee.backup is configured";
            err = AEGIS_ERR_INVAL;
        }
        goto out;
    }
    if (cfg->tee_primary && strcmp(cfg->tee_primary, cfg->tee_backup) == 0 && strcmp(cfg->tee_primary, "sim") != 0) {
        d = "tee.backup must differ from tee.primary";
        err = AEGIS_ERR_INVAL;
        goto out;
    }
    if (snprintf(dir, sizeof(dir), "%s/backup-tee", data_dir ? data_dir : ".") >= (int)sizeof(dir)) {
        d = "data dir path too long";
        err = AEGIS_ERR_INVAL;
        goto out;
    }
    /* Each backend takes only the options it knows (core.c). */
    aegis_tee_option opts[2];
    size_t n = aegis__core_tee_options(cfg->tee_backup, cfg, dir, opts);
    err = aegis_tee_open(cfg->tee_backup, opts, n, &core->backup);
    if (err)
        d = err == AEGIS_ERR_NOT_FOUND ? "tee.backup names a backend not built in"
                                       : "cannot open the backup TEE backend";
out:
    if (err && detail)
        *detail = d;
    return err;
}

/*
 * The pair, and the statement both quotes carry:
 *   both attest            -> BACKUP_ATTESTED in both;
 *   backup fails, optional -> the primary is asked again with a statement
 *                             that names no backup attestation (degraded);
 *   primary fails          -> halt (fail), or with tee.on_primary_failure =
 *                             "backup" on a batch, the backup attests alone
 *                             with PRIMARY_FAILED (failover).
 * A quote is asked for at most three times; the usual path asks twice.
 * Key-set attestations never fail over: a key set is trusted through the
 * primary's measurement, and starting or rotating keys without it waits.
 */
aegis_err aegis__core_attest_pair(aegis_core *core, const char *tag, const uint8_t value[static 32],
                                  aegis_chain_attest *primary, aegis_chain_attest *backup)
{
    aegis_chain_statement st;
    memset(backup, 0, sizeof(*backup));
    statement(core, core->backup ? AEGIS_CHAIN_STMT_BACKUP_ATTESTED : 0, &st);
    aegis_err err = attest_with(core->tee, tag, value, &st, primary);
    note_primary(core, err != AEGIS_OK);
    if (err) {
        if (!core->failover || !core->backup || strcmp(tag, AEGIS_CHAIN_TAG_BATCH) != 0)
            return err;
        statement(core, AEGIS_CHAIN_STMT_BACKUP_ATTESTED | AEGIS_CHAIN_STMT_PRIMARY_FAILED, &st);
        err = attest_with(core->backup, tag, value, &st, backup);
        if (err == AEGIS_OK)
            __atomic_add_fetch(&core->failover_batches, 1, __ATOMIC_RELAXED);
        return err;
    }
    if (!core->backup)
        return AEGIS_OK;
    err = attest_with(core->backup, tag, value, &st, backup);
    if (err == AEGIS_OK)
        return AEGIS_OK;
    aegis_chain_attest_clear(primary);
    if (core->require_backup)
        return AEGIS_ERR_CORE_ATTEST;
    statement(core, 0, &st);
    err = attest_with(core->tee, tag, value, &st, primary);
    note_primary(core, err != AEGIS_OK);
    if (err)
        return err;
    __atomic_add_fetch(&core->degraded_batches, 1, __ATOMIC_RELAXED);
    return AEGIS_OK;
}

bool aegis_core_is_degraded(aegis_core *core)
{
    return __atomic_load_n(&core->degraded_batches, __ATOMIC_RELAXED) > 0;
}

uint64_t aegis_core_degraded_batches(aegis_core *core)
{
    return __atomic_load_n(&core->degraded_batches, __ATOMIC_RELAXED);
}

bool aegis_core_primary_failed(aegis_core *core)
{
    return __atomic_load_n(&core->primary_failed, __ATOMIC_RELAXED);
}

uint64_t aegis_core_failover_batches(aegis_core *core)
{
    return __atomic_load_n(&core->failover_batches, __ATOMIC_RELAXED);
}
