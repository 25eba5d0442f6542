/* test_ingest.c - the submission pipeline on the real core and a real
 * sqlite store: every accepted envelope is answered once, in log order,
 * with a receipt whose Merkle path and ML-DSA-87 group signature verify;
 * groups form under load; duplicates, garbage and a failing store each get
 * their own error; a rejection is recorded in the log; BUSY past the queue
 * limit; free() answers whatever is still in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <cmocka.h>
#include <jansson.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aegis/batch.h"
#include "aegis/chain.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"
#include "aegis/ingest.h"
#include "aegis/keys.h"
#include "aegis/tx.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

#define N_ENV 40

struct ifx {
    char dir[256], keydir[300], storedir[300];
    aegis_config cfg;
    aegis_core *core;
    aegis_store *store;
    aegis_keyset_pub pub;
    uint8_t *env[N_ENV];
    size_t env_len[N_ENV];
};

static uint8_t *dup_env(const struct ifx *f, size_t i)
{
    uint8_t *p = aegis_malloc(f->env_len[i]);
    assert_non_null(p);
    memcpy(p, f->env[i], f->env_len[i]);
    return p;
}

static int setup(void **state)
{
    struct ifx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/aegis-test-ingest-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->keydir, sizeof(f->keydir), "%s/keys", f->dir);
    snprintf(f->storedir, sizeof(f->storedir), "%s/store", f->dir);
    assert_int_equal(aegis_config_defaults(&f->cfg), AEGIS_OK);
    assert_int_equal(aegis_config_set(&f->cfg, "node", "data_dir", f->keydir, NULL), AEGIS_OK);
    const char *detail = NULL;
    assert_int_equal(aegis_core_new(&f->core, &f->cfg, f->keydir, &detail), AEGIS_OK);
    aegis_store_opts o = { .group_commit_us = 200 };
    assert_int_equal(aegis_store_open(&f->store, "sqlite", f->storedir, &o), AEGIS_OK);
    char *kj = NULL;
    assert_int_equal(aegis_core_key_info(f->core, &kj), AEGIS_OK);
    json_t *j = json_loads(kj, 0, NULL);
    assert_non_null(j);
    assert_int_equal(aegis_chain_keyset_from_json(j, &f->pub, NULL, NULL), AEGIS_OK);
    json_decref(j);
    aegis_free(kj);
    aegis_envelope_pub rcpt;
    aegis_keyset_pub_envelope(&rcpt, &f->pub);
    /* N_ENV transfers from 8 wallets, nonces in order per wallet */
    uint8_t sk[8][32];
    assert_int_equal(aegis_random_bytes(&sk[0][0], sizeof(sk)), AEGIS_OK);
    for (size_t i = 0; i < N_ENV; i++) {
        aegis_tx_params p;
        memset(&p, 0, sizeof(p));
        p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
        p.eip155 = true;
        p.chain_id = f->cfg.chain_id;
        p.nonce = i / 8;
        p.gas_limit = 21000;
        aegis_u256_from_u64(&p.max_fee, 30000000000ull);
        aegis_u256_from_u64(&p.max_priority_fee, 1000000000ull);
        aegis_u256_from_u64(&p.value, i + 1);
        memset(p.to, 0x5a, 20);
        uint8_t *raw = NULL;
        size_t raw_len = 0;
        assert_int_equal(aegis_tx_build(&p, sk[i % 8], &raw, &raw_len), AEGIS_OK);
        size_t cap = aegis_envelope_sealed_size(raw_len);
        f->env[i] = malloc(cap);
        assert_non_null(f->env[i]);
        assert_int_equal(aegis_envelope_seal(f->env[i], cap, &f->env_len[i], &rcpt, raw, raw_len), AEGIS_OK);
        aegis_free(raw);
    }
    aegis_memzero(sk, sizeof(sk));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct ifx *f = *state;
    for (size_t i = 0; i < N_ENV; i++)
        free(f->env[i]);
    aegis_store_free(f->store);
    aegis_core_free(f->core);
    aegis_config_clear(&f->cfg);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Check one receipt: fields, its hash, its path to the root, and the
 * group's ML-DSA-87 signature over that root. Returns the root's count. */
