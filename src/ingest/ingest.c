/*
 * ingest.c - the submission pipeline (aegis/ingest.h): a writer thread that
 * makes whole groups durable with one commit, a core thread that admits
 * them and signs their receipts with one signature.
 *
 * Opening envelopes (decrypt, decode, recover the sender) is most of the
 * core thread's work; it runs on opts.open_threads threads for a whole
 * group at once (ingest_pfor.c), and admission then goes in log order.
 * With opts.open_on_submit it is done in aegis_ingest_submit instead, on
 * the caller's thread while the group commits. The sealed mark's receipt
 * field is written by the marker thread (ingest_mark.c) as soon as a
 * commit returns.
 *
 * One mutex guards the three queues (in -> ready -> done) and the list of
 * rejections the writer records. Each thread takes a whole queue (up to
 * max_group) under the lock and works on it unlocked; an item belongs to
 * exactly one queue or one thread's local list at a time.
 *
 * Shutdown: the writer leaves once nothing is queued for it and `stopping`
 * is set; the core leaves once the writer is gone and nothing is ready.
 * Rejections the core finds after the writer left are recorded by the core
 * itself, so every accepted submission is completed and every rejection
 * recorded before aegis_ingest_free returns.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "aegis/ingest.h"
#include "ingest_int.h"

#define DEFAULT_GROUP 256
#define DEFAULT_QUEUE 8192
#define MAX_GROUP 4096     /* aegis_core_sign_receipts' limit */

struct item {
    uint8_t *env;
    size_t len;
    uint8_t hash[32];
    uint64_t id;
    aegis_err err;
    const char *detail;
    aegis_ingest_done_fn done;
    void *arg;
    aegis_core_opened *opened; /* core-side handle between open and admit */
    struct item *next;
};

struct rejection {
    uint64_t id;
    const char *reason;        /* static text from the core */
    struct item *it;           /* answered once the rejection is recorded */
};

struct queue {
    struct item *head, *tail;
    size_t n;
};

struct aegis_ingest {
    aegis_core *core;
    aegis_store *store;
    size_t max_group, max_queue;
    aegis_ingest_group_fn on_group;
    void *on_group_arg;

    pthread_mutex_t mu;
    pthread_cond_t cv_writer;  /* something queued for the writer, or stop */
    pthread_cond_t cv_core;    /* something ready for the core, or writer gone */
    struct queue in, ready;
    struct rejection *rej;     /* to record, for the writer */
    size_t n_rej, cap_rej;
    bool stopping, writer_gone;
    bool writer_idle;          /* waiting for work (not pacing): wake it */
    bool writer_committing;    /* a group is on its way to the core */
    uint64_t commit_interval_ns;
    uint64_t sign_wait_ns;     /* most a receipt waits for companions on a busy core */
    uint64_t last_commit_ns;   /* when the writer's previous commit started */
    aegis_ingest_stats st;
    atomic_size_t in_flight;   /* accepted, not yet answered */
    aegis__pfor *openers;      /* opens a group's envelopes in parallel */
    aegis__marker *marker;     /* writes the sealed mark once a commit returns */
    bool open_on_submit;       /* opts.open_on_submit */
    pthread_t writer, corer;
    bool writer_started, core_started;
};

static void q_push(struct queue *q, struct item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
}

/* Take up to max items off the front. */
static struct item *q_take(struct queue *q, size_t max, size_t *ret_n)
{
    struct item *first = q->head, *last = NULL;
    size_t n = 0;
    for (struct item *it = q->head; it && n < max; it = it->next) {
        last = it;
        n++;
    }
    if (!last) {
        *ret_n = 0;
        return NULL;
    }
    q->head = last->next;
    if (!q->head)
        q->tail = NULL;
    q->n -= n;
    last->next = NULL;
    *ret_n = n;
    return first;
}

/* Wait on cv (a CLOCK_MONOTONIC condition, like aegis_now_ns) until
 * signalled or the monotonic time due_ns. */
