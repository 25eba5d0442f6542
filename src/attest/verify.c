/*
 * verify.c - DCAP quote verification at an explicit time (Intel's procedure,
 * BACKGROUND.md section 3, with Intel QVL's TCB rules).
 *
 * Check order and error codes: cheap structural checks of a signed item run
 * before its signature, so a corruption is reported by the most specific
 * check that sees it (a bad QE report_data is a binding error, a flipped
 * TD_ATTRIBUTES reserved bit a body error); a byte that only a signature
 * covers is reported as that signature's failure. Every check must pass
 * whatever the order, so the order affects only which code is reported.
 */
#include <stdio.h>
#include <string.h>


#include "attest_int.h"

static aegis_err fail(aegis_attest_result *res, aegis_err err, const char *msg)
{
    res->verified = false;
    res->err = err;
    res->err_msg = msg ? msg : aegis_strerror(err);
    return err;
}

static bool subject_cn_is(X509 *x, const char *cn)
{
    char buf[128] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof(buf));
    return strcmp(buf, cn) == 0;
}

aegis_err aegis_quote_pck_info(const aegis_quote *q, aegis_pck_info *ret, const char **reterr_msg)
{
    STACK_OF(X509) *chain = NULL;
    const char *msg = "PCK certificate chain cannot be parsed";
    aegis_err err;
    if (q->cert_type != 5) {
        if (reterr_msg)
            *reterr_msg = "certification data is not a PEM PCK chain (type 5)";
        return AEGIS_ERR_UNSUPPORTED;
    }
    err = aegis__pem_chain(q->cert_data, q->cert_len, &chain);
    if (err == AEGIS_OK)
        err = aegis__pck_ext(sk_X509_value(chain, 0), ret, &msg);
    sk_X509_pop_free(chain, X509_free);
    if (reterr_msg)
        *reterr_msg = err == AEGIS_OK ? NULL : msg;
    return err;
}

/* TD_ATTRIBUTES (little-endian u64): TUD bits 0-7 (bit 0 DEBUG, rest
 * reserved), SEC bits 8-31 (8-27 reserved, 28 SEPT_VE_DISABLE, 29 reserved,
 * 30 PKS, 31 KL), OTHER bits 32-63 (32-62 reserved, 63 PERFMON). */
static aegis_err check_body(const aegis_quote *q, const char **msg)
{
    if (q->body_type == AEGIS_QUOTE_BODY_SGX) {
        if (!(q->sgx.attributes[0] & 0x01)) {
            *msg = "enclave ATTRIBUTES.INIT is clear";
            return AEGIS_ERR_QUOTE_BODY;
        }
        return AEGIS_OK;
    }
    uint64_t a = 0;
    for (int i = 7; i >= 0; i--)
        a = (a << 8) | q->td.td_attributes[i];
    if ((a & 0xfeull) || (a & 0x0fffff00ull) || (a & (1ull << 29)) || (a & 0x7fffffff00000000ull)) {
        *msg = "reserved TD_ATTRIBUTES bits are set";
        return AEGIS_ERR_QUOTE_BODY;
    }
    if (!(a & (1ull << 28))) {
        *msg = "TD_ATTRIBUTES.SEPT_VE_DISABLE is clear";
        return AEGIS_ERR_QUOTE_BODY;
    }
    return AEGIS_OK;
}

/* QE report vs QE identity; returns the QE TCB level. */
static aegis_err check_qe_identity(const aegis__qe_identity *id, const aegis_sgx_report *qe,
                                   const aegis__isv_level **ret, const char **msg)
{
    *msg = "QE report does not match the QE identity";
    if (memcmp(qe->mr_signer, id->mrsigner, 32) != 0) {
        *msg = "QE MRSIGNER differs from the QE identity";
        return AEGIS_ERR_QE_IDENTITY_MISMATCH;
    }
    if (qe->isv_prod_id != id->isvprodid) {
        *msg = "QE ISVPRODID differs from the QE identity";
        return AEGIS_ERR_QE_IDENTITY_MISMATCH;
    }
    if ((qe->misc_select & id->miscselect_mask) != (id->miscselect & id->miscselect_mask)) {
        *msg = "QE MISCSELECT differs under the mask";
        return AEGIS_ERR_QE_IDENTITY_MISMATCH;
    }
    for (int i = 0; i < 16; i++)
        if ((qe->attributes[i] & id->attributes_mask[i]) != (id->attributes[i] & id->attributes_mask[i])) {
            *msg = "QE ATTRIBUTES differ under the mask";
            return AEGIS_ERR_QE_IDENTITY_MISMATCH;
        }
    if (qe->attributes[0] & 0x02) {
        *msg = "QE is a debug enclave";
        return AEGIS_ERR_QE_IDENTITY_MISMATCH;
    }
    for (size_t i = 0; i < id->n_levels; i++)
        if (qe->isv_svn >= id->levels[i].isvsvn) {
            *ret = &id->levels[i];
            return AEGIS_OK;
        }
    *msg = "QE ISVSVN is below every QE identity TCB level";
    return AEGIS_ERR_QE_TCB_NOT_SUPPORTED;
}

