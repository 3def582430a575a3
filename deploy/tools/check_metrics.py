#!/usr/bin/env python3
"""Checks the Grafana dashboard and the alert rules against the metric catalogue.

Usage: check_metrics.py CATALOGUE DASHBOARD RULES [--promql-out FILE]
       check_metrics.py CATALOGUE --exposition FILE   (a /metrics scrape of feedpipe)

- dashboard structure: unique panel ids, gridPos inside the 24-column grid, every target has a
  refId and an expr, every panel and target uses the ${datasource} variable, every range in a
  dashboard query is $__rate_interval;
- every metric name in a dashboard or rule expression is in the catalogue (histograms with
  their _bucket/_sum/_count series), every label matcher names a label the metric has, and an
  exact matcher on an enumerated label uses one of its values;
- with --promql-out, writes the dashboard queries (Grafana variables substituted) as a rule
  file, so that `promtool check rules` parses every one of them.
With --exposition: the scrape has exactly the catalogue's metrics, with its types, label names
and (for enumerated labels) every value, each series present before its first event.
Exits 1 and lists every problem found.
"""
import json
import re
import sys

import yaml

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "and", "or", "unless", "inf", "nan", "atan2", "start", "end",
            # aggregation operators, which may be followed by `by (...)` instead of `(`
            "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk",
            "quantile", "count_values", "limitk", "limit_ratio"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
GRAFANA_VARS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h",
                "${datasource}": "prometheus"}


def substitute(expr, variables):
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    for name in sorted(variables, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", ".*").replace("$" + name, ".*")
    return expr


def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)


def selectors(expr):
    """Yields (metric name or None, [(label, op, value)]) for every vector selector."""
    # Walk the expression: a name followed by '{' or a bare name not followed by '('.
    token = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{)?|(\{)|("(?:[^"\\]|\\.)*")|(\[[^\]]*\])|(.)', re.S)
    pos = 0
    prev_word = None
    while pos < len(expr):
        m = token.match(expr, pos)
        if not m:
            break
        name, brace_after_name, lone_brace, string, _range, _other = m.groups()
        if name is not None:
            after = expr[m.end():].lstrip() if not brace_after_name else ""
            if brace_after_name:
                end, matchers = _matchers(expr, m.end())
                yield name, matchers
                pos = end
                prev_word = None
                continue
            if after.startswith("("):
                # function call, or by/without/on/ignoring(...) label lists: skip those lists
                if name in {"by", "without", "on", "ignoring", "group_left", "group_right"}:
                    close = expr.index(")", m.end())
                    pos = close + 1
                    continue
            elif name.lower() not in KEYWORDS and not re.fullmatch(r"\d.*", name):
                yield name, []
            pos = m.end()
            prev_word = name
            continue
        if lone_brace:
            end, matchers = _matchers(expr, m.end())
            yield None, matchers
            pos = end
            continue
        pos = m.end()


def _matchers(expr, start):
    end = start
    depth = 1
    in_str = False
    while end < len(expr) and depth:
        c = expr[end]
        if in_str:
            if c == "\\":
                end += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "}":
            depth -= 1
        end += 1
    body = expr[start:end - 1]
    found = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', body)
    return end, found


def check_expr(where, expr, catalogue, problems):
    metrics = catalogue["metrics"]
    target_labels = set(catalogue["target_labels"])
    for name, matchers in selectors(expr):
        if name is None:
            problems.append(f"{where}: selector without a metric name in {expr!r}")
            continue
        base, spec = name, metrics.get(name)
        if spec is None:
            for suffix in HISTOGRAM_SUFFIXES:
                if name.endswith(suffix) and metrics.get(name[: -len(suffix)], {}).get("type") == "histogram":
                    base, spec = name[: -len(suffix)], metrics[name[: -len(suffix)]]
                    break
        if spec is None and name in catalogue["prometheus_series"]:
            spec = {"labels": {}}
        if spec is None:
            problems.append(f"{where}: metric {name} is not in the catalogue")
            continue
        if spec.get("type") == "histogram" and name == base:
            problems.append(f"{where}: histogram {name} used without _bucket/_sum/_count")
        labels = dict(spec["labels"])
        if base != name and name.endswith("_bucket"):
            labels["le"] = None
        for label, op, value in matchers:
            if label in target_labels:
                continue
            if label not in labels:
                problems.append(f"{where}: {name} has no label {label!r}")
                continue
            allowed = labels[label]
            if allowed is None or "$" in value:
                continue
            values = value.split("|") if op in ("=~", "!~") else [value]
            for v in values:
                if op in ("=", "!=") or re.fullmatch(r"[A-Za-z0-9_]+", v):
                    if v not in allowed:
                        problems.append(f"{where}: {name}{{{label}}} has no value {v!r} (allowed: {', '.join(allowed)})")


