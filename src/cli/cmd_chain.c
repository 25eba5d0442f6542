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
#include "aegis/tx.h"
#include "aegis/util.h"
#include "cli_chain.h"
#include "cli_keys.h"
#include "cli_rpc.h"

#define PROG "aegis chain publish"
#define TX_GAS_CAP 16777216u

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

struct l1 {
    const char *url;
    char contract[43];
    uint8_t to[20];
    char from[43];
    uint8_t sk[32];
    uint64_t chain_id;
};

/* aegis_cli_rpc_call with params stolen (json_pack results passed inline). */
static int rpc(const char *url, const char *method, json_t *params, json_t **ret)
{
    int rc = aegis_cli_rpc_call(url, method, params, ret, NULL);
    json_decref(params);
    return rc;
}

static void selector(uint8_t out[4], const char *sig)
{
    uint8_t h[32];
    aegis_keccak256(h, sig, strlen(sig));
    memcpy(out, h, 4);
}

static char *hex0x(const uint8_t *b, size_t n)
{
    char *s = aegis_malloc(2 * n + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    aegis_hex_encode(s + 2, b, n);
    return s;
}

/* A JSON "0x..." quantity into a uint64 (0 and -1 on failure). */
static int quantity(json_t *v, uint64_t *ret)
{
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "0x", 2) != 0 || strlen(s) < 3 || strlen(s) > 18)
        return -1;
    char *end = NULL;
    unsigned long long x = strtoull(s + 2, &end, 16);
    if (!end || *end)
        return -1;
    *ret = x;
    return 0;
}

/* eth_call to `to` with calldata; the returned bytes (aegis_free). */
static int eth_call(const struct l1 *l, const char *to, const uint8_t *data, size_t n, uint8_t **ret, size_t *ret_len)
{
    char *hex = hex0x(data, n);
    if (!hex)
        return -1;
    json_t *res = NULL;
    int rc = rpc(l->url, "eth_call", json_pack("[{s:s, s:s, s:s}, s]", "from", l->from, "to", to, "data", hex, "latest"),
                 &res);
    aegis_free(hex);
    if (rc != 0)
        return -1;
    const char *s = json_string_value(res);
    aegis_err err = s && strncmp(s, "0x", 2) == 0 ? aegis_hex_decode_alloc(s + 2, 1 << 20, ret, ret_len)
                                                  : AEGIS_ERR_INVAL;
    json_decref(res);
    if (err) {
        fprintf(stderr, "%s: eth_call answered no hex data\n", PROG);
        return -1;
    }
    return 0;
}

/* A no-argument view returning one word. */
static int view_word(const struct l1 *l, const char *to, const char *sig, uint8_t word[32], uint8_t *second)
{
    uint8_t sel[4], *out = NULL;
    size_t n = 0;
    selector(sel, sig);
    if (eth_call(l, to, sel, 4, &out, &n) != 0)
        return -1;
    int rc = -1;
    if (n >= (second ? 64u : 32u)) {
        memcpy(word, out, 32);
        if (second)
            memcpy(second, out + 32, 32);
        rc = 0;
    } else {
        fprintf(stderr, "%s: %s at %s returned %zu bytes (is it the right contract?)\n", PROG, sig, to, n);
    }
    aegis_free(out);
    return rc;
}

static uint64_t word_u64(const uint8_t w[32])
{
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = v << 8 | w[i];
    return v;
}

