/*
 * cmd_checkpoint.c - `aegis checkpoint`: the sequencer's PQC-signed,
 * attested checkpoints of protected state, with no trust in the node that
 * serves them.
 *
 *   aegis checkpoint list [--json]                 aegis_listCheckpoints
 *   aegis checkpoint show N [--out FILE]           aegis_getCheckpoint [N]
 *   aegis checkpoint verify --all | N... [--allow-sim]     over RPC
 *   aegis checkpoint verify FILE [--keyset FILE] [--allow-sim]   offline
 *   aegis checkpoint rollback N --admin-key KEY    admin request "rollback"
 *
 * verify, per checkpoint: the record's strict format and recomputed hash,
 * the state blob against state_hash (the blob is required), the key set
 * hash and epoch against the published, attested key set of its epoch,
 * ML-DSA-87 and SLH-DSA-SHA2-256s signatures, the link to its predecessor
 * (number, prev_hash, batch and time not decreasing; checkpoint 0 has a zero
 * prev_hash), and the TEE attestation: mode "checkpoint", report_data =
 * "AEGIS-CHECKPOINT-V1" zero-padded to 32 bytes || hash, bound by the quote
 * itself (sim quotes only with --allow-sim and then flagged insecure).
 * Formats: docs/internals/checkpoints.md; the rollback request:
 * docs/internals/assets.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/assets.h"
#include "aegis/checkpoint.h"
#include "aegis/cli.h"
#include "cli_chain.h"
#include "cli_keys.h"
#include "cli_rpc.h"

#define CK_PROG        "aegis checkpoint"
#define CK_MAX_EPOCHS  64
#define CK_TIMEOUT_MS  60000

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis checkpoint list [--json]\n"
        "       aegis checkpoint show N [--out FILE]\n"
        "       aegis checkpoint verify (--all | N...) [--allow-sim] [--collateral PATH] [--policy FILE]\n"
        "       aegis checkpoint verify FILE [--keyset FILE] [--allow-sim] [--collateral PATH] [--policy FILE]\n"
        "       aegis checkpoint rollback N --admin-key KEY [--admin-pub FILE] [--seq N] [--allow-sim]\n"
        "Common: --rpc URL (default $AEGIS_RPC or %s)\n\n"
        "PQC-signed, attested checkpoints of the protected state (registry, asset and\n"
        "migration states, key set, risk level, last batch, audit head).\n"
        "  list             one line per checkpoint (number, batch, risk, epoch, hash)\n"
        "  show N           checkpoint N with its state and attestation (JSON)\n"
        "  verify           recomputed hash, state hash, key set, ML-DSA-87 + SLH-DSA\n"
        "                   signatures, chain link to the previous checkpoint and the\n"
        "                   attestation binding; one line per checkpoint and\n"
        "                   'N passed, M failed'; exits 1 on any failure\n"
        "  FILE             a record from 'show --out' or a JSON array of records in order\n"
        "                   (the first is linked to its predecessor only if it is number 0)\n"
        "  --keyset FILE    key set JSON (aegis_getKeySet result); default: fetched over RPC\n"
        "  --allow-sim      accept simulated (insecure) TEE quotes - development only\n"
        "  --collateral P   DCAP collateral file or directory for tdx/dstack quotes\n"
        "  --policy FILE    attestation acceptance policy JSON\n"
        "  rollback N       fetch and verify checkpoint N, then send an admin-signed\n"
        "                   request {op \"rollback\", params {checkpoint: N, state_hash}}\n"
        "                   (aegis_adminAssets); the node restores exactly that state and\n"
        "                   replies a signed rollback event, checked here\n"
        "  --admin-key KEY  ML-DSA-87 admin secret key listed in the node's config\n"
        "  --admin-pub FILE its public key (default: KEY with .key replaced by .pub)\n"
        "  --seq N          request sequence (default: now in ms)\n",
        AEGIS_CLI_RPC_DEFAULT_URL);
}

typedef struct ckopts {
    const char *url;
    bool all, allow_sim, as_json;
    const char *out, *keyset_file, *admin_key, *admin_pub, *collateral, *policy;
    uint64_t seq;
    bool has_seq;
    const char *pos[64];
    int n_pos;
} ckopts;

static int parse(int argc, char **argv, ckopts *o)
{
    const struct { const char *flag; const char **v; } str[] = {
        { "--out", &o->out },           { "--keyset", &o->keyset_file }, { "--admin-key", &o->admin_key },
        { "--admin-pub", &o->admin_pub }, { "--collateral", &o->collateral }, { "--policy", &o->policy },
    };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--all") == 0) {
            o->all = true;
            continue;
        }
        if (strcmp(a, "--allow-sim") == 0) {
            o->allow_sim = true;
            continue;
        }
        if (strcmp(a, "--json") == 0) {
            o->as_json = true;
            continue;
        }
        if (strcmp(a, "--seq") == 0) {
            if (i + 1 >= argc || aegis_cli_parse_u64(argv[i + 1], &o->seq) != 0) {
                fprintf(stderr, CK_PROG ": --seq needs a number\n");
                return 2;
            }
            o->has_seq = true;
            i++;
            continue;
        }
        size_t k = 0;
        while (k < AEGIS_ARRAY_LEN(str) && strcmp(a, str[k].flag) != 0)
            k++;
        if (k < AEGIS_ARRAY_LEN(str)) {
            if (i + 1 >= argc) {
                fprintf(stderr, CK_PROG ": %s needs a value\n", a);
                return 2;
            }
            *str[k].v = argv[++i];
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, CK_PROG ": unknown option '%s' (try --help)\n", a);
            return 2;
        }
        if (o->n_pos == (int)AEGIS_ARRAY_LEN(o->pos)) {
            fprintf(stderr, CK_PROG ": too many arguments\n");
            return 2;
        }
        o->pos[o->n_pos++] = a;
    }
    return 0;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
}

static const char *level_name(json_int_t l)
{
    return l == 0 ? "normal" : l == 1 ? "scheduled" : l == 2 ? "emergency" : "?";
}

/* ---------------- list / show ---------------- */

