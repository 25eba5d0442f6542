/*
 * mldsa_race.c - ML-DSA-87 signing raced on two cores, for the one signature
 * whose latency matters (the batch cutter's).
 *
 * FIPS 204 signing is a rejection loop: for ML-DSA-87 about 3.9 rounds on
 * average, but geometric, so one signature in a hundred needs 15 or more and
 * takes four times the median. Two hedged signings of the same message, each
 * with its own fresh rnd, run at once (the caller's thread and a standing
 * racer thread); the first to finish is the signature, the other is
 * abandoned at its next round. A round's acceptance does not depend on how
 * many rounds came before, so the winner is an ordinary hedged signature,
 * drawn from the same distribution: verifiers cannot tell, and the output
 * is what aegis_mldsa87_sign_key would have produced with the winner's rnd.
 * The tail becomes that of the shorter of two runs (p99 about 7 rounds
 * instead of 15) for about 15% more CPU on average.
 *
 * One job at a time: a caller that finds the racer still busy (its last
 * loser not yet stopped, or another caller) simply signs alone.
 */
#include <pthread.h>
#include <string.h>

#include "aegis/crypto.h"
#include "pq_int.h"

enum { NOBODY = 0, CALLER = 1, RACER = 2 };

struct aegis_mldsa87_racer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    bool slot_taken;           /* a caller owns the job fields */
    bool job;                  /* posted, not yet picked up */
    bool running;              /* the racer is signing */
    /* the job */
    const aegis_mldsa87_key *key;
    uint8_t mu_msg[AEGIS_MLDSA87_MU_BYTES];
    uint8_t rnd[32];
    uint8_t sig[AEGIS_MLDSA87_SIG_BYTES];
    atomic_int winner;         /* NOBODY, CALLER or RACER: the first to finish */
    uint64_t races, racer_wins;
};

static void *racer_main(void *arg)
{
    aegis_mldsa87_racer *r = arg;
    aegis_thread_name("mldsa-racer");
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->job && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->stop)
            break;
        r->job = false;
        r->running = true;
        const aegis_mldsa87_key *k = r->key;
        pthread_mutex_unlock(&r->mu);
        bool done = k->ops->sign_prepared(r->sig, r->mu_msg, r->rnd, k->prepared, &r->winner);
        int nobody = NOBODY;
        /* the signature is complete before the win is published */
        if (done && atomic_compare_exchange_strong(&r->winner, &nobody, RACER)) {
            pthread_mutex_lock(&r->mu);
            r->racer_wins++;
            pthread_mutex_unlock(&r->mu);
        }
        pthread_mutex_lock(&r->mu);
        aegis_memzero(r->rnd, sizeof(r->rnd));
        r->running = false;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

aegis_err aegis_mldsa87_racer_new(aegis_mldsa87_racer **ret)
{
    aegis_mldsa87_racer *r = aegis_calloc(1, sizeof(*r));
    if (!r)
        return AEGIS_ERR_NOMEM;
    atomic_init(&r->winner, NOBODY);
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        goto fail_free;
    if (pthread_cond_init(&r->cv, NULL) != 0)
        goto fail_mu;
    if (pthread_create(&r->thread, NULL, racer_main, r) != 0)
        goto fail_cv;
    *ret = r;
    return AEGIS_OK;
fail_cv:
    pthread_cond_destroy(&r->cv);
fail_mu:
    pthread_mutex_destroy(&r->mu);
fail_free:
    aegis_free(r);
    return AEGIS_ERR_NOMEM;
}

void aegis_mldsa87_racer_free(aegis_mldsa87_racer *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;   /* callers wait for their racer, so none is running here */
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    aegis_memzero(r, sizeof(*r));
    aegis_free(r);
}

void aegis_mldsa87_racer_stats(aegis_mldsa87_racer *r, uint64_t *ret_races, uint64_t *ret_racer_wins)
{
    pthread_mutex_lock(&r->mu);
    *ret_races = r->races;
    *ret_racer_wins = r->racer_wins;
    pthread_mutex_unlock(&r->mu);
}

aegis_err aegis_mldsa87_sign_key_raced(aegis_mldsa87_racer *r, uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                       const uint8_t *msg, size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                                       const aegis_mldsa87_key *k)
{
    if (!r)
        return aegis_mldsa87_sign_key(sig, msg, msg_len, ctx, ctx_len, k, false);
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    pthread_mutex_lock(&r->mu);
    bool free_slot = !r->slot_taken && !r->job && !r->running && !r->stop;
    if (free_slot)
        r->slot_taken = true;
    pthread_mutex_unlock(&r->mu);
    if (!free_slot)
        return aegis_mldsa87_sign_key(sig, msg, msg_len, ctx, ctx_len, k, false);

    uint8_t rnd[32], mu[AEGIS_MLDSA87_MU_BYTES];
    aegis_err err = aegis__mldsa87_signing_rnd(rnd, false);
    if (!err)
        err = aegis__mldsa87_signing_rnd(r->rnd, false);
    if (err) {
        aegis_memzero(rnd, sizeof(rnd));
        pthread_mutex_lock(&r->mu);
        r->slot_taken = false;
        pthread_mutex_unlock(&r->mu);
        return err;
    }
    aegis__mldsa87_message_mu(mu, k->tr, ctx, ctx_len, msg, msg_len);
    pthread_mutex_lock(&r->mu);
    memcpy(r->mu_msg, mu, sizeof(mu));
    r->key = k;
    atomic_store(&r->winner, NOBODY);
    r->job = true;
    r->races++;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);

    bool done = k->ops->sign_prepared(sig, mu, rnd, k->prepared, &r->winner);
    int nobody = NOBODY;
    bool won = done && atomic_compare_exchange_strong(&r->winner, &nobody, CALLER);
    aegis_memzero(rnd, sizeof(rnd));
    aegis_memzero(mu, sizeof(mu));
    /* A racer that has not started yet never will; one still running stops
     * within a round, and the key must outlive it, so wait for that. The
     * mutex also orders the racer's signature before our read of it. */
    pthread_mutex_lock(&r->mu);
    if (r->job) {
        r->job = false;
        aegis_memzero(r->rnd, sizeof(r->rnd));
    }
    while (r->running)
        pthread_cond_wait(&r->cv, &r->mu);
    if (!won)   /* the racer won: its signature was complete when it said so */
        memcpy(sig, r->sig, AEGIS_MLDSA87_SIG_BYTES);
    r->slot_taken = false;
    pthread_mutex_unlock(&r->mu);
    return AEGIS_OK;
}
