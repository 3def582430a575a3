// The fetcher against a local HTTP server on loopback. Scheduling runs on an injected clock:
// a test makes feeds due by advancing it, so nothing here depends on how fast the machine is.
// Waits have generous deadlines that only bound a hung test; no assertion is about duration.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fetcher/fetcher.h"
#include "tests/integration/support/test_http_server.h"

namespace feedpipe::fetcher {
namespace {

using namespace std::chrono_literals;
using feedpipe::testing::TestHttpServer;

class Collector : public Listener {
 public:
  void on_result(FetchResult&& r) override {
    std::lock_guard lock(mu_);
    results_.push_back(std::move(r));
    cv_.notify_all();
  }
  void on_event(const FetchEvent& e) override {
    std::lock_guard lock(mu_);
    if (auto* t = std::get_if<HostThrottled>(&e)) throttles_.push_back(*t);
    if (auto* d = std::get_if<FetchDone>(&e)) done_.push_back(*d);
    if (auto* s = std::get_if<FeedStateChanged>(&e)) changes_.push_back(s->to);
  }
  // Blocks until `n` results arrived; false only if the deadline (a hang guard) passed.
  bool wait_for(size_t n, std::chrono::seconds deadline = 20s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return results_.size() >= n; });
  }
  std::vector<FetchResult> results() {
    std::lock_guard lock(mu_);
    return results_;
  }
  FetchResult result(size_t i) {
    std::lock_guard lock(mu_);
    return results_.at(i);
  }
  std::vector<HostThrottled> throttles() {
    std::lock_guard lock(mu_);
    return throttles_;
  }
  std::vector<FetchDone> done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  std::vector<FeedHealth> changes() {
    std::lock_guard lock(mu_);
    return changes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FetchResult> results_;
  std::vector<HostThrottled> throttles_;
  std::vector<FetchDone> done_;
  std::vector<FeedHealth> changes_;
};

FetchConfig test_config() {
  FetchConfig c;
  c.connect_timeout = 5s;
  c.first_byte_timeout = 10s;
  c.total_timeout = 30s;
  c.per_host_concurrency = 2;
  c.per_host_min_spacing = 0ms;
  c.backoff_base = 10s;
  c.backoff_max = 80s;
  c.min_interval = 1s;
  c.max_interval = 24h;
  c.contact_url = "https://example.org/bot";
  return c;
}

FeedSpec feed(const std::string& url, Millis interval = 1min) {
  FeedSpec s;
  s.url = url;
  s.group = "test";
  s.interval = interval;
  return s;
}

struct Harness {
  explicit Harness(FetchConfig config = test_config()) : fetcher(config, collector, &clock) {}
  ~Harness() { fetcher.stop(2s); }
  // Moves the clock past every first-poll spread and lets the fetch thread see it.
  void advance(Millis d) {
    clock.advance(d);
    fetcher.wake();
  }
  ManualTimeSource clock;
  Collector collector;
  Fetcher fetcher;
};

// Real time passing while the injected clock stands still; used only to give a fetcher that
// would misbehave the chance to do so (it can make a broken fetcher pass, never a good one fail).
void settle() { std::this_thread::sleep_for(300ms); }

TEST(FetcherHttp, ConditionalGetSendsBothValidatorsAndTreats304AsSuccess) {
  TestHttpServer server;
  const std::string lm = "Wed, 21 Oct 2015 07:28:00 GMT";
  server.server().Get("/feed", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string inm = req.get_header_value("If-None-Match");
    if (inm == "\"v1\"" || inm == "\"v2\"") {
      res.status = 304;
      res.set_header("ETag", "\"v2\"");  // a 304 may carry a refreshed validator
      return;
    }
    res.set_header("ETag", "\"v1\"");
    res.set_header("Last-Modified", lm);
    res.set_header("Content-Encoding", "gzip");
    res.set_content(feedpipe::testing::gzip_string("<rss>hello</rss>"), "application/rss+xml");
  });
  server.start();
  Harness h;
  h.fetcher.upsert_feed(feed(server.url("/feed")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1));
  FetchResult first = h.collector.result(0);
  ASSERT_TRUE(first.ok()) << first.error->message;
  EXPECT_EQ(first.http_status, 200);
  EXPECT_EQ(first.body, "<rss>hello</rss>");  // gzip decoded
  EXPECT_EQ(first.validators.etag, "\"v1\"");
  EXPECT_EQ(first.validators.last_modified, lm);

  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(2));
  FetchResult second = h.collector.result(1);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second.not_modified);
  EXPECT_EQ(second.http_status, 304);
  EXPECT_EQ(second.validators.etag, "\"v2\"");
  EXPECT_EQ(second.validators.last_modified, lm);  // kept: the 304 omitted it

  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(3));
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].headers.count("if-none-match"), 0u);
  EXPECT_EQ(seen[1].headers["if-none-match"], "\"v1\"");
  EXPECT_EQ(seen[1].headers["if-modified-since"], lm);
  EXPECT_EQ(seen[2].headers["if-none-match"], "\"v2\"");
  EXPECT_EQ(seen[2].headers["if-modified-since"], lm);
  const std::string ae = seen[0].headers["accept-encoding"];
  for (const char* enc : {"gzip", "deflate", "br", "zstd"}) EXPECT_NE(ae.find(enc), std::string::npos) << enc;
  EXPECT_NE(seen[0].headers["user-agent"].find("(+https://example.org/bot)"), std::string::npos);

  auto st = h.fetcher.status(0, 10);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].last_result, "not_modified");
  EXPECT_EQ(st[0].error_count, 0);
}