def check_dashboard(dash, catalogue, problems):
    variables = [v["name"] for v in dash.get("templating", {}).get("list", [])]
    if "datasource" not in variables:
        problems.append("dashboard: no datasource variable")
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in dash:
            problems.append(f"dashboard: missing {key}")
    ids = set()
    queries = []

    def walk(panels):
        for p in panels:
            yield p
            yield from walk(p.get("panels", []))

    for p in walk(dash.get("panels", [])):
        pid = p.get("id")
        where = f"panel {pid} {p.get('title')!r}"
        if pid in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(pid)
        g = p.get("gridPos", {})
        if g.get("x", 0) + g.get("w", 0) > 24 or g.get("w", 0) <= 0 or g.get("h", 0) <= 0:
            problems.append(f"{where}: gridPos {g} outside the 24-column grid")
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"{where}: datasource is not the ${{datasource}} variable")
        if not p.get("targets"):
            problems.append(f"{where}: no query")
        for t in p.get("targets", []):
            twhere = f"{where} target {t.get('refId')}"
            if not t.get("refId") or not t.get("expr"):
                problems.append(f"{twhere}: needs refId and expr")
                continue
            if t.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"{twhere}: datasource is not the ${{datasource}} variable")
            for r in re.findall(r"\[([^\]]*)\]", strip_strings(t["expr"])):
                if r != "$__rate_interval":
                    problems.append(f"{twhere}: range [{r}] instead of [$__rate_interval]")
            check_expr(twhere, t["expr"], catalogue, problems)
            queries.append((twhere, substitute(t["expr"], variables)))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and q:
            inner = re.sub(r"^label_values\((.*),\s*[a-zA-Z_]+\)$", r"\1", q)
            check_expr(f"variable {v['name']}", inner, catalogue, problems)
    return queries


def compare_exposition(text, catalogue):
    """Problems between a Prometheus text exposition and the catalogue's metrics."""
    cat = catalogue["metrics"]
    types, labels = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind.strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s", line)
        if not m:
            continue
        name = m.group(1)
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
                name = name[: -len(suffix)]
        series_labels = labels.setdefault(name, {})
        for k, v in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""):
            if k != "le":
                series_labels.setdefault(k, set()).add(v)
    problems = []
    for name in sorted(set(types) | set(cat)):
        if name not in cat:
            if name.startswith("feedpipe_"):
                problems.append(f"exposed but not in the catalogue: {name} ({types[name]})")
            continue
        if name not in types:
            problems.append(f"in the catalogue but not exposed: {name}")
            continue
        if types[name] != cat[name]["type"]:
            problems.append(f"{name}: exposed as {types[name]}, catalogued as {cat[name]['type']}")
        exposed = labels.get(name, {})
        if set(exposed) != set(cat[name]["labels"]):
            problems.append(f"{name}: labels {sorted(exposed)}, catalogued {sorted(cat[name]['labels'])}")
        for k, allowed in cat[name]["labels"].items():
            if allowed is not None and k in exposed and exposed[k] != set(allowed):
                problems.append(f"{name}{{{k}}}: values {sorted(exposed[k])}, catalogued {sorted(allowed)}")
    return problems


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[1] == "--exposition":
        with open(args[0]) as f:
            catalogue = json.load(f)
        with open(args[2]) as f:
            problems = compare_exposition(f.read(), catalogue)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"check_metrics: exposition against the catalogue, {len(problems)} problems")
        sys.exit(1 if problems else 0)
    promql_out = None
    if "--promql-out" in args:
        i = args.index("--promql-out")
        promql_out = args[i + 1]
        del args[i:i + 2]
    catalogue_path, dashboard_path, rules_path = args
    with open(catalogue_path) as f:
        catalogue = json.load(f)
    problems = []
    try:
        with open(dashboard_path) as f:
            dash = json.load(f)
    except ValueError as e:
        print(f"{dashboard_path}: not valid JSON: {e}", file=sys.stderr)
        sys.exit(1)
    queries = check_dashboard(dash, catalogue, problems)
    with open(rules_path) as f:
        rules = yaml.safe_load(f)
    n_rules = 0
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            n_rules += 1
            name = rule.get("alert") or rule.get("record")
            check_expr(f"rule {name}", rule["expr"], catalogue, problems)
    if promql_out:
        with open(promql_out, "w") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
                {"record": f"dashboard:query_{i}", "expr": q} for i, (_, q) in enumerate(queries)]}]}, f)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"check_metrics: {len(queries)} dashboard queries, {n_rules} rules, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
