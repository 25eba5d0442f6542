/*
 * slhdsa.c - SLH-DSA-SHA2-256s / -256f (FIPS 205) public API: parameter
 * dispatch, the pure interface with context (M' = 0x00 || len || ctx || M,
 * passed to the core in two pieces), opt_rand policy and length checks. The
 * algorithm itself is pq_slh_impl.h (one instance per parameter set).
 *
 * opt_rand: deterministic = PK.seed (FIPS 205 Alg. 22, line 7 and Alg. 19),
 * hedged = 32 fresh bytes from aegis_random_bytes (drawn here, so a failing
 * source is an error, never an abort).
 */
#include <string.h>

#include "aegis/crypto.h"
#include "pq_int.h"

static const struct aegis__slh_ops *slh_ops(aegis_slhdsa_param p)
{
    switch (p) {
    case AEGIS_SLHDSA_SHA2_256S: return &aegis__slh_sha2_256s;
    case AEGIS_SLHDSA_SHA2_256F: return &aegis__slh_sha2_256f;
    }
    return NULL;
}

size_t aegis_slhdsa_sig_bytes(aegis_slhdsa_param p)
{
    const struct aegis__slh_ops *ops = slh_ops(p);
    return ops ? ops->sig_bytes : 0;
}

aegis_err aegis_slhdsa_keygen_seeds(aegis_slhdsa_param p, uint8_t pk[static AEGIS_SLHDSA_PK_BYTES],
                                    uint8_t sk[static AEGIS_SLHDSA_SK_BYTES],
                                    const uint8_t sk_seed[static 32], const uint8_t sk_prf[static 32],
                                    const uint8_t pk_seed[static 32])
{
    const struct aegis__slh_ops *ops = slh_ops(p);
    if (!ops)
        return AEGIS_ERR_INVAL;
    uint8_t seeds[3 * AEGIS_SLHDSA_N];
    memcpy(seeds, sk_seed, 32);
    memcpy(seeds + 32, sk_prf, 32);
    memcpy(seeds + 64, pk_seed, 32);
    ops->keygen(pk, sk, seeds);
    aegis_memzero(seeds, sizeof(seeds));
    return AEGIS_OK;
}

aegis_err aegis_slhdsa_keygen(aegis_slhdsa_param p, uint8_t pk[static AEGIS_SLHDSA_PK_BYTES],
                              uint8_t sk[static AEGIS_SLHDSA_SK_BYTES])
{
    if (!slh_ops(p))
        return AEGIS_ERR_INVAL;
    uint8_t seeds[3 * AEGIS_SLHDSA_N];
    aegis_err err = aegis_random_bytes(seeds, sizeof(seeds));
    if (err == AEGIS_OK)
        err = aegis_slhdsa_keygen_seeds(p, pk, sk, seeds, seeds + 32, seeds + 64);
    aegis_memzero(seeds, sizeof(seeds));
    return err;
}

/* Shared by the pure and internal interfaces: M' = pre || msg. */
static aegis_err slh_sign_pieces(const struct aegis__slh_ops *ops, uint8_t *sig,
                                 const uint8_t *pre, size_t pre_len,
                                 const uint8_t *msg, size_t msg_len,
                                 const uint8_t sk[static AEGIS_SLHDSA_SK_BYTES],
                                 const uint8_t *addrnd, bool hedged)
{
    uint8_t opt_rand[AEGIS_SLHDSA_N];
    aegis_err err = AEGIS_OK;
    if (addrnd)
        memcpy(opt_rand, addrnd, sizeof(opt_rand));
    else if (hedged)
        err = aegis_random_bytes(opt_rand, sizeof(opt_rand));
    else
        memcpy(opt_rand, sk + 2 * AEGIS_SLHDSA_N, sizeof(opt_rand));   /* PK.seed */
    if (err == AEGIS_OK)
        err = ops->sign(sig, pre, pre_len, msg, msg_len, sk, opt_rand);
    if (err != AEGIS_OK)
        aegis_memzero(sig, ops->sig_bytes);
    aegis_memzero(opt_rand, sizeof(opt_rand));
    return err;
}

aegis_err aegis_slhdsa_sign(aegis_slhdsa_param p, uint8_t *sig, const uint8_t *msg, size_t msg_len,
                            const uint8_t *ctx, size_t ctx_len,
                            const uint8_t sk[static AEGIS_SLHDSA_SK_BYTES], bool deterministic)
{
    const struct aegis__slh_ops *ops = slh_ops(p);
    if (!ops || !sig)
        return AEGIS_ERR_INVAL;
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    uint8_t pre[2 + AEGIS_MAX_CTX_BYTES];
    pre[0] = 0;
    pre[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(pre + 2, ctx, ctx_len);
    return slh_sign_pieces(ops, sig, pre, 2 + ctx_len, msg, msg_len, sk, NULL, !deterministic);
}

aegis_err aegis_slhdsa_sign_internal(aegis_slhdsa_param p, uint8_t *sig,
                                     const uint8_t *mprime, size_t mprime_len,
                                     const uint8_t sk[static AEGIS_SLHDSA_SK_BYTES],
                                     const uint8_t *addrnd)
{
    const struct aegis__slh_ops *ops = slh_ops(p);
    if (!ops || !sig)
        return AEGIS_ERR_INVAL;
    return slh_sign_pieces(ops, sig, NULL, 0, mprime, mprime_len, sk, addrnd, false);
}

aegis_err aegis_slhdsa_verify(aegis_slhdsa_param p, const uint8_t *sig, size_t sig_len,
                              const uint8_t *msg, size_t msg_len, const uint8_t *ctx, size_t ctx_len,
                              const uint8_t pk[static AEGIS_SLHDSA_PK_BYTES])
{
    const struct aegis__slh_ops *ops = slh_ops(p);
    if (!ops)
        return AEGIS_ERR_INVAL;
    if (ctx_len > AEGIS_MAX_CTX_BYTES)
        return AEGIS_ERR_CTX_TOO_LONG;
    if (!sig || sig_len != ops->sig_bytes)
        return AEGIS_ERR_BAD_SIG;
    uint8_t pre[2 + AEGIS_MAX_CTX_BYTES];
    pre[0] = 0;
    pre[1] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(pre + 2, ctx, ctx_len);
    return ops->verify(sig, pre, 2 + ctx_len, msg, msg_len, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}

aegis_err aegis_slhdsa_verify_internal(aegis_slhdsa_param p, const uint8_t *sig, size_t sig_len,
                                       const uint8_t *mprime, size_t mprime_len,
                                       const uint8_t pk[static AEGIS_SLHDSA_PK_BYTES])
{
    const struct aegis__slh_ops *ops = slh_ops(p);
    if (!ops)
        return AEGIS_ERR_INVAL;
    if (!sig || sig_len != ops->sig_bytes)
        return AEGIS_ERR_BAD_SIG;
    return ops->verify(sig, NULL, 0, mprime, mprime_len, pk) ? AEGIS_OK : AEGIS_ERR_BAD_SIG;
}
