/* cli_asset_data.c - `aegis assets put-data` / `get-data` (cli_asset_data.h). */
#include <stdio.h>
#include <string.h>

#include "aegis/assets.h"
#include "aegis/envelope.h"
#include "aegis/keys.h"
#include "cli_asset_data.h"
#include "cli_chain.h"
#include "cli_rpc.h"

#define PROG "aegis assets"

/* The requester's secp256k1 secret key ("aegis keygen --type secp256k1"). */
static int read_sk(const char *path, uint8_t sk[32])
{
    const char *type = NULL;
    uint8_t *key = NULL;
    size_t len = 0;
    if (!path) {
        fprintf(stderr, PROG ": --key FILE (the requester's secp256k1 secret key) is required\n");
        return 2;
    }
    aegis_err err = aegis_keyfile_read(path, true, &type, &key, &len);
    if (err == AEGIS_OK && (strcmp(type, "secp256k1") != 0 || len != 32))
        err = AEGIS_ERR_KEYS_WRONG_TYPE;
    if (err == AEGIS_OK)
        memcpy(sk, key, 32);
    if (key)
        aegis_free_secret(key, len);
    if (err != AEGIS_OK) {
        fprintf(stderr, PROG ": %s: %s\n", path, aegis_strerror(err));
        return 1;
    }
    return 0;
}

/* Seal req to the node's attested key set and call method ["id", "0x<env>"]. */
static int send_sealed(const char *url, const char *method, const char *id, const uint8_t *req, size_t len,
                       bool allow_sim, json_t **ret)
{
    aegis_client_keyset ks;
    memset(&ks, 0, sizeof(ks));
    uint8_t *env = NULL;
    size_t env_len = 0;
    char *hex = NULL;
    json_t *params = NULL;
    int rc = 1;
    if (aegis_cli_keyset_fetch(PROG, url, 0, allow_sim, &ks, NULL) != 0)
        goto out;
    aegis_err err = aegis_client_seal(&ks, req, len, &env, &env_len);
    if (err != AEGIS_OK) {
        fprintf(stderr, PROG ": sealing the request: %s\n", aegis_strerror(err));
        goto out;
    }
    hex = aegis_client_hex(env, env_len);
    params = hex ? json_pack("[s, s]", id, hex) : NULL;
    if (params && aegis_cli_rpc_call(url, method, params, ret, NULL) == 0)
        rc = 0;
out:
    aegis_client_keyset_clear(&ks);
    aegis_free(env);
    aegis_free(hex);
    json_decref(params);
    return rc;
}

int aegis_cli_asset_put_data(const char *url, const char *id, const char *key_path, const uint8_t *data, size_t len,
                             long long base, bool allow_sim)
{
    uint8_t sk[32], *req = NULL;
    size_t req_len = 0;
    json_t *res = NULL;
    int rc = read_sk(key_path, sk);
    if (rc)
        return rc;
    rc = 1;
    if (base < 0) {
        /* the version this put replaces (a wrong answer from the node only
         * makes the put fail: the core compares it with the registry) */
        json_t *params = json_pack("[s]", id);
        int r = aegis_cli_rpc_call(url, "aegis_getAsset", params, &res, NULL);
        json_decref(params);
        if (r != 0)
            goto out;
        json_t *v = json_object_get(res, "data_version");
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            fprintf(stderr, PROG ": aegis_getAsset: no data_version in the answer\n");
            goto out;
        }
        base = json_integer_value(v);
        json_decref(res);
        res = NULL;
    }
    aegis_err err = aegis_asset_data_put_request(id, data, len, (uint64_t)base, aegis_wall_ms(), sk, &req, &req_len);
    if (err != AEGIS_OK) {
        fprintf(stderr, PROG ": put request: %s\n", aegis_strerror(err));
        rc = err == AEGIS_ERR_ASSET_BAD_ID || err == AEGIS_ERR_TOO_BIG ? 2 : 1;
        goto out;
    }
    if (send_sealed(url, "aegis_putAssetData", id, req, req_len, allow_sim, &res) != 0)
        goto out;
    printf("%s: data version %lld stored (sealed in the TEE)\n", id,
           (long long)json_integer_value(json_object_get(res, "version")));
    rc = 0;