TEST(FetcherHttp, RateLimitStormBlocksTheWholeHostUntilRetryAfter) {
  TestHttpServer server;
  std::atomic<bool> limited{true};
  server.server().Get(R"(/f\d+)", [&](const httplib::Request&, httplib::Response& res) {
    if (limited) {
      res.status = 429;
      res.set_header("Retry-After", "120");
      return;
    }
    res.set_content("<rss/>", "application/rss+xml");
  });
  server.start();
  FetchConfig c = test_config();
  c.backoff_max = 1h;  // Retry-After is honoured up to the backoff ceiling
  Harness h(c);  // per-host concurrency 2, no spacing
  for (int i = 0; i < 10; ++i) h.fetcher.upsert_feed(feed(server.url("/f" + std::to_string(i))));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1));
  settle();
  // Only what was already on its way when the first 429 arrived: the second request starts
  // once the first has been sent, so it may or may not have gone out before the answer came.
  const std::size_t before_block = server.total();
  ASSERT_GE(before_block, 1u);
  EXPECT_LE(before_block, 2u);
  ASSERT_EQ(h.collector.results().size(), before_block);
  for (const auto& r : h.collector.results()) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error->code, ErrorCode::kRateLimited);
    ASSERT_TRUE(r.retry_after.has_value());
    EXPECT_EQ(*r.retry_after, 120s);
  }
  auto throttles = h.collector.throttles();
  ASSERT_FALSE(throttles.empty());
  EXPECT_TRUE(throttles[0].from_retry_after);
  EXPECT_EQ(throttles[0].blocked_for, 120s);

  h.advance(60s);  // still inside Retry-After
  settle();
  EXPECT_EQ(server.total(), before_block);

  limited = false;
  h.advance(61s);
  // Every feed once more: those that waited for the host to open again, and those that got
  // the 429 (due again 120 s after it).
  ASSERT_TRUE(h.collector.wait_for(before_block + 10));
  settle();
  EXPECT_EQ(server.total(), before_block + 10);
}

TEST(FetcherHttp, ArticlesWaitingForAThrottledHostStillGetAResultAtStop) {
  TestHttpServer server;
  server.server().Get("/f", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "3600");
  });
  server.start();
  FetchConfig c = test_config();
  c.backoff_max = 2h;
  c.allow_private_networks = {"127.0.0.0/8"};
  Harness h(c);
  h.fetcher.upsert_feed(feed(server.url("/f")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1));
  FetchRequest a;
  a.url = server.url("/article");
  a.tag = 42;
  h.fetcher.fetch_article(a);
  settle();
  EXPECT_EQ(server.count("/article"), 0u);  // the host is blocked for an hour
  h.fetcher.stop(100ms);
  ASSERT_TRUE(h.collector.wait_for(2, 1s));
  FetchResult r = h.collector.result(1);
  EXPECT_EQ(r.tag, 42u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ErrorCode::kTimeout);
}

TEST(FetcherHttp, ServiceUnavailableHonoursRetryAfterAsHttpDate) {
  TestHttpServer server;
  server.server().Get("/f", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_header("Date", "Wed, 21 Oct 2015 07:28:00 GMT");
    res.set_header("Retry-After", "Wed, 21 Oct 2015 07:38:00 GMT");  // 10 minutes after Date
  });
  server.start();
  FetchConfig c = test_config();
  c.backoff_max = 1h;
  Harness h(c);
  h.fetcher.upsert_feed(feed(server.url("/f")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1));
  FetchResult r = h.collector.result(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ErrorCode::kHttpStatus);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, 10min);
  auto snap = h.fetcher.snapshot(server.url("/f"));
  ASSERT_TRUE(snap.has_value());
  EXPECT_GE(Clock::time_point(Millis(snap->next_due_unix_ms)), h.clock.now() + 10min - 1s);
}

