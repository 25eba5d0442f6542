/*
 * bench_crypto.c - `aegis bench crypto`: median and p99 per crypto operation
 * (the list in issue 3): ML-DSA-87, SLH-DSA-SHA2-256s/256f, ML-KEM-1024,
 * X25519, secp256k1, keccak-256 of 1 KiB, envelope seal/open of 256 bytes.
 *
 * Options: -q (quick: a few samples each), -x FACTOR (scale sample counts),
 * -f FILTER (only operations whose name contains FILTER).
 * SLH-DSA signing uses two threads (src/crypto/pq_slh_impl.h): its times are
 * wall-clock for one signature on an otherwise idle 2-core machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/bench.h"
#include "aegis/crypto.h"
#include "aegis/envelope.h"

struct st {
    uint8_t msg[1024];
    uint8_t mldsa_pk[AEGIS_MLDSA87_PK_BYTES], mldsa_sk[AEGIS_MLDSA87_SK_BYTES];
    uint8_t mldsa_sig[AEGIS_MLDSA87_SIG_BYTES], mldsa_sig_prep[AEGIS_MLDSA87_SIG_BYTES];
    uint8_t slh_pk[2][AEGIS_SLHDSA_PK_BYTES], slh_sk[2][AEGIS_SLHDSA_SK_BYTES];
    uint8_t *slh_sig[2];
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES];
    uint8_t ct[AEGIS_MLKEM1024_CT_BYTES], ss[32];
    uint8_t kg_ek[AEGIS_MLKEM1024_EK_BYTES], kg_dk[AEGIS_MLKEM1024_DK_BYTES];   /* keygen's output */
    uint8_t x_pk[32], x_sk[32], x_peer[32];
    uint8_t k_pk[65], k_sk[32], k_sig[65], digest[32];
    aegis_envelope_pub rcpt;         /* own keys: the keygen benchmarks overwrite the others */
    uint8_t env_dk[AEGIS_MLKEM1024_DK_BYTES], env_xsk[32];
    aegis_x25519_key *env_xkey;   /* env_xsk prepared, as a loaded key set holds it */
    aegis_mldsa87_key *mldsa_key; /* an ML-DSA key prepared, as a loaded key set holds it */
    aegis_mlkem1024_key *mlkem_key;     /* dk prepared, as a loaded key set holds it */
    aegis_mlkem1024_key *env_mlkem_key; /* env_dk prepared */
    uint8_t key_id[32];
    uint8_t env[AEGIS_ENVELOPE_OVERHEAD + 256];
    size_t env_len;
    uint8_t pt[256];
};

typedef aegis_err (*op_fn)(struct st *s);

