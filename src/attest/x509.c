/*
 * x509.c - the OpenSSL 3.0 plumbing of DCAP verification: PEM chains, chain
 * verification against the pinned root with CRLs at an explicit time, raw
 * ECDSA P-256 signatures, time conversion and the PCK SGX extension.
 */
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attest_int.h"

aegis_err aegis__pem_chain(const void *pem, size_t len, STACK_OF(X509) **ret)
{
    aegis_err err = AEGIS_ERR_PCK_CHAIN;
    STACK_OF(X509) *sk = NULL;
    BIO *bio = NULL;

    if (len == 0 || len > (1u << 20) || len > INT32_MAX)
        return AEGIS_ERR_PCK_CHAIN;
    bio = BIO_new_mem_buf(pem, (int)len);
    sk = sk_X509_new_null();
    if (!bio || !sk) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!x)
            break;
        if (sk_X509_num(sk) >= AEGIS__MAX_CHAIN || !sk_X509_push(sk, x)) {
            X509_free(x);
            goto out;
        }
    }
    if (sk_X509_num(sk) < 1)
        goto out;
    *ret = sk;
    sk = NULL;
    err = AEGIS_OK;
out:
    ERR_clear_error(); /* the loop ends on a "no start line" error */
    BIO_free(bio);
    sk_X509_pop_free(sk, X509_free);
    return err;
}

bool aegis__is_pinned_root(X509 *cert)
{
    size_t rlen;
    const uint8_t *root = aegis_attest_intel_root_der(&rlen);
    uint8_t *der = NULL;
    int n = i2d_X509(cert, &der);
    bool same = n > 0 && (size_t)n == rlen && memcmp(der, root, rlen) == 0;
    OPENSSL_free(der);
    return same;
}

X509_STORE *aegis__store_new(X509_CRL *root_crl, X509_CRL *pck_crl)
{
    size_t rlen;
    const uint8_t *p = aegis_attest_intel_root_der(&rlen);
    X509 *root = d2i_X509(NULL, &p, (long)rlen);
    X509_STORE *st = X509_STORE_new();
    if (!root || !st || !X509_STORE_add_cert(st, root) ||
        (root_crl && !X509_STORE_add_crl(st, root_crl)) ||
        (pck_crl && !X509_STORE_add_crl(st, pck_crl))) {
        X509_STORE_free(st);
        st = NULL;
    }
    X509_free(root); /* the store holds its own reference */
    ERR_clear_error();
    return st;
}

static aegis_err map_x509_error(int e, aegis_err chain_code, const char **msg)
{
    *msg = X509_verify_cert_error_string(e);
    switch (e) {
    case X509_V_ERR_CERT_REVOKED:
        return AEGIS_ERR_CERT_REVOKED;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CRL_HAS_EXPIRED:
        return AEGIS_ERR_ATTEST_EXPIRED;
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        return AEGIS_ERR_ATTEST_NOT_YET_VALID;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
        return AEGIS_ERR_CRL;
    default:
        return chain_code;
    }
}

aegis_err aegis__verify_chain(X509_STORE *store, STACK_OF(X509) *chain, int64_t now,
                              aegis_err chain_code, const char **msg)
{
    aegis_err err = chain_code;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = NULL;
    int n = sk_X509_num(chain);

    *msg = "certificate chain invalid";
    if (n < 2) {
        *msg = "certificate chain too short";
        return chain_code;
    }
    /* The presented root must be the pinned one; only the pinned copy is
     * trusted, and the intermediates are passed as untrusted. */
    if (!aegis__is_pinned_root(sk_X509_value(chain, n - 1))) {
        *msg = "chain root is not the pinned Intel SGX Root CA";
        return chain_code;
    }
    untrusted = sk_X509_new_null();
    ctx = X509_STORE_CTX_new();
    if (!untrusted || !ctx) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    for (int i = 1; i < n - 1; i++)
        if (!sk_X509_push(untrusted, sk_X509_value(chain, i))) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
    if (!X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), untrusted)) {
        err = AEGIS_ERR_NOMEM;
        goto out;
    }
    unsigned long flags = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_X509_STRICT;
    if (now < 0)
        flags |= X509_V_FLAG_NO_CHECK_TIME;
    else
        X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
    X509_STORE_CTX_set_flags(ctx, flags);
    if (X509_verify_cert(ctx) == 1) {
        err = AEGIS_OK;
        *msg = NULL;
    } else {
        err = map_x509_error(X509_STORE_CTX_get_error(ctx), chain_code, msg);
    }
out:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted); /* shallow: the certificates belong to chain */
    ERR_clear_error();
    return err;
}

/* One DER INTEGER from a 32-byte big-endian unsigned value. */
static size_t der_uint(uint8_t *out, const uint8_t v[32])
{
    size_t i = 0;
    while (i < 31 && v[i] == 0)
        i++;
    size_t n = 32 - i;
    bool pad = v[i] & 0x80;
    out[0] = 0x02;
    out[1] = (uint8_t)(n + pad);
    size_t o = 2;
    if (pad)
        out[o++] = 0;
    memcpy(out + o, v + i, n);
    return o + n;
}

bool aegis__ecdsa_verify(EVP_PKEY *key, const uint8_t *msg, size_t n, const uint8_t rs[64])
{
    uint8_t der[2 + 2 * 35];
    size_t l = der_uint(der + 2, rs);
    l += der_uint(der + 2 + l, rs + 32);
    der[0] = 0x30;
    der[1] = (uint8_t)l;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(md, der, l + 2, msg, n) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

EVP_PKEY *aegis__p256_key(const uint8_t xy[64])
{
    uint8_t pub[65];
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    char group[] = "prime256v1";
    OSSL_PARAM params[3];

    pub[0] = 0x04;
    memcpy(pub + 1, xy, 64);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
    params[2] = OSSL_PARAM_construct_end();
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return pk;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no timegm/TZ dependence. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool tm_to_unix(int64_t y, int mo, int d, int h, int mi, int s, int64_t *ret)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || s < 0 || s > 60)
        return false;
    *ret = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

bool aegis__asn1_time(const ASN1_TIME *t, int64_t *ret)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    return tm_to_unix((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min, tm.tm_sec, ret);
}

static bool digits(const char *s, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return true;
}

bool aegis__iso8601(const char *s, int64_t *ret)
{
    int y, mo, d, h, mi, sec;
    if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return false;
    return tm_to_unix(y, mo, d, h, mi, sec, ret);
}

/* ---- a minimal DER reader for the SGX extension ---- */

typedef struct der {
    const uint8_t *p;
    size_t n;
} der;

/* Read one TLV from *d; *val gets the contents. Single-byte tags only. */
static bool der_next(der *d, uint8_t *tag, der *val)
{
    if (d->n < 2)
        return false;
    *tag = d->p[0];
    size_t len = d->p[1], hdr = 2;
    if (len & 0x80) {
        size_t nb = len & 0x7f;
        if (nb == 0 || nb > 3 || d->n < 2 + nb)
            return false;
        len = 0;
        for (size_t i = 0; i < nb; i++)
            len = (len << 8) | d->p[2 + i];
        hdr += nb;
    }
    if (len > d->n - hdr)
        return false;
    val->p = d->p + hdr;
    val->n = len;
    d->p += hdr + len;
    d->n -= hdr + len;
    return true;
}

/* 1.2.840.113741.1.13.1 */
static const uint8_t sgx_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

/* If oid is sgx_oid.<a>[.<b>], return a*100+b (b = 0 when absent), else -1. */
static int sgx_sub(der oid)
{
    if (oid.n < sizeof(sgx_oid) + 1 || oid.n > sizeof(sgx_oid) + 2 ||
        memcmp(oid.p, sgx_oid, sizeof(sgx_oid)) != 0)
        return -1;
    int a = oid.p[sizeof(sgx_oid)];
    int b = oid.n == sizeof(sgx_oid) + 2 ? oid.p[sizeof(sgx_oid) + 1] : 0;
    if (a >= 0x80 || b >= 0x80)
        return -1;
    return a * 100 + b;
}

static bool der_small_uint(der v, unsigned max, unsigned *ret)
{
    if (v.n == 0 || v.n > 3 || (v.p[0] & 0x80))
        return false;
    unsigned x = 0;
    for (size_t i = 0; i < v.n; i++)
        x = (x << 8) | v.p[i];
    if (x > max)
        return false;
    *ret = x;
    return true;
}

static bool parse_tcb(der tcb, aegis_pck_info *pi, unsigned *seen)
{
    uint8_t tag;
    der item;
    while (tcb.n) {
        der oid, val;
        if (!der_next(&tcb, &tag, &item) || tag != 0x30)
            return false;
        if (!der_next(&item, &tag, &oid) || tag != 0x06 || !der_next(&item, &tag, &val))
            return false;
        int sub = sgx_sub(oid);
        if (sub > 200 && sub <= 216) {
            unsigned v;
            if (tag != 0x02 || !der_small_uint(val, 255, &v))
                return false;
            pi->cpusvn[sub - 201] = (uint8_t)v;
            *seen |= 1u << (sub - 201);
        } else if (sub == 217) {
            unsigned v;
            if (tag != 0x02 || !der_small_uint(val, 65535, &v))
                return false;
            pi->pcesvn = (uint16_t)v;
            *seen |= 1u << 16;
        }
        /* .2.18 (CPUSVN as one octet string) repeats .2.1-.2.16 */
    }
    return true;
}

aegis_err aegis__pck_ext(X509 *leaf, aegis_pck_info *ret, const char **msg)
{
    aegis_pck_info pi;
    memset(&pi, 0, sizeof(pi));
    *msg = "SGX extension missing or malformed";

    /* CA type from the issuer's CN */
    char cn[128] = "";
    X509_NAME_get_text_by_NID(X509_get_issuer_name(leaf), NID_commonName, cn, sizeof(cn));
    if (strcmp(cn, "Intel SGX PCK Platform CA") == 0)
        strcpy(pi.ca, "platform");
    else if (strcmp(cn, "Intel SGX PCK Processor CA") == 0)
        strcpy(pi.ca, "processor");
    else {
        *msg = "PCK issuer is neither the Platform nor the Processor CA";
        return AEGIS_ERR_PCK_EXTENSION;
    }

    const ASN1_OCTET_STRING *os = NULL;
    int n = X509_get_ext_count(leaf);
    for (int i = 0; i < n; i++) {
        X509_EXTENSION *ext = X509_get_ext(leaf, i);
        const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
        const unsigned char *od = OBJ_get0_data(obj);
        if (OBJ_length(obj) == sizeof(sgx_oid) && memcmp(od, sgx_oid, sizeof(sgx_oid)) == 0) {
            if (os)
                return AEGIS_ERR_PCK_EXTENSION; /* duplicate */
            os = X509_EXTENSION_get_data(ext);
        }
    }
    if (!os)
        return AEGIS_ERR_PCK_EXTENSION;

    der all = { ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os) }, seq;
    uint8_t tag;
    if (!der_next(&all, &tag, &seq) || tag != 0x30 || all.n != 0)
        return AEGIS_ERR_PCK_EXTENSION;
    unsigned seen = 0, tcb_seen = 0;
    while (seq.n) {
        der item, oid, val;
        if (!der_next(&seq, &tag, &item) || tag != 0x30)
            return AEGIS_ERR_PCK_EXTENSION;
        if (!der_next(&item, &tag, &oid) || tag != 0x06 || !der_next(&item, &tag, &val))
            return AEGIS_ERR_PCK_EXTENSION;
        switch (sgx_sub(oid)) {
        case 100: /* PPID */
            if (tag != 0x04 || val.n != 16)
                return AEGIS_ERR_PCK_EXTENSION;
            memcpy(pi.ppid, val.p, 16);
            seen |= 1;
            break;
        case 200: /* TCB */
            if (tag != 0x30 || !parse_tcb(val, &pi, &tcb_seen))
                return AEGIS_ERR_PCK_EXTENSION;
            seen |= 2;
            break;
        case 300: /* PCE-ID */
            if (tag != 0x04 || val.n != 2)
                return AEGIS_ERR_PCK_EXTENSION;
            memcpy(pi.pceid, val.p, 2);
            seen |= 4;
            break;
        case 400: /* FMSPC */
            if (tag != 0x04 || val.n != 6)
                return AEGIS_ERR_PCK_EXTENSION;
            memcpy(pi.fmspc, val.p, 6);
            seen |= 8;
            break;
        default:
            break;
        }
    }
    if (seen != 15 || tcb_seen != 0x1ffff) {
        *msg = "SGX extension lacks PPID, TCB (16 CPUSVN components + PCESVN), PCEID or FMSPC";
        return AEGIS_ERR_PCK_EXTENSION;
    }
    *ret = pi;
    *msg = NULL;
    return AEGIS_OK;
}
