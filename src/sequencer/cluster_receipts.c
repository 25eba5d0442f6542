/* cluster_receipts.c - a cluster worker's receipts, signed in groups: a
 * submission whose envelope this worker has applied queues its receipt and
 * waits; one signer thread takes everything queued (up to RCPT_GROUP) and
 * signs it with one ML-DSA-87 signature over the group's Merkle root
 * (aegis_core_sign_receipts, the single node's format), then wakes each
 * submitter with its own receipt. Under load, many acknowledgements share a
 * signature; alone, an envelope waits for nothing but its own signing. */
#include <string.h>

#include "aegis/log.h"
#include "cluster_int.h"

#define MOD "cluster"
#define RCPT_GROUP 256

struct aegis_seq_rcpt_wait {
    aegis_core_receipt r;
    char *json;                      /* the signed receipt (aegis_free), set by the signer */
    aegis_err err;
    bool done;
    struct aegis_seq_rcpt_wait *next;
};

static void *signer_main(void *arg)
{
    aegis_thread_name("cl-receipts");
    struct aegis_seq_cluster *k = arg;
    struct aegis_seq *p = k->p;
    struct aegis_seq_rcpt_wait *group[RCPT_GROUP];
    aegis_core_receipt rs[RCPT_GROUP];
    pthread_mutex_lock(&k->rcpt_lock);
    for (;;) {
        while (!k->rcpt_head && !k->rcpt_stop)
            pthread_cond_wait(&k->rcpt_cv, &k->rcpt_lock);
        if (!k->rcpt_head && k->rcpt_stop)
            break;
        size_t n = 0;
        while (k->rcpt_head && n < RCPT_GROUP) {
            group[n] = k->rcpt_head;
            rs[n] = group[n]->r;
            k->rcpt_head = group[n]->next;
            n++;
        }
        if (!k->rcpt_head)
            k->rcpt_tail = NULL;
        pthread_mutex_unlock(&k->rcpt_lock);
        char **arr = NULL;
        aegis_err err = aegis_core_sign_receipts(p->core, rs, n, &arr);
        pthread_mutex_lock(&k->rcpt_lock);
        for (size_t i = 0; i < n; i++) {
            group[i]->err = err;
            group[i]->json = err ? NULL : arr[i];
            group[i]->done = true;
        }
        aegis_free(arr);
        if (!err) {   /* aegis_receipt_groups_total, aegis_receipts_signed_total */
            __atomic_add_fetch(&p->receipt_groups, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&p->receipts_signed, n, __ATOMIC_RELAXED);
        }
        pthread_cond_broadcast(&k->rcpt_done);
    }
    pthread_mutex_unlock(&k->rcpt_lock);
    return NULL;
}

aegis_err aegis_seq_cl_receipts_start(struct aegis_seq_cluster *k)
{
    pthread_mutex_init(&k->rcpt_lock, NULL);
    pthread_cond_init(&k->rcpt_cv, NULL);
    pthread_cond_init(&k->rcpt_done, NULL);
    k->rcpt_init = true;
    if (pthread_create(&k->rcpt_thread, NULL, signer_main, k) != 0)
        return AEGIS_ERR_INTERNAL;
    k->rcpt_started = true;
    return AEGIS_OK;
}

/* After every submitter returned (the RPC server stopped): the queue is empty. */
void aegis_seq_cl_receipts_stop(struct aegis_seq_cluster *k)
{
    if (!k->rcpt_init)
        return;
    if (k->rcpt_started) {
        pthread_mutex_lock(&k->rcpt_lock);
        k->rcpt_stop = true;
        pthread_cond_signal(&k->rcpt_cv);
        pthread_mutex_unlock(&k->rcpt_lock);
        pthread_join(k->rcpt_thread, NULL);
    }
    pthread_cond_destroy(&k->rcpt_cv);
    pthread_cond_destroy(&k->rcpt_done);
    pthread_mutex_destroy(&k->rcpt_lock);
    k->rcpt_init = false;
}

aegis_err aegis_seq_cl_receipt(struct aegis_seq_cluster *k, const aegis_core_receipt *r, char **ret_json)
{
    struct aegis_seq_rcpt_wait w = { .r = *r };
    *ret_json = NULL;
    pthread_mutex_lock(&k->rcpt_lock);
    if (k->rcpt_stop) {
        pthread_mutex_unlock(&k->rcpt_lock);
        return AEGIS_ERR_INGEST_CLOSED;
    }
    if (k->rcpt_tail)
        k->rcpt_tail->next = &w;
    else
        k->rcpt_head = &w;
    k->rcpt_tail = &w;
    pthread_cond_signal(&k->rcpt_cv);
    while (!w.done)
        pthread_cond_wait(&k->rcpt_done, &k->rcpt_lock);
    pthread_mutex_unlock(&k->rcpt_lock);
    *ret_json = w.json;
    return w.err;
}
