/*
 * gen_envelope_vectors.c - writes tests/vectors/envelope/envelope.json: the
 * envelope known-answer vectors a client in another language is written
 * against (docs/internals/envelope.md, "Test vectors").
 *
 * Every input is derived from a label (SHA-256 of "aegis-envelope-vectors/
 * v1/<case>/<label>"), so the file is reproducible: ctest runs this program
 * and diffs its output with the committed file. Each intermediate value is
 * computed here step by step from the primitives, as the doc describes them,
 * and the result must equal what aegis_envelope_seal_derand() produces; each
 * negative case's error is what aegis_envelope_parse/_open (or _seal) return
 * for it, and must equal the error the table below expects. Either mismatch
 * aborts with exit status 1, so the file can only say what the code does.
 *
 * Usage: gen_envelope_vectors > envelope.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/envelope.h"
#include "aegis/tx.h"

#define HDR AEGIS_ENVELOPE_HEADER_BYTES

static const char kdf_salt[] = "AEGIS-ENVELOPE-V1";
static const char kdf_label[] = "aegis/envelope/v1/suite1";

static void die(const char *what, aegis_err err)
{
    fprintf(stderr, "gen_envelope_vectors: %s: %s (%s)\n", what, aegis_strerror(err),
            aegis_err_name(err));
    exit(1);
}

static void seed(uint8_t out[32], const char *case_name, const char *label)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "aegis-envelope-vectors/v1/%s/%s", case_name, label);
    aegis_sha256(out, buf, (size_t)n);
}

static json_t *hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 3);
    if (!s)
        exit(1);
    s[0] = '0';
    s[1] = 'x';
    aegis_hex_encode(s + 2, p, n);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *u64s(uint64_t v)
{
    char b[24];
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    return json_string(b);
}

/* One valid case: everything a sender computes, in order. */
typedef struct vcase {
    const char *name, *about;
    uint64_t epoch;
    size_t pt_kind;          /* 0: signed EIP-1559 tx, 1: empty, 2: 300 bytes 0x00..0xff.. */
    /* filled in */
    aegis_envelope_pub pub;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES], xsk[32], key_id[32];
    uint8_t *pt;
    size_t pt_len;
    uint8_t *env;
    size_t env_len;
} vcase;

