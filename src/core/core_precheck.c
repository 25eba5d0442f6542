/*
 * core_precheck.c - the checks of an envelope that need no secret, made
 * before the host writes anything (aegis_core_envelope_check).
 *
 * An envelope the host has logged costs disk until it is pruned; one that
 * can never be opened need not cost any. Framing, the key epoch and the
 * recipient key id are public facts the core can check in microseconds
 * without touching a private key, so the host asks first and logs only
 * what passes. What remains refusable after the log - a ciphertext that
 * does not decrypt, a transaction that does not validate - is refused by
 * aegis_core_submit as before (and the host keeps only its hash and reason).
 *
 * The epoch rule is aegis_core_submit's own (aegis__core_keys_for_epoch:
 * the current epoch, or the previous one inside its grace window), so the
 * two can never disagree about an epoch.
 */
#include <string.h>

#include "aegis/envelope.h"
#include "core_int.h"

aegis_err aegis_core_envelope_check(aegis_core *core, const uint8_t *env, size_t len, uint64_t now_ms,
                                    const char **reason)
{
    const char *why = NULL;
    aegis_envelope_view view;
    aegis_err err = aegis_envelope_parse(&view, env, len);
    if (err) {
        *reason = "malformed envelope";
        return err;
    }
    uint8_t kid[AEGIS_ENVELOPE_KEY_ID_BYTES];
    pthread_rwlock_rdlock(&core->ks_lock);
    const aegis_keyset *ks = NULL;
    err = aegis__core_keys_for_epoch(core, view.epoch, now_ms, &ks, &why);
    const aegis_keyset_pub *pub = err ? NULL : aegis__core_pub_of(core, view.epoch);
    /* the key set's own key id, computed once at load: hashing the 1.6 KB
     * public keys again for every submission is avoidable work */
    if (pub)
        memcpy(kid, aegis_keyset_key_id(ks), sizeof(kid));
    pthread_rwlock_unlock(&core->ks_lock);
    if (err) {
        *reason = why;
        return err;
    }
    if (!pub) {
        *reason = "no public key set for the envelope's key epoch";
        return AEGIS_ERR_CORE_KEY_EPOCH;
    }
    /* the key id is public: an ordinary compare */
    if (memcmp(kid, view.key_id, sizeof(kid)) != 0) {
        *reason = "envelope is addressed to another key (recipient key id does not match the epoch's keys)";
        return AEGIS_ERR_ENV_WRONG_RECIPIENT;
    }
    return AEGIS_OK;
}
