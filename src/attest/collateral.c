/*
 * collateral.c - load one collateral set (dcap-qvl QuoteCollateralV3 JSON),
 * verify its time-independent parts once, and record every validity window.
 *
 * Why verify at load: the TCB signing chain, both CRL signatures and the TCB
 * info / QE identity signatures do not depend on the quote or on the time, so
 * a set that fails them is refused outright and a set that passes never pays
 * for them again. Everything that depends on time (certificate, CRL, TCB info
 * and QE identity windows) is checked per verification by
 * aegis__collateral_check_time(), and the PCK chain of each quote is verified
 * in full against this set's CRLs at the verification time.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>

#include "attest_int.h"

#define COLLATERAL_MAX_BYTES (1u << 20)

static void add_window(aegis_collateral *c, int64_t from, int64_t until, const char *what)
{
    if (c->n_win < AEGIS__MAX_WINDOWS)
        c->win[c->n_win++] = (aegis__window){ from, until, what };
}

static bool add_cert_windows(aegis_collateral *c, STACK_OF(X509) *chain, const char *what)
{
    for (int i = 0; i < sk_X509_num(chain); i++) {
        int64_t a, b;
        X509 *x = sk_X509_value(chain, i);
        if (!aegis__asn1_time(X509_get0_notBefore(x), &a) || !aegis__asn1_time(X509_get0_notAfter(x), &b))
            return false;
        add_window(c, a, b, what);
    }
    return true;
}

static bool add_crl_window(aegis_collateral *c, X509_CRL *crl, const char *what)
{
    int64_t a, b;
    if (!aegis__asn1_time(X509_CRL_get0_lastUpdate(crl), &a) ||
        !aegis__asn1_time(X509_CRL_get0_nextUpdate(crl), &b))
        return false;
    add_window(c, a, b, what);
    return true;
}

static const char *jstr(json_t *root, const char *key, size_t *len)
{
    json_t *j = json_object_get(root, key);
    if (!json_is_string(j))
        return NULL;
    if (len)
        *len = json_string_length(j);
    return json_string_value(j);
}

static X509_CRL *crl_from_hex(const char *hex)
{
    uint8_t *der = NULL;
    size_t n = 0;
    X509_CRL *crl = NULL;
    if (hex && aegis_hex_decode_alloc(hex, 256 * 1024, &der, &n) == AEGIS_OK) {
        const uint8_t *p = der;
        crl = d2i_X509_CRL(NULL, &p, (long)n);
        if (crl && p != der + n) { /* trailing bytes */
            X509_CRL_free(crl);
            crl = NULL;
        }
    }
    aegis_free(der);
    ERR_clear_error();
    return crl;
}

static bool subject_cn_is(X509 *x, const char *cn)
{
    char buf[128] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof(buf));
    return strcmp(buf, cn) == 0;
}

/* A signing chain (TCB info or QE identity): exactly signer + root, signer
 * named "Intel SGX TCB Signing", verified against the pinned root with the
 * root CA CRL (time checked later). */
static aegis_err signing_chain(aegis_collateral *c, const char *pem, STACK_OF(X509) **ret,
                               const char *what, const char **msg)
{
    aegis_err err = aegis__pem_chain(pem, strlen(pem), ret);
    if (err == AEGIS_ERR_NOMEM)
        return err;
    if (err != AEGIS_OK || sk_X509_num(*ret) != 2) {
        *msg = "TCB signing chain must be the signing certificate and the root";
        return AEGIS_ERR_COLLATERAL_CHAIN;
    }
    if (!subject_cn_is(sk_X509_value(*ret, 0), "Intel SGX TCB Signing")) {
        *msg = "signing certificate is not the Intel SGX TCB Signing certificate";
        return AEGIS_ERR_COLLATERAL_CHAIN;
    }
    err = aegis__verify_chain(c->store, *ret, -1, AEGIS_ERR_COLLATERAL_CHAIN, msg);
    if (err == AEGIS_OK && !add_cert_windows(c, *ret, what))
        err = AEGIS_ERR_COLLATERAL_CHAIN;
    return err;
}

static aegis_err check_sig(X509 *signer, const char *data, size_t len, const char *sig_hex,
                           aegis_err code)
{
    uint8_t rs[64];
    if (!sig_hex || strlen(sig_hex) != 128 || aegis_hex_decode_exact(sig_hex, rs, 64) != AEGIS_OK)
        return code;
    EVP_PKEY *pk = X509_get0_pubkey(signer);
    return pk && aegis__ecdsa_verify(pk, (const uint8_t *)data, len, rs) ? AEGIS_OK : code;
}

#define FAIL(code, text) \
    do {                 \
        err = (code);    \
        emsg = (text);   \
        goto out;        \
    } while (0)

