/*
 * monitor: the GPU optimizer's load monitor. It reads the request histograms the gateway writes
 * every 10 s, keeps a moving window of them, clusters the requests in log2 token space and turns
 * the clusters into request rates per profile bucket, which the ILP (optimizer/ilp.h) sizes
 * deployments for.
 *
 * Upstream: vllm-project/aibrix. The gateway's writer is pkg/cache/trace.go (keys and values) and
 * pkg/cache/cache_trace.go (the Redis key, 10 min expiry); the reader is
 * python/aibrix/aibrix/gpu_optimizer/load_monitor/load_reader.py (GatewayLoadReader), the loop
 * monitor.py (ModelMonitor._run_yieldable), the window clusterer.py (MovingDBSCANClusterer over
 * incdbscan's IncrementalDBSCAN) and the centre -> bucket rule helpers.py (Centeroid); what
 * podscale takes from them: docs/optimizer.md.
 *
 * Trace records. Key `aibrix:<model>_request_trace_<ts>`, ts = the write time in Unix seconds
 * aligned down to the 10 s interval; value a JSON object of ints: one `"<I>:<O>": count` per
 * histogram cell of requests completed in the interval, plus meta entries that grew by version
 * (v1 none; v2 meta_v, meta_interval_sec, meta_precision; v3 meta_total_reqs = requests that
 * arrived, meta_pending_reqs = model-wide in flight; v4 meta_queueing_reqs). I is
 * int64((round(log2(in_tokens) / 0.1) * 0.1) / 0.1), tokens <= 0 give 0, and likewise O. That
 * float round trip is the GATEWAY KEY QUIRK: for k in {43, 81, 86, 91, 162, 167, 172, 177, 182,
 * 187, ...} the division gives k - 1 + 0.99999... and the truncation writes k - 1, so those keys
 * never appear (20 tokens: round(10 log2 20) = 43, written "42"). opt_trace_bucket_key reproduces
 * it. opt_trace_to_json writes the bytes Go's json.Marshal of map[string]int writes (keys in
 * byte order, no spaces); opt_trace_parse reads every version as GatewayLoadReader does: meta_v
 * defaults to 1 and meta_precision to 1; for v < 2 the interval is the reader's (10 s, or the
 * last v2+ record's), for v >= 2 meta_interval_sec (10 when absent); for v < 3 the total is the
 * sum of the counts, for v >= 3 meta_total_reqs; other meta_ keys are skipped; a point is
 * (O / precision, I / precision) in log2 tokens, output first as the monitor orders it.
 *
 * The window (MovingDBSCANClusterer(eps 0.5, min_pts 10, buffer_size 4, window 240.0)). Up to 4
 * sub-windows; new records go into all of them; the oldest one ("current") is clustered. Each
 * step first rotates: when now - (creation time of the newest sub-window) >= 240 s / 4 = 60 s,
 * a new empty sub-window is created while there are fewer than 4, else the oldest is emptied
 * and becomes the newest, and the next-oldest becomes current. So the clustered data covers all
 * records since the start for the first 240 s, then between 180 and 240 s. Rotation is checked
 * only at steps. The span of a window is max - min of its records' timestamps (1 s if they are
 * equal: the first-round rate over-estimate of reference section 4.4, kept on purpose). The
 * total rate handed to the ILP is max(points in the window / span, the newest record's
 * total / interval), as the monitor computes it.
 *
 * Clustering (opt_dbscan) is DBSCAN with incdbscan's semantics: a histogram cell of count n is n
 * points at one place; neighbours are points within eps (inclusive); a point is core when the
 * points within eps, itself included, number at least min_pts; clusters are the connected sets
 * of core points; a non-core point next to a core point is a border point of that cluster, else
 * noise. Determinism: the result is a function of the multiset of points, not of their order.
 * Distinct places are taken in ascending (output, input) order; clusters are numbered in the
 * order of their first core place; a border point next to several clusters joins the highest
 * numbered one (incdbscan's rule: the most recent cluster, the highest label). Distances are
 * compared as dx^2 + dy^2 <= eps^2 + 1e-9: on the gateway's 0.1 grid, squared distances are
 * multiples of 0.01, so this is the exact real-number test (a pair at exactly 0.5, such as
 * dx = 0.3, dy = 0.4, is always a neighbour) while upstream's float distance of two tenths may
 * land either side of eps. Noise is dropped from the shape of the distribution and kept only in
 * the total rate (reference section 3.5 item 4).
 *
 * Work. Counts are weights, never expanded into points (scikit-learn's sample_weight semantics,
 * which are incdbscan's multiplicities): a step costs O(R log R + pairs) for the R cell records
 * in the window, the same for a count of 1 or of 2^31 - 1. The pairs and the sweep's tests are
 * bounded by OPT_DBSCAN_MAX_PAIRS and OPT_DBSCAN_MAX_TESTS: a step past them fails (the round
 * is skipped with a message) rather than run for hours or exhaust memory. Weights and sizes are
 * int64: a sum of at most R counts of at most 2^31 - 1 cannot overflow while R < 2^32 (asserted).
 *
 * Centres and buckets (Centeroid). A centre is the mean of its points in log2 space, summed one
 * point at a time in window order as upstream does, so it has upstream's bits (a record's n
 * identical points are added at once, in steps per binade the sum crosses, with the bits of n
 * single additions). Its rate is
 * size / span. A centre maps to the profile grid per dimension in log2: inside the ticks, the
 * nearer tick with the midpoint going to the higher one (in tokens the boundary between 2^a and
 * 2^(a+1) is 2^(a+0.5)); outside, the edge tick (clamping). "In range" means within half a tick
 * spacing (spacing = (last - first) / (n - 1) in log2) of the edge ticks; upstream logs a warning
 * for centres further out below the first tick, and for every centre above the last one (its
 * upper test compares with the first tick, reference section 8 item 4): the bucket is the same.
 * A one-tick dimension always gives index 0, in range. A centre's share is rate / sum of rates
 * (summed in cluster order, as Optimizer.set_workload_distribution does); shares of centres in
 * one bucket add up; a bucket's rate is share * total rate.
 *
 * Errors: bad input (a trace record, a grid, a configuration) gets an opt_err naming the source,
 * the key and what was expected and found; internal invariants (time going backwards between
 * steps, a NaN point) are assertions. A monitor owns its memory and what a step reports (valid
 * until the next step or opt_monitor_free); a trace owns its cells (opt_trace_free). No globals.
 *
 * Deliberate differences from AIBrix, all on input the gateway never writes: a count must be a
 * whole number in 0..2^31-1 (upstream raises on 0 and accepts negatives and floats); two keys
 * naming one cell ("7:5" twice, or "7:5" and "07:5") are an error (Python keeps the last value,
 * or counts both); meta values must be whole numbers. The gateway's interval alignment and the
 * reader's are the same floor to a multiple of the interval (Go's % truncates for times before
 * 1970, never the case).
 */
