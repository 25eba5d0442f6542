/*
 * fuzz_asset_data.c - libFuzzer target for the off-chain asset-data request
 * and reply formats (aegis/assets.h), which clients send sealed in
 * envelopes and the core parses after opening them.
 *
 * The first input byte picks a mode:
 *   0x00 rest : aegis_asset_data_request_parse(rest); when it parses, the
 *               signature/time check runs at a fixed now
 *   0x01 rest : aegis_asset_data_reply_parse(rest) for id "db.x" and a fixed nonce
 *   0x02 rest : build a put request (id "db.x", data = rest) with a fixed
 *               key, parse it back: it must parse, carry the same data and
 *               recover the key's address; any one flipped byte must not
 *               recover that address with the same data and id
 *   other     : modes 0 and 1 on the whole input
 * A broken invariant aborts (a crash for libFuzzer, a failed replay test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/assets.h"
#include "aegis/crypto.h"

#define FUZZ_NOW 1700000000000ull

static void need(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_asset_data: invariant broken: %s\n", what);
        abort();
    }
}

static void parse_request(const uint8_t *p, size_t n)
{
    aegis_asset_data_req req;
    if (aegis_asset_data_request_parse(p, n, &req) != AEGIS_OK)
        return;
    need(req.id[0] != '\0' && strlen(req.id) <= AEGIS_ASSET_ID_MAX, "parsed id");
    need(!req.is_put || req.data_len <= AEGIS_ASSET_DATA_MAX, "parsed data length");
    uint8_t addr[20];
    if (aegis_asset_data_request_verify(&req, FUZZ_NOW, addr) == AEGIS_OK)
        need(req.sig != NULL, "a verified request has a signature");
}

static void parse_reply(const uint8_t *p, size_t n)
{
    uint8_t nonce[AEGIS_ASSET_DATA_NONCE_BYTES];
    memset(nonce, 0x4e, sizeof(nonce));
    uint64_t version = 0;
    const uint8_t *data = NULL;
    size_t len = 0;
    if (aegis_asset_data_reply_parse(p, n, "db.x", nonce, &version, &data, &len) == AEGIS_OK)
        need(data >= p && len <= n && data + len <= p + n, "reply data inside the input");
}

static void round_trip(const uint8_t *p, size_t n)
{
    uint8_t sk[32], pk[65], want[20], got[20];
    memset(sk, 0x42, sizeof(sk));
    need(aegis_secp256k1_public(pk, sk) == AEGIS_OK, "public key");
    aegis_eth_address(want, pk);
    uint8_t *req = NULL;
    size_t len = 0;
    aegis_err err = aegis_asset_data_put_request("db.x", p, n, 7, FUZZ_NOW, sk, &req, &len);
    if (n > AEGIS_ASSET_DATA_MAX) {
        need(err == AEGIS_ERR_TOO_BIG, "oversize data refused");
        return;
    }
    need(err == AEGIS_OK, "put request built");
    aegis_asset_data_req r;
    need(aegis_asset_data_request_parse(req, len, &r) == AEGIS_OK, "own request parses");
    need(r.is_put && strcmp(r.id, "db.x") == 0 && r.base_version == 7 && r.data_len == n &&
         (n == 0 || memcmp(r.data, p, n) == 0), "fields survive");
    need(aegis_asset_data_request_verify(&r, FUZZ_NOW, got) == AEGIS_OK && memcmp(got, want, 20) == 0,
         "signature recovers the signer");
    /* one flipped byte: it no longer parses, or no longer says the same
     * thing signed by the same key */
    size_t at = n ? (size_t)p[0] * 131u % len : len / 2;
    req[at] ^= 0x01;
    aegis_asset_data_req t;
    if (aegis_asset_data_request_parse(req, len, &t) == AEGIS_OK &&
        aegis_asset_data_request_verify(&t, FUZZ_NOW, got) == AEGIS_OK && memcmp(got, want, 20) == 0)
        need(!(t.is_put && strcmp(t.id, "db.x") == 0 && t.base_version == 7 && t.ts_ms == FUZZ_NOW &&
               t.data_len == n && (n == 0 || memcmp(t.data, p, n) == 0)),
             "a tampered request still verifies as the original");
    aegis_free_secret(req, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0]) {
    case 0x00:
        parse_request(data + 1, size - 1);
        break;
    case 0x01:
        parse_reply(data + 1, size - 1);
        break;
    case 0x02:
        round_trip(data + 1, size - 1);
        break;
    default:
        parse_request(data, size);
        parse_reply(data, size);
        break;
    }
    return 0;
}
