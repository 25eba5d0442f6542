/* build.c - encode and sign transactions (tests, `aegis tx new`, loadgen). */
#include <string.h>

#include "aegis/crypto.h"
#include "aegis/rlp.h"
#include "tx_int.h"

/* Generous cap: the decoder's default limit plus room for headers. */
#define BUILD_MAX (AEGIS_TX_DEFAULT_MAX_BYTES * 4)

static void enc_u256(aegis_rlp_enc *e, const aegis_u256 *v)
{
    uint8_t be[32];
    aegis_u256_to_be(be, v);
    aegis_rlp_enc_be(e, be, 32);
}

/* The unsigned fields, in type order, without the enclosing list. */
static void enc_fields(aegis_rlp_enc *e, const aegis_tx_params *p)
{
    if (p->type != AEGIS_TX_TYPE_LEGACY)
        aegis_rlp_enc_uint(e, p->chain_id);
    aegis_rlp_enc_uint(e, p->nonce);
    if (p->type == AEGIS_TX_TYPE_DYNAMIC_FEE) {
        enc_u256(e, &p->max_priority_fee);
        enc_u256(e, &p->max_fee);
    } else {
        enc_u256(e, &p->gas_price);
    }
    aegis_rlp_enc_uint(e, p->gas_limit);
    aegis_rlp_enc_bytes(e, p->to, p->is_create ? 0 : 20);
    enc_u256(e, &p->value);
    aegis_rlp_enc_bytes(e, p->data, p->data_len);
    if (p->type != AEGIS_TX_TYPE_LEGACY) {
        aegis_rlp_enc_list_begin(e);
        for (size_t i = 0; i < p->access_list_len; i++) {
            const aegis_tx_al_entry *a = &p->access_list[i];
            aegis_rlp_enc_list_begin(e);
            aegis_rlp_enc_bytes(e, a->address, 20);
            aegis_rlp_enc_list_begin(e);
            for (size_t k = 0; k < a->n_keys; k++)
                aegis_rlp_enc_bytes(e, a->keys[k], 32);
            aegis_rlp_enc_list_end(e);
            aegis_rlp_enc_list_end(e);
        }
        aegis_rlp_enc_list_end(e);
    }
}

static aegis_err check_params(const aegis_tx_params *p)
{
    if (p->type > AEGIS_TX_TYPE_DYNAMIC_FEE)
        return AEGIS_ERR_TX_TYPE_UNSUPPORTED;
    if ((p->data_len && !p->data) || (p->access_list_len && !p->access_list))
        return AEGIS_ERR_INVAL;
    if (p->type == AEGIS_TX_TYPE_LEGACY && p->access_list_len)
        return AEGIS_ERR_INVAL;
    return AEGIS_OK;
}

aegis_err aegis_tx_params_signing_hash(const aegis_tx_params *p, uint8_t out[static 32])
{
    aegis_err err = check_params(p);
    if (err)
        return err;
    aegis_rlp_enc e;
    uint8_t *buf = NULL;
    size_t len = 0;
    aegis_rlp_enc_init(&e, BUILD_MAX);
    aegis_rlp_enc_list_begin(&e);
    enc_fields(&e, p);
    if (p->type == AEGIS_TX_TYPE_LEGACY && p->eip155) {
        aegis_rlp_enc_uint(&e, p->chain_id);
        aegis_rlp_enc_uint(&e, 0);
        aegis_rlp_enc_uint(&e, 0);
    }
    aegis_rlp_enc_list_end(&e);
    if ((err = aegis_rlp_enc_finish(&e, &buf, &len)))
        return err;
    if (p->type == AEGIS_TX_TYPE_LEGACY) {
        aegis_keccak256(out, buf, len);
    } else {
        aegis_keccak k;
        uint8_t t = p->type;
        aegis_keccak256_init(&k);
        aegis_keccak256_update(&k, &t, 1);
        aegis_keccak256_update(&k, buf, len);
        aegis_keccak256_final(&k, out);
    }
    aegis_free(buf);
    return AEGIS_OK;
}

aegis_err aegis_tx_build(const aegis_tx_params *p, const uint8_t sk[static 32], uint8_t **ret,
                         size_t *ret_len)
{
    uint8_t digest[32], sig[65];
    uint8_t *body = NULL, *out = NULL;
    size_t body_len = 0;
    aegis_rlp_enc e;
    aegis_err err = aegis_tx_params_signing_hash(p, digest);
    if (err)
        return err;
    if ((err = aegis_secp256k1_sign(sig, digest, sk)))
        goto out;

    aegis_rlp_enc_init(&e, BUILD_MAX);
    aegis_rlp_enc_list_begin(&e);
    enc_fields(&e, p);
    if (p->type == AEGIS_TX_TYPE_LEGACY) {
        aegis_u256 v, add;
        if (p->eip155) {
            /* v = chain_id * 2 + 35 + recid, computed in 256 bits. */
            aegis_u256 two;
            aegis_u256_from_u64(&v, p->chain_id);
            aegis_u256_from_u64(&two, 2);
            (void)aegis_u256_mul(&v, &v, &two);
            aegis_u256_from_u64(&add, 35u + sig[64]);
        } else {
            aegis_u256_from_u64(&v, 0);
            aegis_u256_from_u64(&add, 27u + sig[64]);
        }
        (void)aegis_u256_add(&v, &v, &add);
        enc_u256(&e, &v);
    } else {
        aegis_rlp_enc_uint(&e, sig[64]);
    }
    aegis_rlp_enc_be(&e, sig, 32);
    aegis_rlp_enc_be(&e, sig + 32, 32);
    aegis_rlp_enc_list_end(&e);
    if ((err = aegis_rlp_enc_finish(&e, &body, &body_len)))
        goto out;
    if (p->type == AEGIS_TX_TYPE_LEGACY) {
        out = body;
        body = NULL;
        *ret = out;
        *ret_len = body_len;
    } else {
        out = aegis_malloc(body_len + 1);
        if (!out) {
            err = AEGIS_ERR_NOMEM;
            goto out;
        }
        out[0] = p->type;
        memcpy(out + 1, body, body_len);
        *ret = out;
        *ret_len = body_len + 1;
    }
out:
    aegis_free(body);
    aegis_memzero(sig, sizeof(sig));
    return err;
}
