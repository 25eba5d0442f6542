/*
 * metrics_process.c - the standard Prometheus process metrics on /metrics
 * (process_cpu_seconds_total, process_resident_memory_bytes,
 * process_open_fds, process_max_fds, process_start_time_seconds), read
 * from /proc on each scrape, with the names and units every dashboard for
 * the official client libraries expects. A value that cannot be read is
 * left out, never reported as 0.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rpc_int.h"

/* Fields 14 (utime), 15 (stime) and 22 (starttime) of /proc/self/stat, in
 * clock ticks. The command name (field 2) may hold spaces: parse after ')'. */
static bool read_stat(unsigned long long *utime, unsigned long long *stime, unsigned long long *start)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    /* after ')': field 3 is the state; utime is field 14 -> 11th after it */
    unsigned long long v[20] = { 0 };
    int got = sscanf(p + 2, "%*c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                     &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12],
                     &v[13], &v[14], &v[15], &v[16], &v[17], &v[18]);
    if (got < 19)
        return false;
    *utime = v[10];  /* field 14 */
    *stime = v[11];  /* field 15 */
    *start = v[18];  /* field 22 */
    return true;
}

static long long boot_time_s(void)
{
    char line[256];
    long long bt = -1;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "btime ", 6) == 0) {
            bt = atoll(line + 6);
            break;
        }
    fclose(f);
    return bt;
}

static long long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

void aegis__metrics_process(aegis_buf *b)
{
    long tick = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long ut = 0, st = 0, start = 0;
    if (tick > 0 && read_stat(&ut, &st, &start)) {
        aegis__buf_put(b, "# HELP process_cpu_seconds_total User and system CPU time spent in seconds.\n"
                          "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n",
                       (double)(ut + st) / (double)tick);
        long long bt = boot_time_s();
        if (bt > 0)
            aegis__buf_put(b, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                              "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n",
                           (double)bt + (double)start / (double)tick);
    }
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &rss) == 2 && page > 0) {
            aegis__buf_put(b, "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                              "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n",
                           rss * (unsigned long long)page);
            aegis__buf_put(b, "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                              "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n",
                           size * (unsigned long long)page);
        }
        fclose(f);
    }
    long long fds = open_fds();
    if (fds >= 0)
        aegis__buf_put(b, "# HELP process_open_fds Number of open file descriptors.\n"
                          "# TYPE process_open_fds gauge\nprocess_open_fds %lld\n", fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        aegis__buf_put(b, "# HELP process_max_fds Maximum number of open file descriptors.\n"
                          "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
}
