/* assets_int.h - shared internals of src/assets/ (not a public header). */
#ifndef AEGIS_ASSETS_INT_H
#define AEGIS_ASSETS_INT_H

#include <jansson.h>

#include "aegis/assets.h"
#include "aegis/json.h"

struct aegis__role {
    char name[AEGIS_ASSET_ROLE_MAX + 1];
    uint8_t (*m)[20];               /* sorted members */
    size_t n, cap;
};

struct aegis__account {
    uint8_t addr[20];
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES];
};

struct aegis_assets {
    bool enable_asset_protection;
    bool enable_migration;
    uint8_t (*mig)[20];             /* migration contracts */
    size_t n_mig;
    aegis_asset *v;                 /* sorted by id */
    size_t n, cap;
    struct aegis__role *roles;      /* sorted by name */
    size_t n_roles, cap_roles;
    struct aegis__account *acc;     /* sorted by address */
    size_t n_acc, cap_acc;
};

/* registry.c */
aegis_asset *aegis__assets_find(const aegis_assets *reg, const char *id);
bool aegis__policy_allows_sender(const aegis_assets *reg, const aegis_asset_policy *p, const uint8_t addr[20]);
bool aegis__is_migration_contract(const aegis_assets *reg, const uint8_t addr[20]);
/* Move the contents of src into dst (dst's old contents freed), src emptied. */
void aegis__assets_take(aegis_assets *dst, aegis_assets *src);
void aegis__assets_clear_contents(aegis_assets *reg);
bool aegis__name_is_valid(const char *s, size_t max);

/* json.c: canonical JSON (sorted keys, compact, integers only, minimal
 * escapes). AEGIS_ERR_BAD_JSON on reals or nesting deeper than 8. */
aegis_err aegis__json_canon(const json_t *v, aegis_buf *out);
/* Strict parse of text[0..len) into an object (duplicates rejected). */
aegis_err aegis__json_parse_object(const char *text, size_t len, json_t **ret);
aegis_err aegis__asset_to_jobj(const aegis_asset *a, json_t **ret);
aegis_err aegis__asset_from_jobj(const json_t *o, aegis_asset *ret);
aegis_err aegis__policy_from_jobj(const json_t *o, aegis_asset_policy *ret);
aegis_err aegis__addr_from_json(const json_t *v, uint8_t out[20]);
void aegis__addr_hex(char out[43], const uint8_t addr[20]);

/* audit.c: append a record (sig may be NULL for core events). */
aegis_err aegis__audit_append(aegis_audit *log, const aegis_assets *reg, const char *op,
                              const char *canon_params, const char *key_id, uint64_t req_seq,
                              uint64_t ts, const uint8_t *sig, size_t sig_len,
                              char **ret_line, size_t *ret_len);
/* admin.c: the signed message of a request (canonical JSON without sig). */
aegis_err aegis__admin_message(const char *op, const char *canon_params, const char *key_id,
                               uint64_t seq, uint64_t ts, aegis_buf *out);
const uint8_t *aegis__admin_key(const aegis_assets_admin *adm, const char *key_id);
/* Last sequence per key, for resume. */
void aegis__audit_last_seq(const aegis_audit *log, const char *key_id, uint64_t *ret);
size_t aegis__audit_n(const aegis_audit *log);
void aegis__audit_last_reg_hash(const aegis_audit *log, uint8_t out[32]);
const char *aegis__audit_key_id(const aegis_audit *log, size_t i, uint64_t *req_seq);

#endif
