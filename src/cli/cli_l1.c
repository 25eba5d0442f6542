/* cli_l1.c - the CLI's L1 client (cli_l1.h): views and signed EIP-1559
 * transactions to a contract over JSON-RPC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aegis/crypto.h"
#include "aegis/http.h"
#include "aegis/tx.h"
#include "aegis/util.h"
#include "cli_keys.h"
#include "cli_l1.h"
#include "cli_rpc.h"

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

/* A JSON "0x..." quantity into a uint64 (aegis_eth_quantity_parse). */
static int quantity(json_t *v, uint64_t *ret)
{
    const char *s = json_string_value(v);
    return s && aegis_eth_quantity_parse(s, json_string_length(v), ret) == AEGIS_OK ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* The contracts' custom errors, so a refusal prints a name (the data's
 * first four bytes are the selector; arguments follow in hex). */
static const char *const known_errors[] = {
    "EcdsaRefusedAtEmergency()", "WrongBatchNumber(uint64,uint64)", "ParentMismatch(bytes32,bytes32)",
    "WrongKeyEpoch(uint64,uint64)", "BadEcdsaSignature(address,address)", "BadMldsaSignature()",
    "EpochNotNext(uint64,uint64)", "NoKeySet()", "KeySetLength(uint256)", "KeySetMalformed(string)",
    "KeySetMldsaNotRegistered(bytes32)", "HandoverMalformed(string)", "HandoverBadSignature()", "HandoverBadNewSignature()", "SimModeDisabled()",
    "MeasurementNotAllowed(bytes32)", "ReportDataMismatch(bytes32,bytes32)", "SealRefusedBelowEmergency()",
    "SealUnknown(bytes32)", "SealNotVerified(bytes32)", "NotInSeal(bytes32,uint64)", "EpochUnknown(uint64)",
    "HeaderLength(uint256)", "HeaderVersion(uint256)", "WrongChainId(uint64,uint64)", "NotGovernance(address)",
    "AssessmentMalformed(string)", "OracleKeyUnknown(bytes32)", "AssessmentBadSignature(bytes32)",
    "SequenceNotIncreasing(string,uint64,uint64)", "MldsaKeyLength(uint256)", "MldsaKeyAlreadyRegistered(bytes32)",
    "MldsaKeyUnknown(bytes32)", "MldsaRowOutOfRange(uint256)", "MldsaRowDone(bytes32,uint256)",
    "SlhSessionExists(bytes32)", "SlhSessionNotBegun(bytes32)", "SlhSessionFinished(bytes32)",
    "SlhHypertreeMismatch(bytes32)",
};

/* A JSON-RPC call to the L1 node whose error object is printed with its
 * data (a revert's custom error, named when it is one of the contracts').
 * Steals params. */
static int l1_rpc(const aegis_cli_l1 *l, const char *method, json_t *params, json_t **ret)
{
    *ret = NULL;
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params",
                            params ? params : json_array());
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body)
        return -1;
    aegis_http_response r;
    memset(&r, 0, sizeof(r));
    aegis_err err = aegis_http_post_json(l->url, body, strlen(body), 60000, &r);
    free(body);
    if (err) {
        fprintf(stderr, "%s: %s: %s (%s)\n", l->prog, method, aegis_strerror(err), aegis_err_name(err));
        return -1;
    }
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    aegis_http_response_clear(&r);
    json_t *e = json_object_get(j, "error");
    int rc = -1;
    if (json_is_object(e)) {
        const char *data = json_string_value(json_object_get(e, "data"));
        const char *name = NULL;
        for (size_t i = 0; data && strlen(data) >= 10 && i < sizeof(known_errors) / sizeof(known_errors[0]); i++) {
            uint8_t sel[4];
            char hex[9];
            selector(sel, known_errors[i]);
            aegis_hex_encode(hex, sel, 4);
            if (strncasecmp(data + 2, hex, 8) == 0)
                name = known_errors[i];
        }
        fprintf(stderr, "%s: %s: %s%s%s%s%s\n", l->prog, method,
                json_string_value(json_object_get(e, "message")) ? json_string_value(json_object_get(e, "message"))
                                                                  : "error",
                name ? ": " : "", name ? name : "", data ? " data " : "", data ? data : "");
    } else if (json_object_get(j, "result")) {
        *ret = json_incref(json_object_get(j, "result"));
        rc = 0;
    } else {
        fprintf(stderr, "%s: %s: the L1 node's answer is not JSON-RPC\n", l->prog, method);
    }
    json_decref(j);
    return rc;
}