static const aegis__tcb_level *match_platform(const aegis__tcb_info *t, const aegis_pck_info *pck,
                                              const aegis_quote *q)
{
    bool tdx = t->tee_type == AEGIS_QUOTE_TEE_TDX;
    /* Intel: with a module major version, bytes 0-1 of TEE_TCB_SVN are
     * judged by the module identity, not by tdxtcbcomponents. */
    int tdx_from = tdx && q->td.tee_tcb_svn[1] > 0 ? 2 : 0;
    for (size_t i = 0; i < t->n_levels; i++) {
        const aegis__tcb_level *l = &t->levels[i];
        bool ok = pck->pcesvn >= l->pcesvn;
        for (int k = 0; ok && k < 16; k++)
            ok = pck->cpusvn[k] >= l->sgx_svn[k];
        for (int k = tdx_from; ok && tdx && k < 16; k++)
            ok = q->td.tee_tcb_svn[k] >= l->tdx_svn[k];
        if (ok)
            return l;
    }
    return NULL;
}

static bool module_matches(const aegis__module_identity *m, const aegis_td_report *td)
{
    if (memcmp(m->mrsigner, td->mr_signer_seam, 48) != 0)
        return false;
    for (int i = 0; i < 8; i++)
        if ((td->seam_attributes[i] & m->attributes_mask[i]) != (m->attributes[i] & m->attributes_mask[i]))
            return false;
    return true;
}

/* TDX module identity; *ret is the module TCB level or NULL (version 0). */
static aegis_err check_module(const aegis__tcb_info *t, const aegis_td_report *td,
                              const aegis__isv_level **ret, const char **msg)
{
    *ret = NULL;
    uint8_t major = td->tee_tcb_svn[1];
    if (major == 0 || t->n_modules == 0) {
        if (t->has_tdx_module && !module_matches(&t->tdx_module, td)) {
            *msg = "MRSIGNERSEAM or SEAM_ATTRIBUTES differ from tdxModule";
            return AEGIS_ERR_TDX_MODULE_MISMATCH;
        }
        return AEGIS_OK;
    }
    char id[16];
    snprintf(id, sizeof(id), "TDX_%02X", major);
    for (size_t i = 0; i < t->n_modules; i++) {
        const aegis__module_identity *m = &t->modules[i];
        if (strcmp(m->id, id) != 0)
            continue;
        if (!module_matches(m, td)) {
            *msg = "MRSIGNERSEAM or SEAM_ATTRIBUTES differ from the module identity";
            return AEGIS_ERR_TDX_MODULE_MISMATCH;
        }
        for (size_t k = 0; k < m->n_levels; k++)
            if (td->tee_tcb_svn[0] >= m->levels[k].isvsvn) {
                *ret = &m->levels[k];
                return AEGIS_OK;
            }
        *msg = "TDX module ISVSVN is below every module TCB level";
        return AEGIS_ERR_TDX_MODULE_MISMATCH;
    }
    *msg = "no tdxModuleIdentities entry for the module version";
    return AEGIS_ERR_TDX_MODULE_MISMATCH;
}

/* Intel QVL convergeTcbStatuses: start from the platform; an OutOfDate QE or
 * module makes it OutOfDate (or OutOfDateConfigurationNeeded when the
 * platform needs configuration); any Revoked is Revoked. */
static aegis_tcb_status converge(aegis_tcb_status p, aegis_tcb_status qe, aegis_tcb_status mod)
{
    if (p == AEGIS_TCB_REVOKED || qe == AEGIS_TCB_REVOKED || mod == AEGIS_TCB_REVOKED)
        return AEGIS_TCB_REVOKED;
    if (qe == AEGIS_TCB_OUT_OF_DATE || mod == AEGIS_TCB_OUT_OF_DATE) {
        switch (p) {
        case AEGIS_TCB_UP_TO_DATE:
        case AEGIS_TCB_SW_HARDENING_NEEDED:
            return AEGIS_TCB_OUT_OF_DATE;
        case AEGIS_TCB_CONFIGURATION_NEEDED:
        case AEGIS_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
            return AEGIS_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
        default:
            return p;
        }
    }
    return p;
}

/* `pre` is the quote's PCK chain when the caller already parsed it
 * (borrowed), else NULL. */
