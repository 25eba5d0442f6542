/*
 * aegis/attest.h - Intel DCAP quote parsing and verification (SGX and TDX),
 * collateral (files, directories, a cache, pluggable providers), the
 * acceptance policy and dstack event-log replay.
 *
 * Verification is a pure function of (quote, collateral, pinned Intel SGX
 * Root CA, verification time): the wall clock is never read. Procedure,
 * byte layouts and the status rules: docs/internals/attestation.md.
 *
 * Errors: aegis_err codes from err/tee.def (500-559), plus NOMEM/INVAL/IO.
 * Every function that can fail takes an optional `const char **reterr_msg`
 * that receives static detail text.
 *
 * Thread-safety: parsed quotes, results and policies are plain data. An
 * aegis_collateral is immutable after loading and may be shared by threads
 * (reference counted). aegis_collateral_cache is internally locked.
 */
#ifndef AEGIS_ATTEST_H
#define AEGIS_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/util.h"

/* ------------------------------------------------------------------ */
/* Quote                                                               */
/* ------------------------------------------------------------------ */

#define AEGIS_QUOTE_TEE_SGX 0x00000000u
#define AEGIS_QUOTE_TEE_TDX 0x00000081u
#define AEGIS_QUOTE_MAX_BYTES (64u * 1024u) /* a larger input is refused */

typedef enum aegis_quote_body_type {
    AEGIS_QUOTE_BODY_SGX = 1,  /* SGX enclave report, 384 bytes */
    AEGIS_QUOTE_BODY_TD10 = 2, /* TD report 1.0, 584 bytes */
    AEGIS_QUOTE_BODY_TD15 = 3, /* TD report 1.5, 648 bytes */
} aegis_quote_body_type;

/* SGX enclave report (also the layout of the QE report). */
typedef struct aegis_sgx_report {
    uint8_t cpu_svn[16];
    uint32_t misc_select;
    uint8_t attributes[16];
    uint8_t mr_enclave[32];
    uint8_t mr_signer[32];
    uint16_t isv_prod_id;
    uint16_t isv_svn;
    uint8_t report_data[64];
} aegis_sgx_report;

/* TD report 1.0 / 1.5 (tee_tcb_svn2 and mr_service_td are zero for 1.0). */
typedef struct aegis_td_report {
    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[48];
    uint8_t mr_signer_seam[48];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8];
    uint8_t xfam[8];
    uint8_t mr_td[48];
    uint8_t mr_config_id[48];
    uint8_t mr_owner[48];
    uint8_t mr_owner_config[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    uint8_t tee_tcb_svn2[16];
    uint8_t mr_service_td[48];
} aegis_td_report;

/*
 * A parsed quote. The pointer members borrow from the buffer given to
 * aegis_quote_parse() and are valid while that buffer is.
 */
typedef struct aegis_quote {
    /* header */
    uint16_t version;          /* 3, 4 or 5 */
    uint16_t att_key_type;     /* 2 = ECDSA P-256 */
    uint32_t tee_type;         /* AEGIS_QUOTE_TEE_SGX / _TDX */
    uint16_t qe_svn, pce_svn;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    /* body */
    aegis_quote_body_type body_type;
    uint32_t body_size;
    aegis_sgx_report sgx;      /* valid when body_type == SGX */
    aegis_td_report td;        /* valid when body_type == TD10/TD15 */
    const uint8_t *signed_data; /* header (+ v5 descriptor) + body */
    size_t signed_len;
    /* signature data */
    uint8_t signature[64];     /* r || s over signed_data */
    uint8_t attest_key[64];    /* X || Y */
    uint8_t qe_report_raw[384];
    aegis_sgx_report qe_report;
    uint8_t qe_report_sig[64];
    const uint8_t *qe_auth_data;
    size_t qe_auth_len;
    uint16_t cert_type;        /* 5 = PEM PCK chain (the only one verifiable offline) */
    const uint8_t *cert_data;
    size_t cert_len;
    size_t parsed_len;         /* bytes used; the rest must be zero padding */
} aegis_quote;

/*
 * Parse a quote (v3 SGX, v4 SGX/TDX, v5 TDX/SGX) with strict bounds checks.
 * Trailing zero bytes after the signature data are accepted; anything else
 * is AEGIS_ERR_QUOTE_MALFORMED. Header problems: AEGIS_ERR_QUOTE_UNSUPPORTED
 * (version, key type, TEE type, body type) or AEGIS_ERR_QUOTE_HEADER (QE
 * vendor id). Does not verify anything cryptographically. *ret is written only
 * on success and borrows from buf.
 */
aegis_err aegis_quote_parse(const uint8_t *buf, size_t len, aegis_quote *ret,
                            const char **reterr_msg) AEGIS_WUR;

