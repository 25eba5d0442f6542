/* cmd_chain.c - `aegis chain publish`: post aegisd's batch headers with their
 * signatures to the SequencerAttestation contract on an L1 (contracts/,
 * docs/internals/contracts.md), one EIP-1559 transaction per batch, signed
 * here with a secp256k1 key (cli_l1.h: aegis_tx_build, our RLP and signing).
 *
 * The contract's head() says where to resume: batch head + 1 onwards, until
 * aegisd has no such batch. A batch goes with its secp256k1 signature while
 * the contract's risk oracle is below emergency and the batch carries one,
 * with its ML-DSA-87 signature otherwise, and at emergency without one by
 * its SLH-DSA epoch seal (cli_publish_seal.c). A batch of a key epoch the
 * contract does not hold yet is preceded by that epoch's registration and
 * hand-over (cli_publish_epochs.c). Every transaction's gas limit is its
 * estimate plus a quarter, capped at EIP-7825's 2^24. */
#include <inttypes.h>
#include <signal.h>
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
#include "cli_publish.h"
#include "cli_rpc.h"

#define PROG AEGIS_CLI_PUBLISH_PROG

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis chain publish --l1 URL --contract ADDR --key FILE [--rpc URL] [--max N]\n"
               "                           [--proof auto|ml-dsa|seal] [--follow [--interval MS]]\n\n"
               "Post aegisd's batches to the SequencerAttestation contract at ADDR on the L1 node at URL,\n"
               "from the contract's head + 1 until aegisd has no further batch (or N batches).\n"
               "  --l1        the L1's JSON-RPC URL (e.g. anvil: http://127.0.0.1:8546)\n"
               "  --contract  SequencerAttestation address (0x + 40 hex)\n"
               "  --key       secp256k1 key file paying for the transactions (aegis keygen --type secp256k1)\n"
               "  --rpc       aegisd (default $AEGIS_RPC or " AEGIS_CLI_RPC_DEFAULT_URL ")\n"
               "  --max       post at most N batches\n"
               "  --follow    keep going: poll aegisd every --interval ms (default 2000) for new batches,\n"
               "              retry a failure from the contract's head; SIGINT/SIGTERM stop it (exit 0)\n"
               "  --proof     at emergency: auto (default) takes the batch's SLH-DSA seal when the contract\n"
               "              holds it or it covers 4+ batches, else ML-DSA-87; ml-dsa: ML-DSA-87 while\n"
               "              the batch has it; seal: the seal always (a batch not sealed yet waits)\n"
               "ECDSA below the oracle's emergency level when the batch has it, ML-DSA-87 or the batch's\n"
               "SLH-DSA epoch seal (verified on chain once per seal) otherwise.\n"
               "A batch of a new key epoch is preceded by the epoch's ML-DSA-87 key registration and the\n"
               "hand-over signed by the previous epoch.\n"
               "Prints one line per batch; resumes from the contract's head after any stop.\n");
}

int aegis_cli_pub_aegisd(const aegis_cli_pub *p, const char *method, json_t *params, json_t **ret)
{
    aegis_client_rpc_err e;
    int crc = aegis_client_call(p->rpc_url, method, params, 30000, ret, &e);
    json_decref(params);
    if (crc == 1 && strcmp(e.name, "AEGIS_ERR_NOT_FOUND") == 0)
        return 1;
    if (crc != 0) {
        aegis_cli_print_rpc_err(PROG, method, &e);
        return -1;
    }
    return 0;
}

int aegis_cli_pub_member(json_t *obj, const char *key, size_t max, uint8_t **ret, size_t *ret_len)
{
    *ret = NULL;
    *ret_len = 0;
    const char *s = json_string_value(json_object_get(obj, key));
    if (!s)
        return 0;
    if (strncmp(s, "0x", 2) != 0 || aegis_hex_decode_alloc(s + 2, max, ret, ret_len) != AEGIS_OK)
        return -1;
    return 0;
}

int aegis_cli_pub_send(const aegis_cli_pub *p, const char *to, uint8_t *data, size_t n, uint64_t *gas_sum,
                       unsigned *txs, char txh[67])
{
    uint64_t gas = 0;
    int rc = data ? aegis_cli_l1_send(&p->l, to, data, n, &gas, txh) : -1;
    aegis_free(data);
    *gas_sum += gas;
    (*txs)++;
    return rc;
}