static size_t check_receipt(const struct ifx *f, const char *text, size_t i, uint64_t want_id)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    uint8_t eh[32], th[32], rh[32], want_eh[32], root[32], path[16][32], calc[32];
    aegis_core_envelope_hash(f->env[i], f->env_len[i], want_eh);
    assert_int_equal(aegis_chain_get_hex(j, "envelope_hash", eh, 32), AEGIS_OK);
    assert_memory_equal(eh, want_eh, 32);
    assert_int_equal(aegis_chain_get_hex(j, "tx_hash", th, 32), AEGIS_OK);
    assert_int_equal(aegis_chain_get_hex(j, "receipt_hash", rh, 32), AEGIS_OK);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "pending");
    uint64_t id = (uint64_t)json_integer_value(json_object_get(j, "envelope_id"));
    uint64_t seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
    uint64_t epoch = (uint64_t)json_integer_value(json_object_get(j, "key_epoch"));
    assert_int_equal(id, want_id);
    assert_int_equal(epoch, f->pub.epoch);
    aegis_chain_receipt_hash(calc, eh, th, seq, id, epoch);
    assert_memory_equal(calc, rh, 32);
    json_t *sig = json_object_get(j, "signature");
    assert_int_equal(aegis_chain_get_hex(sig, "root", root, 32), AEGIS_OK);
    size_t index = (size_t)json_integer_value(json_object_get(sig, "index"));
    size_t count = (size_t)json_integer_value(json_object_get(sig, "count"));
    json_t *pj = json_object_get(sig, "path");
    size_t plen = json_array_size(pj);
    assert_true(plen <= 16);
    for (size_t k = 0; k < plen; k++)
        assert_int_equal(aegis_hex_decode_exact(json_string_value(json_array_get(pj, k)), path[k], 32), AEGIS_OK);
    assert_int_equal(aegis_batch_merkle_verify(rh, index, count, (const uint8_t (*)[32])path, plen, root), AEGIS_OK);
    uint8_t *s = NULL;
    size_t slen = 0;
    assert_int_equal(aegis_chain_get_hex_alloc(sig, "ml-dsa-87", 8192, &s, &slen), AEGIS_OK);
    const char *ctx = AEGIS_CHAIN_RECEIPT_CTX;
    assert_int_equal(aegis_mldsa87_verify(s, slen, root, 32, (const uint8_t *)ctx, strlen(ctx), f->pub.mldsa87),
                     AEGIS_OK);
    root[0] ^= 1;   /* and not over anything else */
    assert_int_not_equal(aegis_mldsa87_verify(s, slen, root, 32, (const uint8_t *)ctx, strlen(ctx), f->pub.mldsa87),
                         AEGIS_OK);
    aegis_free(s);
    json_decref(j);
    return count;
}

/* ---- callbacks ---- */

struct outcome {
    aegis_err err;
    uint64_t id;
    char *receipt;
    const char *detail;
    int calls;
    uint64_t mark;             /* the core's acked_env when answered (core set) */
};

struct collect {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done;
    struct outcome out[N_ENV + 4];
    /* optional latch: the first callback blocks until released */
    bool latch, entered, released;
    aegis_core *core;          /* optional: read the sealed mark in each answer */
};

struct slot {
    struct collect *c;
    size_t i;
};

