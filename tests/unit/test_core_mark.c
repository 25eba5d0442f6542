/*
 * test_core_mark.c - the sealed high-water mark (core_mark.c): recorded
 * before a batch or a receipt group leaves the core, read back at start;
 * a write a crash interrupted leaves the other file's older record; a
 * store behind the mark is refused and a marked batch the store never got
 * is offered again, unchanged; keys are never made anew under a mark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core_fixture.h"

static fx_core *new_fx(uint64_t max_batch)
{
    fx_core *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx_init(fx);
    fx->cfg.batch_max = max_batch;
    fx_start(fx);
    return fx;
}

static void free_fx(fx_core *fx)
{
    fx_done(fx);
    free(fx);
}

static void mark_is(fx_core *fx, uint64_t batch, uint64_t acked)
{
    aegis_core_mark_info m;
    aegis_core_mark_get(fx->core, &m);
    assert_true(m.found || (batch == 0 && acked == 0));
    assert_int_equal(m.batch, batch);
    assert_int_equal(m.acked_env, acked);
}

static void flip_byte(const char *dir, const char *name, long off)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_equal(fputc(c ^ 0x20, f), c ^ 0x20);
    assert_int_equal(fclose(f), 0);
}

static void test_mark_follows_releases(void **state)
{
    (void)state;
    fx_core *fx = new_fx(1);
    mark_is(fx, 0, 0);
    /* a receipt group: the highest envelope id it acknowledges */
    aegis_core_receipt r[2];
    assert_int_equal(fx_submit_tx(fx, 1, 0, 5, &r[0]), AEGIS_OK);
    assert_int_equal(fx_submit_tx(fx, 2, 0, 5, &r[1]), AEGIS_OK);
    char **rj = NULL;
    assert_int_equal(aegis_core_sign_receipts(fx->core, r, 2, &rj), AEGIS_OK);
    for (int i = 0; i < 2; i++)
        aegis_free(rj[i]);
    aegis_free(rj);
    mark_is(fx, 0, r[1].envelope_id);
    /* a batch: recorded as soon as it is cut (before the host has it) */
    aegis_core_batch *b = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &b), AEGIS_OK);
    mark_is(fx, 1, r[1].envelope_id);
    /* restart with the store never having got batch 1: offered again, unchanged */
    fx_stop(fx);
    fx_start(fx);
    mark_is(fx, 1, r[1].envelope_id);
    const char *detail = NULL;
    for (uint64_t id = 1; id <= 2; id++) {   /* the replay of the pending log */
        uint8_t *raw = NULL, *env = NULL;
        size_t raw_len = 0, env_len = 0;
        fx_tx(fx, (unsigned)id, 0, 5, &raw, &raw_len);
        fx_seal(fx, raw, raw_len, &env, &env_len);
        aegis_core_receipt rr;
        assert_int_equal(aegis_core_submit(fx->core, env, env_len, id, 1500, true, &rr, &detail), AEGIS_OK);
        aegis_free(raw);
        aegis_free(env);
    }
    /* an envelope log that ends before the acknowledged id: refused */
    assert_int_equal(aegis_core_restore_finish(fx->core, r[1].envelope_id - 1, false, &detail),
                     AEGIS_ERR_CORE_STORE_BEHIND);
    assert_int_equal(aegis_core_restore_finish(fx->core, r[1].envelope_id, false, &detail), AEGIS_OK);
    aegis_core_batch *again = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 2000, true, &again), AEGIS_OK);
    assert_non_null(again);
    assert_int_equal(again->number, 1);
    assert_memory_equal(again->hash, b->hash, 32);
    assert_int_equal(again->json_len, b->json_len);
    assert_memory_equal(again->json, b->json, b->json_len);
    assert_int_equal(aegis_core_commit_batch(fx->core, again), AEGIS_OK);
    aegis_core_batch_free(again);

    /* a store that lost batch 1 after it was committed: refused, nothing cut */
    fx_stop(fx);
    fx_start(fx);
    assert_int_equal(aegis_core_restore_finish(fx->core, 100, false, &detail), AEGIS_OK);   /* re-armed */
    fx_stop(fx);
    fx_start(fx);
    assert_int_equal(fx_submit_tx(fx, 7, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch *fork = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 3000, true, &fork), AEGIS_ERR_CORE_STORE_BEHIND);
    assert_null(fork);
    aegis_core_batch_free(b);
    free_fx(fx);
}

