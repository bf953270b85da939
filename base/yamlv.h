/*
 * yamlv: a YAML file read into cJSON trees, one per document, so that the loaders that read JSON
 * with jsonv.h read YAML (Kubernetes manifests) unchanged, and their messages give the line.
 *
 * Parsing is libyaml's (its event API); this module builds the trees and types the scalars as
 * YAML 1.2's core schema does, which for a manifest is what Kubernetes' reader
 * (sigs.k8s.io/yaml) gives:
 *  - a quoted scalar ('0.5', "100") or one tagged !!str is a string;
 *  - a plain scalar is null (empty, ~, null), a boolean (true, false; also True, TRUE, ...), an
 *    integer (decimal, 0x hex, 0o octal), a float (1.5, 1e3, .inf, .nan), or else a string
 *    (30s, 3m, gpu_cache_usage_perc). YAML 1.1's yes/no/on/off and 0777 stay strings (YAML 1.2
 *    reads them so; Kubernetes' YAML 1.1 reader takes them as booleans and octal: quote them).
 * A number is a double (cJSON's); integers beyond 2^53 lose precision.
 *
 * A file holds one or more documents (separated by ---); an empty document is skipped. A key
 * is a scalar and names its value by its text; a key given twice in one mapping is an error.
 * Aliases (*name) are refused, so a tree holds what the file spells out and no more (no
 * "billion laughs"); anchors (&name) are allowed and ignored. The tags !!str, !!int, !!float,
 * !!bool, !!null, !!map and !!seq are read; any other tag is refused. Limits: YV_MAX_DEPTH
 * nested collections, YV_MAX_NODES values per file (and ps_read_text's size limit).
 *
 * Places: every value keeps the line of its key (a mapping's member) or of its own start (a
 * document's root, a sequence's item). yv_doc_line takes a path in jsonv.h's form
 * ("spec.metricsSources[0].targetValue") and gives the line of that value, or of its nearest
 * ancestor in the document (a key that is missing: its mapping's line); it has the signature of
 * jv's line_of, so `jv v = {.file = path, .line_of = yv_doc_line, .line_ctx = doc}` reports
 * "FILE:LINE: PATH: ...".
 *
 * Errors: the first problem, as "FILE:LINE:COL: ..." (a syntax error with libyaml's problem and
 * context); nothing is kept on failure. Running out of memory is xalloc.h's.
 */
#ifndef PODSCALE_BASE_YAMLV_H
#define PODSCALE_BASE_YAMLV_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define YV_MAX_DEPTH 64     /* collections within collections */
#define YV_MAX_NODES 100000 /* values (scalars and collections) in one file */

typedef struct yv_mark {
  const cJSON *node; /* a value of some document */
  int32_t line;      /* its line, from 1 */
} yv_mark;

typedef struct yv_doc {
  cJSON *root;    /* the document's value (an object, for a manifest) */
  int32_t line;   /* line of its first value */
  yv_mark *marks; /* one per value of the document, in file order */
  size_t nmarks;
} yv_doc;

typedef struct yv_file {
  char *path;   /* as given to yv_load */
  yv_doc *docs; /* the non-empty documents, in file order */
  uint32_t ndocs;
} yv_file;

/* Read every document of the YAML file at `path`; false with a message naming the file, the line
 * and the column, and *out empty. Free with yv_free (harmless on an empty one). */
bool yv_load(const char *path, yv_file *out, ps_err *err);
void yv_free(yv_file *f);
/* The line of the value at `path` (jsonv.h's form) in document `doc` (a const yv_doc *), or of
 * its nearest ancestor there; 0 if the document has no line. */
long yv_doc_line(const void *doc, const char *path);

#endif