TEST(FetcherHttp, PermanentRedirectMovesTheFeedTemporaryDoesNot) {
  TestHttpServer server;
  server.server().Get("/old301", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", "/new");
  });
  server.server().Get("/old302", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", "/new");
  });
  server.server().Get("/loop", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 301;
    res.set_header("Location", "/loop");
  });
  server.server().Get("/new", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("<rss/>", "application/rss+xml");
  });
  server.start();
  Harness h;
  h.fetcher.upsert_feed(feed(server.url("/old301")));
  h.fetcher.upsert_feed(feed(server.url("/old302")));
  h.fetcher.upsert_feed(feed(server.url("/loop")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(3));
  for (const auto& r : h.collector.results()) {
    if (r.url == server.url("/old301")) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.permanent_url, server.url("/new"));
      EXPECT_EQ(r.final_url, server.url("/new"));
    } else if (r.url == server.url("/old302")) {
      ASSERT_TRUE(r.ok());
      EXPECT_TRUE(r.permanent_url.empty());
      EXPECT_EQ(r.final_url, server.url("/new"));
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error->code, ErrorCode::kRedirect);
      EXPECT_TRUE(r.permanent_url.empty());
    }
  }
  EXPECT_EQ(server.count("/loop"), 6u);  // the request and five redirects followed
  EXPECT_EQ(h.fetcher.snapshot(server.url("/old301"))->moved_to, server.url("/new"));
  EXPECT_TRUE(h.fetcher.snapshot(server.url("/old302"))->moved_to.empty());

  h.advance(2min);
  ASSERT_TRUE(h.collector.wait_for(6));
  EXPECT_EQ(server.count("/old301"), 1u);  // later polls go straight to the new URL
  EXPECT_EQ(server.count("/old302"), 2u);
}

TEST(FetcherHttp, SlowBodyIsAbortedByTheLowSpeedLimit) {
  TestHttpServer server;
  server.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/rss+xml", [&](size_t, httplib::DataSink& sink) {
      if (server.stopping()) return false;
      sink.write("<", 1);
      std::this_thread::sleep_for(200ms);
      return true;
    });
  });
  server.start();
  FetchConfig c = test_config();
  c.low_speed_bytes_per_second = 1000;
  c.low_speed_time = 1s;
  Harness h(c);
  h.fetcher.upsert_feed(feed(server.url("/slow")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1, 60s));
  FetchResult r = h.collector.result(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ErrorCode::kTimeout);
  EXPECT_NE(r.error->message.find("too slow"), std::string::npos) << r.error->message;
}

TEST(FetcherHttp, NoFirstByteWithinTheLimitIsATimeout) {
  TestHttpServer server;
  server.server().Get("/mute", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 50 && !server.stopping(); ++i) std::this_thread::sleep_for(100ms);
    res.set_content("late", "text/plain");
  });
  server.start();
  FetchConfig c = test_config();
  c.first_byte_timeout = 300ms;
  Harness h(c);
  h.fetcher.upsert_feed(feed(server.url("/mute")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1));
  FetchResult r = h.collector.result(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ErrorCode::kTimeout);
  EXPECT_NE(r.error->message.find("first_byte"), std::string::npos);
}

TEST(FetcherHttp, ConnectionResetBacksOffAndNeverDropsTheFeed) {
  feedpipe::testing::ResettingServer server;
  Harness h;  // backoff 10s doubling to 80s
  const std::string url = server.url("/feed");
  h.fetcher.upsert_feed(feed(url));
  h.fetcher.start();
  h.advance(1min);
  for (size_t n = 1; n <= 8; ++n) {
    ASSERT_TRUE(h.collector.wait_for(n));
    FetchResult r = h.collector.result(n - 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error->code, ErrorCode::kConnect) << r.error->message;
    auto st = h.fetcher.status(0, 1).at(0);
    EXPECT_EQ(st.error_count, static_cast<int>(n));
    // Full jitter: somewhere in [min_interval, min(base * 2^(n-1), max)] after this attempt.
    const Millis cap = std::min<Millis>(10s * (1 << (n - 1)), 80s);
    EXPECT_GE(st.next_due, st.last_attempt + 1s);
    EXPECT_LE(st.next_due, st.last_attempt + cap);
    EXPECT_EQ(st.health, n >= 4 ? FeedHealth::kFailing : FeedHealth::kBackoff);
    h.advance(80s);  // the ceiling: the feed is always due again by then
  }
  EXPECT_EQ(h.fetcher.feed_count(), 1u);
  auto changes = h.collector.changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0], FeedHealth::kBackoff);
  EXPECT_EQ(changes[1], FeedHealth::kFailing);
}