out:
    aegis_memzero(sk, sizeof(sk));
    if (req)
        aegis_free_secret(req, req_len);
    json_decref(res);
    return rc;
}

int aegis_cli_asset_get_data(const char *url, const char *id, const char *key_path, const char *out_path,
                             bool allow_sim)
{
    uint8_t sk[32], nonce[AEGIS_ASSET_DATA_NONCE_BYTES], xsk[32], kid[AEGIS_ENVELOPE_KEY_ID_BYTES];
    uint8_t *dk = NULL, *req = NULL, *env = NULL, *pt = NULL;
    size_t req_len = 0, env_len = 0, pt_cap = 0;
    aegis_envelope_pub reply;
    json_t *res = NULL;
    int rc = read_sk(key_path, sk);
    if (rc)
        return rc;
    rc = 1;
    /* a one-time reply key pair and a secret nonce, never stored */
    dk = aegis_malloc(AEGIS_MLKEM1024_DK_BYTES);
    memset(&reply, 0, sizeof(reply));
    reply.epoch = AEGIS_ASSET_DATA_REPLY_EPOCH;
    aegis_err err = dk ? aegis_mlkem1024_keygen(reply.mlkem_ek, dk) : AEGIS_ERR_NOMEM;
    if (!err)
        err = aegis_x25519_keygen(reply.x25519_pk, xsk);
    if (!err)
        err = aegis_random_bytes(nonce, sizeof(nonce));
    if (!err)
        err = aegis_asset_data_get_request(id, aegis_wall_ms(), nonce, &reply, sk, &req, &req_len);
    if (err) {
        fprintf(stderr, PROG ": get request: %s\n", aegis_strerror(err));
        rc = err == AEGIS_ERR_ASSET_BAD_ID ? 2 : 1;
        goto out;
    }
    aegis_envelope_key_id(kid, reply.mlkem_ek, reply.x25519_pk);
    if (send_sealed(url, "aegis_getAssetData", id, req, req_len, allow_sim, &res) != 0)
        goto out;
    const char *hex = json_string_value(json_object_get(res, "envelope"));
    aegis_envelope_view view;
    if (!hex || aegis_hex_decode_alloc(hex, AEGIS_ENVELOPE_MAX_BYTES, &env, &env_len) != AEGIS_OK ||
        aegis_envelope_parse(&view, env, env_len) != AEGIS_OK) {
        fprintf(stderr, PROG ": aegis_getAssetData: the answer carries no reply envelope\n");
        goto out;
    }
    aegis_envelope_keys keys = { .epoch = AEGIS_ASSET_DATA_REPLY_EPOCH, .mlkem_dk = dk, .x25519_sk = xsk,
                                 .key_id = kid };
    pt_cap = view.ct_len ? view.ct_len : 1;
    pt = aegis_malloc(pt_cap);
    const uint8_t *data = NULL;
    size_t n = 0;
    uint64_t version = 0;
    err = pt ? aegis_envelope_open(pt, pt_cap, &view, &keys) : AEGIS_ERR_NOMEM;
    if (!err)
        err = aegis_asset_data_reply_parse(pt, view.ct_len, id, nonce, &version, &data, &n);
    if (err) {
        /* not from the core that read our request: refuse it */
        fprintf(stderr, PROG ": the reply does not open or does not answer this request: %s\n", aegis_strerror(err));
        goto out;
    }
    if (!out_path || strcmp(out_path, "-") == 0) {
        if (n && fwrite(data, 1, n, stdout) != n)
            goto out;
        fflush(stdout);
    } else if ((err = aegis_file_write_atomic(out_path, data, n, 0600)) != AEGIS_OK) {
        fprintf(stderr, PROG ": %s: %s\n", out_path, aegis_strerror(err));
        goto out;
    }
    fprintf(stderr, "%s: data version %llu, %zu bytes\n", id, (unsigned long long)version, n);
    rc = 0;
out:
    aegis_memzero(sk, sizeof(sk));
    aegis_memzero(xsk, sizeof(xsk));
    if (dk)
        aegis_free_secret(dk, AEGIS_MLKEM1024_DK_BYTES);
    if (pt)
        aegis_free_secret(pt, pt_cap);
    aegis_free(req);
    aegis_free(env);
    json_decref(res);
    return rc;
}
