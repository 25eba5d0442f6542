/*
 * core_attest.h - batch attestation in the trusted core: the primary TEE and
 * the optional redundant backup (e.g. Phala dstack) attesting the same
 * report_data (src/core/core_attest.c; docs/internals/attestation-batches.md).
 */
#ifndef AEGIS_CORE_ATTEST_H
#define AEGIS_CORE_ATTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "aegis/chain.h"
#include "aegis/config.h"
#include "aegis/core.h"

/*
 * Open the backup TEE named by cfg->tee_backup ("" = none) into core->backup
 * and copy cfg->tee_require_backup and cfg->tee_on_primary_failure (both
 * need a backup: AEGIS_ERR_INVAL without one). Options given to the backend: data_dir
 * (a "backup-tee" subdirectory of data_dir, so a sim backup never shares the
 * primary's secret), configfs_root and socket from the config. Opening does
 * not contact the TEE (dstack connects per call), so an error here is a
 * configuration error (unknown backend, bad option) and is returned whatever
 * require_backup says. *detail (optional) receives static text.
 */
aegis_err aegis__core_attest_open_backup(aegis_core *core, const aegis_config *cfg,
                                         const char *data_dir, const char **detail) AEGIS_WUR;

/*
 * Attest with the primary into *primary and, when a backup is open, the same
 * report_data with the backup into *backup (left empty, backend "", when
 * there is no backup). Both quotes carry the attestation statement
 * (aegis/chain.h): backends, policy flags, and what happened to this value.
 * A failing backup: with require_backup the call fails (AEGIS_ERR_CORE_ATTEST,
 * nothing produced); otherwise the primary is asked again with a statement
 * that names no backup attestation, *backup stays empty,
 * core->degraded_batches is incremented and AEGIS_OK is returned (degraded).
 * A failing primary (core->primary_failed set until it attests again): the
 * call fails (halt), unless core->failover and tag is the batch tag: then
 * the backup attests alone (PRIMARY_FAILED) into *backup, *primary stays
 * empty, core->failover_batches is incremented. Call with the core's lock
 * held (the cut path). On failure both outputs are empty.
 */
aegis_err aegis__core_attest_pair(aegis_core *core, const char *tag, const uint8_t value[static 32],
                                  aegis_chain_attest *primary, aegis_chain_attest *backup) AEGIS_WUR;

/* True once a batch was produced without its backup attestation (a backup
 * is configured and failed at least once since start): /healthz answers 206.
 * Lock-free read, callable with or without the core's lock. */
bool aegis_core_is_degraded(aegis_core *core);
/* Batches produced without the backup attestation since start (metric). */
uint64_t aegis_core_degraded_batches(aegis_core *core);

/* ---- the published batch JSON (core_batch_json.c; declared here, the
 * cut's other internal header, until core_int.h takes it) ---- */

/* The compact JSON of cb, byte for byte json_dumps(aegis_chain_batch_to_json
 * (cb), JSON_COMPACT), in a buffer for aegis_free (NUL-terminated; length in
 * *ret_len). Written directly; falls back to jansson for a string it does
 * not write itself. AEGIS_ERR_NOMEM. */
aegis_err aegis__core_batch_json(const aegis_chain_batch *cb, char **ret, size_t *ret_len) AEGIS_WUR;

#endif
