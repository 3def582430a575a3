// robots.txt for article page fetches, against a local HTTP server on loopback. Time-based
// behaviour (cache lifetime, Crawl-delay) runs on an injected clock; waits have generous
// deadlines that only bound a hung test, and no assertion is about duration.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fetcher/fetcher.h"
#include "tests/integration/support/fetch_collector.h"
#include "tests/integration/support/test_http_server.h"

namespace feedpipe::fetcher {
namespace {

using namespace std::chrono_literals;
using feedpipe::testing::TestHttpServer;

using Collector = feedpipe::testing::FetchCollector;

std::vector<RobotsSource> robots_fetched(Collector& c) {
  std::vector<RobotsSource> out;
  for (const auto& f : c.events<RobotsFetched>()) out.push_back(f.source);
  return out;
}

int denied_count(Collector& c) { return static_cast<int>(c.events<ArticleRobotsDenied>().size()); }

FetchConfig test_config() {
  FetchConfig c;
  c.connect_timeout = 5s;
  c.first_byte_timeout = 10s;
  c.total_timeout = 30s;
  c.per_host_concurrency = 4;
  c.per_host_min_spacing = 0ms;
  c.user_agent = "feedpipe/0.1";
  c.contact_url = "https://example.org/bot";
  c.allow_private_networks = {"127.0.0.0/8"};  // the test server is on loopback
  return c;
}

struct Harness {
  explicit Harness(FetchConfig config = test_config()) : fetcher(config, collector, &clock) {
    fetcher.start();
  }
  ~Harness() { fetcher.stop(2s); }
  void advance(Millis d) {
    clock.advance(d);
    fetcher.wake();
  }
  void fetch(const std::string& url, std::uint64_t tag = 0) {
    FetchRequest r;
    r.url = url;
    r.tag = tag;
    fetcher.fetch_article(std::move(r));
  }
  ManualTimeSource clock;
  Collector collector;
  Fetcher fetcher;
};

// `path` is a cpp-httplib pattern (a regular expression).
void serve_page(TestHttpServer& server, const std::string& path) {
  server.server().Get(path, [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body><p>page</p></body></html>", "text/html");
  });
}

void serve_robots(TestHttpServer& server, std::string body) {
  server.server().Get("/robots.txt", [body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "text/plain");
  });
}

// Real time passing while the injected clock stands still: gives a fetcher that would
// misbehave the chance to (it can make a broken fetcher pass, never a good one fail).
void settle() { std::this_thread::sleep_for(300ms); }

void expect_robots_denied(const FetchResult& r) {
  ASSERT_TRUE(r.error.has_value()) << r.url;
  EXPECT_EQ(r.error->code, ErrorCode::kRobotsDisallowed);
  EXPECT_FALSE(r.error->retriable);  // the enrich role dead-letters it without retrying
}

TEST(FetcherRobots, DisallowedPathIsRefusedAllowedPathIsFetched) {
  TestHttpServer server;
  serve_robots(server,
               "User-agent: *\nDisallow: /\n\n"
               "User-agent: feedpipe\nDisallow: /private/\nAllow: /private/open\n");
  serve_page(server, "/news/1");
  serve_page(server, "/private/2");
  serve_page(server, "/private/open/3");
  server.start();
  Harness h;
  h.fetch(server.url("/news/1"), 1);
  h.fetch(server.url("/private/2"), 2);
  h.fetch(server.url("/private/open/3"), 3);
  ASSERT_TRUE(h.collector.wait_for(3));

  const FetchResult ok = h.collector.result_for(server.url("/news/1"));
  ASSERT_TRUE(ok.ok()) << ok.error->message;
  EXPECT_EQ(ok.http_status, 200);
  EXPECT_TRUE(h.collector.result_for(server.url("/private/open/3")).ok());
  const FetchResult denied = h.collector.result_for(server.url("/private/2"));
  expect_robots_denied(denied);
  EXPECT_EQ(denied.tag, 2u);
  EXPECT_EQ(server.count("/private/2"), 0u);
  EXPECT_EQ(server.count("/robots.txt"), 1u);
  EXPECT_EQ(denied_count(h.collector), 1);
  EXPECT_EQ(robots_fetched(h.collector), std::vector<RobotsSource>{RobotsSource::kParsed});
  for (const auto& req : server.requests()) {
    if (req.path == "/robots.txt") {
      EXPECT_EQ(req.headers.at("user-agent").rfind("feedpipe/0.1", 0), 0u);
    }
  }
}

TEST(FetcherRobots, MissingRobotsTxtAllowsEverything) {
  TestHttpServer server;  // no /robots.txt handler: 404
  serve_page(server, "/a");
  server.start();
  Harness h;
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  EXPECT_TRUE(h.collector.results()[0].ok());
  EXPECT_EQ(server.count("/a"), 1u);
  EXPECT_EQ(server.count("/robots.txt"), 1u);
  EXPECT_EQ(robots_fetched(h.collector), std::vector<RobotsSource>{RobotsSource::kUnavailable});
}

TEST(FetcherRobots, ServerErrorDisallowsUntilTheShortLifetimeEnds) {
  TestHttpServer server;
  std::atomic<bool> broken{true};
  server.server().Get("/robots.txt", [&](const httplib::Request&, httplib::Response& res) {
    if (broken) {
      res.status = 500;
      return;
    }
    res.set_content("User-agent: *\nDisallow: /private/\n", "text/plain");
  });
  serve_page(server, "/a");
  server.start();
  Harness h;
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  expect_robots_denied(h.collector.results()[0]);
  EXPECT_EQ(server.count("/a"), 0u);

  // Still inside the short lifetime: decided from the cache, no new robots.txt fetch.
  h.advance(kRobotsUnreachableTtl - 1s);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(2));
  expect_robots_denied(h.collector.results()[1]);
  EXPECT_EQ(server.count("/robots.txt"), 1u);

