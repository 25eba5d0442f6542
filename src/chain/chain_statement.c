/*
 * chain_statement.c - the attestation statement: eight bytes of every
 * attestation's report_data (between the tag and the value) that state the
 * attestation policy the sequencer attested under (aegis/chain.h,
 * docs/internals/attestation-batches.md).
 *
 * Why in report_data and not in the batch header: the header is a fixed
 * 17-word ABI tuple that contracts recompute; the statement is about the
 * attestations themselves, and the quotes are what a host cannot forge.
 * Both quotes of a pair bind the same 64 bytes, so each carries it.
 */
#include <string.h>

#include "aegis/chain.h"

#define TAG_MAX AEGIS_CHAIN_STMT_OFF

static const char *const backend_names[] = { "", "sim", "tdx", "dstack" };

static int backend_code(const char *name)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(backend_names); i++)
        if (strcmp(name ? name : "", backend_names[i]) == 0)
            return (int)i;
    return -1;
}

aegis_err aegis_chain_report_data_stmt(uint8_t out[static 64], const char *tag, const uint8_t value[static 32],
                                       const aegis_chain_statement *st)
{
    int p = backend_code(st->primary), b = backend_code(st->backup);
    if (strlen(tag) > TAG_MAX || p < 0 || b < 0 || (st->flags & ~AEGIS_CHAIN_STMT_FLAGS))
        return AEGIS_ERR_INVAL;
    aegis_chain_report_data(out, tag, value);
    uint8_t *s = out + AEGIS_CHAIN_STMT_OFF;
    s[0] = st->version;
    s[1] = (uint8_t)p;
    s[2] = (uint8_t)b;
    s[3] = st->flags;
    return AEGIS_OK;
}

aegis_err aegis_chain_statement_decode(const uint8_t rd[static 64], aegis_chain_statement *ret)
{
    const uint8_t *s = rd + AEGIS_CHAIN_STMT_OFF;
    aegis_chain_statement st;
    memset(&st, 0, sizeof(st));
    if (s[0] == 0) {
        /* no statement: all eight bytes zero (the layout before statements) */
        for (int i = 1; i < 8; i++)
            if (s[i])
                return AEGIS_ERR_CHAIN_ATTEST;
        *ret = st;
        return AEGIS_OK;
    }
    if (s[0] != AEGIS_CHAIN_STMT_VERSION || s[1] == 0 || s[1] >= AEGIS_ARRAY_LEN(backend_names) ||
        s[2] >= AEGIS_ARRAY_LEN(backend_names) || (s[3] & ~AEGIS_CHAIN_STMT_FLAGS) || s[4] || s[5] || s[6] ||
        s[7])
        return AEGIS_ERR_CHAIN_ATTEST;
    st.version = s[0];
    memcpy(st.primary, backend_names[s[1]], strlen(backend_names[s[1]]) + 1);
    memcpy(st.backup, backend_names[s[2]], strlen(backend_names[s[2]]) + 1);
    st.flags = s[3];
    /* Flags that name a backup need one. */
    if (!st.backup[0] && (st.flags & (AEGIS_CHAIN_STMT_BACKUP_REQUIRED | AEGIS_CHAIN_STMT_BACKUP_ATTESTED |
                                      AEGIS_CHAIN_STMT_PRIMARY_FAILED | AEGIS_CHAIN_STMT_FAILOVER)))
        return AEGIS_ERR_CHAIN_ATTEST;
    *ret = st;
    return AEGIS_OK;
}

aegis_err aegis_chain_expect_rd(const aegis_chain_attest *a, const char *tag, const uint8_t value[static 32],
                                uint8_t out[static 64], aegis_chain_statement *st)
{
    uint8_t rd[64];
    aegis_chain_statement s;
    aegis_chain_report_data(rd, tag, value);
    /* everything but the statement bytes is fixed by tag and value */
    memcpy(rd + AEGIS_CHAIN_STMT_OFF, a->report_data + AEGIS_CHAIN_STMT_OFF, 8);
    if (strlen(tag) > TAG_MAX || !aegis_ct_eq(rd, a->report_data, 64) ||
        aegis_chain_statement_decode(rd, &s) != AEGIS_OK)
        return AEGIS_ERR_CHAIN_ATTEST;
    memcpy(out, rd, 64);
    if (st)
        *st = s;
    return AEGIS_OK;
}
