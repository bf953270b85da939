#include "sim/cli.h"

int main(int argc, char **argv) { return podscale_main(argc, argv); }