#ifndef PODSCALE_OPT_MONITOR_H
#define PODSCALE_OPT_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "optimizer/opt_err.h"

#define OPT_TRACE_VERSION 4      /* RequestTraceVersion: meta_v the gateway writes */
#define OPT_TRACE_INTERVAL_S 10  /* RequestTraceWriteInterval; also the reader's default */
#define OPT_TRACE_PRECISION 10   /* meta_precision = 1 / RequestTracePrecision (0.1 log2) */
#define OPT_TRACE_EXPIRY_S 600   /* expireWriteRequestTraceIntervalInMins */
#define OPT_TRACE_READ_DELAY_S 2 /* GatewayLoadReader.next_available: slack after the key time */
#define OPT_TRACE_COUNT_MAX 2147483647LL /* counts are Go int32 counters */
#define OPT_GRID_TOLERANCE 0.5           /* Centeroid._signature_tolerance: midpoint rule */

/* ------------------------------------------------------------------------------------------
 * Trace records
 * ------------------------------------------------------------------------------------------ */

typedef struct opt_trace_cell {
  int64_t in_key;  /* I: input tokens as the gateway keys them; log2 tokens = I / precision */
  int64_t out_key; /* O: output tokens, likewise */
  int64_t count;   /* requests completed in the interval with these keys */
} opt_trace_cell;

typedef struct opt_trace {
  int64_t ts_s;          /* the key's timestamp, Unix seconds (a multiple of the interval) */
  int64_t version;       /* meta_v; 1 when absent */
  int64_t interval_s;    /* meta_interval_sec (v >= 2); for v1 the reader's interval */
  int64_t precision;     /* meta_precision: key units per log2 unit; 1 when absent */
  int64_t total_reqs;    /* requests arrived: meta_total_reqs (v >= 3), else the sum of counts */
  int64_t pending_reqs;  /* meta_pending_reqs (v >= 3), else 0; the monitor ignores it */
  int64_t queueing_reqs; /* meta_queueing_reqs (v >= 4), else 0; the monitor ignores it */
  opt_trace_cell *cells; /* the histogram: document order (parsed) or (I, O) order (built) */
  size_t n_cells;        /* cells in use */
  size_t cap_cells;      /* cells allocated */
  bool built;            /* true when made by opt_trace_init: cells sorted by (I, O) */
} opt_trace;