static int cmd_list(const ckopts *o)
{
    json_t *res = NULL;
    aegis_client_rpc_err e;
    if (aegis_client_call(o->url, "aegis_listCheckpoints", NULL, CK_TIMEOUT_MS, &res, &e) != 0) {
        aegis_cli_print_rpc_err(CK_PROG, "aegis_listCheckpoints", &e);
        return 1;
    }
    if (!json_is_array(res)) {
        fprintf(stderr, CK_PROG ": aegis_listCheckpoints did not return an array\n");
        json_decref(res);
        return 1;
    }
    if (o->as_json) {
        print_json(res);
    } else {
        size_t i;
        json_t *rec;
        json_array_foreach(res, i, rec) {
            json_t *c = json_object_get(rec, "checkpoint");
            json_int_t lvl = json_integer_value(json_object_get(c, "risk_level"));
            printf("checkpoint %-4lld batch %-6lld risk %5lld %-9s epoch %-3lld %s  %s\n",
                   (long long)json_integer_value(json_object_get(c, "number")),
                   (long long)json_integer_value(json_object_get(c, "batch_number")),
                   (long long)json_integer_value(json_object_get(c, "risk_score")), level_name(lvl),
                   (long long)json_integer_value(json_object_get(c, "key_epoch")),
                   json_string_value(json_object_get(c, "hash")) ? json_string_value(json_object_get(c, "hash")) : "?",
                   json_string_value(json_object_get(json_object_get(rec, "attestation"), "backend"))
                       ? json_string_value(json_object_get(json_object_get(rec, "attestation"), "backend"))
                       : "?");
        }
        printf("%zu checkpoints\n", json_array_size(res));
    }
    json_decref(res);
    return 0;
}

