/* main.c - aegisd entry point (filled in by the daemon work). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("aegisd %s\n", AEGIS_VERSION);
        return 0;
    }
    fprintf(stderr, "aegisd: not built yet\n");
    return 1;
}
