/*
 * cmd_verify.c - `aegis verify`: check published batches with no trust in
 * the node that serves them.
 *
 *   aegis verify --rpc URL --all | --from N --to M [--allow-sim] [--require-slh]
 *   aegis verify FILE [--keyset FILE] [--allow-sim] [--require-slh]
 *
 * Per batch: strict parse, header encoding and hash, tx hashes and Merkle
 * root, each tx's sender/nonce against its signed bytes, ML-DSA-87 (and
 * secp256k1 when the algorithm set has it) under the published key set of
 * the batch's epoch (each key set fetched once and checked against its own
 * key-binding attestation), SLH-DSA per batch or through the epoch seal
 * (signature + Merkle path), the batch attestation, parent hash, chain id
 * and numbering. docs/internals/verify.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/risk.h"
#include "cli_chain.h"
#include "cli_rpc.h"

#define VERIFY_MAX_EPOCHS 64
#define VERIFY_MAX_SEALS  4096
#define VERIFY_PAGE       100

typedef struct vkeys {
    uint64_t epoch;
    bool ok;
    aegis_client_keyset ks;
} vkeys;

typedef struct vseal {
    uint64_t number;
    bool ok;
    aegis_chain_seal s;
} vseal;

typedef struct vctx {
    const char *url;              /* NULL: offline */
    aegis_chain_verify_opts opts;
    vkeys keys[VERIFY_MAX_EPOCHS];
    size_t n_keys;
    vseal *seals;
    size_t n_seals;
    aegis_chain_batch parent;
    bool has_parent;
    unsigned passed, failed;
    uint64_t quorum;              /* --quorum K: co-attestations required (0: none) */
} vctx;

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis verify --rpc URL (--all | --from N --to M) [--allow-sim] [--require-slh]\n"
        "                    [--collateral P] [--at SECONDS] [--policy FILE] [--quorum K]\n"
        "       aegis verify FILE [--keyset FILE] [--allow-sim] [--require-slh]\n\n"
        "Verify published batches offline: header hash, Merkle root, every signature\n"
        "against the attested key set of the batch's epoch, the SLH-DSA signature or\n"
        "epoch seal, attestation, parent-chain continuity and numbering.\n"
        "  --rpc URL        node endpoint (default $AEGIS_RPC or %s)\n"
        "  --all            every batch from 1 to the node's last batch\n"
        "  --from N --to M  a range (the batch before N anchors continuity)\n"
        "  FILE             a batch exported by 'aegis batch get' (or a JSON array of them);\n"
        "                   its embedded \"keyset\" and \"seal_record\" are used\n"
        "  --keyset FILE    key set JSON (aegis_getKeySet result) instead of the embedded one\n"
        "  --allow-sim      accept simulated (insecure) TEE quotes - development only\n"
        "  --require-slh    fail batches not yet covered by SLH-DSA (signature or seal)\n"
        "  --collateral P   Intel DCAP collateral (JSON file or directory) for tdx/dstack quotes\n"
        "  --at SECONDS     verify quotes at this Unix time (default: now)\n"
        "  --policy FILE    attestation policy JSON (measurements, TCB statuses, dstack app_id /\n"
        "                   compose_hash; docs/internals/attestation.md)\n"
        "  --quorum K       a cluster's batches: require K co-attestations by distinct workers,\n"
        "                   each a valid attestation (under --policy / --allow-sim) binding the\n"
        "                   worker, the number and the hash (docs/internals/cluster.md)\n"
        "Primary and backup attestations must both verify and bind the same value. An\n"
        "attestation carrying a dstack event log must replay to its quote's RTMR0-3; its\n"
        "app id and compose hash are checked against the policy and printed.\n"
        "Prints one line per batch and 'N passed, M failed'; exits 1 on any failure.\n",
        AEGIS_CLI_RPC_DEFAULT_URL);
}

static void vctx_clear(vctx *v)
{
    for (size_t i = 0; i < v->n_keys; i++)
        aegis_client_keyset_clear(&v->keys[i].ks);
    aegis_free(v->seals);
    aegis_chain_batch_clear(&v->parent);
}

static const aegis_client_keyset *keys_for(vctx *v, uint64_t epoch, const char **why);

