/* chain_attest.c - offline verification of one published attestation. */
#include <string.h>

#include "aegis/chain.h"
#include "aegis/tee.h"

aegis_err aegis_chain_verify_attest(const aegis_chain_attest *a, const uint8_t expect_rd[static 64],
                                    const aegis_chain_verify_opts *opts, const char **why)
{
    if (!aegis_ct_eq(a->report_data, expect_rd, 64)) {
        *why = "attestation report_data does not bind the expected value";
        return AEGIS_ERR_CHAIN_ATTEST;
    }
    if (strcmp(a->backend, "sim") == 0) {
        if (!opts->allow_sim) {
            *why = "sim attestation (insecure, no hardware) refused; pass --allow-sim for development";
            return AEGIS_ERR_CHAIN_SIM_REFUSED;
        }
        uint8_t meas[AEGIS_TEE_MEASUREMENT_BYTES], rd[AEGIS_TEE_REPORT_DATA_BYTES], pk[65];
        if (aegis_tee_sim_verify_quote(a->quote, a->quote_len, meas, rd, pk) != AEGIS_OK ||
            !aegis_ct_eq(rd, expect_rd, 64)) {
            *why = "sim quote signature or report_data invalid";
            return AEGIS_ERR_CHAIN_ATTEST;
        }
        return AEGIS_OK;
    }
    *why = "attestation backend not verifiable offline by this build";
    return AEGIS_ERR_CHAIN_ATTEST;
}
