/* cli_publish_seal.c - `aegis chain publish` posts a batch by its SLH-DSA
 * epoch seal (cli_publish.h) when the level requires post-quantum proof and
 * the batch carries no ML-DSA-87 signature: the seal record
 * (aegis_getSeal) is verified on chain once - PQCVerifier's two-transaction
 * SLH-DSA session over aegis's seal digest (context "aegis-seal-v1"), then
 * registerSeal - and the batch goes with submitBatchSealed(header, root,
 * Merkle path). A session begun by an interrupted run is finished, not
 * begun again; a seal the contract holds is not verified again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/chain.h"
#include "aegis/crypto.h"
#include "aegis/keys.h"
#include "aegis/util.h"
#include "cli_l1.h"
#include "cli_publish.h"

#define PROG AEGIS_CLI_PUBLISH_PROG
#define SEAL_CTX "aegis-seal-v1"
#define SIG_HEAD_BYTES 10592 /* R || SIG_FORS of SLH-DSA-SHA2-256s; SIG_HT follows */

static int view_call(const aegis_cli_pub *p, const char *to, const char *sig, const struct aegis_cli_abi_arg *a,
                     size_t na, uint8_t *out, size_t nwords)
{
    size_t dl = 0;
    uint8_t *data = aegis_cli_abi_encode(sig, a, na, &dl);
    int rc = data ? aegis_cli_l1_view(&p->l, to, data, dl, out, nwords) : -1;
    aegis_free(data);
    return rc;
}

/* The seal's SLH-DSA verification on chain and registerSeal. */
static int register_seal(const aegis_cli_pub *p, const aegis_chain_seal *s)
{
    int rc = -1;
    json_t *ks = NULL;
    uint8_t *enc = NULL;
    size_t el = 0, dl = 0;
    if (aegis_cli_pub_aegisd(p, "aegis_getKeySet", json_pack("[I]", (json_int_t)s->key_epoch), &ks) != 0 ||
        aegis_cli_pub_member(ks, "encoded", 1 << 16, &enc, &el) || el != AEGIS_KEYSET_PUB_BYTES) {
        fprintf(stderr, "%s: no key set of epoch %" PRIu64 " for seal %" PRIu64 "\n", PROG, s->key_epoch, s->number);
        goto out;
    }
    const uint8_t *slh_pk = enc + 13 + AEGIS_MLDSA87_PK_BYTES;
    uint8_t digest[32], head_hash[32], ht_hash[32], id[32], w[64];
    aegis_chain_seal_digest(s, digest);
    aegis_keccak256(head_hash, s->sig, SIG_HEAD_BYTES);
    aegis_keccak256(ht_hash, s->sig + SIG_HEAD_BYTES, sizeof(s->sig) - SIG_HEAD_BYTES);
    struct aegis_cli_abi_arg a[7];
    aegis_cli_abi_bytes(&a[0], slh_pk, AEGIS_SLHDSA_PK_BYTES);
    aegis_cli_abi_bytes(&a[1], digest, 32);
    aegis_cli_abi_bytes(&a[2], (const uint8_t *)SEAL_CTX, strlen(SEAL_CTX));
    aegis_cli_abi_word(&a[3], head_hash);
    aegis_cli_abi_word(&a[4], ht_hash);
    if (view_call(p, p->pqc, "slhSessionId(bytes,bytes,bytes,bytes32,bytes32)", a, 5, id, 1))
        goto out;
    struct aegis_cli_abi_arg ia[2];
    aegis_cli_abi_word(&ia[0], id);
    if (view_call(p, p->pqc, "slhResult(bytes32)", ia, 1, w, 2))
        goto out;
    uint64_t gas = 0;
    unsigned txs = 0;
    char txh[67];
    if (w[31] != 1) { /* not finished */
        aegis_cli_abi_bytes(&ia[1], s->sig + SIG_HEAD_BYTES, sizeof(s->sig) - SIG_HEAD_BYTES);
        uint8_t *fin = aegis_cli_abi_encode("slhFinish(bytes32,bytes)", ia, 2, &dl);
        size_t fl = dl;
        int begun = fin ? aegis_cli_l1_try(&p->l, p->pqc, fin, fl) : -1;
        if (begun < 0) {
            aegis_free(fin);
            goto out;
        }
        if (begun == 1) { /* finishing reverts: the session is not begun */
            aegis_cli_abi_bytes(&a[3], s->sig, SIG_HEAD_BYTES);
            uint8_t *beg = aegis_cli_abi_encode("slhBegin(bytes,bytes,bytes,bytes,bytes32)", a, 5, &dl);
            if (aegis_cli_pub_send(p, p->pqc, beg, dl, &gas, &txs, txh) != 0) {
                aegis_free(fin);
                fprintf(stderr, "%s: slhBegin of seal %" PRIu64 " refused\n", PROG, s->number);
                goto out;
            }
        }
        if (aegis_cli_pub_send(p, p->pqc, fin, fl, &gas, &txs, txh) != 0) {
            fprintf(stderr, "%s: slhFinish of seal %" PRIu64 " refused\n", PROG, s->number);
            goto out;
        }
        if (view_call(p, p->pqc, "slhResult(bytes32)", ia, 1, w, 2))
            goto out;
    }
    if (w[63] != 1) {
        fprintf(stderr, "%s: seal %" PRIu64 "'s SLH-DSA signature does not verify on chain\n", PROG, s->number);
        goto out;
    }
    struct aegis_cli_abi_arg r[7];
    aegis_cli_abi_u64(&r[0], s->key_epoch);
    aegis_cli_abi_bytes(&r[1], slh_pk, AEGIS_SLHDSA_PK_BYTES);
    aegis_cli_abi_u64(&r[2], s->first);
    aegis_cli_abi_u64(&r[3], s->count);
    aegis_cli_abi_word(&r[4], s->root);
    aegis_cli_abi_word(&r[5], head_hash);
    aegis_cli_abi_word(&r[6], ht_hash);
    uint8_t *reg = aegis_cli_abi_encode("registerSeal(uint64,bytes,uint64,uint64,bytes32,bytes32,bytes32)", r, 7, &dl);
    if (aegis_cli_pub_send(p, p->contract, reg, dl, &gas, &txs, txh) != 0) {
        fprintf(stderr, "%s: registerSeal of seal %" PRIu64 " refused\n", PROG, s->number);
        goto out;
    }
    printf("seal %" PRIu64 " (batches %" PRIu64 "-%" PRIu64 ", key epoch %" PRIu64 "): SLH-DSA verified and registered "
           "(%u tx, %" PRIu64 " gas)\n",
           s->number, s->first, s->first + s->count - 1, s->key_epoch, txs, gas);
    fflush(stdout);
    rc = 0;
out:
    json_decref(ks);
    aegis_free(enc);
    return rc;
}

