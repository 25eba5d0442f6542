/*
 * attest_int.h - internals shared by the files of src/attest/ (not public).
 */
#ifndef AEGIS_ATTEST_INT_H
#define AEGIS_ATTEST_INT_H

#include <stdatomic.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "aegis/attest.h"

static inline uint16_t aegis__le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t aegis__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ---- x509.c: certificates, signatures, time ---- */

#define AEGIS__MAX_CHAIN 5

/* Parse a PEM chain (leaf first; trailing NUL/garbage after the last
 * certificate ignored). 1..AEGIS__MAX_CHAIN certificates, else error. */
aegis_err aegis__pem_chain(const void *pem, size_t len, STACK_OF(X509) **ret);
/* True if cert is byte-for-byte the pinned Intel SGX Root CA. */
bool aegis__is_pinned_root(X509 *cert);
/* A new store holding the pinned root and the given CRLs (may be NULL). */
X509_STORE *aegis__store_new(X509_CRL *root_crl, X509_CRL *pck_crl);
/* Verify chain[0] up to the pinned root with CRL checks on every
 * certificate. now < 0 skips all time checks (NO_CHECK_TIME). chain_code is
 * returned for chain failures not about time, CRLs or revocation. */
aegis_err aegis__verify_chain(X509_STORE *store, STACK_OF(X509) *chain, int64_t now,
                              aegis_err chain_code, const char **msg);
/* ECDSA P-256 / SHA-256 over msg with a raw r||s signature. */
bool aegis__ecdsa_verify(EVP_PKEY *key, const uint8_t *msg, size_t n, const uint8_t rs[64]);
/* EC P-256 public key from X||Y; NULL if not on the curve. */
EVP_PKEY *aegis__p256_key(const uint8_t xy[64]);
/* ASN1_TIME / "YYYY-MM-DDTHH:MM:SSZ" to Unix seconds. */
bool aegis__asn1_time(const ASN1_TIME *t, int64_t *ret);
bool aegis__iso8601(const char *s, int64_t *ret);
/* The SGX extension of a PCK leaf certificate (plus CA type from its issuer). */
aegis_err aegis__pck_ext(X509 *leaf, aegis_pck_info *ret, const char **msg);

/* ---- tcbinfo.c: TCB info and QE identity JSON ---- */

typedef struct aegis__advisories {
    size_t n;
    char id[AEGIS_ATTEST_MAX_ADVISORIES][AEGIS_ATTEST_ADVISORY_LEN];
} aegis__advisories;

typedef struct aegis__tcb_level {
    uint8_t sgx_svn[16];
    uint16_t pcesvn;
    uint8_t tdx_svn[16];
    aegis_tcb_status status;
    aegis__advisories adv;
} aegis__tcb_level;

typedef struct aegis__isv_level {
    uint16_t isvsvn;
    aegis_tcb_status status;
    aegis__advisories adv;
} aegis__isv_level;

typedef struct aegis__module_identity {
    char id[16];
    uint8_t mrsigner[48];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    aegis__isv_level *levels;
    size_t n_levels;
} aegis__module_identity;

typedef struct aegis__tcb_info {
    uint32_t tee_type;
    int version;
    int64_t issue_date, next_update;
    uint8_t fmspc[6];
    uint8_t pceid[2];
    int eval_number;
    bool has_tdx_module;
    aegis__module_identity tdx_module;
    aegis__module_identity *modules;
    size_t n_modules;
    aegis__tcb_level *levels;   /* sorted as Intel does (descending) */
    size_t n_levels;
} aegis__tcb_info;

typedef struct aegis__qe_identity {
    uint32_t tee_type;          /* "QE" -> SGX, "TD_QE" -> TDX */
    int version;
    int64_t issue_date, next_update;
    int eval_number;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    aegis__isv_level *levels;   /* descending isvsvn */
    size_t n_levels;
} aegis__qe_identity;

aegis_err aegis__tcb_info_parse(const char *json, size_t len, aegis__tcb_info *ret, const char **msg);
void aegis__tcb_info_clear(aegis__tcb_info *t);
aegis_err aegis__qe_identity_parse(const char *json, size_t len, aegis__qe_identity *ret,
                                   const char **msg);
void aegis__qe_identity_clear(aegis__qe_identity *q);
/* Append the ids of src not yet in dst (order kept). */
aegis_err aegis__advisories_union(aegis__advisories *dst, const aegis__advisories *src);

/* ---- collateral.c ---- */

typedef struct aegis__window {
    int64_t from, until;        /* valid for from <= t < until */
    const char *what;
} aegis__window;

#define AEGIS__MAX_WINDOWS 12

struct aegis_collateral {
    atomic_int refs;
    aegis__tcb_info tcb;
    aegis__qe_identity qe;
    X509_STORE *store;          /* pinned root + root CA CRL + PCK CRL */
    char ca[16];                /* issuer of the PCK CRL: platform/processor */
    aegis__window win[AEGIS__MAX_WINDOWS];
    size_t n_win;
    int64_t valid_from, valid_until;
};

/* Check every validity window of c at now. */
aegis_err aegis__collateral_check_time(const aegis_collateral *c, int64_t now, const char **msg);

#endif