TEST(FetcherHttp, BodiesOverTheCapsAreRefused) {
  TestHttpServer server;
  const std::string big(2 << 20, 'x');
  const std::string bomb = feedpipe::testing::gzip_zeros(64u << 20);
  server.server().Get("/big", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/rss+xml");  // with Content-Length
  });
  server.server().Get("/big-chunked", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/rss+xml", [&](size_t offset, httplib::DataSink& sink) {
      if (offset >= big.size() || server.stopping()) {
        sink.done();
        return true;
      }
      sink.write(big.data() + offset, 64 << 10);
      return true;
    });
  });
  server.server().Get("/bomb", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(bomb, "application/rss+xml");
  });
  server.server().Get("/headers", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 64; ++i) res.set_header("X-Filler-" + std::to_string(i), std::string(1000, 'h'));
    res.set_content("<rss/>", "application/rss+xml");
  });
  server.start();
  ASSERT_LT(bomb.size(), 1u << 20);  // the bomb passes the wire cap; only decoding reveals it
  FetchConfig c = test_config();
  c.max_body_bytes = 1 << 20;
  c.max_decoded_bytes = 1 << 20;
  c.max_header_bytes = 16 << 10;
  c.per_host_concurrency = 4;
  Harness h(c);
  for (const char* p : {"/big", "/big-chunked", "/bomb", "/headers"}) h.fetcher.upsert_feed(feed(server.url(p)));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(4));
  for (const auto& r : h.collector.results()) {
    ASSERT_FALSE(r.ok()) << r.url;
    EXPECT_EQ(r.error->code, ErrorCode::kTooLarge) << r.url << ": " << r.error->message;
    EXPECT_TRUE(r.body.empty());
    if (r.url == server.url("/bomb")) {
      EXPECT_NE(r.error->message.find("decoded"), std::string::npos);
    }
    if (r.url == server.url("/headers")) {
      EXPECT_NE(r.error->message.find("header"), std::string::npos);
    }
  }
  for (const auto& d : h.collector.done()) {
    EXPECT_LE(d.decoded_bytes, (1 << 20) + (64 << 10));  // stopped right after passing the cap
    EXPECT_LE(d.wire_bytes, (1 << 20) + (256 << 10));
  }
}

TEST(FetcherHttp, ArticleFetchesRefusePrivateAddressesEvenOnAReusedConnection) {
  TestHttpServer server;
  server.server().Get(R"(/.*)", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html>page</html>", "text/html");
  });
  server.start();
  Harness h;
  // A feed on the same host first: its (unguarded) keep-alive connection must not carry the
  // article fetch past the guard.
  h.fetcher.upsert_feed(feed(server.url("/feed")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(1));
  ASSERT_TRUE(h.collector.result(0).ok());

  FetchRequest a;
  a.url = server.url("/article");
  a.tag = 7;
  h.fetcher.fetch_article(a);
  FetchRequest b;
  b.url = "http://localhost:" + std::to_string(server.port()) + "/by-name";
  b.tag = 8;
  h.fetcher.fetch_article(b);
  ASSERT_TRUE(h.collector.wait_for(3));
  for (size_t i = 1; i < 3; ++i) {
    FetchResult r = h.collector.result(i);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error->code, ErrorCode::kBlockedAddress) << r.error->message;
    EXPECT_TRUE(r.tag == 7 || r.tag == 8);
  }
  EXPECT_EQ(server.count("/article"), 0u);
  EXPECT_EQ(server.count("/by-name"), 0u);
}

TEST(FetcherHttp, ArticleFetchesReachNetworksTheOperatorAllowed) {
  TestHttpServer server;
  server.server().Get("/article", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html>page</html>", "text/html");
  });
  server.start();
  FetchConfig c = test_config();
  c.allow_private_networks = {"127.0.0.0/8"};
  Harness h(c);
  h.fetcher.start();
  FetchRequest a;
  a.url = server.url("/article");
  h.fetcher.fetch_article(a);
  ASSERT_TRUE(h.collector.wait_for(1));
  FetchResult r = h.collector.result(0);
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.body, "<html>page</html>");
  EXPECT_EQ(server.count("/article"), 1u);
}