/* aegis_getCheckpoint [n]: 0 and *ret, or 1 (printed). */
static int fetch_record(const char *url, uint64_t n, json_t **ret)
{
    aegis_client_rpc_err e;
    json_t *params = json_pack("[I]", (json_int_t)n);
    int rc = aegis_client_call(url, "aegis_getCheckpoint", params, CK_TIMEOUT_MS, ret, &e);
    json_decref(params);
    if (rc != 0) {
        aegis_cli_print_rpc_err(CK_PROG, "aegis_getCheckpoint", &e);
        return 1;
    }
    return 0;
}

static int cmd_show(const ckopts *o)
{
    uint64_t n;
    if (o->n_pos != 1 || aegis_cli_parse_u64(o->pos[0], &n) != 0) {
        fprintf(stderr, CK_PROG " show: needs a checkpoint number\n");
        return 2;
    }
    json_t *rec = NULL;
    if (fetch_record(o->url, n, &rec))
        return 1;
    int rc = 0;
    if (o->out) {
        if (json_dump_file(rec, o->out, JSON_INDENT(2)) != 0) {
            fprintf(stderr, CK_PROG ": cannot write %s\n", o->out);
            rc = 1;
        } else {
            printf("checkpoint %llu written to %s\n", (unsigned long long)n, o->out);
        }
    } else {
        print_json(rec);
    }
    json_decref(rec);
    return rc;
}

/* ---------------- verify ---------------- */

typedef struct vkey {
    uint64_t epoch;
    bool ok;
    aegis_client_keyset ks;
} vkey;

typedef struct vctx {
    const ckopts *o;
    aegis_chain_verify_opts vopts;
    vkey keys[CK_MAX_EPOCHS];
    size_t n_keys;
    bool have_file_keys;      /* --keyset: the only key set */
    aegis_client_keyset file_keys;
    aegis_checkpoint prev;
    bool has_prev;
    unsigned passed, failed;
} vctx;

static void vctx_clear(vctx *v)
{
    for (size_t i = 0; i < v->n_keys; i++)
        aegis_client_keyset_clear(&v->keys[i].ks);
    if (v->have_file_keys)
        aegis_client_keyset_clear(&v->file_keys);
    aegis_checkpoint_clear(&v->prev);
}

/* The attested key set of an epoch (fetched once per epoch), or NULL. */
static const aegis_client_keyset *keys_for(vctx *v, uint64_t epoch)
{
    if (v->have_file_keys)
        return &v->file_keys;
    if (!v->o->url)
        return NULL;
    for (size_t i = 0; i < v->n_keys; i++)
        if (v->keys[i].epoch == epoch)
            return v->keys[i].ok ? &v->keys[i].ks : NULL;
    if (v->n_keys == CK_MAX_EPOCHS)
        return NULL;
    vkey *k = &v->keys[v->n_keys++];
    memset(k, 0, sizeof(*k));
    k->epoch = epoch;
    /* epoch 0 is how cli_chain asks for the current key set: then insist on 0 */
    bool fetched = aegis_cli_keyset_fetch(CK_PROG, v->o->url, epoch, v->o->allow_sim, &k->ks, NULL) == 0;
    k->ok = fetched && k->ks.pub.epoch == epoch;
    if (fetched && !k->ok) {
        fprintf(stderr, CK_PROG ": the node's current key set is epoch %llu, not %llu\n",
                (unsigned long long)k->ks.pub.epoch, (unsigned long long)epoch);
        aegis_client_keyset_clear(&k->ks);
        memset(&k->ks, 0, sizeof(k->ks));
    }
    return k->ok ? &k->ks : NULL;
}

/* The record's attestation object -> a (the chain's record format, an
 * event log included), mode checked. */
static aegis_err parse_attest(const json_t *j, aegis_chain_attest *a, const char **why)
{
    memset(a, 0, sizeof(*a));
    if (!json_is_object(j) || aegis_chain_attest_from_json(j, a) != AEGIS_OK) {
        *why = "attestation is not {backend, mode, insecure, report_data, quote[, event_log]}";
        return AEGIS_ERR_CHAIN_FORMAT;
    }
    if (strcmp(a->mode, "checkpoint") != 0) {
        *why = "attestation mode is not \"checkpoint\"";
        return AEGIS_ERR_CHAIN_ATTEST;
    }
    return AEGIS_OK;
}

