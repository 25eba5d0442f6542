/*
 * cli_asset_data.h - `aegis assets put-data` / `get-data`: off-chain asset
 * data end to end with only ciphertext on the wire (formats in
 * include/aegis/assets.h, docs/internals/assets.md).
 *
 * put: fetch and check the sequencer's attested key set, sign a put
 * request with the requester's secp256k1 key, seal it to the key set,
 * aegis_putAssetData. get: generate a one-time reply key pair (ML-KEM-1024 +
 * X25519) and a secret nonce, sign a get request naming that key, seal it,
 * aegis_getAssetData, open the reply envelope and check it echoes the nonce.
 * Both print errors to stderr and return 0 (ok), 1 (failure) or 2 (usage).
 */
#ifndef AEGIS_CLI_ASSET_DATA_H
#define AEGIS_CLI_ASSET_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* base < 0: the asset's current data_version (aegis_getAsset). */
int aegis_cli_asset_put_data(const char *url, const char *id, const char *key_path, const uint8_t *data, size_t len,
                             long long base, bool allow_sim);
/* out_path NULL or "-": the data goes to stdout. */
int aegis_cli_asset_get_data(const char *url, const char *id, const char *key_path, const char *out_path,
                             bool allow_sim);

#endif