/* The hand-over into epoch (aegis_getHandover) verifies under the old and
 * the new key set: both ML-DSA-87 and both SLH-DSA signatures. */
static bool handover_ok(vctx *v, uint64_t epoch, const aegis_keyset_pub *old_pub, const aegis_keyset_pub *new_pub)
{
    json_t *params = json_pack("[I]", (json_int_t)epoch), *res = NULL;
    aegis_client_rpc_err e;
    int rc = aegis_client_call(v->url, "aegis_getHandover", params, 10000, &res, &e);
    json_decref(params);
    if (rc != 0) {
        if (rc == 1 || rc == -1)
            aegis_cli_print_rpc_err("aegis verify", "aegis_getHandover", &e);
        return false;
    }
    aegis_handover *h = aegis_calloc(1, sizeof(*h));
    bool ok = h && aegis_handover_from_json(res, h) == AEGIS_OK && h->new_epoch == epoch &&
              aegis_handover_verify(h, old_pub, new_pub) == AEGIS_OK;
    if (!ok)
        fprintf(stderr, "aegis verify: the hand-over into key epoch %llu does not verify\n", (unsigned long long)epoch);
    aegis_free(h);
    json_decref(res);
    return ok;
}

/* The key set of an epoch, fetched once. NULL (message printed) on failure. */
static const aegis_client_keyset *keys_for(vctx *v, uint64_t epoch, const char **why)
{
    for (size_t i = 0; i < v->n_keys; i++)
        if (v->keys[i].epoch == epoch) {
            *why = "the key set of this epoch was not acceptable (see above)";
            return v->keys[i].ok ? &v->keys[i].ks : NULL;
        }
    if (!v->url || v->n_keys == VERIFY_MAX_EPOCHS) {
        *why = "no key set for this batch's epoch";
        return NULL;
    }
    vkeys *k = &v->keys[v->n_keys++];
    k->epoch = epoch;
    k->ok = aegis_cli_keyset_fetch("aegis verify", v->url, epoch, v->opts.allow_sim, &k->ks, NULL) == 0;
    *why = "the key set of this epoch was not acceptable (see above)";
    /* Follow the hand-over chain: epoch e's key set is trusted only through
     * the hand-over from e-1, signed by both key sets. */
    if (k->ok && epoch > 1) {
        const char *pwhy = NULL;
        const aegis_client_keyset *prev = keys_for(v, epoch - 1, &pwhy);
        k->ok = prev && handover_ok(v, epoch, &prev->pub, &k->ks.pub);
        if (!k->ok)
            *why = "the key hand-over into this epoch is missing or does not verify";
    }
    return k->ok ? &k->ks : NULL;
}

/* The seal record of a seal number (fetched once, signature checked once
 * by aegis_chain_verify_batch). NULL when unavailable. */
static const aegis_chain_seal *seal_for(vctx *v, uint64_t number)
{
    for (size_t i = 0; i < v->n_seals; i++)
        if (v->seals[i].number == number)
            return v->seals[i].ok ? &v->seals[i].s : NULL;
    if (!v->url || v->n_seals == VERIFY_MAX_SEALS)
        return NULL;
    if (!v->seals && !(v->seals = aegis_calloc(VERIFY_MAX_SEALS, sizeof(*v->seals))))
        return NULL;
    vseal *s = &v->seals[v->n_seals++];
    s->number = number;
    json_t *params = json_pack("[I]", (json_int_t)number), *res = NULL;
    aegis_client_rpc_err e;
    int rc = aegis_client_call(v->url, "aegis_getSeal", params, 30000, &res, &e);
    json_decref(params);
    const char *why = NULL;
    if (rc != 0)
        aegis_cli_print_rpc_err("aegis verify", "aegis_getSeal", &e);
    else
        s->ok = aegis_chain_seal_from_json(res, &s->s, &why) == AEGIS_OK && s->s.number == number;
    json_decref(res);
    return s->ok ? &s->s : NULL;
}

