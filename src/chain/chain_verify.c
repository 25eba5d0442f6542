/* chain_verify.c - offline verification of published batches and seals. */
#include <string.h>

#include "aegis/chain.h"
#include "aegis/tee.h"

aegis_err aegis_chain_verify_seal(const aegis_chain_seal *s, const aegis_keyset_pub *pub, const char **why)
{
    uint8_t digest[32];
    if (s->key_epoch != pub->epoch) {
        *why = "seal key epoch does not match the key set";
        return AEGIS_ERR_CHAIN_EPOCH;
    }
    aegis_chain_seal_digest(s, digest);
    if (aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, s->sig, sizeof(s->sig), digest, 32,
                            (const uint8_t *)AEGIS_CHAIN_SEAL_CTX, strlen(AEGIS_CHAIN_SEAL_CTX),
                            pub->slhdsa) != AEGIS_OK) {
        *why = "SLH-DSA seal signature invalid";
        return AEGIS_ERR_CHAIN_SEAL;
    }
    return AEGIS_OK;
}

static aegis_err verify_txs(const aegis_chain_batch *b, const char **why)
{
    if (b->n_txs != b->h.tx_count || b->n_txs == 0) {
        *why = "tx count does not match the header";
        return AEGIS_ERR_CHAIN_TX_ROOT;
    }
    uint8_t (*hashes)[32] = aegis_malloc(b->n_txs * 32);
    if (!hashes)
        return AEGIS_ERR_NOMEM;
    aegis_err err = AEGIS_OK;
    for (size_t i = 0; i < b->n_txs; i++) {
        aegis_keccak256(hashes[i], b->txs[i].raw, b->txs[i].raw_len);
        if (!aegis_ct_eq(hashes[i], b->txs[i].hash, 32)) {
            *why = "a transaction hash is not keccak-256 of its bytes";
            err = AEGIS_ERR_CHAIN_TX_ROOT;
            goto out;
        }
    }
    uint8_t root[32];
    err = aegis_batch_merkle_root((const uint8_t (*)[32])hashes, b->n_txs, root);
    if (!err && !aegis_ct_eq(root, b->h.tx_root, 32)) {
        *why = "Merkle root of the transactions does not match the header";
        err = AEGIS_ERR_CHAIN_TX_ROOT;
    }
out:
    aegis_free(hashes);
    return err;
}

static aegis_err verify_sigs(const aegis_chain_batch *b, const aegis_keyset_pub *pub,
                             const aegis_chain_seal *seal, const aegis_chain_verify_opts *opts,
                             const char **why)
{
    const uint8_t *ctx = (const uint8_t *)AEGIS_CHAIN_BATCH_CTX;
    size_t ctx_len = strlen(AEGIS_CHAIN_BATCH_CTX);
    if (aegis_mldsa87_verify(b->sig_mldsa, sizeof(b->sig_mldsa), b->hash, 32, ctx, ctx_len, pub->mldsa87)) {
        *why = "ML-DSA-87 signature over the batch hash does not verify";
        return AEGIS_ERR_CHAIN_SIG_MLDSA;
    }
    if (b->h.algorithm_set & AEGIS_ALG_ECDSA) {
        /* Recover with the published recovery id, so what a contract's
         * ecrecover sees is what is checked here. */
        uint8_t rec[AEGIS_SECP256K1_PK_BYTES];
        if (!b->has_ecdsa || b->sig_ecdsa[64] > 1 ||
            aegis_secp256k1_verify(b->sig_ecdsa, b->hash, pub->secp256k1) != AEGIS_OK ||
            aegis_secp256k1_recover(rec, b->sig_ecdsa, b->sig_ecdsa[64], b->hash, true) != AEGIS_OK ||
            !aegis_ct_eq(rec, pub->secp256k1, sizeof(rec))) {
            *why = "secp256k1 signature missing or invalid although the algorithm set has ECDSA";
            return AEGIS_ERR_CHAIN_SIG_ECDSA;
        }
    } else if (b->has_ecdsa) {
        *why = "secp256k1 signature present but the algorithm set excludes ECDSA";
        return AEGIS_ERR_CHAIN_SIG_ECDSA;
    }
    if (b->sig_slh) {
        if (aegis_slhdsa_verify(AEGIS_SLHDSA_SHA2_256S, b->sig_slh, AEGIS_SLHDSA256S_SIG_BYTES, b->hash, 32,
                                ctx, ctx_len, pub->slhdsa) != AEGIS_OK) {
            *why = "SLH-DSA signature over the batch hash does not verify";
            return AEGIS_ERR_CHAIN_SIG_SLH;
        }
    } else if (b->has_seal && seal) {
        if (seal->number != b->seal_number || seal->count != b->seal_count ||
            b->h.number != seal->first + b->seal_index || b->seal_index >= seal->count ||
            aegis_batch_merkle_verify(b->hash, b->seal_index, seal->count,
                                      (const uint8_t (*)[32])b->seal_path, b->seal_path_len, seal->root)) {
            *why = "batch is not in its SLH-DSA seal (Merkle path or position)";
            return AEGIS_ERR_CHAIN_SIG_SLH;
        }
        aegis_err err = aegis_chain_verify_seal(seal, pub, why);
        if (err)
            return err;
    } else if (opts->require_slh) {
        *why = "no SLH-DSA signature and no seal covers this batch yet";
        return AEGIS_ERR_CHAIN_SIG_SLH;
    }
    return AEGIS_OK;
}

