/*
 * The podscale binary as a user runs it: exit status (0 ok, 1 runtime failure, 2 bad input),
 * where messages go, and which files `podscale run` leaves behind.
 *
 * The binary is $PODSCALE_BIN, started with posix_spawn (no shell), stdout and stderr
 * redirected to files in a fresh directory under /tmp that each test removes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixtures.h"
#include "testutil.h"

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  assert_true(fputs(text, fp) >= 0);
  assert_int_equal(fclose(fp), 0);
}

/* Run podscale with args (NULL-terminated, without argv[0]); returns the exit status and
 * leaves the output in f->stdout_text and f->stderr_text. */
static int podscale(fx_dir *f, const char *const *args) {
  return fx_run_podscale(f->dir, args, &f->stdout_text, &f->stderr_text);
}

/* The exit status, with podscale's stderr shown when it is not the one expected. */
#define assert_exit(f, want, ...)                                                                  \
  do {                                                                                             \
    int rc_ = podscale((f), (const char *const[]){__VA_ARGS__, NULL});                             \
    if (rc_ != (want)) {                                                                           \
      print_error("exit status %d, expected %d; stderr:\n%s\n", rc_, (want), (f)->stderr_text);    \
      fail();                                                                                      \
    }                                                                                              \
  } while (0)

static bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- scenarios ---- */

/* 60 s at 2 requests per second, one slots deployment, the given policies. */
static const char *write_scenario(fx_dir *f, const char *name, const char *policies, char *path,
                                  size_t n) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\n"
           "  \"workload\": {\n"
           "    \"arrivals\": {\"type\": \"segments\", \"segments\": [{\"duration_s\": 60, "
           "\"rate\": 2}]},\n"
           "    \"input_tokens\": {\"dist\": \"constant\", \"value\": 100},\n"
           "    \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}\n"
           "  },\n"
           "  \"gpus\": [{\"name\": \"A100\", \"price_per_hour\": 3}],\n"
           "  \"deployments\": [{\"name\": \"d\", \"gpu\": \"A100\",\n"
           "    \"startup_s\": 0, \"model\": {\"type\": \"slots\", \"slots\": 4, \"service_s\": "
           "{\"dist\": "
           "\"constant\", \"value\": 1}}}],\n"
           "  \"policies\": [%s]\n"
           "}\n",
           policies);
  snprintf(path, n, "%s/%s", f->dir, name);
  write_text(path, text);
  return path;
}

#define ONE_POLICY "{\"name\": \"f1\", \"type\": \"fixed\", \"replicas\": 1}"
#define TWO_POLICIES                                                                               \
  "{\"name\": \"f1\", \"type\": \"fixed\", \"replicas\": 1}, "                                     \
  "{\"name\": \"f2\", \"type\": \"fixed\", \"replicas\": 2}"

/* Data rows of summary.csv (lines after the header); the first field of each row is checked
 * against `policy`. */
static int summary_rows(const fx_dir *f, const char *policy) {
  char p[300];
  snprintf(p, sizeof p, "%s/summary.csv", f->out);
  char *s = tu_slurp(p, NULL);
  assert_non_null(s);
  assert_true(!strncmp(s, "policy,", 7));
  int rows = 0;
  char *save = NULL;
  size_t plen = strlen(policy);
  for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (line == s) continue; /* the header */
    if (strncmp(line, policy, plen) != 0 || line[plen] != ',') {
      print_error("summary.csv row for another policy: %s\n", line);
      free(s);
      fail();
    }
    rows++;
  }
  free(s);
  return rows;
}

/* ---- commands ---- */

static void help_exits_0_and_prints_usage_to_stdout(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 0, "--help");
  assert_true(!strncmp(f->stdout_text, "usage: podscale", 15));
  assert_contains(f->stdout_text, "run SCENARIO");
  assert_string_equal(f->stderr_text, "");
}

static void no_arguments_exit_2_with_usage_on_stderr(void **state) {
  fx_dir *f = *state;
  int rc = podscale(f, (const char *const[]){NULL});
  assert_int_equal(rc, 2);
  assert_contains(f->stderr_text, "usage: podscale");
  assert_string_equal(f->stdout_text, "");
}

static void version_exits_0_and_starts_with_the_name(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 0, "version");
  assert_true(!strncmp(f->stdout_text, "podscale ", 9));
}

