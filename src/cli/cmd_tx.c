/*
 * cmd_tx.c - `aegis tx new`: build and sign a test transaction with a local
 * secp256k1 key and print it as 0x-hex (optionally with an Aegis extension:
 * ML-DSA-87 witness and/or migration intent).
 * `aegis tx decode HEX`: decode and check one transaction, print its fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/crypto.h"
#include "aegis/tx.h"
#include "aegis/util.h"
#include "cli_keys.h"

#define MAX_AL 16
#define MAX_AL_KEYS 64

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis tx new --key HEX|--key-file PATH [options]\n"
        "       aegis tx decode HEX|@FILE [--chain-id N] [--ext] [--require-eip155]\n\n"
        "tx new: build, sign and print a transaction as 0x-hex.\n"
        "  --type legacy|eip155|2930|1559  (default 1559; legacy = pre-EIP-155)\n"
        "  --chain-id N        (default 1)\n"
        "  --nonce N           (default 0)\n"
        "  --gas N             (default: the intrinsic gas)\n"
        "  --gas-price WEI     legacy / 2930 (default 1000000000)\n"
        "  --max-fee WEI       1559 (default 2000000000)\n"
        "  --priority-fee WEI  1559 (default 1000000000)\n"
        "  --to 0xADDR         recipient (omit to create a contract)\n"
        "  --value WEI         (decimal or 0x-hex, default 0)\n"
        "  --data 0xHEX        calldata / initcode\n"
        "  --access 0xADDR[:0xKEY,...]   access-list entry (2930/1559, repeatable)\n"
        "  --pqc-seed HEX      append an ML-DSA-87 witness (key from this 32-byte seed)\n"
        "  --pqc-register      include the ML-DSA-87 public key in the witness\n"
        "  --intent-migration [ASSET_HEX]  append a migration intent\n"
        "  -v                  print hash and sender to stderr\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || s[0] == '-' || s[0] == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end)
        return -1;
    *out = v;
    return 0;
}

static int read_key(const char *hex, const char *path, uint8_t sk[32])
{
    if (path)
        return aegis_cli_secp256k1_secret("aegis tx", path, sk);
    if (!hex || aegis_hex_decode_exact(hex, sk, 32) != AEGIS_OK) {
        fprintf(stderr, "aegis tx: the key must be 32 bytes of hex (--key or --key-file)\n");
        return -1;
    }
    return 0;
}

typedef struct new_opts {
    aegis_tx_params p;
    bool gas_set;
    aegis_tx_al_entry al[MAX_AL];
    uint8_t al_keys[MAX_AL][MAX_AL_KEYS][32];
    uint8_t *data;
    const char *key_hex, *key_file, *pqc_seed_hex;
    bool pqc_register, intent, verbose;
    uint8_t asset[AEGIS_TX_INTENT_MAX_ASSET];
    size_t asset_len;
} new_opts;

static int parse_access(new_opts *o, const char *s)
{
    if (o->p.access_list_len >= MAX_AL)
        return -1;
    aegis_tx_al_entry *e = &o->al[o->p.access_list_len];
    char addr[64];
    const char *colon = strchr(s, ':');
    size_t alen = colon ? (size_t)(colon - s) : strlen(s);
    if (alen >= sizeof(addr))
        return -1;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (aegis_hex_decode_exact(addr, e->address, 20))
        return -1;
    e->n_keys = 0;
    e->keys = (const uint8_t(*)[32])o->al_keys[o->p.access_list_len];
    while (colon && *colon) {
        const char *k = colon + 1;
        const char *comma = strchr(k, ',');
        size_t klen = comma ? (size_t)(comma - k) : strlen(k);
        char key[80];
        if (klen >= sizeof(key) || e->n_keys >= MAX_AL_KEYS)
            return -1;
        memcpy(key, k, klen);
        key[klen] = '\0';
        if (aegis_hex_decode_exact(key, o->al_keys[o->p.access_list_len][e->n_keys], 32))
            return -1;
        e->n_keys++;
        colon = comma;
    }
    o->p.access_list = o->al;
    o->p.access_list_len++;
    return 0;
}

/* Parse options; returns 0, or 2 for a usage error (message printed). */
static int parse_new(new_opts *o, int argc, char **argv)
{
    aegis_tx_params *p = &o->p;
    p->type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p->eip155 = true;
    p->chain_id = 1;
    p->is_create = true;
    aegis_u256_from_u64(&p->gas_price, 1000000000);
    aegis_u256_from_u64(&p->max_fee, 2000000000);
    aegis_u256_from_u64(&p->max_priority_fee, 1000000000);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1, bad = 0;
        if (strcmp(a, "--type") == 0 && v) {
            if (strcmp(v, "legacy") == 0) {
                p->type = AEGIS_TX_TYPE_LEGACY;
                p->eip155 = false;
            } else if (strcmp(v, "eip155") == 0 || strcmp(v, "155") == 0) {
                p->type = AEGIS_TX_TYPE_LEGACY;
            } else if (strcmp(v, "2930") == 0 || strcmp(v, "1") == 0) {
                p->type = AEGIS_TX_TYPE_ACCESS_LIST;
            } else if (strcmp(v, "1559") == 0 || strcmp(v, "2") == 0) {
                p->type = AEGIS_TX_TYPE_DYNAMIC_FEE;
            } else {
                bad = 1;
            }
        } else if (strcmp(a, "--chain-id") == 0 && v) {
            bad = parse_u64(v, &p->chain_id);
        } else if (strcmp(a, "--nonce") == 0 && v) {
            bad = parse_u64(v, &p->nonce);
        } else if (strcmp(a, "--gas") == 0 && v) {
            bad = parse_u64(v, &p->gas_limit);
            o->gas_set = true;
        } else if (strcmp(a, "--gas-price") == 0 && v) {
            bad = aegis_u256_parse(&p->gas_price, v) != AEGIS_OK;
        } else if (strcmp(a, "--max-fee") == 0 && v) {
            bad = aegis_u256_parse(&p->max_fee, v) != AEGIS_OK;
        } else if (strcmp(a, "--priority-fee") == 0 && v) {
            bad = aegis_u256_parse(&p->max_priority_fee, v) != AEGIS_OK;
        } else if (strcmp(a, "--value") == 0 && v) {
            bad = aegis_u256_parse(&p->value, v) != AEGIS_OK;
        } else if (strcmp(a, "--to") == 0 && v) {
            bad = aegis_hex_decode_exact(v, p->to, 20) != AEGIS_OK;
            p->is_create = false;
        } else if (strcmp(a, "--data") == 0 && v) {
            aegis_free(o->data);
            o->data = NULL;
            bad = aegis_hex_decode_alloc(v, AEGIS_TX_DEFAULT_MAX_BYTES, &o->data, &p->data_len) != AEGIS_OK;
            p->data = o->data;
        } else if (strcmp(a, "--access") == 0 && v) {
            bad = parse_access(o, v);
        } else if (strcmp(a, "--key") == 0 && v) {
            o->key_hex = v;
        } else if (strcmp(a, "--key-file") == 0 && v) {
            o->key_file = v;
        } else if (strcmp(a, "--pqc-seed") == 0 && v) {
            o->pqc_seed_hex = v;
        } else if (strcmp(a, "--pqc-register") == 0) {
            o->pqc_register = true;
            used = 0;
        } else if (strcmp(a, "--intent-migration") == 0) {
            o->intent = true;
            used = 0;
            if (v && v[0] != '-') {
                uint8_t *asset = NULL;
                bad = aegis_hex_decode_alloc(v, AEGIS_TX_INTENT_MAX_ASSET, &asset, &o->asset_len) != AEGIS_OK;
                if (!bad)
                    memcpy(o->asset, asset, o->asset_len);
                aegis_free(asset);
                used = 1;
            }
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            o->verbose = true;
            used = 0;
        } else {
            fprintf(stderr, "aegis tx new: unknown or incomplete option '%s'\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "aegis tx new: bad value for %s: '%s'\n", a, v ? v : "");
            return 2;
        }
        i += used;
    }
    if (p->type == AEGIS_TX_TYPE_LEGACY && p->access_list_len) {
        fprintf(stderr, "aegis tx new: --access needs --type 2930 or 1559\n");
        return 2;
    }
    if (o->pqc_register && !o->pqc_seed_hex) {
        fprintf(stderr, "aegis tx new: --pqc-register needs --pqc-seed\n");
        return 2;
    }
    if (!o->gas_set) {
        size_t keys = 0;
        for (size_t i = 0; i < p->access_list_len; i++)
            keys += o->al[i].n_keys;
        p->gas_limit = aegis_tx_intrinsic_gas(p->is_create, p->data, p->data_len,
                                              p->access_list_len, keys);
    }
    return 0;
}

