/*
 * bench_attest.c - `aegis bench attest`: DCAP verification time per quote
 * with warm collateral (loaded, signature-checked and cached once), for each
 * shared sample at its verify_time. Every iteration re-runs all per-quote
 * checks: parse, PCK chain + CRLs at the time, QE report signature and
 * binding, quote signature, QE identity, TCB matching. Target: <= 2 ms.
 *
 * Options: -n N (iterations per sample, default 300), -d DIR (vectors;
 * default $AEGIS_ROOT/tests/vectors/attestation or ./tests/vectors/attestation).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/attest.h"
#include "aegis/bench.h"

static const struct {
    const char *dir;
    long long at;      /* expected.json verify_time */
    bool verifies;
} cases[] = {
    { "sgx_v3_dcapqvl", 1752919277, true },
    { "tdx_v4_dcapqvl", 1752919234, true },
    { "tdx_v5_td15_dcapqvl", 1774003274, false }, /* TCB not supported, after every signature */
    { "dstack_getquote_tdx_v4", 1774003274, true },
};

static int attest_main(int argc, char **argv)
{
    int n = 300, c, rc = 0;
    char defdir[1024];
    const char *root = getenv("AEGIS_ROOT");
    snprintf(defdir, sizeof(defdir), "%s/tests/vectors/attestation", root ? root : ".");
    const char *dir = defdir;
    optind = 1;
    while ((c = getopt(argc, argv, "n:d:q")) != -1) {
        if (c == 'n')
            n = atoi(optarg);
        else if (c == 'd')
            dir = optarg;
        else if (c == 'q')
            n = 20;
        else {
            fprintf(stderr, "usage: aegis bench attest [-n N] [-d VECTOR_DIR] [-q]\n");
            return 2;
        }
    }
    if (n < 1)
        n = 1;
    uint64_t *samples = calloc((size_t)n, sizeof(*samples));
    aegis_collateral_provider prov = { 0 };
    aegis_collateral_cache *cache = NULL;
    const char *msg = NULL;
    if (!samples)
        return 1;
    uint64_t t0 = aegis_now_ns();
    if (aegis_collateral_provider_path(dir, &prov, &msg) != AEGIS_OK ||
        aegis_collateral_cache_new(&prov, &cache) != AEGIS_OK) {
        fprintf(stderr, "bench attest: cannot load collateral from %s (%s); use -d\n", dir, msg ? msg : "?");
        free(samples);
        return 1;
    }
    uint64_t load_ns = aegis_now_ns() - t0;
    printf("  %-34s %.1f ms (parse + verify 4 sets, once)\n", "collateral load (cold)", (double)load_ns / 1e6);

    for (size_t i = 0; i < AEGIS_ARRAY_LEN(cases); i++) {
        char path[1200], op[96];
        uint8_t *q = NULL;
        size_t qlen = 0;
        aegis_attest_result res;
        snprintf(path, sizeof(path), "%s/%s/quote.bin", dir, cases[i].dir);
        if (aegis_file_read(path, AEGIS_QUOTE_MAX_BYTES, &q, &qlen) != AEGIS_OK) {
            fprintf(stderr, "bench attest: cannot read %s\n", path);
            rc = 1;
            continue;
        }
        /* warm-up: fills the cache, checks the outcome */
        aegis_attest_verify_cached(q, qlen, cache, cases[i].at, &res);
        if (res.verified != cases[i].verifies) {
            fprintf(stderr, "bench attest: %s: unexpected outcome %s\n", cases[i].dir,
                    aegis_err_name(res.err) ? aegis_err_name(res.err) : "?");
            rc = 1;
        }
        for (int k = 0; k < n; k++) {
            uint64_t a = aegis_now_ns();
            aegis_attest_verify_cached(q, qlen, cache, cases[i].at, &res);
            samples[k] = aegis_now_ns() - a;
        }
        snprintf(op, sizeof(op), "verify %s", cases[i].dir);
        aegis_bench_report(op, samples, (size_t)n);
        aegis_free(q);
    }
    aegis_collateral_cache_free(cache);
    aegis_collateral_provider_clear(&prov);
    free(samples);
    return rc;
}

const struct aegis_bench aegis_bench_attest = { "attest", attest_main,
                                                "DCAP quote verification with warm collateral (target <= 2 ms)" };