static void unknown_command_exits_2(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 2, "frobnicate");
  assert_contains(f->stderr_text, "unknown command 'frobnicate'");
  assert_string_equal(f->stdout_text, "");
}

static void run_without_a_scenario_exits_2(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 2, "run");
  assert_contains(f->stderr_text, "expected a scenario file");
}

static void run_with_a_non_numeric_seed_exits_2(void **state) {
  fx_dir *f = *state;
  char sc[256];
  write_scenario(f, "ok.json", ONE_POLICY, sc, sizeof sc);
  assert_exit(f, 2, "run", "--seed", "abc", sc, "-o", f->out);
  assert_contains(f->stderr_text, "--seed");
  assert_contains(f->stderr_text, "'abc'");
  assert_false(exists(f->out));
}

/* ---- run: bad input writes nothing ---- */

static void bad_scenario_exits_2_names_file_and_path_and_writes_nothing(void **state) {
  fx_dir *f = *state;
  char bad[256];
  snprintf(bad, sizeof bad, "%s/bad.json", f->dir);
  write_text(bad, "{\n"
                  "  \"workload\": {\n"
                  "    \"arrivals\": {\"type\": \"segments\", \"segments\": [\n"
                  "      {\"duration_s\": 30, \"rate\": 1}, {\"duration_s\": 30, \"rate\": -1}]},\n"
                  "    \"input_tokens\": {\"dist\": \"constant\", \"value\": 100},\n"
                  "    \"output_tokens\": {\"dist\": \"constant\", \"value\": 50}\n"
                  "  },\n"
                  "  \"gpus\": [{\"name\": \"A100\", \"price_per_hour\": 3}],\n"
                  "  \"deployments\": [{\"name\": \"d\", \"gpu\": \"A100\", \"startup_s\": 0, "
                  "\"model\": {\"type\": "
                  "\"slots\", \"service_s\": {\"dist\": \"constant\", \"value\": 1}}}],\n"
                  "  \"policies\": [" ONE_POLICY "]\n"
                  "}\n");
  assert_exit(f, 2, "run", bad, "-o", f->out);
  assert_contains(f->stderr_text, "bad.json");
  assert_contains(f->stderr_text, "workload.arrivals.segments[1].rate");
  assert_contains(f->stderr_text, "found the number -1");
  assert_string_equal(f->stdout_text, "");
  assert_false(exists(f->out));
}

static void unknown_policy_selected_exits_2_and_writes_nothing(void **state) {
  fx_dir *f = *state;
  char sc[256];
  write_scenario(f, "two.json", TWO_POLICIES, sc, sizeof sc);
  assert_exit(f, 2, "run", sc, "-o", f->out, "--policy", "nope", "--quiet");
  assert_contains(f->stderr_text, "two.json");
  assert_contains(f->stderr_text, "'nope'");
  assert_false(exists(f->out));
}

/* ---- run: outputs ---- */

static void run_writes_every_output_and_no_temporary_files(void **state) {
  fx_dir *f = *state;
  char sc[256];
  write_scenario(f, "ok.json", ONE_POLICY, sc, sizeof sc);
  assert_exit(f, 0, "run", sc, "-o", f->out, "--quiet");
  assert_string_equal(f->stdout_text, ""); /* --quiet */

  static const char *const files[] = {"requests.csv", "timeseries.csv", "decisions.csv",
                                      "summary.csv", "run.json"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char p[300];
    snprintf(p, sizeof p, "%s/%s", f->out, files[i]);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
      print_error("%s: missing or empty\n", p);
      fail();
    }
  }
  DIR *d = opendir(f->out);
  assert_non_null(d);
  struct dirent *e;
  int entries = 0;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    entries++;
    if (e->d_name[0] == '.') {
      print_error("leftover hidden file %s/%s\n", f->out, e->d_name);
      closedir(d);
      fail();
    }
  }
  closedir(d);
  assert_int_equal(entries, 5);
  assert_int_equal(summary_rows(f, "f1"), 1);
}

static void policy_option_runs_only_the_policy_named(void **state) {
  fx_dir *f = *state;
  char sc[256];
  write_scenario(f, "two.json", TWO_POLICIES, sc, sizeof sc);
  assert_exit(f, 0, "run", sc, "-o", f->out, "--policy", "f2", "--quiet");
  assert_int_equal(summary_rows(f, "f2"), 1);
}

