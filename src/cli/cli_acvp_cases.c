/*
 * cli_acvp_cases.c - per-algorithm handlers for `aegis acvp`.
 *
 * Each handler reads one case, runs the operation through the public crypto
 * API (include/aegis/crypto.h) and compares with the expected output.
 * Tolerated variations: FIPS204-tr1 / FIPS203-tr1 "keyFormat": "seed" gives
 * the private key as its seed (ML-DSA: 32-byte xi; ML-KEM: d || z, 64 bytes),
 * "expanded" (or none) as the full encoding; the old SLH-DSA sigVer layout
 * ("internal (implicit ...)" interface). A case whose expected output is
 * missing or null is skipped.
 */
#include <string.h>

#include "aegis/crypto.h"
#include "aegis/util.h"
#include "cli_acvp.h"

#define MAXBUF 8
struct bufs {
    uint8_t *p[MAXBUF];
    size_t n;
};

static uint8_t *bufs_hex(struct bufs *b, struct acvp_case *k, const char *name, size_t *len)
{
    uint8_t *out = NULL;
    if (b->n >= MAXBUF || !acvp_hex(k, name, &out, len))
        return NULL;
    b->p[b->n++] = out;
    return out;
}

static uint8_t *bufs_alloc(struct bufs *b, size_t len)
{
    if (b->n >= MAXBUF)
        return NULL;
    uint8_t *out = aegis_calloc(1, len ? len : 1);
    if (out)
        b->p[b->n++] = out;
    return out;
}

static void bufs_free(struct bufs *b)
{
    for (size_t i = 0; i < b->n; i++)
        aegis_free(b->p[i]);
    b->n = 0;
}

static enum acvp_result fail(struct acvp_case *k, const char *why)
{
    k->why = why;
    return ACVP_FAIL;
}

static enum acvp_result skip(struct acvp_case *k, const char *why)
{
    k->why = why;
    return ACVP_SKIP;
}

static bool eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool is_internal(struct acvp_case *k)
{
    const char *s = acvp_str(k, "signatureInterface");
    return s && strncmp(s, "internal", 8) == 0;
}

static bool seed_format(struct acvp_case *k)
{
    const char *f = acvp_str(k, "keyFormat");
    return f && strcmp(f, "seed") == 0;
}

/* External interface: M' from message, context, preHash/hashAlg. */
static uint8_t *build_mprime(struct bufs *b, struct acvp_case *k, const uint8_t *msg, size_t msg_len,
                             size_t *out_len)
{
    size_t ctx_len = 0;
    const uint8_t *ctx = NULL;
    if (acvp_field(k, "context")) {
        ctx = bufs_hex(b, k, "context", &ctx_len);
        if (!ctx)
            return NULL;
    }
    aegis_prehash ph = AEGIS_PH_NONE;
    const char *mode = acvp_str(k, "preHash");
    if (mode && strcmp(mode, "preHash") == 0) {
        if (aegis_prehash_from_name(acvp_str(k, "hashAlg"), &ph) != AEGIS_OK || ph == AEGIS_PH_NONE)
            return NULL;
    }
    size_t cap = ph == AEGIS_PH_NONE ? 2 + ctx_len + msg_len : AEGIS_PQ_MPRIME_PREHASH_MAX;
    uint8_t *mp = bufs_alloc(b, cap);
    if (!mp || aegis_pq_build_mprime(mp, cap, out_len, ph, msg, msg_len, ctx, ctx_len) != AEGIS_OK)
        return NULL;
    return mp;
}

/* ---------------- ML-DSA-87 ---------------- */

static enum acvp_result mldsa_keygen(struct acvp_case *k)
{
    struct bufs b = { 0 };
    size_t sl, pkl, skl;
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES], sk[AEGIS_MLDSA87_SK_BYTES];
    enum acvp_result r;
    const uint8_t *seed = bufs_hex(&b, k, "seed", &sl);
    const uint8_t *epk = bufs_hex(&b, k, "pk", &pkl);
    const uint8_t *esk = bufs_hex(&b, k, "sk", &skl);
    if (!seed || sl != 32)
        r = fail(k, "bad seed");
    else if (!epk || !esk)
        r = skip(k, "no expected keys");
    else if (aegis_mldsa87_keygen_seed(pk, sk, seed) != AEGIS_OK)
        r = fail(k, "keygen error");
    else if (!eq(pk, sizeof(pk), epk, pkl))
        r = fail(k, "pk mismatch");
    else if (seed_format(k) && skl == AEGIS_MLDSA87_SEED_BYTES ? !eq(seed, sl, esk, skl)
                                                               : !eq(sk, sizeof(sk), esk, skl))
        r = fail(k, "sk mismatch");
    else
        r = ACVP_PASS;
    aegis_memzero(sk, sizeof(sk));
    bufs_free(&b);
    return r;
}

