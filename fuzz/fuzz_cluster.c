/* fuzz_cluster.c - libFuzzer target for every parser of cluster messages:
 * cut records (and their encode/parse round trip), co-attestations,
 * dissents and published batches (host side, src/cluster/records.c), and the trusted
 * core's join request and grant parsers (aegis_core_key_grant on a member
 * core, aegis_core_join_finish on a joiner), both on the sim TEE in a
 * temporary directory made once. The first byte picks the parser; the rest
 * is the message. Properties: never crash or leak; a parsed cut record
 * encodes back to bytes that parse to the same record; a fuzzed grant never
 * writes a key set (the joiner's genesis is fixed to a value no key set has).
 *
 * Seeds in fuzz/corpus/cluster/ are real messages captured from a 3-worker
 * cluster on loopback (prefixed with their selector byte). */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aegis/chain.h"
#include "aegis/cluster.h"
#include "aegis/config.h"
#include "aegis/core.h"

static char dir_m[64], dir_j[64];
static aegis_core *member;
static aegis_core_joiner *joiner;

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(p);
}

static void cleanup(void)
{
    aegis_core_free(member);
    aegis_core_join_free(joiner);
    if (dir_m[0])
        nftw(dir_m, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    if (dir_j[0])
        nftw(dir_j, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static void config(aegis_config *c, const char *worker)
{
    memset(c, 0, sizeof(*c));
    c->node_id = (char *)"fuzz";
    c->worker_id = (char *)worker;
    c->max_workers = 10;
    c->chain_id = 1;
    c->tee_primary = (char *)"sim";
    c->tee_backup = (char *)"";
    c->tee_attest_mode = (char *)"per-batch";
    c->tee_configfs_root = (char *)"/nonexistent";
    c->tee_dstack_socket = (char *)"/nonexistent";
    c->mempool_capacity = 100;
    c->mempool_per_sender = 10;
    c->mempool_price_bump_pct = 10;
    c->mempool_expiry_s = 3600;
    c->mempool_max_envelope = 131072;
    c->batch_max = 50;
    c->batch_interval_ms = 1000;
    c->batch_slh_mode = (char *)"epoch";
    c->batch_seal_every = 20;
    c->batch_max_wait = 10;
    c->checkpoint_interval = 100;
    c->risk_scheduled = 6000;
    c->risk_emergency = 9000;
    c->mode = (char *)"fifo";
}

static void init(void)
{
    if (member)
        return;
    snprintf(dir_m, sizeof(dir_m), "/tmp/aegis-fuzz-cluster-XXXXXX");
    snprintf(dir_j, sizeof(dir_j), "/tmp/aegis-fuzz-cluster-XXXXXX");
    if (!mkdtemp(dir_m) || !mkdtemp(dir_j))
        abort();
    atexit(cleanup);
    aegis_config cm, cj;
    config(&cm, "w1");
    config(&cj, "w2");
    const char *detail = NULL;
    char *req = NULL;
    if (aegis_core_new(&member, &cm, dir_m, &detail) != AEGIS_OK ||
        aegis_core_join_new(&joiner, &cj, dir_j, &req, &detail) != AEGIS_OK)
        abort();
    aegis_free(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 5) {
    case 0: {
        aegis_cluster_cut c, r;
        if (aegis_cluster_cut_parse(d, n, &c) == AEGIS_OK) {
            char buf[AEGIS_CLUSTER_CUT_MAX];
            size_t len = aegis_cluster_cut_encode(buf, sizeof(buf), &c);
            if (len == 0 || aegis_cluster_cut_parse((const uint8_t *)buf, len, &r) != AEGIS_OK ||
                r.number != c.number || r.ts_ms != c.ts_ms || strcmp(r.leader, c.leader) != 0)
                abort();
        }
        break;
    }
    case 1: {
        aegis_cluster_coatt ca;
        if (aegis_cluster_coattest_parse(d, n, "w2", &ca) == AEGIS_OK && (ca.number == 0 || strcmp(ca.worker, "w2")))
            abort();
        break;
    }
    case 2: {
        uint64_t num;
        uint8_t h[32];
        if (aegis_cluster_batch_parse(d, n, &num, h) == AEGIS_OK && num == 0)
            abort();
        if (aegis_cluster_dissent_parse(d, n, "w2", &num) == AEGIS_OK && num == 0)
            abort();
        break;
    }
    case 3: {
        init();
        char *grant = NULL, who[136];
        const char *why = NULL;
        /* a join record applied from the log, then the grant it allows */
        if (aegis_core_cluster_admit(member, (const char *)d, n, who, sizeof(who), &why) == AEGIS_OK &&
            aegis_core_key_grant(member, (const char *)d, n, &grant, who, sizeof(who), &why) == AEGIS_OK)
            aegis_free(grant);
        break;
    }
    default: {
        init();
        uint8_t genesis[32];
        const char *why = NULL;
        memset(genesis, 0xee, sizeof(genesis));
        if (aegis_core_join_finish(joiner, (const char *)d, n, genesis, &why) == AEGIS_OK)
            abort();   /* no key set hashes to 0xee..ee */
        break;
    }
    }
    return 0;
}
