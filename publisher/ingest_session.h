#pragma once

// The ingest side's link to Kafka: ownership of feeds through the consumer group
// `<group_id>.ingest` on `<prefix>.feed-state`, the restore of the owned feed states, and the
// exactly-once commit of one poll (new items + the feed's new state in one transaction).
//
// Threading: not thread-safe. One thread (the app's publish thread) makes every call;
// listener callbacks run on that thread inside poll() or commit_poll().
//
// Ownership: a feed belongs to partition partition_for(feed_url, feed-state partitions).
// Eager assignment (`range`) with static membership (`group.instance.id`); cooperative-sticky
// is avoided on librdkafka 2.0.x (see the reliability notes).
//
// Zombie fencing: one transactional producer per session (transactional.id =
// `<group_id>.ingest.<instance_id>`), and every transaction also commits an offset of the
// feed's feed-state partition for the group through send_offsets_to_transaction with the
// consumer's group metadata. The group coordinator checks member and generation (KIP-447),
// so a replica whose partitions were reassigned while it was paused cannot commit: its
// transaction is aborted and commit_poll returns an error. A transactional.id per partition
// (EOS v1) would fence earlier but needs a producer per partition; the generation check is
// enough because nothing is visible to read_committed readers before the commit. On
// assignment, the committed offsets are read with require_stable (librdkafka does so under
// read_committed), which waits for a zombie's pending transaction to finish before the
// state is restored.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/feed_state.h"
#include "common/item.h"
#include "common/result.h"
#include "publisher/events.h"

namespace feedpipe::publisher {

// One feed's poll result for commit_polls.
struct PollCommit {
  FeedState state;
  std::vector<Item> items;
  bool forget = false;  // the feed left the config: a tombstone for its state, no items
};

class IngestListener : public EventSink {
 public:
  // The session now owns `partitions` (feed-state partition numbers). `restored` holds the
  // last committed state of every feed of those partitions (tombstoned feeds omitted). May
  // also be called for partitions already owned, after a producer rebuild: replace state.
  virtual void on_assigned(const std::vector<int>& partitions, std::vector<FeedState> restored) = 0;
  // The session no longer owns `partitions`; stop polling their feeds. No transaction is
  // open at this point (commit_poll is synchronous).
  virtual void on_revoked(const std::vector<int>& partitions) = 0;
};

class IngestSession {
 public:
  struct Options {
    std::chrono::milliseconds restore_timeout{std::chrono::minutes(5)};
    // How long leaving the group may take (close(), a consumer recreated after a fatal
    // error); past it the consumer is dropped without leaving (ConsumerCloseTimedOut).
    std::chrono::milliseconds close_timeout{std::chrono::seconds(10)};
  };

  // Connects, creates the producer (init_transactions) and subscribes. Throws
  // std::runtime_error on configuration errors or when the topics are missing (start-up
  // only); call ensure_topics first.
  IngestSession(const KafkaConfig& config, IngestListener& listener);
  IngestSession(const KafkaConfig& config, IngestListener& listener, Options options);
  IngestSession(const IngestSession&) = delete;
  IngestSession& operator=(const IngestSession&) = delete;
  ~IngestSession();

  // Serves group events (assignment, revocation, restore) and client statistics. Call it
  // regularly (well within max.poll.interval.ms) from the owning thread.
  void poll(std::chrono::milliseconds timeout);

  bool owns(std::string_view feed_url) const;
  int partition_of(std::string_view feed_url) const;
  std::vector<int> owned_partitions() const;
  int feed_state_partitions() const;

  // One transaction: `new_items` to <prefix>.raw (key = item id) and `new_state` to
  // <prefix>.feed-state (key = feed URL), bound to the current group generation. On any
  // error nothing of it is visible to read_committed readers; keep the previous state and
  // retry the poll later. kKafkaFatal: the producer was rebuilt and the owned state
  // restored (on_revoked + on_assigned were called).
  Status commit_poll(const FeedState& new_state, const std::vector<Item>& new_items);

  // Several polls in one transaction (all or none), for throughput: a transaction costs
  // about as much as a hundred records (see publisher/README.md). Every feed must be owned.
  Status commit_polls(const std::vector<PollCommit>& polls);

  // Leaves the group and closes the clients, the consumer within Options::close_timeout.
  // Idempotent; the destructor calls it.
  void close();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedpipe::publisher
