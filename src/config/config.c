/* config.c - load, set, validate and clear aegis_config, driven by the
 * schema table in schema.c. Printing lives in config_print.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aegis/toml.h"
#include "aegis/util.h"
#include "config_int.h"

#define MAX_KEYS 128 /* >= aegis__cfg_schema_len, checked at run time */
#define MAX_FILE (4u * 1024u * 1024u)

/* Heap message for *ret (when wanted); errors in formatting are ignored
 * because the code returned is what matters. */
static void set_msg(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(char **ret, const char *fmt, ...)
{
    if (!ret)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *m = aegis_malloc((size_t)n + 1);
    if (!m)
        return;
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    aegis_free(*ret);
    *ret = m;
}

static void *field(aegis_config *c, const struct aegis__cfg_key *k)
{
    return (char *)c + k->off;
}

static const void *cfield(const aegis_config *c, const struct aegis__cfg_key *k)
{
    return (const char *)c + k->off;
}

static bool in_choices(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    const char *c = choices;
    for (;;) {
        const char *bar = strchr(c, '|');
        size_t l = bar ? (size_t)(bar - c) : strlen(c);
        if (l == vl && memcmp(c, v, l) == 0)
            return true;
        if (!bar)
            return false;
        c = bar + 1;
    }
}

/* Checks one string (or list item) against the key's rules. */
static aegis_err check_str(const struct aegis__cfg_key *k, const char *v, const char **why)
{
    size_t l = strlen(v);
    if (k->choices) {
        if (!in_choices(k->choices, v)) {
            *why = "not one of the allowed values";
            return AEGIS_ERR_CONFIG_CHOICE;
        }
    } else if (k->type == AEGIS__CFG_STR && (l < k->min || l > k->max)) {
        *why = l < k->min ? "must not be empty" : "string too long";
        return AEGIS_ERR_CONFIG_RANGE;
    }
    if (k->check && (*why = k->check(v)) != NULL)
        return AEGIS_ERR_CONFIG_RANGE;
    return AEGIS_OK;
}

static aegis_err put_str(char **slot, const char *v)
{
    char *d = aegis_strdup(v);
    if (!d)
        return AEGIS_ERR_NOMEM;
    aegis_free(*slot);
    *slot = d;
    return AEGIS_OK;
}

static void list_clear(aegis_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        aegis_free(l->items[i]);
    l->n = 0;
}

/* Replace a list with items (already checked); takes nothing. */
static aegis_err put_list(aegis_strlist *l, const char *const *items, size_t n)
{
    aegis_strlist nl = { .n = 0 };
    for (size_t i = 0; i < n; i++) {
        if (!(nl.items[i] = aegis_strdup(items[i]))) {
            list_clear(&nl);
            return AEGIS_ERR_NOMEM;
        }
        nl.n++;
    }
    list_clear(l);
    *l = nl;
    return AEGIS_OK;
}

static aegis_err check_u64(const struct aegis__cfg_key *k, uint64_t v, const char **why)
{
    if (v < k->min || v > k->max) {
        *why = "out of range";
        return AEGIS_ERR_CONFIG_RANGE;
    }
    return AEGIS_OK;
}

/* Set key k from its textual form (defaults, command-line overrides).
 * Lists are comma-separated; surrounding spaces are dropped. */
static aegis_err set_text(aegis_config *cfg, const struct aegis__cfg_key *k, const char *v,
                          const char **why)
{
    aegis_err err;
    switch (k->type) {
    case AEGIS__CFG_STR:
        if ((err = check_str(k, v, why)) != AEGIS_OK)
            return err;
        return put_str(field(cfg, k), v);
    case AEGIS__CFG_U64: {
        char *end = NULL;
        if (v[0] < '0' || v[0] > '9') {
            *why = "not a non-negative integer";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (*end != '\0') {
            *why = "not a non-negative integer";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        if (errno == ERANGE) {
            *why = "out of range";
            return AEGIS_ERR_CONFIG_RANGE;
        }
        if ((err = check_u64(k, n, why)) != AEGIS_OK)
            return err;
        *(uint64_t *)field(cfg, k) = n;
        return AEGIS_OK;
    }
    case AEGIS__CFG_BOOL:
        if (strcmp(v, "true") == 0)
            *(bool *)field(cfg, k) = true;
        else if (strcmp(v, "false") == 0)
            *(bool *)field(cfg, k) = false;
        else {
            *why = "must be true or false";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        return AEGIS_OK;
    case AEGIS__CFG_LIST: {
        char *copy = aegis_strdup(v);
        const char *items[AEGIS_CONFIG_MAX_LIST];
        size_t n = 0;
        if (!copy)
            return AEGIS_ERR_NOMEM;
        err = AEGIS_OK;
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            size_t l = strlen(tok);
            while (l > 0 && tok[l - 1] == ' ')
                tok[--l] = '\0';
            if (l == 0)
                continue;
            if (n >= AEGIS_CONFIG_MAX_LIST || n >= k->max) {
                *why = "too many items";
                err = AEGIS_ERR_CONFIG_RANGE;
                break;
            }
            if ((err = check_str(k, tok, why)) != AEGIS_OK)
                break;
            items[n++] = tok;
        }
        if (!err && n < k->min) {
            *why = "too few items";
            err = AEGIS_ERR_CONFIG_RANGE;
        }
        if (!err)
            err = put_list(field(cfg, k), items, n);
        aegis_free(copy);
        return err;
    }
    }
    return AEGIS_ERR_INTERNAL;
}

void aegis_config_clear(aegis_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < aegis__cfg_schema_len; i++) {
        const struct aegis__cfg_key *k = &aegis__cfg_schema[i];
        if (k->type == AEGIS__CFG_STR) {
            char **s = field(cfg, k);
            aegis_free(*s);
        } else if (k->type == AEGIS__CFG_LIST) {
            list_clear(field(cfg, k));
        }
    }
    memset(cfg, 0, sizeof(*cfg));
}

aegis_err aegis_config_defaults(aegis_config *cfg)
{
    if (aegis__cfg_schema_len > MAX_KEYS)
        aegis_misuse("config schema larger than MAX_KEYS");
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < aegis__cfg_schema_len; i++) {
        const char *why = NULL;
        aegis_err err = set_text(cfg, &aegis__cfg_schema[i], aegis__cfg_schema[i].def, &why);
        if (err) {
            aegis_config_clear(cfg);
            if (err != AEGIS_ERR_NOMEM)
                aegis_misuse("config schema default fails its own checks");
            return err;
        }
    }
    cfg->phala_enabled = false;
    return AEGIS_OK;
}

/* ---- cross-field rules (docs: aegis__cfg_rules in schema.c) ---- */

struct violation {
    const char *section, *key, *why;
};

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool same_algorithm(const char *a, const char *b)
{
    bool sa = eq(a, "SLH-DSA-256s") || eq(a, "SLH-DSA-SHA2-256s");
    bool sb = eq(b, "SLH-DSA-256s") || eq(b, "SLH-DSA-SHA2-256s");
    return eq(a, b) || (sa && sb);
}

static aegis_err cross_check(const aegis_config *c, struct violation *v)
{
#define FAIL(s, k, w) do { v->section = (s); v->key = (k); v->why = (w); return AEGIS_ERR_CONFIG_CONFLICT; } while (0)
    if (c->risk_emergency <= c->risk_scheduled)
        FAIL("quantum", "risk_emergency", "must be greater than quantum.risk_scheduled");
    if (c->min_workers > c->max_workers)
        FAIL("worker", "min_workers", "must not exceed worker.max_workers");
    bool cluster = c->cluster_nats_urls.n > 0;
    if (eq(c->storage_backend, "memory") && (cluster || c->min_workers > 1 || c->max_workers > 1))
        FAIL("worker", c->min_workers > 1 ? "min_workers" : "max_workers",
             "storage.backend \"memory\" can provide only one worker and no cluster "
             "(set min_workers = max_workers = 1)");
    if (cluster && c->min_workers > 1 && c->min_workers < 3 && c->cluster_replicas < 3)
        FAIL("cluster", "replicas", "must be 3 or more when several workers must be up");
    if (c->cluster_attest_quorum > c->max_workers)
        FAIL("cluster", "attest_quorum", "must not exceed worker.max_workers");
    if (c->cluster_heartbeat_ms * 3 > c->cluster_lease_ms)
        FAIL("cluster", "heartbeat_ms", "must be at most cluster.lease_ms / 3");
    if (c->cluster_user && c->cluster_user[0] && (!c->cluster_password_file || !c->cluster_password_file[0]))
        FAIL("cluster", "password_file", "is required when cluster.user is set");
    if (cluster)
        for (const char *w = c->worker_id; w && *w; w++)
            if ((unsigned char)*w <= ' ' || (unsigned char)*w >= 0x7f || strchr(".*>\"\\", *w))
                FAIL("worker", "id", "a cluster worker's id names NATS subjects: printable ASCII without "
                     "spaces, '.', '*', '>', quotes or backslashes");
    if (cluster && (eq(c->tee_primary, "tdx") || eq(c->tee_primary, "dstack")) &&
        (!c->cluster_collateral || !c->cluster_collateral[0]))
        FAIL("cluster", "collateral", "is required on a tdx or dstack worker: join attestations are verified with it");
    for (size_t i = 0; i < c->cluster_nats_urls.n; i++)
        if (strncmp(c->cluster_nats_urls.items[i], "nats://", 7) != 0)
            FAIL("cluster", "nats_urls", "entries must start with nats://");
    for (size_t i = 0; i < c->cluster_measurements.n; i++) {
        uint8_t m[48];
        if (aegis_hex_decode_exact(c->cluster_measurements.items[i], m, sizeof(m)) != AEGIS_OK)
            FAIL("cluster", "allowed_measurements", "entries must be 96 hex digits (a SHA-384 measurement)");
    }
    if (c->tee_sim_measurement && c->tee_sim_measurement[0]) {
        uint8_t m[48];
        if (!eq(c->tee_primary, "sim"))
            FAIL("tee", "sim_measurement", "applies only to tee.primary = \"sim\"");
        if (aegis_hex_decode_exact(c->tee_sim_measurement, m, sizeof(m)) != AEGIS_OK)
            FAIL("tee", "sim_measurement", "must be 96 hex digits");
    }
    if (eq(c->enclave_type, "SIM") && !eq(c->tee_primary, "sim"))
        FAIL("worker", "enclave_type", "\"SIM\" requires tee.primary = \"sim\"");
    if (eq(c->enclave_type, "SGX") && (eq(c->tee_primary, "tdx") || eq(c->tee_primary, "dstack")))
        FAIL("worker", "enclave_type", "\"SGX\" cannot be attested by the tdx or dstack backend");
    /* A real redundancy layer is a second TEE stack; two sims (independent
     * keys) are allowed so development exercises the cross-validation. */
    if (c->tee_backup && c->tee_backup[0] && eq(c->tee_backup, c->tee_primary) && !eq(c->tee_primary, "sim"))
        FAIL("tee", "backup", "must differ from tee.primary (only sim may back up sim)");
    if (c->tee_require_backup && (!c->tee_backup || !c->tee_backup[0]))
        FAIL("tee", "require_backup", "is true but no tee.backup is configured");
    if (eq(c->tee_on_primary_failure, "backup") && (!c->tee_backup || !c->tee_backup[0]))
        FAIL("tee", "on_primary_failure", "is \"backup\" but no tee.backup is configured");
    if (c->tee_sim_fault_file && c->tee_sim_fault_file[0] && !eq(c->tee_primary, "sim"))
        FAIL("tee", "sim_fault_file", "is a test-only knob of the sim backend: needs tee.primary = \"sim\"");
    if (eq(c->mode, "asset") && !c->enable_asset_protection)
        FAIL("intelligence", "mode", "\"asset\" needs enable_asset_protection = true");
    if (eq(c->mode, "migration") && !c->enable_migration)
        FAIL("intelligence", "mode", "\"migration\" needs enable_migration = true");
    for (size_t i = 0; i < c->signature_algorithms.n; i++)
        for (size_t j = i + 1; j < c->signature_algorithms.n; j++)
            if (same_algorithm(c->signature_algorithms.items[i], c->signature_algorithms.items[j]))
                FAIL("quantum", "signature_algorithms", "lists the same algorithm twice");
    if (c->mempool_per_sender > c->mempool_capacity)
        FAIL("mempool", "per_sender", "must not exceed mempool.capacity");
    if (c->mempool_max_envelope > c->rpc_max_body)
        FAIL("mempool", "max_envelope", "must not exceed rpc.max_body");
    for (size_t i = 0; i < c->migration_contracts.n; i++) {
        uint8_t addr[20];
        const char *a = c->migration_contracts.items[i];
        if (strncmp(a, "0x", 2) != 0 || aegis_hex_decode_exact(a, addr, sizeof(addr)) != AEGIS_OK)
            FAIL("assets", "migration_contracts", "entries must be 0x followed by 40 hex digits");
    }
    if (cluster && c->max_workers < 2)
        FAIL("worker", "max_workers", "a cluster needs at least 2 (it caps the members admitted to the key set)");
    return AEGIS_OK;
#undef FAIL
}

/* Per-field re-check (after direct edits or overrides). */
static aegis_err field_check(const aegis_config *c, struct violation *v)
{
    for (size_t i = 0; i < aegis__cfg_schema_len; i++) {
        const struct aegis__cfg_key *k = &aegis__cfg_schema[i];
        const char *why = NULL;
        aegis_err err = AEGIS_OK;
        if (k->type == AEGIS__CFG_STR) {
            const char *s = *(char *const *)cfield(c, k);
            err = s ? check_str(k, s, &why) : AEGIS_ERR_CONFIG_TYPE;
            if (!s)
                why = "missing";
        } else if (k->type == AEGIS__CFG_U64) {
            err = check_u64(k, *(const uint64_t *)cfield(c, k), &why);
        } else if (k->type == AEGIS__CFG_LIST) {
            const aegis_strlist *l = cfield(c, k);
            if (l->n < k->min || l->n > k->max) {
                why = l->n < k->min ? "too few items" : "too many items";
                err = AEGIS_ERR_CONFIG_RANGE;
            }
            for (size_t j = 0; !err && j < l->n; j++)
                err = check_str(k, l->items[j], &why);
        }
        if (err) {
            v->section = k->section;
            v->key = k->key;
            v->why = why;
            return err;
        }
    }
    return cross_check(c, v);
}

aegis_err aegis_config_validate(const aegis_config *cfg, char **ret_msg)
{
    struct violation v = { 0 };
    aegis_err err = field_check(cfg, &v);
    if (err)
        set_msg(ret_msg, "%s.%s: %s", v.section, v.key, v.why);
    return err;
}

size_t aegis_config_warnings(const aegis_config *cfg, const char **out, size_t max)
{
    size_t n = 0;
#define WARN(w) do { if (n < max) out[n] = (w); n++; } while (0)
    if ((eq(cfg->enclave_type, "TDX") || eq(cfg->enclave_type, "SGX")) && eq(cfg->tee_primary, "sim"))
        WARN("worker.enclave_type names a hardware enclave but tee.primary is \"sim\": "
             "attestation is simulated");
    if (cfg->cluster_nats_urls.n == 0 && cfg->min_workers > 1)
        WARN("worker.min_workers > 1 but no [cluster] (cluster.nats_urls): this node runs alone and "
             "reports degraded (/healthz 206) until it runs as a cluster");
    if (cfg->cluster_nats_urls.n > 0 && (!cfg->cluster_user || !cfg->cluster_user[0]))
        WARN("cluster.user is empty: the nats-servers must be open to anyone on their network "
             "(loopback tests only; production servers accept only the workers)");
    if (cfg->cluster_nats_urls.n > 0 && eq(cfg->tee_primary, "sim"))
        WARN("cluster workers on the sim TEE: the key set is handed to any process that asks "
             "with an allowed fake measurement (INSECURE)");
    if (eq(cfg->storage_backend, "memory"))
        WARN("storage.backend is \"memory\": the envelope log is lost on exit");
    if (cfg->phala_enabled && eq(cfg->tee_backup, "dstack") && !cfg->tee_require_backup)
        WARN("[phala] present: dstack is the TEE backup; a failing backup only degrades health");
    if (eq(cfg->tee_primary, "dstack") && (!cfg->tee_backup || !cfg->tee_backup[0]))
        WARN("DEPRECATED: tee.primary = \"dstack\" with no tee.backup is the legacy Phala-only mode; "
             "batches carry one dstack attestation and nothing cross-validates it. Run a tdx primary "
             "with backup = \"dstack\" (docs/internals/attestation-batches.md)");
    if (cfg->tee_sim_fault_file && cfg->tee_sim_fault_file[0])
        WARN("TEST ONLY: tee.sim_fault_file is set: primary quotes fail while that file exists");
    if (eq(cfg->tee_on_primary_failure, "backup") && eq(cfg->tee_attest_mode, "key-binding"))
        WARN("tee.on_primary_failure = \"backup\" has no effect on batches in key-binding mode: they "
             "reuse the key set's quotes, and key sets always need the primary");
#undef WARN
    return n;
}

aegis_err aegis_config_set(aegis_config *cfg, const char *section, const char *key,
                           const char *value, char **ret_msg)
{
    const struct aegis__cfg_key *k = aegis__cfg_find(section, key);
    if (!k) {
        set_msg(ret_msg, "%s.%s: unknown key", section, key);
        return AEGIS_ERR_CONFIG_UNKNOWN_KEY;
    }
    const char *why = "out of memory";
    aegis_err err = set_text(cfg, k, value, &why);
    if (err)
        set_msg(ret_msg, "%s.%s: %s: \"%s\"", section, key, why, value);
    return err;
}

/* ---- loading from TOML ---- */

static aegis_err apply_toml(aegis_config *cfg, const struct aegis__cfg_key *k,
                            const aegis_toml_value *v, const char **why)
{
    aegis_toml_type t = aegis_toml_type_of(v);
    switch (k->type) {
    case AEGIS__CFG_STR: {
        size_t len;
        const char *s = aegis_toml_string(v, &len);
        if (!s) {
            *why = "must be a string";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        if (strlen(s) != len) {
            *why = "must not contain NUL";
            return AEGIS_ERR_CONFIG_RANGE;
        }
        aegis_err err = check_str(k, s, why);
        return err ? err : put_str(field(cfg, k), s);
    }
    case AEGIS__CFG_U64: {
        int64_t i;
        if (!aegis_toml_int(v, &i)) {
            *why = "must be an integer";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        if (i < 0) {
            *why = "out of range";
            return AEGIS_ERR_CONFIG_RANGE;
        }
        aegis_err err = check_u64(k, (uint64_t)i, why);
        if (!err)
            *(uint64_t *)field(cfg, k) = (uint64_t)i;
        return err;
    }
    case AEGIS__CFG_BOOL:
        if (!aegis_toml_bool(v, field(cfg, k))) {
            *why = "must be true or false";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        return AEGIS_OK;
    case AEGIS__CFG_LIST: {
        const char *items[AEGIS_CONFIG_MAX_LIST];
        size_t n = aegis_toml_len(v);
        if (t != AEGIS_TOML_ARRAY) {
            *why = "must be an array of strings";
            return AEGIS_ERR_CONFIG_TYPE;
        }
        if (n < k->min || n > k->max || n > AEGIS_CONFIG_MAX_LIST) {
            *why = n < k->min ? "too few items" : "too many items";
            return AEGIS_ERR_CONFIG_RANGE;
        }
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *s = aegis_toml_string(aegis_toml_array_at(v, i), &len);
            if (!s) {
                *why = "must be an array of strings";
                return AEGIS_ERR_CONFIG_TYPE;
            }
            if (strlen(s) != len) {
                *why = "must not contain NUL";
                return AEGIS_ERR_CONFIG_RANGE;
            }
            aegis_err err = check_str(k, s, why);
            if (err)
                return err;
            items[i] = s;
        }
        return put_list(field(cfg, k), items, n);
    }
    }
    return AEGIS_ERR_INTERNAL;
}

static bool known_section(const char *s)
{
    for (size_t i = 0; i < aegis__cfg_sections_len; i++)
        if (strcmp(aegis__cfg_sections[i][0], s) == 0)
            return true;
    return false;
}

/* Where section.key was written (0,0 if absent). */
static void locate(const aegis_toml_value *doc, const char *section, const char *key,
                   unsigned *line, unsigned *col)
{
    *line = *col = 0;
    for (size_t i = 0; i < aegis_toml_len(doc); i++) {
        const char *name;
        const aegis_toml_value *sec = aegis_toml_table_at(doc, i, &name, NULL);
        if (strcmp(name, section) != 0)
            continue;
        aegis_toml_pos(sec, line, col);
        for (size_t j = 0; j < aegis_toml_len(sec); j++) {
            const char *kn;
            aegis_toml_table_at(sec, j, &kn, NULL);
            if (strcmp(kn, key) == 0)
                aegis_toml_table_key_pos(sec, j, line, col);
        }
    }
}

static aegis_err load_doc(aegis_config *cfg, const char *name, const aegis_toml_value *doc,
                          char **ret_msg)
{
    bool given[MAX_KEYS] = { false };
    const char *why = "out of memory";
    unsigned line, col;
    aegis_err err;

    for (size_t i = 0; i < aegis_toml_len(doc); i++) {
        const char *sname;
        const aegis_toml_value *sec = aegis_toml_table_at(doc, i, &sname, NULL);
        aegis_toml_table_key_pos(doc, i, &line, &col);
        if (aegis_toml_type_of(sec) != AEGIS_TOML_TABLE) {
            set_msg(ret_msg, "%s:%u:%u: %s: top-level keys are not allowed; put keys in a [section]",
                    name, line, col, sname);
            return AEGIS_ERR_CONFIG_UNKNOWN_KEY;
        }
        if (!known_section(sname)) {
            set_msg(ret_msg, "%s:%u:%u: [%s]: unknown section", name, line, col, sname);
            return AEGIS_ERR_CONFIG_UNKNOWN_KEY;
        }
        if (strcmp(sname, "phala") == 0)
            cfg->phala_enabled = true;
        for (size_t j = 0; j < aegis_toml_len(sec); j++) {
            const char *kname;
            const aegis_toml_value *v = aegis_toml_table_at(sec, j, &kname, NULL);
            const struct aegis__cfg_key *k = aegis__cfg_find(sname, kname);
            aegis_toml_table_key_pos(sec, j, &line, &col);
            if (!k) {
                set_msg(ret_msg, "%s:%u:%u: %s.%s: unknown key", name, line, col, sname, kname);
                return AEGIS_ERR_CONFIG_UNKNOWN_KEY;
            }
            if ((err = apply_toml(cfg, k, v, &why)) != AEGIS_OK) {
                aegis_toml_pos(v, &line, &col);
                set_msg(ret_msg, "%s:%u:%u: %s.%s: %s", name, line, col, sname, kname, why);
                return err;
            }
            given[k - aegis__cfg_schema] = true;
        }
    }
    /* [phala] means Phala Cloud: dstack backs up the primary TEE unless
     * tee.backup says otherwise (or dstack already is the primary). */
    const struct aegis__cfg_key *bk = aegis__cfg_find("tee", "backup");
    if (cfg->phala_enabled && !given[bk - aegis__cfg_schema] && !eq(cfg->tee_primary, "dstack")) {
        if ((err = put_str(&cfg->tee_backup, "dstack")) != AEGIS_OK)
            return err;
    }
    struct violation v = { 0 };
    if ((err = cross_check(cfg, &v)) != AEGIS_OK) {
        locate(doc, v.section, v.key, &line, &col);
        if (line)
            set_msg(ret_msg, "%s:%u:%u: %s.%s: %s", name, line, col, v.section, v.key, v.why);
        else
            set_msg(ret_msg, "%s: %s.%s: %s", name, v.section, v.key, v.why);
        return err;
    }
    return AEGIS_OK;
}

aegis_err aegis_config_load_buffer(aegis_config *cfg, const char *name, const char *text,
                                   size_t len, char **ret_msg)
{
    aegis_toml_value *doc = NULL;
    aegis_toml_error terr = { 0 };
    aegis_err err = aegis_config_defaults(cfg);
    if (err)
        return err;
    err = aegis_toml_parse(text, len, &doc, &terr);
    if (err == AEGIS_ERR_NOMEM) {
        set_msg(ret_msg, "%s: out of memory", name);
    } else if (err) {
        set_msg(ret_msg, "%s:%u:%u: %s", name, terr.line, terr.col, terr.msg);
        err = AEGIS_ERR_CONFIG_SYNTAX;
    } else {
        err = load_doc(cfg, name, doc, ret_msg);
    }
    aegis_toml_free(doc);
    if (err)
        aegis_config_clear(cfg);
    return err;
}

aegis_err aegis_config_load_file(aegis_config *cfg, const char *path, char **ret_msg)
{
    uint8_t *data = NULL;
    size_t len = 0;
    aegis_err err = aegis_file_read(path, MAX_FILE, &data, &len);
    if (err) {
        memset(cfg, 0, sizeof(*cfg));
        set_msg(ret_msg, "%s: cannot read: %s", path, aegis_strerror(err));
        return err;
    }
    err = aegis_config_load_buffer(cfg, path, (const char *)data, len, ret_msg);
    aegis_free(data);
    if (!err && (err = aegis_config_resolve_paths(cfg, path)) != AEGIS_OK) {
        set_msg(ret_msg, "%s: out of memory", path);
        aegis_config_clear(cfg);
    }
    return err;
}
