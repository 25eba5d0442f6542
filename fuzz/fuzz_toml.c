/* fuzz_toml.c - libFuzzer target for the TOML parser.
 *
 * Feeds the input in two pieces (split by the first byte) so the push API's
 * buffering is exercised, then walks the whole tree through the public
 * accessors and formats every date/time. Must never crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "aegis/toml.h"

static size_t walk(const aegis_toml_value *v, int depth)
{
    size_t n = 1;
    char buf[64];
    const char *key;
    size_t keylen;
    switch (aegis_toml_type_of(v)) {
    case AEGIS_TOML_TABLE:
        for (size_t i = 0; i < aegis_toml_len(v); i++)
            n += walk(aegis_toml_table_at(v, i, &key, &keylen), depth + 1) + keylen;
        break;
    case AEGIS_TOML_ARRAY:
        for (size_t i = 0; i < aegis_toml_len(v); i++)
            n += walk(aegis_toml_array_at(v, i), depth + 1);
        break;
    case AEGIS_TOML_STRING: {
        size_t len = 0;
        (void)aegis_toml_string(v, &len);
        n += len;
        break;
    }
    default:
        n += aegis_toml_datetime_format(v, buf, sizeof(buf));
        break;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    aegis_toml_parser *p = NULL;
    aegis_toml_value *doc = NULL;
    aegis_toml_error e;
    if (aegis_toml_parser_new(&p, 1u << 20) != AEGIS_OK)
        return 0;
    size_t cut = size ? data[0] % (size + 1) : 0;
    if (aegis_toml_parser_feed(p, data, cut) == AEGIS_OK &&
        aegis_toml_parser_feed(p, data + cut, size - cut) == AEGIS_OK &&
        aegis_toml_parser_finish(p, &doc) == AEGIS_OK) {
        (void)walk(doc, 0);
        aegis_toml_free(doc);
    }
    aegis_toml_parser_error(p, &e);
    aegis_toml_parser_free(p);
    return 0;
}
