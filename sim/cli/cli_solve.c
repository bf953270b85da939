/* `podscale solve` and `podscale regress`: one optimizer decision from files, and the replay of
 * a decision log (optimizer/decision.h). */
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textin.h"
#include "optimizer/decision.h"
#include "optimizer/optimizer.h"
#include "sim/cli/cli.h"

#define MAX_PROFILES 64
#define MAX_TRACES 4096

static const char solve_help[] =
    "usage: podscale solve --profile FILE [--profile FILE]... (--rates CSV | --trace FILE...)\n"
    "                      [--model NAME] [--log FILE]\n"
    "\n"
    "Solve one GPU-optimizer decision as the optimizer makes it: the ILP over the profiles (one\n"
    "per deployment, all on one grid) for a request-rate distribution, and print the decision as\n"
    "one JSON line, then AIBrix's log line.\n"
    "\n"
    "  --profile FILE   a GPU profile (aibrix_gen_profile's JSON); its \"gpu\" names the "
    "deployment\n"
    "  --rates CSV      the distribution: lines output_tokens,input_tokens,rate (req/s), on the\n"
    "                   profiles' ticks\n"
    "  --trace FILE     gateway trace records (AIBrix's JSON), 10 s apart in the order given: the\n"
    "                   load monitor clusters them and the last round is solved\n"
    "  --model NAME     the model, for the log line (default: model)\n"
    "  --log FILE       also append the decision line to FILE (a decision log for regress)\n";

static const char regress_help[] =
    "usage: podscale regress DECISIONS.jsonl --profiles DIR\n"
    "\n"
    "Solve every decision of a decision log again with this build and the profiles of DIR\n"
    "(found by digest), print every changed cost (relative 1e-9) or number of units, and exit 1\n"
    "if any changed.\n";

/* The index of a tick, or -1. */
static int tick_index(const int32_t *ticks, int n, long v) {
  for (int i = 0; i < n; i++)
    if (ticks[i] == v) return i;
  return -1;
}

static bool read_rates(const char *path, const opt_profile *g, double *rates, double *total,
                       opt_err *e) {
  textin in;
  if (!textin_open(&in, path, 0, e)) return false;
  *total = 0;
  bool ok = true;
  int got;
  while (ok && (got = textin_next(&in, e)) != 0) {
    if (!(ok = got > 0)) break;
    const char *line = in.buf;
    long ln = in.line;
    long out_t, in_t;
    double r;
    char extra;
    if (line[0] == '\n' || line[0] == '#' || (ln == 1 && strstr(line, "tokens"))) continue;
    if (sscanf(line, "%ld,%ld,%lf %c", &out_t, &in_t, &r, &extra) != 3 || !(r >= 0) || isinf(r))
      ok = opt_fail(e, "%s:%ld: expected output_tokens,input_tokens,rate with rate >= 0", path, ln);
    else {
      int i = tick_index(g->out_tokens, g->n_out, out_t),
          j = tick_index(g->in_tokens, g->n_in, in_t);
      if (i < 0 || j < 0)
        ok = opt_fail(
            e, "%s:%ld: %ld output and %ld input tokens is not a bucket of the profiles' grid",
            path, ln, out_t, in_t);
      else {
        rates[i * g->n_in + j] += r;
        *total += r;
      }
    }
  }
  textin_close(&in);
  return ok;
}

/* Run the load monitor over the records (key times 10, 20, ... s), step by step; the last
 * step's output is left in *out. */
static bool monitor_traces(char **files, int n, const opt_profile *g, opt_monitor *m,
                           opt_monitor_out *out, opt_err *e) {
  opt_grid grid = {g->out_tokens, (size_t)g->n_out, g->in_tokens, (size_t)g->n_in};
  for (int k = 0; k < n; k++) {
    char *text = opt_read_text(files[k], e);
    if (!text) return false;
    opt_trace t;
    int64_t ts = 10 * (int64_t)(k + 1);
    bool ok = opt_trace_parse(text, files[k], ts, 10, &t, e);
    free(text);
    if (!ok) return false;
    ok = opt_monitor_step(m, (ts + 2) * 1000000, &t, 1, &grid, out, e);
    opt_trace_free(&t);
    if (!ok) return false;
  }
  return true;
}

