/* chain_json.c - the published batch / seal / key-set JSON format. */
#include <string.h>

#include "aegis/chain.h"

/* ---- key-based getters over the shared JSON shapes (aegis/json.h) ---- */

aegis_err aegis_chain_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n)
{
    return aegis_json_hex_exact(json_object_get(obj, key), out, n) ? AEGIS_OK : AEGIS_ERR_CHAIN_FORMAT;
}

aegis_err aegis_chain_get_hex_alloc(const json_t *obj, const char *key, size_t max,
                                    uint8_t **ret, size_t *ret_len)
{
    aegis_err err = aegis_json_hex_alloc(json_object_get(obj, key), max, ret, ret_len);
    return err == AEGIS_ERR_NOMEM ? err : err ? AEGIS_ERR_CHAIN_FORMAT : AEGIS_OK;
}

static aegis_err get_u64(const json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
    return aegis_json_uint(json_object_get(obj, key), max, out) ? AEGIS_OK : AEGIS_ERR_CHAIN_FORMAT;
}

/* keccak256("AEGIS-RECEIPT-V1" || envelope hash || tx hash || seq ||
 * envelope id || key epoch), integers u64 big-endian. */
void aegis_chain_receipt_hash(uint8_t out[static 32], const uint8_t envelope_hash[static 32],
                              const uint8_t tx_hash[static 32], uint64_t seq, uint64_t envelope_id,
                              uint64_t key_epoch)
{
    uint8_t buf[16 + 32 + 32 + 24];
    memcpy(buf, "AEGIS-RECEIPT-V1", 16);
    memcpy(buf + 16, envelope_hash, 32);
    memcpy(buf + 48, tx_hash, 32);
    aegis_put_be64(buf + 80, seq);
    aegis_put_be64(buf + 88, envelope_id);
    aegis_put_be64(buf + 96, key_epoch);
    aegis_keccak256(out, buf, sizeof(buf));
}

void aegis_chain_report_data(uint8_t out[static 64], const char *tag, const uint8_t value[static 32])
{
    memset(out, 0, 64);
    size_t n = strlen(tag);
    memcpy(out, tag, n > 32 ? 32 : n);
    memcpy(out + 32, value, 32);
}

void aegis_chain_batch_clear(aegis_chain_batch *b)
{
    aegis_free(b->txs);
    aegis_free(b->raw_store);
    aegis_free(b->sig_slh);
    aegis_chain_attest_clear(&b->primary);
    aegis_chain_attest_clear(&b->backup);
    memset(b, 0, sizeof(*b));
}

void aegis_chain_attest_clear(aegis_chain_attest *a)
{
    if (!a)
        return;
    aegis_free(a->quote);
    aegis_free(a->event_log);
    memset(a, 0, sizeof(*a));
}

aegis_err aegis_chain_attest_copy(aegis_chain_attest *dst, const aegis_chain_attest *src)
{
    *dst = *src;
    dst->quote = NULL;
    dst->event_log = NULL;
    if (src->quote && !(dst->quote = aegis_malloc(src->quote_len ? src->quote_len : 1)))
        goto nomem;
    if (src->quote)
        memcpy(dst->quote, src->quote, src->quote_len);
    if (src->event_log && !(dst->event_log = aegis_strndup(src->event_log, src->event_log_len)))
        goto nomem;
    return AEGIS_OK;
nomem:
    aegis_chain_attest_clear(dst);
    return AEGIS_ERR_NOMEM;
}

/* ---- header ---- */

static json_t *header_to_json(const struct aegis_batch_header *h)
{
    return json_pack("{s:i, s:I, s:I, s:o, s:I, s:i, s:o, s:i, s:o, s:i, s:i, s:i, s:I, s:i, s:o, s:I, s:o}",
                     "version", (int)h->version, "chain_id", (json_int_t)h->chain_id,
                     "number", (json_int_t)h->number, "parent_hash", aegis_json_hex(h->parent_hash, 32),
                     "timestamp_ms", (json_int_t)h->timestamp_ms, "tx_count", (int)h->tx_count,
                     "tx_root", aegis_json_hex(h->tx_root, 32), "strategy_id", (int)h->strategy_id,
                     "policy_hash", aegis_json_hex(h->policy_hash, 32), "risk_score", (int)h->risk_score,
                     "risk_level", (int)h->risk_level, "algorithm_set", (int)h->algorithm_set,
                     "key_epoch", (json_int_t)h->key_epoch, "protected_count", (int)h->protected_count,
                     "protected_hash", aegis_json_hex(h->protected_hash, 32),
                     "checkpoint_number", (json_int_t)h->checkpoint_number,
                     "checkpoint_hash", aegis_json_hex(h->checkpoint_hash, 32));
}

