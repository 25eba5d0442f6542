/*
 * aegis/tee.h - the TEE backend interface: randomness, sealing-key
 * derivation, quotes and measurements from whichever trusted execution
 * environment Aegis runs in.
 *
 * Backends (src/tee/, registry in tee.c): "sim" (software only, INSECURE,
 * for development and tests), and - when built in - "tdx" (configfs-tsm) and
 * "dstack" (Phala's guest agent). See docs/internals/tee.md.
 *
 * An aegis_tee is one opened backend instance. All operations on one
 * instance are thread-safe unless a backend documents otherwise (sim is).
 */
#ifndef AEGIS_TEE_H
#define AEGIS_TEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

#define AEGIS_TEE_REPORT_DATA_BYTES  64
#define AEGIS_TEE_MEASUREMENT_BYTES  48   /* SHA-384 sized, like MRTD / RTMRs */
#define AEGIS_TEE_KEY_BYTES          32

/* Backend capability flags. */
#define AEGIS_TEE_FLAG_INSECURE  0x1u   /* no hardware protection: never for production */

typedef struct aegis_tee aegis_tee;

/* One configuration entry, e.g. {"data_dir", "/var/lib/aegis"}. Unknown
 * keys are refused by the backend (AEGIS_ERR_INVAL). */
typedef struct aegis_tee_option {
    const char *key;
    const char *value;
} aegis_tee_option;

/* Receives one info entry; key and value are valid only during the call. */
typedef void (*aegis_tee_info_fn)(void *arg, const char *key, const char *value);

/* Open backend `name` with the given options. *ret is owned by the caller
 * (aegis_tee_free). Errors: AEGIS_ERR_NOT_FOUND (no such backend in this
 * build), AEGIS_ERR_INVAL (bad option), backend-specific init errors. */
aegis_err aegis_tee_open(const char *name, const aegis_tee_option *opts, size_t n_opts,
                         aegis_tee **ret) AEGIS_WUR;
/* Wipes the backend's state and frees it. Accepts NULL. If this instance's
 * random source is installed, the default source is restored first. */
void aegis_tee_free(aegis_tee *tee);

/* NULL-terminated list of backend names compiled into this build (static). */
const char *const *aegis_tee_backend_names(void);

const char *aegis_tee_name(const aegis_tee *tee);
bool aegis_tee_is_insecure(const aegis_tee *tee);

/* n random bytes from the TEE's source. */
aegis_err aegis_tee_random(aegis_tee *tee, uint8_t *out, size_t n) AEGIS_WUR;
/* A 32-byte key bound to this TEE (and, for hardware backends, its
 * measurement) and to label. Same TEE + label -> same key. out is wiped on
 * failure. */
aegis_err aegis_tee_derive_key(aegis_tee *tee, const char *label,
                               uint8_t out[static AEGIS_TEE_KEY_BYTES]) AEGIS_WUR;
/* A quote binding report_data. *ret is a fresh buffer owned by the caller
 * (aegis_free). The format is the backend's (sim: docs/internals/tee.md). */
aegis_err aegis_tee_quote(aegis_tee *tee, const uint8_t report_data[static AEGIS_TEE_REPORT_DATA_BYTES],
                          uint8_t **ret, size_t *ret_len) AEGIS_WUR;
/* The same, plus the event log the TEE returned with the quote when it
 * gives one (dstack: GetQuote's event_log verbatim, already replayed to the
 * quote's RTMRs), else *ret_log = NULL. The log is NUL-terminated
 * (aegis_free). */
aegis_err aegis_tee_quote_eventlog(aegis_tee *tee, const uint8_t report_data[static AEGIS_TEE_REPORT_DATA_BYTES],
                                   uint8_t **ret, size_t *ret_len, char **ret_log, size_t *ret_log_len) AEGIS_WUR;
/* The measurement of the running code (48 bytes). */
aegis_err aegis_tee_measurement(aegis_tee *tee, uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES]) AEGIS_WUR;
/* Report key/value facts (all strings) for status output and logs: at least
 * "backend" and "security" ("hardware" or "INSECURE-SIMULATED"). */
void aegis_tee_info(aegis_tee *tee, aegis_tee_info_fn fn, void *arg);

/* Route aegis_random_bytes() (aegis/crypto.h) to this TEE's random source;
 * NULL restores OpenSSL's RAND. The tee must outlive the installation
 * (aegis_tee_free uninstalls it). Process-wide: call at startup. */
void aegis_tee_install_random(aegis_tee *tee);

/* ---- sim backend ----
 * Options: "data_dir" (required: holds sim-tee.secret, created 0600 with 32
 * random bytes on first use; refused if group/other can read it),
 * "config_text" (measured with the binary; default empty),
 * "binary" (the file measured; default /proc/self/exe). */
#define AEGIS_TEE_SIM_QUOTE_MAGIC  "AEGIS-SIM-QUOTE-V1"
#define AEGIS_TEE_SIM_QUOTE_BYTES  259

/* Verify a sim quote's signature against the P-256 key it carries and
 * return its measurement, report data and that key (65 bytes SEC1
 * uncompressed; any out pointer may be NULL). This proves nothing about
 * hardware: a sim quote is INSECURE by construction; callers must refuse it
 * unless explicitly allowed (aegis verify --allow-sim). Errors:
 * AEGIS_ERR_TRUNCATED / AEGIS_ERR_BAD_LENGTH (size), AEGIS_ERR_UNSUPPORTED
 * (magic), AEGIS_ERR_BAD_KEY (key not on the curve), AEGIS_ERR_BAD_SIG. */
aegis_err aegis_tee_sim_verify_quote(const uint8_t *quote, size_t len,
                                     uint8_t out_measurement[AEGIS_TEE_MEASUREMENT_BYTES],
                                     uint8_t out_report_data[AEGIS_TEE_REPORT_DATA_BYTES],
                                     uint8_t out_pubkey[65]) AEGIS_WUR;

#endif
