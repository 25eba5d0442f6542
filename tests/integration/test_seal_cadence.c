/*
 * test_seal_cadence.c - SLH-DSA seals and checkpoints on a time cadence
 * under load, against a real aegisd with tiny batches (2 txs, every 50 ms),
 * seal_every = 2, seal_interval_ms = 1500, checkpoint_interval = 2 and
 * checkpoint_min_interval_ms = 3000:
 *   - `aegis loadgen --preseal` (pre-sealed envelopes, keep-alive
 *     connections) until every acknowledged envelope is included, and its
 *     summary reports ack/s, p50/p99 and the node's CPU per ack (read from
 *     process_cpu_seconds_total on /metrics);
 *   - the seals cover every batch exactly once, in order, and under load a
 *     seal covers more than seal_every batches; fewer seals and checkpoints
 *     than one per seal_every / checkpoint_interval batches;
 *   - `aegis verify --all --require-slh`: the verifier's rules are
 *     unchanged and every batch carries its seal;
 *   - aegis_waitBatch answered with a batch as stored (wait.c: a long-poll
 *     woken by the batch, or a poll for a batch that exists already) gets
 *     the same batch as aegis_getBatch, apart from the seal membership
 *     aegis_getBatch adds once a seal covers it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char config_toml[] =
    "[node]\nid = \"it-seal-cadence\"\n"
    "[batch]\nmax = 2\ninterval_ms = 50\nslh_mode = \"epoch\"\nseal_every = 2\nseal_interval_ms = 1500\n"
    "checkpoint_interval = 2\ncheckpoint_min_interval_ms = 3000\n";

static struct daemon D, C;
static struct timespec started;   /* the daemon was up: its sealer's clock starts */

static double since_start(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int cli(const char *first, ...)
{
    const char *args[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return run_aegis(&C, args);
}

static uint64_t result_u64(const char *method, const char *params, const char *key)
{
    json_t *r = rpc_call(&D, method, params);
    json_int_t v = json_integer_value(json_object_get(json_object_get(r, "result"), key));
    json_decref(r);
    return v > 0 ? (uint64_t)v : 0;
}

static void test_cadence_under_load(void **state)
{
    (void)state;
    int rc = cli("loadgen", "--rpc", D.url, "--count", "240", "--senders", "40", "--concurrency", "8",
                 "--preseal", "--allow-sim", NULL);
    if (rc != 0)
        fprintf(stderr, "%s\n%s\n", slurp(C.out), slurp(C.err));
    assert_int_equal(rc, 0);
    const char *out = slurp(C.out);
    assert_non_null(strstr(out, "240/240 included"));
    assert_non_null(strstr(out, "preseal: 240 acknowledged"));
    assert_non_null(strstr(out, "us per ack"));
    assert_non_null(strstr(slurp(C.err), "sealed 240 envelopes"));

    uint64_t last = result_u64("aegis_status", "[]", "last_batch");
    assert_true(last >= 120);
    /* the sealer catches up: the last partial window within the bounds */
    uint64_t covered = 0, seals = 0, widest = 0;
    for (int tries = 0; tries < 600 && covered < last; tries++) {   /* the sealer runs at nice +10: on a loaded host it waits */
        char params[32];
        for (;;) {
            snprintf(params, sizeof(params), "[%llu]", (unsigned long long)seals + 1);
            json_t *r = rpc_call(&D, "aegis_getSeal", params);
            json_t *s = json_object_get(r, "result");
            if (!s) {
                json_decref(r);
                break;
            }
            uint64_t first = (uint64_t)json_integer_value(json_object_get(s, "first"));
            uint64_t count = (uint64_t)json_integer_value(json_object_get(s, "count"));
            json_decref(r);
            assert_int_equal(first, covered + 1);   /* every batch once, in order */
            assert_true(count >= 1);
            covered += count;
            if (count > widest)
                widest = count;
            seals++;
        }
        if (covered < last)
            sleep_ms(100);
    }
    double el = since_start();
    assert_true(covered >= last);
    assert_true(widest > 2);              /* under load: more than seal_every */
    /* at most one per 1.5 s (the sealer started before `started`) */
    assert_true((double)seals <= el / 1.5 + 1);

    json_t *r = rpc_call(&D, "aegis_listCheckpoints", "[]");
    size_t ckpts = json_array_size(json_object_get(r, "result"));
    json_decref(r);
    assert_true(ckpts >= 1);
    /* the first at once, then at most one per 3 s */
    assert_true((double)ckpts <= since_start() / 3.0 + 1);

    rc = cli("verify", "--rpc", D.url, "--all", "--allow-sim", "--require-slh", NULL);
    if (rc != 0)
        fprintf(stderr, "%s\n%s\n", slurp(C.out), slurp(C.err));
    assert_int_equal(rc, 0);
    assert_non_null(strstr(slurp(C.out), " 0 failed"));
}

struct poll { uint64_t after; json_t *reply; };

static void *long_poll(void *arg)
{
    struct poll *a = arg;
    char params[64];
    snprintf(params, sizeof(params), "[%llu, 20000]", (unsigned long long)a->after);
    a->reply = rpc_call(&D, "aegis_waitBatch", params);
    return NULL;
}

static void test_long_poll_answer(void **state)
{
    (void)state;
    uint64_t last = result_u64("aegis_status", "[]", "last_batch");
    struct poll a = { last, NULL };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, long_poll, &a), 0);
    sleep_ms(300);   /* the poll is deferred before the batch exists */
    int rc = cli("loadgen", "--rpc", D.url, "--count", "2", "--senders", "2", "--concurrency", "2", "--preseal",
                 "--allow-sim", NULL);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(rc, 0);
    /* the same batch asked for once it exists (a follower that is behind) */
    char params[64];
    snprintf(params, sizeof(params), "[%llu, 0]", (unsigned long long)last);
    json_t *now = rpc_call(&D, "aegis_waitBatch", params);
    json_t *got_now = json_object_get(now, "result");
    assert_true(json_is_object(got_now));
    json_t *got = json_object_get(a.reply, "result");
    assert_true(json_is_object(got));
    assert_int_equal(json_integer_value(json_object_get(got, "number")), (json_int_t)(last + 1));
    assert_true(json_array_size(json_object_get(got, "txs")) > 0);
    snprintf(params, sizeof(params), "[%llu]", (unsigned long long)last + 1);
    json_t *r = rpc_call(&D, "aegis_getBatch", params);
    json_t *want = json_object_get(r, "result");
    assert_true(json_is_object(want));
    json_object_del(want, "seal");
    json_object_del(got, "seal");
    json_object_del(got_now, "seal");
    assert_true(json_equal(got, want));
    assert_true(json_equal(got_now, want));
    json_decref(r);
    json_decref(now);
    json_decref(a.reply);
}

static int group_setup(void **state)
{
    daemon_init(&D, config_toml);
    if (!daemon_start(&D)) {
        harness_reap_all(state);
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &started);
    C = D;
    C.pid = -1;
    snprintf(C.out, sizeof(C.out), "%s/cli.out", D.dir);
    snprintf(C.err, sizeof(C.err), "%s/cli.err", D.dir);
    return 0;
}

static int group_teardown(void **state)
{
    int rc = daemon_stop(&D, SIGTERM);
    daemon_cleanup(&D);
    harness_reap_all(state);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cadence_under_load),
        cmocka_unit_test(test_long_poll_answer),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
