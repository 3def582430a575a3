"""Shared pieces of the end-to-end tests: arguments, the daemon as a subprocess, readiness,
Prometheus scraping, reading a topic the way a downstream consumer does, and bounded waits
that say what they expected and what they saw.

Run one test by hand (a broker first: KAFKA_PORT=29192 scripts/kafka-local start):
  KAFKA_BOOTSTRAP=127.0.0.1:29192 tests/e2e/pipeline_test.py \
      --feedpipe build/feedpipe --source-dir .  [--seed N] [--keep]
or all of them: KAFKA_BOOTSTRAP=... ctest --test-dir build -L e2e --output-on-failure

broker_fault_test.py also starts brokers of its own (scripts/kafka-local on --single-port) and
uses the 3-broker cluster at $KAFKA_CLUSTER_PORT when one runs there (scripts/run-tests starts
it), else starts one on --cluster-port.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid


def ensure_system_python():
    """confluent-kafka and jsonschema come from Debian packages; re-run under the system
    interpreter when the one on PATH (a virtualenv, pyenv) cannot import them."""
    try:
        import confluent_kafka  # noqa: F401
        import jsonschema  # noqa: F401
    except ImportError:
        system = "/usr/bin/python3"
        if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
            os.execv(system, [system] + sys.argv)
        raise


class TestFailure(Exception):
    pass


def fail(message):
    raise TestFailure(message)


def check(condition, what, detail=""):
    """Prints what is checked; raises with the detail when it does not hold."""
    if not condition:
        fail("%s%s" % (what, (": " + detail) if detail else ""))
    print("ok: %s" % what, flush=True)


def step(message):
    print("\n== %s" % message, flush=True)


def wait_for(predicate, timeout, what, seen=lambda: "", interval=0.25):
    """Polls `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = seen()
            fail("timed out after %.0fs waiting for %s%s" % (timeout, what,
                                                             ("; seen: " + detail) if detail else ""))
        time.sleep(interval)


def parse_args(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--feedpipe", required=True, help="path to the feedpipe binary")
    ap.add_argument("--source-dir", required=True, help="repository root (schemas/)")
    ap.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
                    help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP or 127.0.0.1:9092)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory and topics")
    ap.add_argument("--seed", type=int, default=None, help="random seed (printed when unset)")
    if extra:
        extra(ap)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    print("seed %d (rerun with --seed %d)" % (args.seed, args.seed), flush=True)
    random.seed(args.seed)
    return args


def run(main_fn):
    """Runs a test body; exit 0 on success, 1 with the failure printed otherwise."""
    ensure_system_python()
    try:
        main_fn()
    except TestFailure as e:
        print("\nFAIL: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
    print("\nPASS", flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_prefix(name):
    return "e2e-%s-%s" % (name, uuid.uuid4().hex[:10])


class WorkDir:
    def __init__(self, name, keep=False):
        self.path = tempfile.mkdtemp(prefix="feedpipe-%s-" % name)
        self.keep = keep

    def cleanup(self):
        if self.keep:
            print("work directory kept: %s" % self.path, flush=True)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def base_config(args, prefix, listen, feeds, interval="1s"):
    """A config for tests: short intervals, no per-host spacing (every feed is on one
    loopback host), small topics. JSON is YAML, so it is written as JSON."""
    return {
        "kafka": {"bootstrap_servers": args.bootstrap, "topic_prefix": prefix,
                  "partitions": 3, "replication_factor": 1, "group_id": prefix,
                  "transaction_timeout": "10s"},
        "fetch": {"user_agent": "feedpipe-e2e/1", "contact_url": "https://example.org/e2e",
                  "connect_timeout": "2s", "first_byte_timeout": "5s", "total_timeout": "10s",
                  "per_host_concurrency": 16, "per_host_min_spacing": "0ms",
                  "backoff_base": "1s", "backoff_max": "3s",
                  "min_interval": "500ms", "max_interval": "1h"},
        "roles": ["ingest", "dedup"],
        "http": {"listen": listen},
        "log": {"level": "info"},
        "shutdown_grace": "10s",
        "defaults": {"interval": interval},
        "feeds": list(feeds),
    }


def write_config(workdir, config, name="feedpipe.yaml"):
    path = os.path.join(workdir.path, name)
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


# ---- the daemon ---------------------------------------------------------------------------

class Daemon:
    """`feedpipe run --config FILE` as a child process; stderr (JSON logs) goes to a file."""

    def __init__(self, binary, config_path, workdir, listen, name=None):
        self.binary = binary
        self.config_path = config_path
        self.workdir = workdir
        self.listen = listen
        self.name = name      # replicas of one test: distinct log files, named in messages
        self.proc = None
        self.starts = 0
        self.log_path = None
        self.log_paths = []

    def start(self, quiet=False):
        self.starts += 1
        base = "feedpipe-%s" % self.name if self.name else "feedpipe"
        self.log_path = os.path.join(self.workdir.path, "%s-%d.log" % (base, self.starts))
        self.log_paths.append(self.log_path)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.binary, "run", "--config", self.config_path],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if not quiet:
            print("started feedpipe%s pid %d (log %s)"
                  % (" " + self.name if self.name else "", self.proc.pid, self.log_path),
                  flush=True)
        return self

    def url(self, path):
        return "http://%s%s" % (self.listen, path)

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def require_alive(self):
        if not self.alive():
            fail("feedpipe exited with code %s; last log lines:\n%s"
                 % (self.proc.returncode if self.proc else "?", self.log_tail()))

    def wait_ready(self, timeout=60):
        last = {"status": "no answer"}

        def ready():
            self.require_alive()
            status, body = http_get(self.url("/readyz"))
            last["status"] = "%s %s" % (status, body[:200])
            return status == 200

        wait_for(ready, timeout, "/readyz to answer 200 at %s" % self.listen,
                 seen=lambda: last["status"])
        print("feedpipe ready (%s)" % self.listen, flush=True)

    def stop(self, timeout):
        """SIGTERM; returns (exit code, seconds taken); kills and fails past `timeout`."""
        if not self.alive():
            fail("feedpipe was not running when asked to stop (exit %s); log:\n%s"
                 % (self.proc.returncode, self.log_tail()))
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("feedpipe did not exit within %.0fs of SIGTERM; log:\n%s"
                 % (timeout, self.log_tail()))
        return code, time.monotonic() - started

    def reload(self):
        """SIGHUP: the daemon reads its config file again."""
        self.require_alive()
        self.proc.send_signal(signal.SIGHUP)

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()

    def metrics(self):
        status, body = http_get(self.url("/metrics"))
        if status != 200:
            fail("/metrics answered %s" % status)
        return parse_metrics(body)


def stop_all(daemons, timeout=30):
    """SIGTERM each daemon in turn; each must exit 0 within `timeout`."""
    for d in daemons:
        code, took = d.stop(timeout=timeout)
        who = "feedpipe " + d.name if d.name else "feedpipe"
        check(code == 0, "%s: SIGTERM exits 0 (%.1fs)" % (who, took),
              "exit code %s; log:\n%s" % (code, d.log_tail()))


def teardown(args, work, prefix, daemons=(), reader=None, server=None, stoppers=()):
    """The end of every test, passed or failed: background helpers stopped, daemons killed,
    the reader closed, the feed server stopped, the topics deleted (unless --keep)."""
    for s in stoppers:
        s.stop()
    for d in daemons:
        d.kill()
    if reader is not None:
        reader.close()
    if server is not None:
        server.stop()
    if not args.keep:
        delete_topics(args.bootstrap, prefix)
    work.cleanup()


def http_get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        return None, str(e)


# ---- Prometheus text format ----------------------------------------------------------------

def parse_metrics(text):
    """{(name, frozenset(labels.items())): value} from the Prometheus text format."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            close = line.rindex("}")
            name, _, body = line[:close].partition("{")
            labels, rest = _parse_labels(body), line[close + 1:].split()
        else:
            name, *rest = line.split()
            labels = {}
        try:
            out[(name, frozenset(labels.items()))] = float(rest[0])
        except (IndexError, ValueError):
            continue
    return out


def _parse_labels(body):
    labels, i = {}, 0
    while i < len(body):
        eq = body.index("=", i)
        key = body[i:eq].strip().lstrip(",").strip()
        j = eq + 2  # past ="
        value = []
        while body[j] != '"':
            if body[j] == "\\":
                j += 1
                value.append({"n": "\n"}.get(body[j], body[j]))
            else:
                value.append(body[j])
            j += 1
        labels[key] = "".join(value)
        i = j + 1
        while i < len(body) and body[i] in ", ":
            i += 1
    return labels


def metric_sum(metrics, name, **labels):
    """Sum of every sample of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in metrics.items() if n == name and want <= set(ls))


def metric_names(metrics):
    return sorted({n for n, _ in metrics})


# ---- Kafka --------------------------------------------------------------------------------

def require_broker(bootstrap, timeout=10):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        admin.list_topics(timeout=timeout)
    except Exception as e:  # KafkaException: the message is what matters here
        fail("no Kafka broker answering at %s (%s); start one (scripts/kafka-local start) and set "
             "KAFKA_BOOTSTRAP" % (bootstrap, e))
    print("broker %s reachable" % bootstrap, flush=True)


def delete_topics(bootstrap, prefix):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix + ".")]
        if names:
            for f in admin.delete_topics(names, operation_timeout=10).values():
                f.result()
            print("deleted topics %s" % ", ".join(sorted(names)), flush=True)
    except Exception as e:
        print("could not delete topics of %s: %s" % (prefix, e), flush=True)


class Record:
    __slots__ = ("key", "value", "raw", "headers", "partition", "offset")

    def __init__(self, msg):
        self.key = msg.key().decode("utf-8", "replace") if msg.key() is not None else None
        self.raw = msg.value()
        try:
            self.value = json.loads(self.raw) if self.raw is not None else None
        except ValueError:
            self.value = None
        self.headers = {k: (v.decode("utf-8", "replace") if v is not None else None)
                        for k, v in (msg.headers() or [])}
        self.partition = msg.partition()
        self.offset = msg.offset()


class TopicReader:
    """Reads a topic from the beginning with isolation.level=read_committed, as a downstream
    consumer would, and keeps every record it has seen."""

    def __init__(self, bootstrap, topic):
        from confluent_kafka import Consumer
        self.topic = topic
        self.records = []
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": "e2e-reader-" + uuid.uuid4().hex[:8],
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
        })
        self.assigned = False

    def _assign(self):
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition
        md = self.consumer.list_topics(self.topic, timeout=5)
        t = md.topics.get(self.topic)
        if t is None or t.error is not None or not t.partitions:
            return False
        self.consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING)
                              for p in sorted(t.partitions)])
        self.assigned = True
        print("reading %s (%d partitions, read_committed)" % (self.topic, len(t.partitions)),
              flush=True)
        return True

    def poll(self, seconds=0.5):
        """Reads whatever arrives within `seconds`; returns the new records."""
        if not self.assigned and not self._assign():
            time.sleep(seconds)
            return []
        new = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            msg = self.consumer.poll(min(left, 0.2))
            if msg is None:
                continue
            if msg.error():
                # Partition EOF is off; anything else is worth showing but not fatal here.
                print("consumer: %s" % msg.error(), flush=True)
                continue
            new.append(Record(msg))
        self.records.extend(new)
        return new

    def drain(self, quiet_seconds=2.0, max_seconds=30.0):
        """Reads until nothing new arrived for `quiet_seconds`."""
        started = time.monotonic()
        quiet_since = time.monotonic()
        while time.monotonic() - started < max_seconds:
            if self.poll(0.5):
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_seconds:
                break

    def close(self):
        self.consumer.close()


def record_url(record):
    v = record.value or {}
    return v.get("url") or v.get("link")


def count_by_url(records):
    counts = {}
    for r in records:
        counts.setdefault(record_url(r), []).append(r)
    return counts


def wait_for_items(reader, daemon, expected, timeout, what):
    """Reads until every canonical link in `expected` has at least one record."""
    def missing():
        return sorted(set(expected) - {record_url(r) for r in reader.records})

    def done():
        if daemon is not None:
            daemon.require_alive()
        reader.poll(0.5)
        return not missing()

    def seen():
        m = missing()
        return "%d of %d items have records, %d records in all; missing e.g. %s" % (
            len(expected) - len(m), len(expected), len(reader.records), m[:5])

    wait_for(done, timeout, what, seen=seen, interval=0)


def load_schema(source_dir, name):
    path = os.path.join(source_dir, "schemas", name)
    if not os.path.exists(path):
        fail("JSON Schema %s is missing: records cannot be validated without it" % path)
    with open(path) as f:
        schema = json.load(f)
    import jsonschema
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def check_records_valid(validator, records, what="records"):
    bad = []
    for r in records:
        if r.value is None:
            bad.append("offset %d/%d: not JSON: %r" % (r.partition, r.offset, (r.raw or b"")[:80]))
            continue
        errors = sorted(validator.iter_errors(r.value), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            bad.append("%s: %s at /%s" % (record_url(r), e.message,
                                         "/".join(str(p) for p in e.path)))
    check(not bad, "%d %s valid against the schema" % (len(records), what),
          "%d invalid, e.g.\n  %s" % (len(bad), "\n  ".join(bad[:5])))


CE_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")


def check_cloudevents(records, feed_urls, ce_type="io.feedpipe.entry.v1"):
    feed_urls = set(feed_urls)
    bad = []
    for r in records:
        h = r.headers
        problems = [k for k in CE_REQUIRED if not h.get(k)]
        if h.get("ce_specversion") not in (None, "1.0"):
            problems.append("ce_specversion=%r" % h.get("ce_specversion"))
        if h.get("ce_type") and h["ce_type"] != ce_type:
            problems.append("ce_type=%r" % h["ce_type"])
        if h.get("ce_source") and h["ce_source"] not in feed_urls:
            problems.append("ce_source=%r is not a served feed" % h["ce_source"])
        if (h.get("content-type") or "").split(";")[0].strip() != "application/json":
            problems.append("content-type=%r" % h.get("content-type"))
        if problems:
            bad.append("%s: %s" % (record_url(r), ", ".join(problems)))
    check(not bad, "CloudEvents headers on %d records" % len(records),
          "%d records with problems, e.g.\n  %s" % (len(bad), "\n  ".join(bad[:5])))


# ---- several replicas, brokers the test owns, exact-set checks ------------------------------

def replica_config(config, index, listen):
    """A copy of `config` for replica `index`: its own static member id, listen address and
    User-Agent (so the feed server can tell which replica polled)."""
    c = json.loads(json.dumps(config))
    c["kafka"]["instance_id"] = "r%d" % index
    c["http"]["listen"] = listen
    c["fetch"]["user_agent"] = replica_user_agent(index)
    return c


def replica_user_agent(index):
    return "feedpipe-e2e-r%d/1" % index


def replica_of_user_agent(user_agent):
    """'feedpipe-e2e-r2/1 (+https://...)' -> 'r2'; None for other agents."""
    head = (user_agent or "").split("/")[0]
    return head[len("feedpipe-e2e-"):] if head.startswith("feedpipe-e2e-r") else None


def start_replicas(args, work, config, count, first_index=0):
    """`count` Daemons (names r<i>) with configs written from `config`; not started."""
    out = []
    for i in range(first_index, first_index + count):
        listen = "127.0.0.1:%d" % free_port()
        path = write_config(work, replica_config(config, i, listen), "feedpipe-r%d.yaml" % i)
        out.append(Daemon(args.feedpipe, path, work, listen, name="r%d" % i))
    return out


class LocalKafka:
    """A broker (or 3-node cluster) of the test's own, through scripts/kafka-local: for tests
    that kill brokers, which must not touch the broker other tests share."""

    def __init__(self, source_dir, port, nodes=1):
        self.script = os.path.join(source_dir, "scripts", "kafka-local")
        self.port = port
        self.nodes = nodes
        self.started = False

    def _run(self, *cmd, timeout=300):
        env = dict(os.environ, KAFKA_PORT=str(self.port), KAFKA_NODES=str(self.nodes))
        env.pop("KAFKA_CONTROLLER_PORT", None)
        started = time.monotonic()
        r = subprocess.run([self.script] + list(cmd), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        out = r.stdout.decode("utf-8", "replace").strip()
        if r.returncode != 0:
            fail("scripts/kafka-local %s (port %d) failed with %d:\n%s"
                 % (" ".join(cmd), self.port, r.returncode, out))
        print("kafka-local %s (port %d, %d node(s)): %.1fs"
              % (" ".join(cmd), self.port, self.nodes, time.monotonic() - started), flush=True)
        return out

    def bootstrap(self):
        return ",".join("127.0.0.1:%d" % self.node_port(i) for i in range(1, self.nodes + 1))

    def node_port(self, node):
        return self.port + 2 * (node - 1)

    def node_of_broker_id(self, broker_id):
        return broker_id  # kafka-local gives node i the broker id i

    def running(self):
        env = dict(os.environ, KAFKA_PORT=str(self.port))
        env.pop("KAFKA_CONTROLLER_PORT", None)
        env.pop("KAFKA_NODES", None)
        return subprocess.run([self.script, "status"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL).returncode == 0

    def start(self):
        # A fresh cluster every time: old topics and transactions from an earlier run would
        # only make the result harder to read.
        self._run("wipe")
        self.started = True
        self._run("start")
        return self

    def kill(self):
        self._run("kill")

    def restart(self):
        self._run("start")

    def kill_node(self, node):
        self._run("kill-node", str(node))

    def start_node(self, node):
        self._run("start-node", str(node))

    def stop(self):
        if self.started:
            self._run("stop")
            self._run("wipe")
            self.started = False


def create_topics(bootstrap, prefix, partitions, replication_factor, min_insync=None):
    """The daemon's six topics, created before it starts (the daemon leaves existing topics
    as they are), with a min.insync.replicas the daemon does not set itself."""
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = []
    for suffix in ("raw", "entries", "articles", "errors", "feed-state", "dedup-state"):
        config = {}
        if min_insync is not None:
            config["min.insync.replicas"] = str(min_insync)
        if suffix in ("feed-state", "dedup-state"):
            config["cleanup.policy"] = "compact"
        topics.append(NewTopic("%s.%s" % (prefix, suffix), num_partitions=partitions,
                               replication_factor=replication_factor, config=config))
    for name, f in admin.create_topics(topics, operation_timeout=30).items():
        try:
            f.result()
        except Exception as e:
            fail("creating topic %s: %s" % (name, e))
    print("created the topics of %s: %d partitions, replication %d, min.insync.replicas %s"
          % (prefix, partitions, replication_factor, min_insync), flush=True)
    return [t.topic for t in topics]


def topic_configs(bootstrap, topic):
    from confluent_kafka.admin import AdminClient, ConfigResource
    admin = AdminClient({"bootstrap.servers": bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = list(admin.describe_configs([res]).values())[0].result(timeout=10)
    return {k: v.value for k, v in entries.items()}


def partition_leaders(bootstrap, topics):
    """{(topic, partition): (leader broker id, replicas, isrs)} from metadata."""
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": bootstrap})
    md = admin.list_topics(timeout=10)
    out = {}
    for t in topics:
        tm = md.topics.get(t)
        if tm is None or tm.error is not None:
            continue
        for p, pm in tm.partitions.items():
            out[(t, p)] = (pm.leader, list(pm.replicas), list(pm.isrs))
    return out


def exact_set(records, expected):
    """Compares records (by canonical link) with the expected items: missing, unexpected,
    duplicated (url -> n)."""
    by_url = count_by_url(records)
    return {
        "items": len(expected),
        "records": len(records),
        "missing": sorted(set(expected) - set(by_url)),
        "unexpected": sorted(u for u in by_url if u not in expected),
        "duplicates": {u: len(rs) for u, rs in by_url.items() if len(rs) > 1},
    }


def check_exact_set(records, expected, what):
    """Exactly one record per expected item, none missing, nothing else; returns the counts."""
    r = exact_set(records, expected)
    extra = sum(n - 1 for n in r["duplicates"].values())
    print("%s: %d items, %d records, %d missing, %d unexpected, %d duplicate records over %d "
          "items" % (what, r["items"], r["records"], len(r["missing"]), len(r["unexpected"]),
                     extra, len(r["duplicates"])), flush=True)
    check(not r["missing"], "%s: every one of %d items has a record" % (what, r["items"]),
          "%d missing, e.g. %s" % (len(r["missing"]), r["missing"][:5]))
    check(not r["unexpected"], "%s: no record for an item the feeds never had" % what,
          "%d unexpected, e.g. %s" % (len(r["unexpected"]), r["unexpected"][:5]))
    dups = list(r["duplicates"].items())[:5]
    check(not r["duplicates"], "%s: exactly one record per item (%d records, %d items)"
          % (what, r["records"], r["items"]),
          "%d duplicate records over %d items, e.g. %s"
          % (extra, len(r["duplicates"]), dups))
    r["extra"] = extra
    return r


class ItemAdder:
    """A thread that keeps adding items to random feeds of a FeedServer, and now and then a
    story shared by two feeds (different guids, tracking parameters on one link)."""

    def __init__(self, server, rng, period=0.5, feeds_per_tick=5, share_every=4):
        import threading
        self.server = server
        self.rng = rng
        self.period = period
        self.feeds_per_tick = feeds_per_tick
        self.share_every = share_every
        self.ticks = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="item-adder", daemon=True)
        names = sorted(server.feeds)
        self.names = names
        # RSS 1.0 items have no guid of their own: shared stories go to the other formats.
        self.guid_feeds = [n for n in names if server.feeds[n].format != "rss10"]

    def start(self):
        self.thread.start()
        return self

    def _loop(self):
        while not self.stopping.wait(self.period):
            self.tick()

    def tick(self):
        self.ticks += 1
        for name in self.rng.sample(self.names, min(self.feeds_per_tick, len(self.names))):
            self.server.add_items(name, 1)
        if self.share_every and self.ticks % self.share_every == 0:
            self.server.share(self.rng.sample(self.guid_feeds, 2))

    def stop(self):
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join()
