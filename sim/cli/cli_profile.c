/* `podscale profile gen`: aibrix_gen_profile's command line over optimizer/profile.h. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optimizer/optimizer.h"
#include "sim/cli/cli.h"

static const char help_text[] =
    "usage: podscale profile gen DEPLOYMENT --benchmark FILE [SLO OPTIONS] [--percentile P]\n"
    "                            [--cost C] [-o FILE | -o "
    "redis://[user:pass@]host[:port][/db]?model=M]\n"
    "\n"
    "Make a GPU profile from an aibrix_benchmark file, as aibrix_gen_profile does: for each\n"
    "(output, input) bucket, the highest request rate whose benchmark met every SLO and that\n"
    "the server kept up with. DEPLOYMENT becomes the profile's \"gpu\" and its Redis key\n"
    "(aibrix:profile_MODEL_DEPLOYMENT).\n"
    "\n"
    "  --benchmark FILE   the benchmark's JSON lines (required)\n"
    "  --tput R           throughput at least R req/s (mean)\n"
    "  --tt T             token throughput at least T tokens/s (mean)\n"
    "  --e2e S            end-to-end latency below S seconds\n"
    "  --ttft S           time to first token below S seconds (also writes the ttft matrix)\n"
    "  --tpat S           E2E per (input + output) token below S seconds\n"
    "  --tpot S           time per output token below S seconds\n"
    "  --percentile P     0 (the mean, default), 50, 90 or 99: for the latency SLOs\n"
    "  --cost C           cost of one GPU of this deployment, e.g. $ per hour (1.0)\n"
    "  -o DEST            a file, or Redis (?model= is required); default or '-': standard\n"
    "                     output\n"
    "  -v, --verbose      as aibrix_gen_profile -v: log each bucket's candidate rates, the\n"
    "                     rates that keep up and the line chosen on stderr, and indent the JSON\n"
    "                     written to standard output\n";

/* The value of an SLO option: a non-negative finite number. */
static bool slo_value(const char *name, const char *s, double *out) {
  if (cli_real(s, 0, 1e12, out)) return true;
  cli_usage_error("profile gen: --%s: expected a number from 0 to 1e12, found '%s'", name, s);
  return false;
}

/* gen_profile's logging at DEBUG level: "DEBUG:LOGGER:MESSAGE" on stderr. */
static void debug_line(void *ctx, const char *line) {
  (void)ctx;
  fprintf(stderr, "DEBUG:aibrix.gpu_optimizer.profiling:%s\n", line);
}

/* Compact JSON as Python writes it (", " and ": ") put out as json.dumps(indent=2) does: every
 * element of a non-empty array or object on its own line. */
static void put_indented(const char *json, FILE *fp) {
  int depth = 0;
  bool in_string = false;
  for (const char *c = json; *c; c++) {
    if (in_string) {
      fputc(*c, fp);
      if (*c == '\\' && c[1])
        fputc(*++c, fp);
      else if (*c == '"')
        in_string = false;
      continue;
    }
    switch (*c) {
    case '"':
      in_string = true;
      fputc(*c, fp);
      break;
    case '[':
    case '{':
      fputc(*c, fp);
      if (c[1] == ']' || c[1] == '}') {
        fputc(*++c, fp);
        break;
      }
      fprintf(fp, "\n%*s", 2 * ++depth, "");
      break;
    case ']':
    case '}': fprintf(fp, "\n%*s%c", 2 * --depth, "", *c); break;
    case ',':
      fprintf(fp, ",\n%*s", 2 * depth, "");
      if (c[1] == ' ') c++;
      break;
    default: fputc(*c, fp);
    }
  }
  fputc('\n', fp);
}

static int write_profile(const opt_profile *p, const char *dest, bool verbose) {
  opt_err e = {{0}};
  if (!dest || !strcmp(dest, "-")) {
    char *json = opt_profile_to_json(p);
    if (verbose)
      put_indented(json, stdout);
    else
      puts(json);
    free(json);
    return EXIT_OK;
  }
  if (!opt_store_is_redis(dest)) {
    if (!opt_profile_write(dest, p, &e)) {
      fprintf(stderr, "podscale: %s\n", e.msg);
      return EXIT_RUNTIME;
    }
    return EXIT_OK;
  }
  opt_redis_url url;
  if (!opt_redis_url_parse(dest, &url, &e)) return cli_usage_error("profile gen: -o %s", e.msg);
  opt_store *s = opt_store_open(&url, &e);
  char *json = opt_profile_to_json(p);
  bool ok = s && opt_store_put(s, url.model, p->gpu, json, &e);
  free(json);
  opt_store_close(s);
  if (!ok) {
    fprintf(stderr, "podscale: %s\n", e.msg);
    return EXIT_RUNTIME;
  }
  char key[2 * OPT_STORE_NAME_MAX + 32];
  opt_store_key(url.model, p->gpu, key, sizeof key);
  printf("Result stored in Redis: %s.\n", key);
  return EXIT_OK;
}

