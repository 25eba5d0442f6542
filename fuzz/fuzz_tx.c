/* fuzz_tx.c - transaction decoding, the Aegis extension and token calldata.
 * The first byte picks the target; the rest is the input. Accepted
 * transactions must satisfy the decoder's own invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/crypto.h"
#include "aegis/tx.h"

static void check_tx(const aegis_tx *tx, const uint8_t *in, size_t n)
{
    uint8_t h[32];
    if (tx->raw != in || tx->raw_len == 0 || tx->raw_len > n)
        abort();
    aegis_keccak256(h, tx->raw, tx->raw_len);
    if (memcmp(h, tx->hash, 32) != 0)
        abort();
    if (tx->gas_limit < tx->intrinsic_gas || tx->nonce == UINT64_MAX)
        abort();
    if (tx->data_len && (tx->data < in || tx->data + tx->data_len > in + n))
        abort();
    if (aegis_u256_cmp(&tx->max_priority_fee, &tx->max_fee) > 0)
        abort();
    if (tx->assets.n_ids > AEGIS_TX_MAX_TOKEN_IDS || tx->assets.n_ids > tx->assets.n_ids_total)
        abort();
    if (tx->raw_len < n && !tx->ext.present)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 4;
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    aegis_tx_config cfg;
    aegis_tx tx;
    const char *msg = NULL;
    aegis_tx_config_default(&cfg);
    switch (mode) {
    case 0:     /* plain transaction, chain 1 */
        if (aegis_tx_decode(&cfg, in, n, &tx, &msg) == AEGIS_OK)
            check_tx(&tx, in, n);
        else if (!msg)
            abort();
        break;
    case 1:     /* transaction + extension, EIP-155 required */
        cfg.allow_extension = true;
        cfg.require_eip155 = true;
        aegis_u256_from_u64(&cfg.base_fee, 7);
        if (aegis_tx_decode(&cfg, in, n, &tx, &msg) == AEGIS_OK) {
            check_tx(&tx, in, n);
            aegis_err w = aegis_tx_verify_witness(&tx, NULL);
            if (w == AEGIS_OK && !(tx.ext.present && tx.ext.witness_pk))
                abort();    /* verified without a key to verify against */
        }
        break;
    case 2: {   /* extension alone */
        aegis_tx_ext x;
        if (aegis_tx_ext_parse(in, n, &x) == AEGIS_OK && !x.present)
            abort();
        break;
    }
    default: {  /* calldata */
        aegis_tx_assets a;
        static const uint8_t to[20] = { 1 };
        aegis_tx_assets_decode(&a, to, in, n);
        if (a.n_ids > AEGIS_TX_MAX_TOKEN_IDS || a.n_ids > a.n_ids_total)
            abort();
        break;
    }
    }
    return 0;
}
