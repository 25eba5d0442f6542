/*
 * fuzz_proxy.c - libFuzzer target for the wallet proxy's request handling
 * (aegis_client_proxy_handle): JSON-RPC bodies, batches, every local method
 * with arbitrary params, raw transactions. The proxy is lazy and points at
 * a closed loopback port, so calls that need the sequencer fail at once
 * (connection refused) and no upstream is set. Every reply must be one
 * valid JSON object or array; anything else aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aegis/client.h"

static aegis_client_proxy *proxy;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!proxy) {
        char why[256];
        aegis_client_proxy_opts o = { .sequencer = "http://127.0.0.1:1", .chain_id = 1, .lazy = true,
                                      .timeout_ms = 200 };
        proxy = aegis_client_proxy_new(&o, why, sizeof(why));
        if (!proxy) {
            fprintf(stderr, "fuzz_proxy: %s\n", why);
            abort();
        }
    }
    char *out = aegis_client_proxy_handle(proxy, (const char *)data, size);
    if (!out)
        abort();
    json_t *j = json_loads(out, 0, NULL);
    if (!json_is_object(j) && !json_is_array(j)) {
        fprintf(stderr, "fuzz_proxy: reply is not JSON: %s\n", out);
        abort();
    }
    json_decref(j);
    free(out);
    return 0;
}
