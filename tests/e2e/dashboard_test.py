#!/usr/bin/env python3
"""End-to-end: every panel of the Grafana dashboard shows data from a real feedpipe.

Starts a local feed server (RSS that grows on every poll, an Atom feed with the same links,
a feed that changes an item, a recoverable broken feed, a non-feed page, a 500), runs
`feedpipe run` on it with all three roles against the real Kafka (KAFKA_BOOTSTRAP, a topic
prefix of its own), and a real Prometheus (Debian's `prometheus` binary) that scrapes it every
second and loads deploy/prometheus/rules.yml. Then, through Prometheus's HTTP API:

  - /metrics has exactly the metrics of deploy/metrics.json, with their types, labels and
    label values, and passes `promtool check metrics`;
  - the dashboard's variable queries return the job and instance;
  - every panel query (Grafana variables substituted as "All", $__rate_interval as Grafana
    computes it for this scrape interval) returns at least one finite value over the run;
  - the pipeline did work: feeds fetched, entries parsed, records published on every topic
    the roles write;
  - every alert rule evaluates without error and none fires.

Usage: dashboard_test.py --feedpipe PATH --source-dir DIR   (env KAFKA_BOOTSTRAP)
"""
import argparse
import http.server
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

SCRAPE_SECONDS = 1
# Grafana: $__rate_interval = max($__interval + scrape interval, 4 * scrape interval).
RATE_INTERVAL = "4s"
WARMUP_TIMEOUT = 180       # seconds for the pipeline to publish on every topic it writes
OBSERVE_SECONDS = 20       # scrapes collected after that, so rates cover a working pipeline


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- feed server

class FeedServer:
    """Serves the test feeds and article pages; counts the polls of each path."""

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.hits = {}
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                with server.lock:
                    n = server.hits.get(path, 0) + 1
                    server.hits[path] = n
                status, ctype, body, etag = server.respond(path, n)
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def article_url(self, i):
        return f"{self.base}/articles/{i}.html"

    def rss_item(self, i, description=None):
        return (f"<item><title>Story {i}</title><link>{self.article_url(i)}</link>"
                f"<guid isPermaLink=\"false\">story-{i}</guid>"
                f"<pubDate>Mon, 02 Mar 2026 {i % 24:02d}:00:00 GMT</pubDate>"
                f"<description>{description or f'Summary of story {i}.'}</description></item>")

    def rss(self, title, items):
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
                f"<title>{title}</title><link>{self.base}/</link><description>test</description>"
                + "".join(items) + "</channel></rss>\n")

    def respond(self, path, n):
        if path == "/feeds/growing.xml":
            # One more story on every poll: new entries, articles and transactions all along,
            # and the older stories again, which the per-feed seen set drops.
            items = [self.rss_item(i) for i in range(n + 2, 0, -1)][:30]
            return 200, "application/rss+xml", self.rss("Growing", items), None
        if path == "/feeds/mirror.atom":
            # The first stories under other ids: duplicates across feeds. Unchanged: ETag, 304.
            entries = "".join(
                f"<entry><id>urn:mirror:{i}</id><title>Story {i}</title>"
                f"<link href=\"{self.article_url(i)}\"/><updated>2026-03-02T0{i}:00:00Z</updated>"
                f"<summary>Summary of story {i}.</summary></entry>" for i in range(1, 4))
            body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                    f"<title>Mirror</title><id>urn:mirror</id><updated>2026-03-02T00:00:00Z</updated>"
                    f"<link href=\"{self.base}/\"/>{entries}</feed>\n")
            return 200, "application/atom+xml", body, '"mirror-v1"'
        if path == "/feeds/changing.xml":
            # The same story with a new text every few polls: a new revision each time.
            items = [self.rss_item(1000, f"Version {n // 3} of the story.")]
            return 200, "application/rss+xml", self.rss("Changing", items), None
        if path == "/feeds/sloppy.xml":
            # Recoverable problems (undefined entity, bare ampersand): parsed, counted as bozo.
            body = self.rss("Sloppy &amp; Co", [
                f"<item><title>Fish &nbsp;&amp; chips & peas</title><link>{self.article_url(2000 + n)}</link>"
                f"<description>Unclosed <b>bold</description></item>"])
            return 200, "application/rss+xml", body, None
        if path == "/feeds/not-a-feed":
            return 200, "text/html", "<html><body><p>This is not a feed.</p></body></html>", None
        if path == "/feeds/failing":
            return 500, "text/plain", "internal error\n", None
        m = re.fullmatch(r"/articles/(\d+)\.html", path)
        if m:
            i = int(m.group(1))
            paragraphs = "".join(
                f"<p>Paragraph {k} of story {i}, long enough to count as the main text of the page "
                f"rather than as navigation or boilerplate around it.</p>" for k in range(6))
            body = (f"<!doctype html><html lang=\"en\"><head><title>Story {i}</title>"
                    f"<meta property=\"og:site_name\" content=\"Test\"></head><body>"
                    f"<nav><a href=\"/\">Home</a></nav><article><h1>Story {i}</h1>{paragraphs}"
                    f"</article><footer>Footer</footer></body></html>")
            return 200, "text/html; charset=utf-8", body, None
        return 404, "text/plain", "not found\n", None


