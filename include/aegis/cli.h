/*
 * aegis/cli.h - the `aegis` command table.
 *
 * Each subcommand lives in src/cli/cmd_<name>.c and defines exactly one
 *     const struct aegis_cli_cmd aegis_cli_cmd_<name> = { "name", fn, "summary" };
 * The build generates the table from the file names, so adding a command is
 * adding a file. A command's main gets argv starting at its own name and
 * prints its usage on --help. Exit codes: 0 success, 1 failure, 2 usage.
 */
#ifndef AEGIS_CLI_H
#define AEGIS_CLI_H

struct aegis_cli_cmd {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

/* True if argv[1..] contains -h or --help. */
int aegis_cli_wants_help(int argc, char **argv);

#endif