static int profile_gen(int argc, char **argv) {
  static const struct option longopts[] = {
      {"benchmark", required_argument, NULL, 'b'},
      {"tput", required_argument, NULL, 'T'},
      {"tt", required_argument, NULL, 'k'},
      {"e2e", required_argument, NULL, 'e'},
      {"ttft", required_argument, NULL, 'f'},
      {"tpat", required_argument, NULL, 'a'},
      {"tpot", required_argument, NULL, 'p'},
      {"percentile", required_argument, NULL, 'P'},
      {"cost", required_argument, NULL, 'c'},
      {"output", required_argument, NULL, 'o'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  opt_gen_options o = opt_gen_options_default(NULL, (double)time(NULL));
  const char *bench_path = NULL, *dest = NULL;
  int c;
  optind = 1;
  opterr = 0;
  bool verbose = false;
  while ((c = getopt_long(argc, argv, "ho:v", longopts, NULL)) != -1) {
    double *slo = NULL;
    switch (c) {
    case 'b': bench_path = optarg; continue;
    case 'o': dest = optarg; continue;
    case 'v':
      verbose = true;
      o.debug = debug_line;
      continue;
    case 'h': fputs(help_text, stdout); return EXIT_OK;
    case 'T': slo = &o.slos.limit[OPT_METRIC_TPUT]; break;
    case 'k': slo = &o.slos.limit[OPT_METRIC_TT]; break;
    case 'e': slo = &o.slos.limit[OPT_METRIC_E2E]; break;
    case 'f': slo = &o.slos.limit[OPT_METRIC_TTFT]; break;
    case 'a': slo = &o.slos.limit[OPT_METRIC_TPAT]; break;
    case 'p': slo = &o.slos.limit[OPT_METRIC_TPOT]; break;
    case 'P': {
      int64_t pct;
      if (!cli_int(optarg, 0, 99, &pct) || (pct != 0 && pct != 50 && pct != 90 && pct != 99))
        return cli_usage_error("profile gen: --percentile: expected 0, 50, 90 or 99, found '%s'",
                               optarg);
      o.slos.percentile = (int32_t)pct;
      continue;
    }
    case 'c':
      if (!cli_real(optarg, 0, 1e12, &o.cost))
        return cli_usage_error("profile gen: --cost: expected a number from 0 to 1e12, found '%s'",
                               optarg);
      continue;
    default:
      return cli_usage_error("profile gen: unknown or incomplete option '%s'", argv[optind - 1]);
    }
    const char *name = NULL;
    for (const struct option *lo = longopts; lo->name && !name; lo++)
      if (lo->val == c) name = lo->name;
    if (!slo_value(name, optarg, slo)) return EXIT_BADINPUT;
  }
  if (optind + 1 != argc)
    return cli_usage_error("profile gen: expected one DEPLOYMENT name, found %d arguments",
                           argc - optind);
  if (!bench_path) return cli_usage_error("profile gen: expected --benchmark FILE");
  o.gpu = argv[optind];
  opt_err e = {{0}};
  opt_bench bench;
  if (!opt_bench_read(bench_path, &bench, &e)) {
    fprintf(stderr, "podscale: %s\n", e.msg);
    return EXIT_BADINPUT;
  }
  opt_profile p;
  bool ok = opt_profile_generate(&bench, &o, &p, &e);
  opt_bench_free(&bench);
  if (!ok) {
    fprintf(stderr, "podscale: %s\n", e.msg);
    return EXIT_BADINPUT;
  }
  int rc = write_profile(&p, dest, verbose);
  opt_profile_free(&p);
  return rc;
}

int cmd_profile(int argc, char **argv) {
  if (argc < 2) return cli_usage_error("profile: expected a subcommand: gen");
  if (!strcmp(argv[1], "gen")) return profile_gen(argc - 1, argv + 1);
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    fputs(help_text, stdout);
    return EXIT_OK;
  }
  return cli_usage_error("profile: unknown subcommand '%s' (expected gen)", argv[1]);
}