static void output_under_a_regular_file_exits_1_with_a_message(void **state) {
  fx_dir *f = *state;
  char sc[256], file[256], out[300];
  write_scenario(f, "ok.json", ONE_POLICY, sc, sizeof sc);
  snprintf(file, sizeof file, "%s/file.txt", f->dir);
  write_text(file, "not a directory\n");
  snprintf(out, sizeof out, "%s/out", file);
  assert_exit(f, 1, "run", sc, "-o", out, "--quiet");
  assert_contains(f->stderr_text, "podscale: ");
  assert_contains(f->stderr_text, "file.txt/out");
  assert_contains(f->stderr_text, strerror(ENOTDIR));
  /* The file is untouched. */
  char *s = tu_slurp(file, NULL);
  assert_non_null(s);
  assert_string_equal(s, "not a directory\n");
  free(s);
}

static void seed_with_a_sign_or_space_or_beyond_2_53_exits_2(void **state) {
  fx_dir *f = *state;
  char sc[256];
  write_scenario(f, "ok.json", ONE_POLICY, sc, sizeof sc);
  assert_exit(f, 2, "run", "--seed", " -1", sc, "-o", f->out);
  assert_exit(f, 2, "run", "--seed", "9007199254740992", sc, "-o", f->out);
  assert_false(exists(f->out));
  assert_exit(f, 0, "run", "--seed", "9007199254740991", sc, "-o", f->out, "--quiet");
  char path[512];
  snprintf(path, sizeof path, "%s/run.json", f->out);
  char *json = tu_slurp(path, NULL);
  assert_non_null(strstr(json, "9007199254740991")); /* recorded exactly */
  free(json);
}

/* An empty output name is bad input (exit 2), not a failure to write (issue: it exited 1). */
static void empty_output_directory_exits_2_with_a_message(void **state) {
  fx_dir *f = *state;
  char sc[256];
  write_scenario(f, "ok.json", ONE_POLICY, sc, sizeof sc);
  assert_exit(f, 2, "run", sc, "-o", "", "--quiet");
  assert_contains(f->stderr_text, "run: -o: expected a directory, found ''");
}

static void catalog_lists_gpus_llms_and_what_fits(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 0, "catalog");
  assert_contains(f->stdout_text, "V100-32GB");
  assert_contains(f->stdout_text, "deepseek-llm-7b-chat");
  assert_contains(f->stdout_text, "no start"); /* a 128k-context model on a 24 GB GPU */
  assert_exit(f, 2, "catalog", "extra");
}

static void benchmark_with_no_run_that_fits_exits_2_and_writes_nothing(void **state) {
  fx_dir *f = *state;
  char out[256];
  snprintf(out, sizeof out, "%s/b.jsonl", f->dir);
  assert_exit(f, 2, "benchmark", "--simulated", "--gpu", "A100-80GB", "--model", "llama-2-7b",
              "--input-start", "4096", "--input-limit", "4096", "--output-start", "4096",
              "--output-limit", "4096", "-o", out, "--quiet");
  assert_contains(f->stderr_text, "found none");
  assert_false(exists(out));
}

static void calibrate_refuses_an_engine_vllm_could_not_start(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 2, "calibrate", "--gpu", "A100-80GB", "--model", "llama-2-7b",
              "--gpu-memory-utilization", "0.15",
              PODSCALE_SOURCE_DIR "/tests/data/aibrix-profiles/simulator-llama2-7b-a100.jsonl");
  assert_contains(f->stderr_text, "would not start");
}

#define A100_BENCH PODSCALE_SOURCE_DIR "/tests/data/aibrix-profiles/simulator-llama2-7b-a100.jsonl"

/* The shipped profile is what `aibrix_gen_profile --e2e 5 --percentile 99` made of the shipped
 * benchmark; the command reproduces it byte for byte up to its "created" time stamp. */