static aegis_err verify_impl(const uint8_t *quote, size_t quote_len, const aegis_collateral *coll,
                             int64_t now, aegis_attest_result *res, STACK_OF(X509) *pre)
{
    aegis_err err;
    const char *msg = NULL;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *akey = NULL;
    const aegis__isv_level *qe_level = NULL, *mod_level = NULL;
    const aegis__tcb_level *plat = NULL;

    if (!res)
        return AEGIS_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    res->tcb_status = res->platform_status = res->qe_status = res->module_status = AEGIS_TCB_UNKNOWN;
    res->verified_at = now;
    if (!quote || !coll)
        return fail(res, AEGIS_ERR_INVAL, "NULL quote or collateral");

    /* 0. header and structure */
    if ((err = aegis_quote_parse(quote, quote_len, &res->quote, &msg)) != AEGIS_OK)
        return fail(res, err, msg);
    res->quote_parsed = true;
    const aegis_quote *q = &res->quote;
    if (q->tee_type != coll->tcb.tee_type)
        return fail(res, AEGIS_ERR_COLLATERAL_MISMATCH, "collateral is for the other TEE type");
    if (q->cert_type != 5)
        return fail(res, AEGIS_ERR_QUOTE_UNSUPPORTED,
                    "certification data is not a PEM PCK chain (type 5)");

    /* 1-3. collateral: its signatures were verified when it was loaded;
     * here every validity window at `now` */
    res->collateral_until = coll->valid_until;
    if ((err = aegis__collateral_check_time(coll, now, &msg)) != AEGIS_OK)
        return fail(res, err, msg);

    /* 4. PCK chain to the pinned root, with both CRLs, at `now` */
    if (pre) {
        chain = pre;
    } else if ((err = aegis__pem_chain(q->cert_data, q->cert_len, &chain)) != AEGIS_OK) {
        fail(res, err, "PCK certificate chain cannot be parsed");
        goto out;
    }
    if (sk_X509_num(chain) != 3) {
        fail(res, AEGIS_ERR_PCK_CHAIN, "PCK chain must be leaf, PCK CA and root");
        goto out;
    }
    if ((err = aegis__verify_chain(coll->store, chain, now, AEGIS_ERR_PCK_CHAIN, &msg)) != AEGIS_OK) {
        if (err == AEGIS_ERR_CERT_REVOKED)
            res->tcb_status = AEGIS_TCB_REVOKED;
        fail(res, err, msg);
        goto out;
    }
    X509 *leaf = sk_X509_value(chain, 0);
    if (!subject_cn_is(leaf, "Intel SGX PCK Certificate")) {
        fail(res, AEGIS_ERR_PCK_CHAIN, "leaf is not an Intel SGX PCK Certificate");
        goto out;
    }
    if ((err = aegis__pck_ext(leaf, &res->pck, &msg)) != AEGIS_OK) {
        fail(res, err, msg);
        goto out;
    }
    res->pck_parsed = true;

    /* 12 (structural part). report attributes */
    if ((err = check_body(q, &msg)) != AEGIS_OK) {
        fail(res, err, msg);
        goto out;
    }

    /* 6. QE report_data = SHA-256(attestation key || QE auth data) || 0^32 */
    {
        uint8_t h[EVP_MAX_MD_SIZE];
        static const uint8_t zero[32];
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
                  EVP_DigestUpdate(md, q->attest_key, 64) == 1 &&
                  EVP_DigestUpdate(md, q->qe_auth_data, q->qe_auth_len) == 1 &&
                  EVP_DigestFinal_ex(md, h, NULL) == 1;
        EVP_MD_CTX_free(md);
        if (!ok) {
            fail(res, AEGIS_ERR_NOMEM, "SHA-256 failed");
            goto out;
        }
        if (memcmp(h, q->qe_report.report_data, 32) != 0 || memcmp(q->qe_report.report_data + 32, zero, 32) != 0) {
            fail(res, AEGIS_ERR_QE_REPORT_BINDING, NULL);
            goto out;
        }
    }

    /* 5. QE report signed by the PCK key */
    if (!aegis__ecdsa_verify(X509_get0_pubkey(leaf), q->qe_report_raw, sizeof(q->qe_report_raw),
                             q->qe_report_sig)) {
        fail(res, AEGIS_ERR_QE_REPORT_BAD_SIG, NULL);
        goto out;
    }

    /* 8. quote signed by the attestation key over header (+ descriptor) + body */
    akey = aegis__p256_key(q->attest_key);
    if (!akey || !aegis__ecdsa_verify(akey, q->signed_data, q->signed_len, q->signature)) {
        fail(res, AEGIS_ERR_QUOTE_BAD_SIG, akey ? NULL : "attestation key is not a P-256 point");
        goto out;
    }

    /* 7. QE identity */
    if ((err = check_qe_identity(&coll->qe, &q->qe_report, &qe_level, &msg)) != AEGIS_OK) {
        fail(res, err, msg);
        goto out;
    }
    res->qe_status = qe_level->status;

    /* 9. platform TCB level */
    if (memcmp(res->pck.fmspc, coll->tcb.fmspc, 6) != 0 || memcmp(res->pck.pceid, coll->tcb.pceid, 2) != 0) {
        fail(res, AEGIS_ERR_FMSPC_MISMATCH, NULL);
        goto out;
    }
    if (!(plat = match_platform(&coll->tcb, &res->pck, q))) {
        res->tcb_status = res->platform_status = AEGIS_TCB_NOT_SUPPORTED;
        fail(res, AEGIS_ERR_TCB_NOT_SUPPORTED, "no TCB level matches the PCK CPUSVN/PCESVN/TEE_TCB_SVN");
        goto out;
    }
    res->platform_status = plat->status;

    /* 10. TDX module identity */
    if (q->tee_type == AEGIS_QUOTE_TEE_TDX) {
        if ((err = check_module(&coll->tcb, &q->td, &mod_level, &msg)) != AEGIS_OK) {
            fail(res, err, msg);
            goto out;
        }
        if (mod_level)
            res->module_status = mod_level->status;
    }

    /* 11. converge; advisories platform || QE || module */
    res->tcb_status = converge(res->platform_status, res->qe_status, res->module_status);
    aegis__advisories adv = { 0 };
    if (aegis__advisories_union(&adv, &plat->adv) != AEGIS_OK ||
        aegis__advisories_union(&adv, &qe_level->adv) != AEGIS_OK ||
        (mod_level && aegis__advisories_union(&adv, &mod_level->adv) != AEGIS_OK)) {
        fail(res, AEGIS_ERR_TOO_BIG, "too many advisory ids");
        goto out;
    }
    res->n_advisories = adv.n;
    memcpy(res->advisory_ids, adv.id, sizeof(adv.id));
    if (res->tcb_status == AEGIS_TCB_REVOKED) {
        fail(res, AEGIS_ERR_TCB_REVOKED, NULL);
        goto out;
    }
    res->verified = true;
    res->err = AEGIS_OK;
    res->err_msg = NULL;
out:
    EVP_PKEY_free(akey);
    if (chain != pre)
        sk_X509_pop_free(chain, X509_free);
    return res->err;
}