static void wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t due_ns)
{
    struct timespec ts = { (time_t)(due_ns / 1000000000ull), (long)(due_ns % 1000000000ull) };
    pthread_cond_timedwait(cv, mu, &ts);
}

/* Deliver an item's outcome and free it. */
static void complete(aegis_ingest *ig, struct item *it, const char *receipt)
{
    aegis_ingest_result res = {
        .err = it->err, .detail = it->err ? it->detail : NULL, .envelope_id = it->id,
        .receipt = it->err ? NULL : receipt,
    };
    it->done(it->arg, &res);
    aegis_core_opened_free(it->opened);
    aegis_free(it->env);
    aegis_free(it);
    /* no mutex per answer: on a busy core a preempted holder would make
     * every other thread queue behind it */
    atomic_fetch_sub_explicit(&ig->in_flight, 1, memory_order_relaxed);
}

/* Record rejections in the envelope log, one call per reason (the reasons
 * are a handful of static strings). Losing one to a failing store costs
 * nothing durable: on restart the envelope is replayed and rejected again. */
static void record_rejections(aegis_ingest *ig, const struct rejection *r, size_t n)
{
    uint64_t ids[64];
    size_t lost = 0;
    bool *done = aegis_calloc(n ? n : 1, sizeof(*done));
    for (size_t i = 0; done && i < n; i++) {
        if (done[i])
            continue;
        size_t k = 0;
        for (size_t j = i; j < n; j++) {
            if (done[j] || r[j].reason != r[i].reason)
                continue;
            ids[k++] = r[j].id;
            done[j] = true;
            if (k == AEGIS_ARRAY_LEN(ids)) {
                if (aegis_store_env_set_status(ig->store, ids, k, AEGIS_ENV_REJECTED, r[i].reason) != AEGIS_OK)
                    lost += k;
                k = 0;
            }
        }
        if (k && aegis_store_env_set_status(ig->store, ids, k, AEGIS_ENV_REJECTED, r[i].reason) != AEGIS_OK)
            lost += k;
    }
    if (!done)
        lost = n;
    aegis_free(done);
    /* Answer only now: a client that reads aegis_getReceipt after its
     * refusal must find "rejected", never the log's "pending". */
    for (size_t i = 0; i < n; i++)
        if (r[i].it)
            complete(ig, r[i].it, NULL);
    if (lost) {
        pthread_mutex_lock(&ig->mu);
        ig->st.unrecorded += lost;
        pthread_mutex_unlock(&ig->mu);
    }
}

/* ---- the writer: durable append of whole groups ---- */

/* Append one group; completes duplicates and failures, returns the rest
 * (in order) for the core. */
static struct item *append_group(aegis_ingest *ig, struct item *group, size_t n, size_t *ret_n)
{
    aegis_store_env_in *in = aegis_malloc(n * sizeof(*in));
    size_t i = 0;
    for (struct item *it = group; it; it = it->next, i++) {
        if (it->opened)   /* opened on the submitting thread: hashed there */
            aegis_core_opened_env_hash(it->opened, it->hash);
        else
            aegis_core_envelope_hash(it->env, it->len, it->hash);
        if (in)
            in[i] = (aegis_store_env_in){ .data = it->env, .len = it->len, .hash = it->hash };
    }
    aegis_err err = in ? aegis_store_env_append_many(ig->store, in, n) : AEGIS_ERR_NOMEM;
    struct queue keep = { 0 };
    size_t dups = 0;
    uint64_t hi = 0;
    i = 0;
    for (struct item *it = group, *next; it; it = next, i++) {
        next = it->next;
        if (err) {
            it->err = err;
            it->detail = "envelope log unavailable: not accepted";
            complete(ig, it, NULL);
        } else if (in[i].err == AEGIS_ERR_EXISTS) {
            it->id = in[i].id;
            it->err = AEGIS_ERR_MEMPOOL_DUP_ENVELOPE;
            it->detail = "this envelope was already submitted (see aegis_getReceipt)";
            dups++;
            complete(ig, it, NULL);
        } else {
            it->id = in[i].id;
            hi = it->id > hi ? it->id : hi;
            q_push(&keep, it);
        }
    }
    aegis_free(in);
    /* durable now: the mark may say so while the core opens and signs */
    if (hi)
        aegis__marker_logged(ig->marker, hi);
    pthread_mutex_lock(&ig->mu);
    ig->st.appends++;
    ig->st.duplicates += dups;
    if (err)
        ig->st.failed += n;
    pthread_mutex_unlock(&ig->mu);
    if (err && ig->on_group)
        ig->on_group(ig->on_group_arg, 0, 0, err);
    *ret_n = keep.n;
    return keep.head;
}

