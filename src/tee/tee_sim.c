/*
 * tee_sim.c - the "sim" TEE backend: software only, INSECURE.
 *
 * Everything hangs off one 32-byte secret in <data_dir>/sim-tee.secret
 * (0600, created from OpenSSL's RAND on first use). derive_key is HKDF of
 * that secret; quotes are signed by a P-256 key derived from it; the
 * measurement is SHA-384 over the running binary and the config text. Anyone
 * who can read the file can do all of this: the backend exists so the rest
 * of Aegis can be developed and tested without TDX. Format:
 * docs/internals/tee.md.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1   /* EC_KEY: derive a P-256 key from a scalar */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include "aegis/crypto.h"
#include "tee_int.h"

#define SIM_SECRET_FILE  "sim-tee.secret"
#define SIM_SECRET_BYTES 32
#define SIM_SALT         "AEGIS-SIM-TEE-V1"
#define SIM_MEAS_LABEL   "AEGIS-SIM-MEASUREMENT-V1"

/* quote layout */
#define Q_MAGIC_LEN  18
#define Q_OFF_MEAS   Q_MAGIC_LEN
#define Q_OFF_RD     (Q_OFF_MEAS + AEGIS_TEE_MEASUREMENT_BYTES)
#define Q_OFF_PK     (Q_OFF_RD + AEGIS_TEE_REPORT_DATA_BYTES)
#define Q_OFF_SIG    (Q_OFF_PK + 65)
#define Q_BYTES      (Q_OFF_SIG + 64)

_Static_assert(sizeof(AEGIS_TEE_SIM_QUOTE_MAGIC) - 1 == Q_MAGIC_LEN, "sim quote magic");
_Static_assert(Q_BYTES == AEGIS_TEE_SIM_QUOTE_BYTES, "sim quote size");

struct sim_ctx {
    uint8_t secret[SIM_SECRET_BYTES];
    uint8_t measurement[AEGIS_TEE_MEASUREMENT_BYTES];
    uint8_t quote_pk[65];
    EVP_PKEY *quote_key;
    bool locked;
    char secret_path[4096];
    /* TEST ONLY: while this file exists every quote fails (AEGIS_ERR_IO),
     * as a primary TEE failing while the sequencer runs. "" = off. */
    char fault_file[4096];
};

static const char *const sim_known_opts[] = { "data_dir", "config_text", "binary", "measurement", "fault_file",
                                              NULL };

/* Read or create the secret file. */
static aegis_err load_secret(struct sim_ctx *c, const char *dir)
{
    if (snprintf(c->secret_path, sizeof(c->secret_path), "%s/%s", dir, SIM_SECRET_FILE) >=
        (int)sizeof(c->secret_path))
        return AEGIS_ERR_INVAL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return AEGIS_ERR_IO;

    int fd = open(c->secret_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        uint8_t s[SIM_SECRET_BYTES];
        aegis_err err = RAND_bytes(s, sizeof(s)) == 1 ? AEGIS_OK : AEGIS_ERR_CRYPTO_RANDOM;
        if (err == AEGIS_OK && (write(fd, s, sizeof(s)) != (ssize_t)sizeof(s) || fsync(fd) != 0))
            err = AEGIS_ERR_IO;
        close(fd);
        if (err == AEGIS_OK)
            memcpy(c->secret, s, sizeof(s));
        else
            unlink(c->secret_path);
        aegis_memzero(s, sizeof(s));
        return err;
    }
    if (errno != EEXIST)
        return AEGIS_ERR_IO;

    fd = open(c->secret_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return AEGIS_ERR_IO;
    struct stat st;
    aegis_err err = AEGIS_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        err = AEGIS_ERR_IO;
    else if (st.st_mode & 077)
        err = AEGIS_ERR_PERM;            /* like ssh: refuse a readable secret */
    else if (st.st_size != SIM_SECRET_BYTES)
        err = AEGIS_ERR_BAD_LENGTH;
    else if (read(fd, c->secret, SIM_SECRET_BYTES) != SIM_SECRET_BYTES)
        err = AEGIS_ERR_IO;
    close(fd);
    return err;
}

static aegis_err sha384_file(uint8_t out[48], const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return AEGIS_ERR_IO;
    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t buf[65536];
    if (!md || EVP_DigestInit_ex(md, EVP_sha384(), NULL) != 1)
        goto out;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = AEGIS_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        if (EVP_DigestUpdate(md, buf, (size_t)n) != 1)
            goto out;
    }
    unsigned len = 0;
    if (EVP_DigestFinal_ex(md, out, &len) == 1 && len == 48)
        err = AEGIS_OK;
out:
    EVP_MD_CTX_free(md);
    close(fd);
    return err;
}

