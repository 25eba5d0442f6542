/* cli_publish_epochs.c - `aegis chain publish` follows aegisd's key epochs
 * (cli_publish.h): a new key set's ML-DSA-87 key registered in PQCVerifier
 * (the 9-transaction session, resumed where another run stopped), then the
 * hand-over record posted with handover(): its ML-DSA-87 signatures by the
 * previous epoch (authority) and by the new one (possession). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/client.h"
#include "aegis/crypto.h"
#include "aegis/keys.h"
#include "aegis/risk.h"
#include "aegis/util.h"
#include "cli_chain.h"
#include "cli_l1.h"
#include "cli_publish.h"

#define PROG AEGIS_CLI_PUBLISH_PROG

/* Register an ML-DSA-87 public key in PQCVerifier (its 9-transaction
 * session), resuming a session another run left half done. */
int aegis_cli_pub_ensure_mldsa(const aegis_cli_pub *p, const uint8_t *pk, size_t pk_len, uint64_t *gas, unsigned *txs)
{
    uint8_t id[32], w[32];
    aegis_keccak256(id, pk, pk_len);
    struct aegis_cli_abi_arg a[2];
    uint8_t *data;
    size_t dl;
    char txh[67];
    static const uint8_t zero[32];
    aegis_cli_abi_word(&a[0], id);
    if (!(data = aegis_cli_abi_encode("mldsaReady(bytes32)", a, 1, &dl)))
        return -1;
    int rc = aegis_cli_l1_view(&p->l, p->pqc, data, dl, w, 1);
    aegis_free(data);
    if (rc || w[31] == 1)
        return rc;
    if (!(data = aegis_cli_abi_encode("mldsaT1HatBlob(bytes32)", a, 1, &dl)))
        return -1;
    rc = aegis_cli_l1_view(&p->l, p->pqc, data, dl, w, 1);
    aegis_free(data);
    if (rc)
        return -1;
    if (memcmp(w, zero, 32) == 0) { /* not begun */
        struct aegis_cli_abi_arg b;
        aegis_cli_abi_bytes(&b, pk, pk_len);
        data = aegis_cli_abi_encode("mldsaBegin(bytes)", &b, 1, &dl);
        if (aegis_cli_pub_send(p, p->pqc, data, dl, gas, txs, txh)) {
            fprintf(stderr, "%s: mldsaBegin refused\n", PROG);
            return -1;
        }
    }
    for (unsigned row = 0; row < 8; row++) {
        aegis_cli_abi_u64(&a[1], row);
        if (!(data = aegis_cli_abi_encode("mldsaRowBlob(bytes32,uint256)", a, 2, &dl)))
            return -1;
        rc = aegis_cli_l1_view(&p->l, p->pqc, data, dl, w, 1);
        aegis_free(data);
        if (rc)
            return -1;
        if (memcmp(w, zero, 32) != 0)
            continue; /* expanded by an earlier run */
        data = aegis_cli_abi_encode("mldsaExpandRow(bytes32,uint256)", a, 2, &dl);
        if (aegis_cli_pub_send(p, p->pqc, data, dl, gas, txs, txh)) {
            fprintf(stderr, "%s: mldsaExpandRow(%u) refused\n", PROG, row);
            return -1;
        }
    }
    return 0;
}

/*
 * Bring the contract's key epoch up to `want`: for each missing epoch, its
 * key set from aegisd (aegis_getKeySet), the set's ML-DSA-87 key registered
 * in PQCVerifier, then the hand-over record (aegis_getHandover) signed by
 * the previous epoch's ML-DSA-87 key, posted with handover(). A sim key set
 * goes with an empty quote (a sim deployment marks it insecure).
 */