/* submitBatch(bytes header, bytes ecdsa, bytes mldsa) calldata. */
static uint8_t *submit_calldata(const uint8_t *parts[3], const size_t lens[3], size_t *ret_len)
{
    size_t total = 4 + 3 * 32;
    for (int i = 0; i < 3; i++)
        total += 32 + (lens[i] + 31) / 32 * 32;
    uint8_t *d = aegis_calloc(1, total);
    if (!d)
        return NULL;
    selector(d, "submitBatch(bytes,bytes,bytes)");
    size_t off = 3 * 32, p = 4 + 3 * 32;
    for (int i = 0; i < 3; i++) {
        aegis_put_be64(d + 4 + 32 * i + 24, off);
        aegis_put_be64(d + p + 24, lens[i]);
        if (lens[i])
            memcpy(d + p + 32, parts[i], lens[i]);
        size_t sz = 32 + (lens[i] + 31) / 32 * 32;
        p += sz;
        off += sz;
    }
    *ret_len = total;
    return d;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Sign and send one transaction to the contract; wait for its receipt.
 * *ret_gas: gas used. 0, or -1 (printed). */
static int send_tx(const struct l1 *l, const uint8_t *data, size_t n, uint64_t *ret_gas, char txhash[67])
{
    int rc = -1;
    json_t *res = NULL;
    char *hex = hex0x(data, n), *rawhex = NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    uint64_t nonce, gas_price, estimate;
    if (!hex)
        goto out;
    if (rpc(l->url, "eth_getTransactionCount", json_pack("[s, s]", l->from, "pending"), &res) ||
        quantity(res, &nonce))
        goto bad_answer;
    json_decref(res);
    res = NULL;
    if (rpc(l->url, "eth_gasPrice", NULL, &res) || quantity(res, &gas_price))
        goto bad_answer;
    json_decref(res);
    res = NULL;
    /* a refusal (custom error) shows here, printed by the helper with its data */
    if (rpc(l->url, "eth_estimateGas",
                           json_pack("[{s:s, s:s, s:s}]", "from", l->from, "to", l->contract, "data", hex), &res))
        goto out;
    if (quantity(res, &estimate))
        goto bad_answer;
    json_decref(res);
    res = NULL;

    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.chain_id = l->chain_id;
    p.nonce = nonce;
    p.gas_limit = estimate + estimate / 4 > TX_GAS_CAP ? TX_GAS_CAP : estimate + estimate / 4;
    aegis_u256_from_u64(&p.max_fee, 2 * gas_price + 1000000000ull);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000ull);
    memcpy(p.to, l->to, 20);
    p.data = data;
    p.data_len = n;
    aegis_err err = aegis_tx_build(&p, l->sk, &raw, &raw_len);
    if (err) {
        fprintf(stderr, "%s: signing the transaction: %s\n", PROG, aegis_strerror(err));
        goto out;
    }
    if (!(rawhex = hex0x(raw, raw_len)))
        goto out;
    if (rpc(l->url, "eth_sendRawTransaction", json_pack("[s]", rawhex), &res))
        goto out;
    const char *h = json_string_value(res);
    if (!h || strlen(h) != 66)
        goto bad_answer;
    memcpy(txhash, h, 67);
    json_decref(res);
    res = NULL;
    for (int i = 0; i < 1200; i++) { /* up to two minutes */
        if (rpc(l->url, "eth_getTransactionReceipt", json_pack("[s]", txhash), &res))
            goto out;
        if (json_is_object(res))
            break;
        json_decref(res);
        res = NULL;
        sleep_ms(100);
    }
    if (!json_is_object(res)) {
        fprintf(stderr, "%s: no receipt for %s after two minutes\n", PROG, txhash);
        goto out;
    }
    uint64_t status = 0;
    if (quantity(json_object_get(res, "status"), &status) || quantity(json_object_get(res, "gasUsed"), ret_gas))
        goto bad_answer;
    if (status != 1) {
        fprintf(stderr, "%s: transaction %s failed on chain\n", PROG, txhash);
        goto out;
    }
    rc = 0;
    goto out;
bad_answer:
    fprintf(stderr, "%s: unexpected answer from the L1 node\n", PROG);
out:
    json_decref(res);
    aegis_free(hex);
    aegis_free(rawhex);
    aegis_free(raw);
    return rc;
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

static int publish_one(const struct l1 *l, json_t *b, uint64_t number, bool emergency)
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
    if (!(data = submit_calldata(parts, lens, &dl)))
        goto out;
    uint64_t gas = 0;
    char txh[67];
    if (send_tx(l, data, dl, &gas, txh) != 0) {
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
    if (!l1url || !contract || !key || strlen(contract) != 42 || strncmp(contract, "0x", 2) != 0 ||
        (max_s && aegis_cli_parse_u64(max_s, &max) != 0)) {
        usage(stderr);
        return 2;
    }
    struct l1 l;
    memset(&l, 0, sizeof(l));
    l.url = l1url;
    memcpy(l.contract, contract, 43);
    int rc = 1;
    uint8_t pk[65], ah[32];
    if (aegis_hex_decode_exact(contract + 2, l.to, 20) != AEGIS_OK) {
        usage(stderr);
        return 2;
    }
    if (aegis_cli_secp256k1_secret(PROG, key, l.sk) != 0)
        return 1;
    if (aegis_secp256k1_public(pk, l.sk) != AEGIS_OK)
        goto out;
    aegis_keccak256(ah, pk + 1, 64);
    l.from[0] = '0';
    l.from[1] = 'x';
    aegis_hex_encode(l.from + 2, ah + 12, 20);

    json_t *res = NULL;
    if (rpc(l.url, "eth_chainId", NULL, &res))
        goto out;
    int qr = quantity(res, &l.chain_id);
    json_decref(res);
    if (qr) {
        fprintf(stderr, "%s: eth_chainId answered no quantity\n", PROG);
        goto out;
    }
    uint8_t w[32], w2[32], oracle_w[32];
    if (view_word(&l, l.contract, "head()", w, w2) || view_word(&l, l.contract, "oracle()", oracle_w, NULL))
        goto out;
    uint64_t next = word_u64(w) + 1, posted = 0;
    char oracle[43] = "0x";
    aegis_hex_encode(oracle + 2, oracle_w + 12, 20);
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
        uint8_t lv[32];
        int prc = view_word(&l, oracle, "level()", lv, NULL) ? -1 : publish_one(&l, b, next, word_u64(lv) >= 2);
        json_decref(b);
        if (prc)
            goto out;
    }
    if (view_word(&l, l.contract, "head()", w, w2))
        goto out;
    char hh[65];
    aegis_hex_encode(hh, w2, 32);
    printf("head: batch %" PRIu64 " 0x%s (%" PRIu64 " posted)\n", word_u64(w), hh, posted);
    rc = 0;
out:
    aegis_memzero(l.sk, sizeof(l.sk));
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