static void *writer_main(void *arg)
{
    aegis_ingest *ig = arg;
    aegis_thread_name("ingest-writer");
    pthread_mutex_lock(&ig->mu);
    for (;;) {
        while (!ig->in.head && !ig->n_rej && !ig->stopping) {
            ig->writer_idle = true;
            pthread_cond_wait(&ig->cv_writer, &ig->mu);
        }
        ig->writer_idle = false;
        if (!ig->in.head && !ig->n_rej && ig->stopping)
            break;
        /* Pace commits: a commit costs ~100 us of CPU whatever its size, so
         * under moderate load let a group gather for up to the interval
         * after the previous commit started. A full group, a stop, or an
         * idle spell longer than the interval goes at once. */
        while (ig->in.head && ig->in.n < ig->max_group && !ig->stopping &&
               aegis_now_ns() < ig->last_commit_ns + ig->commit_interval_ns)
            wait_until(&ig->cv_writer, &ig->mu, ig->last_commit_ns + ig->commit_interval_ns);
        if (ig->in.head) {
            ig->last_commit_ns = aegis_now_ns();
            ig->writer_committing = true;
        }
        size_t n = 0, n_rej = ig->n_rej;
        struct item *group = q_take(&ig->in, ig->max_group, &n);
        struct rejection *rej = ig->rej;
        ig->rej = NULL;
        ig->n_rej = ig->cap_rej = 0;
        pthread_mutex_unlock(&ig->mu);

        if (group)
            group = append_group(ig, group, n, &n);
        /* the group goes to the core before the rejections are recorded */
        pthread_mutex_lock(&ig->mu);
        for (struct item *it = group, *next; it; it = next) {
            next = it->next;
            q_push(&ig->ready, it);
        }
        if (ig->writer_committing) {
            ig->writer_committing = false;
            pthread_cond_signal(&ig->cv_core);
        }
        pthread_mutex_unlock(&ig->mu);
        if (n_rej)
            record_rejections(ig, rej, n_rej);
        aegis_free(rej);
        pthread_mutex_lock(&ig->mu);
    }
    ig->writer_gone = true;   /* from now on the core thread records its own */
    struct rejection *left = ig->rej;
    size_t n_left = ig->n_rej;
    ig->rej = NULL;
    ig->n_rej = ig->cap_rej = 0;
    pthread_cond_signal(&ig->cv_core);
    pthread_mutex_unlock(&ig->mu);
    /* handed over between the last turn and the exit: recorded and answered */
    if (n_left)
        record_rejections(ig, left, n_left);
    aegis_free(left);
    return NULL;
}

/* ---- the core: admission and one receipt signature per group ---- */

/* Admitted submissions waiting for their receipt signature (core thread
 * only; capacity max_group). */
struct signer {
    aegis_core_receipt *rc;
    struct item **items;
    size_t n;
    uint64_t since_ns;         /* when the oldest was admitted */
};

/* Hand rejections to the writer to record (or record them here once the
 * writer is gone or no memory is left for the hand-over). */