static void profile_gen_reproduces_the_shipped_a100_profile(void **state) {
  fx_dir *f = *state;
  char out[256];
  snprintf(out, sizeof out, "%s/p.json", f->dir);
  assert_exit(f, 0, "profile", "gen", "simulator-llama2-7b-a100", "--benchmark", A100_BENCH,
              "--e2e", "5", "--percentile", "99", "-o", out);
  char *got = tu_slurp(out, NULL);
  char *want = tu_slurp(
      PODSCALE_SOURCE_DIR "/tests/data/aibrix-profiles/simulator-llama2-7b-a100.json", NULL);
  assert_non_null(got);
  assert_non_null(want);
  /* Everything but the value of "created" (the time the command ran). */
  char *gc = strstr(got, "\"created\": "), *wc = strstr(want, "\"created\": ");
  assert_non_null(gc);
  assert_non_null(wc);
  assert_int_equal(gc - got, wc - want);
  assert_memory_equal(got, want, (size_t)(gc - got));
  assert_string_equal(strchr(gc, ','), strchr(wc, ','));
  free(got);
  free(want);
  /* Standard output when there is no -o. */
  assert_exit(f, 0, "profile", "gen", "a100", "--benchmark", A100_BENCH);
  assert_contains(f->stdout_text, "{\"gpu\": \"a100\", \"cost\": 1.0, \"tputs\": [[");
  /* -v: gen_profile's DEBUG lines for the worked bucket (out 64, in 512: every rate meets the
   * SLO, 1 to 8 req/s keep up, 8 is chosen) and the JSON indented as json.dumps(indent=2). */
  assert_exit(f, 0, "profile", "gen", "a100", "--benchmark", A100_BENCH, "--e2e", "5",
              "--percentile", "99", "-v", "-o", "-");
  assert_contains(f->stderr_text,
                  "DEBUG:aibrix.gpu_optimizer.profiling:Candidate request rates for 512:64:\n"
                  "[ 1.  2.  4.  8. 16. 32. 64.], [1.0791045853533707, 2.1391320430516005, "
                  "4.2029147193765075, 8.084202765314256, 14.209913194792176, 17.455680137061332, "
                  "17.981327336506435]\n"
                  "DEBUG:aibrix.gpu_optimizer.profiling:Candidate request rates for 512:64:\n"
                  "[1. 2. 4. 8.]\n"
                  "DEBUG:aibrix.gpu_optimizer.profiling:Candidate for 512:64 tputs:\n"
                  "     request_rate      mean\n"
                  "715           8.0  8.084203\n");
  assert_contains(f->stdout_text,
                  "{\n  \"gpu\": \"a100\",\n  \"cost\": 1.0,\n  \"tputs\": [\n    [\n");
  assert_contains(f->stdout_text,
                  "  \"slos\": {\n    \"percentile\": 99,\n    \"e2e\": 5.0\n  }\n}\n");
}

static void profile_gen_bad_input_exits_2_naming_the_line(void **state) {
  fx_dir *f = *state;
  char bench[256];
  snprintf(bench, sizeof bench, "%s/b.jsonl", f->dir);
  write_text(bench, "\n{\"input_tokens\": 4, \"output_tokens\": 4, \"request_rate\": 1, "
                    "\"metric\": \"TPUT\", \"mean\": 1.0}\n{oops\n");
  assert_exit(f, 2, "profile", "gen", "d", "--benchmark", bench);
  assert_contains(f->stderr_text, "b.jsonl:3:");
  assert_exit(f, 2, "profile", "gen", "d", "--benchmark", A100_BENCH, "--percentile", "95");
  assert_contains(f->stderr_text, "0, 50, 90 or 99");
  assert_exit(f, 2, "profile", "gen", "--benchmark", A100_BENCH);
  assert_exit(f, 2, "profile", "gen", "d");
  assert_contains(f->stderr_text, "--benchmark");
  assert_exit(f, 2, "profile", "gen", "d", "--benchmark", A100_BENCH, "-o", "redis://h:6379/");
  assert_contains(f->stderr_text, "?model=");
  assert_exit(f, 1, "profile", "gen", "d", "--benchmark", A100_BENCH, "-o",
              "redis://127.0.0.1:1/?model=m");
  assert_contains(f->stderr_text, "cannot connect");
  assert_exit(f, 2, "profile", "frobnicate");
}

#define PROFILES_DIR PODSCALE_SOURCE_DIR "/tests/data/aibrix-profiles/"

/* A device or a directory given as a scenario or a profile: a clear exit 2 at once (it read
 * 4.2 GB of /dev/zero and exited 1; a directory was a "read error"). */
