#!/usr/bin/env python3
"""End-to-end: 50 local feeds -> `feedpipe run` -> <prefix>.entries, read as a downstream
read_committed consumer would.

Checks, in order:
  1. every distinct item gets exactly one record; records match the JSON Schema and carry
     CloudEvents headers; the Kafka key is the record id; titles survive their charset;
  2. new items (some shared between feeds under different guids, with tracking parameters on
     one link) arrive; SIGTERM exits 0 within the grace period; after a restart still exactly
     one record per item, none missing;
  3. SIGKILL at a random moment, restart: none missing; duplicates counted and, with
     --expect-exactly-once (default), required to be 0.
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, step  # noqa: E402
from feed_server import FeedServer  # noqa: E402

N_FEEDS = 50
GRACE_SECONDS = 10


def extra_args(ap):
    ap.add_argument("--expect-exactly-once", dest="exactly_once", action="store_true",
                    default=True, help="fail when the SIGKILL restart duplicates records (default)")
    ap.add_argument("--no-expect-exactly-once", dest="exactly_once", action="store_false",
                    help="only report duplicates after SIGKILL")
    ap.add_argument("--feeds", type=int, default=N_FEEDS)
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for records")


def duplicates(reader):
    """{url: n records} for items with more than one record."""
    return {u: len(rs) for u, rs in harness.count_by_url(reader.records).items() if len(rs) > 1}


def check_exactly_once(reader, server, what):
    expected = server.expected_items()
    by_url = harness.count_by_url(reader.records)
    missing = sorted(set(expected) - set(by_url))
    unexpected = sorted(u for u in by_url if u not in expected)
    dups = duplicates(reader)
    check(not missing, "%s: every one of %d items has a record" % (what, len(expected)),
          "%d missing, e.g. %s" % (len(missing), missing[:5]))
    check(not unexpected, "%s: no record for an item the feeds never had" % what,
          "%d unexpected urls, e.g. %s" % (len(unexpected), unexpected[:5]))
    detail = ", ".join("%s x%d (revisions %s)" % (u, n, [r.value.get("revision") for r in by_url[u]])
                       for u, n in list(dups.items())[:5])
    check(not dups, "%s: exactly one record per item (%d records, %d items)"
          % (what, len(reader.records), len(expected)),
          "%d items with several records: %s" % (len(dups), detail))


def check_record_contents(reader, server, feed_urls):
    expected = server.expected_items()
    wrong_key, wrong_title, wrong_schema = [], [], []
    for r in reader.records:
        v = r.value or {}
        url = harness.record_url(r)
        if v.get("schema") != "feedpipe.entry/1":
            wrong_schema.append("%s: schema=%r" % (url, v.get("schema")))
        if r.key != v.get("id"):
            wrong_key.append("%s: key %r, id %r" % (url, r.key, v.get("id")))
        want = expected.get(url, {}).get("title")
        if want is not None and v.get("title") != want:
            wrong_title.append("%s: %r, want %r" % (url, v.get("title"), want))
    check(not wrong_schema, "every record says schema feedpipe.entry/1", "; ".join(wrong_schema[:3]))
    check(not wrong_key, "the Kafka key of every record is its id", "; ".join(wrong_key[:3]))
    check(not wrong_title, "titles (incl. windows-1251 feeds) arrive as the feeds wrote them",
          "%d differ, e.g. %s" % (len(wrong_title), "; ".join(wrong_title[:3])))


def add_new_items(server, rng, n_feeds, n_shared):
    names = sorted(server.feeds)
    # Shared stories only between feeds that have a guid/id of their own (not RSS 1.0).
    guid_feeds = [n for n in names if server.feeds[n].format != "rss10"]
    for name in rng.sample(names, n_feeds):
        server.add_items(name, rng.randint(1, 2))
    links = [server.share(rng.sample(guid_feeds, 2)) for _ in range(n_shared)]
    return links


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    rng = random.Random(args.seed)
    harness.require_broker(args.bootstrap)
    validator = harness.load_schema(args.source_dir, "feedpipe.entry.v1.json")

    work = harness.WorkDir("pipeline", keep=args.keep)
    server = FeedServer(n_feeds=args.feeds, items_per_feed=3, seed=args.seed).start()
    prefix = harness.unique_prefix("pipeline")
    listen = "127.0.0.1:%d" % harness.free_port()
    # A few stories are shared from the start, so the first poll already deduplicates.
    guid_feeds = [n for n in sorted(server.feeds) if server.feeds[n].format != "rss10"]
    for _ in range(5):
        server.share(rng.sample(guid_feeds, 2))
    config = harness.base_config(args, prefix, listen, server.feed_urls(), interval="1s")
    config["shutdown_grace"] = "%ds" % GRACE_SECONDS
    config_path = harness.write_config(work, config)
    print("feed server %s, %d feeds, %d items; topic prefix %s; config %s"
          % (server.base_url, args.feeds, len(server.expected_items()), prefix, config_path))

    daemon = harness.Daemon(args.feedpipe, config_path, work, listen)
    reader = harness.TopicReader(args.bootstrap, prefix + ".entries")
    try:
        step("1. first start: every item once")
        daemon.start().wait_ready()
        harness.wait_for_items(reader, daemon, server.expected_items(), args.timeout,
                               "a record for every initial item")
        reader.drain(quiet_seconds=4)  # a few more polls: would-be duplicates show up now
        check_exactly_once(reader, server, "first run")
        harness.check_records_valid(validator, reader.records)
        harness.check_cloudevents(reader.records, server.feed_urls())
        check_record_contents(reader, server, server.feed_urls())
        totals = server.stats()["totals"]
        check(totals["if_none_match"] + totals["if_modified_since"] > 0,
              "the daemon polls conditionally (%d If-None-Match, %d If-Modified-Since, %d 304)"
              % (totals["if_none_match"], totals["if_modified_since"], totals["not_modified"]))
        check(totals["max_concurrent"] <= 1, "no feed is polled by two requests at once",
              "max concurrent per feed %d" % totals["max_concurrent"])

        step("2. new and shared items, SIGTERM, restart")
        shared = add_new_items(server, rng, n_feeds=10, n_shared=5)
        print("added items to 10 feeds and %d shared stories, e.g. %s" % (len(shared), shared[0]))
        time.sleep(rng.uniform(0.5, 3.0))  # some land before the stop, some after the restart
        code, took = daemon.stop(timeout=GRACE_SECONDS + 5)
        check(code == 0, "SIGTERM: exit code 0 after %.1fs (grace %ds)" % (took, GRACE_SECONDS),
              "exit code %s; log:\n%s" % (code, daemon.log_tail()))
        daemon.start().wait_ready()
        harness.wait_for_items(reader, daemon, server.expected_items(), args.timeout,
                               "a record for every item after the SIGTERM restart")
        reader.drain(quiet_seconds=4)
        check_exactly_once(reader, server, "after SIGTERM restart")
        harness.check_records_valid(validator, reader.records)

        step("3. SIGKILL at a random moment, restart")
        add_new_items(server, rng, n_feeds=15, n_shared=5)
        pause = rng.uniform(0.2, 4.0)
        time.sleep(pause)
        daemon.kill()
        print("SIGKILL after %.2fs" % pause)
        daemon.start().wait_ready()
        harness.wait_for_items(reader, daemon, server.expected_items(), args.timeout,
                               "a record for every item after the SIGKILL restart")
        reader.drain(quiet_seconds=5)
        expected = server.expected_items()
        by_url = harness.count_by_url(reader.records)
        missing = sorted(set(expected) - set(by_url))
        check(not missing, "after SIGKILL: no item missing (%d items)" % len(expected),
              "missing %s" % missing[:5])
        dups = duplicates(reader)
        extra = sum(n - 1 for n in dups.values())
        print("duplicates after SIGKILL: %d extra records over %d items" % (extra, len(dups)))
        if args.exactly_once:
            check(extra == 0, "after SIGKILL: exactly one record per item",
                  "%d duplicate records, e.g. %s" % (extra, list(dups.items())[:5]))
        harness.check_records_valid(validator, reader.records)
        daemon.require_alive()
        harness.stop_all([daemon], timeout=GRACE_SECONDS + 5)
    finally:
        harness.teardown(args, work, prefix, [daemon], reader, server)


if __name__ == "__main__":
    harness.run(main)