static size_t put_hex(char *out, size_t cap, const char *label, const uint8_t *v, size_t n)
{
    char hex[2 * 32 + 1];
    aegis_hex_encode(hex, v, n);
    int w = snprintf(out, cap, " %s=0x%s", label, hex);
    return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

/* " [primary dstack app_id=0x.. compose_hash=0x.. instance_id=0x..]" for
 * each attestation carrying an event log (already replayed by the verify). */
static void app_suffix(const aegis_chain_batch *b, char *out, size_t cap)
{
    const aegis_chain_attest *atts[2] = { &b->primary, &b->backup };
    static const char *const role[2] = { "primary", "backup" };
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < 2; i++) {
        aegis_chain_app_info info;
        if (!atts[i]->event_log || aegis_chain_attest_app(atts[i], &info) != AEGIS_OK)
            continue;
        int w = snprintf(out + len, cap - len, " [%s %s", role[i], atts[i]->backend);
        if (w < 0 || (size_t)w >= cap - len)
            return;
        len += (size_t)w;
        if (info.has_app_id)
            len += put_hex(out + len, cap - len, "app_id", info.app_id, sizeof(info.app_id));
        if (info.has_compose_hash)
            len += put_hex(out + len, cap - len, "compose_hash", info.compose_hash, sizeof(info.compose_hash));
        if (info.has_instance_id)
            len += put_hex(out + len, cap - len, "instance_id", info.instance_id, sizeof(info.instance_id));
        if (len + 2 > cap)
            return;
        out[len++] = ']';
        out[len] = '\0';
    }
}

static void print_line(uint64_t number, const uint8_t *hash, const char *result)
{
    char h[67] = "?";
    if (hash) {
        h[0] = '0';
        h[1] = 'x';
        aegis_hex_encode(h + 2, hash, 32);
    }
    printf("batch %llu %s %s\n", (unsigned long long)number, h, result);
}

/*
 * Verify one published batch. expect: the number it must have (0 = any).
 * ks_json / seal_json: embedded (offline) key set and seal record, or NULL.
 */
static void verify_one(vctx *v, const json_t *bj, uint64_t expect, const json_t *ks_json,
                       const json_t *seal_json)
{
    aegis_chain_batch b;
    aegis_client_keyset own_ks;
    aegis_chain_seal own_seal;
    memset(&b, 0, sizeof(b));
    memset(&own_ks, 0, sizeof(own_ks));
    const char *why = NULL;
    char line[320];
    bool ok = false, sealed = false;
    json_int_t jn = json_integer_value(json_object_get(bj, "number"));
    uint64_t number = expect ? expect : (uint64_t)(jn > 0 ? jn : 0);

    aegis_err err = aegis_chain_batch_from_json(bj, &b, &why);
    if (err) {
        snprintf(line, sizeof(line), "FAIL: %s (%s)", why ? why : aegis_strerror(err), aegis_err_name(err));
        print_line(number, NULL, line);
        goto out;
    }
    number = b.h.number;
    if (expect && b.h.number != expect) {
        snprintf(line, sizeof(line), "FAIL: numbering: expected batch %llu", (unsigned long long)expect);
        goto fail;
    }
    const aegis_client_keyset *ks = NULL;
    if (ks_json) {
        err = aegis_client_keyset_load(ks_json, v->opts.allow_sim, &own_ks, &why);
        if (err) {
            snprintf(line, sizeof(line), "FAIL: key set: %s (%s)", why, aegis_err_name(err));
            goto fail;
        }
        ks = &own_ks;
    } else if (!(ks = keys_for(v, b.h.key_epoch, &why))) {
        snprintf(line, sizeof(line), "FAIL: %s (epoch %llu)", why, (unsigned long long)b.h.key_epoch);
        goto fail;
    }
    const aegis_chain_seal *seal = NULL;
    if (b.has_seal && seal_json) {
        if (aegis_chain_seal_from_json(seal_json, &own_seal, &why) != AEGIS_OK) {
            snprintf(line, sizeof(line), "FAIL: seal_record: %s", why);
            goto fail;
        }
        seal = &own_seal;
    } else if (b.has_seal) {
        seal = seal_for(v, b.seal_number);
    }
    err = aegis_chain_verify_batch(&b, &ks->pub, &ks->att, v->has_parent ? &v->parent : NULL, seal,
                                   &v->opts, &why);
    if (!err)
        err = aegis_client_batch_check_extra(&b, &ks->pub, &why);
    if (err) {
        snprintf(line, sizeof(line), "FAIL: %s (%s)", why, aegis_err_name(err));
        goto fail;
    }
    if (v->quorum) {
        /* a cluster's batch: K distinct workers recomputed it and attested */
        const char *cwhy = NULL;
        size_t got = aegis_chain_count_coattests(json_object_get(bj, "coattestations"), b.h.number, b.hash,
                                                 &v->opts, &cwhy);
        if (got < v->quorum) {
            snprintf(line, sizeof(line), "FAIL: co-attested by %zu of the %llu workers required%s%s", got,
                     (unsigned long long)v->quorum, cwhy ? ": " : "", cwhy ? cwhy : "");
            goto fail;
        }
    }
    sealed = b.sig_slh || (b.has_seal && seal);
    ok = true;
    char apps[512], okline[600];
    app_suffix(&b, apps, sizeof(apps));
    snprintf(okline, sizeof(okline), "%s%s", sealed ? "ok" : "ok (no SLH-DSA signature or seal yet)", apps);
    print_line(number, b.hash, okline);
    goto out;
fail:
    print_line(number, b.hash, line);
out:
    if (ok) {
        v->passed++;
    } else {
        v->failed++;
    }
    /* Continuity is checked against what was published before, verified or
     * not: a failed batch breaks the chain for its successor too. */
    aegis_chain_batch_clear(&v->parent);
    v->parent = b;
    v->has_parent = b.h.number != 0;
    aegis_client_keyset_clear(&own_ks);
}

