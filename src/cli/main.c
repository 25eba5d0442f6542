/* main.c - `aegis`: dispatch to the subcommand table (wireguard-tools wg.c). */
#include <stdio.h>
#include <string.h>

#include "cli_table.h"

int aegis_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: aegis <command> [options]\n\n"
               "Aegis: post-quantum, TEE-hosted transaction sequencer - client and tools.\n\n"
               "Commands:\n");
    for (size_t i = 0; aegis_cli_table[i]; i++)
        fprintf(f, "  %-14s %s\n", aegis_cli_table[i]->name, aegis_cli_table[i]->summary);
    fprintf(f, "\nRun 'aegis <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("aegis %s\n", AEGIS_VERSION);
        return 0;
    }
    for (size_t i = 0; aegis_cli_table[i]; i++)
        if (strcmp(argv[1], aegis_cli_table[i]->name) == 0)
            return aegis_cli_table[i]->main(argc - 1, argv + 1);
    fprintf(stderr, "aegis: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