static vcase cases[] = {
    { "eip1559-transfer", "a signed EIP-1559 transfer (chain id 1), epoch 1", 1, 0, { 0 }, { 0 }, { 0 }, { 0 }, NULL, 0, NULL, 0 },
    { "empty-plaintext", "zero-length plaintext: header and tag only", 7, 1, { 0 }, { 0 }, { 0 }, { 0 }, NULL, 0, NULL, 0 },
    { "large-epoch", "epoch above 2^53 (read it as a string), 300-byte plaintext", 0x0123456789abcdefull, 2,
      { 0 }, { 0 }, { 0 }, { 0 }, NULL, 0, NULL, 0 },
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void make_plaintext(vcase *c)
{
    if (c->pt_kind == 1) {
        c->pt = malloc(1);
        c->pt_len = 0;
        return;
    }
    if (c->pt_kind == 2) {
        c->pt_len = 300;
        c->pt = malloc(c->pt_len);
        for (size_t i = 0; i < c->pt_len; i++)
            c->pt[i] = (uint8_t)i;
        return;
    }
    aegis_tx_params p;
    memset(&p, 0, sizeof(p));
    p.type = AEGIS_TX_TYPE_DYNAMIC_FEE;
    p.chain_id = 1;
    p.nonce = 0;
    p.gas_limit = 21000;
    aegis_u256_from_u64(&p.max_fee, 2000000000);
    aegis_u256_from_u64(&p.max_priority_fee, 1000000000);
    aegis_u256_from_u64(&p.value, 1000000000000000ull);
    memset(p.to, 0x11, 20);
    uint8_t sk[32];
    seed(sk, c->name, "tx-sender-secp256k1");
    uint8_t *raw = NULL;
    aegis_err err = aegis_tx_build(&p, sk, &raw, &c->pt_len);
    if (err)
        die("tx build", err);
    c->pt = malloc(c->pt_len);
    memcpy(c->pt, raw, c->pt_len);
    aegis_free(raw);
}

static json_t *valid_case(vcase *c)
{
    aegis_err err;
    uint8_t d[32], z[32];
    aegis_envelope_coins coins;
    seed(d, c->name, "mlkem-d");
    seed(z, c->name, "mlkem-z");
    seed(c->xsk, c->name, "x25519-sk");
    seed(coins.mlkem_m, c->name, "mlkem-m");
    seed(coins.eph_sk, c->name, "ephemeral-x25519-sk");
    uint8_t nb[32];
    seed(nb, c->name, "nonce");
    memcpy(coins.nonce, nb, sizeof(coins.nonce));
    make_plaintext(c);

    c->pub.epoch = c->epoch;
    if ((err = aegis_mlkem1024_keygen_dz(c->pub.mlkem_ek, c->dk, d, z)) ||
        (err = aegis_x25519_public(c->pub.x25519_pk, c->xsk)))
        die("recipient keygen", err);
    aegis_envelope_key_id(c->key_id, c->pub.mlkem_ek, c->pub.x25519_pk);

    /* The steps of docs/internals/envelope.md, from the primitives. */
    uint8_t kem_ct[AEGIS_MLKEM1024_CT_BYTES], ss_kem[32], eph_pk[32], ss_x[32];
    if ((err = aegis_mlkem1024_encaps_m(kem_ct, ss_kem, c->pub.mlkem_ek, coins.mlkem_m)) ||
        (err = aegis_x25519_public(eph_pk, coins.eph_sk)) ||
        (err = aegis_x25519(ss_x, coins.eph_sk, c->pub.x25519_pk)))
        die("kem steps", err);
    uint8_t header[HDR];
    memcpy(header, AEGIS_ENVELOPE_MAGIC, 4);
    header[4] = AEGIS_ENVELOPE_VERSION;
    aegis_put_be16(header + 5, AEGIS_ENVELOPE_SUITE_HYBRID1);
    aegis_put_be64(header + 7, c->epoch);
    memcpy(header + 15, c->key_id, 32);
    memcpy(header + 47, kem_ct, sizeof(kem_ct));
    memcpy(header + 1615, eph_pk, 32);
    memcpy(header + 1647, coins.nonce, 12);
    aegis_put_be32(header + 1659, (uint32_t)c->pt_len);
    uint8_t header_hash[32], ikm[64], info[sizeof(kdf_label) - 1 + 32], key[32];
    aegis_sha256(header_hash, header, HDR);
    memcpy(ikm, ss_kem, 32);
    memcpy(ikm + 32, ss_x, 32);
    memcpy(info, kdf_label, sizeof(kdf_label) - 1);
    memcpy(info + sizeof(kdf_label) - 1, header_hash, 32);
    if ((err = aegis_hkdf_sha256(key, 32, ikm, 64, (const uint8_t *)kdf_salt, sizeof(kdf_salt) - 1,
                                 info, sizeof(info))))
        die("hkdf", err);
    uint8_t *ct = malloc(c->pt_len + 1), tag[16];
    if ((err = aegis_aead_seal(ct, tag, key, coins.nonce, header, HDR, c->pt, c->pt_len)))
        die("aead", err);

    /* The library must agree byte for byte. */
    c->env_len = aegis_envelope_sealed_size(c->pt_len);
    c->env = malloc(c->env_len);
    size_t n = 0;
    if ((err = aegis_envelope_seal_derand(c->env, c->env_len, &n, &c->pub, c->pt, c->pt_len, &coins)))
        die("seal_derand", err);
    if (n != c->env_len || memcmp(c->env, header, HDR) != 0 ||
        memcmp(c->env + HDR, ct, c->pt_len) != 0 || memcmp(c->env + HDR + c->pt_len, tag, 16) != 0) {
        fprintf(stderr, "gen_envelope_vectors: %s: aegis_envelope_seal_derand differs from the documented steps\n",
                c->name);
        exit(1);
    }
    /* And open it again. */
    aegis_envelope_view v;
    aegis_envelope_keys keys = { .epoch = c->epoch, .mlkem_dk = c->dk, .x25519_sk = c->xsk, .key_id = c->key_id };
    uint8_t *back = malloc(c->pt_len + 1);
    if ((err = aegis_envelope_parse(&v, c->env, c->env_len)) ||
        (err = aegis_envelope_open(back, c->pt_len, &v, &keys)))
        die("open", err);
    if (memcmp(back, c->pt, c->pt_len) != 0) {
        fprintf(stderr, "gen_envelope_vectors: %s: round trip differs\n", c->name);
        exit(1);
    }
    free(back);
    uint8_t env_hash[32];
    aegis_sha256(env_hash, c->env, c->env_len);

    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(c->name));
    json_object_set_new(j, "about", json_string(c->about));
    json_t *r = json_object();
    json_object_set_new(r, "epoch", u64s(c->epoch));
    json_object_set_new(r, "mlkem_d", hex(d, 32));
    json_object_set_new(r, "mlkem_z", hex(z, 32));
    json_object_set_new(r, "mlkem_ek", hex(c->pub.mlkem_ek, sizeof(c->pub.mlkem_ek)));
    json_object_set_new(r, "mlkem_dk", hex(c->dk, sizeof(c->dk)));
    json_object_set_new(r, "x25519_sk", hex(c->xsk, 32));
    json_object_set_new(r, "x25519_pk", hex(c->pub.x25519_pk, 32));
    json_object_set_new(r, "key_id", hex(c->key_id, 32));
    json_object_set_new(j, "recipient", r);
    json_t *co = json_object();
    json_object_set_new(co, "mlkem_m", hex(coins.mlkem_m, 32));
    json_object_set_new(co, "eph_sk", hex(coins.eph_sk, 32));
    json_object_set_new(co, "nonce", hex(coins.nonce, 12));
    json_object_set_new(j, "coins", co);
    json_object_set_new(j, "plaintext", hex(c->pt, c->pt_len));
    json_t *s = json_object();
    json_object_set_new(s, "kem_ct", hex(kem_ct, sizeof(kem_ct)));
    json_object_set_new(s, "ss_mlkem", hex(ss_kem, 32));
    json_object_set_new(s, "eph_pk", hex(eph_pk, 32));
    json_object_set_new(s, "ss_x25519", hex(ss_x, 32));
    json_object_set_new(s, "header", hex(header, HDR));
    json_object_set_new(s, "header_sha256", hex(header_hash, 32));
    json_object_set_new(s, "hkdf_ikm", hex(ikm, 64));
    json_object_set_new(s, "hkdf_salt", hex((const uint8_t *)kdf_salt, sizeof(kdf_salt) - 1));
    json_object_set_new(s, "hkdf_info", hex(info, sizeof(info)));
    json_object_set_new(s, "aead_key", hex(key, 32));
    json_object_set_new(s, "ciphertext", hex(ct, c->pt_len));
    json_object_set_new(s, "tag", hex(tag, 16));
    json_object_set_new(j, "steps", s);
    json_object_set_new(j, "envelope", hex(c->env, c->env_len));
    json_object_set_new(j, "envelope_sha256", hex(env_hash, 32));
    free(ct);
    return j;
}

