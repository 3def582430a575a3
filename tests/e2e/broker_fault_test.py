#!/usr/bin/env python3
"""End-to-end broker faults: the replicas keep running while Kafka fails under them, and a
read_committed consumer of <prefix>.entries must still find exactly one record per item.

  (a) single broker: a broker of this test's own (scripts/kafka-local on --single-port, its
      own data directory; the shared KAFKA_BOOTSTRAP broker is never touched) is SIGKILLed
      mid-run and restarted;
  (b) 3-broker cluster: topics with replication factor 3 and min.insync.replicas 2; the broker
      leading most of the test's partitions is SIGKILLed, leadership must move, the replicas
      keep publishing, then the broker comes back.

The cluster of (b) is $KAFKA_CLUSTER_PORT's when that cluster runs (scripts/run-tests starts
one; the killed node is started again afterwards), else one started on --cluster-port and
wiped at the end.
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

REPLICAS = 2


def _port_of(bootstrap):
    try:
        return int(bootstrap.split(",")[0].rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return 9092


def extra_args(ap):
    ap.add_argument("--single-port", type=int, default=None,
                    help="client port of the broker (a) starts and kills "
                         "(default: $KAFKA_FAULT_PORT, else KAFKA_BOOTSTRAP's port + 50)")
    ap.add_argument("--cluster-port", type=int, default=None,
                    help="first client port of the 3-broker cluster of (b) (default: "
                         "$KAFKA_CLUSTER_PORT, else KAFKA_BOOTSTRAP's port + 100)")
    ap.add_argument("--only", choices=("single", "cluster"), default=None,
                    help="run one scenario only")
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--before", type=float, default=10, help="seconds of traffic before the fault")
    ap.add_argument("--down", type=float, default=10, help="seconds the broker stays down")
    ap.add_argument("--after", type=float, default=20,
                    help="seconds of new items after the broker is back")
    ap.add_argument("--settle-timeout", type=float, default=120)


class Scenario:
    """Feeds that keep gaining items, REPLICAS daemons on `bootstrap`, a reader."""

    def __init__(self, args, name, bootstrap, rng, replication_factor=1):
        self.args = args
        self.name = name
        self.bootstrap = bootstrap
        self.rng = rng
        self.work = harness.WorkDir("broker-fault-%s" % name, keep=args.keep)
        self.server = FeedServer(n_feeds=args.feeds, items_per_feed=2,
                                 seed=rng.randrange(1 << 30)).start()
        self.adder = harness.ItemAdder(self.server, random.Random(rng.random()), period=0.5,
                                       feeds_per_tick=3, share_every=3)
        for _ in range(5):
            self.server.share(rng.sample(self.adder.guid_feeds, 2))
        self.prefix = harness.unique_prefix("fault-%s" % name)
        config = harness.base_config(args, self.prefix, "127.0.0.1:0", self.server.feed_urls(),
                                     interval="1s")
        config["kafka"]["bootstrap_servers"] = bootstrap
        config["kafka"]["replication_factor"] = replication_factor
        config["kafka"]["partitions"] = 4
        self.replicas = harness.start_replicas(args, self.work, config, REPLICAS)
        self.reader = None
        self.unexpected_exits = []

    def start(self):
        for r in self.replicas:
            r.start()
        for r in self.replicas:
            r.wait_ready(timeout=90)
        self.reader = harness.TopicReader(self.bootstrap, self.prefix + ".entries")
        self.adder.start()

    def run_for(self, seconds, what):
        """Reads and watches the replicas for `seconds` while items keep coming."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.reader.poll(0.5)
            self.watch()
        print("%s: %.0fs, %d items so far, %d records read"
              % (what, seconds, len(self.server.expected_items()), len(self.reader.records)),
              flush=True)

    def watch(self):
        for r in self.replicas:
            if not r.alive():
                self.unexpected_exits.append(
                    "%s exited with %s; log %s:\n%s"
                    % (r.name, r.proc.returncode, r.log_path, r.log_tail(20)))
                print("UNEXPECTED: replica %s exited with %s (log %s); restarting"
                      % (r.name, r.proc.returncode, r.log_path), flush=True)
                r.start(quiet=True)

    def finish(self):
        """Stops adding items, waits for every record, checks the exact set."""
        self.adder.stop()
        expected = self.server.expected_items()

        def done():
            self.watch()
            self.reader.poll(0.5)
            return not (set(expected) - {harness.record_url(x) for x in self.reader.records})

        def seen():
            have = {harness.record_url(x) for x in self.reader.records}
            missing = sorted(set(expected) - have)
            return "%d of %d items have records; missing e.g. %s; replica logs: %s" % (
                len(expected) - len(missing), len(expected), missing[:5],
                [r.log_path for r in self.replicas])

        started = time.monotonic()
        harness.wait_for(done, self.args.settle_timeout, "a record for every item", seen=seen,
                         interval=0)
        self.reader.drain(quiet_seconds=8, max_seconds=60)
        print("every item arrived %.1fs after the last one was added"
              % (time.monotonic() - started), flush=True)
        result = harness.exact_set(self.reader.records, expected)
        print("REPORT %s %s" % (self.name, json.dumps({
            "items": result["items"], "records": result["records"],
            "duplicates": sum(n - 1 for n in result["duplicates"].values()),
            "missing": len(result["missing"]),
            "replica_restarts": len(self.unexpected_exits)})), flush=True)
        check(not self.unexpected_exits, "%s: the replicas kept running through the fault"
              % self.name, "%d exits:\n%s" % (len(self.unexpected_exits),
                                               "\n".join(self.unexpected_exits[:2])))
        harness.check_exact_set(self.reader.records, expected, self.name)
        for r in self.replicas:
            code, took = r.stop(timeout=25)
            check(code == 0, "%s: replica %s exits 0 on SIGTERM (%.1fs)" % (self.name, r.name, took),
                  "exit code %s; log:\n%s" % (code, r.log_tail()))

    def cleanup(self, delete_topics=True):
        self.adder.stop()
        for r in self.replicas:
            r.kill()
        if self.reader is not None:
            self.reader.close()
        self.server.stop()
        if delete_topics and not self.args.keep:
            harness.delete_topics(self.bootstrap, self.prefix)
        self.work.cleanup()