aegis_err aegis_collateral_load_json(const char *json, size_t len, aegis_collateral **ret,
                                     const char **reterr_msg)
{
    aegis_err err = AEGIS_OK;
    const char *emsg = "collateral malformed";
    json_error_t jerr;
    json_t *root = NULL;
    aegis_collateral *c = NULL;
    X509_CRL *root_crl = NULL, *pck_crl = NULL;
    STACK_OF(X509) *tcb_chain = NULL, *qe_chain = NULL, *crl_chain = NULL;
    size_t tcb_len = 0, qe_len = 0;

    if (!json || !ret)
        FAIL(AEGIS_ERR_INVAL, "NULL argument");
    if (len > COLLATERAL_MAX_BYTES)
        FAIL(AEGIS_ERR_TOO_BIG, "collateral larger than 1 MiB");
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root))
        FAIL(AEGIS_ERR_COLLATERAL_MALFORMED, "collateral is not a JSON object");
    const char *pck_crl_chain_pem = jstr(root, "pck_crl_issuer_chain", NULL);
    const char *tcb_chain_pem = jstr(root, "tcb_info_issuer_chain", NULL);
    const char *qe_chain_pem = jstr(root, "qe_identity_issuer_chain", NULL);
    const char *tcb_info = jstr(root, "tcb_info", &tcb_len);
    const char *qe_identity = jstr(root, "qe_identity", &qe_len);
    const char *tcb_sig = jstr(root, "tcb_info_signature", NULL);
    const char *qe_sig = jstr(root, "qe_identity_signature", NULL);
    if (!pck_crl_chain_pem || !tcb_chain_pem || !qe_chain_pem || !tcb_info || !qe_identity ||
        !tcb_sig || !qe_sig || !jstr(root, "root_ca_crl", NULL) || !jstr(root, "pck_crl", NULL))
        FAIL(AEGIS_ERR_COLLATERAL_MALFORMED, "collateral lacks a required key");

    c = aegis_calloc(1, sizeof(*c));
    if (!c)
        FAIL(AEGIS_ERR_NOMEM, "out of memory");
    atomic_init(&c->refs, 1);

    /* CRLs: parse, then check each is signed by its issuer. */
    root_crl = crl_from_hex(jstr(root, "root_ca_crl", NULL));
    pck_crl = crl_from_hex(jstr(root, "pck_crl", NULL));
    if (!root_crl || !pck_crl)
        FAIL(AEGIS_ERR_CRL, "CRL is not valid hex DER");
    c->store = aegis__store_new(root_crl, pck_crl);
    if (!c->store)
        FAIL(AEGIS_ERR_NOMEM, "cannot build the certificate store");
    {
        size_t rlen;
        const uint8_t *p = aegis_attest_intel_root_der(&rlen);
        X509 *rootc = d2i_X509(NULL, &p, (long)rlen);
        bool ok = rootc && X509_NAME_cmp(X509_CRL_get_issuer(root_crl), X509_get_subject_name(rootc)) == 0 &&
                  X509_CRL_verify(root_crl, X509_get0_pubkey(rootc)) == 1;
        X509_free(rootc);
        ERR_clear_error();
        if (!ok)
            FAIL(AEGIS_ERR_CRL, "root CA CRL is not signed by the pinned Intel SGX Root CA");
    }
    if (!add_crl_window(c, root_crl, "root CA CRL"))
        FAIL(AEGIS_ERR_CRL, "root CA CRL lacks nextUpdate");

    /* PCK CRL: issuer chain = PCK Platform/Processor CA + root. */
    err = aegis__pem_chain(pck_crl_chain_pem, strlen(pck_crl_chain_pem), &crl_chain);
    if (err != AEGIS_OK || sk_X509_num(crl_chain) != 2)
        FAIL(AEGIS_ERR_CRL, "PCK CRL issuer chain must be the PCK CA and the root");
    err = aegis__verify_chain(c->store, crl_chain, -1, AEGIS_ERR_CRL, &emsg);
    if (err != AEGIS_OK)
        goto out;
    X509 *pck_ca = sk_X509_value(crl_chain, 0);
    if (subject_cn_is(pck_ca, "Intel SGX PCK Platform CA"))
        strcpy(c->ca, "platform");
    else if (subject_cn_is(pck_ca, "Intel SGX PCK Processor CA"))
        strcpy(c->ca, "processor");
    else
        FAIL(AEGIS_ERR_CRL, "PCK CRL issuer is neither the Platform nor the Processor CA");
    if (X509_NAME_cmp(X509_CRL_get_issuer(pck_crl), X509_get_subject_name(pck_ca)) != 0 ||
        X509_CRL_verify(pck_crl, X509_get0_pubkey(pck_ca)) != 1) {
        ERR_clear_error();
        FAIL(AEGIS_ERR_CRL, "PCK CRL is not signed by its issuer");
    }
    if (!add_crl_window(c, pck_crl, "PCK CRL") || !add_cert_windows(c, crl_chain, "PCK CRL issuer chain"))
        FAIL(AEGIS_ERR_CRL, "PCK CRL lacks nextUpdate");

    /* TCB info and QE identity: chain, then the signature over the exact bytes. */
    if ((err = signing_chain(c, tcb_chain_pem, &tcb_chain, "TCB info issuer chain", &emsg)) != AEGIS_OK)
        goto out;
    if ((err = signing_chain(c, qe_chain_pem, &qe_chain, "QE identity issuer chain", &emsg)) != AEGIS_OK)
        goto out;
    if ((err = check_sig(sk_X509_value(tcb_chain, 0), tcb_info, tcb_len, tcb_sig,
                         AEGIS_ERR_TCB_INFO_BAD_SIG)) != AEGIS_OK)
        FAIL(err, "TCB info signature does not verify with the TCB signing key");
    if ((err = check_sig(sk_X509_value(qe_chain, 0), qe_identity, qe_len, qe_sig,
                         AEGIS_ERR_QE_IDENTITY_BAD_SIG)) != AEGIS_OK)
        FAIL(err, "QE identity signature does not verify with the TCB signing key");

    if ((err = aegis__tcb_info_parse(tcb_info, tcb_len, &c->tcb, &emsg)) != AEGIS_OK)
        goto out;
    if ((err = aegis__qe_identity_parse(qe_identity, qe_len, &c->qe, &emsg)) != AEGIS_OK)
        goto out;
    if (c->tcb.tee_type != c->qe.tee_type)
        FAIL(AEGIS_ERR_COLLATERAL_MISMATCH, "TCB info and QE identity are for different TEE types");
    add_window(c, c->tcb.issue_date, c->tcb.next_update, "TCB info");
    add_window(c, c->qe.issue_date, c->qe.next_update, "QE identity");

    c->valid_from = INT64_MIN;
    c->valid_until = INT64_MAX;
    for (size_t i = 0; i < c->n_win; i++) {
        if (c->win[i].from > c->valid_from)
            c->valid_from = c->win[i].from;
        if (c->win[i].until < c->valid_until)
            c->valid_until = c->win[i].until;
    }
    *ret = c;
    c = NULL;
    emsg = NULL;