/* ---- negative cases: one change to a valid envelope (or recipient key) ---- */

enum mkind { M_XOR, M_SET, M_TRUNCATE, M_APPEND };
typedef struct ncase {
    const char *name, *about;
    const char *base;         /* valid case */
    const char *target;       /* "envelope" | "mlkem_ek" | "x25519_pk" (seal side) */
    enum mkind kind;
    size_t offset;            /* XOR / SET; TRUNCATE: new length (from the end when from_end) */
    bool from_end;
    uint8_t bytes[8];
    size_t n_bytes;
    aegis_err want;
} ncase;

static const ncase negs[] = {
    { "bad-magic", "first byte changed", "eip1559-transfer", "envelope", M_XOR, 0, false, { 0x01 }, 1,
      AEGIS_ERR_ENV_BAD_MAGIC },
    { "bad-version", "version byte 2", "eip1559-transfer", "envelope", M_SET, 4, false, { 0x02 }, 1,
      AEGIS_ERR_ENV_BAD_VERSION },
    { "unknown-suite", "suite id 2", "eip1559-transfer", "envelope", M_SET, 5, false, { 0x00, 0x02 }, 2,
      AEGIS_ERR_ENV_UNKNOWN_SUITE },
    { "truncated-header", "cut inside the header (1000 bytes)", "eip1559-transfer", "envelope", M_TRUNCATE,
      1000, false, { 0 }, 0, AEGIS_ERR_ENV_TRUNCATED },
    { "truncated-tag", "last byte of the tag missing", "eip1559-transfer", "envelope", M_TRUNCATE, 1, true,
      { 0 }, 0, AEGIS_ERR_ENV_TRUNCATED },
    { "trailing-byte", "one byte after the tag", "eip1559-transfer", "envelope", M_APPEND, 0, false, { 0x00 },
      1, AEGIS_ERR_ENV_TRAILING },
    { "length-too-big", "length field 262145 (over the limit)", "empty-plaintext", "envelope", M_SET, 1659,
      false, { 0x00, 0x04, 0x00, 0x01 }, 4, AEGIS_ERR_ENV_TOO_BIG },
    { "length-short", "length field 299 for 300 bytes of ciphertext: a trailing byte", "large-epoch",
      "envelope", M_SET, 1659, false, { 0x00, 0x00, 0x01, 0x2b }, 4, AEGIS_ERR_ENV_TRAILING },
    { "length-long", "length field 301 for 300 bytes of ciphertext", "large-epoch",
      "envelope", M_SET, 1659, false, { 0x00, 0x00, 0x01, 0x2d }, 4, AEGIS_ERR_ENV_TRUNCATED },
    { "unknown-epoch", "epoch changed: the recipient has no keys for it", "eip1559-transfer", "envelope", M_XOR,
      14, false, { 0x02 }, 1, AEGIS_ERR_ENV_UNKNOWN_EPOCH },
    { "wrong-recipient", "key id changed", "eip1559-transfer", "envelope", M_XOR, 15, false, { 0x80 }, 1,
      AEGIS_ERR_ENV_WRONG_RECIPIENT },
    { "kem-ct-modified", "ML-KEM ciphertext byte changed (implicit rejection, then the tag fails)",
      "eip1559-transfer", "envelope", M_XOR, 47, false, { 0x01 }, 1, AEGIS_ERR_ENV_DECRYPT },
    { "ephemeral-modified", "X25519 ephemeral key byte changed", "eip1559-transfer", "envelope", M_XOR, 1615,
      false, { 0x01 }, 1, AEGIS_ERR_ENV_DECRYPT },
    { "ephemeral-small-order", "X25519 ephemeral key all zero (small order)", "eip1559-transfer", "envelope",
      M_SET, 1615, false, { 0 }, 32, AEGIS_ERR_ENV_BAD_EPHEMERAL },
    { "nonce-modified", "nonce byte changed", "eip1559-transfer", "envelope", M_XOR, 1647, false, { 0x01 }, 1,
      AEGIS_ERR_ENV_DECRYPT },
    { "ciphertext-modified", "first ciphertext byte changed", "eip1559-transfer", "envelope", M_XOR, 1663,
      false, { 0x01 }, 1, AEGIS_ERR_ENV_DECRYPT },
    { "tag-modified", "last tag byte changed", "eip1559-transfer", "envelope", M_XOR, 1, true, { 0x01 }, 1,
      AEGIS_ERR_ENV_DECRYPT },
    { "tag-modified-empty", "tag byte changed, empty plaintext", "empty-plaintext", "envelope", M_XOR, 16,
      true, { 0x80 }, 1, AEGIS_ERR_ENV_DECRYPT },
    { "seal-bad-mlkem-ek", "sender side: recipient ML-KEM key fails the FIPS 203 7.2 check (first coefficient 0xfff)",
      "eip1559-transfer", "mlkem_ek", M_SET, 0, false, { 0xff, 0x0f }, 2, AEGIS_ERR_MLKEM_EK_CHECK },
    { "seal-small-order-x25519", "sender side: recipient X25519 key all zero (small order)", "eip1559-transfer",
      "x25519_pk", M_SET, 0, false, { 0 }, 32, AEGIS_ERR_BAD_KEY },
};
#define N_NEGS (sizeof(negs) / sizeof(negs[0]))