static aegis_err header_from_json(const json_t *j, struct aegis_batch_header *h)
{
    uint64_t v;
    const uint64_t I63 = (uint64_t)INT64_MAX;
    memset(h, 0, sizeof(*h));
#define U(key, field, max) \
    do { if (get_u64(j, key, max, &v)) return AEGIS_ERR_CHAIN_FORMAT; h->field = v; } while (0)
#define H(key, field) \
    do { if (aegis_chain_get_hex(j, key, h->field, 32)) return AEGIS_ERR_CHAIN_FORMAT; } while (0)
    U("version", version, 255);
    U("chain_id", chain_id, I63);
    U("number", number, I63);
    H("parent_hash", parent_hash);
    U("timestamp_ms", timestamp_ms, I63);
    U("tx_count", tx_count, AEGIS_CHAIN_MAX_TXS);
    H("tx_root", tx_root);
    U("strategy_id", strategy_id, 255);
    H("policy_hash", policy_hash);
    U("risk_score", risk_score, 10000);
    U("risk_level", risk_level, 2);
    U("algorithm_set", algorithm_set, AEGIS_ALG_ALL);
    U("key_epoch", key_epoch, I63);
    U("protected_count", protected_count, 0xffffffffu);
    H("protected_hash", protected_hash);
    U("checkpoint_number", checkpoint_number, I63);
    H("checkpoint_hash", checkpoint_hash);
#undef U
#undef H
    return AEGIS_OK;
}

/* ---- attestation ---- */

/* Record format 1.1: format 1 plus an optional "event_log" string (the
 * dstack agent's, verbatim) after "quote". Format-1 readers ignore it. */
