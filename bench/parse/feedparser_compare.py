#!/usr/bin/python3
"""Parse speed of `feedpipe parse` against Debian's python3-feedparser on the same files.

Usage: bench/parse/feedparser_compare.py [--feedpipe build/feedpipe] [--runs 3] FILE...
Generate realistic feeds first with: build/bench/parse/parse_bench --write DIR

feedpipe is timed as a process (parse + JSON output, so its figure includes process start);
feedparser is timed in-process with feedparser.parse(bytes). Prints MB/s and the ratio.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

try:
    import feedparser  # Debian package python3-feedparser
except ImportError:
    sys.exit("python3-feedparser is not installed (apt-get install python3-feedparser); "
             "run this script with /usr/bin/python3")


def best_of(runs, fn):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feedpipe", default="build/feedpipe")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    print(f"{'file':40} {'MB':>8} {'feedpipe MB/s':>14} {'feedparser MB/s':>16} {'ratio':>8}")
    ratios = []
    for path in args.files:
        data = open(path, "rb").read()
        mb = len(data) / 1e6

        def run_feedpipe():
            subprocess.run([args.feedpipe, "parse", "--json", path], check=True,
                           stdout=subprocess.DEVNULL)

        def run_feedparser():
            feedparser.parse(data)

        ours = best_of(args.runs, run_feedpipe)
        theirs = best_of(1 if mb > 5 else args.runs, run_feedparser)
        ratio = theirs / ours
        ratios.append(ratio)
        print(f"{os.path.basename(path):40} {mb:8.2f} {mb / ours:14.1f} {mb / theirs:16.2f} {ratio:7.1f}x")
    print(f"median ratio feedpipe/feedparser: {statistics.median(ratios):.1f}x")


if __name__ == "__main__":
    main()
