#!/usr/bin/env python3
"""End-to-end: broken feeds. Some feeds serve garbage bytes, truncated XML, an HTML page or
HTTP 500; the daemon keeps running, the other feeds still publish, the error metrics move,
and a feed that is fixed publishes its items."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, step  # noqa: E402
from feed_server import FeedServer  # noqa: E402

BREAKS = {"f001": "garbage", "f002": "truncated", "f003": "html", "f004": "status500"}


def extra_args(ap):
    ap.add_argument("--timeout", type=float, default=90)


def error_count(metrics):
    return (harness.metric_sum(metrics, "feedpipe_fetch_requests_total", result="error")
            + harness.metric_sum(metrics, "feedpipe_parse_errors_total"))


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    harness.require_broker(args.bootstrap)
    work = harness.WorkDir("broken", keep=args.keep)
    server = FeedServer(n_feeds=10, items_per_feed=3, seed=args.seed).start()
    for name, mode in BREAKS.items():
        server.break_feed(name, mode)
    prefix = harness.unique_prefix("broken")
    listen = "127.0.0.1:%d" % harness.free_port()
    config_path = harness.write_config(
        work, harness.base_config(args, prefix, listen, server.feed_urls(), interval="1s"))
    daemon = harness.Daemon(args.feedpipe, config_path, work, listen)
    reader = harness.TopicReader(args.bootstrap, prefix + ".entries")
    try:
        step("working feeds publish while %d feeds are broken" % len(BREAKS))
        daemon.start().wait_ready()
        first = daemon.metrics()
        working = server.expected_items()  # broken feeds' items are left out
        harness.wait_for_items(reader, daemon, working, args.timeout,
                               "records of the %d items of working feeds" % len(working))
        stats = server.stats()["feeds"]
        for name in BREAKS:
            check(stats[name]["requests"] >= 1, "%s (%s) was polled %d times"
                  % (name, BREAKS[name], stats[name]["requests"]))

        step("the error metric moves")
        last = {}

        def errors_moved():
            daemon.require_alive()
            last["m"] = daemon.metrics()
            return error_count(last["m"]) > error_count(first)

        harness.wait_for(errors_moved, 30,
                         "feedpipe_fetch_requests_total{result=\"error\"} + "
                         "feedpipe_parse_errors_total to move",
                         seen=lambda: "errors %s -> %s; fetch results %s" % (
                             error_count(first), error_count(last.get("m", {})),
                             {dict(ls).get("result"): v for (n, ls), v in last.get("m", {}).items()
                              if n == "feedpipe_fetch_requests_total"}),
                         interval=1)
        m = last["m"]
        print("fetch errors %s, parse errors %s, bozo documents %s" % (
            harness.metric_sum(m, "feedpipe_fetch_requests_total", result="error"),
            harness.metric_sum(m, "feedpipe_parse_errors_total"),
            harness.metric_sum(m, "feedpipe_feed_documents_bozo_total")))
        check(error_count(m) > 0, "error metrics count the broken feeds (%s)" % error_count(m))
        status, _ = harness.http_get(daemon.url("/livez"))
        check(status == 200, "/livez still answers 200", "status %s" % status)
        daemon.require_alive()

        step("a fixed feed publishes its items")
        server.fix_feed("f001")
        server.fix_feed("f004")
        fixed = {u: e for u, e in server.expected_items().items()
                 if set(e["feeds"]) & {"f001", "f004"}}
        harness.wait_for_items(reader, daemon, fixed, args.timeout,
                               "records of the items of the fixed feeds f001, f004")
        reader.drain(quiet_seconds=3)
        dups = {u: len(rs) for u, rs in harness.count_by_url(reader.records).items() if len(rs) > 1}
        check(not dups, "no item published twice", str(list(dups.items())[:5]))
        harness.stop_all([daemon])
    finally:
        harness.teardown(args, work, prefix, [daemon], reader, server)


if __name__ == "__main__":
    harness.run(main)
