#pragma once

// Maps the publisher's events (both roles) onto metrics and log lines.

#include <functional>

#include "publisher/dedup_role.h"
#include "publisher/enrich_role.h"
#include "publisher/events.h"

namespace feedpipe::app {

class Metrics;

class PublisherEvents final : public publisher::DedupListener, public publisher::EnrichListener {
 public:
  // `on_restore_change` runs when a restore finishes, so readiness can be re-evaluated.
  PublisherEvents(Metrics& metrics, std::function<void()> on_restore_change)
      : metrics_(metrics), on_restore_change_(std::move(on_restore_change)) {}

  void on(const publisher::TransactionCommitted& e) override;
  void on(const publisher::TransactionAborted& e) override;
  void on(const publisher::RecordsPublished& e) override;
  void on(const publisher::DuplicatesDropped& e) override;
  void on(const publisher::RevisionsPublished& e) override;
  void on(const publisher::UpdatesIgnored& e) override;
  void on(const publisher::ExpiredStateDeleted& e) override;
  void on(const publisher::EnrichBacklog& e) override;
  void on(const publisher::ArticleRetried& e) override;
  void on(const publisher::RestoreProgress& e) override;
  void on(const publisher::OwnedPartitions& e) override;
  void on(const publisher::ProducerRebuilt& e) override;
  void on(const publisher::TransactionSettled& e) override;
  void on(const publisher::ConsumerCloseTimedOut& e) override;
  void on(const publisher::KafkaStatistics& e) override;

 private:
  Metrics& metrics_;
  std::function<void()> on_restore_change_;
};

}  // namespace feedpipe::app
