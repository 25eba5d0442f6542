/*
 * mldsa.c - ML-DSA-87 (FIPS 204) public API on PQClean's ml-dsa-87/clean
 * arithmetic.
 *
 * The top level is ours, written from FIPS 204 (Algorithms 2, 3, 6, 7, 8;
 * cores in pq_mldsa_core.h): PQClean's sign.c is not compiled. Owning it gives
 * us, without patching upstream: key generation from the 32-byte seed xi,
 * signing with a caller-chosen rnd (hedged, deterministic, or an ACVP value),
 * the internal and "external mu" interfaces, M' hashed in pieces (no copy of
 * the message), and wiping of every secret intermediate we hold (s1, s2, t0,
 * y, w0, w1, rho', K). Callee frames inside PQClean are wiped by
 * aegis__pq_scrub_stack().
 *
 * The core exists twice: generic C, and the same C with PQClean's arithmetic
 * compiled for AVX2 (pq_mldsa_avx2.c), chosen once per call by CPU feature.
 *
 * Large values (the 8x7 matrix is 57 KiB) live on the stack; callers need the
 * usual 8 MiB thread stacks, not tiny ones.
 */
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "aegis/crypto.h"
#include "pq_int.h"

#include "fips202.h"

#define SEEDBYTES 32
#define RNDBYTES  32
#define CRHBYTES  AEGIS_MLDSA87_MU_BYTES
#define TRBYTES   AEGIS_MLDSA87_TR_BYTES
/* sk = rho (32) || K (32) || tr (64) || s1 || s2 || t0 */
#define SK_TR_OFFSET (2 * SEEDBYTES)

const struct aegis__mldsa_ops *aegis__mldsa87_ops(void)
{
    const struct aegis__mldsa_ops *fast = aegis__mldsa87_avx2();
    return fast ? fast : &aegis__mldsa87_generic;
}

/* mu = H(tr || pre || msg, 64) */
static void compute_mu(uint8_t mu[CRHBYTES], const uint8_t tr[TRBYTES],
                       const uint8_t *pre, size_t pre_len, const uint8_t *msg, size_t msg_len)
{
    const struct aegis__piece pc[3] = {{tr, TRBYTES}, {pre, pre_len}, {msg, msg_len}};
    aegis__shake256_pieces(mu, CRHBYTES, pc, 3);
}

/* ---------------- public API ---------------- */

aegis_err aegis_mldsa87_keygen_seed(uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                                    uint8_t sk[static AEGIS_MLDSA87_SK_BYTES],
                                    const uint8_t seed[static AEGIS_MLDSA87_SEED_BYTES])
{
    aegis__mldsa87_ops()->keygen(pk, sk, seed);
    return AEGIS_OK;
}

aegis_err aegis_mldsa87_keygen(uint8_t pk[static AEGIS_MLDSA87_PK_BYTES],
                               uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    uint8_t xi[SEEDBYTES];
    aegis_err err = aegis_random_bytes(xi, sizeof(xi));
    if (err == AEGIS_OK)
        aegis__mldsa87_ops()->keygen(pk, sk, xi);
    aegis_memzero(xi, sizeof(xi));
    return err;
}