static vcase *find_case(const char *name)
{
    for (size_t i = 0; i < N_CASES; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    exit(1);
}

/* Apply the mutation to a copy of buf; returns the new length. */
static size_t mutate(const ncase *m, const uint8_t *buf, size_t len, uint8_t *out)
{
    memcpy(out, buf, len);
    size_t off = m->from_end ? len - m->offset : m->offset;
    switch (m->kind) {
    case M_XOR:
        for (size_t i = 0; i < m->n_bytes; i++)
            out[off + i] ^= m->bytes[i];
        return len;
    case M_SET:
        for (size_t i = 0; i < m->n_bytes; i++)
            out[off + i] = m->n_bytes <= sizeof(m->bytes) ? m->bytes[i] : 0;
        return len;
    case M_TRUNCATE:
        return off;
    case M_APPEND:
        memcpy(out + len, m->bytes, m->n_bytes);
        return len + m->n_bytes;
    }
    return len;
}

static json_t *negative_case(const ncase *m)
{
    vcase *c = find_case(m->base);
    aegis_err got;
    const char *stage;
    uint8_t *buf = malloc(c->env_len + 64);
    if (strcmp(m->target, "envelope") == 0) {
        size_t len = mutate(m, c->env, c->env_len, buf);
        aegis_envelope_view v;
        got = aegis_envelope_parse(&v, buf, len);
        stage = "parse";
        if (got == AEGIS_OK) {
            stage = "open";
            uint8_t *pt = malloc(v.ct_len + 1);
            if (v.epoch != c->epoch) {
                got = AEGIS_ERR_ENV_UNKNOWN_EPOCH;   /* the receiver's lookup finds no keys */
            } else {
                aegis_envelope_keys keys = { .epoch = c->epoch, .mlkem_dk = c->dk, .x25519_sk = c->xsk,
                                             .key_id = c->key_id };
                got = aegis_envelope_open(pt, v.ct_len, &v, &keys);
            }
            free(pt);
        }
    } else {
        aegis_envelope_pub pub = c->pub;
        uint8_t *field = strcmp(m->target, "mlkem_ek") == 0 ? pub.mlkem_ek : pub.x25519_pk;
        size_t flen = strcmp(m->target, "mlkem_ek") == 0 ? sizeof(pub.mlkem_ek) : sizeof(pub.x25519_pk);
        mutate(m, field, flen, field);
        aegis_envelope_coins coins;
        memset(&coins, 0x5a, sizeof(coins));
        size_t n = 0;
        got = aegis_envelope_seal_derand(buf, c->env_len, &n, &pub, c->pt, c->pt_len, &coins);
        stage = "seal";
    }
    free(buf);
    if (got != m->want) {
        fprintf(stderr, "gen_envelope_vectors: %s: expected %s, the code says %s\n", m->name,
                aegis_err_name(m->want), aegis_err_name(got));
        exit(1);
    }
    static const char *kinds[] = { "xor", "set", "truncate", "append" };
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(m->name));
    json_object_set_new(j, "about", json_string(m->about));
    json_object_set_new(j, "base", json_string(m->base));
    json_t *mu = json_object();
    json_object_set_new(mu, "target", json_string(m->target));
    json_object_set_new(mu, "kind", json_string(kinds[m->kind]));
    if (m->kind == M_TRUNCATE) {
        size_t base_len = c->env_len;
        json_object_set_new(mu, "length", json_integer((json_int_t)(m->from_end ? base_len - m->offset : m->offset)));
    } else if (m->kind == M_APPEND) {
        json_object_set_new(mu, "bytes", hex(m->bytes, m->n_bytes));
    } else {
        size_t base_len = strcmp(m->target, "envelope") == 0 ? c->env_len : 0;
        json_object_set_new(mu, "offset", json_integer((json_int_t)(m->from_end ? base_len - m->offset : m->offset)));
        uint8_t b[32] = { 0 };
        memcpy(b, m->bytes, m->n_bytes < sizeof(m->bytes) ? m->n_bytes : sizeof(m->bytes));
        json_object_set_new(mu, m->kind == M_XOR ? "xor" : "bytes", hex(b, m->n_bytes));
    }
    json_object_set_new(j, "mutation", mu);
    json_object_set_new(j, "stage", json_string(stage));
    json_object_set_new(j, "error", json_string(aegis_err_name(got)));
    json_object_set_new(j, "aegis_code", json_integer((json_int_t)got));
    return j;
}

