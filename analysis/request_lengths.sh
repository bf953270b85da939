#!/usr/bin/env bash
# One output length per request of a measured set (docs/compare.md, "Measured-run format"):
#   analysis/request_lengths.sh SET_DIR [CAP] > lengths.csv
# Each policy's requests.csv holds the requests that run completed, with their batch (the line
# of the workload file) and output length. At temperature 0 a request generates the same tokens
# in every run, so each batch gets one length: the lower median over the runs that completed it.
# A batch below the largest one that no run completed failed under every policy; its length is
# unknown, and with CAP it is written as CAP (the client's max_tokens), marked "imputed": the
# requests that fail everywhere are the long ones that time out (docs/validation.md). Without
# CAP those batches are left out. Output: batch,output_tokens,source.
set -euo pipefail
set_dir=${1:?usage: request_lengths.sh SET_DIR [CAP]}
cap=${2:-}
files=("$set_dir"/*/requests.csv)
[ -e "${files[0]}" ] || { echo "request_lengths: no $set_dir/*/requests.csv" >&2; exit 2; }
awk -F, -v cap="$cap" '
  { sub(/\r$/, "") }
  FNR == 1 {
    b = o = 0
    for (i = 1; i <= NF; i++) { if ($i == "batch") b = i; if ($i == "output_tokens") o = i }
    if (!b || !o) { printf "%s:1: expected the columns batch and output_tokens\n", FILENAME > "/dev/stderr"; bad = 1; exit 2 }
    next
  }
  $b !~ /^[0-9]+$/ || $o !~ /^[0-9]+$/ {
    printf "%s:%d: expected a batch and an output length, found \"%s\"\n", FILENAME, FNR, $0 > "/dev/stderr"; bad = 1; exit 2
  }
  { k = $b + 0; n[k]++; v[k, n[k]] = $o + 0; if (k > last) last = k }
  END {
    if (bad) exit 2
    print "batch,output_tokens,source"
    for (k = 0; k <= last; k++) {
      if (!(k in n)) { if (cap != "") print k "," cap ",imputed"; continue }
      m = n[k]
      for (i = 2; i <= m; i++) for (j = i; j > 1 && v[k, j - 1] > v[k, j]; j--) { t = v[k, j]; v[k, j] = v[k, j - 1]; v[k, j - 1] = t }
      print k "," v[k, int((m + 1) / 2)] ",measured"
    }
  }' "${files[@]}"
