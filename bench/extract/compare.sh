#!/bin/sh
# Runs bench_extract and trafilatura on the same pages in one run and prints the speed ratio.
#
#   bench/extract/compare.sh BUILD_DIR PAGE_DIR...
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
ours=$("$build/bench/bench_extract" --rounds 3 "$@")
theirs=$("$venv/bin/python" "$here/trafilatura_bench.py" "$@")
echo "$ours"
echo "$theirs"
ratio() {
  printf '%s\n%s\n' "$ours" "$theirs" | awk -v key="$1" '
    { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { split($i, kv, "="); r[NR] = kv[2] } }
    END { printf "%.1f", r[1] / r[2] }'
}
# Per CPU second is pages per second per core, and holds on a busy machine; wall-clock pages/s
# only when nothing else runs.
echo "ratio feedpipe/trafilatura pages_per_cpu_s: $(ratio pages_per_cpu_s)x"
echo "ratio feedpipe/trafilatura pages_per_s (wall clock): $(ratio pages_per_s)x"
