/*
 * mldsa.c - ML-DSA-87 (FIPS 204) on PQClean's ml-dsa-87/clean arithmetic.
 *
 * The top level is ours, written from FIPS 204 (Algorithms 2, 3, 6, 7, 8):
 * PQClean's sign.c is not compiled. Owning it gives us, without patching
 * upstream: key generation from the 32-byte seed xi, signing with a caller-
 * chosen rnd (hedged, deterministic, or an ACVP value), the internal and
 * "external mu" interfaces, M' passed in pieces (no copy of the message), and
 * wiping of every secret intermediate we hold (s1, s2, t0, y, the matrix-free
 * products, rho', K). Callee frames inside PQClean are wiped by
 * aegis__pq_scrub_stack().
 *
 * Large values (the 8x7 matrix is 57 KiB) live on our stack; callers need the
 * usual 8 MiB thread stacks, not tiny ones.
 */
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

_Static_assert(AEGIS_MLDSA87_PK_BYTES == PQCLEAN_MLDSA87_CLEAN_CRYPTO_PUBLICKEYBYTES, "pk size");
_Static_assert(AEGIS_MLDSA87_SK_BYTES == PQCLEAN_MLDSA87_CLEAN_CRYPTO_SECRETKEYBYTES, "sk size");
_Static_assert(AEGIS_MLDSA87_SIG_BYTES == PQCLEAN_MLDSA87_CLEAN_CRYPTO_BYTES, "sig size");
_Static_assert(AEGIS_MLDSA87_MU_BYTES == CRHBYTES, "mu size");

/* sk = rho (32) || K (32) || tr (64) || s1 || s2 || t0 */
#define SK_TR_OFFSET (2 * SEEDBYTES)

struct piece {
    const uint8_t *p;
    size_t n;
};

/* out = SHAKE256(piece_0 || piece_1 || ..., outlen) */
static void shake256_pieces(uint8_t *out, size_t outlen, const struct piece *pc, size_t count)
{
    shake256incctx st;
    shake256_inc_init(&st);
    for (size_t i = 0; i < count; i++)
        if (pc[i].n)
            shake256_inc_absorb(&st, pc[i].p, pc[i].n);
    shake256_inc_finalize(&st);
    shake256_inc_squeeze(out, outlen, &st);
    shake256_inc_ctx_release(&st);
}

/* Algorithm 6, ML-DSA.KeyGen_internal(xi). */
static void keygen_internal(uint8_t *pk, uint8_t *sk, const uint8_t xi[SEEDBYTES])
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

    MLDSA(polyvec_matrix_expand)(mat, rho);
    MLDSA(polyvecl_uniform_eta)(&s1, rhoprime, 0);
    MLDSA(polyveck_uniform_eta)(&s2, rhoprime, L);

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
    aegis_memzero(&t0, sizeof(t0));
    aegis_memzero(&t1, sizeof(t1));
}

