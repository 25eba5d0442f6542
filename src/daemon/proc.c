/* proc.c - facts about the machine this process runs on. (The process's
 * own CPU time is on /metrics as process_cpu_seconds_total, from
 * src/rpc/metrics_process.c.) */
#include <unistd.h>

#include "daemon.h"

long aegisd_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}
