/*
 * test_tee_tdx.c - the "tdx" backend against a directory laid out like
 * configfs-tsm. The test plays the kernel: mkdir/rmdir are interposed so a
 * new entry under the fake root gets its attributes at once (provider,
 * generation, and inblob/outblob as FIFOs), and a helper thread serves each
 * entry: it reads the 64 bytes written to inblob, bumps generation and
 * writes a real TDX quote (tests/vectors/attestation/tdx_v4_dcapqvl, with
 * the 70 zero bytes of padding configfs leaves) into outblob.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "aegis/attest.h"
#include "aegis/tee.h"

enum kmode { K_NORMAL, K_RACE_ONCE, K_RACE_ALWAYS, K_SEV, K_SHORT };

/* The fake kernel's state (test globals). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char root[256];
    enum kmode mode;
    char queue[16][512];
    size_t q_head, q_tail;
    bool stop;
    unsigned entries_made, entries_removed, entries_served;
    uint8_t last_inblob[128];
    size_t last_inblob_len;
    uint8_t *quote;
    size_t quote_len;
} K = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static bool under_root(const char *path)
{
    size_t n = strlen(K.root);
    return K.root[0] && strncmp(path, K.root, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/');
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Interposed: configfs creates an entry's attributes with the directory. */
int mkdir(const char *path, mode_t mode)
{
    int r = (int)syscall(SYS_mkdir, path, mode);
    if (r != 0 || !under_root(path))
        return r;
    char p[600];
    write_text(path, "provider", K.mode == K_SEV ? "sev_guest\n" : "tdx_guest\n");
    write_text(path, "generation", "0\n");
    snprintf(p, sizeof(p), "%s/inblob", path);
    mkfifo(p, 0600);
    snprintf(p, sizeof(p), "%s/outblob", path);
    mkfifo(p, 0600);
    pthread_mutex_lock(&K.mu);
    K.entries_made++;
    snprintf(K.queue[K.q_tail++ % 16], 512, "%s", path);
    pthread_cond_signal(&K.cv);
    pthread_mutex_unlock(&K.mu);
    return 0;
}

/* Interposed: configfs removes the attributes with the directory. */
int rmdir(const char *path)
{
    if (under_root(path)) {
        static const char *const names[] = { "provider", "generation", "inblob", "outblob" };
        char p[600];
        for (size_t i = 0; i < 4; i++) {
            snprintf(p, sizeof(p), "%s/%s", path, names[i]);
            unlink(p);
        }
        pthread_mutex_lock(&K.mu);
        K.entries_removed++;
        pthread_mutex_unlock(&K.mu);
    }
    return (int)syscall(SYS_rmdir, path);
}

static bool entry_alive(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0;
}

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

/* Serve one entry as the tdx_guest driver would. */
static void serve(const char *dir)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/inblob", dir);
    int fd = open(p, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return;
    uint8_t in[128];
    size_t n = 0;
    while (n < 64 && entry_alive(dir)) {
        ssize_t r = read(fd, in + n, sizeof(in) - n);
        if (r > 0)
            n += (size_t)r;
        else
            sleep_ms(2);
    }
    close(fd);
    if (n == 0)
        return;   /* the backend gave up before writing (e.g. wrong provider) */
    pthread_mutex_lock(&K.mu);
    memcpy(K.last_inblob, in, n);
    K.last_inblob_len = n;
    bool race = K.mode == K_RACE_ALWAYS || (K.mode == K_RACE_ONCE && K.entries_served == 0);
    K.entries_served++;
    pthread_mutex_unlock(&K.mu);
    /* Each inblob write bumps generation; a racing writer bumps it again. */
    write_text(dir, "generation", race ? "2\n" : "1\n");
    snprintf(p, sizeof(p), "%s/outblob", dir);
    for (fd = -1; fd < 0 && entry_alive(dir);) {
        fd = open(p, O_WRONLY | O_NONBLOCK);
        if (fd < 0)
            sleep_ms(2);
    }
    if (fd < 0)
        return;
    fcntl(fd, F_SETFL, 0);
    size_t len = K.mode == K_SHORT ? 1000 : K.quote_len;
    uint8_t pad[70] = { 0 };
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, K.quote + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    if (K.mode != K_SHORT && write(fd, pad, sizeof(pad)) != (ssize_t)sizeof(pad))
        fprintf(stderr, "padding write failed\n");
    close(fd);
}

