/* scenario_util.c - helpers and shared state of test_scenario (issue 6 end
 * to end): the node and CLI runs, transactions, assessments, admin requests,
 * setup with generated oracle/admin/rogue keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aegis/assets.h"
#include "aegis/checkpoint.h"
#include "aegis/hash.h"
#include "aegis/keys.h"
#include "aegis/tx.h"
#include "scenario.h"

struct daemon D;   /* the node */
struct daemon C;   /* CLI runs: own stdout/stderr files */
char oracle_key[512], rogue_key[512], admin_key[512], keyset_file[400];
uint64_t next_nonce;
uint64_t next_seq = 1;          /* the oracle source's sequence */
json_t *last_accepted;          /* the last accepted assessment (for replays) */
static const char SK_HEX[] = "5151515151515151515151515151515151515151515151515151515151515151";

/* ---------------- helpers ---------------- */

void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int cli(const char *first, ...)
{
    const char *args[40];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 39; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return run_aegis(&C, args);
}

void show_cli(void)
{
    fprintf(stderr, "--- stdout:\n%s", slurp(C.out));
    fprintf(stderr, "--- stderr:\n%s\n", slurp(C.err));
}

/* result of a call that must succeed (new reference) */
json_t *call_ok(const char *method, json_t *params)
{
    json_t *res = NULL;
    aegis_client_rpc_err e;
    int rc = aegis_client_call(D.url, method, params, 30000, &res, &e);
    if (rc != 0)
        fprintf(stderr, "%s: %s (%s)\n", method, e.message, e.name);
    assert_int_equal(rc, 0);
    return res;
}

json_t *status_core(void)
{
    json_t *r = call_ok("aegis_status", NULL);
    json_t *c = json_incref(json_object_get(r, "core"));
    json_decref(r);
    assert_non_null(c);
    return c;
}

json_t *list_checkpoints(void)
{
    json_t *l = call_ok("aegis_listCheckpoints", NULL);
    assert_true(json_is_array(l));
    return l;
}

size_t checkpoint_count(void)
{
    json_t *l = list_checkpoints();
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

json_t *decisions(void)
{
    json_t *d = call_ok("aegis_getRiskDecisions", NULL);
    assert_true(json_is_array(d));
    return d;
}

/* ---- transactions (one sender, increasing nonces) ---- */

static void build_tx(uint64_t nonce, uint8_t **raw, size_t *len)
{
    aegis_tx_params p;
    uint8_t sk[32];
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.eip155 = true;
    p.chain_id = CHAIN_ID;
    p.nonce = nonce;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_fee, 2000000000);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000);
    aegis_u256_from_u64(&p.value, 1000 + nonce);
    memset(p.to, 0x42, 20);
    assert_int_equal(aegis_hex_decode_exact(SK_HEX, sk, 32), AEGIS_OK);
    assert_int_equal(aegis_tx_build(&p, sk, raw, len), AEGIS_OK);
    aegis_memzero(sk, sizeof(sk));
}

/* Submit n transactions and wait until all are included; the distinct
 * batch numbers that hold them go to batches[] (returns how many). */