static aegis_err op_mldsa_keygen(struct st *s) { return aegis_mldsa87_keygen(s->mldsa_pk, s->mldsa_sk); }
static aegis_err op_mldsa_sign(struct st *s)
{
    return aegis_mldsa87_sign(s->mldsa_sig, s->msg, 32, NULL, 0, s->mldsa_sk, false);
}
static aegis_err op_mldsa_sign_prepared(struct st *s)
{
    return aegis_mldsa87_sign_key(s->mldsa_sig_prep, s->msg, 32, NULL, 0, s->mldsa_key, false);
}
static aegis_err op_mldsa_verify(struct st *s)
{
    return aegis_mldsa87_verify(s->mldsa_sig, sizeof(s->mldsa_sig), s->msg, 32, NULL, 0, s->mldsa_pk);
}
static aegis_err op_slhs_keygen(struct st *s) { return aegis_slhdsa_keygen(AEGIS_SLHDSA_SHA2_256S, s->slh_pk[0], s->slh_sk[0]); }
static aegis_err op_slhs_sign(struct st *s)
{
    return aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256S, s->slh_sig[0], s->msg, 32, NULL, 0, s->slh_sk[0], false);
}
static aegis_err op_slhs_verify(struct st *s)
{
    return aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, s->slh_sig[0], AEGIS_SLHDSA256S_SIG_BYTES, s->msg, 32,
                               NULL, 0, s->slh_pk[0]);
}
static aegis_err op_slhf_keygen(struct st *s) { return aegis_slhdsa_keygen(AEGIS_SLHDSA_SHA2_256F, s->slh_pk[1], s->slh_sk[1]); }
static aegis_err op_slhf_sign(struct st *s)
{
    return aegis_slhdsa_sign(AEGIS_SLHDSA_SHA2_256F, s->slh_sig[1], s->msg, 32, NULL, 0, s->slh_sk[1], false);
}
static aegis_err op_slhf_verify(struct st *s)
{
    return aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256F, s->slh_sig[1], AEGIS_SLHDSA256F_SIG_BYTES, s->msg, 32,
                               NULL, 0, s->slh_pk[1]);
}
static aegis_err op_mlkem_keygen(struct st *s) { return aegis_mlkem1024_keygen(s->kg_ek, s->kg_dk); }
static aegis_err op_mlkem_encaps(struct st *s) { return aegis_mlkem1024_encaps(s->ct, s->ss, s->ek); }
static aegis_err op_mlkem_decaps(struct st *s) { return aegis_mlkem1024_decaps(s->ss, s->ct, s->dk); }
static aegis_err op_mlkem_decaps_prepared(struct st *s)
{
    return aegis_mlkem1024_decaps_key(s->ss, s->ct, s->mlkem_key);
}
static aegis_err op_x25519_keygen(struct st *s) { return aegis_x25519_keygen(s->x_pk, s->x_sk); }
static aegis_err op_x25519(struct st *s)
{
    uint8_t ss[32];
    return aegis_x25519(ss, s->x_sk, s->x_peer);
}
static aegis_err op_k1_sign(struct st *s) { return aegis_secp256k1_sign(s->k_sig, s->digest, s->k_sk); }
static aegis_err op_k1_verify(struct st *s) { return aegis_secp256k1_verify(s->k_sig, s->digest, s->k_pk); }
static aegis_err op_k1_recover(struct st *s)
{
    uint8_t pk[65];
    return aegis_secp256k1_recover(pk, s->k_sig, s->k_sig[64], s->digest, true);
}
static aegis_err op_keccak(struct st *s)
{
    aegis_keccak256(s->digest, s->msg, sizeof(s->msg));
    return AEGIS_OK;
}
static aegis_err op_env_seal(struct st *s)
{
    return aegis_envelope_seal(s->env, sizeof(s->env), &s->env_len, &s->rcpt, s->pt, sizeof(s->pt));
}
static aegis_err op_env_open(struct st *s)
{
    aegis_envelope_view v;
    aegis_envelope_keys keys = { s->rcpt.epoch, s->env_dk, s->env_xsk, s->key_id, s->env_xkey, true,
                                 s->env_mlkem_key };
    uint8_t pt[256];
    aegis_err err = aegis_envelope_parse(&v, s->env, s->env_len);
    if (err == AEGIS_OK)
        err = aegis_envelope_open(pt, sizeof(pt), &v, &keys);
    return err;
}
/* The same with raw keys (no prepared keys: one more X25519 scalar
 * multiplication, the ML-KEM key check and matrix expansion per call). */
static aegis_err op_env_open_raw(struct st *s)
{
    aegis_envelope_view v;
    aegis_envelope_keys keys = { s->rcpt.epoch, s->env_dk, s->env_xsk, s->key_id, NULL, false, NULL };
    uint8_t pt[256];
    aegis_err err = aegis_envelope_parse(&v, s->env, s->env_len);
    if (err == AEGIS_OK)
        err = aegis_envelope_open(pt, sizeof(pt), &v, &keys);
    return err;
}

static const struct op {
    const char *name;
    op_fn fn;
    size_t n;          /* samples at factor 1 */
} ops[] = {
    { "ml-dsa-87 keygen", op_mldsa_keygen, 500 },
    { "ml-dsa-87 sign", op_mldsa_sign, 1000 },
    { "ml-dsa-87 sign (prepared key)", op_mldsa_sign_prepared, 1000 },
    { "ml-dsa-87 verify", op_mldsa_verify, 1000 },
    { "slh-dsa-sha2-256s keygen", op_slhs_keygen, 20 },
    { "slh-dsa-sha2-256s sign", op_slhs_sign, 20 },
    { "slh-dsa-sha2-256s verify", op_slhs_verify, 500 },
    { "slh-dsa-sha2-256f keygen", op_slhf_keygen, 200 },
    { "slh-dsa-sha2-256f sign", op_slhf_sign, 50 },
    { "slh-dsa-sha2-256f verify", op_slhf_verify, 500 },
    { "ml-kem-1024 keygen", op_mlkem_keygen, 2000 },
    { "ml-kem-1024 encaps", op_mlkem_encaps, 2000 },
    { "ml-kem-1024 decaps", op_mlkem_decaps, 2000 },
    { "ml-kem-1024 decaps (prepared key)", op_mlkem_decaps_prepared, 2000 },
    { "x25519 keygen", op_x25519_keygen, 2000 },
    { "x25519 shared secret", op_x25519, 2000 },
    { "secp256k1 sign", op_k1_sign, 2000 },
    { "secp256k1 verify", op_k1_verify, 2000 },
    { "secp256k1 recover", op_k1_recover, 2000 },
    { "keccak-256 1 KiB", op_keccak, 20000 },
    { "envelope seal 256 B", op_env_seal, 2000 },
    { "envelope open 256 B", op_env_open, 2000 },
    { "envelope open 256 B (raw keys)", op_env_open_raw, 2000 },
};

