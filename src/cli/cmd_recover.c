/*
 * cmd_recover.c - `aegis recover`: bring a store that lost its tail (a
 * dropped WAL, an old aegis.db put back) up to the sequencer's sealed
 * high-water mark, instead of letting it sign published numbers again.
 *
 * aegisd refuses to start on such a store (AEGIS_ERR_CORE_STORE_BEHIND,
 * docs/internals/crash-safety.md). With aegisd stopped, this command
 * appends the missing published batches, in order, to the store's batch
 * records: from exported files (`aegis batch get N --out FILE`, or a JSON
 * array of batches) and/or from another node or mirror that serves them
 * (--from URL, aegis_getBatches). Each must continue the chain the store
 * ends in (number, parent hash, header hash); aegisd verifies the
 * signatures again at start and compares the last one with its mark. The
 * other signed records the store lost come back the same way: SLH-DSA
 * seals (embedded in exported files as "seal_record", or aegis_getSeal),
 * checkpoints and key hand-overs (--from only), so that aegisd never signs
 * one of their numbers anew.
 *
 * Acknowledged envelopes that were pending (not yet in a batch) cannot be
 * rebuilt from batches. If a newer copy of the envelope log exists, put it
 * back instead; otherwise --accept-lost-envelopes records the operator's
 * one-time consent, and aegisd logs the lost id range at its next start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aegis/batch.h"
#include "aegis/chain.h"
#include "aegis/cli.h"
#include "aegis/store.h"
#include "cli_chain.h"

#define PROG "aegis recover"
#define MAX_FILE (256u << 20)

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: aegis recover --data-dir DIR [--from URL] [--accept-lost-envelopes] [FILE...]\n\n"
        "With aegisd stopped, append the published batches the store lost (its chain\n"
        "ends before the sequencer's sealed high-water mark) so that aegisd can start.\n"
        "  --data-dir DIR           the node's data dir (aegis.db)\n"
        "  --from URL               fetch the missing batches from a node or mirror\n"
        "                           (aegis_getBatches)\n"
        "  FILE...                  exported batches: 'aegis batch get N --out FILE', or a\n"
        "                           JSON array of batches\n"
        "  --accept-lost-envelopes  consent, once, to acknowledged envelopes that no copy\n"
        "                           holds any more (aegisd logs their id range)\n");
}

/* The batches gathered so far, by number (index number - base). */
struct found {
    uint64_t base;     /* store's last batch + 1 */
    json_t **v;
    size_t cap;
};

static int found_add(struct found *f, json_t *b, const char *from)
{
    json_int_t n = json_integer_value(json_object_get(b, "number"));
    if (n <= 0) {
        fprintf(stderr, "%s: %s: an entry without a batch number\n", PROG, from);
        return -1;
    }
    if ((uint64_t)n < f->base)
        return 0;   /* the store has it */
    size_t i = (size_t)((uint64_t)n - f->base);
    if (i >= 10000000) {
        fprintf(stderr, "%s: %s: batch %lld is far beyond the store's end\n", PROG, from, (long long)n);
        return -1;
    }
    if (i >= f->cap) {
        size_t ncap = f->cap ? f->cap : 64;
        while (ncap <= i)
            ncap *= 2;
        json_t **nv = realloc(f->v, ncap * sizeof(*nv));
        if (!nv)
            return -1;
        memset(nv + f->cap, 0, (ncap - f->cap) * sizeof(*nv));
        f->v = nv;
        f->cap = ncap;
    }
    /* what a node adds when it serves or exports a batch is not the batch */
    json_t *c = json_deep_copy(b);
    if (!c)
        return -1;
    json_object_del(c, "keyset");
    json_t *sr = json_object_get(c, "seal_record");
    if (sr)
        json_object_set(c, "seal_record_kept", sr);
    json_object_del(c, "seal_record");
    json_object_del(c, "seal");
    json_object_del(c, "orphaned");
    json_decref(f->v[i]);
    f->v[i] = c;
    return 0;
}

static int add_file(struct found *f, const char *path)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    if (aegis_file_read(path, MAX_FILE, &buf, &n) != AEGIS_OK) {
        fprintf(stderr, "%s: cannot read %s\n", PROG, path);
        return -1;
    }
    json_error_t jerr;
    json_t *j = json_loadb((const char *)buf, n, 0, &jerr);
    aegis_free(buf);
    if (!j) {
        fprintf(stderr, "%s: %s: not JSON (line %d: %s)\n", PROG, path, jerr.line, jerr.text);
        return -1;
    }
    int rc = 0;
    if (json_is_array(j)) {
        for (size_t i = 0; rc == 0 && i < json_array_size(j); i++)
            rc = found_add(f, json_array_get(j, i), path);
    } else {
        rc = found_add(f, j, path);
    }
    json_decref(j);
    return rc;
}

