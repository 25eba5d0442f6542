/*
 * cmd_submit.c - `aegis submit`: fetch the sequencer's key set, check that
 * its attestation binds it, encrypt a signed transaction to it, submit the
 * envelope, verify the signed receipt, and with --wait follow the
 * transaction until a batch includes it, verifying that batch's signatures
 * and the inclusion Merkle proof.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/cli.h"
#include "aegis/tx.h"
#include "cli_chain.h"
#include "cli_keys.h"
#include "cli_rpc.h"

#define PROG "aegis submit"

typedef struct submit_opts {
    const char *tx_hex, *key_file, *to_hex, *value, *max_fee, *prio_fee, *data_hex;
    uint64_t nonce, chain_id, gas, timeout_s;
    bool has_chain_id, has_gas, wait, allow_sim, json;
} submit_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis submit --rpc URL (--tx 0xHEX | --key FILE [--to 0xADDR] [tx options])\n"
        "                    [--wait [--timeout S]] [--allow-sim] [--json]\n\n"
        "Encrypt a signed transaction to the node's attested key and submit it.\n"
        "  --rpc URL          node endpoint (default $AEGIS_RPC or %s)\n"
        "  --tx 0xHEX         an already signed transaction (e.g. from 'aegis tx new')\n"
        "  --key FILE         secp256k1 secret key file ('secp256k1 <hex>' or bare hex, mode 0600)\n"
        "  --to 0xADDR        recipient (omit to create a contract)\n"
        "  --value WEI        (default 0)      --nonce N     (default 0)\n"
        "  --max-fee WEI      (default 2 gwei) --priority-fee WEI (default 1 gwei)\n"
        "  --gas N            (default: intrinsic gas)  --data 0xHEX  calldata\n"
        "  --chain-id N       (default: the node's eth_chainId)\n"
        "  --wait             wait until a batch includes it; verify the batch and the proof\n"
        "  --timeout S        give up waiting after S seconds (default 60)\n"
        "  --allow-sim        accept a simulated (insecure) TEE attestation - development only\n"
        "  --json             print the signed receipt JSON\n"
        "Exit: 0 accepted (and included with --wait), 1 rejected or not verifiable, 2 usage.\n",
        AEGIS_CLI_RPC_DEFAULT_URL);
}

static int parse_args(submit_opts *o, int argc, char **argv)
{
    o->timeout_s = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0, used = 1;
        if (strcmp(a, "--tx") == 0 && v)
            o->tx_hex = v;
        else if (strcmp(a, "--key") == 0 && v)
            o->key_file = v;
        else if (strcmp(a, "--to") == 0 && v)
            o->to_hex = v;
        else if (strcmp(a, "--value") == 0 && v)
            o->value = v;
        else if (strcmp(a, "--max-fee") == 0 && v)
            o->max_fee = v;
        else if (strcmp(a, "--priority-fee") == 0 && v)
            o->prio_fee = v;
        else if (strcmp(a, "--data") == 0 && v)
            o->data_hex = v;
        else if (strcmp(a, "--nonce") == 0 && v)
            bad = aegis_cli_parse_u64(v, &o->nonce);
        else if (strcmp(a, "--gas") == 0 && v)
            bad = aegis_cli_parse_u64(v, &o->gas), o->has_gas = true;
        else if (strcmp(a, "--chain-id") == 0 && v)
            bad = aegis_cli_parse_u64(v, &o->chain_id), o->has_chain_id = true;
        else if (strcmp(a, "--timeout") == 0 && v)
            bad = aegis_cli_parse_u64(v, &o->timeout_s);
        else if (strcmp(a, "--wait") == 0)
            o->wait = true, used = 0;
        else if (strcmp(a, "--allow-sim") == 0)
            o->allow_sim = true, used = 0;
        else if (strcmp(a, "--json") == 0)
            o->json = true, used = 0;
        else {
            fprintf(stderr, PROG ": unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, PROG ": bad value for %s: '%s'\n", a, v);
            return 2;
        }
        i += used;
    }
    if (!o->tx_hex == !o->key_file) {
        fprintf(stderr, PROG ": give exactly one of --tx 0xHEX or --key FILE\n");
        return 2;
    }
    return 0;
}


static int node_chain_id(const char *url, uint64_t *out)
{
    json_t *res = NULL;
    aegis_client_rpc_err e;
    if (aegis_client_call(url, "eth_chainId", NULL, 30000, &res, &e) != 0) {
        aegis_cli_print_rpc_err(PROG, "eth_chainId", &e);
        return -1;
    }
    int rc = aegis_cli_parse_u64(json_string_value(res), out);
    if (rc)
        fprintf(stderr, PROG ": eth_chainId answered something that is not a quantity\n");
    json_decref(res);
    return rc;
}

/* Build and sign the EIP-1559 transaction described by the options. */
static int build_tx(const submit_opts *o, uint8_t **raw, size_t *len)
{
    aegis_tx_params p;
    uint8_t sk[32], *data = NULL;
    int rc = -1;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.eip155 = true;
    p.chain_id = o->chain_id;
    p.nonce = o->nonce;
    p.is_create = o->to_hex == NULL;
    aegis_u256_from_u64(&p.max_fee, 2000000000);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000);
    if ((o->to_hex && aegis_hex_decode_exact(o->to_hex, p.to, 20)) ||
        (o->value && aegis_u256_parse(&p.value, o->value)) ||
        (o->max_fee && aegis_u256_parse(&p.max_fee, o->max_fee)) ||
        (o->prio_fee && aegis_u256_parse(&p.max_priority_fee, o->prio_fee)) ||
        (o->data_hex && aegis_hex_decode_alloc(o->data_hex, AEGIS_TX_DEFAULT_MAX_BYTES, &data, &p.data_len))) {
        fprintf(stderr, PROG ": bad --to, --value, --max-fee, --priority-fee or --data value\n");
        goto out;
    }
    p.data = data;
    p.gas_limit = o->has_gas ? o->gas : aegis_tx_intrinsic_gas(p.is_create, data, p.data_len, 0, 0);
    if (aegis_cli_secp256k1_secret(PROG, o->key_file, sk) != 0)
        goto out;
    aegis_err err = aegis_tx_build(&p, sk, raw, len);
    aegis_memzero(sk, sizeof(sk));
    if (err) {
        fprintf(stderr, PROG ": cannot build the transaction: %s\n", aegis_strerror(err));
        goto out;
    }
    rc = 0;
