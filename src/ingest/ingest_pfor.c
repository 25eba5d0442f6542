/* ingest_pfor.c - a parallel loop on a fixed set of helper threads.
 *
 * run() publishes a job (fn, arg, n) under the mutex and bumps the
 * generation; every helper that wakes registers under the same mutex
 * (active++) and copies the job it saw, then all threads - the caller too -
 * take indices from one atomic counter until it passes n. run() returns once
 * the counter is exhausted and no helper is still registered. A helper that
 * wakes late may register on a job already finished (the counter is past
 * n: it does nothing); the next run() waits for it to leave before it
 * resets the counter, so no helper ever takes an index of one job with the
 * body of another.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "aegis/util.h"
#include "ingest_int.h"

struct aegis__pfor {
    pthread_mutex_t mu;
    pthread_cond_t cv_work;    /* a new generation, or stop */
    pthread_cond_t cv_idle;    /* active dropped to 0 */
    uint64_t gen;
    bool stop;
    size_t active;             /* helpers registered on the current job */
    aegis__pfor_fn fn;
    void *arg;
    size_t n;
    atomic_size_t next;
    size_t n_threads;          /* helpers started */
    pthread_t *threads;
};

static void drain(aegis__pfor *p, aegis__pfor_fn fn, void *arg, size_t n)
{
    for (size_t i; (i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed)) < n;)
        fn(arg, i);
}

static void *helper_main(void *arg)
{
    aegis__pfor *p = arg;
    uint64_t seen = 0;
    aegis_thread_name("ingest-open");
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->stop)
            pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->stop)
            break;
        seen = p->gen;
        aegis__pfor_fn fn = p->fn;
        void *fa = p->arg;
        size_t n = p->n;
        p->active++;
        pthread_mutex_unlock(&p->mu);
        drain(p, fn, fa, n);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_signal(&p->cv_idle);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

aegis_err aegis__pfor_new(aegis__pfor **ret, size_t threads)
{
    aegis__pfor *p = aegis_calloc(1, sizeof(*p));
    if (!p)
        return AEGIS_ERR_NOMEM;
    size_t helpers = threads > 1 ? threads - 1 : 0;
    if (helpers && !(p->threads = aegis_calloc(helpers, sizeof(*p->threads)))) {
        aegis_free(p);
        return AEGIS_ERR_NOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_idle, NULL);
    atomic_init(&p->next, 0);
    for (size_t i = 0; i < helpers; i++) {
        if (pthread_create(&p->threads[i], NULL, helper_main, p) != 0)
            break;   /* fewer helpers: slower, still correct */
        p->n_threads++;
    }
    *ret = p;
    return AEGIS_OK;
}

size_t aegis__pfor_threads(const aegis__pfor *p)
{
    return p->n_threads + 1;
}

void aegis__pfor_run(aegis__pfor *p, size_t n, aegis__pfor_fn fn, void *arg)
{
    if (n == 0)
        return;
    if (p->n_threads == 0 || n == 1) {
        for (size_t i = 0; i < n; i++)
            fn(arg, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    /* a helper that woke for the previous job after it finished may still
     * be registered on it: let it leave before the counter is reset */
    while (p->active)
        pthread_cond_wait(&p->cv_idle, &p->mu);
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->gen++;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    drain(p, fn, arg, n);
    pthread_mutex_lock(&p->mu);
    while (p->active)
        pthread_cond_wait(&p->cv_idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void aegis__pfor_free(aegis__pfor *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv_idle);
    pthread_cond_destroy(&p->cv_work);
    pthread_mutex_destroy(&p->mu);
    aegis_free(p->threads);
    aegis_free(p);
}