size_t submit_and_include(size_t n, uint64_t *batches, size_t cap)
{
    aegis_client_keyset ks;
    assert_int_equal(aegis_cli_keyset_fetch("test", D.url, 0, true, &ks, NULL), 0);
    uint8_t hashes[16][32], env_hashes[16][32];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        uint8_t *raw = NULL, *env = NULL;
        size_t raw_len = 0, env_len = 0;
        build_tx(next_nonce++, &raw, &raw_len);
        aegis_keccak256(hashes[i], raw, raw_len);
        assert_int_equal(aegis_client_seal(&ks, raw, raw_len, &env, &env_len), AEGIS_OK);
        aegis_sha256(env_hashes[i], env, env_len);
        char *hex = aegis_client_hex(env, env_len);
        json_t *params = json_pack("[s]", hex);
        json_decref(call_ok("aegis_sendEncryptedTransaction", params));
        json_decref(params);
        aegis_free(hex);
        aegis_free(env);
        aegis_free(raw);
    }
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        char *hex = aegis_client_hex(hashes[i], 32);
        aegis_client_txstatus st;
        memset(&st, 0, sizeof(st));
        for (int t = 0; t < 400; t++) {
            json_t *params = json_pack("[s]", hex);
            json_t *res = call_ok("aegis_getReceipt", params);
            json_decref(params);
            const char *why;
            assert_int_equal(aegis_client_txstatus_parse(res, &st, &why), AEGIS_OK);
            json_decref(res);
            if (strcmp(st.status, "pending") != 0)
                break;
            sleep_ms(25);
        }
        aegis_free(hex);
        if (strcmp(st.status, "included") != 0) {
            /* say why: the envelope's own record (its decision and reason) */
            char *eh = aegis_client_hex(env_hashes[i], 32);
            json_t *params = json_pack("[s]", eh);
            json_t *res = call_ok("aegis_getReceipt", params);
            char *txt = json_dumps(res, JSON_COMPACT);
            fprintf(stderr, "tx %zu of %zu (nonce %llu) reads \"%s\"; by its envelope hash: %s\n", i + 1, n,
                    (unsigned long long)(next_nonce - n + i), st.status, txt ? txt : "?");
            free(txt);
            json_decref(res);
            json_decref(params);
            aegis_free(eh);
        }
        assert_string_equal(st.status, "included");
        bool seen = false;
        for (size_t k = 0; k < nb; k++)
            seen |= batches[k] == st.batch;
        if (!seen && nb < cap)
            batches[nb++] = st.batch;
    }
    aegis_client_keyset_clear(&ks);
    return nb;
}

json_t *get_batch(uint64_t n)
{
    json_t *params = json_pack("[I]", (json_int_t)n);
    json_t *b = call_ok("aegis_getBatch", params);
    json_decref(params);
    return b;
}

/* ---- assessments ---- */

/* `aegis risk sign` with these extra args; the signed JSON (new reference). */
json_t *sign_assessment(const char *key, const char *score, const char *seq, const char *at)
{
    const char *args[20] = { "risk", "sign", "--key", key, "--score", score, "--source", SOURCE, "--seq", seq };
    size_t n = 10;
    if (at) {
        args[n++] = "--at";
        args[n++] = at;
    }
    args[n] = NULL;
    int rc = run_aegis(&C, args);
    if (rc)
        show_cli();
    assert_int_equal(rc, 0);
    json_error_t je;
    json_t *a = json_loads(slurp(C.out), 0, &je);
    assert_non_null(a);
    return a;
}

int submit_assessment(json_t *a, aegis_client_rpc_err *e, json_t **ret)
{
    json_t *params = json_pack("[O]", a), *res = NULL;
    int rc = aegis_client_call(D.url, "aegis_submitRiskAssessment", params, 30000, &res, e);
    json_decref(params);
    assert_true(rc == 0 || rc == 1);
    if (ret)
        *ret = res;
    else
        json_decref(res);
    return rc == 0 ? 0 : e->aegis_code;
}

void expect_code(const char *what, int got, const aegis_client_rpc_err *e, int want)
{
    if (got != want)
        fprintf(stderr, "%s: got aegis code %d (%s: %s), want %d (%s)\n", what, got, e->name, e->message, want,
                aegis_err_name((aegis_err)want));
    assert_int_equal(got, want);
}

bool has_ecdsa(json_t *algs)
{
    size_t i;
    json_t *a;
    json_array_foreach(algs, i, a) {
        if (strstr(json_string_value(a), "ECDSA"))
            return true;
    }
    return false;
}

/* ---------------- setup ---------------- */