int aegis_cli_pub_follow_epochs(const aegis_cli_pub *p, uint64_t cur, uint64_t want)
{
    aegis_handover *h = aegis_calloc(1, sizeof(*h));
    if (!h)
        return -1;
    int rc = -1;
    json_t *ks = NULL, *hj = NULL;
    uint8_t *enc = NULL, *data = NULL;
    size_t el = 0, dl = 0;
    for (uint64_t e = cur + 1; e <= want; e++) {
        json_decref(ks);
        json_decref(hj);
        ks = hj = NULL;
        aegis_free(enc);
        enc = NULL;
        int r1 = aegis_cli_pub_aegisd(p, "aegis_getKeySet", json_pack("[I]", (json_int_t)e), &ks);
        int r2 = r1 ? r1 : aegis_cli_pub_aegisd(p, "aegis_getHandover", json_pack("[I]", (json_int_t)e), &hj);
        if (r1 || r2) {
            if (r1 == 1 || r2 == 1)
                fprintf(stderr, "%s: aegisd has no %s for key epoch %" PRIu64 "\n", PROG,
                        r1 ? "key set" : "hand-over", e);
            goto out;
        }
        json_t *att = json_object_get(ks, "attestation");
        if (aegis_cli_pub_member(ks, "encoded", 1 << 16, &enc, &el) || el != AEGIS_KEYSET_PUB_BYTES) {
            fprintf(stderr, "%s: key epoch %" PRIu64 ": aegis_getKeySet answered no encoded key set\n", PROG, e);
            goto out;
        }
        if (!json_is_true(json_object_get(att, "insecure"))) {
            fprintf(stderr, "%s: key epoch %" PRIu64 " is attested by a TDX quote: posting its hand-over with the "
                            "quote and PCK chain is not supported yet (post it with the contract's handover())\n",
                    PROG, e);
            goto out;
        }
        aegis_err err = aegis_handover_from_json(hj, h);
        if (err || h->old_epoch != e - 1 || h->new_epoch != e) {
            fprintf(stderr, "%s: the hand-over into key epoch %" PRIu64 " is malformed (%s)\n", PROG, e,
                    aegis_err_name(err ? err : AEGIS_ERR_HANDOVER_MISMATCH));
            goto out;
        }
        uint64_t gas = 0, hgas = 0;
        unsigned txs = 0, htx = 0;
        if (aegis_cli_pub_ensure_mldsa(p, enc + 13, AEGIS_MLDSA87_PK_BYTES, &gas, &txs) != 0) {
            fprintf(stderr, "%s: registering key epoch %" PRIu64 "'s ML-DSA-87 key failed\n", PROG, e);
            goto out;
        }
        uint8_t rec[AEGIS_HANDOVER_ENC_BYTES];
        aegis_handover_encode(h, rec);
        struct aegis_cli_abi_arg a[6];
        aegis_cli_abi_bytes(&a[0], enc, el);
        aegis_cli_abi_bytes(&a[1], rec, sizeof(rec));
        aegis_cli_abi_bytes(&a[2], h->old_mldsa, sizeof(h->old_mldsa));
        aegis_cli_abi_bytes(&a[3], h->new_mldsa, sizeof(h->new_mldsa));
        aegis_cli_abi_bytes(&a[4], NULL, 0);
        aegis_cli_abi_empty_array(&a[5]);
        char txh[67];
        data = aegis_cli_abi_encode("handover(bytes,bytes,bytes,bytes,bytes,bytes[])", a, 6, &dl);
        if (aegis_cli_pub_send(p, p->contract, data, dl, &hgas, &htx, txh) != 0) {
            fprintf(stderr, "%s: the hand-over into key epoch %" PRIu64 " was not accepted\n", PROG, e);
            goto out;
        }
        printf("epoch %" PRIu64 ": ML-DSA-87 key registered (%u tx, %" PRIu64 " gas); hand-over from epoch %" PRIu64
               " (%s, batch %" PRIu64 ") posted, %" PRIu64 " gas, tx %s\n",
               e, txs, gas, e - 1, aegis_rotation_reason_name(h->reason), h->batch_number, hgas, txh);
        fflush(stdout);
    }
    rc = 0;
out:
    json_decref(ks);
    json_decref(hj);
    aegis_free(enc);
    aegis_free(h);
    return rc;
}