static void endless_or_odd_input_files_are_refused_at_once(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 2, "run", "/dev/zero", "-q");
  assert_contains(f->stderr_text, "/dev/zero: expected text, found a NUL byte at offset 0");
  assert_exit(f, 2, "run", f->dir, "-q");
  assert_contains(f->stderr_text, "expected a file, found a directory");
  assert_exit(f, 2, "solve", "--profile", "/dev/zero", "--rates", "/dev/null");
  assert_contains(f->stderr_text, "/dev/zero: expected text");
  /* the line-by-line readers: a NUL byte, a line or a file past its limit (analysis/textin.h) */
  const char *flat = PODSCALE_SOURCE_DIR "/tests/data/profiles/flat-2rps.json";
  assert_exit(f, 2, "solve", "--profile", flat, "--rates", "/dev/zero");
  assert_contains(f->stderr_text, "/dev/zero:1: expected text, found a NUL byte");
  assert_exit(f, 2, "regress", "/dev/zero", "--profiles",
              PODSCALE_SOURCE_DIR "/tests/data/profiles");
  assert_contains(f->stderr_text, "/dev/zero:1: expected text, found a NUL byte");
  assert_exit(f, 2, "calibrate", "--gpu", "V100-32GB", "--model", "deepseek-llm-7b-chat",
              "/dev/zero");
  assert_contains(f->stderr_text, "/dev/zero:1: expected text, found a NUL byte");
  assert_exit(f, 2, "calibrate", "--gpu", "V100-32GB", "--model", "deepseek-llm-7b-chat",
              "--vllm-log", "/dev/zero");
  assert_contains(f->stderr_text, "/dev/zero:1: expected text, found a NUL byte");
  char path[512];
  snprintf(path, sizeof path, "%s/long.jsonl", f->dir);
  FILE *fp = fopen(path, "w");
  for (int i = 0; i < (1 << 20) + 1; i++)
    fputc('x', fp);
  fclose(fp);
  assert_exit(f, 2, "regress", path, "--profiles", PODSCALE_SOURCE_DIR "/tests/data/profiles");
  assert_contains(f->stderr_text, "long.jsonl:1: expected a line of at most 1048576 bytes");
}

/* The same for the other commands that write. */
static void an_empty_output_name_is_bad_input(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 2, "sweep", PODSCALE_SOURCE_DIR "/scenarios/mmc.json", "-o", "");
  assert_exit(f, 2, "merge", f->dir, "-o", "");
  assert_exit(f, 2, "plot", f->dir, "-o", "");
}

/* A decision solved from a rate distribution, logged, and solved again by regress: unchanged;
 * then a log whose units were edited: regress names the change and exits 1; a log it cannot
 * check exits 2. */
static void solve_logs_a_decision_that_regress_solves_again(void **state) {
  fx_dir *f = *state;
  char rates[256], log[256], profiles[256], cmd[1024];
  snprintf(rates, sizeof rates, "%s/rates.csv", f->dir);
  snprintf(log, sizeof log, "%s/decisions.jsonl", f->dir);
  snprintf(profiles, sizeof profiles, "%s/profiles", f->dir);
  write_text(rates, "output_tokens,input_tokens,rate\n128,512,3.5\n256,1024,1.25\n8,128,10\n");
  assert_exit(f, 0, "solve", "--profile", PROFILES_DIR "simulator-llama2-7b-a100.json", "--profile",
              PROFILES_DIR "simulator-llama2-7b-a40.json", "--rates", rates, "--model", "llama2-7b",
              "--log", log);
  assert_contains(f->stdout_text, "\"total_rate\":14.75");
  assert_contains(f->stdout_text, "llama2-7b optimization took ");
  assert_contains(f->stdout_text, "simulator-llama2-7b-a40: 160($0.48)]");
  snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s*.json %s/", profiles, PROFILES_DIR, profiles);
  assert_int_equal(system(cmd), 0);
  assert_exit(f, 0, "regress", log, "--profiles", profiles);
  assert_contains(f->stdout_text, "1 decisions solved again, 0 changed");
  snprintf(cmd, sizeof cmd, "sed -i 's/\"units\":160/\"units\":150/' %s", log);
  assert_int_equal(system(cmd), 0);
  assert_exit(f, 1, "regress", log, "--profiles", profiles);
  assert_contains(f->stdout_text, "simulator-llama2-7b-a40: 160 units, was 150");
  /* A profile directory without the decision's profiles. */
  assert_exit(f, 2, "regress", log, "--profiles", f->dir);
  assert_contains(f->stderr_text, "no profile in");
  /* A CI gate must not pass on a log it could not check: units that cannot be, a log cut short
   * mid-line, an empty log. */
  snprintf(cmd, sizeof cmd, "sed -i 's/\"units\":150/\"units\":-1/' %s", log);
  assert_int_equal(system(cmd), 0);
  assert_exit(f, 2, "regress", log, "--profiles", profiles);
  assert_contains(f->stderr_text, "\"units\": expected a whole number of units");
  snprintf(cmd, sizeof cmd, "sed -i 's/\"units\":-1/\"units\":150/' %s && truncate -s -1 %s", log,
           log);
  assert_int_equal(system(cmd), 0);
  assert_exit(f, 2, "regress", log, "--profiles", profiles);
  assert_contains(f->stderr_text, "expected a line ending in a newline, found the log cut short");
  write_text(log, "");
  assert_exit(f, 2, "regress", log, "--profiles", profiles);
  assert_contains(f->stderr_text, "expected decisions, found none");
}

