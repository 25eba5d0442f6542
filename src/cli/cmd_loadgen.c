/*
 * cmd_loadgen.c - `aegis loadgen`: drive a node with N encrypted EIP-1559
 * transactions from S generated senders over C concurrent connections,
 * show live progress, and succeed only when every one is included.
 *
 * Job j belongs to sender j % S with nonce j / S. Connection w owns the
 * senders s with s % C == w and sends each sender's jobs in nonce order,
 * one request in flight, so no sender ever has a nonce gap in flight. A
 * global ticket counter paces all of them to --rate. A follower thread
 * long-polls aegis_waitBatch over one keep-alive connection and marks the
 * jobs whose (sender, nonce, tx hash) it sees in a batch. Without
 * --preseal a thread per connection seals while it sends and verifies
 * every receipt (hash, Merkle path, ML-DSA-87 once per signed root).
 *
 * --preseal measures the server rather than the client: every envelope is
 * sealed (on every CPU) and its whole HTTP request written before the
 * timed phase; one event-loop thread (cli_loadgen_loop.c; --loops N for
 * more) then sends them over keep-alive connections and checks each
 * answer cheaply (HTTP 200, a result naming the expected tx hash) instead
 * of parsing and verifying every receipt. The summary gives acknowledged/s
 * over the timed phase, ack latency p50/p99, the daemon's CPU per
 * acknowledgement from its process_cpu_seconds_total (/metrics) read
 * before and after every envelope is included, and the load generator's
 * own CPU per acknowledgement over the timed phase (getrusage
 * RUSAGE_SELF: all its threads, the follower's included). Inclusion is
 * checked as always.
 */
#include <stdatomic.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aegis/chain_scan.h"
#include "aegis/cli.h"
#include "aegis/http.h"
#include "aegis/tx.h"
#include "cli_chain.h"
#include "cli_loadgen.h"
#include "cli_rpc.h"

#define PROG "aegis loadgen"
#define LG_MAX_COUNT    10000000ull
#define LG_MAX_SENDERS  100000ull
#define LG_MAX_CONC     256ull
#define LG_MAX_LOOPS    16ull
#define LG_MAX_PRESEAL  500000ull   /* every request is held in memory (~7.6 KB each) */

typedef aegis_lg lg;
typedef aegis_lg_job lg_job;
typedef aegis_lg_addr lg_addr;
typedef aegis_lg_sender lg_sender;

typedef struct lg_worker {
    lg *g;
    uint64_t w;
    pthread_t th;
} lg_worker;

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis loadgen --rpc URL --count N [--rate R] [--senders S] [--concurrency C]\n"
        "                     [--timeout S] [--preseal [--loops L]] [--allow-sim]\n\n"
        "Send N encrypted EIP-1559 transactions from S generated senders (correct nonces,\n"
        "the node's chain id) over C concurrent connections; show live progress on stderr;\n"
        "exit 0 only when all N are included in batches.\n"
        "  --rpc URL          node endpoint (default $AEGIS_RPC or %s)\n"
        "  --count N          transactions to send (required)\n"
        "  --rate R           target submissions per second (default: unlimited)\n"
        "  --senders S        distinct senders (default min(N, 64))\n"
        "  --concurrency C    connections (default 4); without --preseal one thread each\n"
        "  --timeout S        give up after S seconds without progress (default 60)\n"
        "  --preseal          seal every envelope before the timed phase, send over keep-alive\n"
        "                     connections, check answers cheaply; report acknowledged/s, p50/p99\n"
        "                     and the node's CPU per acknowledgement (its /metrics); one\n"
        "                     event-loop thread sends on all C connections\n"
        "  --loops L          --preseal: event-loop threads sharing the connections (default 1)\n"
        "  --allow-sim        accept a simulated (insecure) TEE attestation - development only\n",
        AEGIS_CLI_RPC_DEFAULT_URL);
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    nanosleep(&ts, NULL);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* p50/p99 of the latencies so far (microseconds); caller holds the lock. */
static void percentiles(lg *g, double *p50, double *p99)
{
    *p50 = *p99 = 0;
    if (!g->n_lat)
        return;
    uint32_t *c = aegis_malloc(g->n_lat * sizeof(*c));
    if (!c)
        return;
    memcpy(c, g->lat_us, g->n_lat * sizeof(*c));
    qsort(c, g->n_lat, sizeof(*c), cmp_u32);
    *p50 = c[(g->n_lat - 1) / 2] / 1000.0;
    *p99 = c[(size_t)((double)(g->n_lat - 1) * 0.99)] / 1000.0;
    aegis_free(c);
}

