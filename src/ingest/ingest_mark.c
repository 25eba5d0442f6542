/* ingest_mark.c - the sealed mark's receipt field written beside the
 * pipeline, not after it.
 *
 * A receipt leaves only once the core's sealed high-water mark covers its
 * envelope id (aegis_core_sign_receipts writes it, one fdatasync, after the
 * group is opened, admitted and signed). That write needs only "the log
 * durably holds these ids", which holds as soon as the writer's commit
 * returns. So the writer hands the committed group's highest id to this
 * thread, which writes the mark (aegis_core_mark_logged) while the core
 * thread opens and signs the same group and the writer commits the next
 * one. When the core signs, the mark already covers the group (or is being
 * written under the mark's lock, which the core then waits for): the
 * acknowledgement waits for one fdatasync after the commit's, not for the
 * core's work plus it.
 *
 * Ids only go up; several commits during one write are covered by the next
 * write (the highest). A failed write changes nothing: the core writes the
 * mark itself before any receipt leaves, and fails the group if it cannot.
 */
#include <pthread.h>

#include "aegis/util.h"
#include "ingest_int.h"

struct aegis__marker {
    aegis_core *core;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t want;             /* highest committed id handed over */
    uint64_t done;             /* highest id this thread has written (or tried) */
    bool stop;
    pthread_t thread;
};

static void *marker_main(void *arg)
{
    aegis__marker *m = arg;
    aegis_thread_name("ingest-mark");
    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (m->want <= m->done && !m->stop)
            pthread_cond_wait(&m->cv, &m->mu);
        if (m->want <= m->done)
            break;   /* stopping, nothing left */
        uint64_t id = m->want;
        pthread_mutex_unlock(&m->mu);
        aegis_err err = aegis_core_mark_logged(m->core, id);
        (void)err;   /* the core writes it again before the receipts, or fails them */
        pthread_mutex_lock(&m->mu);
        m->done = id;
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

aegis_err aegis__marker_new(aegis__marker **ret, aegis_core *core)
{
    aegis__marker *m = aegis_calloc(1, sizeof(*m));
    if (!m)
        return AEGIS_ERR_NOMEM;
    m->core = core;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        aegis_free(m);
        return AEGIS_ERR_NOMEM;
    }
    if (pthread_cond_init(&m->cv, NULL) != 0) {
        pthread_mutex_destroy(&m->mu);
        aegis_free(m);
        return AEGIS_ERR_NOMEM;
    }
    if (pthread_create(&m->thread, NULL, marker_main, m) != 0) {
        pthread_cond_destroy(&m->cv);
        pthread_mutex_destroy(&m->mu);
        aegis_free(m);
        return AEGIS_ERR_NOMEM;
    }
    *ret = m;
    return AEGIS_OK;
}

void aegis__marker_logged(aegis__marker *m, uint64_t env_id)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    if (env_id > m->want) {
        m->want = env_id;
        pthread_cond_signal(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
}

void aegis__marker_free(aegis__marker *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stop = true;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    aegis_free(m);
}