/* Append the ML-DSA-87 witness over the tx hash and/or the intent. */
static aegis_err add_extension(new_opts *o, aegis_buf *out, const uint8_t txhash[32])
{
    uint8_t seed[32];
    uint8_t *pk = NULL, *sk = NULL, *sig = NULL;
    aegis_err err = AEGIS_OK;
    if (o->pqc_seed_hex) {
        pk = aegis_malloc(AEGIS_MLDSA87_PK_BYTES);
        sk = aegis_malloc(AEGIS_MLDSA87_SK_BYTES);
        sig = aegis_malloc(AEGIS_MLDSA87_SIG_BYTES);
        if (!pk || !sk || !sig) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
        if ((err = aegis_hex_decode_exact(o->pqc_seed_hex, seed, 32)))
            goto out;
        if ((err = aegis_mldsa87_keygen_seed(pk, sk, seed)))
            goto out;
        if ((err = aegis_mldsa87_sign(sig, txhash, 32, (const uint8_t *)AEGIS_TX_WITNESS_CTX,
                                      strlen(AEGIS_TX_WITNESS_CTX), sk, true)))
            goto out;
    }
    err = aegis_tx_ext_append(out, sig, o->pqc_register ? pk : NULL,
                              o->intent ? AEGIS_TX_INTENT_MIGRATION : 0, o->asset, o->asset_len);
out:
    aegis_memzero(seed, sizeof(seed));
    aegis_free_secret(sk, AEGIS_MLDSA87_SK_BYTES);
    aegis_free(pk);
    aegis_free(sig);
    return err;
}