static void verdict(vctx *v, const char *label, aegis_err err, const char *why, const aegis_checkpoint *c)
{
    if (err == AEGIS_OK) {
        v->passed++;
        char *h = aegis_client_hex(c->hash, 32);
        printf("%s ok  batch %llu  risk %u %s  epoch %llu  state %zu bytes  %s\n", label,
               (unsigned long long)c->batch_number, (unsigned)c->risk_score, level_name(c->risk_level),
               (unsigned long long)c->key_epoch, c->state_len, h ? h : "");
        aegis_free(h);
    } else {
        v->failed++;
        printf("%s FAIL: %s (%s)\n", label, why ? why : aegis_strerror(err), aegis_err_name(err));
    }
}

/* Verify one published record; it becomes the predecessor of the next one
 * whenever it parsed (so a bad record also breaks the next link). */
static void verify_record(vctx *v, const json_t *rec, const char *label, bool link_prev, int64_t expect_number)
{
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    aegis_chain_attest att;
    memset(&att, 0, sizeof(att));
    const char *why = NULL;
    const json_t *cj = json_object_get(rec, "checkpoint");
    aegis_err err = json_is_object(rec) && json_is_object(cj) && json_object_size(rec) == 2
                        ? aegis_checkpoint_from_json(cj, &c)
                        : AEGIS_ERR_CKPT_MALFORMED;
    if (err) {
        why = err == AEGIS_ERR_CKPT_HASH_MISMATCH ? "checkpoint hash does not match its fields"
                                                  : "not a {checkpoint, attestation} record in the strict format";
        verdict(v, label, err, why, NULL);
        aegis_checkpoint_clear(&v->prev);
        v->has_prev = false;
        return;
    }
    if (expect_number >= 0 && c.number != (uint64_t)expect_number) {
        err = AEGIS_ERR_CKPT_CHAIN;
        why = "the node served another checkpoint number than asked";
    }
    const aegis_client_keyset *ks = NULL;
    if (!err && !(ks = keys_for(v, c.key_epoch))) {
        err = AEGIS_ERR_CKPT_KEYSET;
        why = "no acceptable (attested) key set for the checkpoint's epoch";
    }
    if (!err && link_prev && !v->has_prev && c.number > 0) {
        err = AEGIS_ERR_CKPT_CHAIN;
        why = "the previous checkpoint is missing or unreadable: no chain link";
    }
    if (!err) {
        err = aegis_checkpoint_verify(&c, &ks->pub, link_prev && v->has_prev ? &v->prev : NULL, true);
        switch (err) {
        case AEGIS_OK: break;
        case AEGIS_ERR_CKPT_STATE_HASH: why = "state blob missing or not matching state_hash"; break;
        case AEGIS_ERR_CKPT_KEYSET: why = "key set hash or epoch differs from the published key set"; break;
        case AEGIS_ERR_CKPT_BAD_SIG: why = "ML-DSA-87 or SLH-DSA-SHA2-256s signature does not verify"; break;
        case AEGIS_ERR_CKPT_CHAIN: why = "does not link to the previous checkpoint"; break;
        default: why = NULL; break;
        }
    }
    if (!err)
        err = parse_attest(json_object_get(rec, "attestation"), &att, &why);
    if (!err) {
        uint8_t rd[64];
        aegis_chain_report_data(rd, AEGIS_CHECKPOINT_TAG, c.hash);
        err = aegis_chain_verify_attest(&att, rd, &v->vopts, &why);
        if (!err && strcmp(att.backend, "sim") == 0 && !att.insecure) {
            err = AEGIS_ERR_CHAIN_ATTEST;
            why = "a sim attestation not flagged insecure";
        }
    }
    verdict(v, label, err, why, &c);
    aegis_chain_attest_clear(&att);
    aegis_checkpoint_clear(&v->prev);
    v->prev = c;   /* takes ownership */
    v->has_prev = true;
}