static void pass_rejections(aegis_ingest *ig, const struct rejection *rej, size_t n_rej)
{
    pthread_mutex_lock(&ig->mu);
    bool inline_record = ig->writer_gone;
    if (!inline_record && ig->n_rej + n_rej > ig->cap_rej) {
        size_t cap = (ig->n_rej + n_rej) * 2;
        struct rejection *nr = aegis_realloc(ig->rej, cap * sizeof(*nr));
        if (nr) {
            ig->rej = nr;
            ig->cap_rej = cap;
        } else {
            inline_record = true;
        }
    }
    if (!inline_record) {
        memcpy(ig->rej + ig->n_rej, rej, n_rej * sizeof(*rej));
        ig->n_rej += n_rej;
        pthread_cond_signal(&ig->cv_writer);
    }
    pthread_mutex_unlock(&ig->mu);
    if (inline_record)
        record_rejections(ig, rej, n_rej);
}

struct open_job {
    aegis_ingest *ig;
    struct item **items;
    uint64_t now_ms;
};

static void open_one(void *arg, size_t i)
{
    struct open_job *job = arg;
    struct item *it = job->items[i];
    if (aegis_core_open(job->ig->core, it->env, it->len, job->now_ms, &it->opened) != AEGIS_OK)
        it->opened = NULL;   /* admitted below as out of memory */
}

/* Admit a group in log order: first every envelope is opened (decrypted,
 * decoded, sender recovered) on the opener threads, then admitted one by
 * one on this thread, so the outcome is the same whatever the thread count.
 * The admitted join the signer, the rejected are answered once their
 * rejection is recorded (record_rejections). */
static void admit_group(aegis_ingest *ig, struct signer *sg, struct item *group, size_t n,
                        struct rejection *rej, struct item **slots)
{
    size_t n_ok = 0, n_rej = 0, k = 0;
    for (struct item *it = group; it && k < n; it = it->next)
        if (!it->opened)   /* not opened on its submitting thread */
            slots[k++] = it;
    struct open_job job = { ig, slots, aegis_wall_ms() };
    aegis__pfor_run(ig->openers, k, open_one, &job);
    for (struct item *it = group, *next; it; it = next) {
        next = it->next;
        const char *reason = NULL;
        aegis_core_opened *o = it->opened;
        it->opened = NULL;
        it->err = o ? aegis_core_admit(ig->core, o, it->id, aegis_wall_ms(), false, &sg->rc[sg->n], &reason)
                    : AEGIS_ERR_NOMEM;
        if (it->err) {
            it->detail = reason ? reason : aegis_strerror(it->err);
            rej[n_rej++] = (struct rejection){ it->id, it->detail, it };
            continue;
        }
        if (sg->n == 0)
            sg->since_ns = aegis_now_ns();
        sg->items[sg->n++] = it;
        n_ok++;
    }
    pthread_mutex_lock(&ig->mu);
    ig->st.admitted += n_ok;
    ig->st.rejected += n_rej;
    pthread_mutex_unlock(&ig->mu);
    if (n_rej)
        pass_rejections(ig, rej, n_rej);
    if (ig->on_group)
        ig->on_group(ig->on_group_arg, n_ok, n_rej, AEGIS_OK);
}

/* One ML-DSA-87 signature for everything the signer holds, then complete. */
static void sign_pending(aegis_ingest *ig, struct signer *sg)
{
    char **receipts = NULL;
    aegis_err err = aegis_core_sign_receipts(ig->core, sg->rc, sg->n, &receipts);
    for (size_t i = 0; i < sg->n; i++) {
        struct item *it = sg->items[i];
        if (err) {
            it->err = err;
            it->detail = "admitted, but the receipt could not be signed; query aegis_getReceipt";
        }
        complete(ig, it, receipts ? receipts[i] : NULL);
        if (receipts)
            aegis_free(receipts[i]);
    }
    aegis_free(receipts);
    pthread_mutex_lock(&ig->mu);
    ig->st.groups++;
    pthread_mutex_unlock(&ig->mu);
    sg->n = 0;
}