/* 0 posted, 1 waits for its seal, -1 failed. */
static int publish_one(const aegis_cli_pub *p, json_t *b, uint64_t number, bool emergency)
{
    int rc = -1;
    uint8_t *header = NULL, *ecdsa = NULL, *mldsa = NULL, *data = NULL;
    size_t hl = 0, el = 0, ml = 0, dl = 0;
    json_t *sigs = json_object_get(b, "signatures");
    if (aegis_cli_pub_member(b, "header_abi", 1 << 16, &header, &hl) || hl != 544 || aegis_cli_pub_member(sigs, "secp256k1", 1 << 16, &ecdsa, &el) ||
        aegis_cli_pub_member(sigs, "ml-dsa-87", 1 << 16, &mldsa, &ml)) {
        fprintf(stderr, "%s: batch %" PRIu64 ": header_abi or signatures malformed\n", PROG, number);
        goto out;
    }
    bool use_ecdsa = !emergency && el == 65;
    const uint8_t *parts[3] = { header, use_ecdsa ? ecdsa : NULL, use_ecdsa ? NULL : mldsa };
    size_t lens[3] = { hl, use_ecdsa ? el : 0, use_ecdsa ? 0 : ml };
    if (!use_ecdsa && ml == 0 && !emergency) {
        fprintf(stderr, "%s: batch %" PRIu64 " has neither a secp256k1 nor an ML-DSA-87 signature (a seal is taken "
                        "at emergency only)\n", PROG, number);
        goto out;
    }
    if (emergency && (ml == 0 || p->proof != AEGIS_CLI_PROOF_MLDSA)) {
        uint64_t min_count = ml == 0 || p->proof == AEGIS_CLI_PROOF_SEAL ? 0 : AEGIS_CLI_SEAL_WORTH;
        int src = aegis_cli_pub_sealed(p, b, number, header, hl, min_count);
        if (src == 1 && (ml == 0 || p->proof == AEGIS_CLI_PROOF_SEAL)) {
            fprintf(stderr, "%s: batch %" PRIu64 " has no SLH-DSA seal yet%s: it waits for its seal (run again "
                            "later)\n", PROG, number, ml == 0 ? " and no ML-DSA-87 signature" : "");
            rc = 1;
            goto out;
        }
        if (src == 0 || src == -1) {
            rc = src;
            goto out;
        }
        /* 1 or 2: no seal, or one not worth verifying: ML-DSA-87 */
    }
    struct aegis_cli_abi_arg args[3];
    for (int i = 0; i < 3; i++)
        aegis_cli_abi_bytes(&args[i], parts[i], lens[i]);
    if (!(data = aegis_cli_abi_encode("submitBatch(bytes,bytes,bytes)", args, 3, &dl)))
        goto out;
    uint64_t gas = 0;
    char txh[67];
    if (aegis_cli_l1_send(&p->l, p->contract, data, dl, &gas, txh) != 0) {
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

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void nap_ms(uint64_t ms) /* interrupted by SIGINT / SIGTERM */
{
    for (uint64_t t = 0; t < ms && !stop_flag; t += 50) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* One pass: from the contract's head (read now, as the epoch) to aegisd's
 * last batch, at most max batches. 0 (at the tip, or a batch waits for its
 * seal), -1 (failed, printed). */
static int publish_pass(aegis_cli_pub *p, uint64_t max, uint64_t *ret_posted)
{
    aegis_cli_l1 *l = &p->l;
    uint8_t w[64], ep_w[32], has_w[32];
    *ret_posted = 0;
    if (aegis_cli_l1_view0(l, p->contract, "head()", w, 2) ||
        aegis_cli_l1_view0(l, p->contract, "currentEpoch()", ep_w, 1) ||
        aegis_cli_l1_view0(l, p->contract, "hasKeySet()", has_w, 1))
        return -1;
    if (has_w[31] != 1) {
        fprintf(stderr, "%s: the contract has no key set yet: register aegisd's first key set "
                        "(registerGenesis, or registerGenesisSim on a sim deployment)\n", PROG);
        return -1;
    }
    uint64_t next = aegis_cli_l1_word_u64(w) + 1, posted = 0, epoch = aegis_cli_l1_word_u64(ep_w);
    int rc = 0;
    for (; posted < max && !stop_flag; next++, posted++) {
        json_t *b = NULL;
        int grc = aegis_cli_pub_aegisd(p, "aegis_getBatch", json_pack("[I]", (json_int_t)next), &b);
        if (grc == 1)
            break; /* aegisd has no such batch yet */
        if (grc != 0 || !json_is_object(b)) {
            json_decref(b);
            rc = grc != 0 ? -1 : 0;
            break;
        }
        json_int_t ke = json_integer_value(json_object_get(json_object_get(b, "header"), "key_epoch"));
        if (ke < 1) {
            fprintf(stderr, "%s: batch %" PRIu64 " has no key epoch\n", PROG, next);
            json_decref(b);
            rc = -1;
            break;
        }
        if ((uint64_t)ke > epoch) {
            if (aegis_cli_pub_follow_epochs(p, epoch, (uint64_t)ke) != 0) {
                json_decref(b);
                rc = -1;
                break;
            }
            epoch = (uint64_t)ke;
        } /* an older epoch: the contract takes it in the previous epoch's grace (or names the refusal) */
        uint8_t lv[32];
        int prc = aegis_cli_l1_view0(l, p->oracle, "level()", lv, 1)
                      ? -1
                      : publish_one(p, b, next, aegis_cli_l1_word_u64(lv) >= 2);
        json_decref(b);
        if (prc == 1)
            break; /* waits for its seal */
        if (prc) {
            rc = -1;
            break;
        }
    }
    *ret_posted = posted;
    return rc;
}

static int chain_publish(int argc, char **argv)
{
    const char *rpc_url = aegis_cli_rpc_url(&argc, argv);
    const char *l1url = NULL, *contract = NULL, *key = NULL, *max_s = NULL, *proof = "auto", *interval_s = NULL;
    bool follow = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--follow") == 0) {
            follow = true;
            continue;
        }
        const char **dst = strcmp(a, "--l1") == 0 ? &l1url : strcmp(a, "--contract") == 0 ? &contract
                         : strcmp(a, "--key") == 0 ? &key : strcmp(a, "--max") == 0 ? &max_s
                         : strcmp(a, "--proof") == 0 ? &proof : strcmp(a, "--interval") == 0 ? &interval_s : NULL;
        if (!dst || !v) {
            usage(stderr);
            return 2;
        }
        *dst = v;
        i++;
    }
    uint64_t max = UINT64_MAX, interval = 2000;
    uint8_t to[20];
    if (!l1url || aegis_cli_l1_address(contract, to) != 0 || !key ||
        (max_s && aegis_cli_parse_u64(max_s, &max) != 0) ||
        (interval_s && (aegis_cli_parse_u64(interval_s, &interval) != 0 || interval < 10 || interval > 3600000))) {
        usage(stderr);
        return 2;
    }
    aegis_cli_pub p;
    memset(&p, 0, sizeof(p));
    p.rpc_url = rpc_url;
    p.contract = contract;
    p.proof = strcmp(proof, "ml-dsa") == 0 ? AEGIS_CLI_PROOF_MLDSA
            : strcmp(proof, "seal") == 0   ? AEGIS_CLI_PROOF_SEAL
            : strcmp(proof, "auto") == 0   ? AEGIS_CLI_PROOF_AUTO
                                           : -1;
    if (p.proof < 0) {
        usage(stderr);
        return 2;
    }
    if (aegis_cli_l1_open(&p.l, PROG, l1url, key) != 0)
        return 1;
    aegis_cli_l1 *l = &p.l;
    int rc = 1;
    uint8_t w[64], oracle_w[32], pqc_w[32];
    if (aegis_cli_l1_view0(l, contract, "head()", w, 2) || aegis_cli_l1_view0(l, contract, "oracle()", oracle_w, 1) ||
        aegis_cli_l1_view0(l, contract, "pqc()", pqc_w, 1))
        goto out;
    memcpy(p.oracle, "0x", 2);
    memcpy(p.pqc, "0x", 2);
    aegis_hex_encode(p.oracle + 2, oracle_w + 12, 20);
    aegis_hex_encode(p.pqc + 2, pqc_w + 12, 20);
    fprintf(stderr, "%s: contract head is batch %" PRIu64 "; posting from %" PRIu64 " as %s%s\n", PROG,
            aegis_cli_l1_word_u64(w), aegis_cli_l1_word_u64(w) + 1, l->from, follow ? " (following)" : "");
    if (follow) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    uint64_t total = 0;
    for (;;) {
        uint64_t posted = 0;
        int prc = publish_pass(&p, max - total, &posted);
        total += posted;
        if (posted || !follow) {
            if (aegis_cli_l1_view0(l, contract, "head()", w, 2))
                goto out;
            char hh[65];
            aegis_hex_encode(hh, w + 32, 32);
            printf("head: batch %" PRIu64 " 0x%s (%" PRIu64 " posted)\n", aegis_cli_l1_word_u64(w), hh, total);
            fflush(stdout);
        }
        if (!follow) {
            rc = prc == 0 ? 0 : 1;
            goto out;
        }
        if (stop_flag || total >= max)
            break;
        /* at aegisd's tip, or a failure (printed; retried from the contract's head) */
        nap_ms(prc == 0 ? interval : 5 * interval);
        if (stop_flag)
            break;
    }
    rc = 0;
out:
    aegis_cli_l1_close(l);
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