json_t *aegis_chain_attest_to_json(const aegis_chain_attest *a)
{
    json_t *j = json_pack("{s:s, s:s, s:b, s:o, s:o}", "backend", a->backend, "mode", a->mode,
                          "insecure", a->insecure, "report_data", aegis_json_hex(a->report_data, 64),
                          "quote", aegis_json_hex(a->quote, a->quote_len));
    if (j && a->event_log &&
        json_object_set_new(j, "event_log", json_stringn(a->event_log, a->event_log_len)) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

aegis_err aegis_chain_attest_from_json(const json_t *j, aegis_chain_attest *a)
{
    const char *be = json_string_value(json_object_get(j, "backend"));
    const char *mode = json_string_value(json_object_get(j, "mode"));
    json_t *ins = json_object_get(j, "insecure");
    if (!be || !mode || !json_is_boolean(ins) || strlen(be) >= sizeof(a->backend) ||
        strlen(mode) >= sizeof(a->mode) || !be[0])
        return AEGIS_ERR_CHAIN_FORMAT;
    snprintf(a->backend, sizeof(a->backend), "%s", be);
    snprintf(a->mode, sizeof(a->mode), "%s", mode);
    a->insecure = json_is_true(ins);
    if (aegis_chain_get_hex(j, "report_data", a->report_data, 64))
        return AEGIS_ERR_CHAIN_FORMAT;
    aegis_err err = aegis_chain_get_hex_alloc(j, "quote", 64 * 1024, &a->quote, &a->quote_len);
    if (err)
        return err;
    json_t *ev = json_object_get(j, "event_log");
    if (!ev)
        return AEGIS_OK;
    size_t n = json_string_length(ev);
    if (!json_is_string(ev) || n == 0 || n > AEGIS_CHAIN_EVENT_LOG_MAX ||
        memchr(json_string_value(ev), 0, n))
        return AEGIS_ERR_CHAIN_FORMAT;
    if (!(a->event_log = aegis_strndup(json_string_value(ev), n)))
        return AEGIS_ERR_NOMEM;
    a->event_log_len = n;
    return AEGIS_OK;
}

/* ---- batch ---- */

json_t *aegis_chain_batch_to_json(const aegis_chain_batch *b)
{
    uint8_t abi[AEGIS_BATCH_HEADER_BYTES];
    if (aegis_batch_header_encode(&b->h, abi))
        return NULL;
    json_t *txs = json_array();
    for (size_t i = 0; txs && i < b->n_txs; i++) {
        const aegis_chain_tx *t = &b->txs[i];
        json_array_append_new(txs, json_pack("{s:o, s:o, s:o, s:o, s:o}",
                                             "raw", aegis_json_hex(t->raw, t->raw_len),
                                             "hash", aegis_json_hex(t->hash, 32),
                                             "sender", aegis_json_hex(t->sender, 20),
                                             "nonce", aegis_json_u64_new(t->nonce),
                                             "envelope_id", aegis_json_u64_new(t->envelope_id)));
    }
    json_t *sigs = json_pack("{s:o}", "ml-dsa-87", aegis_json_hex(b->sig_mldsa, sizeof(b->sig_mldsa)));
    if (sigs && b->has_ecdsa)
        json_object_set_new(sigs, "secp256k1", aegis_json_hex(b->sig_ecdsa, sizeof(b->sig_ecdsa)));
    if (sigs && b->sig_slh)
        json_object_set_new(sigs, "slh-dsa-sha2-256s", aegis_json_hex(b->sig_slh, AEGIS_SLHDSA256S_SIG_BYTES));
    json_t *att = json_object();
    if (att && b->primary.backend[0])
        json_object_set_new(att, "primary", aegis_chain_attest_to_json(&b->primary));
    if (att && b->backup.backend[0])
        json_object_set_new(att, "backup", aegis_chain_attest_to_json(&b->backup));
    json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "number", (json_int_t)b->h.number,
                          "hash", aegis_json_hex(b->hash, 32), "header", header_to_json(&b->h),
                          "header_abi", aegis_json_hex(abi, sizeof(abi)), "txs", txs,
                          "signatures", sigs, "attestation", att);
    if (j && b->has_seal) {
        json_t *path = json_array();
        for (size_t i = 0; i < b->seal_path_len; i++)
            json_array_append_new(path, aegis_json_hex(b->seal_path[i], 32));
        json_object_set_new(j, "seal", json_pack("{s:I, s:I, s:I, s:o}", "number", (json_int_t)b->seal_number,
                                                 "index", (json_int_t)b->seal_index,
                                                 "count", (json_int_t)b->seal_count, "path", path));
    }
    return j;
}

static aegis_err txs_from_json(const json_t *arr, aegis_chain_batch *b)
{
    size_t n = json_array_size(arr), total = 0;
    if (!json_is_array(arr) || n > AEGIS_CHAIN_MAX_TXS)
        return AEGIS_ERR_CHAIN_FORMAT;
    for (size_t i = 0; i < n; i++) {
        const char *raw = json_string_value(json_object_get(json_array_get(arr, i), "raw"));
        if (!raw || strlen(raw) < 4 || strncmp(raw, "0x", 2) != 0)
            return AEGIS_ERR_CHAIN_FORMAT;
        total += (strlen(raw) - 2) / 2;
    }
    b->txs = aegis_calloc(n ? n : 1, sizeof(*b->txs));
    b->raw_store = aegis_malloc(total ? total : 1);
    if (!b->txs || !b->raw_store)
        return AEGIS_ERR_NOMEM;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(arr, i);
        aegis_chain_tx *x = &b->txs[i];
        const char *raw = json_string_value(json_object_get(t, "raw"));
        size_t len = (strlen(raw) - 2) / 2;
        uint64_t nonce, env;
        if (aegis_hex_decode_exact(raw, b->raw_store + off, len) ||
            aegis_chain_get_hex(t, "hash", x->hash, 32) || aegis_chain_get_hex(t, "sender", x->sender, 20) ||
            !aegis_json_u64(json_object_get(t, "nonce"), UINT64_MAX, &nonce) ||
            !aegis_json_u64(json_object_get(t, "envelope_id"), UINT64_MAX, &env))
            return AEGIS_ERR_CHAIN_FORMAT;
        x->raw = b->raw_store + off;
        x->raw_len = len;
        x->nonce = nonce;
        x->envelope_id = env;
        off += len;
    }
    b->n_txs = n;
    return AEGIS_OK;
}

