/* error.c - the message table behind aegis/error.h. */
#include <stddef.h>

#include "aegis/error.h"

struct err_entry {
    aegis_err code;
    const char *name;
    const char *msg;
};

static const struct err_entry err_table[] = {
    { AEGIS_OK, "AEGIS_OK", "success" },
#define AEGIS_ERR_DEF(name, num, msg) { name, #name, msg },
#include "aegis/err/all.def"
#undef AEGIS_ERR_DEF
};

static const struct err_entry *err_find(aegis_err err)
{
    for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
        if (err_table[i].code == err)
            return &err_table[i];
    return NULL;
}

const char *aegis_strerror(aegis_err err)
{
    const struct err_entry *e = err_find(err);
    return e ? e->msg : "unknown error";
}

const char *aegis_err_name(aegis_err err)
{
    const struct err_entry *e = err_find(err);
    return e ? e->name : NULL;
}
