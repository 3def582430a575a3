#!/usr/bin/env python3
"""A local feed server for end-to-end tests.

Serves N generated feeds on loopback, cycling through RSS 2.0, Atom 1.0, RSS 1.0 (RDF) and
JSON Feed 1.1; some XML feeds are windows-1251 encoded (charset declared in the XML
declaration and the Content-Type), some are gzip-encoded when the client accepts gzip. Every
feed answers conditional GETs (ETag and/or Last-Modified, 304) and the server counts what each
feed saw: requests, validators sent, 304s, concurrent pollers.

Used two ways:
  * imported: FeedServer(n_feeds=50).start(); server.add_items(...); server.stats()
  * standalone: python3 feed_server.py --feeds 50   (prints "port N", serves until Ctrl-C)

Control API (JSON bodies and answers):
  POST /_control/add-items       {"feed": "f003", "count": 2}  or {"feeds": [...], "count": 1}
  POST /_control/share           {"feeds": ["f001", "f002"]}   one story in several feeds,
                                 different guids, tracking params on the link in all but one
  POST /_control/break/<feed>    {"mode": "garbage|truncated|html|status500|empty"}
  POST /_control/fix/<feed>
  POST /_control/reset-stats
  GET  /_control/stats           per-feed counters
  GET  /_control/expected        canonical link -> expected item
"""

import argparse
import email.utils
import gzip
import hashlib
import http.server
import json
import random
import sys
import threading
import time
from xml.sax.saxutils import escape, quoteattr

FORMATS = ("rss20", "atom10", "rss10", "json11")
BREAK_MODES = ("garbage", "truncated", "html", "status500", "empty")
LINK_HOST = "https://e2e.feedpipe.test"
TRACKING_QUERY = "?utm_source=rss&utm_medium=feed&utm_campaign=e2e"
BASE_TIME = 1_700_000_000  # item dates count up from here, so they never depend on the clock

# Titles for windows-1251 feeds: the bytes only decode right with the declared charset.
CYRILLIC_WORDS = ("Новости", "Москва", "Погода", "Экономика", "Наука", "Спорт", "Культура")
LATIN_WORDS = ("market", "orbit", "harbour", "council", "science", "storm", "election", "river")


def rfc822(ts):
    return email.utils.formatdate(ts, usegmt=True)


def rfc3339(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Item:
    def __init__(self, guid, link, title, summary, published):
        self.guid = guid
        self.link = link          # as written in the feed (may carry tracking params)
        self.title = title
        self.summary = summary
        self.published = published


class Feed:
    def __init__(self, name, fmt, charset, gzip_body, validators):
        self.name = name
        self.format = fmt
        self.charset = charset          # "utf-8" or "windows-1251"
        self.gzip = gzip_body
        self.validators = validators    # "both", "etag", "last_modified", "none"
        self.items = []                 # newest last
        self.broken = None              # one of BREAK_MODES, or None
        self.delay = 0.0                # seconds to hold each response (shows overlap)
        self.body = b""
        self.etag = ""
        self.last_modified = 0
        self.stats = {}
        self.in_flight = 0
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "status": {}, "conditional": 0,
                      "if_none_match": 0, "if_modified_since": 0,
                      "not_modified": 0, "gzip_served": 0, "max_concurrent": 0,
                      "user_agent": ""}


