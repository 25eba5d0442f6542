/* cmd_bench.c - `aegis bench [all|NAME...]`: run the benchmark table. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/bench.h"
#include "aegis/tx.h"
#include "aegis/util.h"
#include "aegis/cli.h"
#include "bench_table.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void fmt_ns(char *out, size_t cap, uint64_t ns)
{
    if (ns >= 10000000ull)
        snprintf(out, cap, "%.1f ms", (double)ns / 1e6);
    else if (ns >= 10000ull)
        snprintf(out, cap, "%.1f us", (double)ns / 1e3);
    else
        snprintf(out, cap, "%llu ns", (unsigned long long)ns);
}

int aegis_bench_seal_transfer(const aegis_envelope_pub *rcpt, uint64_t chain_id, const uint8_t sk[32], uint64_t nonce,
                              uint64_t tip_wei, uint64_t value, uint8_t to_byte, uint8_t **ret, size_t *ret_len)
{
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.eip155 = true;
    p.chain_id = chain_id;
    p.nonce = nonce;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_fee, 30000000000ull);
    aegis_u256_from_u64(&p.max_priority_fee, tip_wei);
    aegis_u256_from_u64(&p.value, value);
    memset(p.to, to_byte, 20);
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (aegis_tx_build(&p, sk, &raw, &raw_len) != AEGIS_OK)
        return -1;
    size_t cap = aegis_envelope_sealed_size(raw_len);
    uint8_t *env = malloc(cap);
    aegis_err err = env ? aegis_envelope_seal(env, cap, ret_len, rcpt, raw, raw_len) : AEGIS_ERR_NOMEM;
    aegis_free(raw);
    if (err) {
        free(env);
        return -1;
    }
    *ret = env;
    return 0;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void aegis_bench_rmtree(const char *dir)
{
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

void aegis_bench_report(const char *op, uint64_t *samples_ns, size_t n)
{
    if (n == 0) {
        printf("  %-34s n=0\n", op);
        return;
    }
    qsort(samples_ns, n, sizeof(*samples_ns), cmp_u64);
    size_t p99 = (n * 99 + 99) / 100;
    if (p99 > 0)
        p99--;
    if (p99 >= n)
        p99 = n - 1;
    char med[32], tail[32];
    fmt_ns(med, sizeof(med), samples_ns[n / 2]);
    fmt_ns(tail, sizeof(tail), samples_ns[p99]);
    printf("  %-34s n=%-6zu median=%-12s p99=%s\n", op, n, med, tail);
    fflush(stdout);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis bench all | NAME [options]\n\nBenchmarks:\n");
    for (size_t i = 0; aegis_bench_table[i]; i++)
        fprintf(f, "  %-10s %s\n", aegis_bench_table[i]->name, aegis_bench_table[i]->summary);
}

static int bench_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "all") == 0) {
        int rc = 0;
        for (size_t i = 0; aegis_bench_table[i]; i++) {
            printf("== bench %s: %s\n", aegis_bench_table[i]->name, aegis_bench_table[i]->summary);
            char *sub[] = { (char *)aegis_bench_table[i]->name, NULL };
            if (aegis_bench_table[i]->run(1, sub) != 0)
                rc = 1;
        }
        return rc;
    }
    for (size_t i = 0; aegis_bench_table[i]; i++)
        if (strcmp(argv[1], aegis_bench_table[i]->name) == 0)
            return aegis_bench_table[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "aegis bench: unknown benchmark '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

const struct aegis_cli_cmd aegis_cli_cmd_bench = { "bench", bench_main, "run benchmarks (make bench)" };
