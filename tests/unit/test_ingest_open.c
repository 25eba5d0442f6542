/* test_ingest_open.c - envelopes opened on many threads, admitted in log
 * order on one: the same envelopes give the same outcome with any number of
 * opener threads. The same stream (valid transfers interleaved with a
 * malformed envelope, a tampered one, a wrong chain id, an under-priced
 * replacement, a nonce gap, an exact duplicate) goes through the ingest
 * pipeline on copies of one core (same keys) with 1, 2, 3 and 8 opener
 * threads, and opened on the submitting thread; every answer (error, envelope id, receipt seq, tx hash, sender,
 * nonce, envelope hash) and every batch cut afterwards (envelope ids in
 * order) must match the single-threaded run's. Also aegis_core_open /
 * aegis_core_admit against aegis_core_submit directly, and the parallel
 * loop itself (every index exactly once, many runs back to back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <cmocka.h>

#include "aegis/ingest.h"
#include "aegis/store.h"
#include "core_fixture.h"
#include "../../src/ingest/ingest_int.h"

#define N_SENDERS 6
#define N_NONCES 8
#define N_MAX 96

struct stream {
    uint8_t *env[N_MAX];
    size_t len[N_MAX];
    size_t n;
};

struct answer {
    int calls;
    aegis_err err;
    uint64_t id;
    char *receipt;
};

struct run {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done;
    struct answer a[N_MAX];
    uint64_t batch_ids[N_MAX];  /* envelope ids of every batch, in order */
    size_t batch_sizes[16], n_batches, n_batch_ids;
};

struct slot {
    struct run *r;
    size_t i;
};

static void add(struct stream *s, uint8_t *env, size_t len)
{
    assert_true(s->n < N_MAX);
    s->env[s->n] = env;
    s->len[s->n] = len;
    s->n++;
}

static void add_tx(struct stream *s, fx_core *fx, unsigned sender, uint64_t nonce, uint64_t tip, const fx_txopt *o)
{
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    fx_tx_ex(fx, sender, nonce, tip, o, &raw, &raw_len);
    fx_seal(fx, raw, raw_len, &env, &env_len);
    aegis_free(raw);
    add(s, env, env_len);
}

/* The stream, sealed to fx's key set. */
static void build_stream(fx_core *fx, struct stream *s)
{
    memset(s, 0, sizeof(*s));
    for (uint64_t nonce = 0; nonce < N_NONCES; nonce++) {
        for (unsigned snd = 0; snd < N_SENDERS; snd++) {
            add_tx(s, fx, snd, nonce, 1 + snd, NULL);
            if (nonce == 2 && snd == 1) {
                /* garbage: not an envelope */
                uint8_t *g = aegis_malloc(300);
                assert_non_null(g);
                memset(g, 0xa5, 300);
                add(s, g, 300);
            }
            if (nonce == 3 && snd == 2) {
                /* a replacement at the same fee: under-priced */
                fx_txopt o = { .value = 77 };
                add_tx(s, fx, 2, 1, 3, &o);
                /* a tampered envelope: does not decrypt */
                uint8_t *t = aegis_malloc(s->len[0]);
                assert_non_null(t);
                memcpy(t, s->env[0], s->len[0]);
                t[s->len[0] - 5] ^= 1;
                add(s, t, s->len[0]);
            }
            if (nonce == 4 && snd == 3) {
                fx_txopt o = { .chain_id = 999 };
                add_tx(s, fx, 3, 9, 4, &o);        /* wrong chain id */
                add_tx(s, fx, 5, 40, 2, NULL);     /* a nonce gap */
                uint8_t *d = aegis_malloc(s->len[3]);
                assert_non_null(d);
                memcpy(d, s->env[3], s->len[3]);
                add(s, d, s->len[3]);              /* an exact duplicate */
            }
        }
    }
}

static void on_done(void *arg, const aegis_ingest_result *res)
{
    struct slot *sl = arg;
    struct run *r = sl->r;
    pthread_mutex_lock(&r->mu);
    struct answer *a = &r->a[sl->i];
    a->calls++;
    a->err = res->err;
    a->id = res->envelope_id;
    a->receipt = res->receipt ? strdup(res->receipt) : NULL;
    r->done++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void copy_dir(const char *from, const char *to)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cp -a %s/. %s/", from, to);
    assert_int_equal(system(cmd), 0);
}