/* "SGX" or "TDX". */
const char *aegis_quote_tee_name(const aegis_quote *q);

/* ------------------------------------------------------------------ */
/* TCB status                                                          */
/* ------------------------------------------------------------------ */

typedef enum aegis_tcb_status {
    AEGIS_TCB_UP_TO_DATE = 0,
    AEGIS_TCB_SW_HARDENING_NEEDED,
    AEGIS_TCB_CONFIGURATION_NEEDED,
    AEGIS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    AEGIS_TCB_OUT_OF_DATE,
    AEGIS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    AEGIS_TCB_REVOKED,
    AEGIS_TCB_NOT_SUPPORTED, /* no TCB level matched */
    AEGIS_TCB_UNKNOWN,       /* verification stopped before TCB evaluation */
    AEGIS_TCB__COUNT
} aegis_tcb_status;

/* Intel's name ("UpToDate", ..., "Revoked", "TCBNotSupported", "Unknown"). */
const char *aegis_tcb_status_name(aegis_tcb_status s);
/* Parse an Intel status name; AEGIS_ERR_INVAL if unknown. */
aegis_err aegis_tcb_status_parse(const char *name, aegis_tcb_status *ret) AEGIS_WUR;

/* ------------------------------------------------------------------ */
/* Collateral                                                          */
/* ------------------------------------------------------------------ */

/* One consistent collateral set (dcap-qvl QuoteCollateralV3 JSON form). */
typedef struct aegis_collateral aegis_collateral;

/*
 * Load collateral from its JSON text (keys pck_crl_issuer_chain, root_ca_crl,
 * pck_crl, tcb_info_issuer_chain, tcb_info, tcb_info_signature,
 * qe_identity_issuer_chain, qe_identity, qe_identity_signature; the CRLs as
 * hex DER, signatures as hex r||s). Parses everything, and verifies once the
 * time-independent parts (TCB signing chain and CRL signatures against the
 * pinned root, TCB info and QE identity signatures); the outcome is kept and
 * reported by every later verification, while all validity windows are
 * checked per verification at its own time. Returns a new reference.
 * Errors: AEGIS_ERR_COLLATERAL_MALFORMED, AEGIS_ERR_CRL, AEGIS_ERR_TCB_INFO_MALFORMED,
 * AEGIS_ERR_QE_IDENTITY_MALFORMED, AEGIS_ERR_NOMEM.
 */
aegis_err aegis_collateral_load_json(const char *json, size_t len, aegis_collateral **ret,
                                     const char **reterr_msg) AEGIS_WUR;
/* Same, from a file (at most 1 MiB). */
aegis_err aegis_collateral_load_file(const char *path, aegis_collateral **ret,
                                     const char **reterr_msg) AEGIS_WUR;
/* Reference counting (thread-safe). unref accepts NULL. */
aegis_collateral *aegis_collateral_ref(aegis_collateral *c);
void aegis_collateral_unref(aegis_collateral *c);

/* Identity of a collateral set: TEE type ("SGX"/"TDX"), FMSPC, PCK CA type
 * ("platform"/"processor"), and [from, until) = the intersection of all its
 * validity periods (Unix seconds). */
typedef struct aegis_collateral_info {
    uint32_t tee_type;
    uint8_t fmspc[6];
    char ca[16];
    int64_t valid_from;
    int64_t valid_until;
    int tcb_eval_number;
} aegis_collateral_info;
void aegis_collateral_get_info(const aegis_collateral *c, aegis_collateral_info *ret);

/*
 * A collateral provider: where collateral comes from (files, a directory, a
 * PCCS later). `get` is required and returns a new reference for the TEE type,
 * FMSPC and CA ("platform"/"processor"), or AEGIS_ERR_COLLATERAL_NOT_FOUND.
 * `destroy` is optional. A PCCS fetcher implements `get` with HTTP calls.
 */
struct aegis_collateral_provider_ops {
    const char *name;
    aegis_err (*get)(void *ctx, uint32_t tee_type, const uint8_t fmspc[6], const char *ca,
                     aegis_collateral **ret, const char **reterr_msg);
    void (*destroy)(void *ctx);
};
typedef struct aegis_collateral_provider {
    const struct aegis_collateral_provider_ops *ops;
    void *ctx;
} aegis_collateral_provider;

/*
 * Provider over a path: a single collateral JSON file, or a directory whose
 * *.json files and <subdir>/collateral.json files are collateral sets (other
 * JSON files are skipped). Everything is loaded at creation; for a key with
 * several sets the one with the newest TCB evaluation number wins.
 */
aegis_err aegis_collateral_provider_path(const char *path, aegis_collateral_provider *ret,
                                         const char **reterr_msg) AEGIS_WUR;