/* Three gateway records of 30 requests (prompt about 512, output about 128 tokens): the monitor
 * finds one cluster and the ILP sizes for it. */
/* podscale solve on tests/data/solver-cases/NAME with its p0.json .. p{n-1}.json and rates.csv
 * (and --log LOG when given); exit 0 expected. */
static void solve_case(fx_dir *f, const char *name, int n, const char *log) {
  char dir[512], prof[3][600], rates[600];
  snprintf(dir, sizeof dir, PODSCALE_SOURCE_DIR "/tests/data/solver-cases/%s", name);
  const char *argv[16] = {"solve"};
  int k = 1;
  for (int i = 0; i < n && i < 3; i++) {
    snprintf(prof[i], sizeof prof[i], "%s/p%d.json", dir, i);
    argv[k++] = "--profile";
    argv[k++] = prof[i];
  }
  snprintf(rates, sizeof rates, "%s/rates.csv", dir);
  argv[k++] = "--rates";
  argv[k++] = rates;
  if (log) {
    argv[k++] = "--log";
    argv[k++] = log;
  }
  argv[k] = NULL;
  int rc = podscale(f, argv);
  if (rc != 0) fail_msg("solve %s: exit status %d; stderr:\n%s", name, rc, f->stderr_text);
}

/* A load GLPK leaves 1e-4 above its units (its tolerances at 290,000 units) is raised to its
 * exact need: gpu-b 289,810 units, not 289,809 (tests/data/solver-cases). */
static void solve_never_leaves_a_load_above_its_units(void **state) {
  fx_dir *f = *state;
  solve_case(f, "load_exceeds_units", 2, NULL);
  assert_contains(f->stdout_text, "[gpu-a: 71176($2183.6796799999997), gpu-b: 289810(");
  assert_contains(f->stdout_text, "cost $8544.59475169");
}

/* Three identical GPU types: 11 s of branch-and-bound enumerating splits before they were
 * merged; now the one class's optimum, on the first (tests/data/solver-cases). */
static void solve_merges_identical_gpu_types(void **state) {
  fx_dir *f = *state;
  solve_case(f, "slow_identical_types", 3, NULL);
  assert_contains(f->stdout_text, "cost $686.636");
  assert_contains(f->stdout_text,
                  "[gpu-a: 11387($686.6360999999999), gpu-b: 0($0.0), gpu-c: 0($0.0)]");
}

/* A decision the search budget stopped says so, with a gap at least as large as its distance
 * from the optimum (982.7532 against 982.7233: 3.04e-5), in solve's output, its decision line
 * and regress's report (tests/data/solver-cases). */
static void solve_says_when_a_decision_is_not_proven_optimal(void **state) {
  fx_dir *f = *state;
  char log[512];
  snprintf(log, sizeof log, "%s/d.jsonl", f->dir);
  solve_case(f, "node_limit_suboptimal", 3, log);
  assert_contains(f->stderr_text, "podscale: solve: not proven optimal");
  assert_contains(f->stdout_text, "\"optimal\":false,\"gap\":");
  const char *g = strstr(f->stdout_text, "\"gap\":");
  const char *c = strstr(f->stdout_text, "],\"cost\":"); /* the decision's, after its deployments */
  assert_non_null(c);
  double cost = atof(c + 9), gap = atof(g + 6);
  assert_true(cost > 982.7);
  assert_true(cost - 982.7233 <= gap * cost);
  assert_exit(f, 0, "regress", log, "--profiles",
              PODSCALE_SOURCE_DIR "/tests/data/solver-cases/node_limit_suboptimal");
  assert_contains(f->stdout_text, "1 not proven optimal (the search stopped at its budget)");
  assert_contains(f->stdout_text, "1 decisions solved again, 0 changed");
}