  broken = false;
  h.advance(2s);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(3));
  EXPECT_TRUE(h.collector.results()[2].ok());
  EXPECT_EQ(server.count("/robots.txt"), 2u);
  EXPECT_EQ(server.count("/a"), 1u);
  EXPECT_EQ(robots_fetched(h.collector),
            (std::vector<RobotsSource>{RobotsSource::kUnreachable, RobotsSource::kParsed}));
}

TEST(FetcherRobots, OneRobotsFetchServesManyConcurrentArticles) {
  TestHttpServer server;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  server.server().Get("/robots.txt", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 20s, [&] { return release; });
    res.set_content("User-agent: *\nDisallow: /odd/\n", "text/plain");
  });
  serve_page(server, R"(/even/\d+)");
  serve_page(server, R"(/odd/\d+)");
  server.start();
  Harness h;
  constexpr int kArticles = 30;
  for (int i = 0; i < kArticles; ++i) {
    h.fetch(server.url((i % 2 == 0 ? "/even/" : "/odd/") + std::to_string(i)), static_cast<std::uint64_t>(i));
  }
  while (server.count("/robots.txt") == 0) std::this_thread::sleep_for(5ms);
  settle();  // a fetcher that started a second robots.txt fetch would do it now
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(h.collector.wait_for(kArticles));
  const auto results = h.collector.results();
  ASSERT_EQ(results.size(), static_cast<size_t>(kArticles));  // each exactly once
  std::vector<int> seen(kArticles, 0);
  for (const auto& r : results) {
    ++seen.at(r.tag);
    if (r.tag % 2 == 0) {
      EXPECT_TRUE(r.ok()) << r.url;
    } else {
      expect_robots_denied(r);
    }
  }
  for (int n : seen) EXPECT_EQ(n, 1);
  EXPECT_EQ(server.count("/robots.txt"), 1u);
  EXPECT_EQ(denied_count(h.collector), kArticles / 2);

  h.fetch(server.url("/even/100"), 100);  // from the cache
  ASSERT_TRUE(h.collector.wait_for(kArticles + 1));
  EXPECT_EQ(server.count("/robots.txt"), 1u);
}

TEST(FetcherRobots, ArticlesWaitingForRobotsTxtStillGetAResultAtStop) {
  TestHttpServer server;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  server.server().Get("/robots.txt", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, 20s, [&] { return release; });
    res.status = 404;
  });
  serve_page(server, R"(/a/\d+)");
  server.start();
  {
    Harness h;
    for (int i = 0; i < 5; ++i) h.fetch(server.url("/a/" + std::to_string(i)), static_cast<std::uint64_t>(i));
    while (server.count("/robots.txt") == 0) std::this_thread::sleep_for(5ms);
    h.fetcher.stop(200ms);
    const auto results = h.collector.results();
    ASSERT_EQ(results.size(), 5u);
    for (const auto& r : results) {
      ASSERT_TRUE(r.error.has_value());
      EXPECT_EQ(r.error->code, ErrorCode::kTimeout);  // not a robots verdict: retried later
      EXPECT_TRUE(r.error->retriable);
    }
    EXPECT_EQ(server.count("/a/0"), 0u);
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
}

TEST(FetcherRobots, SwitchedOffNothingIsAskedOrRefused) {
  TestHttpServer server;
  serve_robots(server, "User-agent: *\nDisallow: /\n");
  serve_page(server, "/a");
  server.start();
  FetchConfig config = test_config();
  config.respect_robots_txt = false;
  Harness h(config);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  EXPECT_TRUE(h.collector.results()[0].ok());
  EXPECT_EQ(server.count("/robots.txt"), 0u);
  EXPECT_TRUE(robots_fetched(h.collector).empty());
}