aegis_err aegis_chain_batch_from_json(const json_t *j, aegis_chain_batch *ret, const char **why)
{
    aegis_chain_batch b;
    memset(&b, 0, sizeof(b));
    aegis_err err = AEGIS_ERR_CHAIN_FORMAT;
    const char *w = "not an object";
    uint8_t abi[AEGIS_BATCH_HEADER_BYTES];
    uint64_t number;
    if (!json_is_object(j))
        goto fail;
    w = "header";
    if (header_from_json(json_object_get(j, "header"), &b.h))
        goto fail;
    w = "number / hash / header_abi";
    if (get_u64(j, "number", (uint64_t)INT64_MAX, &number) || number != b.h.number ||
        aegis_chain_get_hex(j, "hash", b.hash, 32) || aegis_chain_get_hex(j, "header_abi", abi, sizeof(abi)))
        goto fail;
    w = "header_abi is not the encoding of the header fields";
    uint8_t enc[AEGIS_BATCH_HEADER_BYTES];
    if (aegis_batch_header_encode(&b.h, enc) || memcmp(enc, abi, sizeof(abi)) != 0) {
        err = AEGIS_ERR_CHAIN_HEADER;
        goto fail;
    }
    w = "txs";
    err = txs_from_json(json_object_get(j, "txs"), &b);
    if (err)
        goto fail;
    err = AEGIS_ERR_CHAIN_FORMAT;
    w = "signatures";
    json_t *sigs = json_object_get(j, "signatures");
    if (aegis_chain_get_hex(sigs, "ml-dsa-87", b.sig_mldsa, sizeof(b.sig_mldsa)))
        goto fail;
    if (json_object_get(sigs, "secp256k1")) {
        if (aegis_chain_get_hex(sigs, "secp256k1", b.sig_ecdsa, sizeof(b.sig_ecdsa)))
            goto fail;
        b.has_ecdsa = true;
    }
    if (json_object_get(sigs, "slh-dsa-sha2-256s")) {
        b.sig_slh = aegis_malloc(AEGIS_SLHDSA256S_SIG_BYTES);
        if (!b.sig_slh) {
            err = AEGIS_ERR_NOMEM;
            goto fail;
        }
        if (aegis_chain_get_hex(sigs, "slh-dsa-sha2-256s", b.sig_slh, AEGIS_SLHDSA256S_SIG_BYTES))
            goto fail;
    }
    w = "attestation";
    json_t *att = json_object_get(j, "attestation");
    if (!json_is_object(att))
        goto fail;
    if (json_object_get(att, "primary") && aegis_chain_attest_from_json(json_object_get(att, "primary"), &b.primary))
        goto fail;
    if (json_object_get(att, "backup") && aegis_chain_attest_from_json(json_object_get(att, "backup"), &b.backup))
        goto fail;
    json_t *seal = json_object_get(j, "seal");
    if (seal) {
        w = "seal";
        json_t *path = json_object_get(seal, "path");
        if (get_u64(seal, "number", (uint64_t)INT64_MAX, &b.seal_number) ||
            get_u64(seal, "index", (uint64_t)INT64_MAX, &b.seal_index) ||
            get_u64(seal, "count", (uint64_t)INT64_MAX, &b.seal_count) || !json_is_array(path) ||
            json_array_size(path) > AEGIS_MERKLE_MAX_DEPTH)
            goto fail;
        for (size_t i = 0; i < json_array_size(path); i++) {
            const char *s = json_string_value(json_array_get(path, i));
            if (!s || aegis_hex_decode_exact(s, b.seal_path[i], 32))
                goto fail;
        }
        b.seal_path_len = json_array_size(path);
        b.has_seal = true;
    }
    *ret = b;
    return AEGIS_OK;
fail:
    aegis_chain_batch_clear(&b);
    if (why)
        *why = w;
    return err;
}

/* ---- seals ---- */

void aegis_chain_seal_digest(const aegis_chain_seal *s, uint8_t out[static 32])
{
    aegis_batch_seal_digest(s->chain_id, s->first, s->count, s->root, out);
}

