/* cmd_chain.c - `aegis chain publish`: post aegisd's batch headers with their
 * signatures to the SequencerAttestation contract on an L1 (contracts/,
 * docs/internals/contracts.md), one EIP-1559 transaction per batch, signed
 * here with a secp256k1 key (aegis_tx_build: our RLP and signing).
 *
 * The contract's head() says where to resume: batch head + 1 onwards, until
 * aegisd has no such batch. A batch goes with its secp256k1 signature while
 * the contract's risk oracle is below emergency and the batch carries one,
 * with its ML-DSA-87 signature otherwise. Every transaction's gas limit is
 * its estimate plus a quarter, capped at EIP-7825's 2^24. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/cli.h"
#include "aegis/client.h"
#include "aegis/crypto.h"
#include "aegis/keys.h"
#include "aegis/risk.h"
#include "aegis/tx.h"
#include "aegis/util.h"
#include "cli_chain.h"
#include "cli_keys.h"
#include "cli_l1.h"
#include "cli_rpc.h"

#define PROG "aegis chain publish"

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis chain publish --l1 URL --contract ADDR --key FILE [--rpc URL] [--max N]\n\n"
               "Post aegisd's batches to the SequencerAttestation contract at ADDR on the L1 node at URL,\n"
               "from the contract's head + 1 until aegisd has no further batch (or N batches).\n"
               "  --l1        the L1's JSON-RPC URL (e.g. anvil: http://127.0.0.1:8546)\n"
               "  --contract  SequencerAttestation address (0x + 40 hex)\n"
               "  --key       secp256k1 key file paying for the transactions (aegis keygen --type secp256k1)\n"
               "  --rpc       aegisd (default $AEGIS_RPC or " AEGIS_CLI_RPC_DEFAULT_URL ")\n"
               "  --max       post at most N batches\n"
               "ECDSA below the oracle's emergency level when the batch has it, ML-DSA-87 otherwise.\n"
               "Prints one line per batch; resumes from the contract's head after any stop.\n");
}

/* The bytes of a "0x..." JSON string member (NULL and 0 when absent). */
static int member_bytes(json_t *obj, const char *key, uint8_t **ret, size_t *ret_len)
{
    *ret = NULL;
    *ret_len = 0;
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        return 0;
    if (strncmp(s, "0x", 2) != 0 || aegis_hex_decode_alloc(s + 2, 1 << 16, ret, ret_len) != AEGIS_OK)
        return -1;
    return 0;
}

static int publish_one(const aegis_cli_l1 *l, const char *contract, json_t *b, uint64_t number, bool emergency)
{
    int rc = -1;
    uint8_t *header = NULL, *ecdsa = NULL, *mldsa = NULL, *data = NULL;
    size_t hl = 0, el = 0, ml = 0, dl = 0;
    json_t *sigs = json_object_get(b, "signatures");
    if (member_bytes(b, "header_abi", &header, &hl) || hl != 544 || member_bytes(sigs, "secp256k1", &ecdsa, &el) ||
        member_bytes(sigs, "ml-dsa-87", &mldsa, &ml)) {
        fprintf(stderr, "%s: batch %" PRIu64 ": header_abi or signatures malformed\n", PROG, number);
        goto out;
    }
    bool use_ecdsa = !emergency && el == 65;
    const uint8_t *parts[3] = { header, use_ecdsa ? ecdsa : NULL, use_ecdsa ? NULL : mldsa };
    size_t lens[3] = { hl, use_ecdsa ? el : 0, use_ecdsa ? 0 : ml };
    if (!use_ecdsa && ml == 0) {
        fprintf(stderr, "%s: batch %" PRIu64 " has no ML-DSA-87 signature\n", PROG, number);
        goto out;
    }
    struct aegis_cli_abi_arg args[3];
    for (int i = 0; i < 3; i++)
        aegis_cli_abi_bytes(&args[i], parts[i], lens[i]);
    if (!(data = aegis_cli_abi_encode("submitBatch(bytes,bytes,bytes)", args, 3, &dl)))
        goto out;
    uint64_t gas = 0;
    char txh[67];
    if (aegis_cli_l1_send(l, contract, data, dl, &gas, txh) != 0) {
        fprintf(stderr, "%s: batch %" PRIu64 " not posted\n", PROG, number);
        goto out;
    }
    printf("batch %" PRIu64 ": %s, %" PRIu64 " gas, tx %s\n", number, use_ecdsa ? "ECDSA" : "ML-DSA-87", gas, txh);
    fflush(stdout);
    rc = 0;
out:
    aegis_free(header);
    aegis_free(ecdsa);
    aegis_free(mldsa);
    aegis_free(data);
    return rc;
}