TEST(FetcherRobots, RedirectedRobotsTxtIsFollowed) {
  TestHttpServer server;
  server.server().Get("/robots.txt", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/moved/robots.txt", 301);
  });
  server.server().Get("/moved/robots.txt", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("User-agent: *\nDisallow: /x\n", "text/plain");
  });
  serve_page(server, "/x");
  server.start();
  Harness h;
  h.fetch(server.url("/x"));
  ASSERT_TRUE(h.collector.wait_for(1));
  expect_robots_denied(h.collector.results()[0]);
  EXPECT_EQ(server.count("/moved/robots.txt"), 1u);
  EXPECT_EQ(server.count("/x"), 0u);
}

TEST(FetcherRobots, EndlessRedirectsCountAsNoRobotsTxt) {
  TestHttpServer server;
  server.server().Get("/robots.txt", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/robots.txt", 302);
  });
  serve_page(server, "/x");
  server.start();
  Harness h;
  h.fetch(server.url("/x"));
  ASSERT_TRUE(h.collector.wait_for(1));
  EXPECT_TRUE(h.collector.results()[0].ok());
  EXPECT_EQ(server.count("/robots.txt"), static_cast<size_t>(kRobotsMaxRedirects + 1));
  EXPECT_EQ(robots_fetched(h.collector), std::vector<RobotsSource>{RobotsSource::kUnavailable});
}

TEST(FetcherRobots, CrawlDelaySpacesArticleFetches) {
  TestHttpServer server;
  serve_robots(server, "User-agent: *\nCrawl-delay: 30\n");
  serve_page(server, R"(/a/\d+)");
  server.start();
  Harness h;
  h.fetch(server.url("/a/1"), 1);
  h.fetch(server.url("/a/2"), 2);
  while (server.count("/robots.txt") == 0) std::this_thread::sleep_for(5ms);
  settle();
  // The robots.txt request counts as the host's previous request.
  EXPECT_TRUE(h.collector.results().empty());
  h.advance(30s);
  ASSERT_TRUE(h.collector.wait_for(1));
  settle();
  EXPECT_EQ(h.collector.results().size(), 1u);
  h.advance(29s);
  settle();
  EXPECT_EQ(h.collector.results().size(), 1u);  // the second waits for the crawl delay
  h.advance(2s);
  ASSERT_TRUE(h.collector.wait_for(2));
  for (const auto& r : h.collector.results()) EXPECT_TRUE(r.ok());
}

TEST(FetcherRobots, CachedForMaxAgeWhenShorterThanADay) {
  TestHttpServer server;
  server.server().Get("/robots.txt", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=120");
    res.set_content("User-agent: *\nDisallow: /x\n", "text/plain");
  });
  serve_page(server, "/a");
  server.start();
  Harness h;
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  h.advance(119s);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(2));
  EXPECT_EQ(server.count("/robots.txt"), 1u);
  h.advance(2s);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(3));
  EXPECT_EQ(server.count("/robots.txt"), 2u);
  EXPECT_EQ(server.count("/a"), 3u);
}

TEST(FetcherRobots, CachedForADayAtMost) {
  TestHttpServer server;
  server.server().Get("/robots.txt", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=604800");  // a week: still refreshed daily
    res.set_content("User-agent: *\nDisallow: /x\n", "text/plain");
  });
  serve_page(server, "/a");
  server.start();
  Harness h;
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  h.advance(24h - 1s);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(2));
  EXPECT_EQ(server.count("/robots.txt"), 1u);
  h.advance(2s);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(3));
  EXPECT_EQ(server.count("/robots.txt"), 2u);
}

TEST(FetcherRobots, ThrottledRobotsTxtHonoursRetryAfter) {
  TestHttpServer server;
  server.server().Get("/robots.txt", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_header("Retry-After", "3600");
  });
  serve_page(server, "/a");
  server.start();
  Harness h;
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  expect_robots_denied(h.collector.results()[0]);
  // Past the usual retry of an unreachable robots.txt, still inside the Retry-After.
  h.advance(kRobotsUnreachableTtl + 1min);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(2));
  expect_robots_denied(h.collector.results()[1]);
  EXPECT_EQ(server.count("/robots.txt"), 1u);
  EXPECT_EQ(server.count("/a"), 0u);
}

TEST(FetcherRobots, RobotsTxtFetchMeetsTheAddressGuard) {
  TestHttpServer server;
  serve_robots(server, "User-agent: *\nDisallow:\n");
  serve_page(server, "/a");
  server.start();
  FetchConfig config = test_config();
  config.allow_private_networks.clear();
  Harness h(config);
  h.fetch(server.url("/a"));
  ASSERT_TRUE(h.collector.wait_for(1));
  const FetchResult r = h.collector.results()[0];
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, ErrorCode::kBlockedAddress);  // the article's own guard says so
  EXPECT_EQ(server.count("/robots.txt"), 0u);
  EXPECT_EQ(server.count("/a"), 0u);
}

