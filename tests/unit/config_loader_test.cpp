// The YAML loader: every key reaches its field, defaults apply, and each validation rule
// reports a problem at the right line.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/config.h"

namespace feedpipe {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kOneFeed = "feeds: [https://example.org/feed.xml]\n";

// The problem for `key`, or a failure listing what was reported instead.
const ConfigProblem* find_problem(const ConfigLoad& load, const std::string& key) {
  for (const auto& p : load.problems) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

std::string all_problems(const ConfigLoad& load) {
  std::string out;
  for (const auto& p : load.problems) out += format_problem(p) + "\n";
  return out;
}

ConfigLoad load_with_feed(const std::string& yaml) {
  return load_config_string(std::string(kOneFeed) + yaml, "test.yaml");
}

void expect_problem(const std::string& yaml, const std::string& key, int line,
                    const std::string& fragment = "") {
  auto load = load_with_feed(yaml);
  const auto* p = find_problem(load, key);
  ASSERT_NE(p, nullptr) << "expected a problem at " << key << " for:\n"
                        << yaml << "got:\n" << all_problems(load);
  EXPECT_EQ(p->line, line) << format_problem(*p);
  EXPECT_EQ(p->path, "test.yaml");
  if (!fragment.empty()) {
    EXPECT_NE(p->message.find(fragment), std::string::npos) << p->message;
  }
}

TEST(ConfigLoader, MinimalConfigGetsStructDefaults) {
  auto load = load_config_string(kOneFeed);
  ASSERT_TRUE(load.ok()) << all_problems(load);
  const Config defaults;
  const auto& c = load.config;
  EXPECT_EQ(c.kafka.bootstrap_servers, defaults.kafka.bootstrap_servers);
  EXPECT_EQ(c.fetch.max_body_bytes, defaults.fetch.max_body_bytes);
  EXPECT_EQ(c.http_listen, defaults.http_listen);
  EXPECT_TRUE(c.roles.ingest);
  EXPECT_TRUE(c.roles.dedup);
  EXPECT_FALSE(c.roles.enrich);
  ASSERT_EQ(c.feeds.size(), 1u);
  EXPECT_EQ(c.feeds[0].url, "https://example.org/feed.xml");
  EXPECT_EQ(c.feeds[0].interval, FeedSpec{}.interval);
}

TEST(ConfigLoader, EveryKeyReachesItsField) {
  auto load = load_config_string(R"(
kafka:
  bootstrap_servers: k1:9092,k2:9092
  topic_prefix: news
  partitions: 6
  replication_factor: 3
  group_id: news-group
  instance_id: pod-1
  transaction_timeout: 30s
  librdkafka:
    compression.type: zstd
    linger.ms: 20
    enable.ssl.certificate.verification: false
fetch:
  user_agent: newsbot/2
  contact_url: https://example.org/about
  proxy: http://proxy:3128
  connect_timeout: 5s
  first_byte_timeout: 15s
  total_timeout: 45s
  low_speed_bytes_per_second: 1KiB
  low_speed_time: 10s
  max_body_bytes: 10MiB
  max_decoded_bytes: 40MB
  max_header_bytes: 32KiB
  max_redirects: 3
  max_in_flight: 200
  per_host_concurrency: 4
  per_host_min_spacing: 250ms
  backoff_base: 10s
  backoff_max: 2h
  min_interval: 30s
  max_interval: 12h
  allow_private_networks: [10.0.0.0/8, "fd00::/8", 192.168.1.5]
  respect_robots_txt: false
dedup:
  updates: ignore
  retention: 7d
  tracking_params: [utm_*, ref]
roles: [dedup, enrich]
http: {listen: "0.0.0.0:9100"}
log: {level: debug}
shutdown_grace: 15s
defaults: {interval: 10m, group: general, fetch_articles: true}
feeds:
  - https://a.example/rss
  - url: https://b.example/atom
    interval: 2m
    group: tech
    fetch_articles: false
)");
  ASSERT_TRUE(load.ok()) << all_problems(load);
  const auto& c = load.config;
  EXPECT_EQ(c.kafka.bootstrap_servers, "k1:9092,k2:9092");
  EXPECT_EQ(c.kafka.topic_prefix, "news");
  EXPECT_EQ(c.kafka.partitions, 6);
  EXPECT_EQ(c.kafka.replication_factor, 3);
  EXPECT_EQ(c.kafka.group_id, "news-group");
  EXPECT_EQ(c.kafka.instance_id, "pod-1");
  EXPECT_EQ(c.kafka.transaction_timeout, seconds(30));
  EXPECT_EQ(c.kafka.librdkafka.at("compression.type"), "zstd");
  EXPECT_EQ(c.kafka.librdkafka.at("linger.ms"), "20");
  EXPECT_EQ(c.kafka.librdkafka.at("enable.ssl.certificate.verification"), "false");
  EXPECT_EQ(c.fetch.user_agent, "newsbot/2");
  EXPECT_EQ(c.fetch.contact_url, "https://example.org/about");
  EXPECT_EQ(c.fetch.proxy, "http://proxy:3128");
  EXPECT_EQ(c.fetch.connect_timeout, seconds(5));
  EXPECT_EQ(c.fetch.first_byte_timeout, seconds(15));
  EXPECT_EQ(c.fetch.total_timeout, seconds(45));
  EXPECT_EQ(c.fetch.low_speed_bytes_per_second, 1024);
  EXPECT_EQ(c.fetch.low_speed_time, seconds(10));
  EXPECT_EQ(c.fetch.max_body_bytes, 10 << 20);
  EXPECT_EQ(c.fetch.max_decoded_bytes, 40'000'000);
  EXPECT_EQ(c.fetch.max_header_bytes, 32 << 10);
  EXPECT_EQ(c.fetch.max_redirects, 3);
  EXPECT_EQ(c.fetch.max_in_flight, 200);
  EXPECT_EQ(c.fetch.per_host_concurrency, 4);
  EXPECT_EQ(c.fetch.per_host_min_spacing, milliseconds(250));
  EXPECT_EQ(c.fetch.backoff_base, seconds(10));
  EXPECT_EQ(c.fetch.backoff_max, hours(2));
  EXPECT_EQ(c.fetch.min_interval, seconds(30));
  EXPECT_EQ(c.fetch.max_interval, hours(12));
  EXPECT_EQ(c.fetch.allow_private_networks,
            (std::vector<std::string>{"10.0.0.0/8", "fd00::/8", "192.168.1.5"}));
  EXPECT_FALSE(c.fetch.respect_robots_txt);
  EXPECT_FALSE(c.dedup.publish_updates);
  EXPECT_EQ(c.dedup.retention, hours(24 * 7));
  EXPECT_EQ(c.dedup.tracking_params, (std::vector<std::string>{"utm_*", "ref"}));
  EXPECT_FALSE(c.roles.ingest);
  EXPECT_TRUE(c.roles.dedup);
  EXPECT_TRUE(c.roles.enrich);
  EXPECT_EQ(c.http_listen, "0.0.0.0:9100");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.shutdown_grace, seconds(15));
  ASSERT_EQ(c.feeds.size(), 2u);
  EXPECT_EQ(c.feeds[0].url, "https://a.example/rss");
  EXPECT_EQ(c.feeds[0].interval, minutes(10));
  EXPECT_EQ(c.feeds[0].group, "general");
  EXPECT_TRUE(c.feeds[0].fetch_articles);
  EXPECT_EQ(c.feeds[1].url, "https://b.example/atom");
  EXPECT_EQ(c.feeds[1].interval, minutes(2));
  EXPECT_EQ(c.feeds[1].group, "tech");
  EXPECT_FALSE(c.feeds[1].fetch_articles);
}

TEST(ConfigLoader, DefaultsApplyWhateverTheKeyOrder) {
  auto load = load_config_string("feeds: [http://a.example/]\ndefaults: {interval: 90s}\n");
  ASSERT_TRUE(load.ok()) << all_problems(load);
  EXPECT_EQ(load.config.feeds.at(0).interval, seconds(90));
}

TEST(ConfigLoader, UnknownKeysRejectedWithLineAndSuggestion) {
  expect_problem("fetch:\n  user_agnet: x\n", "fetch.user_agnet", 3, "did you mean 'user_agent'");
  expect_problem("kafak: {}\n", "kafak", 2, "did you mean 'kafka'");
  expect_problem("http:\n  listen: 127.0.0.1:1\n  port: 1\n", "http.port", 4, "unknown key");
  auto load = load_config_string("feeds:\n  - url: https://a.example/\n    intervall: 5m\n", "t.yaml");
  ASSERT_NE(find_problem(load, "feeds[0].intervall"), nullptr) << all_problems(load);
  EXPECT_EQ(find_problem(load, "feeds[0].intervall")->line, 3);
}

TEST(ConfigLoader, DuplicateKeyIsAProblem) {
  expect_problem("log:\n  level: info\n  level: debug\n", "log.level", 4, "duplicate");
}

TEST(ConfigLoader, YamlSyntaxErrorHasItsLine) {
  auto load = load_config_string("feeds:\n  - https://a.example/\nkafka: {partitions: [1\n", "s.yaml");
  ASSERT_EQ(load.problems.size(), 1u) << all_problems(load);
  EXPECT_GE(load.problems[0].line, 3);
  EXPECT_NE(load.problems[0].message.find("YAML"), std::string::npos);
}

TEST(ConfigLoader, WrongTypes) {
  expect_problem("kafka: {partitions: many}\n", "kafka.partitions", 2, "integer");
  expect_problem("fetch: {respect_robots_txt: maybe}\n", "fetch.respect_robots_txt", 2, "true or false");
  expect_problem("fetch: {total_timeout: 60}\n", "fetch.total_timeout", 2, "unit");
  expect_problem("fetch: {max_body_bytes: lots}\n", "fetch.max_body_bytes", 2, "size");
  expect_problem("fetch: {user_agent: [a, b]}\n", "fetch.user_agent", 2, "single value");
  expect_problem("fetch: 5\n", "fetch", 2, "mapping");
  expect_problem("kafka: {librdkafka: {linger.ms: [1]}}\n", "kafka.librdkafka.linger.ms", 2);
}

TEST(ConfigLoader, FeedUrlsMustBeHttp) {
  auto load = load_config_string(
      "feeds:\n  - ftp://a.example/feed\n  - url: 'example.org/rss'\n  - https://ok.example/\n  - 'http://'\n",
      "f.yaml");
  ASSERT_EQ(load.problems.size(), 3u) << all_problems(load);
  EXPECT_EQ(load.problems[0].line, 2);
  EXPECT_EQ(load.problems[0].key, "feeds[0]");
  EXPECT_EQ(load.problems[1].line, 3);
  EXPECT_EQ(load.problems[1].key, "feeds[1].url");
  EXPECT_EQ(load.problems[2].line, 5);
  EXPECT_EQ(load.config.feeds.size(), 1u);
}

TEST(ConfigLoader, FeedWithoutUrl) {
  auto load = load_config_string("feeds:\n  - https://a.example/\n  - {interval: 5m}\n", "f.yaml");
  ASSERT_NE(find_problem(load, "feeds[1]"), nullptr) << all_problems(load);
  EXPECT_EQ(find_problem(load, "feeds[1]")->line, 3);
}

TEST(ConfigLoader, DuplicateFeedUrlsFlagged) {
  auto load = load_config_string(
      "feeds:\n  - https://a.example/rss\n  - https://b.example/rss\n  - HTTPS://A.EXAMPLE/rss#x\n",
      "d.yaml");
  ASSERT_EQ(load.problems.size(), 1u) << all_problems(load);
  EXPECT_EQ(load.problems[0].line, 4);
  EXPECT_NE(load.problems[0].message.find("d.yaml:2"), std::string::npos)
      << load.problems[0].message;
  EXPECT_EQ(load.config.feeds.size(), 2u);
  // Paths are case-sensitive: these are different feeds.
  EXPECT_TRUE(load_config_string("feeds: [https://a.example/RSS, https://a.example/rss]").ok());
}

TEST(ConfigLoader, IntervalsPositiveAndWithinBounds) {
  expect_problem("defaults: {interval: 0s}\n", "defaults.interval", 2, "positive");
  expect_problem("fetch: {min_interval: 0ms}\n", "fetch.min_interval", 2, "positive");
  expect_problem("fetch:\n  min_interval: 1h\n  max_interval: 5m\n", "fetch.max_interval", 4,
                 "at least fetch.min_interval");
  auto load = load_config_string(
      "fetch: {min_interval: 1m}\nfeeds:\n  - url: https://a.example/\n    interval: 10s\n", "i.yaml");
  ASSERT_NE(find_problem(load, "feeds[0].interval"), nullptr) << all_problems(load);
  EXPECT_EQ(find_problem(load, "feeds[0].interval")->line, 4);
  EXPECT_NE(find_problem(load, "feeds[0].interval")->message.find("outside"), std::string::npos);
  EXPECT_TRUE(load_config_string("fetch: {min_interval: 1s}\ndefaults: {interval: 1s}\n"
                                 "feeds: [https://a.example/]")
                  .ok());
}

TEST(ConfigLoader, OrderedTimeoutsAndBackoff) {
  expect_problem("fetch: {connect_timeout: 2m, total_timeout: 1m}\n", "fetch.connect_timeout", 2);
  expect_problem("fetch: {backoff_base: 1h, backoff_max: 1m}\n", "fetch.backoff_max", 2);
  expect_problem("fetch: {max_in_flight: 0}\n", "fetch.max_in_flight", 2, "at least 1");
  expect_problem("fetch: {max_redirects: -1}\n", "fetch.max_redirects", 2);
  expect_problem("fetch: {contact_url: 'mailto:me@example.org'}\n", "fetch.contact_url", 2);
  expect_problem("fetch: {proxy: 'gopher://p:1'}\n", "fetch.proxy", 2);
}

TEST(ConfigLoader, ListenIsHostPort) {
  for (const char* ok : {"127.0.0.1:9464", "0.0.0.0:0", "localhost:8080", "[::]:9464", "[::1]:1"}) {
    EXPECT_TRUE(load_with_feed(std::string("http: {listen: '") + ok + "'}\n").ok()) << ok;
  }
  for (const char* bad : {"9464", ":9464", "127.0.0.1", "127.0.0.1:99999", "::1:80", "[::1]80",
                          "host:port", "a b:1"}) {
    expect_problem(std::string("http: {listen: '") + bad + "'}\n", "http.listen", 2, "host:port");
  }
}

TEST(ConfigLoader, CidrsParse) {
  expect_problem("fetch:\n  allow_private_networks:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n",
                 "fetch.allow_private_networks[1]", 5, "CIDR");
  expect_problem("fetch: {allow_private_networks: [not-an-ip]}\n",
                 "fetch.allow_private_networks[0]", 2);
  expect_problem("fetch: {allow_private_networks: ['fd00::/129']}\n",
                 "fetch.allow_private_networks[0]", 2);
  EXPECT_TRUE(load_with_feed("fetch: {allow_private_networks: ['::1/128', 172.16.0.0/12]}\n").ok());
}

TEST(ConfigLoader, RolesKnownAndNotEmpty) {
  expect_problem("roles: [ingest, indexer]\n", "roles[1]", 2, "unknown role");
  expect_problem("roles: []\n", "roles", 2, "at least one");
  expect_problem("roles: ingest\n", "roles", 2, "list");
}

TEST(ConfigLoader, IngestNeedsAFeed) {
  auto load = load_config_string("roles: [ingest]\n", "r.yaml");
  ASSERT_NE(find_problem(load, "roles"), nullptr) << all_problems(load);
  EXPECT_NE(find_problem(load, "roles")->message.find("feed"), std::string::npos);
  EXPECT_FALSE(load_config_string("log: {level: info}\n").ok()) << "ingest runs by default";
  EXPECT_TRUE(load_config_string("roles: [dedup]\n").ok()) << "dedup alone needs no feeds";
}

TEST(ConfigLoader, KafkaAndDedupValues) {
  expect_problem("kafka: {topic_prefix: 'bad prefix'}\n", "kafka.topic_prefix", 2);
  expect_problem("kafka: {partitions: 0}\n", "kafka.partitions", 2);
  expect_problem("kafka: {replication_factor: 0}\n", "kafka.replication_factor", 2);
  expect_problem("kafka: {bootstrap_servers: ''}\n", "kafka.bootstrap_servers", 2);
  expect_problem("kafka: {transaction_timeout: 10ms}\n", "kafka.transaction_timeout", 2);
  expect_problem("dedup: {updates: sometimes}\n", "dedup.updates", 2, "publish or ignore");
  expect_problem("dedup: {retention: 0d}\n", "dedup.retention", 2);
  expect_problem("log: {level: chatty}\n", "log.level", 2);
  expect_problem("shutdown_grace: 0s\n", "shutdown_grace", 2);
}

TEST(ConfigLoader, ReportsEveryProblemAtOnceWithLines) {
  const std::string yaml =
      "kafka:\n"                                   // 1
      "  partitions: 0\n"                          // 2
      "  topic_prefx: x\n"                         // 3
      "fetch:\n"                                   // 4
      "  min_interval: 1h\n"                       // 5
      "  max_interval: 1m\n"                       // 6
      "  allow_private_networks: [300.1.1.1/8]\n"  // 7
      "roles: [ingest, dedupe]\n"                  // 8
      "http: {listen: nowhere}\n"                  // 9
      "feeds:\n"                                   // 10
      "  - https://a.example/rss\n"                // 11
      "  - file:///etc/passwd\n"                   // 12
      "  - https://a.example/rss\n";               // 13
  auto load = load_config_string(yaml, "many.yaml");
  std::vector<std::pair<int, std::string>> got;
  for (const auto& p : load.problems) got.emplace_back(p.line, p.key);
  std::vector<std::pair<int, std::string>> want = {
      {2, "kafka.partitions"},
      {3, "kafka.topic_prefx"},
      {6, "fetch.max_interval"},
      {7, "fetch.allow_private_networks[0]"},
      {8, "roles[1]"},
      {9, "http.listen"},
      {12, "feeds[1]"},
      {13, "feeds[2]"},
  };
  EXPECT_EQ(got, want) << all_problems(load);
  for (const auto& p : load.problems) {
    EXPECT_EQ(format_problem(p).rfind("many.yaml:" + std::to_string(p.line) + ": " + p.key + ": ", 0), 0u)
        << format_problem(p);
  }
}

TEST(ConfigLoader, MissingFileIsAProblem) {
  auto load = load_config_file("/nonexistent/feedpipe.yaml");
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.problems[0].path, "/nonexistent/feedpipe.yaml");
}

TEST(ConfigLoader, EmptyOrNonMappingDocument) {
  EXPECT_FALSE(load_config_string("").ok());
  auto load = load_config_string("- a\n- b\n");
  ASSERT_EQ(load.problems.size(), 1u) << all_problems(load);
  EXPECT_NE(load.problems[0].message.find("top level"), std::string::npos);
}

}  // namespace
}  // namespace feedpipe

namespace feedpipe {
namespace {

TEST(ConfigExamples, ShippedExamplesValidate) {
  for (const char* name : {"examples/feedpipe.yaml", "examples/feedpipe-opml.yaml"}) {
    auto load = load_config_file(std::string(FEEDPIPE_SOURCE_DIR) + "/" + name);
    EXPECT_TRUE(load.ok()) << name << ":\n" << all_problems(load);
    EXPECT_FALSE(load.config.feeds.empty()) << name;
  }
}

}  // namespace
}  // namespace feedpipe