/* Algorithm 7 from mu on: the signing loop. rnd is 32 bytes. */
static void sign_mu(uint8_t *sig, const uint8_t mu[CRHBYTES], const uint8_t rnd[RNDBYTES],
                    const uint8_t *sk)
{
    uint8_t rho[SEEDBYTES], tr[TRBYTES];
    uint8_t krm[SEEDBYTES + RNDBYTES + CRHBYTES];   /* K || rnd || mu */
    uint8_t rhoprime[CRHBYTES];
    uint16_t nonce = 0;
    unsigned int n;
    polyvecl mat[K], s1, y, z;
    polyveck t0, s2, w1, w0, h;
    poly cp;

    MLDSA(unpack_sk)(rho, tr, krm, &t0, &s1, &s2, sk);
    memcpy(krm + SEEDBYTES, rnd, RNDBYTES);
    memcpy(krm + SEEDBYTES + RNDBYTES, mu, CRHBYTES);
    shake256(rhoprime, CRHBYTES, krm, sizeof(krm));

    MLDSA(polyvec_matrix_expand)(mat, rho);
    MLDSA(polyvecl_ntt)(&s1);
    MLDSA(polyveck_ntt)(&s2);
    MLDSA(polyveck_ntt)(&t0);

    for (;;) {
        MLDSA(polyvecl_uniform_gamma1)(&y, rhoprime, nonce++);
        z = y;
        MLDSA(polyvecl_ntt)(&z);
        MLDSA(polyvec_matrix_pointwise_montgomery)(&w1, mat, &z);
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

        MLDSA(polyvecl_pointwise_poly_montgomery)(&z, &cp, &s1);
        MLDSA(polyvecl_invntt_tomont)(&z);
        MLDSA(polyvecl_add)(&z, &z, &y);
        MLDSA(polyvecl_reduce)(&z);
        if (MLDSA(polyvecl_chknorm)(&z, GAMMA1 - BETA))
            continue;

        MLDSA(polyveck_pointwise_poly_montgomery)(&h, &cp, &s2);
        MLDSA(polyveck_invntt_tomont)(&h);
        MLDSA(polyveck_sub)(&w0, &w0, &h);
        MLDSA(polyveck_reduce)(&w0);
        if (MLDSA(polyveck_chknorm)(&w0, GAMMA2 - BETA))
            continue;

        MLDSA(polyveck_pointwise_poly_montgomery)(&h, &cp, &t0);
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

    aegis__pq_scrub_stack();
    aegis_memzero(krm, sizeof(krm));
    aegis_memzero(rhoprime, sizeof(rhoprime));
    aegis_memzero(&s1, sizeof(s1));
    aegis_memzero(&s2, sizeof(s2));
    aegis_memzero(&t0, sizeof(t0));
    aegis_memzero(&y, sizeof(y));
    aegis_memzero(&w0, sizeof(w0));
    aegis_memzero(&w1, sizeof(w1));
    aegis_memzero(&cp, sizeof(cp));
}

/* Algorithm 8 from mu on. */
static bool verify_mu(const uint8_t *sig, const uint8_t mu[CRHBYTES], const uint8_t *pk)
{
    uint8_t buf[K * POLYW1_PACKEDBYTES];
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
    MLDSA(polyvec_matrix_expand)(mat, rho);
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

/* mu = H(tr || pieces, 64) */
static void compute_mu(uint8_t mu[CRHBYTES], const uint8_t tr[TRBYTES],
                       const uint8_t *pre, size_t pre_len, const uint8_t *msg, size_t msg_len)
{
    struct piece pc[] = { { tr, TRBYTES }, { pre, pre_len }, { msg, msg_len } };
    shake256_pieces(mu, CRHBYTES, pc, 3);
}

static void pk_tr(uint8_t tr[TRBYTES], const uint8_t *pk)
{
    shake256(tr, TRBYTES, pk, AEGIS_MLDSA87_PK_BYTES);
}

/* ---------------- public API ---------------- */

aegis_err aegis_mldsa87_keygen_seed(uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                                    uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                    const uint8_t seed[static AEGIS_MLDSA87_SEED_BYTES])
{
    keygen_internal(pk, sk, seed);
    return AEGIS_OK;
}

aegis_err aegis_mldsa87_keygen(uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                               uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    uint8_t xi[SEEDBYTES];
    aegis_err err = aegis_random_bytes(xi, sizeof(xi));
    if (err == AEGIS_OK)
        keygen_internal(pk, sk, xi);
    aegis_memzero(xi, sizeof(xi));
    return err;
}

aegis_err aegis_mldsa87_sign_mu(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                const uint8_t mu[static AEGIS_MLDSA87_MU_BYTES], const uint8_t *rnd,
                                const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    static const uint8_t zero[RNDBYTES];
    sign_mu(sig, mu, rnd ? rnd : zero, sk);
    return AEGIS_OK;
}

aegis_err aegis_mldsa87_sign_internal(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                      const uint8_t *mprime, size_t mprime_len, const uint8_t *rnd,
                                      const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    uint8_t mu[CRHBYTES];
    compute_mu(mu, sk + SK_TR_OFFSET, NULL, 0, mprime, mprime_len);
    aegis_err err = aegis_mldsa87_sign_mu(sig, mu, rnd, sk);
    aegis_memzero(mu, sizeof(mu));
    return err;
}

aegis_err aegis_mldsa87_sign(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                             const uint8_t *msg, size_t msg_len,
                             const uint8_t *ctx, size_t ctx_len,
                             const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                             bool deterministic)
{
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    uint8_t rnd[RNDBYTES] = { 0 };
    uint8_t mu[CRHBYTES];
    if (!deterministic) {
        aegis_err err = aegis_random_bytes(rnd, sizeof(rnd));
        if (err != AEGIS_OK) {
            aegis_memzero(rnd, sizeof(rnd));
            return err;
        }
    }
    /* Algorithm 2: M' = 0 || len(ctx) || ctx || M, hashed in pieces. */
    uint8_t pre[2 + AEGIS_MAX_CTX_BYTES];
    pre[0] = 0;
    pre[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(pre + 2, ctx, ctx_len);
    compute_mu(mu, sk + SK_TR_OFFSET, pre, 2 + ctx_len, msg, msg_len);
    sign_mu(sig, mu, rnd, sk);
    aegis_memzero(rnd, sizeof(rnd));
    aegis_memzero(mu, sizeof(mu));
    return AEGIS_OK;
}

aegis_err aegis_mldsa87_verify_mu(const uint8_t *sig, size_t sig_len,
                                  const uint8_t mu[static AEGIS_MLDSA87_MU_BYTES],
                                  const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    if (sig == NULL || sig_len != AEGIS_MLDSA87_SIG_BYTES)
        return AEGIS_ERR_BAD_SIG;
    return verify_mu(sig, mu, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}

aegis_err aegis_mldsa87_verify_internal(const uint8_t *sig, size_t sig_len,
                                        const uint8_t *mprime, size_t mprime_len,
                                        const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    uint8_t tr[TRBYTES], mu[CRHBYTES];
    if (sig == NULL || sig_len != AEGIS_MLDSA87_SIG_BYTES)
        return AEGIS_ERR_BAD_SIG;
    pk_tr(tr, pk);
    compute_mu(mu, tr, NULL, 0, mprime, mprime_len);
    return verify_mu(sig, mu, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}

aegis_err aegis_mldsa87_verify(const uint8_t *sig, size_t sig_len,
                               const uint8_t *msg, size_t msg_len,
                               const uint8_t *ctx, size_t ctx_len,
                               const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    if (sig == NULL || sig_len != AEGIS_MLDSA87_SIG_BYTES)
        return AEGIS_ERR_BAD_SIG;
    uint8_t tr[TRBYTES], mu[CRHBYTES];
    uint8_t pre[2 + AEGIS_MAX_CTX_BYTES];
    pre[0] = 0;
    pre[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(pre + 2, ctx, ctx_len);
    pk_tr(tr, pk);
    compute_mu(mu, tr, pre, 2 + ctx_len, msg, msg_len);
    return verify_mu(sig, mu, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}
