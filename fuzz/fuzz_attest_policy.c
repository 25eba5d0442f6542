/* fuzz_attest_policy.c - what a verifier reads about attestation policy:
 * the policy file (aegis_chain_policy_load_json: flat, or sectioned per
 * platform with require_backup / require_primary and os_image tuples) and
 * the eight-byte attestation statement inside a quote's report_data
 * (aegis_chain_statement_decode), checked against the records present
 * (aegis_chain_verify_pair).
 *
 * Invariants checked:
 *   - a policy either loads (flat: one policy; sectioned: one per platform,
 *     the defaults where the file has no section) or fails with static text;
 *   - a statement that decodes re-encodes to exactly the same 8 bytes;
 *   - the pair check never accepts a pair whose records contradict the
 *     statement: a statement saying the backup attested with no backup
 *     record, or a failover statement with a primary record.
 * Seeds: fuzz/corpus/attest_policy/ (policy files; 64-byte report_data). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/attest.h"
#include "aegis/chain.h"

static void check_statement(const uint8_t rd[64])
{
    aegis_chain_statement st;
    if (aegis_chain_statement_decode(rd, &st) != AEGIS_OK)
        return;
    if (st.version) {
        uint8_t again[64];
        if (aegis_chain_report_data_stmt(again, AEGIS_CHAIN_TAG_BATCH, rd + 32, &st) != AEGIS_OK ||
            memcmp(again + AEGIS_CHAIN_STMT_OFF, rd + AEGIS_CHAIN_STMT_OFF, 8) != 0)
            abort();
    }
    /* records as a host could arrange them */
    aegis_chain_attest p, b, none;
    memset(&p, 0, sizeof(p));
    memset(&none, 0, sizeof(none));
    memcpy(p.report_data, rd, 64);
    snprintf(p.backend, sizeof(p.backend), "%s", st.primary[0] ? st.primary : "sim");
    b = p;
    snprintf(b.backend, sizeof(b.backend), "%s", st.backup[0] ? st.backup : "sim");
    aegis_chain_verify_opts opts = { 0 };
    const char *why = NULL;
    if (st.version && (st.flags & AEGIS_CHAIN_STMT_BACKUP_ATTESTED) &&
        !(st.flags & AEGIS_CHAIN_STMT_PRIMARY_FAILED) &&
        aegis_chain_verify_pair(&p, &none, &opts, NULL, &why) == AEGIS_OK)
        abort();   /* a removed backup must never pass */
    if (st.version && (st.flags & AEGIS_CHAIN_STMT_PRIMARY_FAILED) &&
        aegis_chain_verify_pair(&p, &b, &opts, NULL, &why) == AEGIS_OK)
        abort();   /* a primary record on a failover batch */
    why = NULL;
    if (aegis_chain_verify_pair(&p, &b, &opts, NULL, &why) != AEGIS_OK && !why)
        abort();
    why = NULL;
    if (aegis_chain_verify_pair(&none, &b, &opts, NULL, &why) != AEGIS_OK && !why)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 64)
        check_statement(data);
    aegis_chain_policy pol;
    const char *why = NULL;
    aegis_err err = aegis_chain_policy_load_json((const char *)data, size, &pol, &why);
    if (err == AEGIS_OK) {
        /* sectioned: every platform has a policy; flat: one for all */
        if (!pol.all || (pol.tdx == NULL) != (pol.dstack == NULL) || (pol.has_tdx && !pol.tdx) ||
            (pol.has_dstack && !pol.dstack))
            abort();
        aegis_chain_verify_opts o = { 0 };
        aegis_chain_policy_apply(&pol, &o);
        if (o.policy != pol.all)
            abort();
    } else if (err != AEGIS_ERR_NOMEM && !why) {
        abort();
    }
    aegis_chain_policy_clear(&pol);
    return 0;
}