/* Build, encrypt and hex-encode job j. */
static aegis_err make_envelope(lg *g, uint64_t j, char **ret_hex, uint8_t hash[32])
{
    const lg_sender *s = &g->snd[j % g->senders];
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.eip155 = true;
    p.chain_id = g->chain_id;
    p.nonce = j / g->senders;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_fee, 2000000000);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000);
    aegis_u256_from_u64(&p.value, 1 + j % 1000);
    memset(p.to, 0x42, 20);
    uint8_t *raw = NULL, *env = NULL;
    size_t raw_len = 0, env_len = 0;
    aegis_err err = aegis_tx_build(&p, s->sk, &raw, &raw_len);
    if (!err) {
        aegis_keccak256(hash, raw, raw_len);
        err = aegis_client_seal(&g->ks, raw, raw_len, &env, &env_len);
    }
    if (!err && !(*ret_hex = aegis_client_hex(env, env_len)))
        err = AEGIS_ERR_NOMEM;
    aegis_free(raw);
    aegis_free(env);
    return err;
}

void aegis_lg_job_failed(lg *g, uint64_t j, const char *why)
{
    pthread_mutex_lock(&g->lock);
    g->jobs[j].state = AEGIS_LG_JOB_FAILED;
    g->failed++;
    if (!g->first_err[0])
        snprintf(g->first_err, sizeof(g->first_err), "tx %llu: %.200s", (unsigned long long)j, why);
    pthread_mutex_unlock(&g->lock);
}

void aegis_lg_job_acked(lg *g, uint64_t j, uint64_t lat_ns)
{
    uint64_t lat = lat_ns / 1000;
    pthread_mutex_lock(&g->lock);
    if (g->jobs[j].state == AEGIS_LG_JOB_SENT)
        g->jobs[j].state = AEGIS_LG_JOB_ACKED;
    g->acked++;
    g->lat_us[g->n_lat++] = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
    g->last_ack_ns = aegis_now_ns();
    pthread_mutex_unlock(&g->lock);
}

uint64_t aegis_lg_due_ns(const lg *g, uint64_t t)
{
    return g->rate > 0 ? g->t0 + (uint64_t)((double)t * 1e9 / g->rate) : 0;
}

double aegis_lg_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Check a receipt; the ML-DSA signature only once per signed root. */
static bool receipt_ok(lg *g, const json_t *res, const uint8_t hash[32], uint8_t last_root[32], bool *have_root)
{
    aegis_client_receipt r;
    const char *why = NULL;
    if (aegis_client_receipt_parse(res, &r, &why) != AEGIS_OK || !aegis_ct_eq(r.tx_hash, hash, 32))
        return false;
    if (*have_root && aegis_ct_eq(r.root, last_root, 32)) {
        /* Same signed root: the hash and path still must lead to it. */
        return aegis_batch_merkle_verify(r.receipt_hash, r.index, r.count, (const uint8_t (*)[32])r.path,
                                         r.path_len, r.root) == AEGIS_OK;
    }
    if (aegis_client_receipt_verify(&r, &g->ks.pub, NULL, 0, hash, &why) != AEGIS_OK)
        return false;
    memcpy(last_root, r.root, 32);
    *have_root = true;
    return true;
}

