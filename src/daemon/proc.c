/* proc.c - facts about this process: the CPUs it may use, and the CPU time
 * it has spent (Prometheus' standard process_cpu_seconds_total, so a load
 * generator can divide the daemon's CPU by what it acknowledged). */
#include <sys/resource.h>
#include <unistd.h>

#include "daemon.h"

long aegisd_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}

/* The process's CPU time (user + system, every thread), in its own metrics
 * source: other process metrics belong beside it. */
static void process_cpu_metrics(void *arg, aegis_buf *out)
{
    (void)arg;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    double s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               (double)ru.ru_stime.tv_usec / 1e6;
    if (aegis_buf_printf(out,
        "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n", s) != AEGIS_OK)
        return;   /* the scrape shows what fitted */
}

aegis_err aegisd_proc_metrics_register(struct aegisd *d)
{
    return aegis_rpc_add_metrics_source(d->rpc, process_cpu_metrics, NULL);
}