/* The gateway's key for a token count, quirk included (RequestTrace.getTokenBucket then
 * getTraceKey): int64((round(log2(tokens) / 0.1) * 0.1) / 0.1); 0 for tokens <= 0. */
int64_t opt_trace_bucket_key(int64_t tokens);
/* aibrix:<model>_request_trace_<ts_s>; false when it does not fit in n bytes. */
bool opt_trace_key(const char *model, int64_t ts_s, char *buf, size_t n);
/* A time aligned down to the interval, in Unix seconds: the gateway's roundT for a write at
 * now, and the key a GatewayLoadReader.read(now) asks for. */
int64_t opt_trace_key_ts(int64_t now_us, int64_t interval_s);
/* The key a read at now fetches (opt_trace_key_ts), or -1 when it is not after last_ts_s, the
 * newest key read so far ("seen": upstream returns nothing). */
int64_t opt_trace_due_key(int64_t now_us, int64_t last_ts_s, int64_t interval_s);
/* GatewayLoadReader.next_available(): last_ts + interval + 2 s, in microseconds. */
int64_t opt_trace_next_read_us(int64_t last_ts_s, int64_t interval_s);

/* The gateway's side: an empty v4 record for the interval ending at ts_s (10 s, precision 10),
 * then one count_arrival per request that arrived and one count_done per request completed in
 * the interval; pending_reqs and queueing_reqs are set directly. The gateway writes a record
 * only if something arrived or completed in the interval. */
void opt_trace_init(opt_trace *t, int64_t ts_s);
void opt_trace_count_arrival(opt_trace *t);
void opt_trace_count_done(opt_trace *t, int64_t in_tokens, int64_t out_tokens);
/* The record's JSON as Go's json.Marshal writes it (for v4 byte-identical to the gateway's),
 * with the meta keys of t->version; malloc'd, the caller frees it. */
char *opt_trace_to_json(const opt_trace *t);
/* Parse a record read from key `source` holding timestamp ts_s. v1_interval_s stands for the
 * interval of v1 records, which carry none. On failure *out is empty and err says why. */
bool opt_trace_parse(const char *json, const char *source, int64_t ts_s, int64_t v1_interval_s,
                     opt_trace *out, opt_err *err);
/* total_reqs / interval_s, req/s (GatewayLoadReader._get_rate; pending is ignored). */
double opt_trace_rate(const opt_trace *t);
void opt_trace_free(opt_trace *t);

/* ------------------------------------------------------------------------------------------
 * Profile grid and centre -> bucket
 * ------------------------------------------------------------------------------------------ */

typedef struct opt_grid {
  const int32_t *out_ticks; /* output-token ticks of the profiles (indexes[0]), ascending */
  size_t n_out;             /* rows */
  const int32_t *in_ticks;  /* input-token ticks (indexes[1]), ascending */
  size_t n_in;              /* columns */
} opt_grid;

/* At least one tick per dimension, every tick > 0, strictly ascending. */
bool opt_grid_check(const opt_grid *g, opt_err *err);
/* Index of the tick a log2 value maps to (Centeroid.get_signature, one dimension); *in_range
 * (may be NULL) says whether it lies within half a spacing of the ticks. ticks as opt_grid. */
size_t opt_grid_index(const int32_t *ticks, size_t n, double v_log2, bool *in_range);

/* ------------------------------------------------------------------------------------------
 * DBSCAN
 * ------------------------------------------------------------------------------------------ */

typedef struct opt_point {
  double out_log2; /* log2 output tokens */
  double in_log2;  /* log2 input tokens */
  int64_t count;   /* multiplicity: identical points, >= 0 */
} opt_point;

/* The work budget of one clustering: at most this many neighbour pairs of distinct places (32
 * bytes of memory each) and distance tests (the sweep's inner loop), about 130 MB and half a
 * second. A gateway's window on its 0.1 log2 grid has at most 81 neighbours per place and a few
 * thousand places; only a hostile or broken writer (a huge meta_precision packing every cell
 * within eps, or hundreds of thousands of cells in one column) comes near it. */