aegis_err aegis_chain_verify_batch(const aegis_chain_batch *b, const aegis_keyset_pub *pub,
                                   const aegis_chain_attest *keyset_att,
                                   const aegis_chain_batch *parent, const aegis_chain_seal *seal,
                                   const aegis_chain_verify_opts *opts, const char **why)
{
    uint8_t abi[AEGIS_BATCH_HEADER_BYTES], hash[32];
    static const uint8_t zero[32];
    if (aegis_batch_header_encode(&b->h, abi) || aegis_batch_header_hash(&b->h, hash) ||
        !aegis_ct_eq(hash, b->hash, 32)) {
        *why = "batch hash is not keccak-256 of the ABI-encoded header";
        return AEGIS_ERR_CHAIN_HEADER;
    }
    if (b->h.version != AEGIS_BATCH_VERSION || b->h.number == 0) {
        *why = "unknown header version or batch number 0";
        return AEGIS_ERR_CHAIN_HEADER;
    }
    if (b->h.key_epoch != pub->epoch) {
        *why = "batch key epoch differs from the key set's";
        return AEGIS_ERR_CHAIN_EPOCH;
    }
    if (parent) {
        if (b->h.number != parent->h.number + 1 || !aegis_ct_eq(b->h.parent_hash, parent->hash, 32) ||
            b->h.chain_id != parent->h.chain_id) {
            *why = "parent hash, chain id or numbering does not continue the previous batch";
            return AEGIS_ERR_CHAIN_PARENT;
        }
    } else if (b->h.number == 1 && !aegis_ct_eq(b->h.parent_hash, zero, 32)) {
        *why = "batch 1 must have a zero parent hash";
        return AEGIS_ERR_CHAIN_PARENT;
    }
    aegis_err err = verify_txs(b, why);
    if (!err)
        err = verify_sigs(b, pub, seal, opts, why);
    if (err)
        return err;

    /* Attestation: per-batch binds the batch hash; key-binding binds the key
     * set hash (the key set's own attestation), batches inheriting trust
     * through their signatures. Each record present is verified against its
     * platform's policy, then the pair against the statement its quotes
     * carry (chain_pair.c). */
    uint8_t rd[64], kh[32];
    const aegis_chain_attest *atts[2] = { &b->primary, &b->backup };
    aegis_keyset_pub_hash(kh, pub);
    for (int i = 0; i < 2; i++) {
        const aegis_chain_attest *a = atts[i];
        if (!a->backend[0])
            continue;
        bool per_batch = strcmp(a->mode, "per-batch") == 0;
        if (!per_batch && strcmp(a->mode, "key-binding") != 0) {
            *why = "unknown attestation mode";
            return AEGIS_ERR_CHAIN_ATTEST;
        }
        if (aegis_chain_expect_rd(a, per_batch ? AEGIS_CHAIN_TAG_BATCH : AEGIS_CHAIN_TAG_KEYSET,
                                  per_batch ? b->hash : kh, rd, NULL) != AEGIS_OK) {
            *why = "attestation report_data does not bind the expected value";
            return AEGIS_ERR_CHAIN_ATTEST;
        }
        err = aegis_chain_verify_attest(a, rd, opts, why);
        if (err)
            return err;
    }
    err = aegis_chain_verify_pair(&b->primary, &b->backup, opts, NULL, why);
    if (err)
        return err;
    /* Key-binding: the batch must carry the very attestation published with
     * its key set, when the caller has it. */
    if (keyset_att && keyset_att->backend[0] && strcmp(b->primary.mode, "key-binding") == 0 &&
        (b->primary.quote_len != keyset_att->quote_len ||
         !aegis_ct_eq(b->primary.quote, keyset_att->quote, keyset_att->quote_len))) {
        *why = "key-binding attestation differs from the one published with the key set";
        return AEGIS_ERR_CHAIN_ATTEST;
    }
    return AEGIS_OK;
}
