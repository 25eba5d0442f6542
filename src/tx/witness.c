/* witness.c - verify the PQC witness of an Aegis extension: ML-DSA-87 over
 * the 32-byte tx hash, context "aegis-pqc-witness-v1". Kept apart from the
 * parser so decoding alone does not pull in ML-DSA. */
#include <string.h>

#include "aegis/crypto.h"
#include "tx_int.h"

aegis_err aegis_tx_verify_witness(const aegis_tx *tx, const uint8_t *registered_pk)
{
    if (!tx->ext.present || !tx->ext.witness_sig)
        return AEGIS_ERR_TX_WITNESS_MISSING;
    const uint8_t *pk = registered_pk;
    if (tx->ext.witness_pk) {
        /* Public keys are not secret, but compare in constant time anyway:
         * it costs nothing and keeps the rule simple. */
        if (registered_pk && !aegis_ct_eq(registered_pk, tx->ext.witness_pk, AEGIS_MLDSA87_PK_BYTES))
            return AEGIS_ERR_TX_WITNESS_KEY_MISMATCH;
        pk = tx->ext.witness_pk;
    }
    if (!pk)
        return AEGIS_ERR_TX_WITNESS_MISSING;
    aegis_err err = aegis_mldsa87_verify(tx->ext.witness_sig, AEGIS_MLDSA87_SIG_BYTES, tx->hash,
                                         sizeof(tx->hash), (const uint8_t *)AEGIS_TX_WITNESS_CTX,
                                         strlen(AEGIS_TX_WITNESS_CTX), pk);
    return err == AEGIS_OK ? AEGIS_OK : AEGIS_ERR_TX_WITNESS_BAD;
}