int group_setup(void **state)
{
    daemon_init(&D, NULL);
    C = D;
    C.pid = -1;
    snprintf(C.out, sizeof(C.out), "%s/cli.out", D.dir);
    snprintf(C.err, sizeof(C.err), "%s/cli.err", D.dir);
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%s/oracle", D.dir);
    snprintf(oracle_key, sizeof(oracle_key), "%s.key", prefix);
    if (cli("keygen", "--type", "ml-dsa-87", "--out", prefix, NULL) != 0)
        goto fail;
    snprintf(prefix, sizeof(prefix), "%s/admin", D.dir);
    snprintf(admin_key, sizeof(admin_key), "%s.key", prefix);
    if (cli("keygen", "--type", "ml-dsa-87", "--out", prefix, NULL) != 0)
        goto fail;
    snprintf(prefix, sizeof(prefix), "%s/rogue", D.dir);
    snprintf(rogue_key, sizeof(rogue_key), "%s.key", prefix);
    if (cli("keygen", "--type", "ml-dsa-87", "--out", prefix, NULL) != 0)
        goto fail;
    snprintf(D.config, sizeof(D.config), "%s/aegis.toml", D.dir);
    FILE *f = fopen(D.config, "w");
    if (!f)
        goto fail;
    /* batches of <= 4 every 100 ms; a checkpoint every 3 batches (no time
     * cadence: checkpoint_min_interval_ms = 0) and at every level change */
    fprintf(f,
            "[node]\nid = \"it-scenario\"\nchain_id = %d\n"
            "[batch]\nmax = 4\ninterval_ms = 100\ncheckpoint_interval = 3\ncheckpoint_min_interval_ms = 0\n"
            "slh_mode = \"epoch\"\nseal_every = 4\n"
            "[quantum]\nrisk_scheduled = 6000\nrisk_emergency = 9000\nhybrid_ecdsa = true\n"
            "oracle_keys = [\"%s/oracle.pub\"]\n"
            "[assets]\nadmin_keys = [\"%s/admin.pub\"]\n",
            CHAIN_ID, D.dir, D.dir);
    fclose(f);
    snprintf(keyset_file, sizeof(keyset_file), "%s/keyset.json", D.dir);
    if (!daemon_start(&D))
        goto fail;
    return 0;
fail:
    show_cli();
    harness_reap_all(state);
    return -1;
}

int group_teardown(void **state)
{
    int rc = daemon_stop(&D, SIGTERM);
    json_decref(last_accepted);
    daemon_cleanup(&D);
    harness_reap_all(state);
    return rc == 0 ? 0 : -1;
}

/* ---------------- the risk scenario ---------------- */


void check_batches_after(const struct step *s, uint64_t min_ckpt, bool expect_ckpt)
{
    uint64_t bn[16];
    size_t nb = submit_and_include(6, bn, 16);
    assert_true(nb >= 1);
    json_t *list = list_checkpoints();
    for (size_t i = 0; i < nb; i++) {
        json_t *b = get_batch(bn[i]);
        json_t *h = json_object_get(b, "header");
        assert_int_equal(json_integer_value(json_object_get(h, "risk_score")), s->score);
        assert_int_equal(json_integer_value(json_object_get(h, "risk_level")), s->level_num);
        assert_int_equal(json_integer_value(json_object_get(h, "algorithm_set")), s->algs);
        assert_int_equal(json_object_get(b, "signatures") && json_object_get(json_object_get(b, "signatures"),
                                                                              "secp256k1") != NULL,
                         (s->algs & 4) != 0);
        if (expect_ckpt) {
            /* the header references a persisted checkpoint, at least the level change's */
            json_int_t cn = json_integer_value(json_object_get(h, "checkpoint_number"));
            assert_true((uint64_t)cn >= min_ckpt);
            json_t *rec = json_array_get(list, (size_t)cn);
            assert_non_null(rec);
            assert_string_equal(json_string_value(json_object_get(h, "checkpoint_hash")),
                                json_string_value(json_object_get(json_object_get(rec, "checkpoint"), "hash")));
        }
        json_decref(b);
    }
    json_decref(list);
}