json_t *aegis_chain_seal_to_json(const aegis_chain_seal *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "number", (json_int_t)s->number,
                     "first", (json_int_t)s->first, "count", (json_int_t)s->count,
                     "key_epoch", (json_int_t)s->key_epoch, "chain_id", (json_int_t)s->chain_id,
                     "root", aegis_json_hex(s->root, 32),
                     "slh-dsa-sha2-256s", aegis_json_hex(s->sig, sizeof(s->sig)));
}

aegis_err aegis_chain_seal_from_json(const json_t *j, aegis_chain_seal *ret, const char **why)
{
    aegis_chain_seal s;
    const uint64_t I63 = (uint64_t)INT64_MAX;
    if (get_u64(j, "number", I63, &s.number) || get_u64(j, "first", I63, &s.first) ||
        get_u64(j, "count", 1u << 20, &s.count) || get_u64(j, "key_epoch", I63, &s.key_epoch) ||
        get_u64(j, "chain_id", I63, &s.chain_id) || aegis_chain_get_hex(j, "root", s.root, 32) ||
        aegis_chain_get_hex(j, "slh-dsa-sha2-256s", s.sig, sizeof(s.sig)) || s.count == 0) {
        if (why)
            *why = "seal record fields";
        return AEGIS_ERR_CHAIN_FORMAT;
    }
    *ret = s;
    return AEGIS_OK;
}

/* ---- key sets ---- */

json_t *aegis_chain_keyset_to_json(const aegis_keyset_pub *pub, const aegis_chain_attest *att)
{
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES], hash[32], addr[20];
    aegis_keyset_pub_encode(enc, pub);
    aegis_keyset_pub_hash(hash, pub);
    aegis_eth_address(addr, pub->secp256k1);
    uint8_t key_id[32];
    aegis_envelope_key_id(key_id, pub->mlkem_ek, pub->x25519);
    json_t *j = json_pack("{s:I, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}, s:o}",
                          "epoch", (json_int_t)pub->epoch, "keyset_hash", aegis_json_hex(hash, 32),
                          "ml-kem-1024", aegis_json_hex(pub->mlkem_ek, sizeof(pub->mlkem_ek)),
                          "x25519", aegis_json_hex(pub->x25519, sizeof(pub->x25519)),
                          "key_id", aegis_json_hex(key_id, 32),
                          "signing",
                          "ml-dsa-87", aegis_json_hex(pub->mldsa87, sizeof(pub->mldsa87)),
                          "slh-dsa-sha2-256s", aegis_json_hex(pub->slhdsa, sizeof(pub->slhdsa)),
                          "secp256k1", aegis_json_hex(pub->secp256k1, sizeof(pub->secp256k1)),
                          "eth_address", aegis_json_hex(addr, 20),
                          "encoded", aegis_json_hex(enc, sizeof(enc)));
    if (j && att && att->backend[0])
        json_object_set_new(j, "attestation", aegis_chain_attest_to_json(att));
    return j;
}

aegis_err aegis_chain_keyset_from_json(const json_t *j, aegis_keyset_pub *pub, aegis_chain_attest *att,
                                       const char **why)
{
    uint8_t enc[AEGIS_KEYSET_PUB_BYTES], hash[32], want[32];
    if (aegis_chain_get_hex(j, "encoded", enc, sizeof(enc)) || aegis_keyset_pub_decode(pub, enc, sizeof(enc)) ||
        aegis_chain_get_hex(j, "keyset_hash", want, 32)) {
        if (why)
            *why = "key set encoding";
        return AEGIS_ERR_CHAIN_FORMAT;
    }
    aegis_keyset_pub_hash(hash, pub);
    if (!aegis_ct_eq(hash, want, 32)) {
        if (why)
            *why = "key set hash does not match its encoding";
        return AEGIS_ERR_CHAIN_FORMAT;
    }
    if (att) {
        memset(att, 0, sizeof(*att));
        json_t *a = json_object_get(j, "attestation");
        if (a && aegis_chain_attest_from_json(a, att)) {
            aegis_chain_attest_clear(att);
            if (why)
                *why = "key set attestation";
            return AEGIS_ERR_CHAIN_FORMAT;
        }
    }
    return AEGIS_OK;
}
