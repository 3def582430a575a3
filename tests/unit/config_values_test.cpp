// Durations, sizes and ${VAR} substitution as the config loader reads them.

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/config.h"

namespace feedpipe {
namespace {

TEST(ConfigDuration, ParsesEachUnit) {
  Millis d{};
  ASSERT_TRUE(parse_duration("250ms", &d));
  EXPECT_EQ(d.count(), 250);
  ASSERT_TRUE(parse_duration("2s", &d));
  EXPECT_EQ(d.count(), 2000);
  ASSERT_TRUE(parse_duration("5m", &d));
  EXPECT_EQ(d.count(), 5 * 60 * 1000);
  ASSERT_TRUE(parse_duration("1h", &d));
  EXPECT_EQ(d.count(), 3600 * 1000);
  ASSERT_TRUE(parse_duration("7d", &d));
  EXPECT_EQ(d.count(), 7LL * 86400 * 1000);
}

TEST(ConfigDuration, ParsesCompoundAndSurroundingSpace) {
  Millis d{};
  ASSERT_TRUE(parse_duration(" 1h30m ", &d));
  EXPECT_EQ(d.count(), 90 * 60 * 1000);
  ASSERT_TRUE(parse_duration("1s500ms", &d));
  EXPECT_EQ(d.count(), 1500);
}

TEST(ConfigDuration, RejectsMalformed) {
  Millis d{123};
  for (const char* bad : {"", "30", "s", "5 m", "1.5s", "-1s", "5min", "1y", "ms5", "1h x"}) {
    EXPECT_FALSE(parse_duration(bad, &d)) << bad;
  }
  EXPECT_EQ(d.count(), 123) << "a failed parse leaves the output alone";
  EXPECT_FALSE(parse_duration("99999999999999999999d", &d));
  EXPECT_FALSE(parse_duration("9999999999999999d", &d)) << "overflow";
}

TEST(ConfigSize, ParsesPlainAndUnits) {
  std::int64_t n = 0;
  ASSERT_TRUE(parse_size("1000", &n));
  EXPECT_EQ(n, 1000);
  ASSERT_TRUE(parse_size("64KB", &n));
  EXPECT_EQ(n, 64000);
  ASSERT_TRUE(parse_size("64KiB", &n));
  EXPECT_EQ(n, 64 * 1024);
  ASSERT_TRUE(parse_size("20MiB", &n));
  EXPECT_EQ(n, 20 << 20);
  ASSERT_TRUE(parse_size("3 MB", &n));
  EXPECT_EQ(n, 3'000'000);
  ASSERT_TRUE(parse_size("1GiB", &n));
  EXPECT_EQ(n, 1LL << 30);
  ASSERT_TRUE(parse_size("12b", &n));
  EXPECT_EQ(n, 12);
}

TEST(ConfigSize, RejectsMalformed) {
  std::int64_t n = 7;
  for (const char* bad : {"", "MiB", "-5", "1.5MiB", "20 MiBs", "5X", "10M"}) {
    EXPECT_FALSE(parse_size(bad, &n)) << bad;
  }
  EXPECT_EQ(n, 7);
  EXPECT_FALSE(parse_size("99999999999TiB", &n)) << "overflow";
}

constexpr const char* kFeed = "feeds: [https://example.org/feed.xml]\n";

TEST(ConfigEnv, SubstitutesSetVariable) {
  ::setenv("FEEDPIPE_TEST_BROKER", "kafka-1:9093", 1);
  auto load = load_config_string(std::string(kFeed) +
                                 "kafka: {bootstrap_servers: '${FEEDPIPE_TEST_BROKER}'}\n");
  ASSERT_TRUE(load.ok()) << format_problem(load.problems.front());
  EXPECT_EQ(load.config.kafka.bootstrap_servers, "kafka-1:9093");
  ::unsetenv("FEEDPIPE_TEST_BROKER");
}

TEST(ConfigEnv, DefaultWhenUnsetOrEmpty) {
  ::unsetenv("FEEDPIPE_TEST_UNSET");
  ::setenv("FEEDPIPE_TEST_EMPTY", "", 1);
  auto load = load_config_string(std::string(kFeed) +
                                 "kafka:\n"
                                 "  bootstrap_servers: ${FEEDPIPE_TEST_UNSET:-127.0.0.1:29092}\n"
                                 "  group_id: g-${FEEDPIPE_TEST_EMPTY:-fallback}-x\n"
                                 "  partitions: ${FEEDPIPE_TEST_UNSET:-3}\n");
  ASSERT_TRUE(load.ok()) << format_problem(load.problems.front());
  EXPECT_EQ(load.config.kafka.bootstrap_servers, "127.0.0.1:29092");
  EXPECT_EQ(load.config.kafka.group_id, "g-fallback-x");
  EXPECT_EQ(load.config.kafka.partitions, 3);
  ::unsetenv("FEEDPIPE_TEST_EMPTY");
}

TEST(ConfigEnv, UnsetWithoutDefaultIsAProblemWithItsLine) {
  ::unsetenv("FEEDPIPE_TEST_MISSING");
  auto load = load_config_string(std::string(kFeed) +
                                 "kafka:\n"
                                 "  bootstrap_servers: ${FEEDPIPE_TEST_MISSING}\n",
                                 "x.yaml");
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.problems[0].line, 3);
  EXPECT_EQ(load.problems[0].key, "kafka.bootstrap_servers");
  EXPECT_NE(load.problems[0].message.find("FEEDPIPE_TEST_MISSING"), std::string::npos);
}

TEST(ConfigEnv, EscapedAndMalformedReferences) {
  auto ok = load_config_string(std::string(kFeed) + "fetch: {user_agent: 'ua $${NOT_A_VAR}'}\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.config.fetch.user_agent, "ua ${NOT_A_VAR}");

  auto bad = load_config_string(std::string(kFeed) +
                                "fetch: {user_agent: '${UNTERMINATED', proxy: '${1BAD}'}\n");
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_EQ(bad.problems[0].key, "fetch.user_agent");
  EXPECT_EQ(bad.problems[1].key, "fetch.proxy");
}

TEST(ConfigEnv, ValueCannotInjectStructure) {
  ::setenv("FEEDPIPE_TEST_INJECT", "x\nlog: {level: debug}", 1);
  auto load = load_config_string(std::string(kFeed) +
                                 "fetch: {user_agent: '${FEEDPIPE_TEST_INJECT}'}\n");
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.config.log_level, "info");
  EXPECT_EQ(load.config.fetch.user_agent, "x\nlog: {level: debug}");
  ::unsetenv("FEEDPIPE_TEST_INJECT");
}

TEST(ConfigProblemFormat, FileLineKeyMessage) {
  EXPECT_EQ(format_problem({"a.yaml", 7, "fetch.proxy", "bad"}), "a.yaml:7: fetch.proxy: bad");
  EXPECT_EQ(format_problem({"a.yaml", 0, "", "empty"}), "a.yaml: empty");
}

}  // namespace
}  // namespace feedpipe
