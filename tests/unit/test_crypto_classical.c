/*
 * test_crypto_classical.c - known answers and bad input for the classical
 * primitives: keccak-256, SHA-2, secp256k1 / Ethereum addresses, X25519,
 * HKDF-SHA-256, AES-256-GCM.
 *
 * Vector origins: keccak-256 values as published for Ethereum (empty string,
 * "abc", the "quick brown fox" pangram, the ERC-20 Transfer event topic);
 * SHA-2 from FIPS 180-2 appendix examples; secp256k1 addresses for private
 * keys 1 and 2 (widely published Ethereum derivations); the RFC 6979 secp256k1
 * "Satoshi Nakamoto" vector (python-ecdsa / trezor-crypto test suites);
 * X25519 from RFC 7748 §5.2 and §6.1; HKDF from RFC 5869 A.1; AES-256-GCM
 * from the GCM spec (McGrew & Viega) test case 16 / NIST CAVS gcmEncryptExtIV256.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <pthread.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <cmocka.h>

#include "aegis/crypto.h"

static void hex(uint8_t *out, size_t n, const char *s)
{
    assert_int_equal(aegis_hex_decode_exact(s, out, n), AEGIS_OK);
}

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
    char buf[512];
    assert_true(2 * n < sizeof(buf));
    aegis_hex_encode(buf, got, n);
    assert_string_equal(buf, want);
}

/* ---------------- keccak ---------------- */

static void test_keccak_vectors(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } v[] = {
        { "", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" },
        { "abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45" },
        { "The quick brown fox jumps over the lazy dog",
          "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15" },
        { "Transfer(address,address,uint256)",
          "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef" },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(v); i++) {
        uint8_t h[32];
        aegis_keccak256(h, v[i].in, strlen(v[i].in));
        assert_hex(h, 32, v[i].out);
    }
}

/* Incremental hashing must agree with one-shot at every split point, across
 * several rate-sized blocks (136 bytes) and unaligned offsets. */
static void test_keccak_incremental(void **state)
{
    (void)state;
    uint8_t msg[3 * 136 + 17];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 31 + 7);
    for (size_t len = 0; len <= sizeof(msg); len += 13) {
        uint8_t want[32];
        aegis_keccak256(want, msg, len);
        for (size_t cut = 0; cut <= len; cut += 5) {
            aegis_keccak k;
            uint8_t got[32];
            aegis_keccak256_init(&k);
            aegis_keccak256_update(&k, msg, cut);
            aegis_keccak256_update(&k, msg + cut, len - cut);
            aegis_keccak256_final(&k, got);
            assert_memory_equal(got, want, 32);
        }
        /* byte at a time */
        aegis_keccak k;
        uint8_t got[32];
        aegis_keccak256_init(&k);
        for (size_t i = 0; i < len; i++)
            aegis_keccak256_update(&k, msg + i, 1);
        aegis_keccak256_final(&k, got);
        assert_memory_equal(got, want, 32);
    }
    /* different lengths give different digests (no padding collision at the
     * block boundary) */
    uint8_t a[32], b[32];
    aegis_keccak256(a, msg, 135);
    aegis_keccak256(b, msg, 136);
    assert_memory_not_equal(a, b, 32);
}

/* ---------------- SHA-2 ---------------- */

