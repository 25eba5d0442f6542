/* core_attest.c - batch and key-set attestation by the primary TEE and the
 * optional redundant backup (docs/internals/attestation-batches.md). */
#include <stdio.h>
#include <string.h>

#include "core_attest.h"
#include "core_int.h"

static aegis_err attest_with(aegis_tee *tee, const char *tag, const uint8_t value[static 32],
                             aegis_chain_attest *out)
{
    memset(out, 0, sizeof(*out));
    aegis_chain_report_data(out->report_data, tag, value);
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

aegis_err aegis__core_attest(aegis_core *core, const char *tag, const uint8_t value[static 32],
                             aegis_chain_attest *out)
{
    return attest_with(core->tee, tag, value, out);
}

aegis_err aegis__core_attest_open_backup(aegis_core *core, const aegis_config *cfg,
                                         const char *data_dir, const char **detail)
{
    const char *d = NULL;
    aegis_err err = AEGIS_OK;
    char dir[4096];
    core->require_backup = cfg->tee_require_backup;
    if (!cfg->tee_backup || !cfg->tee_backup[0]) {
        if (core->require_backup) {
            d = "tee.require_backup is set but no tee.backup is configured";
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

aegis_err aegis__core_attest_pair(aegis_core *core, const char *tag, const uint8_t value[static 32],
                                  aegis_chain_attest *primary, aegis_chain_attest *backup)
{
    memset(backup, 0, sizeof(*backup));
    aegis_err err = attest_with(core->tee, tag, value, primary);
    if (err || !core->backup)
        return err;
    err = attest_with(core->backup, tag, value, backup);
    if (err == AEGIS_OK)
        return AEGIS_OK;
    if (core->require_backup) {
        aegis_chain_attest_clear(primary);
        return AEGIS_ERR_CORE_ATTEST;
    }
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