out:
    aegis_free(data);
    return rc;
}

/* Wait until a batch includes tx_hash; the batch and the proof are verified. */
static int wait_included(const char *url, const submit_opts *o, const aegis_client_keyset *ks,
                         const uint8_t tx_hash[32])
{
    aegis_client_txstatus st;
    aegis_chain_batch b;
    const char *why = NULL;
    memset(&st, 0, sizeof(st));
    memset(&b, 0, sizeof(b));
    aegis_err err = aegis_client_wait_included(url, ks, o->allow_sim, tx_hash, o->timeout_s * 1000, &st, &b, &why);
    if (err == AEGIS_ERR_CLIENT_WAIT_TIMEOUT) {
        fprintf(stderr, PROG ": still pending after %llu s\n", (unsigned long long)o->timeout_s);
        return 1;
    }
    if (err == AEGIS_ERR_CLIENT_TX_REJECTED || err == AEGIS_ERR_CLIENT_TX_EVICTED) {
        char *h = aegis_client_hex(tx_hash, 32);
        fprintf(stderr, PROG ": transaction %s: %s%s%s\n", h ? h : "?", st.status, st.reason[0] ? ": " : "",
                st.reason);
        aegis_free(h);
        return 1;
    }
    if (err) {
        fprintf(stderr, PROG ": batch %llu does not prove the inclusion: %s (%s)\n",
                (unsigned long long)st.batch, why ? why : aegis_strerror(err), aegis_err_name(err));
        return 1;
    }
    char h[67];
    h[0] = '0';
    h[1] = 'x';
    aegis_hex_encode(h + 2, b.hash, 32);
    printf("included in batch %llu %s at index %llu (batch signatures ok, inclusion proof ok)\n",
           (unsigned long long)b.h.number, h, (unsigned long long)st.index);
    aegis_chain_batch_clear(&b);
    return 0;
}

