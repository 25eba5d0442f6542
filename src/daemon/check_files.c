/*
 * check_files.c - every file the config names, read before anything
 * starts: by `aegisd --check-config` (so "config OK" means the daemon will
 * find its files) and by the daemon itself, so a missing or wrong key file
 * is reported by its path and its config key, not as "cannot load an
 * oracle public key" from deep inside the core.
 *
 * What is checked is what the daemon will do with each file: the key lists
 * are read as ML-DSA-87 public key files (the readers the core uses), the
 * risk file and the log file need a folder that exists (the risk file may
 * appear later: it is watched); a TEE device path of a selected backend
 * that does not exist is a warning (the backend decides at start).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "aegis/core.h"
#include "daemon.h"

/* A public ML-DSA-87 key file, as the risk monitor and the admin registry read it. */
static bool check_key(FILE *err, const char *key, size_t i, const char *path)
{
    const char *type = NULL;
    aegis_err e = aegis_core_check_pubkey_file(path, &type);
    if (type) {
        fprintf(err, "aegisd: %s[%zu] = \"%s\": not an ML-DSA-87 public key file (type %s)\n", key, i, path, type);
        return false;
    }
    if (e != AEGIS_OK) {
        struct stat st;
        fprintf(err, "aegisd: %s[%zu] = \"%s\": %s\n", key, i, path,
                stat(path, &st) != 0 ? strerror(errno) : aegis_strerror(e));
        return false;
    }
    return true;
}

/* The folder a file will be created in must exist. */
static bool check_parent(FILE *err, const char *key, const char *path)
{
    if (!path || !*path)
        return true;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return true;
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(err, "aegisd: %s = \"%s\": folder %s does not exist\n", key, path, dir);
        return false;
    }
    return true;
}

static bool uses(const aegis_config *c, const char *backend)
{
    return (c->tee_primary && strcmp(c->tee_primary, backend) == 0) ||
           (c->tee_backup && strcmp(c->tee_backup, backend) == 0);
}

/* A TEE device path: warned about, not refused - the backend itself decides
 * at start (a missing backup TEE may only degrade the node). */
static void check_exists(FILE *err, const char *key, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        fprintf(err, "aegisd: warning: %s = \"%s\": %s\n", key, path, strerror(errno));
}

bool aegisd_check_files(const aegis_config *c, FILE *err)
{
    bool ok = true;
    for (size_t i = 0; i < c->oracle_keys.n; i++)
        ok &= check_key(err, "quantum.oracle_keys", i, c->oracle_keys.items[i]);
    for (size_t i = 0; i < c->admin_keys.n; i++)
        ok &= check_key(err, "assets.admin_keys", i, c->admin_keys.items[i]);
    ok &= check_parent(err, "quantum.risk_file", c->risk_file);
    ok &= check_parent(err, "logging.file", c->log_file);
    if (uses(c, "tdx"))
        check_exists(err, "tee.configfs_root", c->tee_configfs_root);
    if (uses(c, "dstack"))
        check_exists(err, "tee.dstack_socket", c->tee_dstack_socket);
    return ok;
}