/* Destroy a provider (calls ops->destroy). Accepts a zeroed struct. */
void aegis_collateral_provider_clear(aegis_collateral_provider *p);

/*
 * A cache keyed by (TEE type, FMSPC, CA) in front of a provider. get returns
 * a new reference; a cached set whose validity window does not contain `now`
 * is fetched again from the provider (the stale one is kept if the provider
 * has nothing newer, and verification then reports the expiry).
 * The cache borrows the provider, which must outlive it.
 */
typedef struct aegis_collateral_cache aegis_collateral_cache;
aegis_err aegis_collateral_cache_new(const aegis_collateral_provider *p,
                                     aegis_collateral_cache **ret) AEGIS_WUR;
void aegis_collateral_cache_free(aegis_collateral_cache *c);
aegis_err aegis_collateral_cache_get(aegis_collateral_cache *c, uint32_t tee_type,
                                     const uint8_t fmspc[6], const char *ca, int64_t now,
                                     aegis_collateral **ret, const char **reterr_msg) AEGIS_WUR;

/* ------------------------------------------------------------------ */
/* Verification                                                        */
/* ------------------------------------------------------------------ */

#define AEGIS_ATTEST_MAX_ADVISORIES 32
#define AEGIS_ATTEST_ADVISORY_LEN 32

/* Values read from the PCK leaf certificate's SGX extension. */
typedef struct aegis_pck_info {
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint8_t cpusvn[16];
    uint16_t pcesvn;
    uint8_t ppid[16];
    char ca[16]; /* "platform" or "processor" */
} aegis_pck_info;

/*
 * Extract the PCK info from a parsed quote's certification data (no chain
 * verification). AEGIS_ERR_PCK_CHAIN if the PEM chain cannot be parsed,
 * AEGIS_ERR_PCK_EXTENSION if the extension is bad, AEGIS_ERR_UNSUPPORTED for
 * cert types other than 5.
 */
aegis_err aegis_quote_pck_info(const aegis_quote *q, aegis_pck_info *ret,
                               const char **reterr_msg) AEGIS_WUR;

typedef struct aegis_attest_result {
    bool verified;              /* every check passed and the TCB is not Revoked */
    aegis_err err;              /* AEGIS_OK or the first failed check */
    const char *err_msg;        /* static detail text */
    aegis_quote quote;          /* parsed quote (borrows the input buffer) */
    bool quote_parsed;
    aegis_pck_info pck;
    bool pck_parsed;
    aegis_tcb_status tcb_status;      /* converged */
    aegis_tcb_status platform_status;
    aegis_tcb_status qe_status;
    aegis_tcb_status module_status;   /* TDX; UNKNOWN for SGX */
    size_t n_advisories;
    char advisory_ids[AEGIS_ATTEST_MAX_ADVISORIES][AEGIS_ATTEST_ADVISORY_LEN];
    int64_t verified_at;
    int64_t collateral_until;   /* first expiry among the collateral parts */
} aegis_attest_result;

/*
 * Verify a quote against a collateral set at Unix time `now`, following
 * Intel's DCAP procedure (docs/internals/attestation.md). Fills *res in all
 * cases (res->err/err_msg say what failed) and returns res->err. The caller's
 * acceptance rules (statuses, measurements, debug) are applied separately by
 * aegis_attest_policy_check().
 */
aegis_err aegis_attest_verify(const uint8_t *quote, size_t quote_len, const aegis_collateral *coll,
                              int64_t now, aegis_attest_result *res);

/* Same, with the collateral looked up in a cache by the PCK FMSPC and CA. */
aegis_err aegis_attest_verify_cached(const uint8_t *quote, size_t quote_len,
                                     aegis_collateral_cache *cache, int64_t now,
                                     aegis_attest_result *res);

/* The Intel SGX Root CA the verifier pins (DER). */
const uint8_t *aegis_attest_intel_root_der(size_t *ret_len);

/* ------------------------------------------------------------------ */
/* dstack event log                                                    */
/* ------------------------------------------------------------------ */

#define AEGIS_EVENTLOG_MAX_EVENTS 1024

typedef struct aegis_eventlog_event {
    uint32_t imr;
    uint32_t event_type;
    uint8_t digest[48];   /* recomputed for dstack runtime events */
    char *name;
    uint8_t *payload;
    size_t payload_len;
} aegis_eventlog_event;

typedef struct aegis_eventlog {
    aegis_eventlog_event *events;
    size_t n_events;
    uint8_t rtmr[4][48];  /* replayed */
} aegis_eventlog;