/* An aegisd call with params stolen; 0, 1 (no such object) or -1 (printed). */
static int aegisd_call(const char *url, const char *method, json_t *params, json_t **ret)
{
    aegis_client_rpc_err e;
    int crc = aegis_client_call(url, method, params, 30000, ret, &e);
    json_decref(params);
    if (crc == 1 && strcmp(e.name, "AEGIS_ERR_NOT_FOUND") == 0)
        return 1;
    if (crc != 0) {
        aegis_cli_print_rpc_err(PROG, method, &e);
        return -1;
    }
    return 0;
}

static int send_and_count(const aegis_cli_l1 *l, const char *to, uint8_t *data, size_t n, uint64_t *gas_sum,
                          unsigned *txs, char txh[67])
{
    uint64_t gas = 0;
    int rc = data ? aegis_cli_l1_send(l, to, data, n, &gas, txh) : -1;
    aegis_free(data);
    *gas_sum += gas;
    (*txs)++;
    return rc;
}

/* Register an ML-DSA-87 public key in PQCVerifier (its 9-transaction
 * session), resuming a session another run left half done. */
static int ensure_mldsa(const aegis_cli_l1 *l, const char *pqc, const uint8_t *pk, size_t pk_len, uint64_t *gas,
                        unsigned *txs)
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
    int rc = aegis_cli_l1_view(l, pqc, data, dl, w, 1);
    aegis_free(data);
    if (rc || w[31] == 1)
        return rc;
    if (!(data = aegis_cli_abi_encode("mldsaT1HatBlob(bytes32)", a, 1, &dl)))
        return -1;
    rc = aegis_cli_l1_view(l, pqc, data, dl, w, 1);
    aegis_free(data);
    if (rc)
        return -1;
    if (memcmp(w, zero, 32) == 0) { /* not begun */
        struct aegis_cli_abi_arg b;
        aegis_cli_abi_bytes(&b, pk, pk_len);
        data = aegis_cli_abi_encode("mldsaBegin(bytes)", &b, 1, &dl);
        if (send_and_count(l, pqc, data, dl, gas, txs, txh)) {
            fprintf(stderr, "%s: mldsaBegin refused\n", PROG);
            return -1;
        }
    }
    for (unsigned row = 0; row < 8; row++) {
        aegis_cli_abi_u64(&a[1], row);
        if (!(data = aegis_cli_abi_encode("mldsaRowBlob(bytes32,uint256)", a, 2, &dl)))
            return -1;
        rc = aegis_cli_l1_view(l, pqc, data, dl, w, 1);
        aegis_free(data);
        if (rc)
            return -1;
        if (memcmp(w, zero, 32) != 0)
            continue; /* expanded by an earlier run */
        data = aegis_cli_abi_encode("mldsaExpandRow(bytes32,uint256)", a, 2, &dl);
        if (send_and_count(l, pqc, data, dl, gas, txs, txh)) {
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
static int follow_epochs(const aegis_cli_l1 *l, const char *contract, const char *pqc, const char *rpc_url,
                         uint64_t cur, uint64_t want)
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
        int r1 = aegisd_call(rpc_url, "aegis_getKeySet", json_pack("[I]", (json_int_t)e), &ks);
        int r2 = r1 ? r1 : aegisd_call(rpc_url, "aegis_getHandover", json_pack("[I]", (json_int_t)e), &hj);
        if (r1 || r2) {
            if (r1 == 1 || r2 == 1)
                fprintf(stderr, "%s: aegisd has no %s for key epoch %" PRIu64 "\n", PROG,
                        r1 ? "key set" : "hand-over", e);
            goto out;
        }
        json_t *att = json_object_get(ks, "attestation");
        if (member_bytes(ks, "encoded", &enc, &el) || el != AEGIS_KEYSET_PUB_BYTES) {
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
        if (ensure_mldsa(l, pqc, enc + 13, AEGIS_MLDSA87_PK_BYTES, &gas, &txs) != 0) {
            fprintf(stderr, "%s: registering key epoch %" PRIu64 "'s ML-DSA-87 key failed\n", PROG, e);
            goto out;
        }
        uint8_t rec[AEGIS_HANDOVER_ENC_BYTES];
        aegis_handover_encode(h, rec);
        struct aegis_cli_abi_arg a[5];
        aegis_cli_abi_bytes(&a[0], enc, el);
        aegis_cli_abi_bytes(&a[1], rec, sizeof(rec));
        aegis_cli_abi_bytes(&a[2], h->old_mldsa, sizeof(h->old_mldsa));
        aegis_cli_abi_bytes(&a[3], NULL, 0);
        aegis_cli_abi_empty_array(&a[4]);
        char txh[67];
        data = aegis_cli_abi_encode("handover(bytes,bytes,bytes,bytes,bytes[])", a, 5, &dl);
        if (send_and_count(l, contract, data, dl, &hgas, &htx, txh) != 0) {
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

static int chain_publish(int argc, char **argv)
{
    const char *rpc_url = aegis_cli_rpc_url(&argc, argv);
    const char *l1url = NULL, *contract = NULL, *key = NULL, *max_s = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **dst = strcmp(a, "--l1") == 0 ? &l1url : strcmp(a, "--contract") == 0 ? &contract
                         : strcmp(a, "--key") == 0 ? &key : strcmp(a, "--max") == 0 ? &max_s : NULL;
        if (!dst || !v) {
            usage(stderr);
            return 2;
        }
        *dst = v;
        i++;
    }
    uint64_t max = UINT64_MAX;
    uint8_t to[20];
    if (!l1url || aegis_cli_l1_address(contract, to) != 0 || !key ||
        (max_s && aegis_cli_parse_u64(max_s, &max) != 0)) {
        usage(stderr);
        return 2;
    }
    aegis_cli_l1 l;
    if (aegis_cli_l1_open(&l, PROG, l1url, key) != 0)
        return 1;
    int rc = 1;
    uint8_t w[64], oracle_w[32];
    if (aegis_cli_l1_view0(&l, contract, "head()", w, 2) || aegis_cli_l1_view0(&l, contract, "oracle()", oracle_w, 1))
        goto out;
    uint8_t pqc_w[32], ep_w[32], has_w[32];
    if (aegis_cli_l1_view0(&l, contract, "pqc()", pqc_w, 1) ||
        aegis_cli_l1_view0(&l, contract, "currentEpoch()", ep_w, 1) ||
        aegis_cli_l1_view0(&l, contract, "hasKeySet()", has_w, 1))
        goto out;
    if (has_w[31] != 1) {
        fprintf(stderr, "%s: the contract has no key set yet: register aegisd's first key set "
                        "(registerGenesis, or registerGenesisSim on a sim deployment)\n", PROG);
        goto out;
    }
    uint64_t next = aegis_cli_l1_word_u64(w) + 1, posted = 0, epoch = aegis_cli_l1_word_u64(ep_w);
    char oracle[43] = "0x", pqc[43] = "0x";
    aegis_hex_encode(oracle + 2, oracle_w + 12, 20);
    aegis_hex_encode(pqc + 2, pqc_w + 12, 20);
    fprintf(stderr, "%s: contract head is batch %" PRIu64 "; posting from %" PRIu64 " as %s\n", PROG, next - 1, next,
            l.from);
    for (; posted < max; next++, posted++) {
        json_t *b = NULL, *params = json_pack("[I]", (json_int_t)next);
        aegis_client_rpc_err e;
        int crc = aegis_client_call(rpc_url, "aegis_getBatch", params, 30000, &b, &e);
        json_decref(params);
        if (crc == 1 && strcmp(e.name, "AEGIS_ERR_NOT_FOUND") == 0)
            break; /* aegisd has no such batch yet */
        if (crc != 0) {
            aegis_cli_print_rpc_err(PROG, "aegis_getBatch", &e);
            goto out;
        }
        if (!json_is_object(b)) {
            json_decref(b);
            break;
        }
        json_int_t ke = json_integer_value(json_object_get(json_object_get(b, "header"), "key_epoch"));
        if (ke < 1) {
            fprintf(stderr, "%s: batch %" PRIu64 " has no key epoch\n", PROG, next);
            json_decref(b);
            goto out;
        }
        if ((uint64_t)ke != epoch) {
            if ((uint64_t)ke < epoch || follow_epochs(&l, contract, pqc, rpc_url, epoch, (uint64_t)ke) != 0) {
                if ((uint64_t)ke < epoch)
                    fprintf(stderr, "%s: batch %" PRIu64 " is of key epoch %" PRIu64 ", the contract is at %" PRIu64
                                    " already\n", PROG, next, (uint64_t)ke, epoch);
                json_decref(b);
                goto out;
            }
            epoch = (uint64_t)ke;
        }
        uint8_t lv[32];
        int prc = aegis_cli_l1_view0(&l, oracle, "level()", lv, 1)
                      ? -1
                      : publish_one(&l, contract, b, next, aegis_cli_l1_word_u64(lv) >= 2);
        json_decref(b);
        if (prc)
            goto out;
    }
    if (aegis_cli_l1_view0(&l, contract, "head()", w, 2))
        goto out;
    char hh[65];
    aegis_hex_encode(hh, w + 32, 32);
    printf("head: batch %" PRIu64 " 0x%s (%" PRIu64 " posted)\n", aegis_cli_l1_word_u64(w), hh, posted);
    rc = 0;
out:
    aegis_cli_l1_close(&l);
    return rc;
}

static int chain_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "publish") == 0)
        return chain_publish(argc - 1, argv + 1);
    usage(stderr);
    return 2;
}

const struct aegis_cli_cmd aegis_cli_cmd_chain = { "chain", chain_main, "post batch headers to the L1 contract (publish)" };
