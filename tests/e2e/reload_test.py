#!/usr/bin/env python3
"""End-to-end: SIGHUP reloads the feed list. Feeds added to the config file are polled and
published, removed ones stop being polled and their state is deleted from feed-state (a
tombstone), a feed in both keeps its state (nothing published twice); a config that does not validate is refused with the metric and a log line, and the
daemon goes on with the list it had."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, step  # noqa: E402
from feed_server import FeedServer  # noqa: E402


def extra_args(ap):
    ap.add_argument("--timeout", type=float, default=90)


def items_of(server, names):
    return {link: e for link, e in server.expected_items().items() if set(e["feeds"]) & set(names)}


def reload_metrics(daemon):
    m = daemon.metrics()
    return (harness.metric_sum(m, "feedpipe_config_last_reload_successful"),
            harness.metric_sum(m, "feedpipe_config_last_reload_success_timestamp_seconds"))


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    harness.require_broker(args.bootstrap)
    work = harness.WorkDir("reload", keep=args.keep)
    server = FeedServer(n_feeds=6, items_per_feed=3, seed=args.seed).start()
    names = sorted(server.feeds)
    first, second = names[:3], names[2:]           # names[2] is in both lists
    removed, added = names[:2], names[3:]

    prefix = harness.unique_prefix("reload")
    listen = "127.0.0.1:%d" % harness.free_port()
    config = harness.base_config(args, prefix, listen, [server.feed_url(n) for n in first])
    # Pinned, so that "still polled" is seen within seconds: unchanged feeds otherwise drift
    # towards max_interval.
    config["fetch"]["max_interval"] = "1s"
    config_path = harness.write_config(work, config)
    daemon = harness.Daemon(args.feedpipe, config_path, work, listen)
    reader = harness.TopicReader(args.bootstrap, prefix + ".entries")
    try:
        step("the first list: %s" % first)
        daemon.start().wait_ready()
        harness.wait_for_items(reader, daemon, items_of(server, first), args.timeout,
                               "a record for every item of the first list")
        ok_before, stamp_before = reload_metrics(daemon)
        check(ok_before == 1, "feedpipe_config_last_reload_successful is 1 after start")

        step("SIGHUP with %s removed and %s added" % (removed, added))
        config["feeds"] = [server.feed_url(n) for n in second]
        harness.write_config(work, config)
        time.sleep(1.1)  # the success timestamp has second resolution
        daemon.reload()
        harness.wait_for(lambda: reload_metrics(daemon)[1] > stamp_before, args.timeout,
                         "the reload success timestamp to move")
        harness.wait_for_items(reader, daemon, items_of(server, second), args.timeout,
                               "a record for every item of the added feeds")
        server.reset_stats()
        harness.wait_for(lambda: all(server.stats()["feeds"][n]["requests"] >= 3 for n in second),
                         args.timeout, "3 polls of every listed feed",
                         seen=lambda: str({n: s["requests"] for n, s in server.stats()["feeds"].items()}))
        stats = server.stats()["feeds"]
        for n in removed:
            check(stats[n]["requests"] == 0, "removed feed %s is no longer polled" % n,
                  "%d requests after the reload" % stats[n]["requests"])
        state_reader = harness.TopicReader(args.bootstrap, prefix + ".feed-state")
        try:
            def last_states():
                state_reader.drain(quiet_seconds=1, max_seconds=10)
                return {r.key: r.raw for r in state_reader.records}

            removed_urls = [server.feed_url(n) for n in removed]
            harness.wait_for(lambda: all(last_states().get(u, b"") is None for u in removed_urls),
                             args.timeout, "tombstones for the removed feeds' states in feed-state")
            last = last_states()
            check(all(last.get(server.feed_url(n)) for n in second),
                  "the listed feeds keep their state in feed-state",
                  str({n: last.get(server.feed_url(n)) is not None for n in second}))
        finally:
            state_reader.close()

        step("a config that does not validate is refused; the daemon keeps its list")
        with open(config_path, "w") as f:
            f.write("kafka: {bootstrap_servers: %s}\nfeeds: [{url: ftp://example.org/x}]\nnot_a_key: 1\n"
                    % args.bootstrap)
        daemon.reload()
        harness.wait_for(lambda: reload_metrics(daemon)[0] == 0, args.timeout,
                         "feedpipe_config_last_reload_successful to drop to 0")
        server.reset_stats()
        harness.wait_for(lambda: all(server.stats()["feeds"][n]["requests"] >= 2 for n in second),
                         args.timeout, "the listed feeds polled on after the refused reload")
        status, _ = harness.http_get(daemon.url("/readyz"))
        check(status == 200, "still ready after a refused reload", "readyz %s" % status)
        with open(daemon.log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        check("configuration reload refused" in log and "not_a_key" in log,
              "the refusal is logged with the offending key")

        step("a new item in the feed kept across the reload is published once")
        link = server.add_items(names[2], 1)[0]
        harness.wait_for_items(reader, daemon, [link], args.timeout, "the new item's record")
        reader.drain(quiet_seconds=3)
        harness.check_exact_set(reader.records, items_of(server, names), "after two reloads")
        harness.stop_all([daemon])
    finally:
        harness.teardown(args, work, prefix, [daemon], reader, server)


if __name__ == "__main__":
    harness.run(main)