static void test_sha2_vectors(void **state)
{
    (void)state;
    uint8_t h[64];
    aegis_sha256(h, "abc", 3);
    assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    aegis_sha256(h, "", 0);
    assert_hex(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    aegis_sha512(h, "abc", 3);
    assert_hex(h, 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

/* ---------------- secp256k1 ---------------- */

static void test_eth_address_vectors(void **state)
{
    (void)state;
    static const struct { const char *sk, *addr; } v[] = {
        { "0000000000000000000000000000000000000000000000000000000000000001",
          "7e5f4552091a69125d5dfcb7b8c2659029395bdf" },
        { "0000000000000000000000000000000000000000000000000000000000000002",
          "2b5ad5c4795c026514f8317c7a215e218dccd6cf" },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(v); i++) {
        uint8_t sk[32], pk[65], addr[20];
        hex(sk, 32, v[i].sk);
        assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_OK);
        assert_int_equal(pk[0], 0x04);
        aegis_eth_address(addr, pk);
        assert_hex(addr, 20, v[i].addr);
    }
    /* key 1's public key is the generator G */
    uint8_t sk[32] = { 0 }, pk[65];
    sk[31] = 1;
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_OK);
    assert_hex(pk + 1, 32, "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

static void test_secp256k1_rfc6979(void **state)
{
    (void)state;
    uint8_t sk[32] = { 0 }, d[32], sig[65], pk[65];
    sk[31] = 1;
    aegis_sha256(d, "Satoshi Nakamoto", 16);
    assert_int_equal(aegis_secp256k1_sign(sig, d, sk), AEGIS_OK);
    assert_hex(sig, 32, "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8");
    assert_hex(sig + 32, 32, "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
    assert_true(sig[64] <= 1);
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_OK);
    assert_int_equal(aegis_secp256k1_verify(sig, d, pk), AEGIS_OK);
}

/* n - s, big-endian, for s < n */
static void negate_s(uint8_t s[32])
{
    static const uint8_t n[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
    };
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int v = n[i] - s[i] - borrow;
        borrow = v < 0;
        s[i] = (uint8_t)(v + (borrow ? 256 : 0));
    }
}

static void test_secp256k1_roundtrip(void **state)
{
    (void)state;
    uint8_t pk[65], sk[32], sig[65], d[32], rec[65];
    assert_int_equal(aegis_secp256k1_keygen(pk, sk), AEGIS_OK);
    aegis_keccak256(d, "hello", 5);
    assert_int_equal(aegis_secp256k1_sign(sig, d, sk), AEGIS_OK);
    assert_int_equal(aegis_secp256k1_verify(sig, d, pk), AEGIS_OK);
    assert_int_equal(aegis_secp256k1_recover(rec, sig, sig[64], d, true), AEGIS_OK);
    assert_memory_equal(rec, pk, 65);
    /* the wrong recid gives a different key (or none) */
    aegis_err e = aegis_secp256k1_recover(rec, sig, sig[64] ^ 1, d, true);
    assert_true(e != AEGIS_OK || memcmp(rec, pk, 65) != 0);
    assert_int_equal(aegis_secp256k1_recover(rec, sig, 4, d, true), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_secp256k1_recover(rec, sig, -1, d, true), AEGIS_ERR_BAD_SIG);

    /* wrong digest / flipped bits fail */
    uint8_t d2[32];
    memcpy(d2, d, 32);
    d2[0] ^= 1;
    assert_int_equal(aegis_secp256k1_verify(sig, d2, pk), AEGIS_ERR_BAD_SIG);
    for (int i = 0; i < 64; i += 7) {
        uint8_t bad[65];
        memcpy(bad, sig, 65);
        bad[i] ^= 0x10;
        assert_int_equal(aegis_secp256k1_verify(bad, d, pk), AEGIS_ERR_BAD_SIG);
    }

    /* high-s: the malleated twin is refused by verify and by strict recovery,
     * and recovers the same key with the flipped recid when allowed */
    uint8_t hs[65];
    memcpy(hs, sig, 65);
    negate_s(hs + 32);
    assert_int_equal(aegis_secp256k1_verify(hs, d, pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_secp256k1_recover(rec, hs, sig[64] ^ 1, d, true), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_secp256k1_recover(rec, hs, sig[64] ^ 1, d, false), AEGIS_OK);
    assert_memory_equal(rec, pk, 65);
}

static void test_secp256k1_bad_keys(void **state)
{
    (void)state;
    uint8_t sk[32] = { 0 }, pk[65], sig[65], d[32] = { 1 };
    /* zero and >= n are not private keys */
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_ERR_BAD_KEY);
    assert_int_equal(aegis_secp256k1_sign(sig, d, sk), AEGIS_ERR_BAD_KEY);
    memset(sk, 0xff, 32);
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_ERR_BAD_KEY);
    /* a public key off the curve or compressed-prefixed */
    sk[0] = 0x11;
    memset(sk, 0x11, 32);
    assert_int_equal(aegis_secp256k1_public(pk, sk), AEGIS_OK);
    assert_int_equal(aegis_secp256k1_sign(sig, d, sk), AEGIS_OK);
    uint8_t bad[65];
    memcpy(bad, pk, 65);
    bad[64] ^= 1;
    assert_int_equal(aegis_secp256k1_verify(sig, d, bad), AEGIS_ERR_BAD_KEY);
    memcpy(bad, pk, 65);
    bad[0] = 0x02;
    assert_int_equal(aegis_secp256k1_verify(sig, d, bad), AEGIS_ERR_BAD_KEY);
    /* r = 0 / s = 0 are invalid signatures */
    uint8_t zs[64] = { 0 };
    assert_int_equal(aegis_secp256k1_verify(zs, d, pk), AEGIS_ERR_BAD_SIG);
    assert_int_equal(aegis_secp256k1_recover(pk, zs, 0, d, true), AEGIS_ERR_BAD_SIG);
}

/* ---------------- X25519 ---------------- */

static void test_x25519_rfc7748(void **state)
{
    (void)state;
    static const struct { const char *k, *u, *out; } v[] = {
        { "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
          "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
          "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
        { "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
          "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
          "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(v); i++) {
        uint8_t k[32], u[32], ss[32];
        hex(k, 32, v[i].k);
        hex(u, 32, v[i].u);
        assert_int_equal(aegis_x25519(ss, k, u), AEGIS_OK);
        assert_hex(ss, 32, v[i].out);
    }
    /* §6.1 Diffie-Hellman */
    uint8_t a[32], b[32], apk[32], bpk[32], s1[32], s2[32];
    hex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    hex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    assert_int_equal(aegis_x25519_public(apk, a), AEGIS_OK);
    assert_int_equal(aegis_x25519_public(bpk, b), AEGIS_OK);
    assert_hex(apk, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    assert_hex(bpk, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    assert_int_equal(aegis_x25519(s1, a, bpk), AEGIS_OK);
    assert_int_equal(aegis_x25519(s2, b, apk), AEGIS_OK);
    assert_hex(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_memory_equal(s1, s2, 32);
}

static void test_x25519_keygen_and_small_order(void **state)
{
    (void)state;
    uint8_t pk1[32], sk1[32], pk2[32], sk2[32], s1[32], s2[32];
    assert_int_equal(aegis_x25519_keygen(pk1, sk1), AEGIS_OK);
    assert_int_equal(aegis_x25519_keygen(pk2, sk2), AEGIS_OK);
    assert_memory_not_equal(sk1, sk2, 32);
    assert_int_equal(aegis_x25519(s1, sk1, pk2), AEGIS_OK);
    assert_int_equal(aegis_x25519(s2, sk2, pk1), AEGIS_OK);
    assert_memory_equal(s1, s2, 32);
    /* small-order points (0, 1, and the order-8 point) give an all-zero
     * secret and must be refused; the output stays untouched */
    static const char *small[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    };
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(small); i++) {
        uint8_t u[32], out[32];
        memset(out, 0xaa, 32);
        hex(u, 32, small[i]);
        assert_int_equal(aegis_x25519(out, sk1, u), AEGIS_ERR_BAD_KEY);
        for (int j = 0; j < 32; j++)
            assert_int_equal(out[j], 0xaa);
    }
}

/* A prepared key (aegis_x25519_derive, which reuses derive and import
 * contexts from the key's pool): the RFC 7748 results, refused small-order
 * peers in between that leave no state behind, and eight threads at once each
 * getting the one-shot function's answer for their own peers. */
struct x_job {
    const aegis_x25519_key *k;
    const uint8_t (*peers)[32], (*want)[32];
    size_t n;
    int bad;
};

static void *x_thread(void *arg)
{
    struct x_job *j = arg;
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < j->n; i++) {
            uint8_t ss[32];
            if (aegis_x25519_derive(ss, j->k, j->peers[i]) != AEGIS_OK || memcmp(ss, j->want[i], 32) != 0)
                j->bad++;
        }
    return NULL;
}

static void test_x25519_prepared_key(void **state)
{
    (void)state;
    uint8_t a[32], bpk[32], ss[32], zero_u[32] = { 0 };
    hex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    hex(bpk, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    aegis_x25519_key *k = NULL;
    assert_int_equal(aegis_x25519_key_new(&k, a), AEGIS_OK);
    static const char *small[] = {   /* small-order points: refused, output untouched */
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        NULL,
    };
    for (int i = 0; i < 3; i++) {
        memset(ss, 0, sizeof(ss));
        assert_int_equal(aegis_x25519_derive(ss, k, bpk), AEGIS_OK);
        assert_hex(ss, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        uint8_t u[32];
        if (small[i])
            hex(u, 32, small[i]);
        else
            memcpy(u, zero_u, 32);
        memset(ss, 0xaa, sizeof(ss));
        assert_int_equal(aegis_x25519_derive(ss, k, u), AEGIS_ERR_BAD_KEY);
        for (int j = 0; j < 32; j++)
            assert_int_equal(ss[j], 0xaa);
    }
    enum { NT = 8, NP = 16 };
    static uint8_t peers[NP][32], want[NP][32];
    for (size_t i = 0; i < NP; i++) {
        uint8_t sk[32];
        assert_int_equal(aegis_x25519_keygen(peers[i], sk), AEGIS_OK);
        assert_int_equal(aegis_x25519(want[i], a, peers[i]), AEGIS_OK);
    }
    pthread_t th[NT];
    struct x_job jobs[NT];
    for (int t = 0; t < NT; t++) {
        jobs[t] = (struct x_job){ k, peers, want, NP, 0 };
        assert_int_equal(pthread_create(&th[t], NULL, x_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < NT; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(jobs[t].bad, 0);
    }
    aegis_x25519_key_free(k);
    aegis_x25519_key_free(NULL);
}

/* ---------------- HKDF-SHA-256 ---------------- */

static void test_hkdf_rfc5869(void **state)
{
    (void)state;
    uint8_t ikm[22], salt[13], info[10], okm[42];
    memset(ikm, 0x0b, sizeof(ikm));
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    assert_int_equal(aegis_hkdf_sha256(okm, 42, ikm, 22, salt, 13, info, 10), AEGIS_OK);
    assert_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                        "34007208d5b887185865");
    /* A.3: no salt, no info */
    assert_int_equal(aegis_hkdf_sha256(okm, 42, ikm, 22, NULL, 0, NULL, 0), AEGIS_OK);
    assert_hex(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                        "9d201395faa4b61a96c8");
    /* A.2: 80-byte IKM, salt and info (a salt longer than the HMAC block
     * is hashed to make the key), 82 bytes out (three blocks) */
    uint8_t lik[80], lsa[80], lin[80], lok[82];
    for (int i = 0; i < 80; i++) {
        lik[i] = (uint8_t)i;
        lsa[i] = (uint8_t)(0x60 + i);
        lin[i] = (uint8_t)(0xb0 + i);
    }
    assert_int_equal(aegis_hkdf_sha256(lok, 82, lik, 80, lsa, 80, lin, 80), AEGIS_OK);
    assert_hex(lok, 82, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                        "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                        "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    assert_int_equal(aegis_hkdf_sha256(okm, 0, ikm, 22, NULL, 0, NULL, 0), AEGIS_ERR_BAD_LENGTH);
    uint8_t big[1];
    assert_int_equal(aegis_hkdf_sha256(big, 255 * 32 + 1, ikm, 22, NULL, 0, NULL, 0), AEGIS_ERR_BAD_LENGTH);
}

/* Our HKDF (hkdf.c: HMAC over low-level SHA-256) against OpenSSL's EVP_KDF
 * "HKDF", over input lengths around the HMAC block (0, 1, 63, 64, 65, 200)
 * and output lengths from one byte to the 255-block maximum. */
static void test_hkdf_vs_openssl(void **state)
{
    (void)state;
    static const size_t in_lens[] = { 0, 1, 32, 63, 64, 65, 200 };
    static const size_t out_lens[] = { 1, 31, 32, 33, 64, 97, 255 * 32 };
    uint8_t buf[600];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    uint8_t *a = malloc(255 * 32), *b = malloc(255 * 32);
    assert_non_null(a);
    assert_non_null(b);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    assert_non_null(kdf);
    size_t n = sizeof(in_lens) / sizeof(in_lens[0]), m = sizeof(out_lens) / sizeof(out_lens[0]);
    for (size_t x = 0; x < n; x++)
        for (size_t y = 0; y < n; y++)
            for (size_t o = 0; o < m; o++) {
                size_t il = in_lens[x], sl = in_lens[y], nl = in_lens[(x + y + o) % n], ol = out_lens[o];
                const uint8_t *ik = buf, *sa = buf + 200, *in = buf + 400;
                assert_int_equal(aegis_hkdf_sha256(a, ol, ik, il, sa, sl, in, nl), AEGIS_OK);
                EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
                assert_non_null(c);
                OSSL_PARAM p[5], *q = p;
                *q++ = OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0);
                *q++ = OSSL_PARAM_construct_octet_string("key", (void *)ik, il);
                if (sl)
                    *q++ = OSSL_PARAM_construct_octet_string("salt", (void *)sa, sl);
                if (nl)
                    *q++ = OSSL_PARAM_construct_octet_string("info", (void *)in, nl);
                *q = OSSL_PARAM_construct_end();
                int ok = EVP_KDF_derive(c, b, ol, p);
                EVP_KDF_CTX_free(c);
                if (il == 0 && ok != 1)
                    continue;   /* OpenSSL 3.0 refuses an empty key; RFC 5869 does not */
                assert_int_equal(ok, 1);
                assert_memory_equal(a, b, ol);
            }
    EVP_KDF_free(kdf);
    free(a);
    free(b);
}

/* ---------------- AES-256-GCM ---------------- */

static void test_aead_vectors(void **state)
{
    (void)state;
    uint8_t key[32], nonce[12], aad[20], pt[60], ct[60], tag[16], back[60];
    hex(key, 32, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
    hex(nonce, 12, "cafebabefacedbaddecaf888");
    hex(aad, 20, "feedfacedeadbeeffeedfacedeadbeefabaddad2");
    hex(pt, 60, "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
    assert_int_equal(aegis_aead_seal(ct, tag, key, nonce, aad, 20, pt, 60), AEGIS_OK);
    assert_hex(ct, 60, "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
    assert_hex(tag, 16, "76fc6ece0f4e1768cddf8853bb2d551b");
    assert_int_equal(aegis_aead_open(back, key, nonce, aad, 20, ct, 60, tag), AEGIS_OK);
    assert_memory_equal(back, pt, 60);

    /* any flipped bit in ct, tag, aad, nonce or key fails and wipes pt */
    uint8_t *parts[] = { ct, tag, aad, nonce, key };
    size_t lens[] = { 60, 16, 20, 12, 32 };
    for (size_t p = 0; p < AEGIS_ARRAY_LEN(parts); p++) {
        for (size_t i = 0; i < lens[p]; i += 3) {
            parts[p][i] ^= 0x01;
            memset(back, 0x55, sizeof(back));
            assert_int_equal(aegis_aead_open(back, key, nonce, aad, 20, ct, 60, tag), AEGIS_ERR_CRYPTO_AEAD);
            for (int j = 0; j < 60; j++)
                assert_int_equal(back[j], 0);
            parts[p][i] ^= 0x01;
        }
    }
    /* zero key, zero nonce, empty and one-block plaintext (GCM test cases 13/14) */
    memset(key, 0, 32);
    memset(nonce, 0, 12);
    assert_int_equal(aegis_aead_seal(ct, tag, key, nonce, NULL, 0, NULL, 0), AEGIS_OK);
    assert_hex(tag, 16, "530f8afbc74536b9a963b4f1c4cb738b");
    memset(pt, 0, 16);
    assert_int_equal(aegis_aead_seal(ct, tag, key, nonce, NULL, 0, pt, 16), AEGIS_OK);
    assert_hex(ct, 16, "cea7403d4d606b6e074ec5d3baf39d18");
    assert_hex(tag, 16, "d0d1c8a799996bf0265b98b5d48ab919");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keccak_vectors),
        cmocka_unit_test(test_keccak_incremental),
        cmocka_unit_test(test_sha2_vectors),
        cmocka_unit_test(test_eth_address_vectors),
        cmocka_unit_test(test_secp256k1_rfc6979),
        cmocka_unit_test(test_secp256k1_roundtrip),
        cmocka_unit_test(test_secp256k1_bad_keys),
        cmocka_unit_test(test_x25519_rfc7748),
        cmocka_unit_test(test_x25519_keygen_and_small_order),
        cmocka_unit_test(test_x25519_prepared_key),
        cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_hkdf_vs_openssl),
        cmocka_unit_test(test_aead_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
