/*
 * aegis_client_submit.c - a complete libaegis-client program: fetch the
 * sequencer's key set and check its attestation, seal a signed transaction
 * to it, submit it, verify the signed receipt, wait until a batch includes
 * it and verify that batch and the inclusion proof.
 *
 *   cc aegis_client_submit.c $(pkg-config --cflags --libs aegis-client) -o submit
 *   ./submit http://127.0.0.1:8545 0x02f8... [--allow-sim]
 *
 * (tests/wallet/libclient.test.mjs builds and runs it against a real aegisd,
 * linked both against libaegis-client.so and libaegis-client.a.)
 */
#include <stdio.h>
#include <string.h>

#include <aegis/client.h>
#include <aegis/tx.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s RPC_URL 0xSIGNED_TX [--allow-sim]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    bool allow_sim = argc > 3 && strcmp(argv[3], "--allow-sim") == 0;
    const char *why = NULL;
    int rc = 1;
    uint8_t *tx = NULL;
    size_t len = 0;
    aegis_client_keyset ks;
    aegis_client_receipt receipt;
    aegis_client_rpc_err rpc_err;
    aegis_client_txstatus status;
    aegis_chain_batch batch;
    memset(&ks, 0, sizeof(ks));
    memset(&batch, 0, sizeof(batch));
    memset(&rpc_err, 0, sizeof(rpc_err));

    if (aegis_hex_decode_alloc(argv[2], 256 * 1024, &tx, &len) != AEGIS_OK) {
        fprintf(stderr, "the transaction must be 0x-hex\n");
        return 2;
    }
    /* 1. the key, checked against its attestation */
    aegis_err err = aegis_client_keyset_fetch(url, 0, allow_sim, 0, &ks, NULL, &rpc_err, &why);
    if (err) {
        fprintf(stderr, "key: %s (%s) %s\n", why, aegis_err_name(err), rpc_err.message);
        goto out;
    }
    printf("key set epoch %llu, attested by %s%s\n", (unsigned long long)ks.pub.epoch, ks.att.backend,
           ks.att.insecure ? " (INSECURE sim)" : "");
    /* 2. sealed, submitted, receipt verified (NULL: do not pin the tx hash) */
    err = aegis_client_submit(url, &ks, tx, len, NULL, 0, &receipt, &rpc_err, &why);
    if (err) {
        fprintf(stderr, "submit: %s (%s) %s %s\n", why, aegis_err_name(err), rpc_err.name, rpc_err.message);
        goto out;
    }
    char *h = aegis_client_hex(receipt.tx_hash, 32);
    printf("accepted %s seq %llu (receipt signature ok)\n", h, (unsigned long long)receipt.seq);
    aegis_free(h);
    /* 3. included in a verified batch */
    err = aegis_client_wait_included(url, &ks, allow_sim, receipt.tx_hash, 60000, &status, &batch, &why);
    if (err) {
        fprintf(stderr, "wait: %s (%s)\n", why, aegis_err_name(err));
        goto out;
    }
    printf("included in batch %llu at index %llu (batch and proof verified)\n",
           (unsigned long long)batch.h.number, (unsigned long long)status.index);
    rc = 0;
out:
    aegis_chain_batch_clear(&batch);
    aegis_client_keyset_clear(&ks);
    aegis_free(tx);
    return rc;
}