int aegis_cli_l1_address(const char *s, uint8_t out[20])
{
    if (!s || strlen(s) != 42 || strncmp(s, "0x", 2) != 0 || aegis_hex_decode_exact(s + 2, out, 20) != AEGIS_OK)
        return -1;
    return 0;
}

int aegis_cli_l1_open(aegis_cli_l1 *l, const char *prog, const char *url, const char *keyfile)
{
    memset(l, 0, sizeof(*l));
    l->prog = prog;
    l->url = url;
    uint8_t pk[65], ah[32];
    if (aegis_cli_secp256k1_secret(prog, keyfile, l->sk) != 0)
        return -1;
    if (aegis_secp256k1_public(pk, l->sk) != AEGIS_OK) {
        fprintf(stderr, "%s: %s is not a valid secp256k1 key\n", prog, keyfile);
        aegis_cli_l1_close(l);
        return -1;
    }
    aegis_keccak256(ah, pk + 1, 64);
    l->from[0] = '0';
    l->from[1] = 'x';
    aegis_hex_encode(l->from + 2, ah + 12, 20);
    json_t *res = NULL;
    if (rpc(url, "eth_chainId", NULL, &res)) {
        aegis_cli_l1_close(l);
        return -1;
    }
    int qr = quantity(res, &l->chain_id);
    json_decref(res);
    if (qr) {
        fprintf(stderr, "%s: eth_chainId answered no quantity\n", prog);
        aegis_cli_l1_close(l);
        return -1;
    }
    return 0;
}

void aegis_cli_l1_close(aegis_cli_l1 *l)
{
    aegis_memzero(l->sk, sizeof(l->sk));
}

void aegis_cli_abi_u64(struct aegis_cli_abi_arg *a, uint64_t v)
{
    memset(a, 0, sizeof(*a));
    a->kind = AEGIS_ABI_WORD;
    aegis_put_be64(a->word + 24, v);
}

void aegis_cli_abi_bytes(struct aegis_cli_abi_arg *a, const uint8_t *p, size_t n)
{
    memset(a, 0, sizeof(*a));
    a->kind = AEGIS_ABI_BYTES;
    a->p = p;
    a->n = n;
}

void aegis_cli_abi_word(struct aegis_cli_abi_arg *a, const uint8_t w[32])
{
    memset(a, 0, sizeof(*a));
    a->kind = AEGIS_ABI_WORD;
    memcpy(a->word, w, 32);
}

void aegis_cli_abi_empty_array(struct aegis_cli_abi_arg *a)
{
    memset(a, 0, sizeof(*a));
    a->kind = AEGIS_ABI_EMPTY_ARRAY;
}

void aegis_cli_abi_words(struct aegis_cli_abi_arg *a, const uint8_t *words, size_t n)
{
    memset(a, 0, sizeof(*a));
    a->kind = AEGIS_ABI_WORDS;
    a->p = words;
    a->n = n;
}

static size_t tail_size(const struct aegis_cli_abi_arg *a)
{
    switch (a->kind) {
    case AEGIS_ABI_BYTES:
        return 32 + (a->n + 31) / 32 * 32;
    case AEGIS_ABI_EMPTY_ARRAY:
        return 32;
    case AEGIS_ABI_WORDS:
        return 32 + 32 * a->n;
    default:
        return 0;
    }
}

uint8_t *aegis_cli_abi_encode(const char *sig, const struct aegis_cli_abi_arg *args, size_t nargs, size_t *ret_len)
{
    size_t total = 4 + 32 * nargs;
    for (size_t i = 0; i < nargs; i++)
        total += tail_size(&args[i]);
    uint8_t *d = aegis_calloc(1, total);
    if (!d)
        return NULL;
    selector(d, sig);
    size_t off = 32 * nargs; /* offsets count from the start of the head */
    for (size_t i = 0; i < nargs; i++) {
        uint8_t *head = d + 4 + 32 * i;
        if (args[i].kind == AEGIS_ABI_WORD) {
            memcpy(head, args[i].word, 32);
            continue;
        }
        aegis_put_be64(head + 24, off);
        if (args[i].kind == AEGIS_ABI_BYTES || args[i].kind == AEGIS_ABI_WORDS) {
            aegis_put_be64(d + 4 + off + 24, args[i].n);
            size_t nb = args[i].kind == AEGIS_ABI_WORDS ? 32 * args[i].n : args[i].n;
            if (nb)
                memcpy(d + 4 + off + 32, args[i].p, nb);
        } /* an empty array: its length word stays 0 */
        off += tail_size(&args[i]);
    }
    *ret_len = total;
    return d;
}