static int summary(const vctx *v)
{
    printf("%u passed, %u failed\n", v->passed, v->failed);
    return v->failed ? 1 : 0;
}

static int verify_file(vctx *v, const char *path, const char *keyset_path)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je), *ksdoc = NULL;
    if (!doc) {
        fprintf(stderr, "aegis verify: %s: %s (line %d)\n", path, je.text, je.line);
        return 1;
    }
    if (keyset_path && !(ksdoc = json_load_file(keyset_path, 0, &je))) {
        fprintf(stderr, "aegis verify: %s: %s (line %d)\n", keyset_path, je.text, je.line);
        json_decref(doc);
        return 1;
    }
    size_t n = json_is_array(doc) ? json_array_size(doc) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *bj = json_is_array(doc) ? json_array_get(doc, i) : doc;
        const json_t *ks = ksdoc ? ksdoc : json_object_get(bj, "keyset");
        if (!ks) {
            print_line(i + 1, NULL, "FAIL: no key set: embed \"keyset\" or pass --keyset FILE");
            v->failed++;
            continue;
        }
        verify_one(v, bj, 0, ks, json_object_get(bj, "seal_record"));
    }
    json_decref(ksdoc);
    json_decref(doc);
    return summary(v);
}

/* The batch before `from`, as the continuity anchor: its header must hash to
 * its published hash (its own signatures are not this run's business). */
static void load_anchor(vctx *v, uint64_t number)
{
    json_t *params = json_pack("[I]", (json_int_t)number), *res = NULL;
    aegis_client_rpc_err e;
    uint8_t h[32];
    const char *why = NULL;
    if (aegis_client_call(v->url, "aegis_getBatch", params, 30000, &res, &e) == 0 &&
        aegis_chain_batch_from_json(res, &v->parent, &why) == AEGIS_OK &&
        aegis_batch_header_hash(&v->parent.h, h) == AEGIS_OK && aegis_ct_eq(h, v->parent.hash, 32))
        v->has_parent = true;
    else
        fprintf(stderr, "aegis verify: batch %llu (continuity anchor) unavailable; not checking the "
                        "parent of the first batch\n", (unsigned long long)number);
    json_decref(params);
    json_decref(res);
}

