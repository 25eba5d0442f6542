/*
 * aegis/error.h - the one error enum of Aegis and its message table.
 *
 * Codes are stable: they are only ever appended, and a retired code keeps
 * its number. Each module owns a range and a definition file under
 * include/aegis/err/<module>.def, one AEGIS_ERR_DEF(name, number, message)
 * per line. The JSON-RPC mapping lives in exactly one table in src/rpc/.
 *
 * Ranges: core 1-99, toml 100-149, config 150-199, store 200-249,
 * rpc 250-299, crypto 300-399, envelope 400-449, keys 450-499,
 * tee/attest 500-599, tx 600-699, mempool 700-749, order 750-799,
 * batch 800-849, verify 850-899, risk 900-949, assets 950-999,
 * migrate/checkpoint 1000-1049, cluster 1050-1099, pipeline 1100-1149.
 */
#ifndef AEGIS_ERROR_H
#define AEGIS_ERROR_H

typedef enum aegis_err {
    AEGIS_OK = 0,
#define AEGIS_ERR_DEF(name, num, msg) name = num,
#include "aegis/err/all.def"
#undef AEGIS_ERR_DEF
    AEGIS_ERR__FORCE_INT = 0x7fffffff
} aegis_err;

/* Static, human-readable text for an error code ("unknown error" for none). */
const char *aegis_strerror(aegis_err err);

/* Static symbolic name of the code, e.g. "AEGIS_ERR_NOMEM" (NULL if unknown). */
const char *aegis_err_name(aegis_err err);

#endif
