/*
 * tee_http_unix.h - private to src/tee/: a minimal HTTP/1.1 client over a
 * unix socket (the dstack guest agent's transport) and the dstack calls the
 * tdx backend borrows (GetKey for derive_key).
 */
#ifndef AEGIS_TEE_HTTP_UNIX_H
#define AEGIS_TEE_HTTP_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aegis/tee.h"

#define AEGIS__HTTP_MAX_RESPONSE (4u << 20)   /* body cap */

/*
 * POST `body` (JSON, may be NULL for an empty body) to `path` over the unix
 * socket `sock_path` with Connection: close, and read the whole response
 * (Content-Length, chunked, or until EOF). timeout_ms bounds every socket
 * wait. *ret_body is NUL-terminated, owned by the caller (aegis_free), and set
 * for any HTTP status (the caller judges *ret_status). Errors: AEGIS_ERR_IO
 * (socket path too long, connect/send/recv failed, malformed HTTP),
 * AEGIS_ERR_TIMEOUT, AEGIS_ERR_TOO_BIG (body over the cap), AEGIS_ERR_NOMEM.
 */
aegis_err aegis__http_unix_post(const char *sock_path, const char *path, const char *body,
                                int timeout_ms, int *ret_status, char **ret_body,
                                size_t *ret_len);

/*
 * A 32-byte key for `label` from the dstack guest agent at sock_path:
 * HKDF-SHA-256(ikm = GetKey(path = path_prefix ‖ label).key, salt = salt,
 * info = label). legacy: the tappd API (Tappd.DeriveKey; ikm = its PEM key).
 * out is wiped on failure. Errors: those of aegis__http_unix_post,
 * AEGIS_ERR_UNSUPPORTED (agent answered non-200), AEGIS_ERR_BAD_JSON.
 */
aegis_err aegis__dstack_derive_key(const char *sock_path, bool legacy, const char *path_prefix,
                                   const char *salt, const char *label,
                                   uint8_t out[static AEGIS_TEE_KEY_BYTES]);

#endif
