/* config_paths.c - relative paths in a config file are relative to the
 * file's folder, which is what someone editing the file expects (not the
 * working directory aegisd happened to be started from). Paths given on the
 * command line (--data-dir, --oracle-key) stay relative to the working
 * directory, as for any other program. */
#include <stdio.h>
#include <string.h>

#include "aegis/util.h"
#include "config_int.h"

#define OFF(f) offsetof(aegis_config, f)

/* The keys whose values are file-system paths. */
static const size_t path_strs[] = {
    OFF(data_dir), OFF(tee_configfs_root), OFF(tee_dstack_socket), OFF(log_file), OFF(risk_file),
};
static const size_t path_lists[] = { OFF(oracle_keys), OFF(admin_keys) };

/* *p = base_dir + "/" + *p when *p is relative and not empty. */
static aegis_err resolve(char **p, const char *base_dir)
{
    if (!*p || !**p || **p == '/')
        return AEGIS_OK;
    const char *rel = *p;
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;                  /* "./var" -> "<dir>/var" */
    size_t n = strlen(base_dir) + 1 + strlen(rel) + 1;
    char *np = aegis_malloc(n);
    if (!np)
        return AEGIS_ERR_NOMEM;
    snprintf(np, n, "%s/%s", base_dir, *rel ? rel : ".");
    aegis_free(*p);
    *p = np;
    return AEGIS_OK;
}

aegis_err aegis_config_resolve_paths(aegis_config *cfg, const char *config_path)
{
    const char *slash = config_path ? strrchr(config_path, '/') : NULL;
    if (!slash)
        return AEGIS_OK;           /* the file is in the working directory */
    size_t dlen = slash == config_path ? 1 : (size_t)(slash - config_path);
    char *dir = aegis_malloc(dlen + 1);
    if (!dir)
        return AEGIS_ERR_NOMEM;
    memcpy(dir, config_path, dlen);
    dir[dlen] = '\0';
    aegis_err err = AEGIS_OK;
    for (size_t i = 0; !err && i < AEGIS_ARRAY_LEN(path_strs); i++)
        err = resolve((char **)((char *)cfg + path_strs[i]), dir);
    for (size_t i = 0; !err && i < AEGIS_ARRAY_LEN(path_lists); i++) {
        aegis_strlist *l = (aegis_strlist *)((char *)cfg + path_lists[i]);
        for (size_t j = 0; !err && j < l->n; j++)
            err = resolve(&l->items[j], dir);
    }
    aegis_free(dir);
    return err;
}