/* The core loop: admit whatever is ready; sign once nothing more is ready
 * (so no receipt waits on an idle core), or when the signer is full or its
 * oldest receipt has waited sign_wait. Under a steady stream this signs
 * several commit groups at once, without ever waiting idle for them. */
static void *core_main(void *arg)
{
    aegis_ingest *ig = arg;
    aegis_thread_name("ingest-core");
    struct signer sg = {
        .rc = aegis_malloc(ig->max_group * sizeof(*sg.rc)),
        .items = aegis_malloc(ig->max_group * sizeof(*sg.items)),
    };
    struct rejection *rej = aegis_malloc(ig->max_group * sizeof(*rej));
    struct item **slots = aegis_malloc(ig->max_group * sizeof(*slots));
    bool ok = sg.rc && sg.items && rej && slots;
    pthread_mutex_lock(&ig->mu);
    for (;;) {
        while (!ig->ready.head && !ig->writer_gone && sg.n == 0)
            pthread_cond_wait(&ig->cv_core, &ig->mu);
        if (!ig->ready.head && ig->writer_gone && sg.n == 0)
            break;
        if (sg.n && !ig->ready.head && (ig->writer_committing || ig->in.head) && sg.n < ig->max_group) {
            /* more is on its way (being made durable, or queued for the
             * next commit): sign it along, unless the oldest receipt has
             * waited long enough */
            uint64_t due = sg.since_ns + ig->sign_wait_ns;
            if (aegis_now_ns() < due) {
                wait_until(&ig->cv_core, &ig->mu, due);
                if (ig->ready.head || ((ig->writer_committing || ig->in.head) && aegis_now_ns() < due))
                    continue;
            }
        }
        if (sg.n && (!ig->ready.head || sg.n >= ig->max_group || aegis_now_ns() - sg.since_ns >= ig->sign_wait_ns)) {
            pthread_mutex_unlock(&ig->mu);
            sign_pending(ig, &sg);
            pthread_mutex_lock(&ig->mu);
            continue;
        }
        size_t n = 0;
        struct item *group = q_take(&ig->ready, ig->max_group - sg.n, &n);
        pthread_mutex_unlock(&ig->mu);
        if (ok) {
            admit_group(ig, &sg, group, n, rej, slots);
        } else {
            for (struct item *it = group, *next; it; it = next) {
                next = it->next;
                it->err = AEGIS_ERR_NOMEM;
                it->detail = "out of memory: not admitted, query aegis_getReceipt";
                complete(ig, it, NULL);
            }
        }
        pthread_mutex_lock(&ig->mu);
    }
    pthread_mutex_unlock(&ig->mu);
    aegis_free(slots);
    aegis_free(rej);
    aegis_free(sg.items);
    aegis_free(sg.rc);
    return NULL;
}

/* ---- public ---- */

