/* `podscale plot`: the command line of analysis/plot.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/measured.h"
#include "analysis/plot.h"
#include "base/xalloc.h"
#include "sim/cli/cli.h"

static const char help_text[] =
    "usage: podscale plot DIR [-o FILE.png|FILE.svg] [--timeline] [--title TEXT]\n"
    "                         [--measured MEASURED_DIR]\n"
    "\n"
    "Draw the autoscaler comparison of a `podscale run` output directory with gnuplot:\n"
    "(a) E2E latency CDF, (b) offered load, (c) pods alive and (d) accumulated cost over\n"
    "time, (e) bars of mean and P99 E2E, total cost and failed requests; one colour per\n"
    "policy. The gnuplot script FILE.gp and its data FILE-*.dat are kept next to the image:\n"
    "edit the script and run `gnuplot FILE.gp` to draw it again.\n"
    "\n"
    "  -o, --output FILE  the image, PNG or SVG by its extension (default: DIR/plot.png)\n"
    "  --timeline         also FILE-timeline.png (or .svg): each policy's autoscaler\n"
    "                     decisions over time, from decisions.csv\n"
    "  --title TEXT       the figure's title (default: \"Autoscaler comparison: podscale run "
    "DIR\")\n"
    "  --measured DIR     also draw runs measured on a cluster (docs/compare.md, \"Measured-run\n"
    "                     format\"): each policy's measured latency CDF in (a) and pods in (c),\n"
    "                     as wide pale lines of its colour under the simulated ones\n"
    "\n"
    "exit status: 0 ok; 1 gnuplot missing or failed, or a file could not be written;\n"
    "2 bad input (usage, a missing or malformed CSV file)\n"
    "docs: docs/plots.md\n";

static void gnuplot_warning(const char *line) {
  fprintf(stderr, "podscale: plot: gnuplot: %s\n", line);
}

static int no_gnuplot(const char *script, const char *tscript) {
  fputs("podscale: plot: gnuplot is not installed; install it with: sudo apt-get install "
        "gnuplot-nox\n",
        stderr);
  fprintf(stderr, "podscale: plot: the script%s written: run `gnuplot %s`",
          tscript ? "s are" : " is", script);
  if (tscript) fprintf(stderr, " and `gnuplot %s`", tscript);
  fputs(" once gnuplot is installed\n", stderr);
  return EXIT_RUNTIME;
}

/* Draw one figure whose script is written. A failure leaves no image: one from an earlier
 * run would not match the new script. */
static int draw(const char *script, const char *image) {
  ps_err err;
  switch (plot_render(script, image, gnuplot_warning, &err)) {
  case PLOT_OK: printf("wrote %s (gnuplot script %s)\n", image, script); return EXIT_OK;
  case PLOT_NO_GNUPLOT: unlink(image); return no_gnuplot(script, NULL);
  case PLOT_FAILED: break;
  }
  unlink(image);
  fprintf(stderr, "podscale: plot: %s\n", err.msg);
  return EXIT_RUNTIME;
}

/* FILE.ext -> FILE-timeline.ext */
static char *timeline_name(const char *image) {
  const char *dot = strrchr(image, '.');
  size_t n = strlen(image) + sizeof "-timeline";
  char *s = xmalloc(n);
  snprintf(s, n, "%.*s-timeline%s", (int)(dot - image), image, dot);
  return s;
}

static char *default_image(const char *dir) {
  size_t len = strlen(dir), n = len + sizeof "/plot.png";
  char *s = xmalloc(n);
  snprintf(s, n, "%s%splot.png", dir, len && dir[len - 1] == '/' ? "" : "/");
  return s;
}

/* Point each policy of the run at its measured figures (borrowed from meas); a measured policy
 * the run lacks is named on stderr, as it has no colour to be drawn in. */
static void attach_measured(plot_run *run, const meas_set *meas) {
  for (size_t i = 0; i < meas->npolicies; i++) {
    const meas_policy *m = &meas->policies[i];
    size_t k = 0;
    while (k < run->npolicies && strcmp(run->policies[k].name, m->name) != 0)
      k++;
    if (k == run->npolicies) {
      fprintf(stderr, "podscale: plot: measured policy '%s' is not in %s: not drawn\n", m->name,
              run->dir);
      continue;
    }
    run->policies[k].ref = (plot_ref){m->e2e_s.v, m->e2e_s.n, m->pods.t_s, m->pods.pods, m->pods.n};
  }
  run->ref_dir = meas->dir;
}

int cmd_plot(int argc, char **argv) {
  static const struct option longopts[] = {
      {"output", required_argument, NULL, 'o'}, {"timeline", no_argument, NULL, 't'},
      {"title", required_argument, NULL, 'T'},  {"measured", required_argument, NULL, 'M'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
  };
  const char *out = NULL, *title = NULL, *measured = NULL;
  bool timeline = false;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'o':
      if (!*optarg) return cli_usage_error("plot: -o: expected a file, found ''");
      out = optarg;
      break;
    case 't': timeline = true; break;
    case 'T': title = optarg; break;
    case 'M': measured = optarg; break;
    case 'h': fputs(help_text, stdout); return EXIT_OK;
    default: return cli_usage_error("plot: unknown or incomplete option '%s'", argv[optind - 1]);
    }
  }
  if (optind != argc - 1)
    return cli_usage_error("plot: %s", optind >= argc ? "expected a run output directory"
                                                      : "expected one run output directory, "
                                                        "found more arguments");
  const char *dir = argv[optind];
  plot_format fmt;
  if (out && !plot_format_of(out, &fmt))
    return cli_usage_error("plot: -o: expected an image name ending in .png or .svg, found '%s'",
                           out);

  plot_run run;
  meas_set meas = {0};
  ps_err err;
  bool read = plot_read(dir, timeline, &run, &err);
  if (read && measured && !meas_read(measured, &meas, &err)) {
    plot_run_free(&run);
    read = false;
  }
  if (!read) {
    fprintf(stderr, "podscale: plot: %s\n", err.msg);
    return EXIT_BADINPUT;
  }
  run.title = title;
  if (measured) attach_measured(&run, &meas);
  char *image = out ? xstrdup(out) : default_image(dir);
  char *timage = timeline ? timeline_name(image) : NULL;
  char script[4096], tscript[4096];
  int rc = EXIT_OK;
  if (!plot_write_figure(&run, image, script, sizeof script, &err) ||
      (timage && !plot_write_timeline(&run, timage, tscript, sizeof tscript, &err))) {
    fprintf(stderr, "podscale: plot: %s\n", err.msg);
    rc = EXIT_RUNTIME;
  }
  plot_run_free(&run);
  meas_set_free(&meas);
  if (rc == EXIT_OK && !plot_have_gnuplot()) {
    unlink(image);
    if (timage) unlink(timage);
    rc = no_gnuplot(script, timage ? tscript : NULL);
  }
  if (rc == EXIT_OK) rc = draw(script, image);
  if (rc == EXIT_OK && timage) rc = draw(tscript, timage);
  free(timage);
  free(image);
  return rc;
}
