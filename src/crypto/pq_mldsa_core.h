/*
 * pq_mldsa_core.h - ML-DSA-87 (FIPS 204) Algorithms 6-8 on PQClean's
 * ml-dsa-87/clean arithmetic. Included by pq_mldsa_generic.c and, built for
 * AVX2 with PQClean's ML-DSA sources renamed, by pq_mldsa_avx2.c; defines the
 * ops table MLDSA_OPS and nothing else external. mldsa.c picks one at run
 * time and holds the public API; see its header comment.
 */
#include <stdatomic.h>
#include <string.h>

#include "aegis/crypto.h"
#include "pq_int.h"

/* PQClean headers last: params.h defines short macros (K, L, N, Q, D). */
#include "fips202.h"
#include "packing.h"
#include "params.h"
#include "poly.h"
#include "polyvec.h"

#define MLDSA(x) PQCLEAN_MLDSA87_CLEAN_##x

/* The SHAKE expansions, one stream after another unless the including file
 * supplies a faster equal version (pq_mldsa_avx2.c: four streams at once). */
#ifndef MLDSA_EXPAND_A
#define MLDSA_EXPAND_A(mat, rho) MLDSA(polyvec_matrix_expand)(mat, rho)
#define MLDSA_EXPAND_S(s1, s2, rhoprime)            \
    do {                                            \
        MLDSA(polyvecl_uniform_eta)(s1, rhoprime, 0); \
        MLDSA(polyveck_uniform_eta)(s2, rhoprime, L); \
    } while (0)
#define MLDSA_EXPAND_MASK(y, rhoprime, nonce) MLDSA(polyvecl_uniform_gamma1)(y, rhoprime, nonce)
/* ExpandA and tr = H(pk, 64) */
#define MLDSA_EXPAND_A_TR(mat, rho, tr, pk)                          \
    do {                                                             \
        MLDSA_EXPAND_A(mat, rho);                                    \
        shake256(tr, TRBYTES, pk, AEGIS_MLDSA87_PK_BYTES);           \
    } while (0)
#endif

_Static_assert(AEGIS_MLDSA87_PK_BYTES == PQCLEAN_MLDSA87_CLEAN_CRYPTO_PUBLICKEYBYTES, "pk size");
_Static_assert(AEGIS_MLDSA87_SK_BYTES == PQCLEAN_MLDSA87_CLEAN_CRYPTO_SECRETKEYBYTES, "sk size");
_Static_assert(AEGIS_MLDSA87_SIG_BYTES == PQCLEAN_MLDSA87_CLEAN_CRYPTO_BYTES, "sig size");
_Static_assert(AEGIS_MLDSA87_MU_BYTES == CRHBYTES, "mu size");
_Static_assert(AEGIS_MLDSA87_TR_BYTES == TRBYTES, "tr size");

/* the hashes on OpenSSL (pq_sha3.c) */
#define piece aegis__piece
#define shake256_pieces aegis__shake256_pieces
#define shake256(out, outlen, in, inlen) aegis__shake256_2(out, outlen, in, inlen, NULL, 0)

/* Algorithm 6, ML-DSA.KeyGen_internal(xi). */
static void mldsa_keygen(uint8_t *pk, uint8_t *sk, const uint8_t xi[SEEDBYTES])
{
    uint8_t seedbuf[2 * SEEDBYTES + CRHBYTES];   /* rho || rho' || K */
    uint8_t tr[TRBYTES];
    polyvecl mat[K];
    polyvecl s1, s1hat;
    polyveck s2, t1, t0;

    memcpy(seedbuf, xi, SEEDBYTES);
    seedbuf[SEEDBYTES] = K;
    seedbuf[SEEDBYTES + 1] = L;
    shake256(seedbuf, sizeof(seedbuf), seedbuf, SEEDBYTES + 2);
    const uint8_t *rho = seedbuf, *rhoprime = seedbuf + SEEDBYTES, *key = rhoprime + CRHBYTES;

    MLDSA_EXPAND_A(mat, rho);
    MLDSA_EXPAND_S(&s1, &s2, rhoprime);

    s1hat = s1;
    MLDSA(polyvecl_ntt)(&s1hat);
    MLDSA(polyvec_matrix_pointwise_montgomery)(&t1, mat, &s1hat);
    MLDSA(polyveck_reduce)(&t1);
    MLDSA(polyveck_invntt_tomont)(&t1);
    MLDSA(polyveck_add)(&t1, &t1, &s2);
    MLDSA(polyveck_caddq)(&t1);
    MLDSA(polyveck_power2round)(&t1, &t0, &t1);
    MLDSA(pack_pk)(pk, rho, &t1);

    shake256(tr, TRBYTES, pk, AEGIS_MLDSA87_PK_BYTES);
    MLDSA(pack_sk)(sk, rho, tr, key, &t0, &s1, &s2);

    aegis__pq_scrub_stack();
    aegis_memzero(seedbuf, sizeof(seedbuf));
    aegis_memzero(&s1, sizeof(s1));
    aegis_memzero(&s1hat, sizeof(s1hat));
    aegis_memzero(&s2, sizeof(s2));
    aegis_memzero(&t0, sizeof(t0));   /* t1 holds the public key's t1 by now */
}