static int setup(struct st *s)
{
    for (size_t i = 0; i < sizeof(s->msg); i++)
        s->msg[i] = (uint8_t)(i * 131 + 7);
    memset(s->pt, 0x5a, sizeof(s->pt));
    s->slh_sig[0] = malloc(AEGIS_SLHDSA256S_SIG_BYTES);
    s->slh_sig[1] = malloc(AEGIS_SLHDSA256F_SIG_BYTES);
    if (!s->slh_sig[0] || !s->slh_sig[1])
        return 1;
    aegis_keccak256(s->digest, "aegis bench", 11);
    aegis_err err = AEGIS_OK;
    if (!err) err = op_mldsa_keygen(s);
    if (!err) err = op_mldsa_sign(s);
    if (!err) err = op_slhs_keygen(s);
    if (!err) err = op_slhs_sign(s);
    if (!err) err = op_slhf_keygen(s);
    if (!err) err = op_slhf_sign(s);
    if (!err) err = aegis_mlkem1024_keygen(s->ek, s->dk);
    if (!err) err = op_mlkem_encaps(s);
    if (!err) err = aegis_mlkem1024_key_new(&s->mlkem_key, s->dk);
    if (!err) err = aegis_x25519_keygen(s->x_peer, s->x_sk);
    if (!err) err = op_x25519_keygen(s);
    if (!err) err = aegis_secp256k1_keygen(s->k_pk, s->k_sk);
    if (!err) err = op_k1_sign(s);
    if (err) {
        fprintf(stderr, "aegis bench crypto: setup failed: %s\n", aegis_strerror(err));
        return 1;
    }
    s->rcpt.epoch = 1;
    if (!err) err = aegis_mlkem1024_keygen(s->rcpt.mlkem_ek, s->env_dk);
    if (!err) err = aegis_x25519_keygen(s->rcpt.x25519_pk, s->env_xsk);
    if (!err) err = aegis_x25519_key_new(&s->env_xkey, s->env_xsk);
    if (!err) err = aegis_mlkem1024_key_new(&s->env_mlkem_key, s->env_dk);
    if (!err) {
        uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES];
        err = aegis_mldsa87_keygen(pk, sk);
        if (!err)
            err = aegis_mldsa87_key_new(&s->mldsa_key, sk);
        aegis_memzero(sk, sizeof(sk));
    }
    if (err) {
        fprintf(stderr, "aegis bench crypto: setup failed: %s\n", aegis_strerror(err));
        return 1;
    }
    aegis_envelope_key_id(s->key_id, s->rcpt.mlkem_ek, s->rcpt.x25519_pk);
    return 0;
}

static int crypto_main(int argc, char **argv)
{
    double factor = 1.0;
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0)
            factor = 0.05;
        else if (strcmp(argv[i], "-x") == 0 && i + 1 < argc)
            factor = atof(argv[++i]);
        else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
            filter = argv[++i];
        else {
            fprintf(stderr, "Usage: aegis bench crypto [-q] [-x FACTOR] [-f FILTER]\n");
            return 2;
        }
    }
    struct st *s = calloc(1, sizeof(*s));
    int rc = 1;
    if (!s || setup(s) != 0)
        goto out;
    rc = 0;
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(ops); i++) {
        if (filter && !strstr(ops[i].name, filter))
            continue;
        size_t n = (size_t)((double)ops[i].n * factor);
        if (n < 3)
            n = 3;
        uint64_t *samples = malloc(n * sizeof(*samples));
        if (!samples) {
            rc = 1;
            break;
        }
        /* Envelope open needs a sealed envelope; seal also refreshes it. */
        if (ops[i].fn == op_env_open && op_env_seal(s) != AEGIS_OK)
            rc = 1;
        ops[i].fn(s) == AEGIS_OK ? (void)0 : (void)(rc = 1);   /* warm-up */
        for (size_t j = 0; j < n; j++) {
            uint64_t t0 = aegis_now_ns();
            aegis_err err = ops[i].fn(s);
            samples[j] = aegis_now_ns() - t0;
            if (err != AEGIS_OK) {
                fprintf(stderr, "aegis bench crypto: %s: %s\n", ops[i].name, aegis_strerror(err));
                rc = 1;
                n = j;
                break;
            }
        }
        aegis_bench_report(ops[i].name, samples, n);
        free(samples);
    }
out:
    if (s) {
        free(s->slh_sig[0]);
        free(s->slh_sig[1]);
        aegis_x25519_key_free(s->env_xkey);
        aegis_mldsa87_key_free(s->mldsa_key);
        aegis_mlkem1024_key_free(s->mlkem_key);
        aegis_mlkem1024_key_free(s->env_mlkem_key);
        aegis_memzero(s, sizeof(*s));
        free(s);
    }
    return rc;
}

const struct aegis_bench aegis_bench_crypto = { "crypto", crypto_main,
                                                "PQ and classical crypto: median/p99 per operation" };