static void on_done(void *arg, const aegis_ingest_result *res)
{
    struct slot *s = arg;
    struct collect *c = s->c;
    pthread_mutex_lock(&c->mu);
    if (c->latch && !c->entered) {
        c->entered = true;
        pthread_cond_broadcast(&c->cv);
        while (!c->released)
            pthread_cond_wait(&c->cv, &c->mu);
    }
    struct outcome *o = &c->out[s->i];
    if (c->core) {
        aegis_core_mark_info mi;
        aegis_core_mark_get(c->core, &mi);
        o->mark = mi.acked_env;
    }
    o->calls++;
    o->err = res->err;
    o->id = res->envelope_id;
    o->detail = res->detail;
    o->receipt = res->receipt ? strdup(res->receipt) : NULL;
    c->done++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void collect_init(struct collect *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
}

static void collect_wait(struct collect *c, size_t n)
{
    pthread_mutex_lock(&c->mu);
    while (c->done < n)
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

static void collect_clear(struct collect *c)
{
    for (size_t i = 0; i < N_ENV + 4; i++)
        free(c->out[i].receipt);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

/* ---- tests ---- */

/* All at once: answered once each, ids in submission order, every receipt
 * verifies, groups formed (fewer signatures than envelopes), all durable
 * and admitted. */
static void test_group_receipts(void **state)
{
    struct ifx *f = *state;
    aegis_ingest *ig = NULL;
    aegis_ingest_opts o = { .commit_interval_us = 2000 };
    assert_int_equal(aegis_ingest_new(&ig, f->core, f->store, &o), AEGIS_OK);
    struct collect c;
    collect_init(&c);
    struct slot slots[N_ENV];
    for (size_t i = 0; i < N_ENV; i++) {
        slots[i] = (struct slot){ &c, i };
        assert_int_equal(aegis_ingest_submit(ig, dup_env(f, i), f->env_len[i], on_done, &slots[i]), AEGIS_OK);
    }
    collect_wait(&c, N_ENV);
    aegis_ingest_stats st;
    /* a submission leaves in_flight just after its callback returned */
    for (int i = 0; i < 1000; i++) {
        aegis_ingest_get_stats(ig, &st);
        if (st.in_flight == 0)
            break;
        struct timespec ts = { 0, 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    aegis_ingest_free(ig);
    size_t max_count = 0;
    for (size_t i = 0; i < N_ENV; i++) {
        assert_int_equal(c.out[i].calls, 1);
        assert_int_equal(c.out[i].err, AEGIS_OK);
        assert_int_equal(c.out[i].id, i + 1);   /* log order = submission order */
        size_t count = check_receipt(f, c.out[i].receipt, i, i + 1);
        if (count > max_count)
            max_count = count;
    }
    assert_int_equal(st.submitted, N_ENV);
    assert_int_equal(st.admitted, N_ENV);
    assert_int_equal(st.rejected + st.duplicates + st.failed, 0);
    assert_true(st.groups < N_ENV);
    assert_true(max_count > 1);
    assert_true(st.appends < N_ENV);
    assert_int_equal(st.in_flight, 0);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->store, &count), AEGIS_OK);
    assert_int_equal(count, N_ENV);
    assert_int_equal(aegis_core_pending_count(f->core), N_ENV);
    collect_clear(&c);
}

/* A duplicate gets MEMPOOL_DUP_ENVELOPE with the first id; garbage is
 * refused with the envelope's own error before anything is written. */
static void test_duplicate_and_garbage(void **state)
{
    struct ifx *f = *state;
    aegis_ingest *ig = NULL;
    assert_int_equal(aegis_ingest_new(&ig, f->core, f->store, NULL), AEGIS_OK);
    uint64_t id = 0;
    char *receipt = NULL;
    const char *detail = NULL;
    assert_int_equal(aegis_ingest_submit_wait(ig, dup_env(f, 0), f->env_len[0], &id, &receipt, &detail), AEGIS_OK);
    assert_int_equal(id, 1);
    check_receipt(f, receipt, 0, 1);
    aegis_free(receipt);
    receipt = NULL;
    id = 0;
    assert_int_equal(aegis_ingest_submit_wait(ig, dup_env(f, 0), f->env_len[0], &id, &receipt, &detail),
                     AEGIS_ERR_MEMPOOL_DUP_ENVELOPE);
    assert_int_equal(id, 1);
    assert_null(receipt);
    assert_non_null(strstr(detail, "already submitted"));

    uint8_t *junk = aegis_malloc(100);
    memset(junk, 0xee, 100);
    id = 0;
    assert_int_equal(aegis_ingest_submit_wait(ig, junk, 100, &id, &receipt, &detail), AEGIS_ERR_ENV_BAD_MAGIC);
    assert_int_equal(id, 0);   /* never logged */
    assert_non_null(detail);
    aegis_ingest_stats st;
    aegis_ingest_get_stats(ig, &st);
    assert_int_equal(st.refused, 1);
    aegis_ingest_free(ig);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->store, &count), AEGIS_OK);
    assert_int_equal(count, 1);
    assert_int_equal(aegis_core_pending_count(f->core), 1);
}

/* Issue 12, disk filling: an envelope for an unknown key epoch, or addressed
 * to another key, is refused before anything is written; one whose header
 * is right but whose ciphertext does not decrypt is logged (it cannot be
 * told apart without the key), refused by the core, and then only its hash
 * and reason stay: its bytes are dropped. */
static void test_refused_costs_no_disk(void **state)
{
    struct ifx *f = *state;
    aegis_ingest *ig = NULL;
    assert_int_equal(aegis_ingest_new(&ig, f->core, f->store, NULL), AEGIS_OK);
    uint64_t id = 0;
    char *receipt = NULL;
    const char *detail = NULL;

    uint8_t *e = dup_env(f, 1);
    e[7 + 7] ^= 0x40;          /* key epoch (offset 7, 8 bytes BE): another epoch */
    assert_int_equal(aegis_ingest_submit_wait(ig, e, f->env_len[1], &id, &receipt, &detail), AEGIS_ERR_CORE_KEY_EPOCH);
    assert_int_equal(id, 0);
    e = dup_env(f, 1);
    e[15] ^= 1;                /* recipient key id (offset 15) */
    assert_int_equal(aegis_ingest_submit_wait(ig, e, f->env_len[1], &id, &receipt, &detail),
                     AEGIS_ERR_ENV_WRONG_RECIPIENT);
    assert_int_equal(id, 0);
    e = dup_env(f, 1);
    e[4] = 9;                  /* version */
    assert_int_equal(aegis_ingest_submit_wait(ig, e, f->env_len[1], &id, &receipt, &detail), AEGIS_ERR_ENV_BAD_VERSION);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->store, &count), AEGIS_OK);
    assert_int_equal(count, 0);

    e = dup_env(f, 1);
    e[f->env_len[1] - 20] ^= 1;   /* ciphertext: framing fine, does not decrypt */
    assert_int_equal(aegis_ingest_submit_wait(ig, e, f->env_len[1], &id, &receipt, &detail), AEGIS_ERR_ENV_DECRYPT);
    assert_int_equal(id, 1);
    aegis_ingest_free(ig);     /* the writer records the rejection before it leaves */
    aegis_store_env got;
    assert_int_equal(aegis_store_env_get(f->store, 1, &got), AEGIS_OK);
    assert_int_equal(got.status, AEGIS_ENV_REJECTED);
    assert_non_null(got.reason);
    assert_int_equal(got.len, 0);  /* the bytes are gone, the hash stays */
    uint8_t h[32];
    e = dup_env(f, 1);
    e[f->env_len[1] - 20] ^= 1;
    aegis_core_envelope_hash(e, f->env_len[1], h);
    assert_memory_equal(got.hash, h, 32);
    aegis_free(e);
    aegis_free((void *)got.data);
    aegis_free((void *)got.reason);
}