static int verify_rpc(vctx *v, bool all, uint64_t from, uint64_t to)
{
    json_t *res = NULL;
    aegis_client_rpc_err e;
    if (all) {
        if (aegis_client_call(v->url, "aegis_status", NULL, 30000, &res, &e) != 0) {
            aegis_cli_print_rpc_err("aegis verify", "aegis_status", &e);
            return 1;
        }
        json_t *lb = json_object_get(res, "last_batch");
        if (!json_is_integer(lb) || json_integer_value(lb) < 0) {
            fprintf(stderr, "aegis verify: aegis_status has no last_batch\n");
            json_decref(res);
            return 1;
        }
        from = 1;
        to = (uint64_t)json_integer_value(lb);
        json_decref(res);
        if (to == 0) {
            printf("no batches yet\n");
            return summary(v);
        }
    }
    if (from > 1)
        load_anchor(v, from - 1);
    for (uint64_t a = from; a <= to;) {
        uint64_t b = to - a >= VERIFY_PAGE - 1 ? a + VERIFY_PAGE - 1 : to;
        json_t *params = json_pack("[I, I]", (json_int_t)a, (json_int_t)b);
        int rc = aegis_client_call(v->url, "aegis_getBatches", params, 60000, &res, &e);
        json_decref(params);
        if (rc != 0) {
            aegis_cli_print_rpc_err("aegis verify", "aegis_getBatches", &e);
            return 1;
        }
        for (uint64_t n = a; n <= b; n++) {
            const json_t *bj = json_array_get(res, (size_t)(n - a));
            if (!bj || json_is_null(bj)) {
                print_line(n, NULL, "FAIL: missing: the node did not return this batch");
                v->failed++;
                aegis_chain_batch_clear(&v->parent);
                v->has_parent = false;
                continue;
            }
            verify_one(v, bj, n, NULL, NULL);
        }
        json_decref(res);
        res = NULL;
        fflush(stdout);
        a = b + 1;
    }
    return summary(v);
}

static int verify_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    bool has_rpc = false;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--rpc") == 0 || strncmp(argv[i], "--rpc=", 6) == 0)
            has_rpc = true;
    const char *url = aegis_cli_rpc_url(&argc, argv);
    const char *file = NULL, *keyset = NULL;
    bool all = false, has_from = false, has_to = false;
    uint64_t from = 0, to = 0, at = 0;
    vctx *v = aegis_calloc(1, sizeof(*v));
    if (!v)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--all") == 0) {
            all = true;
        } else if (strcmp(a, "--allow-sim") == 0) {
            v->opts.allow_sim = true;
        } else if (strcmp(a, "--require-slh") == 0) {
            v->opts.require_slh = true;
        } else if (strcmp(a, "--from") == 0 && val && aegis_cli_parse_u64(val, &from) == 0) {
            has_from = true;
            i++;
        } else if (strcmp(a, "--to") == 0 && val && aegis_cli_parse_u64(val, &to) == 0) {
            has_to = true;
            i++;
        } else if (strcmp(a, "--keyset") == 0 && val) {
            keyset = val;
            i++;
        } else if (strcmp(a, "--collateral") == 0 && val) {
            v->opts.collateral_dir = val;   /* DCAP collateral for tdx / dstack quotes */
            i++;
        } else if (strcmp(a, "--at") == 0 && val && aegis_cli_parse_u64(val, &at) == 0 && at <= INT64_MAX) {
            v->opts.verify_at = (int64_t)at;
            i++;
        } else if (strcmp(a, "--policy") == 0 && val) {
            v->opts.policy_file = val;
            i++;
        } else if (strcmp(a, "--quorum") == 0 && val && aegis_cli_parse_u64(val, &v->quorum) == 0 &&
                   v->quorum >= 1 && v->quorum <= 10) {
            i++;
        } else if (a[0] != '-' && !file) {
            file = a;
        } else {
            fprintf(stderr, "aegis verify: unknown or incomplete option '%s' (try --help)\n", a);
            aegis_free(v);
            return 2;
        }
    }
    int rc = 2;
    if (file && (all || has_from || has_to || has_rpc)) {
        fprintf(stderr, "aegis verify: give either FILE or --rpc with --all / --from --to\n");
    } else if (file) {
        rc = verify_file(v, file, keyset);
    } else if (keyset) {
        fprintf(stderr, "aegis verify: --keyset goes with FILE\n");
    } else if (all == (has_from || has_to) || has_from != has_to || (has_from && (from == 0 || to < from))) {
        fprintf(stderr, "aegis verify: give --all, or --from N --to M with 1 <= N <= M (try --help)\n");
    } else {
        v->url = url;
        rc = verify_rpc(v, all, from, to);
    }
    vctx_clear(v);
    aegis_free(v);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_verify = {
    "verify", verify_main, "verify published batches: signatures, seals, Merkle roots, chain (--rpc or FILE)"
};