/* sk field: expanded (4896 bytes) or, with keyFormat "seed", the 32-byte xi. */
static bool mldsa_sk(struct bufs *b, struct acvp_case *k, uint8_t sk[static AEGIS_MLDSA87_SK_BYTES])
{
    size_t len;
    const uint8_t *s = bufs_hex(b, k, "sk", &len);
    if (!s && seed_format(k))
        s = bufs_hex(b, k, "seed", &len);
    if (!s)
        return false;
    if (len == AEGIS_MLDSA87_SK_BYTES) {
        memcpy(sk, s, len);
        return true;
    }
    uint8_t pk[AEGIS_MLDSA87_PK_BYTES];
    return len == AEGIS_MLDSA87_SEED_BYTES && aegis_mldsa87_keygen_seed(pk, sk, s) == AEGIS_OK;
}

static enum acvp_result mldsa_siggen(struct acvp_case *k)
{
    struct bufs b = { 0 };
    uint8_t sk[AEGIS_MLDSA87_SK_BYTES], sig[AEGIS_MLDSA87_SIG_BYTES];
    size_t el, ml = 0, rl = 0, mpl = 0;
    enum acvp_result r;
    aegis_err err;
    const uint8_t *esig = bufs_hex(&b, k, "signature", &el);
    const uint8_t *rnd = NULL;
    if (!esig) {
        r = skip(k, "no expected signature");
        goto out;
    }
    if (!mldsa_sk(&b, k, sk)) {
        r = fail(k, "bad sk");
        goto out;
    }
    if (!acvp_bool(k, "deterministic", false)) {
        rnd = bufs_hex(&b, k, "rnd", &rl);
        if (!rnd || rl != 32) {
            r = fail(k, "bad rnd");
            goto out;
        }
    }
    if (is_internal(k) && acvp_bool(k, "externalMu", false)) {
        const uint8_t *mu = bufs_hex(&b, k, "mu", &ml);
        if (!mu || ml != AEGIS_MLDSA87_MU_BYTES) {
            r = fail(k, "bad mu");
            goto out;
        }
        err = aegis_mldsa87_sign_mu(sig, mu, rnd, sk);
    } else {
        const uint8_t *msg = bufs_hex(&b, k, "message", &ml);
        const uint8_t *mp = msg;
        mpl = ml;
        if (msg && !is_internal(k))
            mp = build_mprime(&b, k, msg, ml, &mpl);
        if (!mp) {
            r = fail(k, "bad message/context/hashAlg");
            goto out;
        }
        err = aegis_mldsa87_sign_internal(sig, mp, mpl, rnd, sk);
    }
    if (err != AEGIS_OK)
        r = fail(k, "sign error");
    else if (!eq(sig, sizeof(sig), esig, el))
        r = fail(k, "signature mismatch");
    else
        r = ACVP_PASS;
out:
    aegis_memzero(sk, sizeof(sk));
    bufs_free(&b);
    return r;
}

static enum acvp_result mldsa_sigver(struct acvp_case *k)
{
    struct bufs b = { 0 };
    size_t pkl, sl, ml = 0, mpl = 0;
    enum acvp_result r;
    aegis_err err;
    json_t *expect = acvp_field(k, "testPassed");
    const uint8_t *pk = bufs_hex(&b, k, "pk", &pkl);
    const uint8_t *sig = bufs_hex(&b, k, "signature", &sl);
    if (!json_is_boolean(expect)) {
        r = skip(k, "no expected verdict");
        goto out;
    }
    if (!pk || pkl != AEGIS_MLDSA87_PK_BYTES || !sig) {
        r = fail(k, "bad pk/signature");
        goto out;
    }
    if (is_internal(k) && acvp_bool(k, "externalMu", false)) {
        const uint8_t *mu = bufs_hex(&b, k, "mu", &ml);
        if (!mu || ml != AEGIS_MLDSA87_MU_BYTES) {
            r = fail(k, "bad mu");
            goto out;
        }
        err = aegis_mldsa87_verify_mu(sig, sl, mu, pk);
    } else {
        const uint8_t *msg = bufs_hex(&b, k, "message", &ml);
        const uint8_t *mp = msg;
        mpl = ml;
        if (msg && !is_internal(k))
            mp = build_mprime(&b, k, msg, ml, &mpl);
        if (!mp) {
            r = fail(k, "bad message/context/hashAlg");
            goto out;
        }
        err = aegis_mldsa87_verify_internal(sig, sl, mp, mpl, pk);
    }
    if ((err == AEGIS_OK) != json_is_true(expect))
        r = fail(k, json_is_true(expect) ? "valid signature rejected" : "invalid signature accepted");
    else
        r = ACVP_PASS;
out:
    bufs_free(&b);
    return r;
}