unsigned count_str(const char *s, const char *needle)
{
    unsigned n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

json_t *fetch_record(uint64_t n)
{
    json_t *params = json_pack("[I]", (json_int_t)n);
    json_t *r = call_ok("aegis_getCheckpoint", params);
    json_decref(params);
    return r;
}

/* ---------------- assets, audit log, rollback ---------------- */

/* Sign with the oracle at the next sequence and submit; must be accepted. */
void accept_score(unsigned score)
{
    char sc[16], seq[24];
    snprintf(sc, sizeof(sc), "%u", score);
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)next_seq++);
    json_t *a = sign_assessment(oracle_key, sc, seq, NULL);
    aegis_client_rpc_err e;
    json_t *res = NULL;
    expect_code("accepted", submit_assessment(a, &e, &res), &e, 0);
    assert_true(json_is_true(json_object_get(res, "accepted")));
    json_decref(res);
    json_decref(last_accepted);
    last_accepted = a;
}


json_t *get_asset(const char *id)
{
    json_t *params = json_pack("[s]", id);
    json_t *a = call_ok("aegis_getAsset", params);
    json_decref(params);
    return a;
}

const char *asset_state(const char *id)
{
    static char st[32];
    json_t *a = get_asset(id);
    snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(a, "state")));
    json_decref(a);
    return st;
}

char *registry_hash(void)
{
    json_t *l = call_ok("aegis_listAssets", NULL);
    char *h = strdup(json_string_value(json_object_get(l, "registry_hash")));
    json_decref(l);
    return h;
}

/* A signed admin request (in process, like `aegis assets` signs them). */
json_t *admin_request(const char *key_path, const char *op, const char *params)
{
    char pub[600];
    snprintf(pub, sizeof(pub), "%.*s.pub", (int)(strlen(key_path) - 4), key_path);
    const char *type = NULL;
    uint8_t *sk = NULL, *pk = NULL;
    size_t skl = 0, pkl = 0;
    assert_int_equal(aegis_keyfile_read(key_path, true, &type, &sk, &skl), AEGIS_OK);
    assert_int_equal(aegis_keyfile_read(pub, false, &type, &pk, &pkl), AEGIS_OK);
    char *req = NULL;
    uint64_t now = aegis_wall_ms();
    assert_int_equal(aegis_assets_admin_sign(op, params, now, now, sk, pk, &req), AEGIS_OK);
    aegis_free_secret(sk, skl);
    aegis_free(pk);
    json_error_t je;
    json_t *j = json_loads(req, 0, &je);
    aegis_free(req);
    assert_non_null(j);
    return j;
}

int admin_send(json_t *req, aegis_client_rpc_err *e)
{
    json_t *params = json_pack("[O]", req), *res = NULL;
    int rc = aegis_client_call(D.url, "aegis_adminAssets", params, 30000, &res, e);
    json_decref(params);
    json_decref(res);
    assert_true(rc == 0 || rc == 1);
    return rc == 0 ? 0 : e->aegis_code;
}

char audit_file[400];

/* Write the node's audit log as JSON lines; returns the record count. */
size_t dump_audit(json_t **ret_records)
{
    json_t *log = call_ok("aegis_getAuditLog", NULL);
    json_t *recs = json_incref(json_object_get(log, "records"));
    json_decref(log);
    FILE *f = fopen(audit_file, "w");
    assert_non_null(f);
    for (size_t i = 0; i < json_array_size(recs); i++)
        fprintf(f, "%s\n", json_string_value(json_array_get(recs, i)));
    fclose(f);
    size_t n = json_array_size(recs);
    if (ret_records)
        *ret_records = recs;
    else
        json_decref(recs);
    return n;
}

void write_lines(json_t *recs, size_t skip, const char *from, const char *to)
{
    FILE *f = fopen(audit_file, "w");
    assert_non_null(f);
    for (size_t i = 0; i < json_array_size(recs); i++) {
        if (i == skip)
            continue;
        const char *line = json_string_value(json_array_get(recs, i));
        const char *at = from ? strstr(line, from) : NULL;
        if (at && i == 0) {
            fprintf(f, "%.*s%s%s\n", (int)(at - line), line, to, at + strlen(from));
        } else {
            fprintf(f, "%s\n", line);
        }
    }
    fclose(f);
}
