#!/usr/bin/env python3
"""End-to-end: conditional GET. Feeds offer ETag only, Last-Modified only, or both; after
the first fetch the daemon must send the validators back (If-None-Match /
If-Modified-Since), the server answers 304, and no new records appear while nothing changed.
A change then produces a 200 and exactly the new record."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, step  # noqa: E402
from feed_server import FeedServer  # noqa: E402

POLLS = 4  # polls of each feed to watch after the first records


def extra_args(ap):
    ap.add_argument("--timeout", type=float, default=90)


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    harness.require_broker(args.bootstrap)
    work = harness.WorkDir("conditional", keep=args.keep)
    server = FeedServer(n_feeds=8, items_per_feed=3, seed=args.seed).start()
    by_validators = {}
    for name, feed in server.feeds.items():
        by_validators.setdefault(feed.validators, []).append(name)
    print("feeds by validators offered: %s" % by_validators)
    for kind in ("both", "etag", "last_modified"):
        if kind not in by_validators:
            harness.fail("the feed server should offer %s validators on some feed" % kind)

    prefix = harness.unique_prefix("conditional")
    listen = "127.0.0.1:%d" % harness.free_port()
    config_path = harness.write_config(
        work, harness.base_config(args, prefix, listen, server.feed_urls(), interval="1s"))
    daemon = harness.Daemon(args.feedpipe, config_path, work, listen)
    reader = harness.TopicReader(args.bootstrap, prefix + ".entries")
    try:
        step("first fetches publish every item")
        daemon.start().wait_ready()
        harness.wait_for_items(reader, daemon, server.expected_items(), args.timeout,
                               "a record for every item")
        reader.drain(quiet_seconds=2)
        records_before = len(reader.records)
        metrics_before = daemon.metrics()

        step("unchanged feeds: validators sent, 304 answered, nothing published")
        server.reset_stats()

        def polled_enough():
            daemon.require_alive()
            feeds = server.stats()["feeds"]
            return all(s["requests"] >= POLLS for s in feeds.values())

        harness.wait_for(polled_enough, args.timeout, "%d polls of every feed" % POLLS,
                         seen=lambda: str({n: s["requests"] for n, s in
                                           server.stats()["feeds"].items()}))
        reader.drain(quiet_seconds=3)
        stats = server.stats()["feeds"]
        for name, s in sorted(stats.items()):
            kind = server.feeds[name].validators
            sent = {"both": s["conditional"],
                    "etag": s["if_none_match"],
                    "last_modified": s["if_modified_since"]}[kind]
            check(sent == s["requests"],
                  "%s (%s): every one of %d polls sent its validator" % (name, kind, s["requests"]),
                  "If-None-Match %d, If-Modified-Since %d of %d requests"
                  % (s["if_none_match"], s["if_modified_since"], s["requests"]))
            check(s["not_modified"] == s["requests"],
                  "%s: every poll was answered 304" % name,
                  "statuses %s" % s["status"])
        check(len(reader.records) == records_before,
              "no new records while nothing changed (%d records)" % records_before,
              "%d new records" % (len(reader.records) - records_before))
        metrics_after = daemon.metrics()
        nm_before = harness.metric_sum(metrics_before, "feedpipe_fetch_requests_total",
                                       result="not_modified")
        nm_after = harness.metric_sum(metrics_after, "feedpipe_fetch_requests_total",
                                      result="not_modified")
        served_304 = sum(s["not_modified"] for s in stats.values())
        check(nm_after - nm_before >= served_304,
              "feedpipe_fetch_requests_total{result=\"not_modified\"} moved by %d (server sent %d)"
              % (nm_after - nm_before, served_304),
              "metric moved %s -> %s" % (nm_before, nm_after))

        step("a change is fetched in full and published once")
        name = by_validators["last_modified"][0]
        link = server.add_items(name, 1)[0]
        harness.wait_for_items(reader, daemon, [link], args.timeout,
                               "the record of the new item in %s" % name)
        reader.drain(quiet_seconds=3)
        check(len(reader.records) == records_before + 1,
              "exactly one new record after one new item",
              "%d new records" % (len(reader.records) - records_before))
        check(server.stats()["feeds"][name]["status"].get("200", 0) >= 1,
              "%s answered 200 after its change" % name)
        harness.stop_all([daemon])
    finally:
        harness.teardown(args, work, prefix, [daemon], reader, server)


if __name__ == "__main__":
    harness.run(main)