/* measurement = SHA-384(label || SHA-384(binary) || SHA-384(config_text)) */
static aegis_err measure(struct sim_ctx *c, const char *binary, const char *config)
{
    uint8_t buf[sizeof(SIM_MEAS_LABEL) - 1 + 96];
    memcpy(buf, SIM_MEAS_LABEL, sizeof(SIM_MEAS_LABEL) - 1);
    aegis_err err = sha384_file(buf + sizeof(SIM_MEAS_LABEL) - 1, binary);
    if (err != AEGIS_OK)
        return err;
    unsigned len = 0;
    if (EVP_Digest(config, strlen(config), buf + sizeof(SIM_MEAS_LABEL) - 1 + 48, &len, EVP_sha384(), NULL) != 1 ||
        EVP_Digest(buf, sizeof(buf), c->measurement, &len, EVP_sha384(), NULL) != 1)
        return AEGIS_ERR_CRYPTO_BACKEND;
    return AEGIS_OK;
}

/* The quote key: scalar = HKDF(secret, "aegis/sim/quote-key/p256/<i>"),
 * the first i giving 0 < scalar < n. */
static aegis_err make_quote_key(struct sim_ctx *c)
{
    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *d = BN_secure_new();
    EC_POINT *pub = NULL;
    uint8_t scalar[32];
    if (!ec || !d)
        goto out;
    const EC_GROUP *g = EC_KEY_get0_group(ec);
    for (int i = 0;; i++) {
        if (i == 16)
            goto out;
        char info[64];
        snprintf(info, sizeof(info), "aegis/sim/quote-key/p256/%d", i);
        err = aegis_hkdf_sha256(scalar, 32, c->secret, SIM_SECRET_BYTES, (const uint8_t *)SIM_SALT,
                                sizeof(SIM_SALT) - 1, (const uint8_t *)info, strlen(info));
        if (err != AEGIS_OK)
            goto out;
        err = AEGIS_ERR_CRYPTO_BACKEND;
        if (!BN_bin2bn(scalar, 32, d))
            goto out;
        if (!BN_is_zero(d) && BN_cmp(d, EC_GROUP_get0_order(g)) < 0)
            break;
    }
    pub = EC_POINT_new(g);
    if (!pub || !EC_POINT_mul(g, pub, d, NULL, NULL, NULL) || !EC_KEY_set_private_key(ec, d) ||
        !EC_KEY_set_public_key(ec, pub) ||
        EC_POINT_point2oct(g, pub, POINT_CONVERSION_UNCOMPRESSED, c->quote_pk, 65, NULL) != 65)
        goto out;
    c->quote_key = EVP_PKEY_new();
    if (!c->quote_key || !EVP_PKEY_set1_EC_KEY(c->quote_key, ec))
        goto out;
    err = AEGIS_OK;
out:
    aegis_memzero(scalar, sizeof(scalar));
    EC_POINT_free(pub);
    BN_clear_free(d);
    EC_KEY_free(ec);   /* clears the private scalar */
    return err;
}