static int add_remote(struct found *f, const char *url)
{
    for (uint64_t from = f->base;; from += 100) {
        json_t *res = NULL;
        aegis_client_rpc_err e;
        json_t *params = json_pack("[I, I]", (json_int_t)from, (json_int_t)(from + 99));
        int rc = aegis_client_call(url, "aegis_getBatches", params, 60000, &res, &e);   /* params stay ours */
        json_decref(params);
        if (rc != 0) {
            aegis_cli_print_rpc_err(PROG, "aegis_getBatches", &e);
            return -1;
        }
        size_t n = json_array_size(res);
        for (size_t i = 0; i < n; i++)
            if (found_add(f, json_array_get(res, i), url) != 0) {
                json_decref(res);
                return -1;
            }
        json_decref(res);
        if (n < 100)
            return 0;
    }
}

/* Hash of the store's last batch (or zeros when it has none). */
static int store_tip(aegis_store *st, uint64_t last, uint8_t hash[32])
{
    memset(hash, 0, 32);
    if (last == 0)
        return 0;
    uint8_t *v = NULL;
    size_t len = 0;
    if (aegis_store_get(st, "batch", last, &v, &len) != AEGIS_OK)
        return -1;
    json_t *j = json_loadb((const char *)v, len, 0, NULL);
    aegis_free(v);
    int rc = j && aegis_chain_get_hex(j, "hash", hash, 32) == AEGIS_OK ? 0 : -1;
    json_decref(j);
    return rc;
}

/* Append found batches while they continue the chain; returns how many. */
static long append_chain(aegis_store *st, struct found *f, const uint8_t tip[32])
{
    uint8_t parent[32];
    memcpy(parent, tip, 32);
    long added = 0;
    for (size_t i = 0; i < f->cap && f->v[i]; i++) {
        uint64_t number = f->base + i;
        aegis_chain_batch cb;
        uint8_t h[32];
        const char *why = NULL;
        if (aegis_chain_batch_from_json(f->v[i], &cb, &why) != AEGIS_OK) {
            fprintf(stderr, "%s: batch %llu is malformed (%s)\n", PROG, (unsigned long long)number, why ? why : "");
            return -1;
        }
        bool ok = cb.h.number == number && memcmp(cb.h.parent_hash, parent, 32) == 0 &&
                  aegis_batch_header_hash(&cb.h, h) == AEGIS_OK && memcmp(h, cb.hash, 32) == 0;
        memcpy(parent, cb.hash, 32);
        aegis_chain_batch_clear(&cb);
        if (!ok) {
            fprintf(stderr, "%s: batch %llu does not continue the store's chain (number, parent or header hash)\n",
                    PROG, (unsigned long long)number);
            return -1;
        }
        json_t *kept = json_incref(json_object_get(f->v[i], "seal_record_kept"));
        json_object_del(f->v[i], "seal_record_kept");
        char *text = json_dumps(f->v[i], JSON_COMPACT);
        if (kept)
            json_object_set_new(f->v[i], "seal_record_kept", kept);
        aegis_err err = text ? aegis_store_insert(st, "batch", number, (const uint8_t *)text, strlen(text))
                             : AEGIS_ERR_NOMEM;
        free(text);
        if (err) {
            fprintf(stderr, "%s: cannot write batch %llu: %s (%s)\n", PROG, (unsigned long long)number,
                    aegis_strerror(err), aegis_err_name(err));
            return -1;
        }
        added++;
    }
    return added;
}

/* One collection's records after the store's last key, fetched from a node
 * by key until it has no more (method [key - key_off]). Each is stored
 * verbatim: aegisd checks signatures and continuity at start. */
struct coll_spec {
    const char *coll, *method;
    uint64_t first;      /* the collection's first key */
    uint64_t key_off;    /* RPC parameter = key - key_off */
};

static long fetch_coll(aegis_store *st, const char *url, const struct coll_spec *cs)
{
    uint64_t last = 0;
    if (aegis_store_last(st, cs->coll, &last) != AEGIS_OK)
        last = cs->first - 1;
    long added = 0;
    for (uint64_t key = last + 1;; key++) {
        json_t *res = NULL;
        aegis_client_rpc_err e;
        json_t *params = json_pack("[I]", (json_int_t)(key - cs->key_off));
        int rc = aegis_client_call(url, cs->method, params, 60000, &res, &e);
        json_decref(params);
        if (rc == 1 || (rc == 0 && !json_is_object(res))) {
            json_decref(res);
            return added;   /* the node has no more (not found) */
        }
        if (rc != 0) {
            aegis_cli_print_rpc_err(PROG, cs->method, &e);
            return -1;
        }
        char *text = json_dumps(res, JSON_COMPACT);
        json_decref(res);
        aegis_err err = text ? aegis_store_insert(st, cs->coll, key, (const uint8_t *)text, strlen(text))
                             : AEGIS_ERR_NOMEM;
        free(text);
        if (err) {
            fprintf(stderr, "%s: cannot write %s %llu: %s\n", PROG, cs->coll, (unsigned long long)key,
                    aegis_strerror(err));
            return -1;
        }
        added++;
    }
}