/* Verify checkpoints lo..hi as served; the one before lo anchors the link. */
static void verify_range(vctx *v, uint64_t lo, uint64_t hi)
{
    aegis_checkpoint_clear(&v->prev);
    v->has_prev = false;
    if (lo > 0) {
        json_t *rec = NULL;
        aegis_checkpoint p;
        if (fetch_record(v->o->url, lo - 1, &rec) == 0 &&
            aegis_checkpoint_from_json(json_object_get(rec, "checkpoint"), &p) == AEGIS_OK) {
            v->prev = p;
            v->has_prev = true;
        }
        json_decref(rec);
    }
    for (uint64_t n = lo; n <= hi; n++) {
        char label[48];
        snprintf(label, sizeof(label), "checkpoint %llu", (unsigned long long)n);
        json_t *rec = NULL;
        if (fetch_record(v->o->url, n, &rec) != 0) {
            verdict(v, label, AEGIS_ERR_NOT_FOUND, "not served by the node", NULL);
            aegis_checkpoint_clear(&v->prev);
            v->has_prev = false;
            continue;
        }
        verify_record(v, rec, label, true, (int64_t)n);
        json_decref(rec);
    }
}

static int verify_rpc(vctx *v)
{
    const ckopts *o = v->o;
    if (o->all) {
        json_t *list = NULL;
        aegis_client_rpc_err e;
        if (aegis_client_call(o->url, "aegis_listCheckpoints", NULL, CK_TIMEOUT_MS, &list, &e) != 0) {
            aegis_cli_print_rpc_err(CK_PROG, "aegis_listCheckpoints", &e);
            return 1;
        }
        size_t n = json_array_size(list);
        json_decref(list);
        if (n == 0)
            printf("no checkpoints yet\n");
        else
            verify_range(v, 0, n - 1);
        return 0;
    }
    for (int i = 0; i < o->n_pos; i++) {
        uint64_t n;
        if (aegis_cli_parse_u64(o->pos[i], &n) != 0) {
            fprintf(stderr, CK_PROG " verify: '%s' is not a checkpoint number\n", o->pos[i]);
            return 2;
        }
        verify_range(v, n, n);
    }
    return 0;
}

static int verify_file(vctx *v, const char *file)
{
    json_error_t jerr;
    json_t *root = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
    if (!root) {
        fprintf(stderr, CK_PROG ": %s: %s (line %d)\n", file, jerr.text, jerr.line);
        return 1;
    }
    if (json_is_array(root)) {
        size_t i;
        json_t *rec;
        json_array_foreach(root, i, rec) {
            char label[64];
            const json_t *num = json_object_get(json_object_get(rec, "checkpoint"), "number");
            snprintf(label, sizeof(label), "checkpoint %lld", (long long)json_integer_value(num));
            /* the first record links to nothing unless it is checkpoint 0 */
            verify_record(v, rec, label, i > 0 || json_integer_value(num) == 0, -1);
        }
    } else {
        const json_t *num = json_object_get(json_object_get(root, "checkpoint"), "number");
        char label[64];
        snprintf(label, sizeof(label), "checkpoint %lld", (long long)json_integer_value(num));
        verify_record(v, root, label, json_integer_value(num) == 0, -1);
    }
    json_decref(root);
    return 0;
}