/*
 * Parse a dstack event log (a JSON array of {imr, event_type, digest, event,
 * event_payload}), or a GetQuote response object holding it in "event_log",
 * and replay RTMR0-3 (SHA-384 extend from zero). Digests of dstack runtime
 * events (type 0x08000001) are recomputed from name and payload; a supplied
 * digest that disagrees is AEGIS_ERR_EVENTLOG_MALFORMED. On success *ret owns
 * its memory; free with aegis_eventlog_clear().
 */
aegis_err aegis_eventlog_parse(const char *json, size_t len, aegis_eventlog *ret,
                               const char **reterr_msg) AEGIS_WUR;
void aegis_eventlog_clear(aegis_eventlog *log);
/* AEGIS_ERR_EVENTLOG_MISMATCH unless every replayed RTMR equals the quote's. */
aegis_err aegis_eventlog_check(const aegis_eventlog *log, const aegis_td_report *td,
                               const char **reterr_msg) AEGIS_WUR;
/* The payload of the last runtime event called `name` (e.g. "app-id",
 * "compose-hash"); NULL if absent. Borrowed from log. */
const aegis_eventlog_event *aegis_eventlog_find(const aegis_eventlog *log, const char *name);

/* ------------------------------------------------------------------ */
/* Policy                                                              */
/* ------------------------------------------------------------------ */

#define AEGIS_POLICY_MAX_VALUES 16
#define AEGIS_POLICY_MAX_IMAGES 8

/* An allow-list of byte strings of one length; n == 0 means "any". */
typedef struct aegis_policy_list {
    size_t n;
    uint8_t v[AEGIS_POLICY_MAX_VALUES][48];
} aegis_policy_list;

typedef struct aegis_attest_policy {
    bool accept_status[AEGIS_TCB__COUNT]; /* indexed by aegis_tcb_status */
    bool allow_debug;
    bool allow_service_td;
    /* TDX */
    aegis_policy_list mrtd;        /* 48-byte values */
    aegis_policy_list rtmr[4];
    /* SGX */
    aegis_policy_list mrenclave;   /* 32-byte values */
    aegis_policy_list mrsigner;
    bool check_isv_prod_id;
    uint16_t isv_prod_id;
    uint16_t min_isv_svn;
    /* report_data */
    bool check_report_data;
    uint8_t report_data[64];
    /* dstack (needs an event log) */
    aegis_policy_list app_id;      /* 20-byte values */
    aegis_policy_list compose_hash;/* 32-byte values */
    /* OS image (TDX): allowed (MRTD, RTMR0, RTMR1, RTMR2) tuples, the boot
     * measurements an image (e.g. a dstack OS release) determines; all four
     * must match one entry. n == 0 means any. */
    size_t n_os_image;
    struct aegis_policy_os_image {
        uint8_t mrtd[48];
        uint8_t rtmr[3][48];
    } os_image[AEGIS_POLICY_MAX_IMAGES];
} aegis_attest_policy;

/* Defaults: accept UpToDate, SWHardeningNeeded, ConfigurationNeeded and
 * ConfigurationAndSWHardeningNeeded; refuse debug and MRSERVICETD; no lists. */
void aegis_attest_policy_init(aegis_attest_policy *p);

/*
 * Load a policy from JSON (see docs/internals/attestation.md for keys):
 *   {"accept_tcb_status": ["UpToDate", ...], "allow_debug": false,
 *    "allow_service_td": false, "mrtd": ["hex", ...], "rtmr0".."rtmr3": [...],
 *    "mrenclave": [...], "mrsigner": [...], "isv_prod_id": 0, "min_isv_svn": 0,
 *    "report_data": "hex", "app_id": [...], "compose_hash": [...],
 *    "os_image": [{"mrtd": "hex", "rtmr0": "hex", "rtmr1": "hex", "rtmr2": "hex"}, ...]}
 * Unknown keys are an error. AEGIS_ERR_POLICY_MALFORMED, AEGIS_ERR_IO.
 */
aegis_err aegis_attest_policy_load_json(const char *json, size_t len, aegis_attest_policy *ret,
                                        const char **reterr_msg) AEGIS_WUR;
aegis_err aegis_attest_policy_load_file(const char *path, aegis_attest_policy *ret,
                                        const char **reterr_msg) AEGIS_WUR;

/*
 * Apply a policy to a verified result (res->verified must be true, else its
 * error is returned). `log` is the replayed dstack event log or NULL; when
 * given it must match the quote's RTMRs; app_id/compose_hash lists need it.
 * Returns AEGIS_OK or an AEGIS_ERR_POLICY_* / AEGIS_ERR_EVENTLOG_* code.
 */
aegis_err aegis_attest_policy_check(const aegis_attest_policy *p, const aegis_attest_result *res,
                                    const aegis_eventlog *log, const char **reterr_msg) AEGIS_WUR;

#endif
