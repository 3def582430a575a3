// robots.txt parsing and matching (RFC 9309), the outcome of a robots.txt fetch, and the
// bounded per-origin cache. Fixtures are written here for the purpose.

#include <gtest/gtest.h>

#include <string>

#include "fetcher/robots.h"

namespace feedpipe::fetcher {
namespace {

using namespace std::chrono_literals;

RobotsRules rules(std::string_view body) { return RobotsRules::parse(body, "feedpipe"); }

TEST(FetcherRobots, ProductTokenIsTheUserAgentsFirstWordLowerCased) {
  EXPECT_EQ(robots_product_token("feedpipe/0.1"), "feedpipe");
  EXPECT_EQ(robots_product_token("FeedPipe/2.0 (+https://example.org/bot)"), "feedpipe");
  EXPECT_EQ(robots_product_token("  my-reader_x 1.0"), "my-reader_x");
}

TEST(FetcherRobots, OurGroupWinsOverTheStarGroup) {
  const auto r = rules(
      "User-agent: *\n"
      "Disallow: /\n"
      "\n"
      "User-agent: FeedPipe\n"
      "Disallow: /private/\n");
  EXPECT_TRUE(r.allowed("/news/1"));
  EXPECT_FALSE(r.allowed("/private/x"));
}

TEST(FetcherRobots, StarGroupAppliesWhenNoGroupNamesUs) {
  const auto r = rules(
      "User-agent: otherbot\n"
      "Disallow: /\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /tmp/\n");
  EXPECT_TRUE(r.allowed("/news/1"));
  EXPECT_FALSE(r.allowed("/tmp/a"));
}

TEST(FetcherRobots, AgentValueWithVersionStillMatchesTheToken) {
  const auto r = rules("User-agent: feedpipe/1.0\nDisallow: /x\n");
  EXPECT_FALSE(r.allowed("/x"));
  const auto other = rules("User-agent: feedpipes\nDisallow: /x\n");
  EXPECT_TRUE(other.allowed("/x"));  // a longer token is another crawler
}

TEST(FetcherRobots, GroupsForTheSameAgentAreMerged) {
  const auto r = rules(
      "User-agent: feedpipe\n"
      "Disallow: /a/\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /b/\n"
      "\n"
      "User-agent: feedpipe\n"
      "Disallow: /c/\n");
  EXPECT_FALSE(r.allowed("/a/1"));
  EXPECT_TRUE(r.allowed("/b/1"));  // the * group does not apply once one names us
  EXPECT_FALSE(r.allowed("/c/1"));
}

TEST(FetcherRobots, ConsecutiveAgentLinesShareOneGroup) {
  const auto r = rules(
      "User-agent: otherbot\n"
      "User-agent: feedpipe\n"
      "Disallow: /shared/\n"
      "User-agent: thirdbot\n"
      "Disallow: /third/\n");
  EXPECT_FALSE(r.allowed("/shared/1"));
  EXPECT_TRUE(r.allowed("/third/1"));  // a user-agent after a rule starts a new group
}

TEST(FetcherRobots, LongestMatchWinsAndAllowWinsTies) {
  const auto r = rules(
      "User-agent: *\n"
      "Disallow: /folder/\n"
      "Allow: /folder/page\n"
      "Disallow: /folder/page/deeper\n"
      "Disallow: /same\n"
      "Allow: /same\n"
      "Allow: /tie-other-order\n"
      "Disallow: /tie-other-order\n");
  EXPECT_FALSE(r.allowed("/folder/other"));
  EXPECT_TRUE(r.allowed("/folder/page.html"));
  EXPECT_FALSE(r.allowed("/folder/page/deeper/x"));
  EXPECT_TRUE(r.allowed("/same/thing"));
  EXPECT_TRUE(r.allowed("/tie-other-order"));
  EXPECT_TRUE(r.allowed("/elsewhere"));
}

TEST(FetcherRobots, WildcardsAndEndAnchor) {
  const auto r = rules(
      "User-agent: *\n"
      "Disallow: /*.pdf$\n"
      "Disallow: /private*/secret\n"
      "Disallow: /exact$\n"
      "Allow: /*.pdf?inline\n");
  EXPECT_FALSE(r.allowed("/docs/a.pdf"));
  EXPECT_TRUE(r.allowed("/docs/a.pdf.html"));  // $ anchors the end
  EXPECT_TRUE(r.allowed("/docs/a.pdf?inline=1"));
  EXPECT_FALSE(r.allowed("/private-area/x/secret/file"));
  EXPECT_TRUE(r.allowed("/private-area/x/public"));
  EXPECT_FALSE(r.allowed("/exact"));
  EXPECT_TRUE(r.allowed("/exact/more"));
}

TEST(FetcherRobots, WildcardBacktracksOverRepeatedText) {
  const auto r = rules("User-agent: *\nDisallow: /*ab*abc$\n");
  EXPECT_FALSE(r.allowed("/xxabababc"));
  EXPECT_TRUE(r.allowed("/xxabababcd"));
}

TEST(FetcherRobots, EmptyDisallowAllowsEverything) {
  const auto r = rules("User-agent: *\nDisallow:\n");
  EXPECT_TRUE(r.allowed("/anything"));
  EXPECT_EQ(r.rule_count(), 0u);
}

TEST(FetcherRobots, RobotsTxtItselfIsAlwaysAllowed) {
  const auto r = rules("User-agent: *\nDisallow: /\n");
  EXPECT_FALSE(r.allowed("/"));
  EXPECT_TRUE(r.allowed("/robots.txt"));
  EXPECT_FALSE(RobotsRules::disallow_all().allowed("/a"));
  EXPECT_TRUE(RobotsRules::disallow_all().allowed("/robots.txt"));
  EXPECT_TRUE(RobotsRules::allow_all().allowed("/a"));
}

TEST(FetcherRobots, PercentEncodingIsNormalisedOnBothSides) {
  // %7E is '~' (unreserved: decoded); %2f stays escaped (reserved) but is upper-cased;
  // non-ASCII octets in the file are compared in their escaped form.
  const auto r = rules(
      "User-agent: *\n"
      "Disallow: /%7Euser/\n"
      "Disallow: /a%2fb\n"
      "Disallow: /caf\xC3\xA9/\n");
  EXPECT_FALSE(r.allowed("/~user/page"));
  EXPECT_FALSE(r.allowed("/%7euser/page"));
  EXPECT_FALSE(r.allowed("/a%2Fb"));
  EXPECT_TRUE(r.allowed("/a/b"));  // an encoded slash is not a path separator
  EXPECT_FALSE(r.allowed("/caf%C3%A9/menu"));
  EXPECT_FALSE(r.allowed("/caf%c3%a9/menu"));
  EXPECT_EQ(robots_normalize("/%41%2f%zz\xff"), "/A%2F%zz%FF");
}

TEST(FetcherRobots, BomCrlfCommentsAndCaseOfKeys) {
  const auto r = rules(
      "\xEF\xBB\xBF# a comment line\r\n"
      "USER-AGENT: feedpipe # trailing comment\r\n"
      "disallow: /no # not this\r\n"
      "ALLOW :/no/but-yes\r"
      "Sitemap: https://example.org/sitemap.xml\r\n");
  EXPECT_FALSE(r.allowed("/no/x"));
  EXPECT_TRUE(r.allowed("/no/but-yes/1"));
  EXPECT_TRUE(r.allowed("/yes"));
  EXPECT_EQ(r.rule_count(), 2u);
}

TEST(FetcherRobots, GarbageLinesAreSkipped) {
  const auto r = rules(
      "<html><body>not a robots file</body></html>\n"
      "Disallow: /before-any-agent\n"
      "User-agent: *\n"
      "this line has no colon\n"
      "Noindex: /x\n"
      "Disallow /missing-colon\n"
      "Disallow: /real\n");
  EXPECT_TRUE(r.allowed("/before-any-agent"));
  EXPECT_TRUE(r.allowed("/missing-colon"));
  EXPECT_TRUE(r.allowed("/x"));
  EXPECT_FALSE(r.allowed("/real"));
  EXPECT_EQ(r.rule_count(), 1u);
}

TEST(FetcherRobots, HtmlErrorPageAllowsEverything) {
  EXPECT_TRUE(rules("<!doctype html><title>404</title><p>Not found: the page</p>").allowed("/a"));
}

TEST(FetcherRobots, PatternWithoutLeadingSlashIsRooted) {
  const auto r = rules("User-agent: *\nDisallow: private\n");
  EXPECT_FALSE(r.allowed("/private/x"));
}

TEST(FetcherRobots, CrawlDelayOfOurGroupIsReadAndCapped) {
  EXPECT_EQ(rules("User-agent: feedpipe\nCrawl-delay: 2.5\n").crawl_delay(), 2500ms);
  EXPECT_EQ(rules("User-agent: *\nCrawl-delay: 3600\n").crawl_delay(), kRobotsMaxCrawlDelay);
  EXPECT_FALSE(rules("User-agent: otherbot\nCrawl-delay: 5\n").crawl_delay().has_value());
  EXPECT_FALSE(rules("User-agent: *\nCrawl-delay: soon\n").crawl_delay().has_value());
  EXPECT_FALSE(rules("User-agent: *\nCrawl-delay: -1\n").crawl_delay().has_value());
}

TEST(FetcherRobots, HugeFileIsParsedUpToTheCapAndACutLineIsDropped) {
  std::string body = "User-agent: *\nDisallow: /first\nDisallow: /secret\n";
  while (body.size() < kRobotsMaxBytes - 40) body += "Disallow: /filler-rule-padding\n";
  // The line straddling the cap, if parsed half, would allow everything under /secret.
  body += "Allow: /secret-but-this-line-is-cut-by-the-cap-somewhere-in-the-middle\n";
  body += "Disallow: /past-the-cap\n";
  ASSERT_GT(body.size(), kRobotsMaxBytes);
  const auto r = rules(body);
  EXPECT_FALSE(r.allowed("/first"));
  EXPECT_FALSE(r.allowed("/filler-rule-padding"));
  EXPECT_TRUE(r.allowed("/past-the-cap"));
  // Parsed half, the cut Allow line would be the longest match here.
  EXPECT_FALSE(r.allowed("/secret-but-this-line-is-cut-by-the-cap-somewhere-in-the-middle"));
  EXPECT_GT(r.rule_count(), 1000u);
}

TEST(FetcherRobots, LargeFilesDecideAsSmallOnes) {
  // Large files are matched through an index of literal prefixes; the filler rules below
  // match none of the paths, so both files must decide every path the same way.
  const std::string rules_that_matter =
      "Disallow: /folder/\n"
      "Allow: /folder/page\n"
      "Disallow: /*.pdf$\n"
      "Disallow: *secret\n"
      "Allow: /$\n"
      "Disallow: /exact$\n"
      "Disallow: /a*b*c\n"
      "Allow: /a/b/c/open\n"
      "Disallow: /%7Euser\n";
  std::string large = "User-agent: *\n";
  for (int i = 0; i < 500; ++i) large += "Disallow: /zz-filler-" + std::to_string(i) + "/*/x$\n";
  large += rules_that_matter;
  const auto small_rules = rules("User-agent: *\n" + rules_that_matter);
  const auto large_rules = rules(large);
  ASSERT_GT(large_rules.rule_count(), 500u);
  const char* paths[] = {"/", "/folder/", "/folder/page", "/folder/page2", "/folder/x", "/doc.pdf",
                         "/doc.pdf?x", "/top-secret/x", "/x/secret", "/exact", "/exact/", "/a/b/c",
                         "/a/b/c/open/1", "/abc", "/ab", "/~user/x", "/%7euser/y", "/other", "/zz-filler-1/a",
                         "/zz-filler-1/a/x/y"};
  for (const char* path : paths) {
    EXPECT_EQ(large_rules.allowed(path), small_rules.allowed(path)) << path;
  }
  EXPECT_FALSE(large_rules.allowed("/zz-filler-7/q/x"));  // the filler rules work too
  EXPECT_TRUE(large_rules.allowed("/zz-filler-7/q/x/more"));
}

TEST(FetcherRobots, OutcomeOfAFetchFollowsRfc9309) {
  EXPECT_EQ(classify_robots(200, true), RobotsSource::kParsed);
  EXPECT_EQ(classify_robots(404, true), RobotsSource::kUnavailable);
  EXPECT_EQ(classify_robots(403, true), RobotsSource::kUnavailable);
  EXPECT_EQ(classify_robots(301, true), RobotsSource::kUnavailable);  // redirects ran out
  EXPECT_EQ(classify_robots(429, true), RobotsSource::kUnreachable);
  EXPECT_EQ(classify_robots(500, true), RobotsSource::kUnreachable);
  EXPECT_EQ(classify_robots(503, true), RobotsSource::kUnreachable);
  EXPECT_EQ(classify_robots(0, false), RobotsSource::kUnreachable);
  EXPECT_EQ(classify_robots(200, false), RobotsSource::kUnreachable);
}

TEST(FetcherRobots, CacheLifetime) {
  EXPECT_EQ(robots_ttl(RobotsSource::kParsed, std::nullopt, std::nullopt), 24h);
  EXPECT_EQ(robots_ttl(RobotsSource::kParsed, 2h, std::nullopt), 2h);
  EXPECT_EQ(robots_ttl(RobotsSource::kParsed, 72h, std::nullopt), 24h);
  EXPECT_EQ(robots_ttl(RobotsSource::kUnavailable, 0s, std::nullopt), kRobotsMinTtl);
  EXPECT_EQ(robots_ttl(RobotsSource::kUnreachable, 2h, std::nullopt), kRobotsUnreachableTtl);
  EXPECT_EQ(robots_ttl(RobotsSource::kUnreachable, std::nullopt, 1h), 1h);
  EXPECT_EQ(robots_ttl(RobotsSource::kUnreachable, std::nullopt, 1s), kRobotsUnreachableTtl);
}

RobotsCache::Entry entry(Clock::time_point expires, std::string_view body = "") {
  RobotsCache::Entry e;
  e.rules = RobotsRules::parse(body, "feedpipe");
  e.expires = expires;
  return e;
}

TEST(FetcherRobots, CacheEntriesExpire) {
  RobotsCache cache(10, 1 << 20);
  const Clock::time_point t0{std::chrono::hours(1000)};
  cache.put("https://a:443", entry(t0 + 1h, "User-agent: *\nDisallow: /x\n"));
  ASSERT_NE(cache.find("https://a:443", t0 + 59min), nullptr);
  EXPECT_FALSE(cache.find("https://a:443", t0 + 59min)->rules.allowed("/x"));
  EXPECT_EQ(cache.find("https://a:443", t0 + 1h), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(FetcherRobots, CacheEvictsTheLeastRecentlyUsedOrigin) {
  RobotsCache cache(3, 1 << 20);
  const Clock::time_point t0{std::chrono::hours(1000)};
  for (const char* o : {"http://a:80", "http://b:80", "http://c:80"}) cache.put(o, entry(t0 + 1h));
  ASSERT_NE(cache.find("http://a:80", t0), nullptr);  // a is now the most recent
  cache.put("http://d:80", entry(t0 + 1h));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("http://b:80", t0), nullptr);
  EXPECT_NE(cache.find("http://a:80", t0), nullptr);
  EXPECT_NE(cache.find("http://c:80", t0), nullptr);
  EXPECT_NE(cache.find("http://d:80", t0), nullptr);
}

TEST(FetcherRobots, CacheStaysUnderItsByteBudgetWithManyOrigins) {
  const size_t budget = 256 * 1024;
  RobotsCache cache(1000000, budget);
  const Clock::time_point t0{std::chrono::hours(1000)};
  std::string body = "User-agent: *\n";
  for (int i = 0; i < 50; ++i) body += "Disallow: /some/long/path/prefix/" + std::to_string(i) + "\n";
  const RobotsCache::Entry sample = entry(t0 + 1h, body);
  for (int i = 0; i < 100000; ++i) {
    cache.put("https://host" + std::to_string(i) + ".example:443", sample);
    ASSERT_LE(cache.bytes(), budget);
  }
  EXPECT_GT(cache.size(), 10u);
  EXPECT_LT(cache.size(), 1000u);
  EXPECT_NE(cache.find("https://host99999.example:443", t0), nullptr);
}

TEST(FetcherRobots, ReplacingAnOriginKeepsOneEntry) {
  RobotsCache cache(10, 1 << 20);
  const Clock::time_point t0{std::chrono::hours(1000)};
  auto& first = cache.put("http://a:80", entry(t0 + 1h));
  first.denial_logged = true;
  cache.put("http://a:80", entry(t0 + 2h, "User-agent: *\nDisallow: /\n"));
  EXPECT_EQ(cache.size(), 1u);
  const auto* e = cache.find("http://a:80", t0 + 90min);
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->denial_logged);  // a new cache period logs again
  EXPECT_FALSE(e->rules.allowed("/a"));
}

}  // namespace
}  // namespace feedpipe::fetcher