static int cmd_verify(const ckopts *o)
{
    vctx *v = aegis_calloc(1, sizeof(*v));
    if (!v)
        return 1;
    v->o = o;
    v->vopts.allow_sim = o->allow_sim;
    v->vopts.collateral_dir = o->collateral;
    v->vopts.policy_file = o->policy;
    bool offline = !o->all && o->n_pos == 1 && aegis_cli_parse_u64(o->pos[0], &(uint64_t){ 0 }) != 0;
    int rc = 0;
    if (!o->all && o->n_pos == 0) {
        fprintf(stderr, CK_PROG " verify: needs --all, checkpoint numbers or a FILE (try --help)\n");
        rc = 2;
        goto out;
    }
    if (o->all && o->n_pos) {
        fprintf(stderr, CK_PROG " verify: --all takes no numbers\n");
        rc = 2;
        goto out;
    }
    if (o->keyset_file) {
        json_error_t jerr;
        json_t *kj = json_load_file(o->keyset_file, 0, &jerr);
        const char *why = NULL;
        aegis_err err = kj ? aegis_client_keyset_load(kj, o->allow_sim, &v->file_keys, &why) : AEGIS_ERR_CHAIN_FORMAT;
        json_decref(kj);
        if (err) {
            fprintf(stderr, CK_PROG ": key set %s: %s (%s)\n", o->keyset_file, why ? why : aegis_strerror(err),
                    aegis_err_name(err));
            rc = 1;
            goto out;
        }
        v->have_file_keys = true;
    }
    rc = offline ? verify_file(v, o->pos[0]) : verify_rpc(v);
    if (rc)
        goto out;
    printf("%u passed, %u failed\n", v->passed, v->failed);
    rc = v->failed || (v->passed == 0 && !o->all) ? 1 : 0;
out:
    vctx_clear(v);
    aegis_free(v);
    return rc;
}

/* ---------------- rollback ---------------- */

