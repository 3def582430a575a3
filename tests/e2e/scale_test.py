#!/usr/bin/env python3
"""End-to-end scaling: 1 -> 3 -> 2 replicas during one run, feeds gaining items throughout.

Each replica has its own User-Agent, so the feed server knows which replica polled a feed.
Between rebalances (once every live replica reports owned ingest partitions and together they
own all of them, stable for a few seconds), every feed must be polled by exactly one replica,
every live replica must poll some feeds, and no two polls of one feed may overlap. At the end
a read_committed consumer of <prefix>.entries must find exactly one record per item.

Scaling down is a SIGTERM: with static membership (kafka.instance_id) the group only hands the
stopped replica's partitions over after the session timeout, so that rebalance takes longer.
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

PARTITIONS = 6


def extra_args(ap):
    ap.add_argument("--feeds", type=int, default=120)
    ap.add_argument("--window", type=float, default=15,
                    help="seconds of steady state observed at each replica count")
    ap.add_argument("--settle-timeout", type=float, default=90,
                    help="seconds a rebalance may take (the scale-down waits for the session "
                         "timeout)")


def owned(replica):
    """Ingest partitions the replica reports owning; None when it does not answer."""
    status, body = harness.http_get(replica.url("/metrics"), timeout=1.0)
    if status != 200:
        return None
    return int(harness.metric_sum(harness.parse_metrics(body), "feedpipe_owned_partitions",
                                  role="ingest"))


def wait_settled(live, reader, timeout, what, stable_for=3.0):
    """Until every live replica owns some ingest partitions, together all PARTITIONS, and that
    held for `stable_for` seconds. Returns the time it first held."""
    state = {"since": None, "last": ""}

    def settled():
        for r in live:
            r.require_alive()
        reader.poll(0.3)
        counts = [owned(r) for r in live]
        state["last"] = ", ".join("%s owns %s" % (r.name, c) for r, c in zip(live, counts))
        ok = all(c for c in counts) and sum(counts) == PARTITIONS
        if not ok:
            state["since"] = None
            return False
        if state["since"] is None:
            state["since"] = time.monotonic()
        return time.monotonic() - state["since"] >= stable_for and state["since"]

    started = time.monotonic()
    since = harness.wait_for(settled, timeout, what, seen=lambda: state["last"], interval=0.2)
    print("%s: settled after %.1fs (%s)" % (what, since - started, state["last"]), flush=True)
    return since


def check_window(server, since, until, live, what):
    """Polls that started in [since, until): one replica per feed, every feed polled, every
    live replica polling, no overlapping polls of one feed."""
    names = {r.name for r in live}
    polls = server.polls(since, until)
    by_feed, per_replica, strangers = {}, {}, set()
    for feed, _, _, ua in polls:
        who = harness.replica_of_user_agent(ua)
        by_feed.setdefault(feed, set()).add(who)
        per_replica[who] = per_replica.get(who, 0) + 1
        if who not in names:
            strangers.add(who)
    shared = {f: sorted(w) for f, w in by_feed.items() if len(w) > 1}
    unpolled = sorted(set(server.feeds) - set(by_feed))
    overlaps = overlapping_polls(polls)
    feeds_of = {}
    for f, w in by_feed.items():
        if len(w) == 1:
            feeds_of[next(iter(w))] = feeds_of.get(next(iter(w)), 0) + 1
    print("%s: %.1fs window, %d polls; feeds per replica %s"
          % (what, until - since, len(polls), json.dumps(dict(sorted(feeds_of.items())))),
          flush=True)
    check(not strangers, "%s: only live replicas (%s) poll" % (what, ", ".join(sorted(names))),
          "polls by %s" % sorted(strangers))
    check(not shared, "%s: each feed polled by exactly one replica" % what,
          "%d feeds polled by several, e.g. %s" % (len(shared), list(shared.items())[:5]))
    check(not unpolled, "%s: every one of %d feeds polled" % (what, len(server.feeds)),
          "%d never polled, e.g. %s" % (len(unpolled), unpolled[:5]))
    idle = sorted(names - set(feeds_of))
    check(not idle, "%s: every live replica polls feeds" % what, "idle: %s" % idle)
    check(not overlaps, "%s: no two polls of one feed overlap" % what,
          "%d overlaps, e.g. %s" % (len(overlaps), overlaps[:3]))
    return {"polls": len(polls), "feeds_per_replica": feeds_of}


def overlapping_polls(polls):
    by_feed = {}
    for feed, start, end, ua in polls:
        by_feed.setdefault(feed, []).append((start, end, harness.replica_of_user_agent(ua)))
    out = []
    for feed, ps in by_feed.items():
        ps.sort()
        for (s1, e1, w1), (s2, e2, w2) in zip(ps, ps[1:]):
            if s2 < e1:
                out.append("%s: %s and %s" % (feed, w1, w2))
    return out


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    rng = random.Random(args.seed)
    harness.require_broker(args.bootstrap)

    work = harness.WorkDir("scale", keep=args.keep)
    server = FeedServer(n_feeds=args.feeds, items_per_feed=2, seed=args.seed).start()
    adder = harness.ItemAdder(server, random.Random(rng.random()), period=0.5, feeds_per_tick=3,
                              share_every=4)
    prefix = harness.unique_prefix("scale")
    config = harness.base_config(args, prefix, "127.0.0.1:0", server.feed_urls(), interval="1s")
    config["kafka"]["partitions"] = PARTITIONS
    # Every feed is due at least every 2s whatever its rhythm, so a window sees each one.
    config["fetch"]["max_interval"] = "2s"
    replicas = harness.start_replicas(args, work, config, 3)
    r0, r1, r2 = replicas
    reader = harness.TopicReader(args.bootstrap, prefix + ".entries")
    print("feed server %s, %d feeds; topic prefix %s; %d partitions"
          % (server.base_url, args.feeds, prefix, PARTITIONS), flush=True)
    windows = {}
    try:
        step("1. one replica")
        r0.start().wait_ready()
        adder.start()
        since = wait_settled([r0], reader, args.settle_timeout, "1 replica") + 1.0
        time.sleep(args.window)
        windows["1 replica"] = check_window(server, since, time.monotonic(), [r0], "1 replica")

        step("2. scale up to three replicas")
        scaled = time.monotonic()
        r1.start()
        r2.start()
        r1.wait_ready()
        r2.wait_ready()
        since = wait_settled([r0, r1, r2], reader, args.settle_timeout, "3 replicas") + 1.0
        print("rebalance window: %.1fs" % (since - scaled), flush=True)
        time.sleep(args.window)
        windows["3 replicas"] = check_window(server, since, time.monotonic(), [r0, r1, r2],
                                             "3 replicas")

        step("3. scale down to two replicas (SIGTERM r2)")
        scaled = time.monotonic()
        code, took = r2.stop(timeout=25)
        check(code == 0, "r2 exits 0 on SIGTERM (%.1fs)" % took, "exit code %s" % code)
        since = wait_settled([r0, r1], reader, args.settle_timeout, "2 replicas") + 1.0
        print("rebalance window: %.1fs" % (since - scaled), flush=True)
        time.sleep(args.window)
        windows["2 replicas"] = check_window(server, since, time.monotonic(), [r0, r1],
                                             "2 replicas")

        step("4. no more items: exactly one record per item")
        adder.stop()
        expected = server.expected_items()

        def done():
            r0.require_alive()
            r1.require_alive()
            reader.poll(0.5)
            return not (set(expected) - {harness.record_url(x) for x in reader.records})

        harness.wait_for(done, args.settle_timeout, "a record for every item", interval=0,
                         seen=lambda: "%d records" % len(reader.records))
        reader.drain(quiet_seconds=6, max_seconds=60)
        all_overlaps = overlapping_polls(server.polls())
        print("polls overlapping at any time, rebalances included: %d%s"
              % (len(all_overlaps), (" e.g. %s" % all_overlaps[:3]) if all_overlaps else ""))
        result = harness.exact_set(reader.records, expected)
        print("REPORT %s" % json.dumps({
            "items": result["items"], "records": result["records"],
            "duplicates": sum(n - 1 for n in result["duplicates"].values()),
            "missing": len(result["missing"]), "windows": windows,
            "overlaps_including_rebalances": len(all_overlaps)}), flush=True)
        harness.check_exact_set(reader.records, expected, "after 1 -> 3 -> 2 replicas")
        harness.stop_all([r0, r1], timeout=25)
    finally:
        harness.teardown(args, work, prefix, replicas, reader, server, stoppers=[adder])


if __name__ == "__main__":
    harness.run(main)