int aegis_cli_pub_sealed(const aegis_cli_pub *p, json_t *b, uint64_t number, const uint8_t *header, size_t hl,
                         uint64_t min_count)
{
    json_t *sj = json_object_get(b, "seal"), *path = json_object_get(sj, "path"), *rec = NULL;
    json_int_t sn = json_integer_value(json_object_get(sj, "number"));
    if (!json_is_object(sj) || sn < 1 || !json_is_array(path) || json_array_size(path) > 64)
        return 1; /* not sealed yet */
    int rc = -1;
    size_t np = json_array_size(path), dl = 0;
    uint8_t(*words)[32] = aegis_calloc(np ? np : 1, 32), w[96];
    aegis_chain_seal *s = aegis_calloc(1, sizeof(*s));
    const char *why = NULL;
    if (!words || !s)
        goto out;
    for (size_t i = 0; i < np; i++) {
        const char *h = json_string_value(json_array_get(path, i));
        if (!h || strlen(h) != 66 || strncmp(h, "0x", 2) != 0 || aegis_hex_decode_exact(h + 2, words[i], 32)) {
            fprintf(stderr, "%s: batch %" PRIu64 ": seal path malformed\n", PROG, number);
            goto out;
        }
    }
    if (aegis_cli_pub_aegisd(p, "aegis_getSeal", json_pack("[I]", sn), &rec) != 0 ||
        aegis_chain_seal_from_json(rec, s, &why) != AEGIS_OK) {
        fprintf(stderr, "%s: seal %" PRIu64 " from aegisd: %s\n", PROG, (uint64_t)sn, why ? why : "unavailable");
        goto out;
    }
    struct aegis_cli_abi_arg a[3];
    aegis_cli_abi_word(&a[0], s->root);
    if (view_call(p, p->contract, "seals(bytes32)", a, 1, w, 3))
        goto out;
    if (aegis_cli_l1_word_u64(w + 32) == 0) { /* count 0: the contract does not hold the seal */
        if (s->count < min_count) {
            rc = 2; /* not worth verifying for so few batches */
            goto out;
        }
        if (register_seal(p, s) != 0)
            goto out;
    }
    aegis_cli_abi_bytes(&a[0], header, hl);
    aegis_cli_abi_word(&a[1], s->root);
    aegis_cli_abi_words(&a[2], &words[0][0], np);
    uint8_t *data = aegis_cli_abi_encode("submitBatchSealed(bytes,bytes32,bytes32[])", a, 3, &dl);
    uint64_t gas = 0;
    unsigned txs = 0;
    char txh[67];
    if (aegis_cli_pub_send(p, p->contract, data, dl, &gas, &txs, txh) != 0) {
        fprintf(stderr, "%s: batch %" PRIu64 " not posted\n", PROG, number);
        goto out;
    }
    printf("batch %" PRIu64 ": SLH-DSA seal %" PRIu64 ", %" PRIu64 " gas, tx %s\n", number, s->number, gas, txh);
    fflush(stdout);
    rc = 0;
out:
    json_decref(rec);
    aegis_free(words);
    aegis_free(s);
    return rc;
}