static aegis_err sim_init(void *ctx, const aegis_tee_option *opts, size_t n)
{
    struct sim_ctx *c = ctx;
    if (!aegis__tee_options_known(opts, n, sim_known_opts))
        return AEGIS_ERR_INVAL;
    const char *dir = aegis__tee_option(opts, n, "data_dir");
    const char *config = aegis__tee_option(opts, n, "config_text");
    const char *binary = aegis__tee_option(opts, n, "binary");
    const char *fault = aegis__tee_option(opts, n, "fault_file");
    if (!dir || !*dir)
        return AEGIS_ERR_INVAL;
    if (fault && snprintf(c->fault_file, sizeof(c->fault_file), "%s", fault) >= (int)sizeof(c->fault_file))
        return AEGIS_ERR_INVAL;
    /* best effort: keep the secret out of swap */
    c->locked = mlock(c, sizeof(*c)) == 0;
    aegis_err err = load_secret(c, dir);
    /* a fixed fake measurement (tests of a cluster's measurement policy) */
    const char *fixed = aegis__tee_option(opts, n, "measurement");
    if (err == AEGIS_OK && fixed && *fixed)
        err = aegis_hex_decode_exact(fixed, c->measurement, sizeof(c->measurement)) == AEGIS_OK ? AEGIS_OK
                                                                                          : AEGIS_ERR_INVAL;
    else if (err == AEGIS_OK)
        err = measure(c, binary ? binary : "/proc/self/exe", config ? config : "");
    if (err == AEGIS_OK)
        err = make_quote_key(c);
    return err;
}

static void sim_free(void *ctx)
{
    struct sim_ctx *c = ctx;
    EVP_PKEY_free(c->quote_key);
    c->quote_key = NULL;
    aegis_memzero(c->secret, sizeof(c->secret));
    if (c->locked)
        munlock(c, sizeof(*c));
}

static aegis_err sim_random(void *ctx, uint8_t *out, size_t n)
{
    (void)ctx;
    while (n > 0) {
        int chunk = n > (1u << 20) ? 1 << 20 : (int)n;
        if (RAND_bytes(out, chunk) != 1)
            return AEGIS_ERR_CRYPTO_RANDOM;
        out += chunk;
        n -= (size_t)chunk;
    }
    return AEGIS_OK;
}

static aegis_err sim_derive_key(void *ctx, const char *label, uint8_t out[static AEGIS_TEE_KEY_BYTES])
{
    const struct sim_ctx *c = ctx;
    static const char prefix[] = "aegis/sim/derive/";
    size_t ll = strlen(label);
    if (ll > 1024)
        return AEGIS_ERR_INVAL;
    uint8_t info[sizeof(prefix) - 1 + 1024];
    memcpy(info, prefix, sizeof(prefix) - 1);
    memcpy(info + sizeof(prefix) - 1, label, ll);
    return aegis_hkdf_sha256(out, AEGIS_TEE_KEY_BYTES, c->secret, SIM_SECRET_BYTES,
                             (const uint8_t *)SIM_SALT, sizeof(SIM_SALT) - 1, info, sizeof(prefix) - 1 + ll);
}

static aegis_err sim_measurement(void *ctx, uint8_t out[static AEGIS_TEE_MEASUREMENT_BYTES])
{
    const struct sim_ctx *c = ctx;
    memcpy(out, c->measurement, AEGIS_TEE_MEASUREMENT_BYTES);
    return AEGIS_OK;
}

static aegis_err sim_quote(void *ctx, const uint8_t report_data[static AEGIS_TEE_REPORT_DATA_BYTES],
                           uint8_t **ret, size_t *ret_len)
{
    const struct sim_ctx *c = ctx;
    if (c->fault_file[0] && access(c->fault_file, F_OK) == 0)
        return AEGIS_ERR_IO;   /* TEST ONLY fault injection (fault_file) */
    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *sig = NULL;
    uint8_t der[80];
    size_t der_len = sizeof(der);
    uint8_t *q = aegis_malloc(Q_BYTES);
    if (!q)
        return AEGIS_ERR_NOMEM;
    memcpy(q, AEGIS_TEE_SIM_QUOTE_MAGIC, Q_MAGIC_LEN);
    memcpy(q + Q_OFF_MEAS, c->measurement, AEGIS_TEE_MEASUREMENT_BYTES);
    memcpy(q + Q_OFF_RD, report_data, AEGIS_TEE_REPORT_DATA_BYTES);
    memcpy(q + Q_OFF_PK, c->quote_pk, 65);

    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->quote_key) != 1 ||
        EVP_DigestSign(md, der, &der_len, q, Q_OFF_SIG) != 1)
        goto out;
    const uint8_t *p = der;
    sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig), q + Q_OFF_SIG, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), q + Q_OFF_SIG + 32, 32) != 32)
        goto out;
    *ret = q;
    *ret_len = Q_BYTES;
    q = NULL;
    err = AEGIS_OK;
