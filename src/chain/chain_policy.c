/*
 * chain_policy.c - a verifier's attestation policy file: one flat
 * aegis_attest_policy for every platform (the format `aegis quote verify`
 * reads), or one policy per platform plus what the verifier requires of the
 * attestation pair (aegis/chain.h; docs/internals/attestation-batches.md):
 *
 *   { "require_backup": true, "require_primary": false,
 *     "tdx":    { "mrtd": [...], "rtmr0": [...], ... },
 *     "dstack": { "app_id": [...], "compose_hash": [...], "os_image": [...] },
 *     "sim":    { "mrtd": [...] } }
 *
 * A file is sectioned when it has any of these top-level keys; then every
 * other key is an error (a flat key beside sections would be ambiguous).
 */
#include <stdlib.h>
#include <string.h>

#include "aegis/attest.h"
#include "aegis/chain.h"

#define POLICY_FILE_MAX (1024u * 1024u)

static const char *const section_keys[] = { "require_backup", "require_primary", "tdx", "dstack", "sim", NULL };

static bool is_section_key(const char *k)
{
    for (size_t i = 0; section_keys[i]; i++)
        if (strcmp(k, section_keys[i]) == 0)
            return true;
    return false;
}

/* One platform's policy from a sub-object (the flat loader does the keys). */
static aegis_err load_one(const json_t *obj, aegis_attest_policy **ret, const char **why, const char *what)
{
    aegis_err err = AEGIS_ERR_NOMEM;
    char *text = json_dumps(obj, JSON_COMPACT);
    aegis_attest_policy *p = aegis_malloc(sizeof(*p));
    if (!text || !p)
        goto out;
    const char *msg = NULL;
    err = aegis_attest_policy_load_json(text, strlen(text), p, &msg);
    if (err) {
        *why = what;
        goto out;
    }
    *ret = p;
    p = NULL;
out:
    aegis_free(p);
    free(text);
    return err;
}

static aegis_attest_policy *default_policy(void)
{
    aegis_attest_policy *p = aegis_malloc(sizeof(*p));
    if (p)
        aegis_attest_policy_init(p);
    return p;
}

aegis_err aegis_chain_policy_load_json(const char *json, size_t len, aegis_chain_policy *ret, const char **why)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr), *v;
    const char *key;
    bool sectioned = false;
    aegis_err err = AEGIS_ERR_POLICY_MALFORMED;
    memset(ret, 0, sizeof(*ret));
    *why = "policy is not a JSON object";
    if (!json_is_object(root))
        goto out;
    json_object_foreach(root, key, v)
        if (is_section_key(key))
            sectioned = true;
    if (!sectioned) {
        err = load_one(root, &ret->all, why, "policy key has a bad value or is unknown");
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "require_backup") == 0 || strcmp(key, "require_primary") == 0) {
            if (!json_is_boolean(v)) {
                *why = "require_backup / require_primary must be true or false";
                goto out;
            }
            if (strcmp(key, "require_backup") == 0)
                ret->require_backup = json_is_true(v);
            else
                ret->require_primary = json_is_true(v);
            continue;
        }
        if (!is_section_key(key) || !json_is_object(v)) {
            *why = "a sectioned policy has only require_backup, require_primary and the objects tdx, dstack, sim";
            goto out;
        }
        aegis_attest_policy **dst = strcmp(key, "tdx") == 0 ? &ret->tdx : strcmp(key, "dstack") == 0 ? &ret->dstack
                                                                                                   : &ret->all;
        err = load_one(v, dst, why,
                       dst == &ret->tdx      ? "policy section tdx: a key has a bad value or is unknown"
                       : dst == &ret->dstack ? "policy section dstack: a key has a bad value or is unknown"
                                             : "policy section sim: a key has a bad value or is unknown");
        if (err)
            goto out;
        err = AEGIS_ERR_POLICY_MALFORMED;
    }
    ret->has_tdx = ret->tdx != NULL;
    ret->has_dstack = ret->dstack != NULL;
    /* a platform without a section gets the defaults, never another's */
    err = AEGIS_ERR_NOMEM;
    if ((!ret->all && !(ret->all = default_policy())) || (!ret->tdx && !(ret->tdx = default_policy())) ||
        (!ret->dstack && !(ret->dstack = default_policy())))
        goto out;
    err = AEGIS_OK;
out:
    if (!err)
        *why = NULL;
    json_decref(root);
    return err;
}

aegis_err aegis_chain_policy_load_file(const char *path, aegis_chain_policy *ret, const char **why)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    memset(ret, 0, sizeof(*ret));
    aegis_err err = aegis_file_read(path, POLICY_FILE_MAX, &buf, &n);
    if (err) {
        *why = "cannot read the policy file";
        return err;
    }
    err = aegis_chain_policy_load_json((const char *)buf, n, ret, why);
    aegis_free(buf);
    return err;
}

void aegis_chain_policy_clear(aegis_chain_policy *p)
{
    if (!p)
        return;
    aegis_free(p->all);
    aegis_free(p->tdx);
    aegis_free(p->dstack);
    memset(p, 0, sizeof(*p));
}

void aegis_chain_policy_apply(const aegis_chain_policy *p, aegis_chain_verify_opts *opts)
{
    opts->policy = p->all;
    opts->tdx_policy = p->tdx;
    opts->dstack_policy = p->dstack;
    opts->require_backup |= p->require_backup;
    opts->require_primary |= p->require_primary;
}