def single_broker(args, rng):
    step("(a) single broker SIGKILLed mid-run and restarted")
    port = args.single_port or int(os.environ.get("KAFKA_FAULT_PORT") or 0) \
        or _port_of(args.bootstrap) + 50
    kafka = harness.LocalKafka(args.source_dir, port, nodes=1)
    scenario = None
    try:
        kafka.start()
        harness.require_broker(kafka.bootstrap())
        scenario = Scenario(args, "single", kafka.bootstrap(), rng)
        scenario.start()
        scenario.run_for(args.before + rng.uniform(0, 3), "before the fault")
        kafka.kill()
        print("broker SIGKILLed", flush=True)
        scenario.run_for(args.down, "broker down")
        kafka.restart()
        scenario.run_for(args.after, "broker back")
        scenario.finish()
    finally:
        if scenario is not None:
            # The broker goes away with its data: deleting topics first would only wait.
            scenario.cleanup(delete_topics=False)
        kafka.stop()


def cluster_leader_kill(args, rng):
    step("(b) 3-broker cluster: the leader of the partitions SIGKILLed")
    env_port = int(os.environ.get("KAFKA_CLUSTER_PORT") or 0)
    port = args.cluster_port or env_port or _port_of(args.bootstrap) + 100
    kafka = harness.LocalKafka(args.source_dir, port, nodes=3)
    shared = kafka.running()
    if shared:
        print("using the running cluster at %s" % kafka.bootstrap(), flush=True)
    scenario = None
    killed = None
    try:
        if not shared:
            kafka.start()
        bootstrap = kafka.bootstrap()
        harness.require_broker(bootstrap)
        scenario = Scenario(args, "cluster", bootstrap, rng, replication_factor=3)
        topics = harness.create_topics(bootstrap, scenario.prefix, partitions=4,
                                       replication_factor=3, min_insync=2)
        configs = harness.topic_configs(bootstrap, scenario.prefix + ".entries")
        check(configs.get("min.insync.replicas") == "2",
              "topics have min.insync.replicas 2", "entries has %r"
              % configs.get("min.insync.replicas"))
        leaders = harness.partition_leaders(bootstrap, topics)
        check(all(len(rep) == 3 for _, rep, _ in leaders.values()) and len(leaders) == 24,
              "24 partitions, each with 3 replicas",
              "%s" % {k: v for k, v in list(leaders.items())[:6]})
        scenario.start()
        scenario.run_for(args.before + rng.uniform(0, 3), "before the fault")

        leaders = harness.partition_leaders(bootstrap, topics)
        count = {}
        for leader, _, _ in leaders.values():
            count[leader] = count.get(leader, 0) + 1
        killed = max(sorted(count), key=lambda b: count[b])
        print("partition leaders of the test's topics: %s; killing broker %d"
              % (", ".join("broker %d leads %d" % (b, n) for b, n in sorted(count.items())),
                 killed), flush=True)
        kafka.kill_node(kafka.node_of_broker_id(killed))
        moved_from = [k for k, (leader, _, _) in leaders.items() if leader == killed]

        survivors = ",".join("127.0.0.1:%d" % kafka.node_port(i) for i in (1, 2, 3)
                             if i != kafka.node_of_broker_id(killed))

        def moved():
            now = harness.partition_leaders(survivors, topics)
            return all(now.get(k, (killed,))[0] not in (killed, -1) for k in moved_from) and now

        now = harness.wait_for(moved, 60, "leadership to move off broker %d" % killed)
        check(True, "leadership of %d partitions moved to brokers %s"
              % (len(moved_from), sorted({now[k][0] for k in moved_from})))
        scenario.run_for(args.down, "broker %d down" % killed)
        kafka.start_node(kafka.node_of_broker_id(killed))
        killed = None
        scenario.run_for(args.after, "broker back")
        scenario.finish()
    finally:
        if scenario is not None:
            scenario.cleanup(delete_topics=shared)
        if killed is not None and shared:
            kafka.start_node(kafka.node_of_broker_id(killed))
        if not shared:
            kafka.stop()


def main():
    args = harness.parse_args(__doc__.split("\n")[0], extra_args)
    rng = random.Random(args.seed)
    if args.only in (None, "single"):
        single_broker(args, rng)
    if args.only in (None, "cluster"):
        cluster_leader_kill(args, rng)


if __name__ == "__main__":
    harness.run(main)