/* A signing key with everything that does not depend on the message done
 * once: K, tr, A-hat = ExpandA(rho) and s1, s2, t0 in NTT form (FIPS 204
 * section 3.6.3 allows keeping these). Secret: the owner wipes it. */
struct mldsa_prepared {
    uint8_t key[SEEDBYTES];
    uint8_t tr[TRBYTES];
    polyvecl mat[K];
    polyvecl s1;
    polyveck s2, t0;
};

static void mldsa_prepare(void *out, const uint8_t *sk)
{
    struct mldsa_prepared *p = out;
    uint8_t rho[SEEDBYTES];
    MLDSA(unpack_sk)(rho, p->tr, p->key, &p->t0, &p->s1, &p->s2, sk);
    MLDSA_EXPAND_A(p->mat, rho);
    MLDSA(polyvecl_ntt)(&p->s1);
    MLDSA(polyveck_ntt)(&p->s2);
    MLDSA(polyveck_ntt)(&p->t0);
    aegis__pq_scrub_stack();
}

/* Algorithm 7 from mu on: the signing loop on a prepared key. rnd is 32
 * bytes. abandon (optional) is polled once per rejection round: once it is
 * non-zero the loop stops and returns false (sig holds nothing useful). */
static bool mldsa_sign_prepared(uint8_t *sig, const uint8_t mu[CRHBYTES], const uint8_t rnd[RNDBYTES],
                                const void *prepared, const atomic_int *abandon)
{
    bool done = false;
    const struct mldsa_prepared *p = prepared;
    uint8_t krm[SEEDBYTES + RNDBYTES + CRHBYTES];   /* K || rnd || mu */
    uint8_t rhoprime[CRHBYTES];
    uint16_t nonce = 0;
    unsigned int n;
    polyvecl y, z;
    polyveck w1, w0, h;
    poly cp;

    memcpy(krm, p->key, SEEDBYTES);
    memcpy(krm + SEEDBYTES, rnd, RNDBYTES);
    memcpy(krm + SEEDBYTES + RNDBYTES, mu, CRHBYTES);
    shake256(rhoprime, CRHBYTES, krm, sizeof(krm));

    for (;;) {
        if (abandon && atomic_load_explicit(abandon, memory_order_relaxed))
            goto out;
        MLDSA_EXPAND_MASK(&y, rhoprime, nonce++);
        z = y;
        MLDSA(polyvecl_ntt)(&z);
        MLDSA(polyvec_matrix_pointwise_montgomery)(&w1, p->mat, &z);
        MLDSA(polyveck_reduce)(&w1);
        MLDSA(polyveck_invntt_tomont)(&w1);
        MLDSA(polyveck_caddq)(&w1);
        MLDSA(polyveck_decompose)(&w1, &w0, &w1);
        MLDSA(polyveck_pack_w1)(sig, &w1);

        /* c~ = H(mu || w1Encode(w1), lambda/4), written where pack_sig wants it */
        struct piece cpc[] = { { mu, CRHBYTES }, { sig, K * POLYW1_PACKEDBYTES } };
        shake256_pieces(sig, CTILDEBYTES, cpc, 2);
        MLDSA(poly_challenge)(&cp, sig);
        MLDSA(poly_ntt)(&cp);
        if (abandon && atomic_load_explicit(abandon, memory_order_relaxed))
            goto out;   /* also mid-round: a raced loser lets go sooner */

        MLDSA(polyvecl_pointwise_poly_montgomery)(&z, &cp, &p->s1);
        MLDSA(polyvecl_invntt_tomont)(&z);
        MLDSA(polyvecl_add)(&z, &z, &y);
        MLDSA(polyvecl_reduce)(&z);
        if (MLDSA(polyvecl_chknorm)(&z, GAMMA1 - BETA))
            continue;
        if (abandon && atomic_load_explicit(abandon, memory_order_relaxed))
            goto out;

        MLDSA(polyveck_pointwise_poly_montgomery)(&h, &cp, &p->s2);
        MLDSA(polyveck_invntt_tomont)(&h);
        MLDSA(polyveck_sub)(&w0, &w0, &h);
        MLDSA(polyveck_reduce)(&w0);
        if (MLDSA(polyveck_chknorm)(&w0, GAMMA2 - BETA))
            continue;

        MLDSA(polyveck_pointwise_poly_montgomery)(&h, &cp, &p->t0);
        MLDSA(polyveck_invntt_tomont)(&h);
        MLDSA(polyveck_reduce)(&h);
        if (MLDSA(polyveck_chknorm)(&h, GAMMA2))
            continue;

        MLDSA(polyveck_add)(&w0, &w0, &h);
        n = MLDSA(polyveck_make_hint)(&h, &w0, &w1);
        if (n > OMEGA)
            continue;
        break;
    }
    MLDSA(pack_sig)(sig, sig, &z, &h);
    done = true;
out:
    aegis__pq_scrub_stack();
    aegis_memzero(krm, sizeof(krm));
    aegis_memzero(rhoprime, sizeof(rhoprime));
    aegis_memzero(&y, sizeof(y));
    aegis_memzero(&w0, sizeof(w0));
    aegis_memzero(&w1, sizeof(w1));
    aegis_memzero(&cp, sizeof(cp));
    /* an abandoned round may leave a rejected y + c*s1 in z or c*s2 in h */
    if (!done) {
        aegis_memzero(&z, sizeof(z));
        aegis_memzero(&h, sizeof(h));
        aegis_memzero(sig, AEGIS_MLDSA87_SIG_BYTES);   /* that round's w1 and c~ */
    }
    return done;
}