/* ---------------- ML-KEM-1024 ---------------- */

static enum acvp_result mlkem_keygen(struct acvp_case *k)
{
    struct bufs b = { 0 };
    size_t dl, zl, ekl, dkl;
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES], dk[AEGIS_MLKEM1024_DK_BYTES];
    enum acvp_result r;
    const uint8_t *d = bufs_hex(&b, k, "d", &dl);
    const uint8_t *z = bufs_hex(&b, k, "z", &zl);
    const uint8_t *eek = bufs_hex(&b, k, "ek", &ekl);
    const uint8_t *edk = bufs_hex(&b, k, "dk", &dkl);
    if (!d || !z || dl != 32 || zl != 32)
        r = fail(k, "bad d/z");
    else if (!eek || !edk)
        r = skip(k, "no expected keys");
    else if (aegis_mlkem1024_keygen_dz(ek, dk, d, z) != AEGIS_OK)
        r = fail(k, "keygen error");
    else if (!eq(ek, sizeof(ek), eek, ekl))
        r = fail(k, "ek mismatch");
    else if (seed_format(k) && dkl == 64 ? !(eq(d, 32, edk, 32) && eq(z, 32, edk + 32, 32))
                                         : !eq(dk, sizeof(dk), edk, dkl))
        r = fail(k, "dk mismatch");
    else
        r = ACVP_PASS;
    aegis_memzero(dk, sizeof(dk));
    bufs_free(&b);
    return r;
}

/* dk: expanded (3168 bytes) or, keyFormat "seed", d || z (64 bytes). */
static bool mlkem_dk(struct bufs *b, struct acvp_case *k, uint8_t dk[static AEGIS_MLKEM1024_DK_BYTES])
{
    size_t len, dl, zl;
    uint8_t ek[AEGIS_MLKEM1024_EK_BYTES];
    const uint8_t *s = bufs_hex(b, k, "dk", &len);
    if (!s && seed_format(k)) {   /* d and z as separate fields */
        const uint8_t *d = bufs_hex(b, k, "d", &dl), *z = bufs_hex(b, k, "z", &zl);
        return d && z && dl == 32 && zl == 32 && aegis_mlkem1024_keygen_dz(ek, dk, d, z) == AEGIS_OK;
    }
    if (!s)
        return false;
    if (len == AEGIS_MLKEM1024_DK_BYTES) {
        memcpy(dk, s, len);
        return true;
    }
    return len == 64 && aegis_mlkem1024_keygen_dz(ek, dk, s, s + 32) == AEGIS_OK;
}