static void *kernel_thread(void *arg)
{
    (void)arg;
    for (;;) {
        char dir[512];
        pthread_mutex_lock(&K.mu);
        while (!K.stop && K.q_head == K.q_tail)
            pthread_cond_wait(&K.cv, &K.mu);
        if (K.stop && K.q_head == K.q_tail) {
            pthread_mutex_unlock(&K.mu);
            return NULL;
        }
        snprintf(dir, sizeof(dir), "%s", K.queue[K.q_head++ % 16]);
        pthread_mutex_unlock(&K.mu);
        serve(dir);
    }
}

static pthread_t g_kthread;
static char g_tmp[128];

static int setup(void **state)
{
    (void)state;
    const char *root = getenv("AEGIS_ROOT");
    char p[512];
    snprintf(p, sizeof(p), "%s/tests/vectors/attestation/tdx_v4_dcapqvl/quote.bin", root ? root : ".");
    if (aegis_file_read(p, 1 << 20, &K.quote, &K.quote_len) != AEGIS_OK)
        return -1;
    /* Serve the signed quote without the file's padding; serve() adds it. */
    aegis_quote q;
    if (aegis_quote_parse(K.quote, K.quote_len, &q, NULL) != AEGIS_OK)
        return -1;
    K.quote_len = q.parsed_len;
    snprintf(g_tmp, sizeof(g_tmp), "/tmp/aegis-test-tdx-XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    snprintf(K.root, sizeof(K.root), "%s/report", g_tmp);
    if (syscall(SYS_mkdir, K.root, 0700) != 0)
        return -1;
    K.mode = K_NORMAL;
    K.q_head = K.q_tail = 0;
    K.stop = false;
    K.entries_made = K.entries_removed = K.entries_served = 0;
    K.last_inblob_len = 0;
    return pthread_create(&g_kthread, NULL, kernel_thread, NULL);
}

static int teardown(void **state)
{
    (void)state;
    pthread_mutex_lock(&K.mu);
    K.stop = true;
    pthread_cond_signal(&K.cv);
    pthread_mutex_unlock(&K.mu);
    pthread_join(g_kthread, NULL);
    syscall(SYS_rmdir, K.root);
    syscall(SYS_rmdir, g_tmp);
    K.root[0] = 0;
    aegis_free(K.quote);
    K.quote = NULL;
    return 0;
}

static aegis_tee *open_tdx(const char *root)
{
    aegis_tee_option o[] = { { "configfs_root", root }, { "data_dir", "/nonexistent" } };
    aegis_tee *t = NULL;
    assert_int_equal(aegis_tee_open("tdx", o, 2, &t), AEGIS_OK);
    assert_false(aegis_tee_is_insecure(t));
    assert_string_equal(aegis_tee_name(t), "tdx");
    return t;
}

static size_t root_entries(void)
{
    size_t n = 0;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", K.root);
    FILE *f = popen(cmd, "r");
    if (f) {
        if (fscanf(f, "%zu", &n) != 1)
            n = 999;
        pclose(f);
    }
    return n;
}

static void test_quote_round_trip(void **state)
{
    (void)state;
    aegis_tee *t = open_tdx(K.root);
    const uint8_t *rd = K.quote + 568;   /* the quote's own report_data */
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_OK);
    /* exactly 64 bytes reached inblob, the padding is gone, bytes intact */
    assert_int_equal(K.last_inblob_len, 64);
    assert_memory_equal(K.last_inblob, rd, 64);
    assert_int_equal(qlen, K.quote_len);
    assert_memory_equal(q, K.quote, qlen);
    aegis_quote pq;
    assert_int_equal(aegis_quote_parse(q, qlen, &pq, NULL), AEGIS_OK);
    assert_int_equal(pq.tee_type, AEGIS_QUOTE_TEE_TDX);
    aegis_free(q);
    /* measurement = MRTD (abs. offset 184), from one more quote, then cached */
    uint8_t m[AEGIS_TEE_MEASUREMENT_BYTES];
    K.mode = K_NORMAL;
    /* The measurement quote asks for a tag the served quote does not bind. */
    assert_int_equal(aegis_tee_measurement(t, m), AEGIS_ERR_POLICY_REPORT_DATA);
    assert_int_equal(K.entries_made, 2);
    assert_int_equal(K.entries_removed, 2);
    assert_int_equal(root_entries(), 0);
    aegis_tee_free(t);
}