static int submit_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *url = aegis_cli_rpc_url(&argc, argv);
    submit_opts o;
    memset(&o, 0, sizeof(o));
    int rc = parse_args(&o, argc, argv);
    if (rc)
        return rc;
    rc = 1;
    aegis_client_keyset ks;
    memset(&ks, 0, sizeof(ks));
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    char *env_hex = NULL;
    json_t *res = NULL;
    uint64_t node_chain = 0;

    /* 1. The key, and the attestation that binds it. */
    if (aegis_cli_keyset_fetch(PROG, url, 0, o.allow_sim, &ks, NULL) != 0)
        goto out;
    if (node_chain_id(url, &node_chain) != 0)
        goto out;
    if (!o.has_chain_id)
        o.chain_id = node_chain;
    /* 2. The transaction. */
    if (o.tx_hex) {
        if (aegis_hex_decode_alloc(o.tx_hex, AEGIS_ENVELOPE_MAX_PLAINTEXT, &raw, &raw_len) || raw_len == 0) {
            fprintf(stderr, PROG ": --tx must be 0x-hex of a signed transaction\n");
            rc = 2;
            goto out;
        }
    } else if (build_tx(&o, &raw, &raw_len) != 0) {
        goto out;
    }
    /* The node is the authority on validity; decode locally only to know the
     * hash to follow and to warn early. */
    aegis_tx_config cfg;
    aegis_tx tx;
    const char *msg = NULL;
    bool have_hash = false;
    aegis_tx_config_default(&cfg);
    cfg.chain_id = node_chain;
    cfg.allow_extension = true;
    cfg.max_bytes = AEGIS_ENVELOPE_MAX_PLAINTEXT;
    if (aegis_tx_decode(&cfg, raw, raw_len, &tx, &msg) == AEGIS_OK)
        have_hash = true;
    else
        fprintf(stderr, PROG ": warning: the node will probably reject this transaction (%s)\n",
                msg ? msg : "does not decode");
    /* 3. Encrypt and submit. */
    aegis_err err = aegis_client_seal(&ks, raw, raw_len, &env, &env_len);
    if (err) {
        fprintf(stderr, PROG ": cannot encrypt: %s\n", aegis_strerror(err));
        goto out;
    }
    if (!(env_hex = aegis_client_hex(env, env_len)))
        goto out;
    json_t *params = json_pack("[s]", env_hex);
    aegis_client_rpc_err e;
    int r = aegis_client_call(url, "aegis_sendEncryptedTransaction", params, 30000, &res, &e);
    json_decref(params);
    if (r != 0) {
        if (r == 1)
            fprintf(stderr, PROG ": rejected: %s (%s, aegis code %d, JSON-RPC code %d)\n", e.message,
                    e.name[0] ? e.name : "?", e.aegis_code, e.code);
        else
            aegis_cli_print_rpc_err(PROG, "aegis_sendEncryptedTransaction", &e);
        goto out;
    }
    /* 4. The signed receipt. */
    aegis_client_receipt rcpt;
    const char *why = NULL;
    err = aegis_client_receipt_parse(res, &rcpt, &why);
    if (!err && rcpt.key_epoch != ks.pub.epoch) {
        /* the key rotated after we fetched it (sealed inside the old epoch's
         * grace window): the receipt is signed by the new epoch's key */
        aegis_client_keyset_clear(&ks);
        if (aegis_cli_keyset_fetch(PROG, url, rcpt.key_epoch, o.allow_sim, &ks, NULL) != 0)
            goto out;
    }
    if (!err)
        err = aegis_client_receipt_verify(&rcpt, &ks.pub, env, env_len, have_hash ? tx.hash : NULL, &why);
    if (err) {
        fprintf(stderr, PROG ": the receipt does not verify: %s\n", why);
        goto out;
    }
    if (o.json) {
        char *s = json_dumps(res, JSON_INDENT(2));
        if (s)
            puts(s);
        free(s);
    }
    char *th = aegis_client_hex(rcpt.tx_hash, 32);
    printf("accepted tx %s seq %llu envelope %llu epoch %llu (receipt signature ok)\n", th ? th : "?",
           (unsigned long long)rcpt.seq, (unsigned long long)rcpt.envelope_id,
           (unsigned long long)rcpt.key_epoch);
    aegis_free(th);
    fflush(stdout);
    rc = o.wait ? wait_included(url, &o, &ks, rcpt.tx_hash) : 0;
out:
    json_decref(res);
    aegis_free(env_hex);
    aegis_free(env);
    aegis_free(raw);
    aegis_client_keyset_clear(&ks);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_submit = {
    "submit", submit_main, "encrypt a transaction to the attested key, submit, verify receipt (--wait: inclusion)"
};