void redirect(TestHttpServer& server, const std::string& path, const std::string& to) {
  server.server().Get(path, [to](const httplib::Request&, httplib::Response& res) {
    res.set_redirect(to, 302);
  });
}

// Starts `a`, whose robots.txt allows everything and whose /a redirects to b's /b, and `b`,
// which serves /b under `b_robots`.
void start_cross_origin_redirect(TestHttpServer& a, TestHttpServer& b, const std::string& b_robots) {
  serve_robots(a, "User-agent: *\nDisallow:\n");
  serve_robots(b, b_robots);
  serve_page(b, "/b");
  b.start();
  redirect(a, "/a", b.url("/b"));
  a.start();
}

// A redirect is a page fetch of its own: the target origin's robots.txt decides it.
TEST(FetcherRobots, RedirectToADisallowedPageOfAnotherOriginIsRefused) {
  TestHttpServer a, b;
  start_cross_origin_redirect(a, b, "User-agent: *\nDisallow: /b\n");
  Harness h;
  h.fetch(a.url("/a"), 7);
  ASSERT_TRUE(h.collector.wait_for(1));
  const FetchResult r = h.collector.results()[0];
  expect_robots_denied(r);
  EXPECT_EQ(r.url, a.url("/a")) << "the result names the page that was asked for";
  EXPECT_EQ(r.final_url, b.url("/b"));
  EXPECT_EQ(r.tag, 7u);
  EXPECT_EQ(a.count("/a"), 1u);
  EXPECT_EQ(b.count("/robots.txt"), 1u);
  EXPECT_EQ(b.count("/b"), 0u);
  EXPECT_EQ(denied_count(h.collector), 1);
}

TEST(FetcherRobots, RedirectWithinTheOriginMeetsItsRobotsTxt) {
  TestHttpServer server;
  serve_robots(server, "User-agent: *\nDisallow: /private/\n");
  serve_page(server, "/private/x");
  serve_page(server, "/open/y");
  server.start();
  redirect(server, "/a", "/private/x");
  redirect(server, "/b", "/open/y");
  Harness h;
  h.fetch(server.url("/a"), 1);
  h.fetch(server.url("/b"), 2);
  ASSERT_TRUE(h.collector.wait_for(2));
  expect_robots_denied(h.collector.result_for(server.url("/a")));
  const FetchResult ok = h.collector.result_for(server.url("/b"));
  ASSERT_TRUE(ok.ok()) << ok.error->message;
  EXPECT_EQ(ok.final_url, server.url("/open/y"));
  EXPECT_EQ(server.count("/private/x"), 0u);
  EXPECT_EQ(server.count("/open/y"), 1u);
  EXPECT_EQ(server.count("/robots.txt"), 1u);
}

TEST(FetcherRobots, RedirectToAnAllowedOriginIsFollowed) {
  TestHttpServer a, b;
  start_cross_origin_redirect(a, b, "User-agent: *\nDisallow: /private/\n");
  Harness h;
  h.fetch(a.url("/a"), 3);
  ASSERT_TRUE(h.collector.wait_for(1));
  const FetchResult r = h.collector.results()[0];
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.url, a.url("/a"));
  EXPECT_EQ(r.final_url, b.url("/b"));
  EXPECT_EQ(r.tag, 3u);
  EXPECT_NE(r.body.find("page"), std::string::npos);
  EXPECT_EQ(b.count("/robots.txt"), 1u);
  EXPECT_EQ(b.count("/b"), 1u);
  const auto done = h.collector.events<FetchDone>();
  ASSERT_EQ(done.size(), 1u) << "one fetch, however many hops";
  EXPECT_EQ(done[0].redirects, 1);
}

TEST(FetcherRobots, OversizedRobotsTxtIsParsedUpToTheCap) {
  TestHttpServer server;
  std::string body = "User-agent: *\nDisallow: /early\n";
  while (body.size() < kRobotsMaxBytes + 100000) body += "# padding padding padding padding\n";
  body += "Disallow: /late\n";
  server.server().Get("/robots.txt", [body](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "text/plain");
  });
  serve_page(server, "/early");
  serve_page(server, "/late");
  server.start();
  Harness h;
  h.fetch(server.url("/early"));
  h.fetch(server.url("/late"));
  ASSERT_TRUE(h.collector.wait_for(2));
  expect_robots_denied(h.collector.result_for(server.url("/early")));
  EXPECT_TRUE(h.collector.result_for(server.url("/late")).ok());
  EXPECT_EQ(robots_fetched(h.collector), std::vector<RobotsSource>{RobotsSource::kParsed});
}

}  // namespace
}  // namespace feedpipe::fetcher