int main(void)
{
    json_t *root = json_object();
    json_object_set_new(root, "format", json_string("aegis-envelope-vectors/v1"));
    json_object_set_new(root, "generator", json_string("tests/vectors/envelope/gen_envelope_vectors.c"));
    json_object_set_new(root, "doc", json_string("docs/internals/envelope.md"));
    json_t *k = json_object();
    json_object_set_new(k, "magic", hex((const uint8_t *)AEGIS_ENVELOPE_MAGIC, 4));
    json_object_set_new(k, "version", json_integer(AEGIS_ENVELOPE_VERSION));
    json_object_set_new(k, "suite", json_integer(AEGIS_ENVELOPE_SUITE_HYBRID1));
    json_object_set_new(k, "header_bytes", json_integer(AEGIS_ENVELOPE_HEADER_BYTES));
    json_object_set_new(k, "overhead_bytes", json_integer(AEGIS_ENVELOPE_OVERHEAD));
    json_object_set_new(k, "max_plaintext", json_integer(AEGIS_ENVELOPE_MAX_PLAINTEXT));
    json_object_set_new(k, "hkdf_salt", hex((const uint8_t *)kdf_salt, sizeof(kdf_salt) - 1));
    json_object_set_new(k, "hkdf_info_label", hex((const uint8_t *)kdf_label, sizeof(kdf_label) - 1));
    json_object_set_new(root, "constants", k);
    json_t *valid = json_array();
    for (size_t i = 0; i < N_CASES; i++)
        json_array_append_new(valid, valid_case(&cases[i]));
    json_object_set_new(root, "valid", valid);
    json_t *inval = json_array();
    for (size_t i = 0; i < N_NEGS; i++)
        json_array_append_new(inval, negative_case(&negs[i]));
    json_object_set_new(root, "invalid", inval);
    char *s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!s)
        return 1;
    fputs(s, stdout);
    fputc('\n', stdout);
    free(s);
    json_decref(root);
    for (size_t i = 0; i < N_CASES; i++) {
        free(cases[i].pt);
        free(cases[i].env);
    }
    return 0;
}
