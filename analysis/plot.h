/*
 * plot: the figures of `podscale plot`, drawn by gnuplot from a `podscale run` directory.
 *
 * The main figure is the one AIBrix uses to compare autoscalers: (a) the CDF of the E2E latency
 * of `ok` requests, (b) the offered load over time, (c) pods alive over time, (d) accumulated
 * cost over time, and (e) bars of mean E2E, P99 E2E, total cost and failed requests per policy.
 * One colour (and dash pattern) per policy, the same in every panel. The optional timeline
 * figure shows each policy's autoscaler decisions: desired replicas per deployment, and the GPU
 * optimizer's published value / 100 (the GPUs it asks for).
 *
 * Three steps, each usable alone:
 *   1. plot_read reads summary.csv, requests.csv, timeseries.csv (and decisions.csv for the
 *      timeline) into per-policy series. Columns are found by their header names
 *      (docs/outputs.md). The policies are those of summary.csv, in its order; a row of another
 *      file that names any other policy is an error.
 *   2. plot_write_figure / plot_write_timeline write a gnuplot script STEM.gp and the small data
 *      files it reads (STEM-*.dat) next to the image STEM.png (or .svg). The script finds its
 *      data next to itself through gnuplot's ARG0, so `gnuplot PATH/STEM.gp` works from any
 *      directory and the user may edit it and draw again.
 *   3. plot_render runs `gnuplot -e "out='TMP'" SCRIPT` and renames TMP to the image once
 *      gnuplot exits with status 0.
 *
 * Large runs: requests.csv is read row by row and only the E2E of `ok` requests is kept (8
 * bytes each). Each policy's values are sorted and the CDF is written as at most
 * PLOT_CDF_POINTS quantiles, so the data files and the drawing stay small and fast whatever the
 * number of requests.
 *
 * Errors: bad input (a missing directory, a missing or malformed CSV file) returns false with
 * "FILE:LINE: expected ..., found ..." in *err. Every file is written under a temporary name
 * and renamed when complete (analysis/outfile.h). Internal invariants are assertions.
 */
#ifndef PODSCALE_PLOT_H
#define PODSCALE_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis/stats.h"
#include "base/err.h"

enum { PLOT_CDF_POINTS = 2000 }; /* most (E2E, fraction) points written per policy */

typedef enum plot_format { PLOT_PNG, PLOT_SVG } plot_format;

/* One sample time of one policy in timeseries.csv, summed over its deployments. */
typedef struct plot_sample {
  double time_s;        /* sample time, s */
  double offered_rps;   /* arrivals at the gateway, req/s (gateway-wide already: not summed) */
  double completed_rps; /* ok completions of all deployments, req/s */
  long pods;            /* pods alive: pending + starting + ready + terminating */
  double cost;          /* accumulated cost of all deployments, dollars */
} plot_sample;

typedef enum plot_track_kind {
  PLOT_TRACK_DESIRED,   /* an autoscaler's `desired` replicas */
  PLOT_TRACK_OPTIMIZER, /* a gpu-optimizer row's `value` / 100: the GPUs it asks for */
} plot_track_kind;

/* One line of the timeline: one kind of decision for one deployment, in time order. */
typedef struct plot_track {
  char *deployment;     /* deployment name */
  plot_track_kind kind; /* what y holds */
  double *t_s;          /* decision times, s */
  double *y;            /* replicas (desired) or GPUs (optimizer value / 100) */
  size_t n, cap;        /* points, allocated points */
} plot_track;

/* Measured figures of a policy, drawn under the run's own as wide pale lines of its colour in
 * panels (a) and (c) (`podscale plot --measured`); borrowed from the caller (analysis/measured.h
 * owns them), all zero when there are none. */
typedef struct plot_ref {
  const double *e2e_s; /* sorted latencies of completed requests, s */
  size_t ne2e;         /* entries of e2e_s */
  const double *t_s;   /* pods over time: sample times, s, non-decreasing */
  const long *pods;    /* pods at each time, held until the next */
  size_t npods;        /* entries of t_s and pods */
} plot_ref;

