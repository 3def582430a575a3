#!/bin/sh
# Runs bench_extract and trafilatura on the same pages in one run and prints the speed ratio.
#
#   [PAIRS=3] bench/extract/compare.sh BUILD_DIR PAGE_DIR...
#
# trafilatura is installed into a virtualenv under ${FEEDPIPE_BENCH_VENV:-.cache/bench-venv}
# on first use (never into the system Python).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR PAGE_DIR..." >&2
  exit 2
fi
build=$1
shift
for d in "$@"; do
  if [ ! -d "$d" ]; then
    echo "compare.sh: skipping, page folder $d is absent" >&2
    exit 0
  fi
done
here=$(cd "$(dirname "$0")" && pwd)
venv=${FEEDPIPE_BENCH_VENV:-.cache/bench-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet trafilatura lxml_html_clean
fi
# The machine is shared: the two run in turn, PAIRS times, and each pair gives one ratio;
# the median of those is the figure to quote (the range says how noisy the run was).
pairs=${PAIRS:-3}
field() { printf '%s\n' "$1" | awk -v key="$2" '
  { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { split($i, kv, "="); print kv[2] } }'; }
cpu_ratios=""
wall_ratios=""
n=0
while [ "$n" -lt "$pairs" ]; do
  ours=$("$build/bench/bench_extract" --rounds 3 "$@")
  theirs=$("$venv/bin/python" "$here/trafilatura_bench.py" "$@")
  echo "$ours"
  echo "$theirs"
  cpu_ratios="$cpu_ratios $(awk -v a="$(field "$ours" pages_per_cpu_s)" -v b="$(field "$theirs" pages_per_cpu_s)" 'BEGIN { printf "%.2f", a / b }')"
  wall_ratios="$wall_ratios $(awk -v a="$(field "$ours" pages_per_s)" -v b="$(field "$theirs" pages_per_s)" 'BEGIN { printf "%.2f", a / b }')"
  n=$((n + 1))
done
summary() {
  printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
          printf "%.1fx (median of %d pairs; range %.1fx-%.1fx)", m, NR, v[1], v[NR] }'
}
# Per CPU second is pages per second per core, and holds on a busy machine; wall-clock pages/s
# only when nothing else runs.
echo "ratio feedpipe/trafilatura pages_per_cpu_s: $(summary "$cpu_ratios")"
echo "ratio feedpipe/trafilatura pages_per_s (wall clock): $(summary "$wall_ratios")"