static int solve_main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"profile", required_argument, NULL, 'p'},
      {"rates", required_argument, NULL, 'r'},
      {"trace", required_argument, NULL, 't'},
      {"model", required_argument, NULL, 'm'},
      {"log", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *profile_files[MAX_PROFILES], *rates_file = NULL, *model = "model", *log_file = NULL;
  char *traces[MAX_TRACES];
  int np = 0, nt = 0, c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':
      if (np == MAX_PROFILES) return cli_usage_error("solve: at most %d profiles", MAX_PROFILES);
      profile_files[np++] = optarg;
      break;
    case 'r': rates_file = optarg; break;
    case 't':
      if (nt == MAX_TRACES) return cli_usage_error("solve: at most %d traces", MAX_TRACES);
      traces[nt++] = optarg;
      break;
    case 'm': model = optarg; break;
    case 'l': log_file = optarg; break;
    case 'h': fputs(solve_help, stdout); return EXIT_OK;
    default: return cli_usage_error("solve: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc) return cli_usage_error("solve: unexpected argument '%s'", argv[optind]);
  if (np == 0) return cli_usage_error("solve: expected at least one --profile FILE");
  if ((rates_file != NULL) == (nt > 0))
    return cli_usage_error("solve: expected either --rates CSV or --trace FILE...");
  opt_profile profiles[MAX_PROFILES];
  const opt_profile *pp[MAX_PROFILES];
  opt_ilp_deployment deps[MAX_PROFILES];
  opt_err e = {{0}};
  int loaded = 0, rc = EXIT_BADINPUT;
  double *rates = NULL;
  opt_monitor *mon = NULL;
  for (; loaded < np; loaded++) {
    if (!opt_profile_read(profile_files[loaded], &profiles[loaded], &e)) goto done;
    pp[loaded] = &profiles[loaded];
    if (loaded > 0 && !opt_profile_same_grid(&profiles[0], &profiles[loaded], &e)) {
      char msg[sizeof e.msg];
      snprintf(msg, sizeof msg, "%s", e.msg);
      opt_fail(&e, "%s: %s", profile_files[loaded], msg);
      loaded++;
      goto done;
    }
    deps[loaded] = (opt_ilp_deployment){.name = profiles[loaded].gpu,
                                        .cost = profiles[loaded].cost,
                                        .tputs = profiles[loaded].tputs};
  }
  const opt_profile *g = &profiles[0];
  int nb = g->n_out * g->n_in;
  double total = 0, coverage = 100;
  opt_decision_cluster clusters[64];
  int nc = 0;
  if (rates_file) {
    rates = calloc((size_t)nb, sizeof *rates);
    if (!rates) abort();
    if (!read_rates(rates_file, g, rates, &total, &e)) goto done;
  } else {
    opt_monitor_config mc = opt_monitor_config_default();
    mon = opt_monitor_new(&mc, &e);
    opt_monitor_out mo;
    if (!mon || !monitor_traces(traces, nt, g, mon, &mo, &e)) goto done;
    if (mo.action != OPT_MONITOR_OPTIMIZE) {
      fprintf(stderr, "podscale: solve: the monitor found no cluster to size for (%s)\n",
              mo.action == OPT_MONITOR_MINIMIZE ? "no requests" : "insufficient data");
      rc = EXIT_BADINPUT;
      goto done;
    }
    rates = malloc((size_t)nb * sizeof *rates);
    if (!rates) abort();
    memcpy(rates, mo.grid_rates, (size_t)nb * sizeof *rates);
    total = mo.total_rate;
    coverage = mo.coverage_pct;
    for (size_t k = 0; k < mo.n_clusters && nc < 64; k++)
      clusters[nc++] = (opt_decision_cluster){mo.clusters[k].out_log2, mo.clusters[k].in_log2,
                                              mo.clusters[k].rate};
  }
  opt_ilp_problem p = {.n_buckets = nb,
                       .rates = rates,
                       .n_deployments = np,
                       .deployments = deps,
                       .options = opt_ilp_options_default()};
  opt_ilp_result r;
  if (!opt_ilp_solve(&p, &r, &e)) {
    rc = EXIT_RUNTIME;
    goto done;
  }
  opt_decision d;
  opt_decision_make(&d, 0, model, pp, &p, total, coverage, clusters, nc, &r, true);
  char *json = opt_decision_to_json(&d);
  printf("%s\n%s\n", json, d.log);
  if (!r.optimal)
    fprintf(stderr,
            "podscale: solve: not proven optimal: the search stopped at its budget; the cost may "
            "be up to %.3g above the least (relative)\n",
            r.gap);
  rc = EXIT_OK;
  if (log_file) {
    FILE *fp = fopen(log_file, "a");
    if (!fp || fprintf(fp, "%s\n", json) < 0 || fclose(fp) != 0) {
      fprintf(stderr, "podscale: %s: cannot append the decision\n", log_file);
      rc = EXIT_RUNTIME;
    }
  }
  free(json);
  opt_decision_free(&d);
  opt_ilp_result_free(&r);
done:
  if (rc == EXIT_BADINPUT && e.msg[0]) fprintf(stderr, "podscale: %s\n", e.msg);
  if (rc == EXIT_RUNTIME && e.msg[0]) fprintf(stderr, "podscale: %s\n", e.msg);
  for (int i = 0; i < loaded; i++)
    opt_profile_free(&profiles[i]);
  free(rates);
  opt_monitor_free(mon);
  return rc;
}

int cmd_solve(int argc, char **argv) { return solve_main(argc, argv); }

/* The profiles of a directory, with their digests. */
typedef struct shelf {
  opt_profile p[MAX_PROFILES];
  char digest[MAX_PROFILES][OPT_DIGEST_LEN];
  int n;
} shelf;

static bool load_shelf(const char *dir, shelf *s, opt_err *e) {
  DIR *d = opendir(dir);
  if (!d) return opt_fail(e, "%s: cannot open the profile directory", dir);
  struct dirent *ent;
  bool ok = true;
  while (ok && (ent = readdir(d))) {
    size_t len = strlen(ent->d_name);
    if (len < 6 || strcmp(ent->d_name + len - 5, ".json") != 0) continue;
    if (s->n == MAX_PROFILES) {
      ok = opt_fail(e, "%s: more than %d profiles", dir, MAX_PROFILES);
      break;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
    ok = opt_profile_read(path, &s->p[s->n], e);
    if (ok) opt_profile_digest(&s->p[s->n], s->digest[s->n]), s->n++;
  }
  closedir(d);
  return ok;
}

int cmd_regress(int argc, char **argv) {
  static const struct option longopts[] = {
      {"profiles", required_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *dir = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (c == 'p')
      dir = optarg;
    else if (c == 'h') {
      fputs(regress_help, stdout);
      return EXIT_OK;
    } else
      return cli_usage_error("regress: unknown or incomplete option '%s'", argv[optind - 1]);
  }
  if (optind + 1 != argc) return cli_usage_error("regress: expected one DECISIONS.jsonl file");
  if (!dir) return cli_usage_error("regress: expected --profiles DIR");
  const char *path = argv[optind];
  opt_err e = {{0}};
  textin in;
  if (!textin_open(&in, path, 0, &e)) {
    fprintf(stderr, "podscale: %s\n", e.msg);
    return EXIT_BADINPUT;
  }
  static shelf s;
  s.n = 0;
  if (!load_shelf(dir, &s, &e)) {
    fprintf(stderr, "podscale: %s\n", e.msg);
    textin_close(&in);
    return EXIT_BADINPUT;
  }
  int checked = 0, changed = 0, unproven = 0, rc = EXIT_OK, got;
  double worst_gap = 0;
  cli_progress prog = cli_progress_start("regress", "decisions");
  while ((got = textin_next(&in, &e)) != 0) {
    cli_progress_count(&prog, checked);
    if (got < 0) {
      fprintf(stderr, "podscale: %s\n", e.msg);
      rc = EXIT_BADINPUT;
      break;
    }
    const char *line = in.buf;
    if (line[0] == '\n') continue;
    char source[4200];
    snprintf(source, sizeof source, "%s:%ld", path, in.line);
    if (line[in.len - 1] != '\n') { /* a service killed mid-write leaves half a line */
      fprintf(stderr,
              "podscale: %s: expected a line ending in a newline, found the log cut short\n",
              source);
      rc = EXIT_BADINPUT;
      break;
    }
    opt_decision d;
    if (!opt_decision_parse(line, source, &d, &e)) {
      fprintf(stderr, "podscale: %s\n", e.msg);
      rc = EXIT_BADINPUT;
      break;
    }
    const opt_profile *pp[MAX_PROFILES];
    bool found = d.n_deps <= MAX_PROFILES;
    for (int i = 0; found && i < d.n_deps; i++) {
      pp[i] = NULL;
      for (int k = 0; k < s.n && !pp[i]; k++)
        if (!strcmp(s.digest[k], d.deps[i].profile)) pp[i] = &s.p[k];
      if (!pp[i]) {
        fprintf(stderr, "podscale: %s: no profile in %s has digest %s (deployment %s)\n", source,
                dir, d.deps[i].profile, d.deps[i].name);
        found = false;
      }
    }
    opt_ilp_result r;
    if (!found) {
      rc = EXIT_BADINPUT;
    } else if (!opt_decision_resolve(&d, pp, &r, &e)) {
      fprintf(stderr, "podscale: %s: %s\n", source, e.msg);
      rc = EXIT_RUNTIME;
    } else {
      char diff[2048];
      checked++;
      if (!r.optimal) {
        unproven++;
        worst_gap = fmax(worst_gap, r.gap);
      }
      if (!opt_decision_compare(&d, &r, diff, sizeof diff)) {
        changed++;
        printf("%s: changed:\n%s", source, diff);
      }
      opt_ilp_result_free(&r);
    }
    opt_decision_free(&d);
    if (rc != EXIT_OK) break;
  }
  cli_progress_end(&prog);
  textin_close(&in);
  for (int k = 0; k < s.n; k++)
    opt_profile_free(&s.p[k]);
  if (rc != EXIT_OK) return rc;
  if (checked == 0) {
    fprintf(stderr, "podscale: %s: expected decisions, found none\n", path);
    return EXIT_BADINPUT;
  }
  if (unproven)
    printf("%d not proven optimal (the search stopped at its budget), largest gap %.3g\n", unproven,
           worst_gap);
  printf("%d decisions solved again, %d changed\n", checked, changed);
  return changed ? EXIT_RUNTIME : EXIT_OK;
}