typedef struct plot_policy {
  char *name;                  /* policy name, as in summary.csv */
  double e2e_mean_s;           /* summary.csv e2e_mean_s, s; NAN when empty (no ok request) */
  double e2e_p99_s;            /* summary.csv e2e_p99_s, s; NAN when empty */
  double cost;                 /* summary.csv cost, dollars */
  long failed;                 /* summary.csv timeout + failed, requests */
  sample e2e_s;                /* E2E of ok requests, s; sorted once plot_read returns */
  plot_sample *samples;        /* timeseries.csv, one per sample time, in time order */
  size_t nsamples, capsamples; /* samples, allocated samples */
  plot_track *tracks;          /* decisions.csv, when read for the timeline */
  size_t ntracks;              /* tracks, in order of first appearance */
  plot_ref ref;                /* measured figures to draw under this policy's; zero: none */
} plot_policy;

typedef struct plot_run {
  char *dir;             /* the run directory, as given */
  const char *title;     /* the figures' title; NULL: "... podscale run DIR" */
  const char *ref_dir;   /* where the policies' refs come from, for the title; NULL: no refs */
  plot_policy *policies; /* in summary.csv order */
  size_t npolicies;      /* at least 1 once plot_read succeeds */
} plot_run;

/* Read the run directory dir; decisions.csv only when timeline is true. */
bool plot_read(const char *dir, bool timeline, plot_run *run, ps_err *err);
void plot_run_free(plot_run *run);

/* Aggregate one timeseries.csv row into p: a row at the time of the last sample adds to it
 * (another deployment), a later time starts a new sample; an earlier time returns false. */
bool plot_add_sample(plot_policy *p, const plot_sample *row);

/* The empirical CDF of n sorted values as at most max_points points: all n when
 * n <= max_points, else max_points order statistics evenly spaced in rank, the smallest and
 * the largest included. The point of the value of rank r (from 0) is (sorted[r], (r+1)/n).
 * Returns the number of points written into x and frac. max_points >= 2. */
size_t plot_cdf(const double *sorted, size_t n, size_t max_points, double *x, double *frac);

/* The format an image name asks for by its extension, .png or .svg (any case); false for
 * anything else, or for a name that is only an extension. */
bool plot_format_of(const char *image, plot_format *fmt);

/* The main figure's script STEM.gp and its data STEM-cdf.dat, STEM-series.dat and
 * STEM-bars.dat, next to image (STEM is image without its extension); creates the directory.
 * The script's path goes into script (size n). */
bool plot_write_figure(const plot_run *run, const char *image, char *script, size_t n, ps_err *err);
/* The same for the timeline figure (image is the timeline image itself, such as
 * DIR/plot-timeline.png): STEM.gp and STEM.dat. */
bool plot_write_timeline(const plot_run *run, const char *image, char *script, size_t n,
                         ps_err *err);

/* The scripts alone: stem names the data files and image the default output, both relative to
 * the script's directory. */
void plot_script_figure(FILE *fp, const plot_run *run, plot_format fmt, const char *stem,
                        const char *image);
void plot_script_timeline(FILE *fp, const plot_run *run, plot_format fmt, const char *stem,
                          const char *image);

typedef enum plot_status {
  PLOT_OK,         /* the image is in place */
  PLOT_NO_GNUPLOT, /* gnuplot is not on PATH: nothing was drawn */
  PLOT_FAILED,     /* gnuplot failed, or the image could not be renamed: *err says why */
} plot_status;

/* Is there an executable `gnuplot` on PATH? */
bool plot_have_gnuplot(void);
/* Run gnuplot on script to draw image (under a temporary name, renamed on success). What
 * gnuplot writes on stderr goes to warn, one line per call (warn may be NULL), when it
 * succeeds, and into *err when it fails. */
plot_status plot_render(const char *script, const char *image, void (*warn)(const char *line),
                        ps_err *err);

#endif