static void send_job(lg *g, uint64_t j, uint8_t last_root[32], bool *have_root)
{
    char *hex = NULL;
    uint8_t hash[32];
    aegis_err err = make_envelope(g, j, &hex, hash);
    if (err) {
        aegis_lg_job_failed(g, j, aegis_strerror(err));
        return;
    }
    /* Pace: ticket t may go at t0 + t / rate. */
    uint64_t t = __atomic_fetch_add(&g->ticket, 1, __ATOMIC_RELAXED);
    uint64_t due = aegis_lg_due_ns(g, t), now = aegis_now_ns();
    if (due > now)
        sleep_ns(due - now);
    pthread_mutex_lock(&g->lock);
    memcpy(g->jobs[j].hash, hash, 32);
    g->jobs[j].state = AEGIS_LG_JOB_SENT;
    g->sent++;
    pthread_mutex_unlock(&g->lock);
    json_t *params = json_pack("[s]", hex);
    uint64_t start = aegis_now_ns(), backoff = 20;
    for (;;) {
        json_t *res = NULL;
        aegis_client_rpc_err e;
        int rc = aegis_client_call(g->url, "aegis_sendEncryptedTransaction", params, 30000, &res, &e);
        if (rc == 0) {
            uint64_t lat = aegis_now_ns() - start;
            bool ok = receipt_ok(g, res, hash, last_root, have_root);
            json_decref(res);
            if (!ok) {
                aegis_lg_job_failed(g, j, "receipt does not verify");
                break;
            }
            aegis_lg_job_acked(g, j, lat);
            break;
        }
        /* A full pool or sender limit is back-pressure, not a verdict. */
        bool transient = rc == 1 && (e.aegis_code == AEGIS_ERR_MEMPOOL_FULL ||
                                     e.aegis_code == AEGIS_ERR_MEMPOOL_SENDER_LIMIT);
        if (!transient || __atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
            char m[400];
            snprintf(m, sizeof(m), "%s (%s, code %d)", e.message, e.name[0] ? e.name : "transport", e.code);
            aegis_lg_job_failed(g, j, m);
            break;
        }
        __atomic_add_fetch(&g->retries, 1, __ATOMIC_RELAXED);
        sleep_ns(backoff * 1000000ull);
        backoff = backoff < 500 ? backoff * 2 : 1000;
    }
    json_decref(params);
    aegis_free(hex);
}

/* ---- --preseal ---- */

struct preseal {
    lg *g;
    char hdr[1600];           /* request line and headers up to Content-Length */
    atomic_uint_fast64_t next;
    atomic_int failed;
};

/* Seal jobs from a shared counter: envelope, tx hash, and the whole HTTP
 * request (headers and JSON-RPC body), so the loop sends it in one write. */
static void *preseal_thread(void *arg)
{
    struct preseal *ps = arg;
    lg *g = ps->g;
    for (uint64_t j; (j = atomic_fetch_add(&ps->next, 1)) < g->count;) {
        char *hex = NULL;
        if (make_envelope(g, j, &hex, g->jobs[j].hash) != AEGIS_OK) {
            atomic_store(&ps->failed, 1);
            return NULL;
        }
        aegis_buf body, req;
        aegis_buf_init(&body, 1u << 30);
        aegis_buf_init(&req, 1u << 30);
        aegis_err err = aegis_buf_printf(&body,
            "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"aegis_sendEncryptedTransaction\",\"params\":[\"%s\"]}",
            (unsigned long long)j, hex);
        aegis_free(hex);
        if (!err)
            err = aegis_buf_printf(&req, "%sContent-Length: %zu\r\n\r\n", ps->hdr, body.len);
        if (!err)
            err = aegis_buf_append(&req, body.data, body.len);
        aegis_buf_clear(&body);
        if (err) {
            aegis_buf_clear(&req);
            atomic_store(&ps->failed, 1);
            return NULL;
        }
        g->jobs[j].req = (char *)req.data;
        g->jobs[j].req_len = req.len;
    }
    return NULL;
}

