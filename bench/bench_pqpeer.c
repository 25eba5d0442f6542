/*
 * bench_pqpeer.c - `aegis bench pqpeer [-l LIBOQS.so] [-x FACTOR]`: ML-KEM-1024
 * and ML-DSA-87 side by side with a local liboqs build, in one process,
 * taking turns (Aegis, liboqs, Aegis, ...) so that both see the same load
 * on a shared machine; medians and the ratio Aegis / liboqs.
 *
 * liboqs is not a dependency: it is opened with dlopen() from the path given
 * by -l or the environment variable AEGIS_LIBOQS, and the benchmark says it
 * is skipped when neither is set (so `make bench` runs without it). Its
 * public functions only (OQS_KEM_new/keypair/encaps/decaps, OQS_SIG_new/
 * keypair/sign/verify); the sizes are the FIPS 203/204 ones.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/bench.h"
#include "aegis/crypto.h"
#include "aegis/util.h"

typedef int (*oqs_kem_keypair_fn)(const void *, uint8_t *, uint8_t *);
typedef int (*oqs_kem_encaps_fn)(const void *, uint8_t *, uint8_t *, const uint8_t *);
typedef int (*oqs_kem_decaps_fn)(const void *, uint8_t *, const uint8_t *, const uint8_t *);
typedef int (*oqs_sig_keypair_fn)(const void *, uint8_t *, uint8_t *);
typedef int (*oqs_sig_sign_fn)(const void *, uint8_t *, size_t *, const uint8_t *, size_t, const uint8_t *);
typedef int (*oqs_sig_verify_fn)(const void *, const uint8_t *, size_t, const uint8_t *, size_t, const uint8_t *);

struct peer {
    void *kem, *sig;
    oqs_kem_keypair_fn kem_keypair;
    oqs_kem_encaps_fn kem_encaps;
    oqs_kem_decaps_fn kem_decaps;
    oqs_sig_keypair_fn sig_keypair;
    oqs_sig_sign_fn sig_sign;
    oqs_sig_verify_fn sig_verify;
};

struct st {
    struct peer oqs;
    uint8_t msg[32];
    /* Aegis */
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES], ct[AEGIS_MLKEM1024_CT_BYTES];
    uint8_t kg_ek[AEGIS_MLKEM1024_EK_BYTES], kg_dk[AEGIS_MLKEM1024_DK_BYTES], ss[32];
    aegis_mlkem1024_key *kem_key;
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES], sig[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t kg_pk[AEGIS_MLDSA87_PK_BYTES], kg_sk[AEGIS_MLDSA87_SK_BYTES];
    aegis_mldsa87_key *sig_key;
    /* liboqs */
    uint8_t o_ek[AEGIS_MLKEM1024_EK_BYTES], o_dk[AEGIS_MLKEM1024_DK_BYTES], o_ct[AEGIS_MLKEM1024_CT_BYTES];
    uint8_t o_kg_ek[AEGIS_MLKEM1024_EK_BYTES], o_kg_dk[AEGIS_MLKEM1024_DK_BYTES], o_ss[32];
    uint8_t o_pk[AEGIS_MLDSA87_PK_BYTES], o_sk[AEGIS_MLDSA87_SK_BYTES], o_sig[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t o_kg_pk[AEGIS_MLDSA87_PK_BYTES], o_kg_sk[AEGIS_MLDSA87_SK_BYTES];
    size_t o_sig_len;
};

typedef int (*fn)(struct st *s);   /* 0 = ok */

static int a_kem_keygen(struct st *s) { return aegis_mlkem1024_keygen(s->kg_ek, s->kg_dk); }
static int a_kem_encaps(struct st *s) { return aegis_mlkem1024_encaps(s->ct, s->ss, s->ek); }
static int a_kem_decaps(struct st *s) { return aegis_mlkem1024_decaps(s->ss, s->ct, s->dk); }
static int a_kem_decaps_key(struct st *s) { return aegis_mlkem1024_decaps_key(s->ss, s->ct, s->kem_key); }
static int a_sig_keygen(struct st *s) { return aegis_mldsa87_keygen(s->kg_pk, s->kg_sk); }
static int a_sig_sign(struct st *s) { return aegis_mldsa87_sign(s->sig, s->msg, sizeof(s->msg), NULL, 0, s->sk, false); }
static int a_sig_sign_key(struct st *s)
{
    return aegis_mldsa87_sign_key(s->sig, s->msg, sizeof(s->msg), NULL, 0, s->sig_key, false);
}
static int a_sig_verify(struct st *s)
{
    return aegis_mldsa87_verify(s->sig, sizeof(s->sig), s->msg, sizeof(s->msg), NULL, 0, s->pk);
}
static int o_kem_keygen(struct st *s) { return s->oqs.kem_keypair(s->oqs.kem, s->o_kg_ek, s->o_kg_dk); }
static int o_kem_encaps(struct st *s) { return s->oqs.kem_encaps(s->oqs.kem, s->o_ct, s->o_ss, s->o_ek); }
static int o_kem_decaps(struct st *s) { return s->oqs.kem_decaps(s->oqs.kem, s->o_ss, s->o_ct, s->o_dk); }
static int o_sig_keygen(struct st *s) { return s->oqs.sig_keypair(s->oqs.sig, s->o_kg_pk, s->o_kg_sk); }
static int o_sig_sign(struct st *s)
{
    return s->oqs.sig_sign(s->oqs.sig, s->o_sig, &s->o_sig_len, s->msg, sizeof(s->msg), s->o_sk);
}
static int o_sig_verify(struct st *s)
{
    return s->oqs.sig_verify(s->oqs.sig, s->msg, sizeof(s->msg), s->o_sig, s->o_sig_len, s->o_pk);
}

static const struct pair {
    const char *name;
    fn aegis, oqs;
    size_t n;
} pairs[] = {
    { "ml-kem-1024 keygen", a_kem_keygen, o_kem_keygen, 4000 },
    { "ml-kem-1024 encaps", a_kem_encaps, o_kem_encaps, 4000 },
    { "ml-kem-1024 decaps", a_kem_decaps, o_kem_decaps, 4000 },
    { "ml-kem-1024 decaps (Aegis: prepared key)", a_kem_decaps_key, o_kem_decaps, 4000 },
    { "ml-dsa-87 keygen", a_sig_keygen, o_sig_keygen, 1000 },
    { "ml-dsa-87 sign", a_sig_sign, o_sig_sign, 1000 },
    { "ml-dsa-87 sign (Aegis: prepared key)", a_sig_sign_key, o_sig_sign, 1000 },
    { "ml-dsa-87 verify", a_sig_verify, o_sig_verify, 1000 },
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    return v[n / 2];
}

static int load_peer(struct peer *p, const char *path, void **handle)
{
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*handle) {
        fprintf(stderr, "aegis bench pqpeer: %s\n", dlerror());
        return 1;
    }
    void (*init)(void) = (void (*)(void))dlsym(*handle, "OQS_init");
    void *(*kem_new)(const char *) = (void *(*)(const char *))dlsym(*handle, "OQS_KEM_new");
    void *(*sig_new)(const char *) = (void *(*)(const char *))dlsym(*handle, "OQS_SIG_new");
    p->kem_keypair = (oqs_kem_keypair_fn)dlsym(*handle, "OQS_KEM_keypair");
    p->kem_encaps = (oqs_kem_encaps_fn)dlsym(*handle, "OQS_KEM_encaps");
    p->kem_decaps = (oqs_kem_decaps_fn)dlsym(*handle, "OQS_KEM_decaps");
    p->sig_keypair = (oqs_sig_keypair_fn)dlsym(*handle, "OQS_SIG_keypair");
    p->sig_sign = (oqs_sig_sign_fn)dlsym(*handle, "OQS_SIG_sign");
    p->sig_verify = (oqs_sig_verify_fn)dlsym(*handle, "OQS_SIG_verify");
    if (!init || !kem_new || !sig_new || !p->kem_keypair || !p->kem_encaps || !p->kem_decaps ||
        !p->sig_keypair || !p->sig_sign || !p->sig_verify) {
        fprintf(stderr, "aegis bench pqpeer: %s lacks the liboqs functions used here\n", path);
        return 1;
    }
    init();
    p->kem = kem_new("ML-KEM-1024");
    p->sig = sig_new("ML-DSA-87");
    if (!p->kem || !p->sig) {
        fprintf(stderr, "aegis bench pqpeer: %s has no ML-KEM-1024 or ML-DSA-87\n", path);
        return 1;
    }
    return 0;
}

