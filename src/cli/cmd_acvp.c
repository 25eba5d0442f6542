/*
 * cmd_acvp.c - `aegis acvp FILE...`: run NIST ACVP known-answer files in the
 * merged format of tests/vectors/acvp (README there): one JSON object per file
 * with algorithm, mode, revision, parameterSet and a flat "cases" array.
 * Prints one line per file ending in "N passed, M failed"; cases without an
 * expected output are skipped and counted. Exit 0 only if nothing failed.
 */
#include <stdio.h>
#include <string.h>

#include "aegis/cli.h"
#include "aegis/util.h"
#include "cli_acvp.h"

json_t *acvp_field(const struct acvp_case *k, const char *name)
{
    json_t *v = json_object_get(k->c, name);
    if (!v && k->file)
        v = json_object_get(k->file, name);
    return json_is_null(v) ? NULL : v;
}

const char *acvp_str(const struct acvp_case *k, const char *name)
{
    return json_string_value(acvp_field(k, name));
}

bool acvp_bool(const struct acvp_case *k, const char *name, bool dflt)
{
    json_t *v = acvp_field(k, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

bool acvp_hex(const struct acvp_case *k, const char *name, uint8_t **out, size_t *len)
{
    const char *s = acvp_str(k, name);
    if (!s)
        return false;
    if (s[0] == '\0') {
        *out = aegis_malloc(1);
        *len = 0;
        return *out != NULL;
    }
    return aegis_hex_decode_alloc(s, (size_t)1 << 26, out, len) == AEGIS_OK;
}

static int run_file(const char *path, bool verbose)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "%s: JSON error line %d: %s\n", path, jerr.line, jerr.text);
        printf("%s: unreadable: 0 passed, 1 failed\n", path);
        return 1;
    }
    const char *alg = json_string_value(json_object_get(root, "algorithm"));
    const char *mode = json_string_value(json_object_get(root, "mode"));
    const char *param = json_string_value(json_object_get(root, "parameterSet"));
    json_t *cases = json_object_get(root, "cases");
    acvp_handler h = acvp_find_handler(alg, mode, param);
    if (!h || !json_is_array(cases)) {
        printf("%s: %s %s %s: unsupported: 0 passed, 1 failed\n", path, alg ? alg : "?",
               mode ? mode : "?", param ? param : "?");
        json_decref(root);
        return 1;
    }
    size_t pass = 0, fail = 0, skip = 0, i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        struct acvp_case k = { .c = c, .file = root, .why = NULL };
        enum acvp_result r = h(&k);
        json_int_t tc = json_integer_value(json_object_get(c, "tcId"));
        if (r == ACVP_PASS) {
            pass++;
        } else if (r == ACVP_SKIP) {
            skip++;
            if (verbose)
                fprintf(stderr, "%s: tcId %lld skipped: %s\n", path, (long long)tc,
                        k.why ? k.why : "no expected output");
        } else {
            fail++;
            fprintf(stderr, "%s: tcId %lld FAILED: %s\n", path, (long long)tc,
                    k.why ? k.why : "mismatch");
        }
    }
    printf("%s: %s %s %s: %zu skipped, %zu passed, %zu failed\n", path, alg, mode, param, skip,
           pass, fail);
    fflush(stdout);
    json_decref(root);
    return fail ? 1 : 0;
}

static int acvp_main(int argc, char **argv)
{
    if (argc < 2 || aegis_cli_wants_help(argc, argv)) {
        fprintf(argc < 2 ? stderr : stdout,
                "Usage: aegis acvp [-v] FILE...\n\n"
                "Run NIST ACVP vector files (merged format, tests/vectors/acvp/README.md):\n"
                "ML-DSA-87 keyGen/sigGen/sigVer, ML-KEM-1024 keyGen/encapDecap,\n"
                "SLH-DSA-SHA2-256s/256f keyGen/sigGen/sigVer. One line per file;\n"
                "exit status 1 if any case failed. -v lists skipped cases.\n");
        return argc < 2 ? 2 : 0;
    }
    bool verbose = false;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
            continue;
        }
        if (run_file(argv[i], verbose) != 0)
            rc = 1;
    }
    return rc;
}

const struct aegis_cli_cmd aegis_cli_cmd_acvp = { "acvp", acvp_main,
                                                  "run NIST ACVP vector files (PQ algorithms)" };