static int cmd_rollback(const ckopts *o)
{
    uint64_t n;
    if (o->n_pos != 1 || aegis_cli_parse_u64(o->pos[0], &n) != 0 || n > (uint64_t)INT64_MAX) {
        fprintf(stderr, CK_PROG " rollback: needs a checkpoint number\n");
        return 2;
    }
    if (!o->admin_key) {
        fprintf(stderr, CK_PROG " rollback: --admin-key KEY is required\n");
        return 2;
    }
    int rc = 1;
    uint8_t *sk = NULL, *pk = NULL;
    char *ptext = NULL, *req = NULL, *hash_hex = NULL;
    json_t *rec = NULL, *params = NULL, *reqj = NULL, *arr = NULL, *res = NULL;
    aegis_checkpoint c;
    memset(&c, 0, sizeof(c));
    aegis_rollback r;
    memset(&r, 0, sizeof(r));
    aegis_client_keyset ks;
    memset(&ks, 0, sizeof(ks));
    bool have_ks = false;

    /* 1. The target: fetched and verified, so the request pins its state hash. */
    if (fetch_record(o->url, n, &rec))
        goto out;
    aegis_err err = aegis_checkpoint_from_json(json_object_get(rec, "checkpoint"), &c);
    if (!err && c.number != n)
        err = AEGIS_ERR_CKPT_CHAIN;
    if (err) {
        fprintf(stderr, CK_PROG " rollback: checkpoint %llu as served is invalid: %s (%s)\n", (unsigned long long)n,
                aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    if (aegis_cli_keyset_fetch(CK_PROG, o->url, c.key_epoch, o->allow_sim, &ks, NULL) != 0)
        goto out;
    have_ks = true;
    if ((err = aegis_checkpoint_verify(&c, &ks.pub, NULL, true)) != AEGIS_OK) {
        fprintf(stderr, CK_PROG " rollback: checkpoint %llu does not verify: %s (%s)\n", (unsigned long long)n,
                aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    hash_hex = aegis_client_hex(c.state_hash, 32);

    /* 2. The admin request, signed like `aegis assets` does. */
    const char *failed = NULL;
    if ((err = aegis_cli_mldsa_keypair(o->admin_key, o->admin_pub, &sk, &pk, &failed)) != AEGIS_OK) {
        fprintf(stderr, CK_PROG ": admin key %s: %s\n", failed, aegis_strerror(err));
        goto out;
    }
    params = json_pack("{s:I, s:s}", "checkpoint", (json_int_t)n, "state_hash", hash_hex ? hash_hex : "");
    ptext = params && hash_hex ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    uint64_t now = aegis_wall_ms();
    err = ptext ? aegis_assets_admin_sign("rollback", ptext, o->has_seq ? o->seq : now, now, sk, pk, &req)
                : AEGIS_ERR_NOMEM;
    if (err) {
        fprintf(stderr, CK_PROG ": signing the request: %s (%s)\n", aegis_strerror(err), aegis_err_name(err));
        goto out;
    }
    json_error_t jerr;
    reqj = json_loads(req, 0, &jerr);
    arr = json_array();
    if (!reqj || !arr || json_array_append(arr, reqj))
        goto out;

    /* 3. Send it; the reply names what was restored. */
    aegis_client_rpc_err e;
    if (aegis_client_call(o->url, "aegis_adminAssets", arr, CK_TIMEOUT_MS, &res, &e) != 0) {
        aegis_cli_print_rpc_err(CK_PROG, "aegis_adminAssets", &e);
        goto out;
    }
    print_json(res);
    /* 4. The signed rollback event must name exactly this checkpoint and
     * its state, under the sequencer's key set. */
    json_t *ev = json_object_get(res, "rollback");
    if (!ev) {
        fprintf(stderr, CK_PROG " rollback: the node's reply carries no rollback event\n");
        goto out;
    }
    err = aegis_rollback_from_json(ev, &r);
    if (!err && r.key_epoch != ks.pub.epoch) {
        aegis_client_keyset_clear(&ks);
        have_ks = false;
        if (aegis_cli_keyset_fetch(CK_PROG, o->url, r.key_epoch, o->allow_sim, &ks, NULL) != 0)
            goto out;
        have_ks = true;
    }
    if (!err)
        err = aegis_rollback_verify(&r, &ks.pub, &c);
    if (err) {
        fprintf(stderr, CK_PROG " rollback: the rollback event does not verify: %s (%s)\n", aegis_strerror(err),
                aegis_err_name(err));
        goto out;
    }
    printf("rolled back to checkpoint %llu, state hash %s\n", (unsigned long long)n, hash_hex);
    if (r.orphan_last >= r.orphan_first)
        printf("batches %llu..%llu orphaned; rollback event %llu signature ok\n", (unsigned long long)r.orphan_first,
               (unsigned long long)r.orphan_last, (unsigned long long)r.number);
    else
        printf("no batches orphaned; rollback event %llu signature ok\n", (unsigned long long)r.number);
    rc = 0;
out:
    if (sk)
        aegis_free_secret(sk, AEGIS_MLDSA87_SK_BYTES);
    aegis_free(pk);
    free(ptext);
    aegis_free(req);
    aegis_free(hash_hex);
    json_decref(rec);
    json_decref(params);
    json_decref(reqj);
    json_decref(arr);
    json_decref(res);
    aegis_checkpoint_clear(&c);
    aegis_rollback_clear(&r);
    if (have_ks)
        aegis_client_keyset_clear(&ks);
    return rc;
}

static int checkpoint_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    ckopts o;
    memset(&o, 0, sizeof(o));
    o.url = aegis_cli_rpc_url(&argc, argv);
    if (argc < 2) {   /* only --rpc URL was given */
        usage(stderr);
        return 2;
    }
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    const char *sub = argv[1];
    if (strcmp(sub, "list") == 0)
        return cmd_list(&o);
    if (strcmp(sub, "show") == 0)
        return cmd_show(&o);
    if (strcmp(sub, "verify") == 0)
        return cmd_verify(&o);
    if (strcmp(sub, "rollback") == 0)
        return cmd_rollback(&o);
    fprintf(stderr, CK_PROG ": unknown subcommand '%s' (try --help)\n", sub);
    return 2;
}

const struct aegis_cli_cmd aegis_cli_cmd_checkpoint = {
    "checkpoint", checkpoint_main, "PQC-signed checkpoints: list|show|verify|rollback (--rpc URL)"
};