static void solve_from_gateway_traces_clusters_them(void **state) {
  fx_dir *f = *state;
  char t[3][256];
  for (int i = 0; i < 3; i++) {
    snprintf(t[i], sizeof t[i], "%s/trace%d.json", f->dir, i);
    write_text(t[i], "{\"90:70\":30,\"meta_interval_sec\":10,\"meta_pending_reqs\":0,"
                     "\"meta_precision\":10,\"meta_queueing_reqs\":0,\"meta_total_reqs\":30,"
                     "\"meta_v\":4}");
  }
  assert_exit(f, 0, "solve", "--profile", PROFILES_DIR "simulator-llama2-7b-a100.json", "--trace",
              t[0], "--trace", t[1], "--trace", t[2]);
  assert_contains(f->stdout_text, "\"clusters\":[{\"out_log2\":7,\"in_log2\":9,");
  assert_contains(f->stdout_text, "coverage: 100.0%");
}

static void solve_bad_input_exits_2_with_the_place(void **state) {
  fx_dir *f = *state;
  char rates[256];
  snprintf(rates, sizeof rates, "%s/rates.csv", f->dir);
  write_text(rates, "128,512,3.5\n100,512,1\n");
  assert_exit(f, 2, "solve", "--profile", PROFILES_DIR "simulator-llama2-7b-a100.json", "--rates",
              rates);
  assert_contains(f->stderr_text, "rates.csv:2:");
  assert_exit(f, 2, "solve", "--rates", rates);
  assert_contains(f->stderr_text, "--profile");
  assert_exit(f, 2, "solve", "--profile", PROFILES_DIR "simulator-llama2-7b-a100.json", "--profile",
              PODSCALE_SOURCE_DIR "/tests/data/profiles/other-grid.json", "--rates", rates);
  assert_contains(f->stderr_text, "other-grid");
}

/* A simulated run with the optimizer logs its decisions and profiles; regress agrees. */
static void a_simulated_optimizer_log_regresses_clean(void **state) {
  fx_dir *f = *state;
  assert_exit(f, 0, "run", PODSCALE_SOURCE_DIR "/scenarios/aibrix-v100.json", "--policy",
              "optimizer-kpa", "-o", f->out, "--quiet");
  char log[300], profiles[300];
  snprintf(log, sizeof log, "%s/optimizer.jsonl", f->out);
  snprintf(profiles, sizeof profiles, "%s/profiles", f->out);
  assert_exit(f, 0, "regress", log, "--profiles", profiles);
  assert_contains(f->stdout_text, " decisions solved again, 0 changed");
  assert_false(strstr(f->stdout_text, "\n0 decisions"));
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_dir_setup, fx_dir_teardown)
  const struct CMUnitTest tests[] = {
      T(help_exits_0_and_prints_usage_to_stdout),
      T(no_arguments_exit_2_with_usage_on_stderr),
      T(version_exits_0_and_starts_with_the_name),
      T(unknown_command_exits_2),
      T(run_without_a_scenario_exits_2),
      T(run_with_a_non_numeric_seed_exits_2),
      T(bad_scenario_exits_2_names_file_and_path_and_writes_nothing),
      T(unknown_policy_selected_exits_2_and_writes_nothing),
      T(run_writes_every_output_and_no_temporary_files),
      T(policy_option_runs_only_the_policy_named),
      T(output_under_a_regular_file_exits_1_with_a_message),
      T(seed_with_a_sign_or_space_or_beyond_2_53_exits_2),
      T(empty_output_directory_exits_2_with_a_message),
      T(catalog_lists_gpus_llms_and_what_fits),
      T(benchmark_with_no_run_that_fits_exits_2_and_writes_nothing),
      T(calibrate_refuses_an_engine_vllm_could_not_start),
      T(profile_gen_reproduces_the_shipped_a100_profile),
      T(profile_gen_bad_input_exits_2_naming_the_line),
      T(an_empty_output_name_is_bad_input),
      T(endless_or_odd_input_files_are_refused_at_once),
      T(solve_logs_a_decision_that_regress_solves_again),
      T(solve_never_leaves_a_load_above_its_units),
      T(solve_merges_identical_gpu_types),
      T(solve_says_when_a_decision_is_not_proven_optimal),
      T(solve_from_gateway_traces_clusters_them),
      T(solve_bad_input_exits_2_with_the_place),
      T(a_simulated_optimizer_log_regresses_clean),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
