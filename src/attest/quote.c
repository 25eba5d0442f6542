/*
 * quote.c - DCAP quote parser: v3 (SGX), v4 (SGX/TDX), v5 (body descriptor:
 * SGX, TD report 1.0 or 1.5). Every length field is checked against what
 * remains; nothing is read past `len`. Layout: docs/internals/attestation.md.
 */
#include <string.h>

#include "attest_int.h"

#define HEADER_LEN 48
#define SGX_REPORT_LEN 384
#define TD10_LEN 584
#define TD15_LEN 648

static const uint8_t intel_qe_vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                             0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };

/* A bounded reader over the input. */
typedef struct rd {
    const uint8_t *p;
    size_t n, off;
} rd;

static const uint8_t *take(rd *r, size_t n)
{
    if (n > r->n - r->off)
        return NULL;
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static bool take_u16(rd *r, uint16_t *v)
{
    const uint8_t *p = take(r, 2);
    if (p)
        *v = aegis__le16(p);
    return p != NULL;
}

static bool take_u32(rd *r, uint32_t *v)
{
    const uint8_t *p = take(r, 4);
    if (p)
        *v = aegis__le32(p);
    return p != NULL;
}

static void parse_sgx_report(const uint8_t *b, aegis_sgx_report *r)
{
    memcpy(r->cpu_svn, b, 16);
    r->misc_select = aegis__le32(b + 16);
    memcpy(r->attributes, b + 48, 16);
    memcpy(r->mr_enclave, b + 64, 32);
    memcpy(r->mr_signer, b + 128, 32);
    r->isv_prod_id = aegis__le16(b + 256);
    r->isv_svn = aegis__le16(b + 258);
    memcpy(r->report_data, b + 320, 64);
}

static void parse_td_report(const uint8_t *b, bool td15, aegis_td_report *r)
{
    memset(r, 0, sizeof(*r));
    memcpy(r->tee_tcb_svn, b, 16);
    memcpy(r->mr_seam, b + 16, 48);
    memcpy(r->mr_signer_seam, b + 64, 48);
    memcpy(r->seam_attributes, b + 112, 8);
    memcpy(r->td_attributes, b + 120, 8);
    memcpy(r->xfam, b + 128, 8);
    memcpy(r->mr_td, b + 136, 48);
    memcpy(r->mr_config_id, b + 184, 48);
    memcpy(r->mr_owner, b + 232, 48);
    memcpy(r->mr_owner_config, b + 280, 48);
    for (int i = 0; i < 4; i++)
        memcpy(r->rtmr[i], b + 328 + 48 * i, 48);
    memcpy(r->report_data, b + 520, 64);
    if (td15) {
        memcpy(r->tee_tcb_svn2, b + 584, 16);
        memcpy(r->mr_service_td, b + 600, 48);
    }
}

#define FAIL(code, text)          \
    do {                          \
        err = (code);             \
        if (reterr_msg)           \
            *reterr_msg = (text); \
        goto out;                 \
    } while (0)

aegis_err aegis_quote_parse(const uint8_t *buf, size_t len, aegis_quote *ret,
                            const char **reterr_msg)
{
    aegis_err err = AEGIS_OK;
    aegis_quote q;
    rd r = { buf, len, 0 };
    const uint8_t *h, *p;

    memset(&q, 0, sizeof(q));
    if (!buf || !ret)
        FAIL(AEGIS_ERR_INVAL, "NULL argument");
    if (len > AEGIS_QUOTE_MAX_BYTES)
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "quote larger than 64 KiB");
    if (!(h = take(&r, HEADER_LEN)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "shorter than the 48-byte header");

    q.version = aegis__le16(h);
    q.att_key_type = aegis__le16(h + 2);
    q.tee_type = aegis__le32(h + 4);
    q.qe_svn = aegis__le16(h + 8);
    q.pce_svn = aegis__le16(h + 10);
    memcpy(q.qe_vendor_id, h + 12, 16);
    memcpy(q.user_data, h + 28, 20);

    if (q.version < 3 || q.version > 5)
        FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "quote version is not 3, 4 or 5");
    if (q.att_key_type != 2)
        FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "attestation key type is not ECDSA P-256");
    if (q.tee_type != AEGIS_QUOTE_TEE_SGX && q.tee_type != AEGIS_QUOTE_TEE_TDX)
        FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "TEE type is neither SGX nor TDX");
    if (q.version == 3 && q.tee_type != AEGIS_QUOTE_TEE_SGX)
        FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "quote v3 is SGX only");
    if (memcmp(q.qe_vendor_id, intel_qe_vendor, 16) != 0)
        FAIL(AEGIS_ERR_QUOTE_HEADER, "QE vendor id is not Intel's");

    /* body */
    if (q.version == 5) {
        uint16_t bt;
        uint32_t bs;
        if (!take_u16(&r, &bt) || !take_u32(&r, &bs))
            FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated body descriptor");
        size_t want = bt == 1 ? SGX_REPORT_LEN : bt == 2 ? TD10_LEN : bt == 3 ? TD15_LEN : 0;
        if (!want)
            FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "v5 body type is not 1, 2 or 3");
        if ((bt == 1) != (q.tee_type == AEGIS_QUOTE_TEE_SGX))
            FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "v5 body type does not match the TEE type");
        if (bs != want)
            FAIL(AEGIS_ERR_QUOTE_MALFORMED, "v5 body size does not match its type");
        q.body_type = (aegis_quote_body_type)bt;
        q.body_size = bs;
    } else {
        q.body_type = q.tee_type == AEGIS_QUOTE_TEE_TDX ? AEGIS_QUOTE_BODY_TD10 : AEGIS_QUOTE_BODY_SGX;
        q.body_size = q.body_type == AEGIS_QUOTE_BODY_SGX ? SGX_REPORT_LEN : TD10_LEN;
    }
    if (!(p = take(&r, q.body_size)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated report body");
    if (q.body_type == AEGIS_QUOTE_BODY_SGX)
        parse_sgx_report(p, &q.sgx);
    else
        parse_td_report(p, q.body_type == AEGIS_QUOTE_BODY_TD15, &q.td);
    q.signed_data = buf;
    q.signed_len = r.off;

    /* signature data: exactly sig_len bytes */
    uint32_t sig_len;
    if (!take_u32(&r, &sig_len))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "missing signature data length");
    const uint8_t *sd = take(&r, sig_len);
    if (!sd)
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "signature data length exceeds the quote");
    for (size_t i = r.off; i < len; i++)
        if (buf[i] != 0)
            FAIL(AEGIS_ERR_QUOTE_MALFORMED, "non-zero bytes after the signature data");
    q.parsed_len = r.off;

    rd s = { sd, sig_len, 0 };
    if (!(p = take(&s, 64)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated quote signature");
    memcpy(q.signature, p, 64);
    if (!(p = take(&s, 64)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated attestation key");
    memcpy(q.attest_key, p, 64);

    rd in = s; /* v3: QE data follows directly; v4/v5: inside a type-6 blob */
    if (q.version >= 4) {
        uint16_t ct;
        uint32_t cs;
        if (!take_u16(&s, &ct) || !take_u32(&s, &cs))
            FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated certification data header");
        if (ct != 6)
            FAIL(AEGIS_ERR_QUOTE_UNSUPPORTED, "outer certification data type is not 6 (QE report)");
        if (!(p = take(&s, cs)))
            FAIL(AEGIS_ERR_QUOTE_MALFORMED, "certification data size exceeds the signature data");
        in = (rd){ p, cs, 0 };
    }
    if (!(p = take(&in, SGX_REPORT_LEN)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated QE report");
    memcpy(q.qe_report_raw, p, SGX_REPORT_LEN);
    parse_sgx_report(p, &q.qe_report);
    if (!(p = take(&in, 64)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated QE report signature");
    memcpy(q.qe_report_sig, p, 64);
    uint16_t auth_len;
    if (!take_u16(&in, &auth_len) || !(q.qe_auth_data = take(&in, auth_len)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated QE authentication data");
    q.qe_auth_len = auth_len;
    uint32_t cert_len;
    if (!take_u16(&in, &q.cert_type) || !take_u32(&in, &cert_len))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "truncated certification data header");
    if (!(q.cert_data = take(&in, cert_len)))
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "certification data size exceeds its container");
    q.cert_len = cert_len;
    if (in.off != in.n)
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "bytes left over in the QE certification data");
    /* v4/v5: `in` was carved out of s, which is already past it */
    if ((q.version >= 4 ? s.off : in.off) != s.n)
        FAIL(AEGIS_ERR_QUOTE_MALFORMED, "bytes left over in the signature data");

    *ret = q;
out:
    return err;
}

const char *aegis_quote_tee_name(const aegis_quote *q)
{
    return q->tee_type == AEGIS_QUOTE_TEE_TDX ? "TDX" : "SGX";
}
