/*
 * chain_pair.c - cross-validation of a batch's attestation pair against the
 * statement its quotes carry and against what the verifier requires
 * (aegis/chain.h aegis_chain_verify_pair; docs/internals/attestation-batches.md).
 *
 * Each record has already been verified on its own (its quote binds its
 * report_data, its platform's policy accepts it). What is left is the
 * question a host could otherwise answer by deleting a record: which
 * attestations was this batch cut with? The statement in the quotes says,
 * and the records present must be exactly those.
 */
#include <stdio.h>
#include <string.h>

#include "aegis/chain.h"

#define FAIL(code, text)  \
    do {                  \
        *why = (text);    \
        return (code);    \
    } while (0)

aegis_err aegis_chain_verify_pair(const aegis_chain_attest *primary, const aegis_chain_attest *backup,
                                  const aegis_chain_verify_opts *opts, aegis_chain_statement *ret_st,
                                  const char **why)
{
    const aegis_chain_attest *p = primary->backend[0] ? primary : NULL;
    const aegis_chain_attest *b = backup->backend[0] ? backup : NULL;
    aegis_chain_statement st;
    if (!p && !b)
        FAIL(AEGIS_ERR_CHAIN_ATTEST, "batch carries no attestation");
    if (p && b && !aegis_ct_eq(p->report_data, b->report_data, 64))
        FAIL(AEGIS_ERR_CHAIN_ATTEST, "primary and backup attestations bind different values");
    if (aegis_chain_statement_decode((p ? p : b)->report_data, &st) != AEGIS_OK)
        FAIL(AEGIS_ERR_CHAIN_ATTEST, "attestation statement malformed");
    if (ret_st)
        *ret_st = st;

    if (st.version == 0) {
        /* records from before statements: a primary, the backup optional */
        if (!p)
            FAIL(AEGIS_ERR_CHAIN_ATTEST, "batch carries no primary attestation");
        if (opts->require_backup && !b)
            FAIL(AEGIS_ERR_CHAIN_ATTEST_REQUIRED,
                 "no backup attestation (the batch states no attestation policy) and the verifier requires one");
        return AEGIS_OK;
    }
    if (st.flags & AEGIS_CHAIN_STMT_PRIMARY_FAILED) {
        if (!(st.flags & AEGIS_CHAIN_STMT_FAILOVER) || !(st.flags & AEGIS_CHAIN_STMT_BACKUP_ATTESTED))
            FAIL(AEGIS_ERR_CHAIN_ATTEST, "attestation statement malformed (failover without a backup attestation)");
        if (p)
            FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT,
                 "a primary attestation on a batch whose quotes say the primary TEE had failed");
        if (!b || strcmp(b->backend, st.backup) != 0)
            FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT,
                 "the backup attestation the batch's quotes name is missing or from another backend");
        if (opts->require_primary)
            FAIL(AEGIS_ERR_CHAIN_ATTEST_REQUIRED,
                 "batch attested by the backup TEE alone (primary failover) and the verifier requires the primary");
        return AEGIS_OK;
    }
    if (!p)
        FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT,
             "the primary attestation the batch's quotes name is missing");
    if (strcmp(p->backend, st.primary) != 0)
        FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT, "primary record's backend differs from the one its quote names");
    if (st.flags & AEGIS_CHAIN_STMT_BACKUP_ATTESTED) {
        if (!b)
            FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT,
                 "the batch was cut with a backup attestation that is missing (removed)");
        if (strcmp(b->backend, st.backup) != 0)
            FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT, "backup record's backend differs from the one its quote names");
        return AEGIS_OK;
    }
    if (b)
        FAIL(AEGIS_ERR_CHAIN_ATTEST_STATEMENT, "a backup attestation on a batch whose quotes say none attested");
    if (st.flags & AEGIS_CHAIN_STMT_BACKUP_REQUIRED)
        FAIL(AEGIS_ERR_CHAIN_ATTEST, "attestation statement malformed (backup required but not attested)");
    if (opts->require_backup)
        FAIL(AEGIS_ERR_CHAIN_ATTEST_REQUIRED,
             st.backup[0] ? "batch cut without its backup attestation (the backup TEE failed: degraded) and the "
                            "verifier requires one"
                          : "batch cut with no backup TEE configured and the verifier requires a backup attestation");
    return AEGIS_OK;
}