out:
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    aegis_free(q);
    return err;
}

static void sim_info(void *ctx, aegis_tee_info_fn fn, void *arg)
{
    const struct sim_ctx *c = ctx;
    char hex[2 * 65 + 1];
    fn(arg, "warning", "SIMULATED TEE - NO HARDWARE PROTECTION: keys and quotes are only as safe as "
                       "the secret file; never use in production");
    fn(arg, "secret_file", c->secret_path);
    if (c->fault_file[0])
        fn(arg, "fault_injection", "TEST ONLY: quotes fail while fault_file exists");
    aegis_hex_encode(hex, c->measurement, AEGIS_TEE_MEASUREMENT_BYTES);
    fn(arg, "measurement", hex);
    aegis_hex_encode(hex, c->quote_pk, 65);
    fn(arg, "quote_key", hex);
    fn(arg, "memory_locked", c->locked ? "true" : "false");
}

aegis_err aegis_tee_sim_verify_quote(const uint8_t *quote, size_t len,
                                     uint8_t out_measurement[AEGIS_TEE_MEASUREMENT_BYTES],
                                     uint8_t out_report_data[AEGIS_TEE_REPORT_DATA_BYTES],
                                     uint8_t out_pubkey[65])
{
    if (len < Q_BYTES)
        return len >= Q_MAGIC_LEN && memcmp(quote, AEGIS_TEE_SIM_QUOTE_MAGIC, Q_MAGIC_LEN) != 0
                   ? AEGIS_ERR_UNSUPPORTED : AEGIS_ERR_TRUNCATED;
    if (memcmp(quote, AEGIS_TEE_SIM_QUOTE_MAGIC, Q_MAGIC_LEN) != 0)
        return AEGIS_ERR_UNSUPPORTED;
    if (len != Q_BYTES)
        return AEGIS_ERR_BAD_LENGTH;

    aegis_err err = AEGIS_ERR_CRYPTO_BACKEND;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *sig = NULL;
    BIGNUM *r = NULL, *s = NULL;
    uint8_t *der = NULL;

    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, quote + Q_OFF_PK, 65) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)))
        goto out;
    pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!pctx || EVP_PKEY_fromdata_init(pctx) != 1)
        goto out;
    /* fromdata decodes the point, which checks it lies on the curve */
    if (quote[Q_OFF_PK] != 0x04 || EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        err = AEGIS_ERR_BAD_KEY;
        goto out;
    }
    r = BN_bin2bn(quote + Q_OFF_SIG, 32, NULL);
    s = BN_bin2bn(quote + Q_OFF_SIG + 32, 32, NULL);
    sig = ECDSA_SIG_new();
    if (!r || !s || !sig || !ECDSA_SIG_set0(sig, r, s))
        goto out;
    r = s = NULL;   /* owned by sig */
    int der_len = i2d_ECDSA_SIG(sig, &der);
    md = EVP_MD_CTX_new();
    if (der_len <= 0 || !md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) != 1)
        goto out;
    if (EVP_DigestVerify(md, der, (size_t)der_len, quote, Q_OFF_SIG) != 1) {
        err = AEGIS_ERR_BAD_SIG;
        goto out;
    }
    if (out_measurement)
        memcpy(out_measurement, quote + Q_OFF_MEAS, AEGIS_TEE_MEASUREMENT_BYTES);
    if (out_report_data)
        memcpy(out_report_data, quote + Q_OFF_RD, AEGIS_TEE_REPORT_DATA_BYTES);
    if (out_pubkey)
        memcpy(out_pubkey, quote + Q_OFF_PK, 65);
    err = AEGIS_OK;
out:
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    BN_free(r);
    BN_free(s);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return err;
}

const struct aegis_tee_ops aegis_tee_sim_ops = {
    .name = "sim",
    .flags = AEGIS_TEE_FLAG_INSECURE,
    .ctx_size = sizeof(struct sim_ctx),
    .init = sim_init,
    .random = sim_random,
    .derive_key = sim_derive_key,
    .quote = sim_quote,
    .measurement = sim_measurement,
    .info = sim_info,
    .free = sim_free,
};