static int preseal_all(lg *g)
{
    struct preseal ps = { .g = g };
    aegis_http_url u;
    if (aegis_http_url_parse(g->url, &u) != AEGIS_OK) {
        fprintf(stderr, PROG ": bad --rpc URL '%s'\n", g->url);
        return 1;
    }
    if (aegis_http_head(&u, "POST", "application/json", ps.hdr, sizeof(ps.hdr)) < 0) {
        fprintf(stderr, PROG ": the --rpc URL is too long\n");
        return 1;
    }
    atomic_init(&ps.next, 0);
    atomic_init(&ps.failed, 0);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = ncpu > 0 ? (size_t)ncpu : 1;
    pthread_t th[64];
    if (n > 64)
        n = 64;
    uint64_t t = aegis_now_ns();
    size_t started = 0;
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, preseal_thread, &ps) != 0)
            break;
    if (!started)
        preseal_thread(&ps);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (atomic_load(&ps.failed)) {
        fprintf(stderr, PROG ": cannot seal the envelopes\n");
        return 1;
    }
    fprintf(stderr, PROG ": sealed %llu envelopes in %.2f s on %zu threads (not timed)\n",
            (unsigned long long)g->count, (double)(aegis_now_ns() - t) / 1e9, started ? started : 1);
    return 0;
}

/* The node's process_cpu_seconds_total, or a negative number. */
static double node_cpu_seconds(const lg *g)
{
    aegis_http_url u;
    if (aegis_http_url_parse(g->url, &u) != AEGIS_OK)
        return -1;
    char url[400];
    bool v6 = strchr(u.host, ':') != NULL;
    snprintf(url, sizeof(url), "http://%s%s%s:%s/metrics", v6 ? "[" : "", u.host, v6 ? "]" : "", u.port);
    aegis_http_response r = { 0 };
    double v = -1;
    if (aegis_http_get(url, 10000, &r) == AEGIS_OK && r.status == 200) {
        const char *p = strstr(r.body, "\nprocess_cpu_seconds_total ");
        if (p)
            v = strtod(p + strlen("\nprocess_cpu_seconds_total "), NULL);
    }
    aegis_http_response_clear(&r);
    return v;
}

/* Without --preseal: a thread per connection, sealing while it sends. */
static void *worker(void *arg)
{
    lg_worker *wk = arg;
    lg *g = wk->g;
    uint8_t last_root[32];
    bool have_root = false;
    uint64_t per_sender = (g->count + g->senders - 1) / g->senders;
    for (uint64_t n = 0; n < per_sender; n++)
        for (uint64_t s = wk->w; s < g->senders; s += g->conc) {
            uint64_t j = n * g->senders + s;
            if (j >= g->count)
                continue;
            if (__atomic_load_n(&g->stop, __ATOMIC_RELAXED))
                return NULL;
            send_job(g, j, last_root, &have_root);
        }
    return NULL;
}

static int64_t find_sender(lg *g, const uint8_t addr[20])
{
    size_t lo = 0, hi = g->senders;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(addr, g->by_addr[mid].addr, 20);
        if (c == 0)
            return g->by_addr[mid].idx;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* One tx of a batch: is it one of ours (sender, nonce, tx hash)? Caller
 * holds the lock. */
static bool mark_tx(lg *g, const uint8_t sender[20], const uint8_t hash[32], uint64_t nonce)
{
    int64_t s = find_sender(g, sender);
    if (s < 0 || nonce >= g->count)
        return false;
    uint64_t j = nonce * g->senders + (uint64_t)s;
    if (j >= g->count || !aegis_ct_eq(g->jobs[j].hash, hash, 32))
        return false;
    if (g->jobs[j].state == AEGIS_LG_JOB_INCLUDED) {
        g->twice++;
        return false;
    }
    if (g->jobs[j].state == AEGIS_LG_JOB_NEW)
        return false;
    if (g->jobs[j].state == AEGIS_LG_JOB_FAILED)
        g->failed--;   /* e.g. a timed-out ack that made it after all */
    g->jobs[j].state = AEGIS_LG_JOB_INCLUDED;
    g->included++;
    return true;
}

static void mark_batch(lg *g, const json_t *b)
{
    const json_t *txs = json_object_get(b, "txs");
    bool ours = false;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < json_array_size(txs); i++) {
        const json_t *t = json_array_get(txs, i);
        uint8_t sender[20], hash[32];
        json_int_t nonce = json_integer_value(json_object_get(t, "nonce"));
        if (aegis_chain_get_hex(t, "sender", sender, 20) || aegis_chain_get_hex(t, "hash", hash, 32) || nonce < 0)
            continue;
        ours |= mark_tx(g, sender, hash, (uint64_t)nonce);
    }
    if (ours)
        g->batches++;
    pthread_mutex_unlock(&g->lock);
}