static int print_hex(const uint8_t *p, size_t n)
{
    char *hex = aegis_malloc(2 * n + 1);
    if (!hex)
        return 1;
    aegis_hex_encode(hex, p, n);
    printf("0x%s\n", hex);
    aegis_free(hex);
    return 0;
}

static int tx_new(int argc, char **argv)
{
    new_opts *o = aegis_calloc(1, sizeof(*o));
    uint8_t sk[32];
    uint8_t *raw = NULL;
    size_t n = 0;
    aegis_buf out;
    int rc = 1;
    aegis_buf_init(&out, 4 * AEGIS_TX_DEFAULT_MAX_BYTES);
    if (!o)
        return 1;
    if ((rc = parse_new(o, argc, argv)) != 0)
        goto done;
    rc = 1;
    if (read_key(o->key_hex, o->key_file, sk) != 0) {
        rc = 2;
        goto done;
    }
    aegis_err err = aegis_tx_build(&o->p, sk, &raw, &n);
    if (err) {
        fprintf(stderr, "aegis tx new: %s\n", aegis_strerror(err));
        goto done;
    }
    uint8_t txhash[32];
    aegis_keccak256(txhash, raw, n);
    if ((err = aegis_buf_append(&out, raw, n)))
        goto fail;
    if ((o->pqc_seed_hex || o->intent) && (err = add_extension(o, &out, txhash)))
        goto fail;
    /* Self-check: what we print must pass our own decoder. */
    aegis_tx_config cfg;
    aegis_tx tx;
    const char *msg = NULL;
    aegis_tx_config_default(&cfg);
    cfg.chain_id = o->p.chain_id;
    cfg.allow_extension = true;
    if ((err = aegis_tx_decode(&cfg, out.data, out.len, &tx, &msg))) {
        fprintf(stderr, "aegis tx new: the transaction does not validate: %s (%s)\n",
                aegis_strerror(err), msg ? msg : "");
        goto done;
    }
    if (o->verbose) {
        char h[65], s[41];
        aegis_hex_encode(h, tx.hash, 32);
        aegis_hex_encode(s, tx.sender, 20);
        fprintf(stderr, "hash 0x%s\nsender 0x%s\nintrinsic gas %llu\n", h, s,
                (unsigned long long)tx.intrinsic_gas);
    }
    rc = print_hex(out.data, out.len);
    goto done;
fail:
    fprintf(stderr, "aegis tx new: %s\n", aegis_strerror(err));
done:
    aegis_memzero(sk, sizeof(sk));
    aegis_free(raw);
    aegis_buf_clear(&out);
    aegis_free(o->data);
    aegis_free(o);
    return rc;
}

static void print_u256(const char *name, const aegis_u256 *v)
{
    char d[80];
    aegis_u256_to_dec(d, v);
    printf("%-18s %s\n", name, d);
}

static void print_bytes(const char *name, const uint8_t *p, size_t n)
{
    char h[65];
    aegis_hex_encode(h, p, n);
    printf("%-18s 0x%s\n", name, h);
}

