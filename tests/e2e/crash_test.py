#!/usr/bin/env python3
"""End-to-end crash test: 3 replicas (ingest + dedup) share 500 local feeds that keep gaining
items; one replica at a time is SIGKILLed at a random moment and restarted, for --duration
seconds. Then no more items are added, the replicas settle, and a read_committed consumer of
<prefix>.entries must find exactly one record per distinct item, none missing.

Some items are one story in two feeds under different guids, with tracking parameters on one
of the links: dedup must publish them once. Kills land at random moments, so some of them hit
a replica inside an open transaction (the report estimates how many).
"""

import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, step  # noqa: E402
from feed_server import FeedServer  # noqa: E402

REPLICAS = 3


def extra_args(ap):
    ap.add_argument("--duration", type=float, default=120,
                    help="seconds of killing and restarting replicas (default 120)")
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--kill-every", type=float, nargs=2, default=(2.0, 6.0), metavar=("MIN", "MAX"),
                    help="seconds between two kills, uniformly drawn (default 2 6)")
    ap.add_argument("--interval", default="2s", help="poll interval of every feed")
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--settle-timeout", type=float, default=150,
                    help="seconds to wait, after the last item was added, for every record")


def transaction_share(daemon):
    """Seconds spent inside transactions / seconds alive, from the replica's metrics: the
    chance that a kill at a random moment lands inside an open transaction. None when the
    replica does not answer (it may still be starting)."""
    status, body = harness.http_get(daemon.url("/metrics"), timeout=0.5)
    if status != 200:
        return None
    m = harness.parse_metrics(body)
    open_seconds = harness.metric_sum(m, "feedpipe_transaction_duration_seconds_sum")
    alive = time.monotonic() - daemon.started_at
    return min(1.0, open_seconds / alive) if alive > 0 else None


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    rng = random.Random(args.seed)
    harness.require_broker(args.bootstrap)

    work = harness.WorkDir("crash", keep=args.keep)
    server = FeedServer(n_feeds=args.feeds, items_per_feed=2, seed=args.seed).start()
    adder = harness.ItemAdder(server, random.Random(rng.random()), period=0.5, feeds_per_tick=6,
                              share_every=3)
    for _ in range(10):
        server.share(rng.sample(adder.guid_feeds, 2))
    prefix = harness.unique_prefix("crash")
    config = harness.base_config(args, prefix, "127.0.0.1:0", server.feed_urls(),
                                 interval=args.interval)
    config["kafka"]["partitions"] = args.partitions
    config["fetch"]["min_interval"] = "500ms"
    replicas = harness.start_replicas(args, work, config, REPLICAS)
    print("feed server %s, %d feeds, %d items; topic prefix %s; %d replicas"
          % (server.base_url, args.feeds, len(server.expected_items()), prefix, REPLICAS))

    reader = harness.TopicReader(args.bootstrap, prefix + ".entries")
    kills, shares, unexpected_exits = [], [], []
    started = time.monotonic()
    try:
        step("1. start %d replicas" % REPLICAS)
        for r in replicas:
            r.start()
            r.started_at = time.monotonic()
        for r in replicas:
            r.wait_ready(timeout=90)

        step("2. %.0fs of new items and SIGKILLs (one random replica every %.0f-%.0fs)"
             % (args.duration, args.kill_every[0], args.kill_every[1]))
        adder.start()
        chaos_started = time.monotonic()
        next_kill = chaos_started + rng.uniform(*args.kill_every)
        next_report = chaos_started + 15
        while time.monotonic() - chaos_started < args.duration:
            reader.poll(0.25)
            for r in replicas:
                if not r.alive():
                    # Nobody killed it: a crash of its own is a finding, not chaos.
                    unexpected_exits.append("%s exited with %s; log %s:\n%s"
                                            % (r.name, r.proc.returncode, r.log_path,
                                               r.log_tail(15)))
                    print("UNEXPECTED: replica %s exited with %s (log %s); restarting"
                          % (r.name, r.proc.returncode, r.log_path), flush=True)
                    r.start(quiet=True)
                    r.started_at = time.monotonic()
            now = time.monotonic()
            if now >= next_kill:
                victim = rng.choice(replicas)
                share = transaction_share(victim)
                if share is not None:
                    shares.append(share)
                victim.kill()
                kills.append((now - chaos_started, victim.name))
                time.sleep(rng.uniform(0, 1.0))  # sometimes the others notice, sometimes not
                victim.start(quiet=True)
                victim.started_at = time.monotonic()
                next_kill = time.monotonic() + rng.uniform(*args.kill_every)
            if now >= next_report:
                print("  t=%3.0fs: %d kills, %d items, %d records read"
                      % (now - chaos_started, len(kills), len(server.expected_items()),
                         len(reader.records)), flush=True)
                next_report = now + 15
        adder.stop()
        chaos_seconds = time.monotonic() - chaos_started
        print("chaos over after %.0fs: %d kills (%s)"
              % (chaos_seconds, len(kills),
                 ", ".join("%s@%.0fs" % (n, t) for t, n in kills[:40])
                 + (" ..." if len(kills) > 40 else "")), flush=True)
        if shares:
            mean = sum(shares) / len(shares)
            print("replicas spent on average %.0f%% of their time inside an open transaction: "
                  "about %.0f of the %d kills landed mid-transaction"
                  % (100 * mean, mean * len(kills), len(kills)), flush=True)

        step("3. no more items; the replicas settle")
        for r in replicas:
            r.wait_ready(timeout=90)
        expected = server.expected_items()

        def done():
            for r in replicas:
                r.require_alive()
            reader.poll(0.5)
            return not (set(expected) - {harness.record_url(x) for x in reader.records})

        def seen():
            have = {harness.record_url(x) for x in reader.records}
            missing = sorted(set(expected) - have)
            return "%d of %d items have records; missing e.g. %s" % (
                len(expected) - len(missing), len(expected), missing[:5])

        settle_started = time.monotonic()
        harness.wait_for(done, args.settle_timeout, "a record for every item", seen=seen,
                         interval=0)
        reader.drain(quiet_seconds=8, max_seconds=60)  # would-be duplicates show up now
        print("every item arrived %.1fs after the last one was added"
              % (time.monotonic() - settle_started))

        step("4. exactly one record per item")
        result = harness.exact_set(reader.records, expected)
        print("REPORT %s" % json.dumps({
            "items": result["items"], "records": result["records"],
            "duplicates": sum(n - 1 for n in result["duplicates"].values()),
            "missing": len(result["missing"]), "kills": len(kills),
            "restarts": sum(r.starts - 1 for r in replicas), "feeds": args.feeds,
            "chaos_seconds": round(chaos_seconds, 1),
            "elapsed_seconds": round(time.monotonic() - started, 1)}), flush=True)
        check(not unexpected_exits, "no replica exited without being killed",
              "%d exits:\n%s" % (len(unexpected_exits), "\n".join(unexpected_exits[:3])))
        check(len(kills) >= max(1, int(args.duration / args.kill_every[1]) - 1),
              "%d SIGKILLs over %.0fs" % (len(kills), chaos_seconds))
        harness.check_exact_set(reader.records, expected, "after %d SIGKILLs" % len(kills))
        harness.stop_all(replicas, timeout=25)
    finally:
        harness.teardown(args, work, prefix, replicas, reader, server, stoppers=[adder])


if __name__ == "__main__":
    harness.run(main)