# ----------------------------------------------------------------------------- helpers

def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


def wait_for(what, predicate, timeout, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode} while waiting for {what}")
        try:
            if predicate():
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path, **params):
        url = f"{self.base}/api/v1/{path}?{urllib.parse.urlencode(params, doseq=True)}"
        _, body = http_get(url, timeout=30)
        doc = json.loads(body)
        if doc.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {doc}")
        return doc["data"]

    def scalar(self, expr):
        result = self.api("query", query=expr)["result"]
        return sum(float(r["value"][1]) for r in result) if result else None


def substitute(expr, variables):
    expr = expr.replace("$__rate_interval", RATE_INTERVAL)
    expr = expr.replace("$__interval", f"{SCRAPE_SECONDS}s").replace("$__range", "5m")
    for name in sorted(variables, key=len, reverse=True):
        value = variables[name]
        expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
    return expr


def finite_points(result):
    return sum(1 for series in result for _, v in series.get("values", [])
               if not math.isnan(float(v)) and not math.isinf(float(v)))


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------- test

def run(args, tmp):
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("KAFKA_BOOTSTRAP is not set (scripts/run-tests starts a local Kafka)")
    prometheus_bin = shutil.which("prometheus")
    if not prometheus_bin:
        raise RuntimeError("prometheus is not installed (Debian package prometheus)")
    src = os.path.abspath(args.source_dir)
    with open(os.path.join(src, "deploy/metrics.json")) as f:
        catalogue = json.load(f)["metrics"]
    with open(os.path.join(src, "deploy/grafana/feedpipe.json")) as f:
        dashboard = json.load(f)

    feeds = FeedServer()
    feeds.start()
    procs = []
    try:
        run_id = uuid.uuid4().hex[:10]
        feedpipe_port = free_port()
        config_path = os.path.join(tmp, "feedpipe.yaml")
        feed_paths = ["growing.xml", "mirror.atom", "changing.xml", "sloppy.xml", "not-a-feed", "failing"]
        with open(config_path, "w") as f:
            f.write(f"""kafka:
  bootstrap_servers: "{bootstrap}"
  topic_prefix: "e2e-dashboard-{run_id}"
  group_id: "e2e-dashboard-{run_id}"
  instance_id: "e2e-dashboard-{run_id}"
  partitions: 3
  replication_factor: 1
  transaction_timeout: 10s
  librdkafka:
    statistics.interval.ms: "1000"
roles: [ingest, dedup, enrich]
http:
  listen: "127.0.0.1:{feedpipe_port}"
log:
  level: info
shutdown_grace: 5s
fetch:
  user_agent: feedpipe-e2e/1
  connect_timeout: 2s
  first_byte_timeout: 5s
  total_timeout: 10s
  min_interval: 1s
  max_interval: 1h
  backoff_base: 1s
  backoff_max: 3s
  per_host_min_spacing: 0ms
  per_host_concurrency: 16
  allow_private_networks: ["127.0.0.0/8"]
  respect_robots_txt: false
feeds:
""")
            for p in feed_paths:
                f.write(f"  - {{url: \"{feeds.base}/feeds/{p}\", interval: 1s, group: e2e}}\n")

        fp_log = open(os.path.join(tmp, "feedpipe.log"), "w")
        feedpipe = subprocess.Popen([args.feedpipe, "run", "--config", config_path],
                                    stdout=fp_log, stderr=subprocess.STDOUT)
        procs.append(("feedpipe", feedpipe, fp_log.name))

        prom_port = free_port()
        prom_dir = os.path.join(tmp, "prometheus")
        os.makedirs(os.path.join(prom_dir, "data"))
        shutil.copy(os.path.join(src, "deploy/prometheus/rules.yml"), os.path.join(prom_dir, "rules.yml"))
        with open(os.path.join(prom_dir, "prometheus.yml"), "w") as f:
            f.write(f"""global:
  scrape_interval: {SCRAPE_SECONDS}s
  evaluation_interval: {SCRAPE_SECONDS}s
rule_files: [rules.yml]
scrape_configs:
  - job_name: feedpipe
    static_configs:
      - targets: ["127.0.0.1:{feedpipe_port}"]
""")
        prom_log = open(os.path.join(tmp, "prometheus.log"), "w")
        prometheus = subprocess.Popen(
            [prometheus_bin, f"--config.file={prom_dir}/prometheus.yml",
             f"--storage.tsdb.path={prom_dir}/data", f"--web.listen-address=127.0.0.1:{prom_port}",
             "--storage.tsdb.retention.time=1h"],
            stdout=prom_log, stderr=subprocess.STDOUT, cwd=prom_dir)
        procs.append(("prometheus", prometheus, prom_log.name))
        prom = Prometheus(prom_port)
        watched = [(n, p) for n, p, _ in procs]
        started = time.time()

        wait_for("Prometheus ready", lambda: http_get(f"{prom.base}/-/ready")[0] == 200, 60, watched)
        wait_for("feedpipe /livez", lambda: http_get(f"http://127.0.0.1:{feedpipe_port}/livez")[0] == 200,
                 60, watched)
        wait_for("the first scrape of feedpipe", lambda: prom.scalar('up{job="feedpipe"}') == 1, 60, watched)

        # The roles write raw (ingest), entries (dedup) and articles (enrich).
        def published(topic):
            v = prom.scalar(f'sum(feedpipe_records_published_total{{topic="{topic}"}})')
            return v is not None and v > 0
        wait_for("records on raw, entries and articles",
                 lambda: all(published(t) for t in ("raw", "entries", "articles")), WARMUP_TIMEOUT, watched)
        wait_for("feedpipe /readyz", lambda: http_get(f"http://127.0.0.1:{feedpipe_port}/readyz")[0] == 200,
                 60, watched)
        time.sleep(OBSERVE_SECONDS)
        end = time.time()

        failures = []

        # The catalogue and the daemon agree: names, types, labels, label values.
        _, scrape = http_get(f"http://127.0.0.1:{feedpipe_port}/metrics")
        sys.path.insert(0, os.path.join(src, "deploy", "tools"))
        from check_metrics import compare_exposition
        with open(os.path.join(src, "deploy/metrics.json")) as f:
            failures += [f"/metrics: {p}" for p in compare_exposition(scrape, json.load(f))]
        lint = subprocess.run([shutil.which("promtool") or "promtool", "check", "metrics"],
                              input=scrape, capture_output=True, text=True)
        if lint.returncode != 0:
            failures.append(f"promtool check metrics: {lint.stdout}{lint.stderr}")
        names = set(prom.api("label/__name__/values", **{"match[]": '{job="feedpipe"}'}))

        # Template variables.
        jobs = prom.api("label/job/values", **{"match[]": "feedpipe_build_info"})
        instances = prom.api("label/instance/values", **{"match[]": 'feedpipe_build_info{job=~".*"}'})
        if jobs != ["feedpipe"] or instances != [f"127.0.0.1:{feedpipe_port}"]:
            failures.append(f"variable queries: job {jobs}, instance {instances}")
        variables = {"job": ".*", "instance": ".*", "datasource": "prometheus"}

        # Every panel query, as Grafana would ask it for the time of the run.
        checked = 0
        for panel in dashboard["panels"]:
            if panel.get("type") == "row":
                continue
            for target in panel.get("targets", []):
                expr = substitute(target["expr"], variables)
                result = prom.api("query_range", query=expr, start=f"{started:.3f}", end=f"{end:.3f}",
                                  step=f"{SCRAPE_SECONDS}s")["result"]
                checked += 1
                if finite_points(result) == 0:
                    failures.append(f"panel {panel['title']!r} {target['refId']}: no data for {expr}")

        # The pipeline worked, seen through its own metrics.
        work = {
            'sum(feedpipe_fetch_requests_total{kind="feed", result="ok"})': "feed polls",
            'sum(feedpipe_fetch_requests_total{kind="feed", result="not_modified"})': "304 answers",
            'sum(feedpipe_fetch_requests_total{kind="article", result="ok"})': "article fetches",
            'sum(feedpipe_fetch_errors_total{kind="feed", error_type="http_status"})': "HTTP 500 errors",
            "sum(feedpipe_entries_parsed_total)": "entries parsed",
            'sum(feedpipe_duplicates_dropped_total{stage="feed"})': "per-feed duplicates",
            'sum(feedpipe_duplicates_dropped_total{stage="global"})': "cross-feed duplicates",
            "sum(feedpipe_record_revisions_total)": "revisions",
            'sum(feedpipe_articles_extracted_total{result="ok"})': "articles extracted",
            'sum(feedpipe_transactions_total{role="ingest", result="committed"})': "ingest transactions",
            'sum(feedpipe_transactions_total{role="dedup", result="committed"})': "dedup transactions",
            'sum(feedpipe_transactions_total{role="enrich", result="committed"})': "enrich transactions",
            "sum(feedpipe_kafka_broker_up)": "brokers up",
            "sum(feedpipe_ready)": "ready",
        }
        for expr, what in work.items():
            v = prom.scalar(expr)
            if not v or v <= 0:
                failures.append(f"no {what}: {expr} = {v}")

        # The alert rules evaluate on real series, and none fires.
        for group in prom.api("rules")["groups"]:
            for rule in group["rules"]:
                if rule.get("health") != "ok":
                    failures.append(f"rule {rule['name']}: health {rule.get('health')} {rule.get('lastError', '')}")
        firing = [a["labels"]["alertname"] for a in prom.api("alerts")["alerts"] if a["state"] == "firing"]
        if firing:
            failures.append(f"alerts firing on a healthy run: {firing}")

        print(f"dashboard_test: {checked} panel queries over {end - started:.0f}s, "
              f"{len(names)} series names, feed server hits {dict(sorted(feeds.hits.items()))}")
        return failures, procs
    finally:
        feeds_stop = feeds.stop
        for name, p, _ in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p, _ in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        feeds_stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feedpipe", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="feedpipe-dashboard-")
    failures = []
    try:
        failures, _ = run(args, tmp)
    except Exception as e:  # a daemon that dies or never publishes fails the test with its log
        failures = [f"{type(e).__name__}: {e}"]
    if failures:
        for f in failures:
            print(f"FAIL {f}", file=sys.stderr)
        for log in ("feedpipe.log", "prometheus.log"):
            print(f"--- last lines of {log}:\n{tail(os.path.join(tmp, log))}", file=sys.stderr)
    if args.keep or failures:
        print(f"dashboard_test: files kept in {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"dashboard_test: {0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