static enum acvp_result mlkem_encapdecap(struct acvp_case *k)
{
    struct bufs b = { 0 };
    const char *fn = acvp_str(k, "function");
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES], ct[AEGIS_MLKEM1024_CT_BYTES], ss[AEGIS_MLKEM_SS_BYTES];
    size_t ekl = 0, ml, cl, kl;
    enum acvp_result r;
    json_t *expect = acvp_field(k, "testPassed");

    if (!fn) {
        r = fail(k, "no function");
    } else if (strcmp(fn, "encapsulation") == 0) {
        const uint8_t *ek = bufs_hex(&b, k, "ek", &ekl);
        const uint8_t *m = bufs_hex(&b, k, "m", &ml);
        const uint8_t *ec = bufs_hex(&b, k, "c", &cl);
        const uint8_t *ekk = bufs_hex(&b, k, "k", &kl);
        if (!ec || !ekk)
            r = skip(k, "no expected c/k");
        else if (!ek || ekl != AEGIS_MLKEM1024_EK_BYTES || !m || ml != 32)
            r = fail(k, "bad ek/m");
        else if (aegis_mlkem1024_encaps_m(ct, ss, ek, m) != AEGIS_OK)
            r = fail(k, "encaps error");
        else if (!eq(ct, sizeof(ct), ec, cl) || !eq(ss, sizeof(ss), ekk, kl))
            r = fail(k, "c/k mismatch");
        else
            r = ACVP_PASS;
    } else if (strcmp(fn, "decapsulation") == 0) {
        const uint8_t *c = bufs_hex(&b, k, "c", &cl);
        const uint8_t *ekk = bufs_hex(&b, k, "k", &kl);
        if (!ekk)
            r = skip(k, "no expected k");
        else if (!mlkem_dk(&b, k, dk) || !c || cl != AEGIS_MLKEM1024_CT_BYTES)
            r = fail(k, "bad dk/c");
        else if (aegis_mlkem1024_decaps(ss, c, dk) != AEGIS_OK)
            r = fail(k, "decaps error");
        else if (!eq(ss, sizeof(ss), ekk, kl))
            r = fail(k, "k mismatch");
        else
            r = ACVP_PASS;
    } else if (strcmp(fn, "encapsulationKeyCheck") == 0) {
        const uint8_t *ek = bufs_hex(&b, k, "ek", &ekl);
        if (!json_is_boolean(expect))
            r = skip(k, "no expected verdict");
        else {
            bool ok = ek && ekl == AEGIS_MLKEM1024_EK_BYTES && aegis_mlkem1024_check_ek(ek) == AEGIS_OK;
            r = ok == json_is_true(expect) ? ACVP_PASS : fail(k, "ek check verdict differs");
        }
    } else if (strcmp(fn, "decapsulationKeyCheck") == 0) {
        size_t dkl;
        const uint8_t *d = bufs_hex(&b, k, "dk", &dkl);
        if (!json_is_boolean(expect))
            r = skip(k, "no expected verdict");
        else {
            bool ok = d && dkl == AEGIS_MLKEM1024_DK_BYTES && aegis_mlkem1024_check_dk(d) == AEGIS_OK;
            if (seed_format(k) && (!d || dkl == 64))
                ok = mlkem_dk(&b, k, dk) && aegis_mlkem1024_check_dk(dk) == AEGIS_OK;
            r = ok == json_is_true(expect) ? ACVP_PASS : fail(k, "dk check verdict differs");
        }
    } else {
        r = fail(k, "unknown function");
    }
    aegis_memzero(dk, sizeof(dk));
    aegis_memzero(ss, sizeof(ss));
    bufs_free(&b);
    return r;
}

/* ---------------- SLH-DSA-SHA2-256s / 256f ---------------- */

static aegis_slhdsa_param slh_param(struct acvp_case *k)
{
    const char *p = acvp_str(k, "parameterSet");
    return p && strcmp(p, "SLH-DSA-SHA2-256f") == 0 ? AEGIS_SLHDSA_SHA2_256F : AEGIS_SLHDSA_SHA2_256S;
}

static enum acvp_result slh_keygen(struct acvp_case *k)
{
    struct bufs b = { 0 };
    size_t l1, l2, l3, pkl, skl;
    uint8_t pk[AEGIS_SLHDSA_PK_BYTES], sk[AEGIS_SLHDSA_SK_BYTES];
    enum acvp_result r;
    const uint8_t *s1 = bufs_hex(&b, k, "skSeed", &l1);
    const uint8_t *s2 = bufs_hex(&b, k, "skPrf", &l2);
    const uint8_t *s3 = bufs_hex(&b, k, "pkSeed", &l3);
    const uint8_t *epk = bufs_hex(&b, k, "pk", &pkl);
    const uint8_t *esk = bufs_hex(&b, k, "sk", &skl);
    if (!s1 || !s2 || !s3 || l1 != 32 || l2 != 32 || l3 != 32)
        r = fail(k, "bad seeds");
    else if (!epk || !esk)
        r = skip(k, "no expected keys");
    else if (aegis_slhdsa_keygen_seeds(slh_param(k), pk, sk, s1, s2, s3) != AEGIS_OK)
        r = fail(k, "keygen error");
    else if (!eq(pk, sizeof(pk), epk, pkl) || !eq(sk, sizeof(sk), esk, skl))
        r = fail(k, "key mismatch");
    else
        r = ACVP_PASS;
    aegis_memzero(sk, sizeof(sk));
    bufs_free(&b);
    return r;
}