class FeedServer:
    """N generated feeds plus a control API; thread-safe."""

    def __init__(self, n_feeds=50, items_per_feed=3, host="127.0.0.1", port=0, seed=None,
                 run_id=None):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.run_id = run_id or "%08x" % self.rng.getrandbits(32)
        self.feeds = {}
        self.shared = 0
        self.counter = 0
        # Every feed request as (feed, start, end, User-Agent), monotonic seconds: which
        # replica polled a feed when, and whether two polls of one feed overlapped.
        self.poll_log = []
        for i in range(n_feeds):
            fmt = FORMATS[i % len(FORMATS)]
            charset = "windows-1251" if (fmt != "json11" and i % 5 == 1) else "utf-8"
            validators = {3: "etag", 5: "last_modified"}.get(i % 7, "both")
            feed = Feed("f%03d" % i, fmt, charset, gzip_body=(i % 3 == 2), validators=validators)
            self.feeds[feed.name] = feed
        self.httpd = _HTTPServer((host, port), _make_handler(self))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = "http://%s:%d" % (host, self.port)
        self.thread = None
        with self.lock:
            for feed in self.feeds.values():
                for _ in range(items_per_feed):
                    self._new_item(feed)
                self._render(feed)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="feed-server",
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def feed_url(self, name):
        return "%s/feeds/%s" % (self.base_url, name)

    def feed_urls(self):
        return [self.feed_url(n) for n in sorted(self.feeds)]

    # ---- content --------------------------------------------------------------------------

    def _title(self, feed, n):
        words = CYRILLIC_WORDS if feed.charset == "windows-1251" else LATIN_WORDS
        a, b = self.rng.choice(words), self.rng.choice(words)
        return "%s %s %s #%d" % (feed.name, a, b, n)

    def _new_item(self, feed):
        self.counter += 1
        n = self.counter
        link = "%s/%s/%s/%d" % (LINK_HOST, self.run_id, feed.name, n)
        item = Item(guid="%s-%s-%d" % (self.run_id, feed.name, n), link=link,
                    title=self._title(feed, n), summary="Summary of item %d in %s." % (n, feed.name),
                    published=BASE_TIME + 60 * n)
        feed.items.append(item)
        return item

    def _render(self, feed):
        text = RENDERERS[feed.format](self, feed)
        body = text.encode(feed.charset)
        if body != feed.body:
            feed.body = body
            feed.etag = '"%s"' % hashlib.sha1(body).hexdigest()[:20]
            # Strictly increasing, so a change in the same second still beats If-Modified-Since.
            feed.last_modified = max(int(time.time()), feed.last_modified + 1)

    def add_items(self, feed_name, count=1):
        """Adds `count` new items to a feed; returns their canonical links."""
        with self.lock:
            feed = self.feeds[feed_name]
            links = [self._new_item(feed).link for _ in range(count)]
            self._render(feed)
            return links

    def share(self, feed_names):
        """One story in several feeds: same title, summary and date, a different guid per feed,
        tracking parameters on the link in every feed but the first. Returns its canonical link."""
        with self.lock:
            self.shared += 1
            self.counter += 1
            n = self.counter
            canonical = "%s/%s/shared/%d" % (LINK_HOST, self.run_id, n)
            title = "Shared story %d %s" % (n, self.rng.choice(LATIN_WORDS))
            for i, name in enumerate(feed_names):
                feed = self.feeds[name]
                link = canonical if i == 0 else canonical + TRACKING_QUERY
                feed.items.append(Item(guid="%s-shared-%d-%s" % (self.run_id, n, name), link=link,
                                       title=title, summary="A story told by several feeds.",
                                       published=BASE_TIME + 60 * n))
                self._render(feed)
            return canonical

    def break_feed(self, feed_name, mode="garbage"):
        if mode not in BREAK_MODES:
            raise ValueError("unknown break mode %r (known: %s)" % (mode, ", ".join(BREAK_MODES)))
        with self.lock:
            self.feeds[feed_name].broken = mode

    def fix_feed(self, feed_name):
        with self.lock:
            feed = self.feeds[feed_name]
            feed.broken = None

    def set_delay(self, feed_name, seconds):
        with self.lock:
            self.feeds[feed_name].delay = seconds

    def expected_items(self, include_broken=False):
        """Canonical link -> {"title", "feeds"} for every item of the (working) feeds."""
        out = {}
        with self.lock:
            for feed in self.feeds.values():
                if feed.broken and not include_broken:
                    continue
                for item in feed.items:
                    canonical = item.link.split("?")[0]
                    entry = out.setdefault(canonical, {"title": item.title, "feeds": []})
                    entry["feeds"].append(feed.name)
        return out

    def stats(self):
        with self.lock:
            feeds = {name: json.loads(json.dumps(f.stats)) for name, f in self.feeds.items()}
        totals = {"requests": 0, "conditional": 0, "if_none_match": 0, "if_modified_since": 0, "not_modified": 0,
                  "gzip_served": 0, "max_concurrent": 0}
        for s in feeds.values():
            for k in totals:
                totals[k] = max(totals[k], s[k]) if k == "max_concurrent" else totals[k] + s[k]
        return {"feeds": feeds, "totals": totals}

    def reset_stats(self):
        with self.lock:
            for feed in self.feeds.values():
                feed.reset_stats()

    def polls(self, since=None, until=None):
        """[(feed, start, end, user_agent)] of the requests that started in [since, until)
        (time.monotonic() seconds; None = unbounded)."""
        with self.lock:
            log = list(self.poll_log)
        return [p for p in log
                if (since is None or p[1] >= since) and (until is None or p[1] < until)]

    # ---- serving --------------------------------------------------------------------------

    def _broken_body(self, feed):
        mode = feed.broken
        if mode == "garbage":
            return 200, "application/rss+xml", bytes(self.rng.getrandbits(8) for _ in range(2048))
        if mode == "truncated":
            return 200, "application/rss+xml", feed.body[: max(1, len(feed.body) // 3)] or b"<rss"
        if mode == "html":
            return 200, "text/html; charset=utf-8", (
                b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
                b"<body><h1>Back soon</h1></body></html>")
        if mode == "status500":
            return 500, "text/plain", b"internal error\n"
        return 200, "application/rss+xml", b""

    def serve_feed(self, handler, name):
        """Returns (status, headers, body) for GET /feeds/<name>."""
        with self.lock:
            feed = self.feeds.get(name)
            if feed is None:
                return 404, {"Content-Type": "text/plain"}, b"no such feed\n"
            s = feed.stats
            s["requests"] += 1
            s["user_agent"] = handler.headers.get("User-Agent", "")
            inm = handler.headers.get("If-None-Match")
            ims = handler.headers.get("If-Modified-Since")
            if inm or ims:
                s["conditional"] += 1
            if inm:
                s["if_none_match"] += 1
            if ims:
                s["if_modified_since"] += 1
            feed.in_flight += 1
            s["max_concurrent"] = max(s["max_concurrent"], feed.in_flight)
            delay = feed.delay
            started = time.monotonic()
            user_agent = s["user_agent"]
        try:
            if delay:
                time.sleep(delay)
            with self.lock:
                return self._respond(feed, handler, inm, ims)
        finally:
            with self.lock:
                feed.in_flight -= 1
                self.poll_log.append((name, started, time.monotonic(), user_agent))

    def _respond(self, feed, handler, inm, ims):
        s = feed.stats
        if feed.broken:
            status, ctype, body = self._broken_body(feed)
            s["status"][str(status)] = s["status"].get(str(status), 0) + 1
            return status, {"Content-Type": ctype}, body
        headers = {"Content-Type": CONTENT_TYPES[feed.format] + "; charset=" + feed.charset,
                   "Cache-Control": "max-age=0"}
        if feed.validators in ("both", "etag"):
            headers["ETag"] = feed.etag
        if feed.validators in ("both", "last_modified"):
            headers["Last-Modified"] = rfc822(feed.last_modified)
        if _not_modified(feed, inm, ims):
            s["not_modified"] += 1
            s["status"]["304"] = s["status"].get("304", 0) + 1
            return 304, headers, b""
        body = feed.body
        if feed.gzip and "gzip" in handler.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
            s["gzip_served"] += 1
        s["status"]["200"] = s["status"].get("200", 0) + 1
        return 200, headers, body

    def control(self, method, path, payload):
        parts = [p for p in path.split("/") if p][1:]  # drop "_control"
        if method == "GET" and parts == ["stats"]:
            return self.stats()
        if method == "GET" and parts == ["expected"]:
            return self.expected_items()
        if method == "GET" and parts == ["feeds"]:
            return {"feeds": self.feed_urls()}
        if method != "POST" or not parts:
            raise KeyError(path)
        if parts == ["add-items"]:
            names = payload.get("feeds") or [payload["feed"]]
            count = int(payload.get("count", 1))
            return {"links": [link for n in names for link in self.add_items(n, count)]}
        if parts == ["share"]:
            return {"link": self.share(payload["feeds"])}
        if parts[0] == "break" and len(parts) == 2:
            self.break_feed(parts[1], payload.get("mode", "garbage"))
            return {"ok": True}
        if parts[0] == "fix" and len(parts) == 2:
            self.fix_feed(parts[1])
            return {"ok": True}
        if parts == ["reset-stats"]:
            self.reset_stats()
            return {"ok": True}
        raise KeyError(path)


def _etag_matches(header, etag):
    if not etag:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    bare = etag[2:] if etag.startswith("W/") else etag
    return any((t[2:] if t.startswith("W/") else t) == bare for t in tags)


def _not_modified(feed, inm, ims):
    # RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only counts without it.
    if inm is not None:
        return feed.validators in ("both", "etag") and _etag_matches(inm, feed.etag)
    if ims is not None and feed.validators in ("both", "last_modified"):
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return since >= feed.last_modified
    return False


CONTENT_TYPES = {"rss20": "application/rss+xml", "atom10": "application/atom+xml",
                 "rss10": "application/rdf+xml", "json11": "application/feed+json"}


def _xml_decl(feed):
    return '<?xml version="1.0" encoding="%s"?>\n' % feed.charset


def _render_rss20(server, feed):
    out = [_xml_decl(feed), '<rss version="2.0">\n<channel>\n',
           "<title>%s</title>\n" % escape("Feed %s" % feed.name),
           "<link>%s/%s</link>\n" % (LINK_HOST, feed.name),
           "<description>Generated RSS 2.0 feed</description>\n"]
    for it in reversed(feed.items):
        out.append("<item><title>%s</title><link>%s</link>"
                   '<guid isPermaLink="false">%s</guid><pubDate>%s</pubDate>'
                   "<description>%s</description></item>\n"
                   % (escape(it.title), escape(it.link), escape(it.guid), rfc822(it.published),
                      escape(it.summary)))
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def _render_atom10(server, feed):
    updated = max((it.published for it in feed.items), default=BASE_TIME)
    out = [_xml_decl(feed), '<feed xmlns="http://www.w3.org/2005/Atom">\n',
           "<title>%s</title>\n" % escape("Feed %s" % feed.name),
           "<id>urn:feedpipe-e2e:%s:%s</id>\n" % (server.run_id, feed.name),
           "<updated>%s</updated>\n" % rfc3339(updated),
           "<link rel=\"self\" href=%s/>\n" % quoteattr(server.feed_url(feed.name)),
           "<link rel=\"alternate\" href=%s/>\n" % quoteattr("%s/%s" % (LINK_HOST, feed.name)),
           "<author><name>e2e</name></author>\n"]
    for it in reversed(feed.items):
        out.append("<entry><title>%s</title><id>urn:feedpipe-e2e:%s</id>"
                   "<link rel=\"alternate\" href=%s/><published>%s</published>"
                   "<updated>%s</updated><summary>%s</summary></entry>\n"
                   % (escape(it.title), escape(it.guid), quoteattr(it.link), rfc3339(it.published),
                      rfc3339(it.published), escape(it.summary)))
    out.append("</feed>\n")
    return "".join(out)


def _render_rss10(server, feed):
    # RSS 1.0 has no guid: an item is known by its rdf:about, which is its link.
    out = [_xml_decl(feed),
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n',
           "<channel rdf:about=%s>\n" % quoteattr(server.feed_url(feed.name)),
           "<title>%s</title>\n" % escape("Feed %s" % feed.name),
           "<link>%s/%s</link>\n" % (LINK_HOST, feed.name),
           "<description>Generated RSS 1.0 feed</description>\n<items><rdf:Seq>\n"]
    items = list(reversed(feed.items))
    for it in items:
        out.append("<rdf:li rdf:resource=%s/>\n" % quoteattr(it.link))
    out.append("</rdf:Seq></items>\n</channel>\n")
    for it in items:
        out.append("<item rdf:about=%s><title>%s</title><link>%s</link>"
                   "<description>%s</description><dc:date>%s</dc:date></item>\n"
                   % (quoteattr(it.link), escape(it.title), escape(it.link), escape(it.summary),
                      rfc3339(it.published)))
    out.append("</rdf:RDF>\n")
    return "".join(out)


def _render_json11(server, feed):
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Feed %s" % feed.name,
           "home_page_url": "%s/%s" % (LINK_HOST, feed.name),
           "feed_url": server.feed_url(feed.name),
           "items": [{"id": it.guid, "url": it.link, "title": it.title,
                      "content_text": it.summary, "date_published": rfc3339(it.published)}
                     for it in reversed(feed.items)]}
    return json.dumps(doc, ensure_ascii=False, indent=1)


RENDERERS = {"rss20": _render_rss20, "atom10": _render_atom10, "rss10": _render_rss10,
             "json11": _render_json11}


class _HTTPServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client killed mid-connection (the crash tests SIGKILL replicas) is expected.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _make_handler(server):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real feed hosts do

        def log_message(self, fmt, *args):  # quiet: the counters say what happened
            pass

        def _send(self, status, headers, body):
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and status != 304:
                self.wfile.write(body)

        def _json(self, status, obj):
            self._send(status, {"Content-Type": "application/json"},
                       json.dumps(obj, ensure_ascii=False).encode())

        def _control(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                payload = json.loads(raw) if raw else {}
                self._json(200, server.control(method, self.path.split("?")[0], payload))
            except KeyError as e:
                self._json(404, {"error": "unknown control path or feed: %s" % e})
            except (ValueError, TypeError) as e:
                self._json(400, {"error": str(e)})

        def do_GET(self):  # noqa: N802 (http.server naming)
            path = self.path.split("?")[0]
            if path.startswith("/_control/"):
                return self._control("GET")
            if path.startswith("/feeds/"):
                return self._send(*server.serve_feed(self, path[len("/feeds/"):]))
            self._send(404, {"Content-Type": "text/plain"}, b"not found\n")

        do_HEAD = do_GET

        def do_POST(self):  # noqa: N802
            if self.path.startswith("/_control/"):
                return self._control("POST")
            self._send(405, {"Content-Type": "text/plain"}, b"method not allowed\n")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--feeds", type=int, default=50)
    ap.add_argument("--items", type=int, default=3, help="initial items per feed")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    server = FeedServer(args.feeds, args.items, port=args.port, seed=args.seed).start()
    print("port %d" % server.port, flush=True)
    print("feeds %s/feeds/f000 .. f%03d; control %s/_control/stats"
          % (server.base_url, args.feeds - 1, server.base_url), file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