static void test_report_data_mismatch(void **state)
{
    (void)state;
    aegis_tee *t = open_tdx(K.root);
    uint8_t rd[64];
    memcpy(rd, K.quote + 568, 64);
    rd[63] ^= 1;
    uint8_t *q = (uint8_t *)"x";
    size_t qlen = 7;
    assert_int_equal(aegis_tee_quote(t, rd, &q, &qlen), AEGIS_ERR_POLICY_REPORT_DATA);
    assert_int_equal(qlen, 7);   /* outputs untouched on failure */
    assert_memory_equal(K.last_inblob, rd, 64);
    assert_int_equal(root_entries(), 0);
    aegis_tee_free(t);
}

static void test_generation_race_retried(void **state)
{
    (void)state;
    K.mode = K_RACE_ONCE;
    aegis_tee *t = open_tdx(K.root);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_tee_quote(t, K.quote + 568, &q, &qlen), AEGIS_OK);
    assert_int_equal(K.entries_served, 2);   /* first attempt raced, second won */
    assert_int_equal(K.entries_removed, 2);
    assert_int_equal(qlen, K.quote_len);
    aegis_free(q);
    aegis_tee_free(t);
}

static void test_generation_race_busy(void **state)
{
    (void)state;
    K.mode = K_RACE_ALWAYS;
    aegis_tee *t = open_tdx(K.root);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_tee_quote(t, K.quote + 568, &q, &qlen), AEGIS_ERR_BUSY);
    assert_null(q);
    assert_int_equal(K.entries_served, 5);
    assert_int_equal(K.entries_removed, 5);
    assert_int_equal(root_entries(), 0);
    aegis_tee_free(t);
}

static void test_wrong_provider(void **state)
{
    (void)state;
    K.mode = K_SEV;
    aegis_tee *t = open_tdx(K.root);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_tee_quote(t, K.quote + 568, &q, &qlen), AEGIS_ERR_UNSUPPORTED);
    assert_int_equal(K.entries_removed, 1);
    sleep_ms(20);
    assert_int_equal(K.entries_served, 0);   /* never wrote inblob */
    aegis_tee_free(t);
}

static void test_short_outblob(void **state)
{
    (void)state;
    K.mode = K_SHORT;
    aegis_tee *t = open_tdx(K.root);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_tee_quote(t, K.quote + 568, &q, &qlen), AEGIS_ERR_QUOTE_MALFORMED);
    aegis_tee_free(t);
}

static void test_no_configfs_and_no_key(void **state)
{
    (void)state;
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/absent", g_tmp);
    aegis_tee *t = open_tdx(missing);
    uint8_t *q = NULL;
    size_t qlen = 0;
    assert_int_equal(aegis_tee_quote(t, K.quote + 568, &q, &qlen), AEGIS_ERR_NOT_FOUND);
    /* no sealing key without a dstack agent: refused, output wiped */
    uint8_t k[32];
    memset(k, 0xAA, sizeof(k));
    uint8_t zero[32] = { 0 };
    assert_int_equal(aegis_tee_derive_key(t, "aegis/keyset/v1", k), AEGIS_ERR_UNSUPPORTED);
    assert_memory_equal(k, zero, 32);
    aegis_tee_free(t);
    /* unknown options are refused */
    aegis_tee_option bad[] = { { "entry", "x" } };
    assert_int_equal(aegis_tee_open("tdx", bad, 1, &t), AEGIS_ERR_INVAL);
}

static void test_measurement_is_mrtd(void **state)
{
    (void)state;
    /* Serve a quote that binds the measurement tag: patch the report_data
     * (the signature no longer verifies, but the backend only parses). */
    uint8_t saved[64];
    memcpy(saved, K.quote + 568, 64);
    memset(K.quote + 568, 0, 64);
    memcpy(K.quote + 568, "AEGIS-MEASUREMENT-V1", 20);
    aegis_tee *t = open_tdx(K.root);
    uint8_t m[AEGIS_TEE_MEASUREMENT_BYTES];
    assert_int_equal(aegis_tee_measurement(t, m), AEGIS_OK);
    assert_memory_equal(m, K.quote + 184, 48);
    uint8_t m2[AEGIS_TEE_MEASUREMENT_BYTES];
    assert_int_equal(aegis_tee_measurement(t, m2), AEGIS_OK);
    assert_memory_equal(m, m2, 48);
    assert_int_equal(K.entries_made, 1);   /* cached */
    aegis_tee_free(t);
    memcpy(K.quote + 568, saved, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quote_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_data_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation_race_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generation_race_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_provider, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_outblob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_configfs_and_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_measurement_is_mrtd, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