aegis_err aegis_ingest_new(aegis_ingest **ret, aegis_core *core, aegis_store *store,
                           const aegis_ingest_opts *opts)
{
    if (!ret || !core || !store)
        return AEGIS_ERR_INVAL;
    aegis_ingest *ig = aegis_calloc(1, sizeof(*ig));
    if (!ig)
        return AEGIS_ERR_NOMEM;
    ig->core = core;
    ig->store = store;
    ig->max_group = opts && opts->max_group ? opts->max_group : DEFAULT_GROUP;
    if (ig->max_group > MAX_GROUP)
        ig->max_group = MAX_GROUP;
    ig->max_queue = opts && opts->max_queue ? opts->max_queue : DEFAULT_QUEUE;
    uint64_t interval_us = opts && opts->commit_interval_us ? opts->commit_interval_us : 1000;
    if (interval_us == AEGIS_INGEST_NO_PACING)
        interval_us = 0;
    if (interval_us > 1000000)
        interval_us = 1000000;   /* at most a second */
    ig->commit_interval_ns = interval_us * 1000ull;
    ig->sign_wait_ns = ig->commit_interval_ns * 2 > 1000000 ? ig->commit_interval_ns * 2 : 1000000;
    ig->open_on_submit = opts && opts->open_on_submit;
    ig->on_group = opts ? opts->on_group : NULL;
    ig->on_group_arg = opts ? opts->on_group_arg : NULL;
    size_t openers = opts && opts->open_threads ? opts->open_threads : 1;
    if (openers > AEGIS_INGEST_MAX_OPEN_THREADS)
        openers = AEGIS_INGEST_MAX_OPEN_THREADS;
    if (aegis__pfor_new(&ig->openers, openers) != AEGIS_OK) {
        aegis_free(ig);
        return AEGIS_ERR_NOMEM;
    }
    if (aegis__marker_new(&ig->marker, core) != AEGIS_OK) {
        aegis__pfor_free(ig->openers);
        aegis_free(ig);
        return AEGIS_ERR_NOMEM;
    }
    if (pthread_mutex_init(&ig->mu, NULL) != 0) {
        aegis__marker_free(ig->marker);
        aegis__pfor_free(ig->openers);
        aegis_free(ig);
        return AEGIS_ERR_NOMEM;
    }
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_mu;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&ig->cv_writer, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        goto fail_mu;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_cw;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&ig->cv_core, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        goto fail_cw;
    if (pthread_create(&ig->writer, NULL, writer_main, ig) != 0)
        goto fail_cc;
    ig->writer_started = true;
    if (pthread_create(&ig->corer, NULL, core_main, ig) != 0) {
        aegis_ingest_free(ig);
        return AEGIS_ERR_NOMEM;
    }
    ig->core_started = true;
    *ret = ig;
    return AEGIS_OK;
fail_cc:
    pthread_cond_destroy(&ig->cv_core);
fail_cw:
    pthread_cond_destroy(&ig->cv_writer);
fail_mu:
    pthread_mutex_destroy(&ig->mu);
    aegis__marker_free(ig->marker);
    aegis__pfor_free(ig->openers);
    aegis_free(ig);
    return AEGIS_ERR_NOMEM;
}

aegis_err aegis_ingest_submit(aegis_ingest *ig, uint8_t *env, size_t len, aegis_ingest_done_fn done, void *arg)
{
    struct item *it = NULL;
    aegis_err err = AEGIS_ERR_INVAL;
    if (!ig || !env || !len || !done)
        goto fail;
    err = AEGIS_ERR_NOMEM;
    if (!(it = aegis_calloc(1, sizeof(*it))))
        goto fail;
    *it = (struct item){ .env = env, .len = len, .done = done, .arg = arg };
    /* framing, epoch and key id before anything is written: refused here,
     * an envelope costs no disk (aegis_core_envelope_check) */
    if ((it->err = aegis_core_envelope_check(ig->core, env, len, aegis_wall_ms(), &it->detail)) != AEGIS_OK) {
        atomic_fetch_add_explicit(&ig->in_flight, 1, memory_order_relaxed);
        pthread_mutex_lock(&ig->mu);
        ig->st.refused++;
        pthread_mutex_unlock(&ig->mu);
        complete(ig, it, NULL);
        return AEGIS_OK;
    }
    /* opened here, on the caller's thread, while the group commits: the
     * core thread then only admits and signs (a failed open is retried
     * there); not for an envelope that would be turned away as BUSY */
    if (ig->open_on_submit &&
        atomic_load_explicit(&ig->in_flight, memory_order_relaxed) < ig->max_queue &&
        aegis_core_open(ig->core, env, len, aegis_wall_ms(), &it->opened) != AEGIS_OK)
        it->opened = NULL;
    pthread_mutex_lock(&ig->mu);
    if (ig->stopping)
        err = AEGIS_ERR_INGEST_CLOSED;
    else if (atomic_load_explicit(&ig->in_flight, memory_order_relaxed) >= ig->max_queue)
        err = AEGIS_ERR_INGEST_BUSY;
    else
        err = AEGIS_OK;
    if (!err) {
        q_push(&ig->in, it);
        atomic_fetch_add_explicit(&ig->in_flight, 1, memory_order_relaxed);
        ig->st.submitted++;
        /* a pacing writer wakes by itself; only a full group hurries it */
        if (ig->writer_idle || ig->in.n >= ig->max_group)
            pthread_cond_signal(&ig->cv_writer);
    }
    pthread_mutex_unlock(&ig->mu);
    if (!err)
        return AEGIS_OK;
fail:
    if (it)
        aegis_core_opened_free(it->opened);
    aegis_free(it);
    aegis_free(env);
    return err;
}

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    aegis_err err;
    const char *detail;
    uint64_t id;
    char *receipt;
};

