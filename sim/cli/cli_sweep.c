/* `podscale sweep` and `podscale merge` (sim/run/sweep.h, docs/sweeps.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "sim/cli/cli.h"
#include "sim/run/sweep.h"

static const char sweep_help[] =
    "usage: podscale sweep SCENARIO [--set KEY=V1,V2,...]... [--seeds N] [--seed S] [--jobs J]\n"
    "                      [--shard I/N] [--policy NAME]... [-q] -o DIR\n"
    "\n"
    "Run a scenario over the grid of the --set values (their cartesian product) times N seeds,\n"
    "in J threads, and write DIR/runs.csv (every run and policy) and DIR/sweep.csv (per point\n"
    "and policy: mean and 95% confidence half-width of cost, GPU-hours, E2E mean and P99, TTFT\n"
    "P99, failed requests, SLO attainment, peak pods). Results do not depend on J.\n"
    "\n"
    "  --set KEY=V1,V2,...  a scenario key by JSON path (policies[1].spec.minReplicas) and its\n"
    "                       values (JSON; a bare word is a string); repeatable\n"
    "  --seeds N            seeds per grid point (default 1): the base seed, base + 1, ...\n"
    "  --seed S             the base seed (default: the scenario's)\n"
    "  --jobs J             threads (default: the number of CPUs)\n"
    "  --shard I/N          run only the runs r with r % N == I (0 <= I < N); join the shards'\n"
    "                       directories with podscale merge\n"
    "  --policy NAME        run only this policy (repeatable)\n"
    "  -q, --quiet          no progress bar\n"
    "  -o, --output DIR     output directory (required)\n";

static const char merge_help[] =
    "usage: podscale merge DIR... -o OUT\n"
    "\n"
    "Join the shard directories of one sweep (podscale sweep --shard I/N) into OUT: sweep.json,\n"
    "runs.csv and sweep.csv, the same bytes an unsharded sweep writes. Every shard must be there\n"
    "exactly once.\n";

int cmd_sweep(int argc, char **argv) {
  static const struct option longopts[] = {
      {"set", required_argument, NULL, 'S'},   {"seeds", required_argument, NULL, 'n'},
      {"seed", required_argument, NULL, 's'},  {"jobs", required_argument, NULL, 'j'},
      {"shard", required_argument, NULL, 'h'}, {"policy", required_argument, NULL, 'p'},
      {"quiet", no_argument, NULL, 'q'},       {"output", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'H'},        {NULL, 0, NULL, 0}};
  sweep_options o = {.seeds = 1, .shards = 1};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = cpus > 0 ? (int)cpus : 1;
  const char **policies = xcalloc((size_t)argc + 1, sizeof *policies);
  int npol = 0, c, rc = EXIT_BADINPUT;
  bool quiet = false;
  int64_t v;
  ps_err e;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "qo:", longopts, NULL)) != -1) {
    switch (c) {
    case 'S':
      o.settings = xrealloc(o.settings, (size_t)(o.n_settings + 1) * sizeof *o.settings);
      if (!sweep_setting_parse(optarg, &o.settings[o.n_settings], &e)) {
        rc = cli_usage_error("sweep: %s", e.msg);
        goto done;
      }
      o.n_settings++;
      break;
    case 'n':
      if (!cli_int(optarg, 1, 100000, &v)) {
        rc = cli_usage_error("sweep: --seeds: expected 1 to 100000, found '%s'", optarg);
        goto done;
      }
      o.seeds = (int)v;
      break;
    case 's':
      if (!cli_int(optarg, 0, 9007199254740991LL, &v)) {
        rc = cli_usage_error("sweep: --seed: expected a whole number from 0 to 2^53-1, found "
                             "'%s'",
                             optarg);
        goto done;
      }
      o.has_seed = true;
      o.seed = (uint64_t)v;
      break;
    case 'j':
      if (!cli_int(optarg, 1, 1024, &v)) {
        rc = cli_usage_error("sweep: --jobs: expected 1 to 1024, found '%s'", optarg);
        goto done;
      }
      o.jobs = (int)v;
      break;
    case 'h': {
      int64_t i, n;
      const char *slash = strchr(optarg, '/');
      char first[32];
      size_t len = slash ? (size_t)(slash - optarg) : sizeof first;
      if (len < sizeof first) {
        memcpy(first, optarg, len);
        first[len] = '\0';
      }
      if (!slash || len >= sizeof first || !cli_int(first, 0, 1000000, &i) ||
          !cli_int(slash + 1, 1, 1000000, &n) || i >= n) {
        rc = cli_usage_error("sweep: --shard: expected I/N with 0 <= I < N, found '%s'", optarg);
        goto done;
      }
      o.shard = (int)i;
      o.shards = (int)n;
      break;
    }
    case 'p': policies[npol++] = optarg; break;
    case 'q': quiet = true; break;
    case 'o':
      if (!*optarg) {
        rc = cli_usage_error("sweep: -o: expected a directory, found ''");
        goto done;
      }
      o.out_dir = optarg;
      break;
    case 'H':
      fputs(sweep_help, stdout);
      rc = EXIT_OK;
      goto done;
    default:
      rc = cli_usage_error("sweep: unknown or incomplete option '%s'", argv[optind - 1]);
      goto done;
    }
  }
  if (optind != argc - 1) {
    rc = cli_usage_error("sweep: expected one scenario file");
    goto done;
  }
  if (!o.out_dir) {
    rc = cli_usage_error("sweep: expected -o DIR");
    goto done;
  }
  long points = 1;
  for (int s = 0; s < o.n_settings; s++) {
    points *= o.settings[s].n;
    if (points * o.seeds > 10000000L) {
      rc = cli_usage_error("sweep: more than 10,000,000 runs");
      goto done;
    }
  }
  o.scenario = argv[optind];
  o.policies = npol ? policies : NULL;
  o.progress = !quiet && isatty(STDERR_FILENO);
  rc = sweep_run(&o, &e);
  if (rc)
    fprintf(stderr, "podscale: %s\n", e.msg);
  else if (!quiet)
    printf("%ld points x %d seeds%s: %s/sweep.csv\n", points, o.seeds,
           o.shards > 1 ? " (this shard's runs)" : "", o.out_dir);
done:
  for (int s = 0; s < o.n_settings; s++)
    sweep_setting_free(&o.settings[s]);
  free(o.settings);
  free(policies);
  return rc;
}

int cmd_merge(int argc, char **argv) {
  static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  const char *out = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
      if (!*optarg) return cli_usage_error("merge: -o: expected a directory, found ''");
      out = optarg;
      break;
    case 'h': fputs(merge_help, stdout); return EXIT_OK;
    default: return cli_usage_error("merge: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (!out) return cli_usage_error("merge: expected -o OUT");
  if (optind >= argc) return cli_usage_error("merge: expected the shard directories");
  ps_err e;
  int rc = sweep_merge((const char *const *)argv + optind, argc - optind, out, &e);
  if (rc) fprintf(stderr, "podscale: merge: %s\n", e.msg);
  return rc;
}