aegis_err aegis_attest_verify(const uint8_t *quote, size_t quote_len, const aegis_collateral *coll,
                              int64_t now, aegis_attest_result *res)
{
    return verify_impl(quote, quote_len, coll, now, res, NULL);
}

aegis_err aegis_attest_verify_cached(const uint8_t *quote, size_t quote_len,
                                     aegis_collateral_cache *cache, int64_t now,
                                     aegis_attest_result *res)
{
    aegis_quote q;
    aegis_pck_info pck;
    aegis_collateral *coll = NULL;
    const char *msg = NULL;
    aegis_err err;

    if (!res)
        return AEGIS_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    res->tcb_status = res->platform_status = res->qe_status = res->module_status = AEGIS_TCB_UNKNOWN;
    res->verified_at = now;
    if (!quote || !cache)
        return fail(res, AEGIS_ERR_INVAL, "NULL quote or cache");
    if ((err = aegis_quote_parse(quote, quote_len, &q, &msg)) != AEGIS_OK)
        return fail(res, err, msg);
    if (q.cert_type != 5)
        return fail(res, AEGIS_ERR_QUOTE_UNSUPPORTED, "certification data is not a PEM PCK chain (type 5)");
    /* parse the PCK chain once: for the cache key here, then for verification */
    STACK_OF(X509) *chain = NULL;
    if ((err = aegis__pem_chain(q.cert_data, q.cert_len, &chain)) != AEGIS_OK)
        return fail(res, err, "PCK certificate chain cannot be parsed");
    if ((err = aegis__pck_ext(sk_X509_value(chain, 0), &pck, &msg)) != AEGIS_OK ||
        (err = aegis_collateral_cache_get(cache, q.tee_type, pck.fmspc, pck.ca, now, &coll, &msg)) != AEGIS_OK) {
        sk_X509_pop_free(chain, X509_free);
        return fail(res, err, msg);
    }
    err = verify_impl(quote, quote_len, coll, now, res, chain);
    sk_X509_pop_free(chain, X509_free);
    aegis_collateral_unref(coll);
    return err;
}