aegis_err aegis_mldsa87_sign_mu(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                const uint8_t mu[static AEGIS_MLDSA87_MU_BYTES], const uint8_t *rnd,
                                const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    static const uint8_t zero[RNDBYTES];
    aegis__mldsa87_ops()->sign_mu(sig, mu, rnd ? rnd : zero, sk);
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

/* Algorithm 2's mu over M' = 0 || len(ctx) || ctx || M, hashed in pieces. */
void aegis__mldsa87_message_mu(uint8_t mu[CRHBYTES], const uint8_t tr[TRBYTES], const uint8_t *ctx,
                               size_t ctx_len, const uint8_t *msg, size_t msg_len)
{
    uint8_t pre[2 + AEGIS_MAX_CTX_BYTES];
    pre[0] = 0;
    pre[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(pre + 2, ctx, ctx_len);
    compute_mu(mu, tr, pre, 2 + ctx_len, msg, msg_len);
}

/* rnd: 32 fresh random bytes (hedged), or zeros (deterministic). */
aegis_err aegis__mldsa87_signing_rnd(uint8_t rnd[RNDBYTES], bool deterministic)
{
    memset(rnd, 0, RNDBYTES);
    if (deterministic)
        return AEGIS_OK;
    aegis_err err = aegis_random_bytes(rnd, RNDBYTES);
    if (err != AEGIS_OK)
        aegis_memzero(rnd, RNDBYTES);
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
    uint8_t rnd[RNDBYTES], mu[CRHBYTES];
    aegis_err err = aegis__mldsa87_signing_rnd(rnd, deterministic);
    if (err != AEGIS_OK)
        return err;
    aegis__mldsa87_message_mu(mu, sk + SK_TR_OFFSET, ctx, ctx_len, msg, msg_len);
    aegis__mldsa87_ops()->sign_mu(sig, mu, rnd, sk);
    aegis_memzero(rnd, sizeof(rnd));
    aegis_memzero(mu, sizeof(mu));
    return AEGIS_OK;
}

/* ---------------- prepared signing keys ---------------- */

aegis_err aegis_mldsa87_key_new(aegis_mldsa87_key **ret, const uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    const struct aegis__mldsa_ops *ops = aegis__mldsa87_ops();
    aegis_mldsa87_key *k = aegis_malloc(sizeof(*k) + ops->prepared_size);
    if (!k)
        return AEGIS_ERR_NOMEM;
    k->ops = ops;
    k->size = ops->prepared_size;
    k->locked = mlock(k, sizeof(*k) + k->size) == 0;
    memcpy(k->tr, sk + SK_TR_OFFSET, TRBYTES);
    ops->prepare(k->prepared, sk);
    *ret = k;
    return AEGIS_OK;
}

void aegis_mldsa87_key_free(aegis_mldsa87_key *k)
{
    if (!k)
        return;
    size_t total = sizeof(*k) + k->size;
    bool locked = k->locked;
    aegis_memzero(k, total);
    if (locked)
        munlock(k, total);
    aegis_free(k);
}

aegis_err aegis_mldsa87_sign_key(uint8_t sig[static AEGIS_MLDSA87_SIG_BYTES],
                                 const uint8_t *msg, size_t msg_len,
                                 const uint8_t *ctx, size_t ctx_len,
                                 const aegis_mldsa87_key *k, bool deterministic)
{
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    uint8_t rnd[RNDBYTES], mu[CRHBYTES];
    aegis_err err = aegis__mldsa87_signing_rnd(rnd, deterministic);
    if (err != AEGIS_OK)
        return err;
    aegis__mldsa87_message_mu(mu, k->tr, ctx, ctx_len, msg, msg_len);
    (void)k->ops->sign_prepared(sig, mu, rnd, k->prepared, NULL);
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
    return aegis__mldsa87_ops()->verify_mu(sig, mu, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}

aegis_err aegis_mldsa87_verify_internal(const uint8_t *sig, size_t sig_len,
                                        const uint8_t *mprime, size_t mprime_len,
                                        const uint8_t pk[static AEGIS_MLDSA87_PK_BYTES])
{
    if (sig == NULL || sig_len != AEGIS_MLDSA87_SIG_BYTES)
        return AEGIS_ERR_BAD_SIG;
    return aegis__mldsa87_ops()->verify_msg(sig, NULL, 0, mprime, mprime_len, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
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
    uint8_t pre[2 + AEGIS_MAX_CTX_BYTES];
    pre[0] = 0;
    pre[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(pre + 2, ctx, ctx_len);
    return aegis__mldsa87_ops()->verify_msg(sig, pre, 2 + ctx_len, msg, msg_len, pk) ? AEGIS_OK
                                                                                      : AEGIS_ERR_BAD_SIG;
}
