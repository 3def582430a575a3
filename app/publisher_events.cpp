#include "app/publisher_events.h"

#include <chrono>
#include <string>

#include "app/kafka_stats.h"
#include "app/metrics.h"
#include "common/log.h"

namespace feedpipe::app {
namespace {

RoleLabel role_label(publisher::Role role) {
  switch (role) {
    case publisher::Role::kIngest: return RoleLabel::kIngest;
    case publisher::Role::kDedup: return RoleLabel::kDedup;
    case publisher::Role::kEnrich: return RoleLabel::kEnrich;
  }
  return RoleLabel::kIngest;
}

TopicLabel topic_label(publisher::Topic topic) {
  switch (topic) {
    case publisher::Topic::kRaw: return TopicLabel::kRaw;
    case publisher::Topic::kEntries: return TopicLabel::kEntries;
    case publisher::Topic::kArticles: return TopicLabel::kArticles;
    case publisher::Topic::kErrors: return TopicLabel::kErrors;
    case publisher::Topic::kFeedState: return TopicLabel::kFeedState;
    case publisher::Topic::kDedupState: return TopicLabel::kDedupState;
  }
  return TopicLabel::kRaw;
}

}  // namespace

void PublisherEvents::on(const publisher::TransactionCommitted& e) {
  metrics_.transactions_committed(role_label(e.role)).Increment();
  metrics_.transaction_duration(role_label(e.role))
      .Observe(std::chrono::duration<double>(e.duration).count());
}

void PublisherEvents::on(const publisher::TransactionAborted& e) {
  metrics_.transactions_aborted(role_label(e.role)).Increment();
  log::warn("publisher", "transaction aborted",
            {{"role", publisher::role_name(e.role)}, {"error_type", to_string(e.reason)},
             {"error", e.message}});
}

void PublisherEvents::on(const publisher::RecordsPublished& e) {
  // The ingest path counts raw and feed-state itself, after commit_poll returns.
  if (e.role == publisher::Role::kIngest) return;
  metrics_.records_published(topic_label(e.topic)).Increment(e.count);
}

void PublisherEvents::on(const publisher::DuplicatesDropped& e) {
  metrics_.duplicates_global().Increment(e.count);
}

void PublisherEvents::on(const publisher::RevisionsPublished& e) {
  metrics_.record_revisions().Increment(e.count);
}

void PublisherEvents::on(const publisher::UpdatesIgnored& e) {
  metrics_.updates_ignored().Increment(e.count);
}

void PublisherEvents::on(const publisher::ExpiredStateDeleted& e) {
  metrics_.dedup_state_expired().Increment(e.count);
}

void PublisherEvents::on(const publisher::EnrichBacklog& e) {
  metrics_.enrich_in_flight().Set(e.in_flight);
  metrics_.enrich_waiting().Set(e.waiting);
  metrics_.enrich_paused_partitions().Set(e.paused_partitions);
}

void PublisherEvents::on(const publisher::ArticleRetried& e) {
  metrics_.article_retries(e.reason).Increment();
}

void PublisherEvents::on(const publisher::RestoreProgress& e) {
  TopicLabel topic = topic_label(e.topic);
  metrics_.restore_partitions_pending(topic).Set(e.partitions_restoring);
  if (e.done) {
    metrics_.restore_records(topic).Increment(static_cast<double>(e.records));
    log::info("publisher", "state restored",
              {{"topic", topic == TopicLabel::kDedupState ? "dedup_state" : "feed_state"},
               {"records", e.records},
               {"seconds", std::chrono::duration<double>(e.elapsed).count()}});
    if (on_restore_change_) on_restore_change_();
  }
}

void PublisherEvents::on(const publisher::OwnedPartitions& e) {
  metrics_.owned_partitions(role_label(e.role)).Set(e.count);
}

void PublisherEvents::on(const publisher::ProducerRebuilt& e) {
  metrics_.producer_rebuilds(role_label(e.role)).Increment();
  log::warn("publisher", "producer rebuilt after a fatal error",
            {{"role", publisher::role_name(e.role)}, {"error_type", to_string(e.reason)},
             {"error", e.message}});
}

void PublisherEvents::on(const publisher::TransactionSettled& e) {
  using publisher::TxnOutcome;
  const int outcome = e.outcome == TxnOutcome::kCommitted ? 0
                      : e.outcome == TxnOutcome::kAborted ? 1
                                                          : 2;
  metrics_.transactions_in_doubt(role_label(e.role), outcome).Increment();
  static constexpr std::string_view kNames[] = {"committed", "aborted", "unknown"};
  log::warn("publisher", "failed commit settled",
            {{"role", publisher::role_name(e.role)}, {"outcome", kNames[outcome]}});
}

void PublisherEvents::on(const publisher::ConsumerCloseTimedOut& e) {
  // The publisher logged the warning itself.
  metrics_.consumer_close_timeouts(role_label(e.role)).Increment();
}

void PublisherEvents::on(const publisher::KafkaStatistics& e) {
  KafkaClientStats stats;
  stats.queue_messages = static_cast<double>(e.msg_cnt);
  stats.produced_messages_total = static_cast<double>(e.txmsgs);
  stats.requests_total = static_cast<double>(e.tx);
  stats.consumer_lag_messages = static_cast<double>(e.consumer_lag);
  for (const auto& b : e.brokers)
    stats.brokers.push_back({b.name, b.state == "UP", static_cast<double>(b.rtt_p99_us) / 1e6});
  metrics_.set_kafka_stats(std::string(publisher::role_name(e.role)) + "." + e.client, stats);
}

}  // namespace feedpipe::app