static void mark_scanned(lg *g, const aegis_chain_scan *sc)
{
    bool ours = false;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < sc->n_txs; i++)
        ours |= mark_tx(g, sc->txs[i].sender, sc->txs[i].hash, sc->txs[i].nonce);
    if (ours)
        g->batches++;
    pthread_mutex_unlock(&g->lock);
}

/* One aegis_waitBatch reply: 1 a batch (marked), 0 none yet, -1 an error.
 * The plain form the node writes is scanned without a JSON tree
 * (aegis/chain_scan.h); anything else goes through jansson. */
static int follow_reply(lg *g, const char *body, size_t len)
{
    aegis_chain_scan sc;
    aegis_err err = aegis_chain_scan_reply(body, len, &sc);
    if (err == AEGIS_OK) {
        int rc = sc.has_error ? -1 : sc.result == AEGIS_CHAIN_SCAN_BATCH ? 1 : 0;
        if (rc == 1)
            mark_scanned(g, &sc);
        aegis_chain_scan_clear(&sc);
        return rc;
    }
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *res = json_object_get(j, "result");
    int rc = !j || json_object_get(j, "error") ? -1 : json_is_object(res) ? 1 : 0;
    if (rc == 1)
        mark_batch(g, res);
    json_decref(j);
    return rc;
}

/* Long-poll aegis_waitBatch for each next batch over one keep-alive
 * connection (the call may be repeated: retried once on a connection the
 * server closed while idle). */
static void *follower(void *arg)
{
    lg *g = arg;
    uint64_t after = g->follow_after;
    aegis_http_conn *conn = NULL;
    if (aegis_http_conn_open(&conn, g->url) != AEGIS_OK) {
        /* no inclusion can be checked: say why and stop the run */
        pthread_mutex_lock(&g->lock);
        if (!g->first_err[0])
            snprintf(g->first_err, sizeof(g->first_err), "inclusion follower: cannot open a connection to %.200s", g->url);
        pthread_mutex_unlock(&g->lock);
        __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
        return NULL;
    }
    while (!__atomic_load_n(&g->stop, __ATOMIC_RELAXED)) {
        char req[160];
        int n = snprintf(req, sizeof(req),
                         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"aegis_waitBatch\",\"params\":[%llu,500]}",
                         (unsigned long long)after);
        aegis_http_response r = { 0 };
        int rc = -1;
        if (aegis_http_conn_post_json(conn, req, (size_t)n, 10000, true, &r) == AEGIS_OK && r.status == 200)
            rc = follow_reply(g, r.body, r.len);
        aegis_http_response_clear(&r);
        if (rc < 0)
            sleep_ns(200000000ull);   /* transport or RPC error: again in a while */
        else
            after += (uint64_t)rc;
    }
    aegis_http_conn_free(conn);
    return NULL;
}

