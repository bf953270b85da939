/*
 * cli: the podscale command line. main() only calls podscale_main.
 * Exit status: 0 success, 1 runtime failure (an output could not be written), 2 bad input
 * (usage, scenario, data files).
 */
#ifndef PODSCALE_CLI_H
#define PODSCALE_CLI_H

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_BADINPUT = 2 };

int podscale_main(int argc, char **argv);

#endif
