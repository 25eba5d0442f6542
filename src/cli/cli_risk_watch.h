/* cli_risk_watch.h - `aegis risk watch`, the QRM Monitor (cli_risk_watch.c). */
#ifndef AEGIS_CLI_RISK_WATCH_H
#define AEGIS_CLI_RISK_WATCH_H

/* argv[0] is "watch". Exit status: 0, 1 (a push or the file failed), 2 (usage). */
int aegis_cli_risk_watch(int argc, char **argv);

#endif