out:
    if (reterr_msg)
        *reterr_msg = emsg;
    sk_X509_pop_free(tcb_chain, X509_free);
    sk_X509_pop_free(qe_chain, X509_free);
    sk_X509_pop_free(crl_chain, X509_free);
    X509_CRL_free(root_crl); /* the store keeps its own references */
    X509_CRL_free(pck_crl);
    aegis_collateral_unref(c);
    json_decref(root);
    return err;
}

aegis_err aegis_collateral_load_file(const char *path, aegis_collateral **ret, const char **reterr_msg)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    aegis_err err = aegis_file_read(path, COLLATERAL_MAX_BYTES, &buf, &n);
    if (err != AEGIS_OK) {
        if (reterr_msg)
            *reterr_msg = "cannot read the collateral file";
        return err;
    }
    err = aegis_collateral_load_json((const char *)buf, n, ret, reterr_msg);
    aegis_free(buf);
    return err;
}

aegis_collateral *aegis_collateral_ref(aegis_collateral *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void aegis_collateral_unref(aegis_collateral *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    X509_STORE_free(c->store);
    aegis__tcb_info_clear(&c->tcb);
    aegis__qe_identity_clear(&c->qe);
    aegis_free(c);
}

void aegis_collateral_get_info(const aegis_collateral *c, aegis_collateral_info *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->tee_type = c->tcb.tee_type;
    memcpy(ret->fmspc, c->tcb.fmspc, 6);
    memcpy(ret->ca, c->ca, sizeof(ret->ca));
    ret->valid_from = c->valid_from;
    ret->valid_until = c->valid_until;
    ret->tcb_eval_number = c->tcb.eval_number;
}

aegis_err aegis__collateral_check_time(const aegis_collateral *c, int64_t now, const char **msg)
{
    for (size_t i = 0; i < c->n_win; i++) {
        if (now < c->win[i].from) {
            *msg = c->win[i].what;
            return AEGIS_ERR_ATTEST_NOT_YET_VALID;
        }
        if (now >= c->win[i].until) {
            *msg = c->win[i].what;
            return AEGIS_ERR_ATTEST_EXPIRED;
        }
    }
    return AEGIS_OK;
}