#define OPT_DBSCAN_MAX_PAIRS (1 << 22)
#define OPT_DBSCAN_MAX_TESTS (INT64_C(1) << 28)
#define OPT_DBSCAN_TOO_DENSE SIZE_MAX

/* Cluster the points (semantics and ties above); label[i] = cluster of pts[i], 0-based, or -1
 * for noise. Returns the number of clusters, or OPT_DBSCAN_TOO_DENSE (labels unset) past the
 * work budget. */
size_t opt_dbscan(const opt_point *pts, size_t n, double eps, int64_t min_pts, int64_t *label);

/* ------------------------------------------------------------------------------------------
 * The monitor
 * ------------------------------------------------------------------------------------------ */

typedef struct opt_monitor_config {
  double eps_log2;   /* DBSCAN radius in log2 tokens (0.5) */
  int64_t min_pts;   /* points within eps, itself included, that make a core point (10) */
  int64_t window_us; /* clustering window (240 s) */
  int sub_windows;   /* sub-windows; one rotates every window / sub_windows (4: 60 s) */
} opt_monitor_config;

typedef enum opt_monitor_action {
  OPT_MONITOR_OPTIMIZE, /* clusters found: solve the ILP with the bucket rates */
  OPT_MONITOR_MINIMIZE, /* the window is empty: every deployment to its minimum (_minimize) */
  OPT_MONITOR_SKIP,     /* points but no cluster: "Skip optimization, insufficient data" */
} opt_monitor_action;

typedef struct opt_cluster {
  double out_log2; /* centre: mean log2 output tokens of the members */
  double in_log2;  /* centre: mean log2 input tokens */
  int64_t size;    /* member points */
  double rate;     /* size / span, req/s (Centeroid.rate) */
  double share;    /* rate / sum of the clusters' rates */
  size_t out_idx;  /* bucket row (output tick index); 0 without a grid */
  size_t in_idx;   /* bucket column (input tick index); 0 without a grid */
  bool in_range;   /* centre within half a spacing of the grid ticks in both dimensions;
                      false without a grid */
} opt_cluster;

typedef struct opt_bucket_rate {
  int32_t out_tick; /* the bucket's output tick, tokens */
  int32_t in_tick;  /* the bucket's input tick, tokens */
  size_t out_idx;   /* row */
  size_t in_idx;    /* column */
  double share;     /* summed shares of the centres in this bucket (Optimizer's D[i][j]) */
  double rate;      /* share * total_rate, req/s */
} opt_bucket_rate;

typedef struct opt_monitor_out {
  opt_monitor_action action;
  int64_t points;      /* points in the clustered window */
  int64_t clustered;   /* of which in some cluster */
  double coverage_pct; /* clustered / points * 100: the log line's "coverage" (0 if empty) */
  double span_s;       /* the window's span, s */
  double window_rate;  /* points / span_s, req/s */
  double current_rate; /* the newest record of this step: total / interval; 0 if none */
  double total_rate;   /* max(window_rate, current_rate): the rate the ILP sizes for */
  double in_grid_frac; /* share of total_rate whose centres are in range (0: no grid) */
  const opt_cluster *clusters; /* in order of first member in the window */
  size_t n_clusters;
  const opt_bucket_rate *buckets; /* distinct buckets with centres, row-major order */
  size_t n_buckets;
  const double *grid_rates; /* [n_out * n_in] row-major bucket rates; NULL without grid */
  size_t n_grid;            /* n_out * n_in, 0 without a grid */
} opt_monitor_out;

typedef struct opt_monitor opt_monitor;

/* eps 0.5, min_pts 10, window 240 s, 4 sub-windows (ModelMonitor's defaults). */
opt_monitor_config opt_monitor_config_default(void);
opt_monitor *opt_monitor_new(const opt_monitor_config *cfg, opt_err *err);
void opt_monitor_free(opt_monitor *m);
/* One loop of the monitor at now_us (not before the previous step): rotate the window, add the
 * records read in this step (oldest first: the first step may bring the whole history, later
 * ones the key opt_trace_due_key names, or none), cluster, map the centres onto the grid (may
 * be NULL: no buckets) and fill *out. The first step starts the first sub-window. */
bool opt_monitor_step(opt_monitor *m, int64_t now_us, const opt_trace *traces, size_t n_traces,
                      const opt_grid *grid, opt_monitor_out *out, opt_err *err);

#endif
