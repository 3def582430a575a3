// Every publisher event moves the metric it stands for (what /metrics shows).

#include <gtest/gtest.h>

#include <string>

#include "app/metrics.h"
#include "app/publisher_events.h"

namespace feedpipe::app {
namespace {

// The value of one series in the text exposition, e.g. `name{label="v"}`; -1 when absent.
double series_value(const std::string& text, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return -1;
}

TEST(PublisherEvents, DedupEventsAreCounted) {
  Metrics metrics;
  PublisherEvents events(metrics, [] {});
  events.on(publisher::UpdatesIgnored{3});
  events.on(publisher::ExpiredStateDeleted{5});
  events.on(publisher::ExpiredStateDeleted{2});
  const std::string text = metrics.serialize();
  EXPECT_EQ(series_value(text, "feedpipe_dedup_updates_ignored_total"), 3);
  EXPECT_EQ(series_value(text, "feedpipe_dedup_state_expired_total"), 7);
}

TEST(PublisherEvents, EnrichBacklogIsAGaugeAndRetriesCountByErrorType) {
  Metrics metrics;
  PublisherEvents events(metrics, [] {});
  events.on(publisher::EnrichBacklog{4, 9, 1});
  events.on(publisher::EnrichBacklog{2, 6, 0});  // a gauge: the latest report wins
  events.on(publisher::ArticleRetried{ErrorCode::kTimeout});
  events.on(publisher::ArticleRetried{ErrorCode::kTimeout});
  events.on(publisher::ArticleRetried{ErrorCode::kHttpStatus});
  const std::string text = metrics.serialize();
  EXPECT_EQ(series_value(text, "feedpipe_enrich_backlog{state=\"in_flight\"}"), 2);
  EXPECT_EQ(series_value(text, "feedpipe_enrich_backlog{state=\"waiting\"}"), 6);
  EXPECT_EQ(series_value(text, "feedpipe_enrich_paused_partitions"), 0);
  EXPECT_EQ(series_value(text, "feedpipe_article_retries_total{error_type=\"timeout\"}"), 2);
  EXPECT_EQ(series_value(text, "feedpipe_article_retries_total{error_type=\"http_status\"}"), 1);
  EXPECT_EQ(series_value(text, "feedpipe_article_retries_total{error_type=\"dns\"}"), 0);
}

TEST(PublisherEvents, SettledCommitsCountByRoleAndOutcome) {
  Metrics metrics;
  PublisherEvents events(metrics, [] {});
  using publisher::Role;
  using publisher::TxnOutcome;
  events.on(publisher::TransactionSettled{Role::kDedup, TxnOutcome::kCommitted});
  events.on(publisher::TransactionSettled{Role::kDedup, TxnOutcome::kCommitted});
  events.on(publisher::TransactionSettled{Role::kEnrich, TxnOutcome::kUnknown});
  const std::string text = metrics.serialize();
  const std::string name = "feedpipe_transactions_in_doubt_total";
  EXPECT_EQ(series_value(text, name + "{outcome=\"committed\",role=\"dedup\"}"), 2);
  EXPECT_EQ(series_value(text, name + "{outcome=\"unknown\",role=\"enrich\"}"), 1);
  EXPECT_EQ(series_value(text, name + "{outcome=\"aborted\",role=\"dedup\"}"), 0);
}

TEST(PublisherEvents, AbandonedConsumerClosesCountByRole) {
  Metrics metrics;
  PublisherEvents events(metrics, [] {});
  using publisher::Role;
  events.on(publisher::ConsumerCloseTimedOut{Role::kIngest, std::chrono::milliseconds(10000)});
  events.on(publisher::ConsumerCloseTimedOut{Role::kIngest, std::chrono::milliseconds(10001)});
  events.on(publisher::ConsumerCloseTimedOut{Role::kDedup, std::chrono::milliseconds(10000)});
  const std::string text = metrics.serialize();
  const std::string name = "feedpipe_consumer_close_timeouts_total";
  EXPECT_EQ(series_value(text, name + "{role=\"ingest\"}"), 2);
  EXPECT_EQ(series_value(text, name + "{role=\"dedup\"}"), 1);
  EXPECT_EQ(series_value(text, name + "{role=\"enrich\"}"), 0);
}

}  // namespace
}  // namespace feedpipe::app