/* Algorithm 7 from mu on, from the encoded key (prepared here, wiped). */
static void mldsa_sign_mu(uint8_t *sig, const uint8_t mu[CRHBYTES], const uint8_t rnd[RNDBYTES],
                          const uint8_t *sk)
{
    struct mldsa_prepared p;
    mldsa_prepare(&p, sk);
    (void)mldsa_sign_prepared(sig, mu, rnd, &p, NULL);
    aegis_memzero(&p, sizeof(p));
}

/* Algorithm 8 from mu on. */
/* Algorithm 8 with mu given (mu_in), or with mu = H(tr || pre || msg)
 * computed here: then tr = H(pk) is hashed together with ExpandA
 * (MLDSA_EXPAND_A_TR: on one lane of the four-way Keccak in the AVX2 core) */
static bool verify_common(const uint8_t *sig, const uint8_t *mu_in, const uint8_t *pre, size_t pre_len,
                          const uint8_t *msg, size_t msg_len, const uint8_t *pk)
{
    uint8_t buf[K * POLYW1_PACKEDBYTES];
    uint8_t mu[CRHBYTES];
    uint8_t rho[SEEDBYTES];
    uint8_t c[CTILDEBYTES], c2[CTILDEBYTES];
    poly cp;
    polyvecl mat[K], z;
    polyveck t1, w1, h;

    MLDSA(unpack_pk)(rho, &t1, pk);
    if (MLDSA(unpack_sig)(c, &z, &h, sig))
        return false;
    if (MLDSA(polyvecl_chknorm)(&z, GAMMA1 - BETA))
        return false;

    MLDSA(poly_challenge)(&cp, c);
    if (mu_in) {
        MLDSA_EXPAND_A(mat, rho);
        memcpy(mu, mu_in, CRHBYTES);
    } else {
        uint8_t tr[TRBYTES];
        MLDSA_EXPAND_A_TR(mat, rho, tr, pk);
        const struct piece mpc[] = { { tr, TRBYTES }, { pre, pre_len }, { msg, msg_len } };
        shake256_pieces(mu, CRHBYTES, mpc, 3);
    }
    MLDSA(polyvecl_ntt)(&z);
    MLDSA(polyvec_matrix_pointwise_montgomery)(&w1, mat, &z);
    MLDSA(poly_ntt)(&cp);
    MLDSA(polyveck_shiftl)(&t1);
    MLDSA(polyveck_ntt)(&t1);
    MLDSA(polyveck_pointwise_poly_montgomery)(&t1, &cp, &t1);
    MLDSA(polyveck_sub)(&w1, &w1, &t1);
    MLDSA(polyveck_reduce)(&w1);
    MLDSA(polyveck_invntt_tomont)(&w1);
    MLDSA(polyveck_caddq)(&w1);
    MLDSA(polyveck_use_hint)(&w1, &w1, &h);
    MLDSA(polyveck_pack_w1)(buf, &w1);

    struct piece pc[] = { { mu, CRHBYTES }, { buf, sizeof(buf) } };
    shake256_pieces(c2, CTILDEBYTES, pc, 2);
    return aegis_ct_eq(c, c2, CTILDEBYTES);
}

static bool mldsa_verify_mu(const uint8_t *sig, const uint8_t mu[CRHBYTES], const uint8_t *pk)
{
    return verify_common(sig, mu, NULL, 0, NULL, 0, pk);
}

static bool mldsa_verify_msg(const uint8_t *sig, const uint8_t *pre, size_t pre_len, const uint8_t *msg,
                             size_t msg_len, const uint8_t *pk)
{
    return verify_common(sig, NULL, pre, pre_len, msg, msg_len, pk);
}

const struct aegis__mldsa_ops MLDSA_OPS = {
    .keygen = mldsa_keygen,
    .sign_mu = mldsa_sign_mu,
    .verify_mu = mldsa_verify_mu,
    .verify_msg = mldsa_verify_msg,
    .prepared_size = sizeof(struct mldsa_prepared),
    .prepare = mldsa_prepare,
    .sign_prepared = mldsa_sign_prepared,
};