static enum acvp_result slh_siggen(struct acvp_case *k)
{
    struct bufs b = { 0 };
    aegis_slhdsa_param p = slh_param(k);
    size_t el, skl, ml, mpl, al = 0;
    enum acvp_result r;
    const uint8_t *esig = bufs_hex(&b, k, "signature", &el);
    if (!esig)
        return skip(k, "no expected signature");
    const uint8_t *sk = bufs_hex(&b, k, "sk", &skl);
    const uint8_t *msg = bufs_hex(&b, k, "message", &ml);
    const uint8_t *addrnd = NULL;
    uint8_t *sig = bufs_alloc(&b, aegis_slhdsa_sig_bytes(p));
    if (!sk || skl != AEGIS_SLHDSA_SK_BYTES || !msg || !sig) {
        r = fail(k, "bad sk/message");
        goto out;
    }
    if (!acvp_bool(k, "deterministic", false)) {
        addrnd = bufs_hex(&b, k, "additionalRandomness", &al);
        if (!addrnd || al != AEGIS_SLHDSA_N) {
            r = fail(k, "bad additionalRandomness");
            goto out;
        }
    }
    const uint8_t *mp = msg;
    mpl = ml;
    if (!is_internal(k))
        mp = build_mprime(&b, k, msg, ml, &mpl);
    if (!mp)
        r = fail(k, "bad context/hashAlg");
    else if (aegis_slhdsa_sign_internal(p, sig, mp, mpl, sk, addrnd) != AEGIS_OK)
        r = fail(k, "sign error");
    else if (!eq(sig, aegis_slhdsa_sig_bytes(p), esig, el))
        r = fail(k, "signature mismatch");
    else
        r = ACVP_PASS;
out:
    bufs_free(&b);
    return r;
}

static enum acvp_result slh_sigver(struct acvp_case *k)
{
    struct bufs b = { 0 };
    aegis_slhdsa_param p = slh_param(k);
    size_t pkl, sl, ml, mpl;
    enum acvp_result r;
    json_t *expect = acvp_field(k, "testPassed");
    if (!json_is_boolean(expect))
        return skip(k, "no expected verdict");
    const uint8_t *pk = bufs_hex(&b, k, "pk", &pkl);
    const uint8_t *sig = bufs_hex(&b, k, "signature", &sl);
    const uint8_t *msg = bufs_hex(&b, k, "message", &ml);
    const uint8_t *mp = msg;
    mpl = ml;
    if (msg && !is_internal(k))
        mp = build_mprime(&b, k, msg, ml, &mpl);
    if (!pk || pkl != AEGIS_SLHDSA_PK_BYTES || !sig || !mp) {
        r = fail(k, "bad pk/signature/message");
    } else {
        bool ok = aegis_slhdsa_verify_internal(p, sig, sl, mp, mpl, pk) == AEGIS_OK;
        r = ok == json_is_true(expect) ? ACVP_PASS
                                       : fail(k, ok ? "invalid signature accepted" : "valid signature rejected");
    }
    bufs_free(&b);
    return r;
}

/* ---------------- dispatch ---------------- */

static const struct {
    const char *alg, *mode, *param;
    acvp_handler fn;
} handlers[] = {
    { "ML-DSA", "keyGen", "ML-DSA-87", mldsa_keygen },
    { "ML-DSA", "sigGen", "ML-DSA-87", mldsa_siggen },
    { "ML-DSA", "sigVer", "ML-DSA-87", mldsa_sigver },
    { "ML-KEM", "keyGen", "ML-KEM-1024", mlkem_keygen },
    { "ML-KEM", "encapDecap", "ML-KEM-1024", mlkem_encapdecap },
    { "SLH-DSA", "keyGen", "SLH-DSA-SHA2-256s", slh_keygen },
    { "SLH-DSA", "keyGen", "SLH-DSA-SHA2-256f", slh_keygen },
    { "SLH-DSA", "sigGen", "SLH-DSA-SHA2-256s", slh_siggen },
    { "SLH-DSA", "sigGen", "SLH-DSA-SHA2-256f", slh_siggen },
    { "SLH-DSA", "sigVer", "SLH-DSA-SHA2-256s", slh_sigver },
    { "SLH-DSA", "sigVer", "SLH-DSA-SHA2-256f", slh_sigver },
};

acvp_handler acvp_find_handler(const char *algorithm, const char *mode, const char *param)
{
    if (!algorithm || !mode || !param)
        return NULL;
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(handlers); i++)
        if (strcmp(algorithm, handlers[i].alg) == 0 && strcmp(mode, handlers[i].mode) == 0 &&
            strcmp(param, handlers[i].param) == 0)
            return handlers[i].fn;
    return NULL;
}