static int setup(struct st *s)
{
    memset(s->msg, 0x42, sizeof(s->msg));
    int err = aegis_mlkem1024_keygen(s->ek, s->dk) || aegis_mlkem1024_key_new(&s->kem_key, s->dk) ||
              a_kem_encaps(s) || aegis_mldsa87_keygen(s->pk, s->sk) ||
              aegis_mldsa87_key_new(&s->sig_key, s->sk) || a_sig_sign(s);
    err = err || s->oqs.kem_keypair(s->oqs.kem, s->o_ek, s->o_dk) || o_kem_encaps(s) ||
          s->oqs.sig_keypair(s->oqs.sig, s->o_pk, s->o_sk) || o_sig_sign(s);
    return err ? 1 : 0;
}

static int pqpeer_main(int argc, char **argv)
{
    const char *path = getenv("AEGIS_LIBOQS");
    double factor = 1.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc)
            factor = atof(argv[++i]);
        else if (strcmp(argv[i], "-q") == 0)
            factor = 0.05;
        else {
            fprintf(stderr, "Usage: aegis bench pqpeer [-l /path/to/liboqs.so] [-x FACTOR] [-q]\n");
            return 2;
        }
    }
    if (!path || !*path) {
        printf("  skipped: no liboqs to compare with (-l /path/to/liboqs.so or AEGIS_LIBOQS)\n");
        return 0;
    }
    void *handle = NULL;
    struct st *s = calloc(1, sizeof(*s));
    int rc = 1;
    if (!s || load_peer(&s->oqs, path, &handle) != 0)
        goto out;
    if (setup(s) != 0) {
        fprintf(stderr, "aegis bench pqpeer: setup failed\n");
        goto out;
    }
    printf("  ML-KEM-1024 / ML-DSA-87, Aegis vs liboqs (%s), turns taken in one process, medians\n", path);
    printf("  %-42s %12s %12s %8s\n", "operation", "Aegis", "liboqs", "ratio");
    rc = 0;
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(pairs); i++) {
        size_t n = (size_t)((double)pairs[i].n * factor);
        if (n < 3)
            n = 3;
        uint64_t *ta = malloc(n * sizeof(*ta)), *to = malloc(n * sizeof(*to));
        if (!ta || !to) {
            free(ta);
            free(to);
            rc = 1;
            break;
        }
        pairs[i].aegis(s);   /* warm-up */
        pairs[i].oqs(s);
        for (size_t j = 0; j < n; j++) {
            uint64_t t0 = aegis_now_ns();
            int e1 = pairs[i].aegis(s);
            uint64_t t1 = aegis_now_ns();
            int e2 = pairs[i].oqs(s);
            uint64_t t2 = aegis_now_ns();
            if (e1 || e2) {
                fprintf(stderr, "aegis bench pqpeer: %s failed (%s)\n", pairs[i].name, e1 ? "Aegis" : "liboqs");
                rc = 1;
                break;
            }
            ta[j] = t1 - t0;
            to[j] = t2 - t1;
        }
        uint64_t ma = median(ta, n), mo = median(to, n);
        printf("  %-42s %9.1f us %9.1f us %7.2fx\n", pairs[i].name, (double)ma / 1e3, (double)mo / 1e3,
               (double)ma / (double)mo);
        fflush(stdout);
        free(ta);
        free(to);
    }
out:
    if (s) {
        aegis_mlkem1024_key_free(s->kem_key);
        aegis_mldsa87_key_free(s->sig_key);
        aegis_memzero(s, sizeof(*s));
        free(s);
    }
    /* liboqs stays loaded: its OQS_KEM/OQS_SIG objects are not freed either
     * (a benchmark process ends right after) */
    (void)handle;
    return rc;
}

const struct aegis_bench aegis_bench_pqpeer = { "pqpeer", pqpeer_main,
                                                "ML-KEM-1024 / ML-DSA-87 side by side with a local liboqs (-l PATH)" };