/* Both mark files' bytes, to tell whether a call wrote a record. */
static size_t mark_files(fx_core *fx, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    const char *names[] = { "hwm.sealed", "hwm-b.sealed" };
    for (int i = 0; i < 2; i++) {
        char path[300];
        snprintf(path, sizeof(path), "%s/%s", fx->dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        n += fread(buf + n, 1, cap - n, f);
        fclose(f);
    }
    return n;
}

/* The host says its log durably holds ids up to N (aegis_core_mark_logged,
 * after its commit): the mark records N at once, a receipt group within it
 * writes nothing more, one beyond it does; a log that ends before N is
 * refused at the next start; a lower id changes nothing. */
static void test_mark_logged(void **state)
{
    (void)state;
    fx_core *fx = new_fx(1);
    assert_int_equal(aegis_core_mark_logged(fx->core, 5), AEGIS_OK);
    mark_is(fx, 0, 5);
    uint8_t before[4096], after[4096];
    size_t nb = mark_files(fx, before, sizeof(before));
    assert_true(nb > 0);
    aegis_core_receipt r;
    char **rj = NULL;
    assert_int_equal(fx_submit_tx_ex(fx, 1, 0, 5, NULL, 4, &r, NULL), AEGIS_OK);
    assert_int_equal(aegis_core_sign_receipts(fx->core, &r, 1, &rj), AEGIS_OK);
    aegis_free(rj[0]);
    aegis_free(rj);
    mark_is(fx, 0, 5);
    size_t na = mark_files(fx, after, sizeof(after));
    assert_int_equal(na, nb);
    assert_memory_equal(after, before, nb);   /* covered: no write */
    assert_int_equal(fx_submit_tx_ex(fx, 2, 0, 5, NULL, 6, &r, NULL), AEGIS_OK);
    assert_int_equal(aegis_core_sign_receipts(fx->core, &r, 1, &rj), AEGIS_OK);
    aegis_free(rj[0]);
    aegis_free(rj);
    mark_is(fx, 0, 6);
    assert_int_equal(aegis_core_mark_logged(fx->core, 3), AEGIS_OK);
    mark_is(fx, 0, 6);
    assert_int_equal(aegis_core_mark_logged(fx->core, 9), AEGIS_OK);
    fx_stop(fx);
    fx_start(fx);
    mark_is(fx, 0, 9);
    const char *detail = NULL;
    assert_int_equal(aegis_core_restore_finish(fx->core, 8, false, &detail), AEGIS_ERR_CORE_STORE_BEHIND);
    assert_int_equal(aegis_core_restore_finish(fx->core, 9, false, &detail), AEGIS_OK);
    free_fx(fx);
}

static long file_size(fx_core *fx, const char *name)
{
    char path[300];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Two marks of the same length (ids id, id + 1): both files keep their
 * size, and a restart reads id + 1 back. */
static void same_length_twice(fx_core *fx, uint64_t id, long size)
{
    assert_int_equal(aegis_core_mark_logged(fx->core, id), AEGIS_OK);
    assert_int_equal(aegis_core_mark_logged(fx->core, id + 1), AEGIS_OK);
    assert_int_equal(file_size(fx, "hwm.sealed"), size);
    assert_int_equal(file_size(fx, "hwm-b.sealed"), size);
    fx_stop(fx);
    fx_start(fx);
    mark_is(fx, 1, id + 1);
}

/* A record shorter than the file's (the batch it held was persisted since)
 * cuts the stale tail; one of the same length is written in place (no
 * truncate: ext4 frees and discards blocks even for the same size); both
 * read back after a restart. */
static void test_mark_file_sizes(void **state)
{
    (void)state;
    fx_core *fx = new_fx(1);
    assert_int_equal(fx_submit_tx(fx, 1, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch *b = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &b), AEGIS_OK);
    assert_non_null(b);
    assert_int_equal(aegis_core_mark_logged(fx->core, 7), AEGIS_OK);   /* still holds the batch */
    long big_a = file_size(fx, "hwm.sealed"), big_b = file_size(fx, "hwm-b.sealed");
    assert_true(big_a > (long)b->json_len && big_b > (long)b->json_len);
    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_OK);    /* the host persisted it */
    assert_int_equal(aegis_core_mark_logged(fx->core, 8), AEGIS_OK);
    assert_int_equal(aegis_core_mark_logged(fx->core, 9), AEGIS_OK);
    long small = file_size(fx, "hwm.sealed");
    assert_true(small > 0 && small < 200);
    assert_int_equal(file_size(fx, "hwm-b.sealed"), small);
    same_length_twice(fx, 10, small);   /* same length, in place */
    /* sizes read from the files at start: a write of the same length
     * leaves them as they are, and reads back */
    same_length_twice(fx, 12, small);
    aegis_core_batch_free(b);
    free_fx(fx);
}

/* A write a crash interrupted: the other file's (older) record is used. */
static void test_mark_torn_write(void **state)
{
    (void)state;
    fx_core *fx = new_fx(1);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(fx_submit_tx(fx, 1, k, 5, NULL), AEGIS_OK);
        aegis_core_batch_free(fx_cut_commit(fx, 1000 * (k + 1)));
    }
    mark_is(fx, 3, 0);
    fx_stop(fx);
    /* records 1, 2, 3 went to b, a, b: damage the newest (b) */
    flip_byte(fx->dir, "hwm-b.sealed", 40);
    fx_start(fx);
    mark_is(fx, 2, 0);
    fx_stop(fx);
    /* both damaged: refused (not a crash pattern) */
    flip_byte(fx->dir, "hwm.sealed", 40);
    const char *detail = NULL;
    aegis_core *c2 = NULL;
    assert_int_equal(aegis_core_new(&c2, &fx->cfg, fx->dir, &detail), AEGIS_ERR_CORE_MARK);
    assert_null(c2);
    flip_byte(fx->dir, "hwm.sealed", 40);   /* repaired: starts again */
    fx_start(fx);
    mark_is(fx, 2, 0);
    free_fx(fx);
}