/* A store that cannot write: nothing acknowledged, the store's error with
 * a clear detail, the group hook told. */
static size_t hook_calls;
static aegis_err hook_err;
static void hook(void *arg, size_t admitted, size_t rejected, aegis_err store_err)
{
    (void)arg;
    (void)admitted;
    (void)rejected;
    hook_calls++;
    hook_err = store_err;
}

static void test_store_failure(void **state)
{
    struct ifx *f = *state;
    aegis_store *ro = NULL;
    aegis_store_free(f->store);
    f->store = NULL;
    aegis_store_opts so = { .read_only = true };
    assert_int_equal(aegis_store_open(&ro, "sqlite", f->storedir, &so), AEGIS_OK);
    aegis_ingest *ig = NULL;
    aegis_ingest_opts o = { .on_group = hook };
    hook_calls = 0;
    assert_int_equal(aegis_ingest_new(&ig, f->core, ro, &o), AEGIS_OK);
    uint64_t id = 77;
    char *receipt = NULL;
    const char *detail = NULL;
    assert_int_equal(aegis_ingest_submit_wait(ig, dup_env(f, 3), f->env_len[3], &id, &receipt, &detail),
                     AEGIS_ERR_STORE_READONLY);
    assert_int_equal(id, 0);
    assert_null(receipt);
    assert_non_null(strstr(detail, "not accepted"));
    aegis_ingest_free(ig);
    assert_true(hook_calls >= 1);
    assert_int_equal(hook_err, AEGIS_ERR_STORE_READONLY);
    assert_int_equal(aegis_core_pending_count(f->core), 0);
    aegis_store_free(ro);
}

/* Past max_queue accepted-but-unanswered: BUSY, and the envelope is not
 * kept. free() then answers what is in flight. */