static int parse_args(lg *g, int argc, char **argv)
{
    g->conc = 4;
    g->loops = 1;
    g->timeout_s = 60;
    bool has_count = false, has_senders = false, has_loops = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0, used = 1;
        if (strcmp(a, "--count") == 0 && v)
            bad = aegis_cli_parse_u64(v, &g->count), has_count = true;
        else if (strcmp(a, "--senders") == 0 && v)
            bad = aegis_cli_parse_u64(v, &g->senders), has_senders = true;
        else if (strcmp(a, "--concurrency") == 0 && v)
            bad = aegis_cli_parse_u64(v, &g->conc);
        else if (strcmp(a, "--timeout") == 0 && v)
            bad = aegis_cli_parse_u64(v, &g->timeout_s);
        else if (strcmp(a, "--loops") == 0 && v)
            bad = aegis_cli_parse_u64(v, &g->loops) || g->loops == 0 || g->loops > LG_MAX_LOOPS, has_loops = true;
        else if (strcmp(a, "--rate") == 0 && v) {
            char *end = NULL;
            g->rate = strtod(v, &end);
            bad = !end || *end || !(g->rate >= 0) || isinf(g->rate);
        } else if (strcmp(a, "--allow-sim") == 0)
            g->allow_sim = true, used = 0;
        else if (strcmp(a, "--preseal") == 0)
            g->preseal = true, used = 0;
        else {
            fprintf(stderr, PROG ": unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, PROG ": bad value for %s: '%s'\n", a, v);
            return 2;
        }
        i += used;
    }
    if (!has_count || g->count == 0 || g->count > LG_MAX_COUNT) {
        fprintf(stderr, PROG ": --count N is required (1..%llu)\n", LG_MAX_COUNT);
        return 2;
    }
    if (!has_senders)
        g->senders = g->count < 64 ? g->count : 64;
    if (g->senders == 0 || g->senders > LG_MAX_SENDERS || g->conc == 0 || g->conc > LG_MAX_CONC) {
        fprintf(stderr, PROG ": --senders must be 1..%llu and --concurrency 1..%llu\n", LG_MAX_SENDERS,
                LG_MAX_CONC);
        return 2;
    }
    if (has_loops && !g->preseal) {
        fprintf(stderr, PROG ": --loops needs --preseal (without it every connection is a thread)\n");
        return 2;
    }
    if (g->preseal && g->count > LG_MAX_PRESEAL) {
        fprintf(stderr, PROG ": --preseal holds every request in memory: --count at most %llu\n", LG_MAX_PRESEAL);
        return 2;
    }
    if (g->conc > g->senders)
        g->conc = g->senders;   /* one sender's nonces stay on one connection */
    return 0;
}

static int cmp_by_addr(const void *a, const void *b)
{
    return memcmp(((const lg_addr *)a)->addr, ((const lg_addr *)b)->addr, 20);
}

static int setup(lg *g)
{
    if (aegis_cli_keyset_fetch(PROG, g->url, 0, g->allow_sim, &g->ks, NULL) != 0)
        return 1;
    json_t *res = NULL;
    aegis_client_rpc_err e;
    if (aegis_client_call(g->url, "eth_chainId", NULL, 10000, &res, &e) != 0) {
        aegis_cli_print_rpc_err(PROG, "eth_chainId", &e);
        return 1;
    }
    int bad = aegis_cli_parse_u64(json_string_value(res), &g->chain_id);
    json_decref(res);
    if (bad) {
        fprintf(stderr, PROG ": eth_chainId is not a quantity\n");
        return 1;
    }
    g->snd = aegis_calloc(g->senders, sizeof(*g->snd));
    g->by_addr = aegis_calloc(g->senders, sizeof(*g->by_addr));
    g->jobs = aegis_calloc(g->count, sizeof(*g->jobs));
    g->lat_us = aegis_calloc(g->count, sizeof(*g->lat_us));
    if (!g->snd || !g->by_addr || !g->jobs || !g->lat_us) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    for (uint64_t s = 0; s < g->senders; s++) {
        uint8_t pk[65];
        if (aegis_secp256k1_keygen(pk, g->snd[s].sk) != AEGIS_OK) {
            fprintf(stderr, PROG ": cannot generate sender keys\n");
            return 1;
        }
        aegis_eth_address(g->snd[s].addr, pk);
        memcpy(g->by_addr[s].addr, g->snd[s].addr, 20);
        g->by_addr[s].idx = (uint32_t)s;
    }
    qsort(g->by_addr, g->senders, sizeof(*g->by_addr), cmp_by_addr);
    return 0;
}

