#include <stdlib.h>

#include "base/xalloc.h"
#include "sim/cli/cli.h"

/* The program's out-of-memory policy: the message, then exit status 1 (a library would abort). */
static void out_of_memory(size_t bytes) {
  ps_oom_report(bytes);
  exit(1);
}

int main(int argc, char **argv) {
  ps_set_oom_handler(out_of_memory);
  return podscale_main(argc, argv);
}