int aegis_cli_l1_call(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n, uint8_t **ret,
                      size_t *ret_len)
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
        fprintf(stderr, "%s: eth_call answered no hex data\n", l->prog);
        return -1;
    }
    return 0;
}

int aegis_cli_l1_try(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n)
{
    char *hex = hex0x(data, n);
    if (!hex)
        return -1;
    json_t *req = json_pack("{s:s, s:i, s:s, s:[{s:s, s:s, s:s, s:s}, s]}", "jsonrpc", "2.0", "id", 1, "method",
                            "eth_call", "params", "from", l->from, "to", to, "data", hex, "gas", "0x1000000", "latest");
    aegis_free(hex);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body)
        return -1;
    aegis_http_response r;
    memset(&r, 0, sizeof(r));
    aegis_err err = aegis_http_post_json(l->url, body, strlen(body), 60000, &r);
    free(body);
    if (err) {
        fprintf(stderr, "%s: eth_call: %s (%s)\n", l->prog, aegis_strerror(err), aegis_err_name(err));
        return -1;
    }
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    aegis_http_response_clear(&r);
    int rc = json_object_get(j, "result") ? 0 : json_is_object(json_object_get(j, "error")) ? 1 : -1;
    json_decref(j);
    if (rc < 0)
        fprintf(stderr, "%s: eth_call: the L1 node's answer is not JSON-RPC\n", l->prog);
    return rc;
}

int aegis_cli_l1_view(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n, uint8_t *out,
                      size_t nwords)
{
    uint8_t *r = NULL;
    size_t rn = 0;
    if (aegis_cli_l1_call(l, to, data, n, &r, &rn) != 0)
        return -1;
    int rc = -1;
    if (rn >= 32 * nwords) {
        memcpy(out, r, 32 * nwords);
        rc = 0;
    } else {
        fprintf(stderr, "%s: a view at %s returned %zu bytes (is it the right contract?)\n", l->prog, to, rn);
    }
    aegis_free(r);
    return rc;
}

int aegis_cli_l1_view0(const aegis_cli_l1 *l, const char *to, const char *sig, uint8_t *out, size_t nwords)
{
    uint8_t sel[4];
    selector(sel, sig);
    return aegis_cli_l1_view(l, to, sel, 4, out, nwords);
}

uint64_t aegis_cli_l1_word_u64(const uint8_t w[32])
{
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = v << 8 | w[i];
    return v;
}

int aegis_cli_l1_send(const aegis_cli_l1 *l, const char *to, const uint8_t *data, size_t n, uint64_t *ret_gas,
                      char txhash[67])
{
    int rc = -1;
    json_t *res = NULL;
    char *hex = hex0x(data, n), *rawhex = NULL;
    uint8_t *raw = NULL, to_b[20];
    size_t raw_len = 0;
    uint64_t nonce, gas_price, estimate;
    if (!hex || aegis_cli_l1_address(to, to_b) != 0)
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
    /* searched up to the cap; a refusal (custom error) shows here, printed with its data */
    if (l1_rpc(l, "eth_estimateGas", json_pack("[{s:s, s:s, s:s, s:s}]", "from", l->from, "to", to, "data", hex, "gas", "0x1000000"), &res))
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
    p.gas_limit = estimate + estimate / 4 > AEGIS_CLI_L1_TX_GAS_CAP ? AEGIS_CLI_L1_TX_GAS_CAP : estimate + estimate / 4;
    aegis_u256_from_u64(&p.max_fee, 2 * gas_price + 1000000000ull);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000ull);
    memcpy(p.to, to_b, 20);
    p.data = data;
    p.data_len = n;
    aegis_err err = aegis_tx_build(&p, l->sk, &raw, &raw_len);
    if (err) {
        fprintf(stderr, "%s: signing the transaction: %s\n", l->prog, aegis_strerror(err));
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
        fprintf(stderr, "%s: no receipt for %s after two minutes\n", l->prog, txhash);
        goto out;
    }
    uint64_t status = 0;
    if (quantity(json_object_get(res, "status"), &status) || quantity(json_object_get(res, "gasUsed"), ret_gas))
        goto bad_answer;
    if (status != 1) {
        fprintf(stderr, "%s: transaction %s failed on chain\n", l->prog, txhash);
        goto out;
    }
    rc = 0;
    goto out;
bad_answer:
    fprintf(stderr, "%s: unexpected answer from the L1 node\n", l->prog);
out:
    json_decref(res);
    aegis_free(hex);
    aegis_free(rawhex);
    aegis_free(raw);
    return rc;
}