/* One run on a fresh copy of the template core's data dir. */
static void run_stream(const fx_core *tmpl, const struct stream *s, size_t threads, bool on_submit,
                       struct run *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/aegis-ingest-open-XXXXXX");
    assert_non_null(mkdtemp(dir));
    copy_dir(tmpl->dir, dir);
    aegis_core *core = NULL;
    const char *detail = NULL;
    assert_int_equal(aegis_core_new(&core, &tmpl->cfg, dir, &detail), AEGIS_OK);
    aegis_store *store = NULL;
    aegis_store_opts so = { 0 };
    assert_int_equal(aegis_store_open(&store, "memory", NULL, &so), AEGIS_OK);
    aegis_ingest *ig = NULL;
    aegis_ingest_opts io = { .open_threads = threads, .max_group = 16, .commit_interval_us = 500,
                             .open_on_submit = on_submit };
    assert_int_equal(aegis_ingest_new(&ig, core, store, &io), AEGIS_OK);
    struct slot slots[N_MAX];
    for (size_t i = 0; i < s->n; i++) {
        uint8_t *e = aegis_malloc(s->len[i]);
        assert_non_null(e);
        memcpy(e, s->env[i], s->len[i]);
        slots[i] = (struct slot){ r, i };
        assert_int_equal(aegis_ingest_submit(ig, e, s->len[i], on_done, &slots[i]), AEGIS_OK);
    }
    pthread_mutex_lock(&r->mu);
    while (r->done < s->n)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    aegis_ingest_free(ig);
    /* every batch the admitted set gives */
    for (;;) {
        aegis_core_batch *b = NULL;
        assert_int_equal(aegis_core_cut_batch(core, 1700000000000ull + r->n_batches * 1000, true, &b), AEGIS_OK);
        if (!b)
            break;
        assert_true(r->n_batches < AEGIS_ARRAY_LEN(r->batch_sizes));
        assert_true(r->n_batch_ids + b->n <= N_MAX);
        memcpy(r->batch_ids + r->n_batch_ids, b->envelope_ids, b->n * sizeof(uint64_t));
        r->n_batch_ids += b->n;
        r->batch_sizes[r->n_batches++] = b->n;
        assert_int_equal(aegis_core_commit_batch(core, b), AEGIS_OK);
        aegis_core_batch_free(b);
    }
    aegis_store_free(store);
    aegis_core_free(core);
    fx_rmdir(dir);
}

static void run_clear(struct run *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(r->a[i].receipt);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

static void assert_same_receipt(const char *want, const char *got)
{
    json_t *a = json_loads(want, 0, NULL), *b = json_loads(got, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    static const char *const keys[] = { "envelope_hash", "tx_hash", "sender", "nonce", "seq", "envelope_id",
                                        "receipt_hash", "key_epoch", "status" };
    for (size_t k = 0; k < AEGIS_ARRAY_LEN(keys); k++)
        assert_true(json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])));
    json_decref(a);
    json_decref(b);
}

