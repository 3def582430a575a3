#pragma once

// The dedup role (DESIGN.md sections 1 and 3): consumes <prefix>.raw read_committed in the
// consumer group `<group_id>.dedup` and publishes each item once to <prefix>.entries:
// first sight -> revision 1; changed content_sha256 -> next revision (when
// `updates: publish`); same hash -> counted and dropped.
//
// State: <prefix>.dedup-state (compacted, same partition count as raw, key = item id,
// partition p holds the ids of raw partition p). On assignment the role waits for pending
// transactions on its new partitions (committed offsets are fetched require_stable), reads
// the matching dedup-state partitions to their end, and only then consumes raw.
//
// Exactly-once: each batch is one transaction holding the entries, the dedup-state updates
// and the consumed raw offsets (send_offsets_to_transaction with the group metadata, so a
// replica whose partitions moved cannot commit). On a failed transaction the in-memory
// state is left as it was and the consumer rewinds to the batch's first offsets; a fatal
// producer is rebuilt (ProducerRebuilt) and the batch retried. A commit whose outcome was
// open (timed out, fatal) is first settled with Kafka (TxnProducer::settle): applied after
// all = the batch counts as done; unknown = the role rejoins and restores from Kafka.
//
// Retention: an id no feed has shown for `dedup.retention` (by last sighting) is deleted
// with a tombstone, inside a transaction that also binds to the group generation.
//
// Threading: the role runs its own thread (start/stop); the listener's callbacks run on it.
// Records that are not feedpipe.entry/1 go to <prefix>.errors with an `error` header.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/config.h"
#include "publisher/events.h"

namespace feedpipe::publisher {

class DedupListener : public EventSink {};

class DedupRole {
 public:
  struct Options {
    std::function<std::int64_t()> now_ms;  // injected clock; default: system clock
    int max_batch = 500;                    // raw records per transaction
    std::chrono::milliseconds batch_wait{100};
    std::chrono::milliseconds expiry_interval{std::chrono::minutes(1)};
    std::chrono::milliseconds restore_timeout{std::chrono::minutes(5)};
    // How long leaving the group may take (stop(), a consumer recreated after a fatal error);
    // past it the consumer is dropped without leaving (ConsumerCloseTimedOut).
    std::chrono::milliseconds close_timeout{std::chrono::seconds(10)};
    // Fault injection for tests (TxnProducer::set_fault_injection).
    std::function<CommitFault()> commit_fault;
  };

  // Creates the clients (init_transactions) and subscribes; throws std::runtime_error on
  // start-up errors (bad configuration, missing topics, raw and dedup-state partition
  // counts differ).
  DedupRole(const KafkaConfig& kafka, const DedupConfig& dedup, DedupListener& listener);
  DedupRole(const KafkaConfig& kafka, const DedupConfig& dedup, DedupListener& listener,
            Options options);
  DedupRole(const DedupRole&) = delete;
  DedupRole& operator=(const DedupRole&) = delete;
  ~DedupRole();  // stop()

  void start();
  // Finishes or aborts the current batch, leaves the group, joins the thread. Idempotent.
  void stop();

  // True once the current assignment's state is restored (for /readyz).
  bool restored() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedpipe::publisher
