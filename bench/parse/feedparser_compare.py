#!/usr/bin/python3
"""Parse speed of feedpipe against Debian's python3-feedparser on the same files.

Usage: bench/parse/feedparser_compare.py [--feedpipe build/feedpipe]
           [--parse-bench build/bench/parse/parse_bench] [--runs 3] FILE...
Generate realistic feeds first with: build/bench/parse/parse_bench --write DIR

feedparser is timed in-process with feedparser.parse(bytes) (decoding, parsing, sanitising,
resolving links, dates). feedpipe is timed two ways:
  * in the same kind of run, in-process (`parse_bench --time`): parse_feed, which does what
    feedparser.parse does, and parse_feed + to_item for every entry (parse+normalise);
  * as a process, `feedpipe parse --json FILE`: start-up, file reading, parsing and the
    JSON output included, which is what a script calling feedpipe would see.
Prints MB/s and the ratios against feedparser, and the median of each ratio over the files.
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


def in_process_times(parse_bench, runs, paths):
    """{path: (parse seconds, parse+normalise seconds)} from `parse_bench --time`."""
    out = subprocess.run([parse_bench, "--time", str(runs), *paths], check=True,
                         capture_output=True, text=True).stdout
    times = {}
    for line in out.splitlines():
        path, parse, both = line.rsplit(" ", 2)
        times[path] = (float(parse), float(both))
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--feedpipe", default="build/feedpipe")
    ap.add_argument("--parse-bench", default="build/bench/parse/parse_bench")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    inproc = in_process_times(args.parse_bench, max(args.runs, 5), args.files)
    print(f"{'file':26} {'MB':>7} {'feedparser':>11} | {'parse':>8} {'ratio':>7} "
          f"{'parse+norm':>10} {'ratio':>7} | {'process':>8} {'ratio':>7}   (MB/s)")
    ratios = {"parse": [], "both": [], "process": []}
    for path in args.files:
        data = open(path, "rb").read()
        mb = len(data) / 1e6

        def run_feedpipe():
            subprocess.run([args.feedpipe, "parse", "--json", path], check=True,
                           stdout=subprocess.DEVNULL)

        def run_feedparser():
            feedparser.parse(data)

        process = best_of(args.runs, run_feedpipe)
        theirs = best_of(1 if mb > 5 else args.runs, run_feedparser)
        parse, both = inproc[path]
        row = {"parse": parse, "both": both, "process": process}
        for k, v in row.items():
            ratios[k].append(theirs / v)
        print(f"{os.path.basename(path):26} {mb:7.2f} {mb / theirs:11.2f} | "
              f"{mb / parse:8.1f} {theirs / parse:6.1f}x {mb / both:10.1f} {theirs / both:6.1f}x | "
              f"{mb / process:8.1f} {theirs / process:6.1f}x")
    print("median ratio against feedparser: "
          f"parse {statistics.median(ratios['parse']):.1f}x, "
          f"parse+normalise {statistics.median(ratios['both']):.1f}x, "
          f"process {statistics.median(ratios['process']):.1f}x")


if __name__ == "__main__":
    main()