static void test_any_thread_count_same_result(void **state)
{
    (void)state;
    fx_core fx;
    fx_init(&fx);
    fx_start(&fx);
    struct stream s;
    build_stream(&fx, &s);
    fx_stop(&fx);

    static struct run base, other;
    run_stream(&fx, &s, 1, false, &base);
    /* the stream's mix is what the test is about: check it once */
    size_t ok = 0, rejected = 0, dups = 0;
    for (size_t i = 0; i < s.n; i++) {
        assert_int_equal(base.a[i].calls, 1);
        if (base.a[i].err == AEGIS_OK)
            ok++;
        else if (base.a[i].err == AEGIS_ERR_MEMPOOL_DUP_ENVELOPE)
            dups++;
        else
            rejected++;
    }
    assert_int_equal(dups, 1);
    assert_int_equal(rejected, 4);    /* garbage, tampered, under-priced, wrong chain */
    assert_int_equal(ok, N_SENDERS * N_NONCES + 1);
    assert_true(base.n_batches >= 1);
    assert_int_equal(base.n_batch_ids, N_SENDERS * N_NONCES);   /* the gapped nonce waits */

    /* and opened on the submitting thread (opts.open_on_submit), as aegisd does */
    static const struct { size_t threads; bool on_submit; } runs[] = { { 2, false }, { 3, false }, { 8, false },
                                                                        { 2, true } };
    for (size_t t = 0; t < AEGIS_ARRAY_LEN(runs); t++) {
        run_stream(&fx, &s, runs[t].threads, runs[t].on_submit, &other);
        for (size_t i = 0; i < s.n; i++) {
            assert_int_equal(other.a[i].calls, 1);
            assert_int_equal(other.a[i].err, base.a[i].err);
            assert_int_equal(other.a[i].id, base.a[i].id);
            assert_int_equal(!other.a[i].receipt, !base.a[i].receipt);
            if (base.a[i].receipt)
                assert_same_receipt(base.a[i].receipt, other.a[i].receipt);
        }
        assert_int_equal(other.n_batches, base.n_batches);
        assert_memory_equal(other.batch_sizes, base.batch_sizes, base.n_batches * sizeof(size_t));
        assert_memory_equal(other.batch_ids, base.batch_ids, base.n_batch_ids * sizeof(uint64_t));
        run_clear(&other, s.n);
    }
    run_clear(&base, s.n);
    for (size_t i = 0; i < s.n; i++)
        aegis_free(s.env[i]);
    fx_done(&fx);
}

/* open + admit gives what submit gives, refusals included, and a handle
 * freed without admission is simply gone. */
static void test_open_admit_matches_submit(void **state)
{
    (void)state;
    fx_core a, b;
    fx_init(&a);
    fx_start(&a);
    fx_stop(&a);
    fx_init(&b);
    copy_dir(a.dir, b.dir);
    fx_start(&a);
    fx_start(&b);
    struct stream s;
    build_stream(&a, &s);
    for (size_t i = 0; i < s.n; i++) {
        aegis_core_receipt ra, rb;
        const char *why_a = NULL, *why_b = NULL;
        aegis_err ea = aegis_core_submit(a.core, s.env[i], s.len[i], i + 1, 1700000000000ull, false, &ra, &why_a);
        aegis_core_opened *o = NULL;
        assert_int_equal(aegis_core_open(b.core, s.env[i], s.len[i], 1700000000000ull, &o), AEGIS_OK);
        assert_non_null(o);
        aegis_err eb = aegis_core_admit(b.core, o, i + 1, 1700000000000ull, false, &rb, &why_b);
        assert_int_equal(ea, eb);
        if (!ea) {
            assert_memory_equal(&ra, &rb, sizeof(ra));
        } else {
            assert_non_null(why_b);
            assert_string_equal(why_a, why_b);
        }
    }
    aegis_core_opened *o = NULL;
    assert_int_equal(aegis_core_open(b.core, s.env[0], s.len[0], 1700000000000ull, &o), AEGIS_OK);
    aegis_core_opened_free(o);
    aegis_core_opened_free(NULL);
    for (size_t i = 0; i < s.n; i++)
        aegis_free(s.env[i]);
    fx_done(&a);
    fx_done(&b);
}

struct count_job {
    atomic_uint hits[1000];
};

static void count_one(void *arg, size_t i)
{
    struct count_job *j = arg;
    atomic_fetch_add(&j->hits[i], 1);
}

static void test_pfor_each_index_once(void **state)
{
    (void)state;
    static const size_t threads[] = { 1, 2, 5 };
    for (size_t t = 0; t < AEGIS_ARRAY_LEN(threads); t++) {
        aegis__pfor *p = NULL;
        assert_int_equal(aegis__pfor_new(&p, threads[t]), AEGIS_OK);
        assert_int_equal(aegis__pfor_threads(p), threads[t]);
        static struct count_job job;
        for (size_t round = 0; round < 200; round++) {
            size_t n = (round * 37) % 1000;
            for (size_t i = 0; i < 1000; i++)
                atomic_store(&job.hits[i], 0);
            aegis__pfor_run(p, n, count_one, &job);
            for (size_t i = 0; i < 1000; i++)
                assert_int_equal(atomic_load(&job.hits[i]), i < n ? 1 : 0);
        }
        aegis__pfor_free(p);
    }
    aegis__pfor_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pfor_each_index_once),
        cmocka_unit_test(test_open_admit_matches_submit),
        cmocka_unit_test(test_any_thread_count_same_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
