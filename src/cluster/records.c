/* records.c - the cluster's own records, strictly parsed (host side: they
 * carry batch numbers, hashes and worker ids, nothing secret). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "aegis/cluster.h"
#include "aegis/json.h"

#define MAX_RECORD (1u << 20)

static json_t *load(const uint8_t *d, size_t n)
{
    if (!d || n == 0 || n > MAX_RECORD)
        return NULL;
    json_t *j = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool is_type(const json_t *j, const char *t)
{
    const char *s = json_string_value(json_object_get(j, "type"));
    return s && strcmp(s, t) == 0;
}

/* a worker id: 1..128 printable bytes, no NATS subject separators */
static bool worker_ok(const char *w)
{
    size_t n = w ? strlen(w) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)w[i] <= ' ' || (unsigned char)w[i] >= 0x7f || strchr(".*>\"\\", w[i]))
            return false;
    return true;
}

size_t aegis_cluster_cut_encode(char *out, size_t cap, const aegis_cluster_cut *c)
{
    if (!worker_ok(c->leader) && c->number != 0)
        return 0;
    int n = c->number == 0 ? snprintf(out, cap, "{\"type\":\"cut\",\"number\":0}")
                           : snprintf(out, cap,
                                      "{\"type\":\"cut\",\"number\":%llu,\"ts\":%llu,\"leader\":\"%s\",\"after\":%llu}",
                                      (unsigned long long)c->number, (unsigned long long)c->ts_ms, c->leader,
                                      (unsigned long long)c->after);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

aegis_err aegis_cluster_cut_parse(const uint8_t *d, size_t n, aegis_cluster_cut *ret)
{
    json_t *j = load(d, n);
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    memset(ret, 0, sizeof(*ret));
    if (!j || !is_type(j, "cut") || !aegis_json_uint(json_object_get(j, "number"), INT64_MAX, &ret->number))
        goto out;
    if (ret->number == 0) {
        err = json_object_size(j) == 2 ? AEGIS_OK : AEGIS_ERR_CLUSTER_RECORD;
        goto out;
    }
    const char *w = json_string_value(json_object_get(j, "leader"));
    if (json_object_size(j) != 5 || !aegis_json_uint(json_object_get(j, "ts"), INT64_MAX, &ret->ts_ms) ||
        ret->ts_ms == 0 || !worker_ok(w) || !aegis_json_uint(json_object_get(j, "after"), INT64_MAX, &ret->after) ||
        ret->after == 0)
        goto out;
    snprintf(ret->leader, sizeof(ret->leader), "%s", w);
    err = AEGIS_OK;
out:
    json_decref(j);
    if (err)
        memset(ret, 0, sizeof(*ret));
    return err;
}

aegis_err aegis_cluster_coattest_parse(const uint8_t *d, size_t n, const char *subject_worker,
                                       aegis_cluster_coatt *ret)
{
    json_t *j = load(d, n);
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    memset(ret, 0, sizeof(*ret));
    const char *w = json_string_value(json_object_get(j, "worker"));
    if (!j || !is_type(j, "coattest") || !worker_ok(w) || !subject_worker || strcmp(w, subject_worker) != 0 ||
        !aegis_json_uint(json_object_get(j, "number"), INT64_MAX, &ret->number) || ret->number == 0 ||
        !aegis_json_hex_exact(json_object_get(j, "hash"), ret->hash, 32) ||
        !json_is_object(json_object_get(j, "attestation")))
        goto out;
    snprintf(ret->worker, sizeof(ret->worker), "%s", w);
    err = AEGIS_OK;
out:
    json_decref(j);
    if (err)
        memset(ret, 0, sizeof(*ret));
    return err;
}

aegis_err aegis_cluster_batch_parse(const uint8_t *d, size_t n, uint64_t *ret_number, uint8_t ret_hash[static 32])
{
    json_t *j = load(d, n);
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    uint64_t num = 0;
    if (j && aegis_json_uint(json_object_get(j, "number"), INT64_MAX, &num) && num > 0 &&
        aegis_json_hex_exact(json_object_get(j, "hash"), ret_hash, 32)) {
        *ret_number = num;
        err = AEGIS_OK;
    }
    json_decref(j);
    return err;
}

aegis_err aegis_cluster_dissent_parse(const uint8_t *d, size_t n, const char *subject_worker, uint64_t *ret_number)
{
    json_t *j = load(d, n);
    aegis_err err = AEGIS_ERR_CLUSTER_RECORD;
    uint64_t num = 0;
    uint8_t h[32];
    const char *w = json_string_value(json_object_get(j, "worker"));
    if (j && is_type(j, "dissent") && worker_ok(w) && subject_worker && strcmp(w, subject_worker) == 0 &&
        aegis_json_uint(json_object_get(j, "number"), INT64_MAX, &num) && num > 0 &&
        aegis_hex_decode_exact(json_string_value(json_object_get(j, "mine")) ?: "", h, 32) == AEGIS_OK &&
        aegis_hex_decode_exact(json_string_value(json_object_get(j, "published")) ?: "", h, 32) == AEGIS_OK) {
        *ret_number = num;
        err = AEGIS_OK;
    }
    json_decref(j);
    return err;
}