TEST(FetcherHttp, PerHostConcurrencyIsNeverExceeded) {
  TestHttpServer one("127.0.0.1");
  TestHttpServer two("127.0.0.2");
  for (TestHttpServer* s : {&one, &two}) {
    s->server().Get(R"(/f\d+)", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(100ms);  // long enough for requests to overlap if allowed
      res.set_content("<rss/>", "application/rss+xml");
    });
    s->start();
  }
  Harness h;  // per_host_concurrency 2
  for (int i = 0; i < 12; ++i) {
    h.fetcher.upsert_feed(feed(one.url("/f" + std::to_string(i))));
    h.fetcher.upsert_feed(feed(two.url("/f" + std::to_string(i))));
  }
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(24));
  EXPECT_EQ(one.total(), 12u);
  EXPECT_EQ(two.total(), 12u);
  EXPECT_LE(one.max_active(), 2);
  EXPECT_LE(two.max_active(), 2);
}

TEST(FetcherHttp, PerHostMinimumSpacingHoldsBackTheNextRequest) {
  TestHttpServer server;
  server.server().Get(R"(/f\d+)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<rss/>", "application/rss+xml");
  });
  server.start();
  FetchConfig c = test_config();
  c.per_host_min_spacing = 10min;
  Harness h(c);
  for (int i = 0; i < 3; ++i) h.fetcher.upsert_feed(feed(server.url("/f" + std::to_string(i)), 1h));
  h.fetcher.start();
  h.advance(1h);
  ASSERT_TRUE(h.collector.wait_for(1));
  settle();
  EXPECT_EQ(server.total(), 1u);
  h.advance(10min);
  ASSERT_TRUE(h.collector.wait_for(2));
  settle();
  EXPECT_EQ(server.total(), 2u);
  h.advance(10min);
  ASSERT_TRUE(h.collector.wait_for(3));
  EXPECT_EQ(server.total(), 3u);
}

TEST(FetcherHttp, HintsAndCacheHeadersSetTheInterval) {
  TestHttpServer server;
  server.server().Get("/cached", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "public, max-age=7200");
    res.set_content("<rss/>", "application/rss+xml");
  });
  server.server().Get("/ttl", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<rss/>", "application/rss+xml");
  });
  server.start();
  Harness h;
  h.fetcher.upsert_feed(feed(server.url("/cached")));
  h.fetcher.upsert_feed(feed(server.url("/ttl")));
  h.fetcher.start();
  h.advance(1min);
  ASSERT_TRUE(h.collector.wait_for(2));
  for (const auto& st : h.fetcher.status(0, 10)) {
    if (st.url == server.url("/cached")) {
      EXPECT_EQ(st.interval, 2h);
      EXPECT_EQ(st.next_due, st.last_attempt + 2h);
    } else {
      EXPECT_EQ(st.interval, 1min);
    }
  }
  PollHints hints;
  hints.ttl = 3h;
  EXPECT_EQ(h.fetcher.report(server.url("/ttl"), hints), 3h);
  auto snap = h.fetcher.snapshot(server.url("/ttl"));
  const auto st = h.fetcher.status(0, 10);
  const auto& ttl_status = st[0].url == server.url("/ttl") ? st[0] : st[1];
  EXPECT_EQ(Clock::time_point(Millis(snap->next_due_unix_ms)), ttl_status.last_attempt + 3h);
  EXPECT_EQ(h.fetcher.report("http://unknown.example/", hints), 0ms);
}

TEST(FetcherHttp, StopAbortsWhatIsStillInFlightAndDeliversIt) {
  TestHttpServer server;
  server.server().Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 100 && !server.stopping(); ++i) std::this_thread::sleep_for(50ms);
    res.set_content("late", "text/plain");
  });
  server.start();
  Harness h;
  h.fetcher.upsert_feed(feed(server.url("/hang")));
  h.fetcher.start();
  h.advance(1min);
  while (server.total() == 0) std::this_thread::sleep_for(10ms);
  h.fetcher.stop(100ms);
  ASSERT_TRUE(h.collector.wait_for(1, 1s));  // delivered before stop() returned
  FetchResult r = h.collector.result(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->code, ErrorCode::kTimeout);
}

}  // namespace
}  // namespace feedpipe::fetcher
