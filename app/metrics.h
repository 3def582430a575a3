#pragma once

// Every Prometheus metric feedpipe exposes, created once at start-up (label children
// included, so a series exists at 0 before its first event). Components never see this
// type: they report through their own event structs and app/telemetry.cpp maps those here.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace feedpipe::app {

enum class FetchKindLabel { kFeed = 0, kArticle = 1 };
enum class TopicLabel { kRaw = 0, kEntries, kArticles, kErrors, kFeedState, kDedupState };
enum class RoleLabel { kIngest = 0, kDedup, kEnrich };
enum class RobotsResultLabel { kParsed = 0, kUnavailable, kUnreachable };  // RFC 9309 2.3.1
enum class RobotsDenyLabel { kDisallowed = 0, kUnreachable };
inline constexpr std::size_t kErrorCodeCount = std::size(kAllErrorCodes);

struct KafkaClientStats;  // librdkafka statistics, see app/kafka_stats.h

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Prometheus text exposition of everything, process metrics included.
  std::string serialize() const;
  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  // fetch
  prometheus::Counter& fetch_ok(FetchKindLabel k) { return *fetch_ok_[idx(k)]; }
  prometheus::Counter& fetch_not_modified(FetchKindLabel k) { return *fetch_not_modified_[idx(k)]; }
  prometheus::Counter& fetch_error(FetchKindLabel k) { return *fetch_error_[idx(k)]; }
  prometheus::Counter& fetch_error_type(FetchKindLabel k, ErrorCode c) {
    return *fetch_error_type_[idx(k)][static_cast<std::size_t>(c)];
  }
  prometheus::Counter& http_responses(int status);
  prometheus::Histogram& fetch_duration(FetchKindLabel k) { return *fetch_duration_[idx(k)]; }
  prometheus::Counter& fetch_bytes(FetchKindLabel k) { return *fetch_bytes_[idx(k)]; }
  prometheus::Gauge& fetch_in_flight() { return *fetch_in_flight_; }
  prometheus::Gauge& feeds_ok() { return *feeds_ok_; }
  prometheus::Gauge& feeds_backoff() { return *feeds_backoff_; }
  prometheus::Gauge& feeds_failing() { return *feeds_failing_; }
  prometheus::Histogram& schedule_lateness() { return *schedule_lateness_; }
  prometheus::Counter& robots_fetches(RobotsResultLabel r) { return *robots_fetches_[idx(r)]; }
  prometheus::Counter& article_robots_denied(RobotsDenyLabel r) { return *article_robots_denied_[idx(r)]; }

  // parse
  prometheus::Histogram& parse_duration() { return *parse_duration_; }
  prometheus::Counter& parse_error(ErrorCode c) { return *parse_errors_[static_cast<std::size_t>(c)]; }
  prometheus::Counter& documents_bozo() { return *documents_bozo_; }
  prometheus::Counter& entries_parsed() { return *entries_parsed_; }
  prometheus::Histogram& items_per_poll() { return *items_per_poll_; }
  prometheus::Counter& entries_new() { return *entries_new_; }

  // publish
  prometheus::Counter& records_published(TopicLabel t) { return *records_published_[idx(t)]; }
  prometheus::Counter& duplicates_feed() { return *duplicates_feed_; }
  prometheus::Counter& duplicates_global() { return *duplicates_global_; }
  prometheus::Counter& record_revisions() { return *record_revisions_; }
  prometheus::Counter& updates_ignored() { return *updates_ignored_; }
  prometheus::Counter& dedup_state_expired() { return *dedup_state_expired_; }
  prometheus::Counter& transactions_committed(RoleLabel r) { return *txn_committed_[idx(r)]; }
  prometheus::Counter& transactions_aborted(RoleLabel r) { return *txn_aborted_[idx(r)]; }
  prometheus::Histogram& transaction_duration(RoleLabel r) { return *txn_duration_[idx(r)]; }
  prometheus::Counter& producer_rebuilds(RoleLabel r) { return *producer_rebuilds_[idx(r)]; }
  prometheus::Counter& consumer_close_timeouts(RoleLabel r) {
    return *consumer_close_timeouts_[idx(r)];
  }
  // outcome: 0 committed, 1 aborted, 2 unknown
  prometheus::Counter& transactions_in_doubt(RoleLabel r, int outcome) {
    return *txn_in_doubt_[idx(r)][static_cast<std::size_t>(outcome)];
  }
  prometheus::Counter& restore_records(TopicLabel t);
  prometheus::Gauge& restore_partitions_pending(TopicLabel t);
  prometheus::Gauge& owned_partitions(RoleLabel r) { return *owned_partitions_[idx(r)]; }
  prometheus::Gauge& queue_depth(const std::string& queue);
  prometheus::Gauge& queue_capacity(const std::string& queue);

  // enrich
  prometheus::Counter& articles_ok() { return *articles_ok_; }
  prometheus::Counter& articles_error() { return *articles_error_; }
  prometheus::Histogram& extract_duration() { return *extract_duration_; }
  prometheus::Gauge& enrich_in_flight() { return *enrich_in_flight_; }
  prometheus::Gauge& enrich_waiting() { return *enrich_waiting_; }
  prometheus::Gauge& enrich_paused_partitions() { return *enrich_paused_partitions_; }
  prometheus::Counter& article_retries(ErrorCode c) { return *article_retries_[static_cast<std::size_t>(c)]; }

  // lifecycle
  prometheus::Gauge& ready() { return *ready_; }
  prometheus::Gauge& reload_successful() { return *reload_successful_; }
  prometheus::Gauge& reload_success_time() { return *reload_success_time_; }

  // librdkafka statistics of one client (producer or consumer), replacing its last snapshot.
  void set_kafka_stats(const std::string& client, const KafkaClientStats& stats);

 private:
  template <class E>
  static std::size_t idx(E e) { return static_cast<std::size_t>(e); }

  std::shared_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, 2> fetch_ok_{}, fetch_not_modified_{}, fetch_error_{};
  std::array<std::array<prometheus::Counter*, kErrorCodeCount>, 2> fetch_error_type_{};
  std::array<prometheus::Counter*, 4> http_responses_{};
  std::array<prometheus::Histogram*, 2> fetch_duration_{};
  std::array<prometheus::Counter*, 2> fetch_bytes_{};
  prometheus::Gauge* fetch_in_flight_ = nullptr;
  prometheus::Gauge *feeds_ok_ = nullptr, *feeds_backoff_ = nullptr, *feeds_failing_ = nullptr;
  prometheus::Histogram* schedule_lateness_ = nullptr;
  std::array<prometheus::Counter*, 3> robots_fetches_{};
  std::array<prometheus::Counter*, 2> article_robots_denied_{};
  prometheus::Histogram* parse_duration_ = nullptr;
  std::array<prometheus::Counter*, kErrorCodeCount> parse_errors_{};
  prometheus::Counter* documents_bozo_ = nullptr;
  prometheus::Counter* entries_parsed_ = nullptr;
  prometheus::Histogram* items_per_poll_ = nullptr;
  prometheus::Counter* entries_new_ = nullptr;
  std::array<prometheus::Counter*, 6> records_published_{};
  prometheus::Counter *duplicates_feed_ = nullptr, *duplicates_global_ = nullptr;
  prometheus::Counter* record_revisions_ = nullptr;
  std::array<prometheus::Counter*, 3> txn_committed_{}, txn_aborted_{}, producer_rebuilds_{};
  std::array<prometheus::Counter*, 3> consumer_close_timeouts_{};
  std::array<prometheus::Histogram*, 3> txn_duration_{};
  std::array<std::array<prometheus::Counter*, 3>, 3> txn_in_doubt_{};
  std::array<prometheus::Counter*, 2> restore_records_{};
  std::array<prometheus::Gauge*, 2> restore_pending_{};
  std::array<prometheus::Gauge*, 3> owned_partitions_{};
  prometheus::Family<prometheus::Gauge>* queue_depth_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* queue_capacity_family_ = nullptr;
  prometheus::Counter *articles_ok_ = nullptr, *articles_error_ = nullptr;
  prometheus::Histogram* extract_duration_ = nullptr;
  prometheus::Gauge *enrich_in_flight_ = nullptr, *enrich_waiting_ = nullptr;
  prometheus::Gauge* enrich_paused_partitions_ = nullptr;
  std::array<prometheus::Counter*, kErrorCodeCount> article_retries_{};
  prometheus::Counter *updates_ignored_ = nullptr, *dedup_state_expired_ = nullptr;
  prometheus::Gauge *ready_ = nullptr, *reload_successful_ = nullptr,
                    *reload_success_time_ = nullptr;

  class KafkaStatsCollector;
  std::shared_ptr<KafkaStatsCollector> kafka_stats_;
  class ProcessCollector;
  std::shared_ptr<ProcessCollector> process_;
  mutable std::mutex queue_mutex_;
  std::map<std::string, prometheus::Gauge*> queue_depth_;     // guarded by queue_mutex_
  std::map<std::string, prometheus::Gauge*> queue_capacity_;  // guarded by queue_mutex_
};

}  // namespace feedpipe::app
