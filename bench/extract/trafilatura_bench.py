#!/usr/bin/env python3
"""Pages per second of trafilatura.extract over every *.html under the given folders, one
thread, pages read into memory first (the same protocol as bench_extract)."""
import pathlib
import sys
import time

import trafilatura


def main() -> int:
    rounds = 1
    dirs = []
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--rounds":
            rounds = int(args.pop(0))
        else:
            dirs.append(a)
    paths = sorted(p for d in dirs for p in pathlib.Path(d).rglob("*.html"))
    pages = [p.read_bytes() for p in paths]
    if not pages:
        print("trafilatura_bench: no *.html pages found", file=sys.stderr)
        return 1
    start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in range(rounds):
        for page in pages:
            trafilatura.extract(page)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    n = len(pages) * rounds
    size = sum(len(p) for p in pages) * rounds
    print(f"trafilatura pages={n} bytes={size} seconds={seconds:.3f} "
          f"pages_per_s={n / seconds:.1f} mb_per_s={size / seconds / 1e6:.1f} "
          f"cpu_seconds={cpu_seconds:.3f} pages_per_cpu_s={n / cpu_seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