static int tx_decode_cmd(int argc, char **argv)
{
    aegis_tx_config cfg;
    aegis_tx_config_default(&cfg);
    const char *in = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--chain-id") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &cfg.chain_id))
                return 2;
        } else if (strcmp(argv[i], "--ext") == 0) {
            cfg.allow_extension = true;
        } else if (strcmp(argv[i], "--require-eip155") == 0) {
            cfg.require_eip155 = true;
        } else if (!in) {
            in = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!in) {
        usage(stderr);
        return 2;
    }
    uint8_t *file = NULL, *raw = NULL;
    size_t fn = 0, n = 0;
    aegis_err err;
    if (in[0] == '@') {
        if ((err = aegis_file_read(in + 1, 4 * AEGIS_TX_DEFAULT_MAX_BYTES, &file, &fn))) {
            fprintf(stderr, "aegis tx decode: %s: %s\n", in + 1, aegis_strerror(err));
            return 1;
        }
        while (fn > 0 && (file[fn - 1] == '\n' || file[fn - 1] == '\r' || file[fn - 1] == ' '))
            fn--;
        char *s = aegis_strndup((const char *)file, fn);
        aegis_free(file);
        if (!s)
            return 1;
        err = aegis_hex_decode_alloc(s, 4 * AEGIS_TX_DEFAULT_MAX_BYTES, &raw, &n);
        aegis_free(s);
    } else {
        err = aegis_hex_decode_alloc(in, 4 * AEGIS_TX_DEFAULT_MAX_BYTES, &raw, &n);
    }
    if (err) {
        fprintf(stderr, "aegis tx decode: %s\n", aegis_strerror(err));
        return 1;
    }
    aegis_tx tx;
    const char *msg = NULL;
    err = aegis_tx_decode(&cfg, raw, n, &tx, &msg);
    if (err) {
        printf("invalid: %s (%s): %s\n", aegis_err_name(err), aegis_strerror(err), msg ? msg : "");
        aegis_free(raw);
        return 1;
    }
    printf("%-18s %u%s\n", "type", tx.type, tx.type == 0 ? (tx.eip155 ? " (legacy, EIP-155)" : " (legacy, unprotected)") : "");
    printf("%-18s %llu\n", "chain id", (unsigned long long)tx.chain_id);
    printf("%-18s %llu\n", "nonce", (unsigned long long)tx.nonce);
    printf("%-18s %llu\n", "gas limit", (unsigned long long)tx.gas_limit);
    print_u256(tx.type == 2 ? "max fee" : "gas price", &tx.max_fee);
    if (tx.type == 2)
        print_u256("max priority fee", &tx.max_priority_fee);
    if (tx.is_create)
        printf("%-18s (contract creation)\n", "to");
    else
        print_bytes("to", tx.to, 20);
    print_u256("value", &tx.value);
    printf("%-18s %zu bytes\n", "data", tx.data_len);
    if (tx.type != 0)
        printf("%-18s %zu addresses, %zu keys\n", "access list", tx.access_list_addresses,
               tx.access_list_keys);
    print_bytes("sender", tx.sender, 20);
    print_bytes("hash", tx.hash, 32);
    print_bytes("signing hash", tx.signing_hash, 32);
    printf("%-18s %llu\n", "intrinsic gas", (unsigned long long)tx.intrinsic_gas);
    print_u256("priority", &tx.priority);
    if (tx.assets.call > AEGIS_TX_CALL_OTHER)
        printf("%-18s kind %d, %zu token ids, args %s\n", "token call", (int)tx.assets.call,
               tx.assets.n_ids_total, tx.assets.args_ok ? "ok" : "malformed");
    if (tx.ext.present)
        printf("%-18s witness %s%s, intent %s\n", "extension", tx.ext.witness_sig ? "yes" : "no",
               tx.ext.witness_pk ? " (+key)" : "", tx.ext.has_intent ? "migration" : "none");
    if (tx.ext.present && tx.ext.witness_pk) {
        err = aegis_tx_verify_witness(&tx, NULL);
        printf("%-18s %s\n", "witness check", err ? aegis_strerror(err) : "ok (self-registered key)");
    }
    aegis_free(raw);
    return 0;
}

static int tx_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "new") == 0)
        return tx_new(argc, argv);
    if (strcmp(argv[1], "decode") == 0)
        return tx_decode_cmd(argc, argv);
    usage(stderr);
    return 2;
}

const struct aegis_cli_cmd aegis_cli_cmd_tx = { "tx", tx_main, "build and sign a test transaction (tx new), or decode one" };