/* The seal records exported files embed ("seal_record"), by seal number. */
static long add_file_seals(aegis_store *st, json_t **v, size_t cap)
{
    uint64_t last = 0;
    if (aegis_store_last(st, "seal", &last) != AEGIS_OK)
        last = 0;
    long added = 0;
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < cap; i++) {
            json_t *sr = v[i] ? json_object_get(v[i], "seal_record_kept") : NULL;
            if (!sr || (uint64_t)json_integer_value(json_object_get(sr, "number")) != last + 1)
                continue;
            char *text = json_dumps(sr, JSON_COMPACT);
            aegis_err err = text ? aegis_store_insert(st, "seal", last + 1, (const uint8_t *)text, strlen(text))
                                 : AEGIS_ERR_NOMEM;
            free(text);
            if (err)
                return -1;
            last++;
            added++;
            more = true;
        }
    }
    return added;
}

static int recover_main(int argc, char **argv)
{
    const char *dir = NULL, *url = NULL;
    bool accept = false;
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
            url = argv[++i];
        } else if (strcmp(argv[i], "--accept-lost-envelopes") == 0) {
            accept = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s: unknown option %s\n", PROG, argv[i]);
            usage(stderr);
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    /* never a new, empty store in a mistyped directory */
    char db[4096];
    struct stat sb;
    if (snprintf(db, sizeof(db), "%s/aegis.db", dir) >= (int)sizeof(db) || stat(db, &sb) != 0) {
        fprintf(stderr, "%s: no aegis.db in %s (the node's data dir)\n", PROG, dir);
        return 1;
    }
    aegis_store *st = NULL;
    aegis_err detail = AEGIS_OK;
    aegis_err err = aegis_store_open_ex(&st, "sqlite", dir, NULL, &detail);
    if (err) {
        aegis_err e = detail ? detail : err;
        fprintf(stderr, "%s: cannot open the store in %s: %s (%s)%s\n", PROG, dir, aegis_strerror(e),
                aegis_err_name(e), e == AEGIS_ERR_STORE_LOCKED || err == AEGIS_ERR_BUSY ? ": stop aegisd first" : "");
        return 1;
    }
    int rc = 1;
    uint64_t last = 0, envs = 0;
    uint8_t tip[32];
    struct found f = { 0 };
    if (aegis_store_last(st, "batch", &last) != AEGIS_OK)
        last = 0;
    if (aegis_store_env_count(st, &envs) != AEGIS_OK)
        envs = 0;
    f.base = last + 1;
    printf("store: batches end at %llu, envelope log at %llu\n", (unsigned long long)last, (unsigned long long)envs);
    if (store_tip(st, last, tip) != 0) {
        fprintf(stderr, "%s: cannot read the store's last batch %llu\n", PROG, (unsigned long long)last);
        goto out;
    }
    for (int i = first_file; i < argc; i++)
        if (add_file(&f, argv[i]) != 0)
            goto out;
    if (url && add_remote(&f, url) != 0)
        goto out;
    long added = append_chain(st, &f, tip);
    if (added < 0)
        goto out;
    printf("appended %ld batches: the store's batches now end at %llu\n", added,
           (unsigned long long)(last + (uint64_t)added));
    /* the other signed records a rolled-back store lost: SLH-DSA seals,
     * checkpoints, key hand-overs (else aegisd would sign those numbers anew) */
    long seals = add_file_seals(st, f.v, f.cap);
    if (seals < 0)
        goto out;
    if (url) {
        static const struct coll_spec specs[] = {
            { "handover", "aegis_getHandover", 2, 0 },
            { "seal", "aegis_getSeal", 1, 0 },
            { "checkpoint", "aegis_getCheckpoint", 1, 1 },
        };
        for (size_t i = 0; i < AEGIS_ARRAY_LEN(specs); i++) {
            long n = fetch_coll(st, url, &specs[i]);
            if (n < 0)
                goto out;
            if (strcmp(specs[i].coll, "seal") == 0)
                seals += n;
            else if (n)
                printf("appended %ld %s records\n", n, specs[i].coll);
        }
    }
    if (seals)
        printf("appended %ld seal records\n", seals);
    if (accept) {
        err = aegis_store_meta_put(st, AEGIS_RECOVER_ACCEPT_KEY, (const uint8_t *)"1", 1);
        if (err) {
            fprintf(stderr, "%s: cannot record the consent: %s\n", PROG, aegis_strerror(err));
            goto out;
        }
        printf("recorded: acknowledged envelopes past %llu that no copy holds are accepted as lost "
               "(aegisd logs the range at its next start)\n", (unsigned long long)envs);
    }
    rc = 0;
out:
    for (size_t i = 0; i < f.cap; i++)
        json_decref(f.v[i]);
    free(f.v);
    aegis_store_free(st);
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_recover = {
    "recover", recover_main, "append lost published batches to a rolled-back store (aegisd stopped)"
};
