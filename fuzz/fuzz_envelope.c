/*
 * fuzz_envelope.c - libFuzzer target for the envelope parser and opener,
 * with one fixed recipient key set.
 *
 * The first input byte picks a mode so the fuzzer reaches the cryptographic
 * paths without having to forge ML-KEM ciphertexts:
 *   0x00 rest        : parse + open `rest` as an envelope
 *   0x01 off(2) x(1) pt : seal pt (deterministic randomness), XOR byte x in at
 *                      offset off % len, open; must succeed iff x == 0 and
 *                      then return pt exactly
 *   0x02 cut(2) pt    : seal pt, open only the first cut bytes; must fail
 *                      unless cut covers the whole envelope
 *   other            : same as 0x00 on the whole input
 * A broken invariant aborts (a crash for libFuzzer, a failed replay test).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/envelope.h"

struct fixed_keys {
    aegis_envelope_pub pub;
    uint8_t dk[AEGIS_MLKEM1024_DK_BYTES];
    uint8_t xsk[32];
    uint8_t key_id[32];
    bool ready;
};

static struct fixed_keys fk;

static void need(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_envelope: invariant broken: %s\n", what);
        abort();
    }
}

static void keys_init(void)
{
    if (fk.ready)
        return;
    uint8_t d[32], z[32];
    memset(d, 0x01, 32);
    memset(z, 0x02, 32);
    memset(fk.xsk, 0x03, 32);
    fk.pub.epoch = 1;
    need(aegis_mlkem1024_keygen_dz(fk.pub.mlkem_ek, fk.dk, d, z) == AEGIS_OK, "keygen_dz");
    need(aegis_x25519_public(fk.pub.x25519_pk, fk.xsk) == AEGIS_OK, "x25519_public");
    aegis_envelope_key_id(fk.key_id, fk.pub.mlkem_ek, fk.pub.x25519_pk);
    fk.ready = true;
}

static aegis_err lookup(void *ctx, uint64_t epoch, aegis_envelope_keys *keys)
{
    (void)ctx;
    if (epoch != fk.pub.epoch)
        return AEGIS_ERR_NOT_FOUND;
    keys->epoch = epoch;
    keys->mlkem_dk = fk.dk;
    keys->x25519_sk = fk.xsk;
    keys->key_id = fk.key_id;
    return AEGIS_OK;
}

/* Open buf; returns the error and checks the no-partial-output rule. */
static aegis_err open_checked(const uint8_t *buf, size_t len, uint8_t **ret_pt, size_t *ret_len)
{
    size_t cap = len > AEGIS_ENVELOPE_OVERHEAD ? len - AEGIS_ENVELOPE_OVERHEAD : 0;
    uint8_t *pt = malloc(cap ? cap : 1);
    need(pt != NULL, "malloc");
    memset(pt, 0xa5, cap);
    size_t n = 0;
    aegis_err err = aegis_envelope_open_lookup(pt, cap, &n, buf, len, lookup, NULL);
    if (err != AEGIS_OK) {
        bool untouched = true, zero = true;
        for (size_t i = 0; i < cap; i++) {
            untouched &= pt[i] == 0xa5;
            zero &= pt[i] == 0;
        }
        need(untouched || zero, "partial plaintext after a failure");
        free(pt);
        return err;
    }
    need(n <= cap, "plaintext length");
    *ret_pt = pt;
    *ret_len = n;
    return AEGIS_OK;
}

static uint8_t *seal_fixed(const uint8_t *pt, size_t n, size_t *len)
{
    if (n > AEGIS_ENVELOPE_MAX_PLAINTEXT)
        n = AEGIS_ENVELOPE_MAX_PLAINTEXT;
    static const uint8_t rnd[4096] = { 0x11, 0x22, 0x33 };
    size_t cap = aegis_envelope_sealed_size(n);
    uint8_t *env = malloc(cap);
    need(env != NULL, "malloc");
    aegis_random_set_fixed_thread(rnd, sizeof(rnd));
    aegis_err err = aegis_envelope_seal(env, cap, len, &fk.pub, pt, n);
    aegis_random_set_fixed_thread(NULL, 0);
    need(err == AEGIS_OK, "seal to the fixed keys");
    return env;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    keys_init();
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    if (size >= 4 && (data[0] == 0x01 || data[0] == 0x02)) {
        unsigned arg = ((unsigned)data[1] << 8) | data[2];
        const uint8_t *msg = data + (data[0] == 0x01 ? 4 : 3);
        size_t msg_len = size - (size_t)(msg - data);
        size_t len = 0;
        uint8_t *env = seal_fixed(msg, msg_len, &len);
        if (data[0] == 0x01) {
            uint8_t x = data[3];
            env[arg % len] ^= x;
            aegis_err err = open_checked(env, len, &pt, &pt_len);
            if (x == 0) {
                need(err == AEGIS_OK, "untouched envelope opens");
                need(pt_len == msg_len && (msg_len == 0 || memcmp(pt, msg, msg_len) == 0), "round trip");
            } else {
                need(err != AEGIS_OK, "a modified envelope must not open");
            }
        } else {
            size_t cut = arg < len ? arg : len;
            aegis_err err = open_checked(env, cut, &pt, &pt_len);
            need((err == AEGIS_OK) == (cut == len), "truncation");
        }
        free(env);
    } else {
        const uint8_t *buf = data, *end = data + size;
        if (size > 0 && data[0] == 0x00)
            buf++;
        aegis_envelope_view v;
        if (aegis_envelope_parse(&v, buf, (size_t)(end - buf)) == AEGIS_OK)
            need(v.ct_len + AEGIS_ENVELOPE_OVERHEAD == (size_t)(end - buf), "parsed length");
        (void)open_checked(buf, (size_t)(end - buf), &pt, &pt_len);
    }
    free(pt);
    return 0;
}