static void waiter_done(void *arg, const aegis_ingest_result *res)
{
    struct waiter *w = arg;
    char *copy = res->receipt ? aegis_strdup(res->receipt) : NULL;
    pthread_mutex_lock(&w->mu);
    w->err = res->err;
    if (!res->err && !copy) {
        w->err = AEGIS_ERR_NOMEM;
        w->detail = "admitted, but the receipt could not be copied; query aegis_getReceipt";
    } else {
        w->detail = res->detail;
    }
    w->id = res->envelope_id;
    w->receipt = copy;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

aegis_err aegis_ingest_submit_wait(aegis_ingest *ig, uint8_t *env, size_t len, uint64_t *ret_envelope_id,
                                   char **ret_receipt, const char **detail)
{
    struct waiter w = { .err = AEGIS_ERR_INTERNAL };
    if (pthread_mutex_init(&w.mu, NULL) != 0) {
        aegis_free(env);
        return AEGIS_ERR_NOMEM;
    }
    if (pthread_cond_init(&w.cv, NULL) != 0) {
        pthread_mutex_destroy(&w.mu);
        aegis_free(env);
        return AEGIS_ERR_NOMEM;
    }
    aegis_err err = aegis_ingest_submit(ig, env, len, waiter_done, &w);
    if (!err) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        err = w.err;
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    if (ret_envelope_id)
        *ret_envelope_id = w.id;
    if (!err && ret_receipt)
        *ret_receipt = w.receipt;
    else
        aegis_free(w.receipt);
    if (err && detail)
        *detail = w.detail;
    return err;
}

void aegis_ingest_get_stats(aegis_ingest *ig, aegis_ingest_stats *ret)
{
    pthread_mutex_lock(&ig->mu);
    *ret = ig->st;
    ret->queued = ig->in.n + ig->ready.n;
    ret->in_flight = atomic_load(&ig->in_flight);
    pthread_mutex_unlock(&ig->mu);
}

void aegis_ingest_free(aegis_ingest *ig)
{
    if (!ig)
        return;
    pthread_mutex_lock(&ig->mu);
    ig->stopping = true;
    if (!ig->writer_started)
        ig->writer_gone = true;
    pthread_cond_broadcast(&ig->cv_writer);
    pthread_cond_broadcast(&ig->cv_core);
    pthread_mutex_unlock(&ig->mu);
    if (ig->writer_started)
        pthread_join(ig->writer, NULL);
    if (ig->core_started)
        pthread_join(ig->corer, NULL);
    /* a core thread that never started: its work, if any, fails here */
    for (struct item *it = ig->ready.head, *next; it; it = next) {
        next = it->next;
        it->err = AEGIS_ERR_INGEST_CLOSED;
        it->detail = "the sequencer is shutting down: not accepted";
        complete(ig, it, NULL);
    }
    aegis_free(ig->rej);
    aegis__marker_free(ig->marker);
    aegis__pfor_free(ig->openers);
    pthread_cond_destroy(&ig->cv_core);
    pthread_cond_destroy(&ig->cv_writer);
    pthread_mutex_destroy(&ig->mu);
    aegis_free(ig);
}
