/*
 * errmap.c - THE table mapping aegis_err to JSON-RPC error codes.
 *
 * The protocol-level errors keep the JSON-RPC 2.0 standard codes so that
 * generic clients understand them. Every other Aegis code is reported as
 * -33000 - code (outside the -32768..-32000 range the spec reserves), with
 * error.data = {"aegis_code": code, "name": "AEGIS_ERR_..."}, so the number
 * stays stable as long as the aegis_err does. docs/errors.md is generated
 * from this function by `aegis errors --markdown`.
 */
#include "rpc_int.h"

#define AEGIS_RPC_CODE_BASE (-33000)

static const struct {
    aegis_err err;
    int code;
} std_codes[] = {
    { AEGIS_ERR_RPC_PARSE,            -32700 },
    { AEGIS_ERR_BAD_JSON,             -32700 },
    { AEGIS_ERR_RPC_INVALID_REQUEST,  -32600 },
    { AEGIS_ERR_RPC_BATCH_TOO_BIG,    -32600 },
    { AEGIS_ERR_RPC_METHOD_NOT_FOUND, -32601 },
    { AEGIS_ERR_RPC_INVALID_PARAMS,   -32602 },
    { AEGIS_ERR_BAD_HEX,              -32602 },
    { AEGIS_ERR_INTERNAL,             -32603 },
    { AEGIS_ERR_NOMEM,                -32603 },
};

int aegis_rpc_err_code(aegis_err err)
{
    for (size_t i = 0; i < AEGIS_ARRAY_LEN(std_codes); i++)
        if (std_codes[i].err == err)
            return std_codes[i].code;
    return AEGIS_RPC_CODE_BASE - (int)err;
}