/* keyset.sealed gone under a mark that records releases: no new keys. */
static void test_mark_refuses_new_keys(void **state)
{
    (void)state;
    fx_core *fx = new_fx(1);
    assert_int_equal(fx_submit_tx(fx, 1, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch_free(fx_cut_commit(fx, 1000));
    fx_stop(fx);
    char path[300];
    snprintf(path, sizeof(path), "%s/keyset.sealed", fx->dir);
    assert_int_equal(unlink(path), 0);
    const char *detail = NULL;
    aegis_core *c2 = NULL;
    assert_int_equal(aegis_core_new(&c2, &fx->cfg, fx->dir, &detail), AEGIS_ERR_CORE_KEYS_MISSING);
    assert_null(c2);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    free_fx(fx);
}

/* A cluster worker keeps a mark of the batches it signed (not of receipts:
 * JetStream's quorum holds what it acknowledged). Rebuilding from the log
 * after a restart it signs released numbers again: the same content is
 * taken, another content under the marked number is refused. */
static void test_mark_cluster_replay(void **state)
{
    (void)state;
    fx_core *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx_init(fx);
    fx->cfg.batch_max = 1;
    fx->cfg.cluster_nats_urls.items[0] = (char *)"nats://127.0.0.1:1";
    fx->cfg.cluster_nats_urls.n = 1;
    fx->cfg.worker_id = (char *)"w1";
    fx_start(fx);
    aegis_core_receipt r;
    assert_int_equal(fx_submit_tx(fx, 1, 0, 5, &r), AEGIS_OK);
    char **rj = NULL;
    assert_int_equal(aegis_core_sign_receipts(fx->core, &r, 1, &rj), AEGIS_OK);
    aegis_free(rj[0]);
    aegis_free(rj);
    mark_is(fx, 0, 0);   /* receipts move no cluster mark */
    aegis_core_batch *b = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &b), AEGIS_OK);
    assert_non_null(b);
    assert_int_equal(aegis_core_commit_batch(fx->core, b), AEGIS_OK);
    mark_is(fx, 1, 0);

    /* restart, the same log applied again: the same batch 1, taken */
    fx_stop(fx);
    fx_start(fx);
    assert_int_equal(fx_submit_tx(fx, 1, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch *again = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &again), AEGIS_OK);
    assert_non_null(again);
    assert_memory_equal(again->hash, b->hash, 32);
    assert_int_equal(aegis_core_commit_batch(fx->core, again), AEGIS_OK);
    aegis_core_batch_free(again);

    /* restart, a log that says something else at batch 1: refused, nothing released */
    fx_stop(fx);
    fx_start(fx);
    assert_int_equal(fx_submit_tx(fx, 2, 0, 5, NULL), AEGIS_OK);
    aegis_core_batch *fork = NULL;
    assert_int_equal(aegis_core_cut_batch(fx->core, 1000, true, &fork), AEGIS_ERR_CORE_FORK);
    assert_null(fork);
    mark_is(fx, 1, 0);
    aegis_core_batch_free(b);
    free_fx(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mark_follows_releases),
        cmocka_unit_test(test_mark_logged),
        cmocka_unit_test(test_mark_file_sizes),
        cmocka_unit_test(test_mark_torn_write),
        cmocka_unit_test(test_mark_refuses_new_keys),
        cmocka_unit_test(test_mark_cluster_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