static void teardown(lg *g)
{
    if (g->snd)
        aegis_memzero(g->snd, g->senders * sizeof(*g->snd));
    aegis_free(g->snd);
    aegis_free(g->by_addr);
    for (uint64_t j = 0; g->jobs && j < g->count; j++)
        aegis_free(g->jobs[j].req);
    aegis_free(g->jobs);
    aegis_free(g->lat_us);
    aegis_client_keyset_clear(&g->ks);
    pthread_mutex_destroy(&g->lock);
}

static void progress(lg *g, bool tty, bool final)
{
    double p50, p99, el = (double)(aegis_now_ns() - g->t0) / 1e9;
    pthread_mutex_lock(&g->lock);
    percentiles(g, &p50, &p99);
    fprintf(stderr, "%ssent %llu  acked %llu  included %llu  failed %llu  %.0f tx/s  ack p50 %.1f ms p99 %.1f ms%s",
            tty ? "\r" : "", (unsigned long long)g->sent, (unsigned long long)g->acked,
            (unsigned long long)g->included, (unsigned long long)g->failed, el > 0 ? (double)g->acked / el : 0.0,
            p50, p99, tty ? (final ? "\033[K\n" : "\033[K") : "\n");
    pthread_mutex_unlock(&g->lock);
}

static int loadgen_main(int argc, char **argv)
{
    if (aegis_cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    lg *g = aegis_calloc(1, sizeof(*g));
    if (!g)
        return 1;
    pthread_mutex_init(&g->lock, NULL);
    g->url = aegis_cli_rpc_url(&argc, argv);
    int rc = parse_args(g, argc, argv);
    lg_worker *wk = NULL;
    aegis_lg_loops *loops = NULL;
    double lg_cpu0 = -1;
    pthread_t fol;
    bool fol_started = false;
    size_t started = 0;
    if (rc)
        goto out;
    rc = 1;
    if (setup(g) != 0)
        goto out;
    /* a thread per connection only without --preseal (the loop drives them) */
    if (!g->preseal && !(wk = aegis_calloc(g->conc, sizeof(*wk))))
        goto out;
    if (g->preseal && preseal_all(g) != 0)
        goto out;
    double cpu0 = g->preseal ? node_cpu_seconds(g) : -1;
    /* batches are followed from the last one before the first send (read
     * here, not by the follower thread: under load that thread may start
     * after a batch already took some of ours) */
    json_t *st = NULL;
    aegis_client_rpc_err se;
    if (aegis_client_call(g->url, "aegis_status", NULL, 10000, &st, &se) == 0) {
        json_int_t lb = json_integer_value(json_object_get(st, "last_batch"));
        g->follow_after = lb > 0 ? (uint64_t)lb : 0;
    }
    json_decref(st);
    lg_cpu0 = aegis_lg_cpu_seconds();
    g->t0 = aegis_now_ns();
    fol_started = pthread_create(&fol, NULL, follower, g) == 0;
    if (g->preseal) {
        aegis_err err = fol_started ? aegis_lg_loops_start(g, &loops) : AEGIS_OK;
        if (err) {
            fprintf(stderr, PROG ": cannot start the event loop: %s\n", aegis_strerror(err));
            __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
            goto join;
        }
    }
    for (; !g->preseal && started < g->conc; started++) {
        wk[started].g = g;
        wk[started].w = started;
        if (pthread_create(&wk[started].th, NULL, worker, &wk[started]) != 0)
            break;
    }
    if (!fol_started || (!g->preseal && started < g->conc)) {
        fprintf(stderr, PROG ": cannot start threads\n");
        __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
        goto join;
    }
    bool tty = isatty(2);
    uint64_t last_change = aegis_now_ns(), last_key = 0, last_print = 0;
    for (;;) {
        sleep_ns(100000000ull);
        pthread_mutex_lock(&g->lock);
        uint64_t inc = g->included, done = g->acked + g->failed, failed = g->failed, acked = g->acked;
        pthread_mutex_unlock(&g->lock);
        uint64_t now = aegis_now_ns();
        if (inc + done != last_key) {
            last_key = inc + done;
            last_change = now;
        }
        if (now - last_print >= (tty ? 500000000ull : 1000000000ull)) {
            progress(g, tty, false);
            last_print = now;
        }
        /* every envelope included and every answer read (an answer can
         * still be on its way when its envelope is already in a batch:
         * stopping then left that job neither acknowledged nor failed) */
        if (inc == g->count && done >= g->count)
            break;
        /* Everything answered, all that was acked is in, the rest failed. */
        if (done >= g->count && failed > 0 && inc >= acked)
            break;
        if (now - last_change > g->timeout_s * 1000000000ull) {
            fprintf(stderr, "%s" PROG ": no progress for %llu s\n", tty ? "\n" : "",
                    (unsigned long long)g->timeout_s);
            break;
        }
    }
    if (tty)
        progress(g, tty, true);
    __atomic_store_n(&g->stop, 1, __ATOMIC_RELAXED);
join:
    aegis_lg_loops_join(loops);
    for (size_t i = 0; !g->preseal && i < started; i++)
        pthread_join(wk[i].th, NULL);
    if (fol_started)
        pthread_join(fol, NULL);
    if (g->preseal) {
        /* the node's CPU over the timed phase and the inclusion wait after it
         * (batches, seals, checkpoints of what was acknowledged) */
        double cpu1 = node_cpu_seconds(g), p50, p99;
        double el = g->last_ack_ns > g->t0 ? (double)(g->last_ack_ns - g->t0) / 1e9 : 0;
        percentiles(g, &p50, &p99);
        printf("loadgen: preseal: %llu acknowledged in %.3f s = %.0f ack/s; ack latency p50 %.2f ms p99 %.2f ms; ",
               (unsigned long long)g->acked, el, el > 0 ? (double)g->acked / el : 0.0, p50, p99);
        if (cpu0 >= 0 && cpu1 >= cpu0 && g->acked)
            printf("node CPU %.3f s = %.0f us per ack\n", cpu1 - cpu0, (cpu1 - cpu0) * 1e6 / (double)g->acked);
        else
            printf("node CPU unknown (no process_cpu_seconds_total on /metrics)\n");
        /* this process over the same timed phase: until its last request was answered */
        double mine = g->cpu_end_s >= lg_cpu0 && lg_cpu0 >= 0 ? g->cpu_end_s - lg_cpu0 : -1;
        if (mine >= 0 && g->acked)
            printf("loadgen: preseal: load generator CPU %.3f s = %.1f us per ack over the timed phase "
                   "(getrusage RUSAGE_SELF: all threads, inclusion follower too; event loop%s %.1f us per ack)\n",
                   mine, mine * 1e6 / (double)g->acked, g->loops > 1 ? "s" : "",
                   (double)g->loop_cpu_ns / 1e3 / (double)g->acked);
    }
    {
        double p50, p99, el = (double)(aegis_now_ns() - g->t0) / 1e9;
        percentiles(g, &p50, &p99);
        printf("loadgen: %llu/%llu included in %llu batches in %.2f s; %llu acknowledged (%.0f tx/s), "
               "%llu failed, %llu retries; ack latency p50 %.2f ms p99 %.2f ms\n",
               (unsigned long long)g->included, (unsigned long long)g->count, (unsigned long long)g->batches, el,
               (unsigned long long)g->acked, el > 0 ? (double)g->acked / el : 0.0, (unsigned long long)g->failed,
               (unsigned long long)g->retries, p50, p99);
        if (g->first_err[0])
            fprintf(stderr, PROG ": first failure: %s\n", g->first_err);
        if (g->twice)
            fprintf(stderr, PROG ": %llu transactions were included twice\n", (unsigned long long)g->twice);
        rc = g->included == g->count && !g->twice ? 0 : 1;
    }
out:
    aegis_free(wk);
    teardown(g);
    aegis_free(g);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_loadgen = {
    "loadgen", loadgen_main, "load a node with N encrypted txs from S senders; exit 0 when all included"
};