static void test_busy_and_drain(void **state)
{
    struct ifx *f = *state;
    aegis_ingest *ig = NULL;
    aegis_ingest_opts o = { .max_queue = 2 };
    assert_int_equal(aegis_ingest_new(&ig, f->core, f->store, &o), AEGIS_OK);
    struct collect c;
    collect_init(&c);
    c.latch = true;
    struct slot s0 = { &c, 0 }, s1 = { &c, 1 }, s2 = { &c, 2 };
    assert_int_equal(aegis_ingest_submit(ig, dup_env(f, 0), f->env_len[0], on_done, &s0), AEGIS_OK);
    /* the first answer blocks in its callback: still in flight */
    pthread_mutex_lock(&c.mu);
    while (!c.entered)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    assert_int_equal(aegis_ingest_submit(ig, dup_env(f, 1), f->env_len[1], on_done, &s1), AEGIS_OK);
    assert_int_equal(aegis_ingest_submit(ig, dup_env(f, 2), f->env_len[2], on_done, &s2), AEGIS_ERR_INGEST_BUSY);
    aegis_ingest_stats st;
    aegis_ingest_get_stats(ig, &st);
    assert_int_equal(st.in_flight, 2);
    pthread_mutex_lock(&c.mu);
    c.released = true;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);
    aegis_ingest_free(ig);   /* answers envelope 1 before returning */
    assert_int_equal(c.done, 2);
    assert_int_equal(c.out[0].err, AEGIS_OK);
    assert_int_equal(c.out[1].err, AEGIS_OK);
    assert_int_equal(c.out[2].calls, 0);
    uint64_t count = 0;
    assert_int_equal(aegis_store_env_count(f->store, &count), AEGIS_OK);
    assert_int_equal(count, 2);
    collect_clear(&c);
}

/* Whether a thread of this process has that name. */
static bool thread_named(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[32] = "";
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        if (fgets(comm, sizeof(comm), fp))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(fp);
        found = strcmp(comm, name) == 0;
    }
    closedir(d);
    return found;
}

/* A thread names itself when it first runs: give a loaded host time. */
static bool wait_thread_named(const char *name)
{
    for (int k = 0; k < 1000; k++) {
        if (thread_named(name))
            return true;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return false;
}

/* The sealed mark covers a committed group before the core has even begun
 * on it (the marker thread writes it once the commit returns, beside the
 * core's opening and signing), and every answer finds the mark covering
 * its id. The core thread is held in the first answer's callback: groups
 * committed meanwhile are covered with none of them answered. The
 * pipeline's threads carry their names. */
static void test_mark_beside_core(void **state)
{
    struct ifx *f = *state;
    aegis_ingest *ig = NULL;
    aegis_ingest_opts o = { .commit_interval_us = AEGIS_INGEST_NO_PACING, .open_threads = 2 };
    assert_int_equal(aegis_ingest_new(&ig, f->core, f->store, &o), AEGIS_OK);
    struct collect c;
    collect_init(&c);
    c.latch = true;
    c.core = f->core;
    struct slot slots[5];
    slots[0] = (struct slot){ &c, 0 };
    assert_int_equal(aegis_ingest_submit(ig, dup_env(f, 0), f->env_len[0], on_done, &slots[0]), AEGIS_OK);
    pthread_mutex_lock(&c.mu);
    while (!c.entered)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    assert_true(wait_thread_named("ingest-writer"));
    assert_true(wait_thread_named("ingest-core"));
    assert_true(wait_thread_named("ingest-mark"));
    assert_true(wait_thread_named("ingest-open"));
    for (size_t i = 1; i < 5; i++) {
        slots[i] = (struct slot){ &c, i };
        assert_int_equal(aegis_ingest_submit(ig, dup_env(f, i), f->env_len[i], on_done, &slots[i]), AEGIS_OK);
    }
    aegis_core_mark_info mi = { 0 };
    for (int k = 0; k < 2000; k++) {   /* up to 20 s on a loaded host */
        aegis_core_mark_get(f->core, &mi);
        if (mi.acked_env >= 5)
            break;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(mi.acked_env, 5);
    pthread_mutex_lock(&c.mu);
    assert_int_equal(c.done, 0);   /* the core is still held: nothing signed */
    c.released = true;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);
    collect_wait(&c, 5);
    aegis_ingest_free(ig);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(c.out[i].err, AEGIS_OK);
        assert_int_equal(c.out[i].id, i + 1);
        assert_true(c.out[i].mark >= c.out[i].id);
        check_receipt(f, c.out[i].receipt, i, i + 1);
    }
    collect_clear(&c);
}

static void test_args(void **state)
{
    struct ifx *f = *state;
    aegis_ingest *ig = NULL;
    assert_int_equal(aegis_ingest_new(&ig, NULL, f->store, NULL), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_ingest_new(&ig, f->core, NULL, NULL), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_ingest_new(&ig, f->core, f->store, NULL), AEGIS_OK);
    assert_int_equal(aegis_ingest_submit(ig, dup_env(f, 0), f->env_len[0], NULL, NULL), AEGIS_ERR_INVAL);
    assert_int_equal(aegis_ingest_submit(ig, NULL, 5, on_done, NULL), AEGIS_ERR_INVAL);
    aegis_ingest_free(ig);
    aegis_ingest_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_receipts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_costs_no_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_and_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_beside_core, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
