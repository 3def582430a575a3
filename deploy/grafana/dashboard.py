#!/usr/bin/env python3
"""Generates deploy/grafana/feedpipe.json, the feedpipe Grafana dashboard.

Usage: dashboard.py [--check]   (--check: exit 1 when feedpipe.json is not up to date)

The dashboard is written as code so that every panel follows the same conventions: a
`datasource` variable referenced by uid, `job` and `instance` variables in every selector,
$__rate_interval in every rate(). The JSON is the Classic dashboard model that Grafana's file
provisioning and the kiwigrid sidecar (ConfigMap label grafana_dashboard) both load.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "feedpipe.json")

DS = {"type": "prometheus", "uid": "${datasource}"}
S = 'job=~"$job", instance=~"$instance"'
RI = "$__rate_interval"


def sel(extra=""):
    return "{" + S + (", " + extra if extra else "") + "}"


def rate(metric, extra=""):
    return f"rate({metric}{sel(extra)}[{RI}])"


def quantile(q, metric, by="", extra=""):
    group = "le" + (", " + by if by else "")
    return f"histogram_quantile({q}, sum by ({group}) ({rate(metric + '_bucket', extra)}))"


class Board:
    def __init__(self):
        self.panels = []
        self.next_id = 1
        self.y = 0
        self.x = 0
        self.row_height = 0

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def row(self, title):
        self._newline()
        self.panels.append({"type": "row", "title": title, "id": self._id(), "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.y += 1

    def _newline(self):
        if self.x:
            self.y += self.row_height
            self.x = 0
            self.row_height = 0

    def _place(self, w, h):
        if self.x + w > 24:
            self._newline()
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_height = max(self.row_height, h)
        return pos

    def panel(self, kind, title, description, targets, unit="short", w=8, h=8, **extra):
        refs = "ABCDEFGH"
        panel = {
            "type": kind,
            "title": title,
            "description": description,
            "id": self._id(),
            "datasource": DS,
            "gridPos": self._place(w, h),
            "targets": [{"datasource": DS, "refId": refs[i], "expr": expr, "legendFormat": legend,
                         "range": True, "instant": False}
                        for i, (expr, legend) in enumerate(targets)],
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {},
        }
        if kind == "timeseries":
            panel["fieldConfig"]["defaults"]["custom"] = {"drawStyle": "line", "lineWidth": 1,
                                                          "fillOpacity": 10, "showPoints": "never",
                                                          "stacking": {"mode": extra.pop("stack", "none")}}
            panel["options"] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                                "tooltip": {"mode": "multi", "sort": "desc"}}
        elif kind == "stat":
            panel["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                                "textMode": extra.pop("text_mode", "auto"), "colorMode": "value",
                                "graphMode": "none", "justifyMode": "auto"}
            thresholds = extra.pop("thresholds", None)
            if thresholds:
                panel["fieldConfig"]["defaults"]["thresholds"] = {"mode": "absolute", "steps": thresholds}
        panel.update(extra)
        self.panels.append(panel)

    def ts(self, title, description, targets, unit="short", w=8, **extra):
        self.panel("timeseries", title, description, targets, unit=unit, w=w, **extra)

    def stat(self, title, description, targets, unit="short", w=4, h=4, **extra):
        self.panel("stat", title, description, targets, unit=unit, w=w, h=h, **extra)


def green_red(limit, low_is_bad=False):
    if low_is_bad:
        return [{"color": "red", "value": None}, {"color": "green", "value": limit}]
    return [{"color": "green", "value": None}, {"color": "red", "value": limit}]


def build():
    b = Board()

    b.row("Overview")
    b.stat("Version", "feedpipe and library versions of the running replicas (feedpipe_build_info).",
           [(f"count by (version, librdkafka_version, libcurl_version) (feedpipe_build_info{sel()})",
             "{{version}} (librdkafka {{librdkafka_version}}, {{libcurl_version}})")],
           text_mode="name", w=6)
    b.stat("Targets up", "Scrape targets answering (Prometheus `up`). Below the replica count means a replica is down or unreachable.",
           [(f"sum(up{sel()})", "up")], thresholds=green_red(1, low_is_bad=True))
    b.stat("Ready", "Replicas reporting ready: config loaded, brokers reachable, owned state restored (feedpipe_ready).",
           [(f"sum(feedpipe_ready{sel()})", "ready")], thresholds=green_red(1, low_is_bad=True))
    b.stat("Entries published /s", "New and revised entries written to the entries topic per second, all replicas.",
           [(f"""sum({rate('feedpipe_records_published_total', 'topic="entries"')})""", "entries/s")], unit="ops", w=5)
    b.stat("Config reload", "1 when the last configuration (re)load succeeded on every replica (min over replicas).",
           [(f"min(feedpipe_config_last_reload_successful{sel()})", "ok")],
           thresholds=green_red(1, low_is_bad=True), w=5)

    b.row("Feed health")
    b.ts("Feeds by state", "Configured feeds owned by these replicas: ok, in backoff after errors, failing (several polls in a row failed).",
         [(f"sum by (state) (feedpipe_feeds{sel()})", "{{state}}")], stack="normal")
    b.ts("Feed fetch error ratio", "Share of feed polls that failed (any error), over all feed polls.",
         [(f"""sum({rate('feedpipe_fetch_requests_total', 'kind="feed", result="error"')})"""
           f""" / sum({rate('feedpipe_fetch_requests_total', 'kind="feed"')})""", "error ratio")],
         unit="percentunit")
    b.ts("Conditional GET hit ratio", "Share of successful feed polls answered 304 Not Modified: publishers' bandwidth saved by ETag / Last-Modified.",
         [(f"""sum({rate('feedpipe_fetch_requests_total', 'kind="feed", result="not_modified"')})"""
           f""" / sum({rate('feedpipe_fetch_requests_total', 'kind="feed", result=~"ok|not_modified"')})""", "304 ratio")],
         unit="percentunit")

    b.row("Fetch")
    b.ts("Requests /s by result", "Rate: HTTP fetches by kind (feed poll or article page) and result.",
         [(f"sum by (kind, result) ({rate('feedpipe_fetch_requests_total')})", "{{kind}} {{result}}")], unit="reqps")
    b.ts("Errors /s by type", "Errors: failed fetches by kind and error type (dns, timeout, http_status, rate_limited, blocked_address...).",
         [(f"sum by (kind, error_type) ({rate('feedpipe_fetch_errors_total')})", "{{kind}} {{error_type}}")], unit="reqps")
    b.ts("Latency", "Duration: p50 / p95 / p99 of whole fetches (DNS to last byte) by kind.",
         [(quantile(0.5, "feedpipe_fetch_duration_seconds", "kind"), "p50 {{kind}}"),
          (quantile(0.95, "feedpipe_fetch_duration_seconds", "kind"), "p95 {{kind}}"),
          (quantile(0.99, "feedpipe_fetch_duration_seconds", "kind"), "p99 {{kind}}")], unit="s")
    b.ts("HTTP responses /s by class", "Responses received by status class; 304 counts as 3xx, redirects followed count once per hop.",
         [(f"sum by (code_class) ({rate('feedpipe_fetch_http_responses_total')})", "{{code_class}}")], unit="reqps")
    b.ts("Bytes received /s", "Body bytes received on the wire, by kind.",
         [(f"sum by (kind) ({rate('feedpipe_fetch_received_bytes_total')})", "{{kind}}")], unit="Bps")
    b.ts("In flight and schedule lateness", "Transfers in flight in the curl multi loop, and p95 of how late polls start after their due time (a growing lateness means the fetcher cannot keep up).",
         [(f"sum(feedpipe_fetch_in_flight{sel()})", "in flight"),
          (quantile(0.95, "feedpipe_schedule_lateness_seconds"), "lateness p95 (s)")],
         overrides_right="lateness p95 (s)")

    b.row("Parse")
    b.ts("Entries /s", "Entries found in fetched documents, and entries new to their feed (not in its seen set).",
         [(f"sum({rate('feedpipe_entries_parsed_total')})", "parsed"),
          (f"sum({rate('feedpipe_entries_new_total')})", "new to the feed")], unit="ops")
    b.ts("Parse errors /s", "Documents that could not be parsed, by error type, and documents parsed with recoverable problems (bozo).",
         [(f"sum by (error_type) ({rate('feedpipe_parse_errors_total')})", "{{error_type}}"),
          (f"sum({rate('feedpipe_feed_documents_bozo_total')})", "bozo (recovered)")], unit="ops")
    b.ts("Parse duration and items per poll", "p50 / p99 parse time per document, and p50 of entries per fetched document.",
         [(quantile(0.5, "feedpipe_parse_duration_seconds"), "parse p50 (s)"),
          (quantile(0.99, "feedpipe_parse_duration_seconds"), "parse p99 (s)"),
          (quantile(0.5, "feedpipe_items_per_poll"), "items per poll p50")])

    b.row("Ingest and dedup")
    b.ts("Records published /s by topic", "Records committed to each topic: raw (ingest), entries (dedup), articles (enrich), errors (dead letters) and the state topics.",
         [(f"sum by (topic) ({rate('feedpipe_records_published_total')})", "{{topic}}")], unit="ops")
    b.ts("Duplicates dropped and revisions /s", "Items dropped as already seen by their feed or globally, and changed items published as a new revision.",
         [(f"sum by (stage) ({rate('feedpipe_duplicates_dropped_total')})", "dropped {{stage}}"),
          (f"sum({rate('feedpipe_record_revisions_total')})", "revisions")], unit="ops")
    b.ts("Transactions /s by role and result", "Kafka transactions committed and aborted per role. Aborts replay the unit of work; a steady abort rate needs a look.",
         [(f"sum by (role, result) ({rate('feedpipe_transactions_total')})", "{{role}} {{result}}")], unit="ops")
    b.ts("Transaction duration p95", "p95 from begin to commit of a transaction, per role.",
         [(quantile(0.95, "feedpipe_transaction_duration_seconds", "role"), "{{role}}")], unit="s")
    b.ts("Producer rebuilds and commits in doubt", "Transactional producers recreated after a fatal error (fenced, idempotence lost), per role; and failed commits whose outcome was open (timed out, fatal), by what Kafka said of them afterwards. Unknown outcomes make the role rejoin its group.",
         [(f"sum by (role) (increase(feedpipe_producer_rebuilds_total{sel()}[{RI}]))", "rebuilt {{role}}"),
          (f"sum by (role, outcome) (increase(feedpipe_transactions_in_doubt_total{sel()}[{RI}]))", "in doubt {{role}} {{outcome}}")])
    b.ts("Queue fill", "Depth over capacity of the bounded queues between stages; near 100% the stage before it is being slowed down (backpressure).",
         [(f"sum by (queue) (feedpipe_queue_depth{sel()}) / sum by (queue) (feedpipe_queue_capacity{sel()})", "{{queue}}")],
         unit="percentunit")

    b.row("Enrich")
    b.ts("Articles /s by result", "Linked pages fetched and extracted (ok) or given up on (error, see fetch errors of kind article).",
         [(f"sum by (result) ({rate('feedpipe_articles_extracted_total')})", "{{result}}")], unit="ops")
    b.ts("Enrich backlog", "Consumed entries whose page is not done: fetching, or waiting for a slot or a retry; partitions paused at max_pending_per_partition; retries /s by error type.",
         [(f"sum by (state) (feedpipe_enrich_backlog{sel()})", "{{state}}"),
          (f"sum(feedpipe_enrich_paused_partitions{sel()})", "paused partitions"),
          (f"sum by (error_type) ({rate('feedpipe_article_retries_total')})", "retries/s {{error_type}}")])
    b.ts("Extraction duration", "p50 / p95 CPU time to extract the main text from a page.",
         [(quantile(0.5, "feedpipe_extract_duration_seconds"), "p50"),
          (quantile(0.95, "feedpipe_extract_duration_seconds"), "p95")], unit="s")
    b.ts("Article fetch latency p95", "p95 duration of article page fetches.",
         [(quantile(0.95, "feedpipe_fetch_duration_seconds", extra='kind="article"'), "p95")], unit="s")
    b.ts("robots.txt /s", "robots.txt fetches for article pages by outcome (parsed; unavailable = 4xx, all allowed; unreachable = 5xx or network error, all refused for a while) and article pages refused by reason.",
         [(f"sum by (result) ({rate('feedpipe_robots_fetches_total')})", "fetch {{result}}"),
          (f"sum by (reason) ({rate('feedpipe_article_robots_denied_total')})", "refused {{reason}}")], unit="ops")

    b.row("Kafka")
    b.ts("Brokers up", "Brokers each client is connected to (librdkafka statistics).",
         [(f"sum by (client) (feedpipe_kafka_broker_up{sel()})", "{{client}}")])
    b.ts("Broker RTT p99", "p99 request round trip per client and broker (librdkafka statistics).",
         [(f"max by (client, broker) (feedpipe_kafka_broker_rtt_seconds{sel()})", "{{client}} {{broker}}")], unit="s")
    b.ts("Consumer lag", "Messages the consuming roles are behind the end of their input partitions.",
         [(f"sum by (client) (feedpipe_kafka_consumer_lag_messages{sel()})", "{{client}}")])
    b.ts("Producer queue", "Messages waiting in librdkafka's producer queue (not yet acknowledged).",
         [(f"sum by (client) (feedpipe_kafka_queue_messages{sel()})", "{{client}}")])
    b.ts("Produced messages /s", "Messages sent to brokers per client, including state records and retries.",
         [(f"sum by (client) ({rate('feedpipe_kafka_produced_messages_total')})", "{{client}}")], unit="ops")
    b.ts("Kafka requests /s", "Protocol requests sent per client.",
         [(f"sum by (client) ({rate('feedpipe_kafka_requests_total')})", "{{client}}")], unit="reqps")

    b.row("State")
    b.ts("Partitions pending restore", "State partitions assigned but not yet read to their end; the replica does not act for them until they are.",
         [(f"sum by (topic) (feedpipe_state_restore_partitions_pending{sel()})", "{{topic}}")])
    b.ts("State records restored /s", "Records read from the compacted state topics while restoring.",
         [(f"sum by (topic) ({rate('feedpipe_state_restore_records_total')})", "{{topic}}")], unit="ops")
    b.ts("Owned partitions", "Partitions each role owns through the consumer group, summed over replicas.",
         [(f"sum by (role) (feedpipe_owned_partitions{sel()})", "{{role}}")])
    b.ts("Since last config load", "Seconds since the configuration was last loaded successfully, per replica.",
         [(f"time() - max by (instance) (feedpipe_config_last_reload_success_timestamp_seconds{sel()})", "{{instance}}")],
         unit="s")

    b.row("Process")
    b.ts("CPU", "CPU seconds per second per replica.",
         [(f"sum by (instance) ({rate('process_cpu_seconds_total')})", "{{instance}}")], unit="percentunit", w=6)
    b.ts("Resident memory", "Resident set size per replica.",
         [(f"sum by (instance) (process_resident_memory_bytes{sel()})", "{{instance}}")], unit="bytes", w=6)
    b.ts("Open file descriptors", "Open fds per replica (sockets to feeds and brokers included).",
         [(f"sum by (instance) (process_open_fds{sel()})", "{{instance}}")], w=6)
    b.ts("Uptime", "Seconds since each replica started; drops are restarts.",
         [(f"time() - max by (instance) (process_start_time_seconds{sel()})", "{{instance}}")], unit="s", w=6)

    for p in b.panels:
        right = p.pop("overrides_right", None)
        if right:
            p["fieldConfig"]["overrides"].append({
                "matcher": {"id": "byName", "options": right},
                "properties": [{"id": "custom.axisPlacement", "value": "right"}, {"id": "unit", "value": "s"}]})

    def var(name, label, query):
        return {"name": name, "label": label, "type": "query", "datasource": DS,
                "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
                "definition": query, "refresh": 2, "includeAll": True, "multi": True,
                "allValue": ".*", "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
                "sort": 1, "hide": 0, "options": []}

    return {
        "uid": "feedpipe",
        "title": "feedpipe",
        "description": "Feeds to Kafka: fetch, parse, dedup, enrich, Kafka clients and state restore.",
        "tags": ["feedpipe", "kafka"],
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "timezone": "",
        "links": [],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
            "type": "dashboard"}]},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
             "regex": ""},
            var("job", "Job", "label_values(feedpipe_build_info, job)"),
            var("instance", "Instance", 'label_values(feedpipe_build_info{job=~"$job"}, instance)'),
        ]},
        "panels": b.panels,
    }


def render():
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        with open(OUT) as f:
            if f.read() != text:
                print(f"{OUT} is out of date: run {sys.argv[0]}", file=sys.stderr)
                sys.exit(1)
        return
    with open(OUT, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
