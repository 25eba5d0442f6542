/*
 * tee_int.h - what a TEE backend implements (private to src/tee/).
 *
 * REGISTRATION: a backend is one file src/tee/tee_<name>.c that defines, at
 * the start of a line,
 *     const struct aegis_tee_ops aegis_tee_<name>_ops = { ... };
 * src/tee/module.cmake scans src/tee/tee_*.c for such lines and generates
 * tee_registry.h, which tee.c includes: adding a backend never edits tee.c.
 * "sim" is always listed first.
 *
 * The generic layer (tee.c) allocates ctx_size zeroed bytes for the
 * backend's state, calls init, and wipes + frees that state after free.
 */
#ifndef AEGIS_TEE_INT_H
#define AEGIS_TEE_INT_H

#include "aegis/tee.h"

struct aegis_tee_ops {
    const char *name;
    unsigned flags;                 /* AEGIS_TEE_FLAG_* */
    size_t ctx_size;                /* private state, allocated by tee.c */
    /* required: parse options, acquire resources. On failure the generic
     * layer still calls free (if set), so leave ctx consistent. */
    aegis_err (*init)(void *ctx, const aegis_tee_option *opts, size_t n_opts);
    /* optional (default: OpenSSL RAND_bytes). Must not call
     * aegis_random_bytes(): it may be installed as that hook. */
    aegis_err (*random)(void *ctx, uint8_t *out, size_t n);
    /* required */
    aegis_err (*derive_key)(void *ctx, const char *label, uint8_t out[static AEGIS_TEE_KEY_BYTES]);
    /* required: *ret allocated with aegis_malloc */
    aegis_err (*quote)(void *ctx, const uint8_t report_data[static AEGIS_TEE_REPORT_DATA_BYTES],
                       uint8_t **ret, size_t *ret_len);
    /* required */
    aegis_err (*measurement)(void *ctx, uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES]);
    /* optional: extra info entries after "backend" and "security" */
    void (*info)(void *ctx, aegis_tee_info_fn fn, void *arg);
    /* optional: release resources (the state itself is wiped by tee.c) */
    void (*free)(void *ctx);
    /* optional: quote as above, plus the event log the TEE returned with it
     * (dstack: GetQuote's "event_log" string verbatim, already replayed to
     * the quote's RTMRs; NUL-terminated, aegis_malloc'd), *ret_log NULL when
     * the TEE gave none. Backends without it: quote, no log. Published in
     * the attestation record (aegis_chain_attest.event_log, format 1.1). */
    aegis_err (*quote_eventlog)(void *ctx, const uint8_t report_data[static AEGIS_TEE_REPORT_DATA_BYTES],
                                uint8_t **ret, size_t *ret_len, char **ret_log, size_t *ret_log_len);
};

/* Option lookup helper for backends: the value of key, or NULL. */
const char *aegis__tee_option(const aegis_tee_option *opts, size_t n, const char *key);
/* True if every option key is in the NULL-terminated list `known`. */
bool aegis__tee_options_known(const aegis_tee_option *opts, size_t n, const char *const *known);

/* tee_measure.c: the MRTD of a quote over tag, learned once (tdx, dstack). */
#include <pthread.h>
struct aegis__tee_mrtd {
    pthread_mutex_t lock;
    bool have;
    uint8_t meas[AEGIS_TEE_MEASUREMENT_BYTES];
};
typedef aegis_err (*aegis__tee_quote_fn)(void *ctx, const uint8_t rd[static AEGIS_TEE_REPORT_DATA_BYTES],
                                         uint8_t **ret, size_t *ret_len);
aegis_err aegis__tee_mrtd_cached(struct aegis__tee_mrtd *m, aegis__tee_quote_fn quote, void *ctx, const char *tag,
                                 uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES]);

#endif
