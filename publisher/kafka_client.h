#pragma once

// Internal to publisher/: librdkafka handles with deleters, configuration building, error
// mapping, statistics parsing and the transactional producer shared by the ingest session
// and the dedup role. The public headers never include this file.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "publisher/events.h"
#include "publisher/record.h"

namespace feedpipe::publisher::detail {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
struct KafkaErrorDeleter {
  void operator()(rd_kafka_error_t* e) const { rd_kafka_error_destroy(e); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct GroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* g) const {
    rd_kafka_consumer_group_metadata_destroy(g);
  }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, KafkaErrorDeleter>;
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using GroupMetadata =
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, GroupMetadataDeleter>;

using Properties = std::vector<std::pair<std::string, std::string>>;

// The opaque of every client: where its statistics go, and for consumers the object whose
// rebalance callback runs. Lives at a fixed address as long as its client.
struct ClientContext {
  EventSink* sink = nullptr;
  Role role = Role::kIngest;
  void* owner = nullptr;
  // Set by close_consumer while it runs (owner's thread only): rebalance_assign gives up
  // at this deadline and records that it did.
  std::optional<std::chrono::steady_clock::time_point> close_deadline;
  bool assign_abandoned = false;
};

// bootstrap.servers, then `defaults`, then the user's kafka.librdkafka passthrough, then
// `required` (settings exactly-once depends on, which the user may not change). The
// passthrough reaches every client: a property librdkafka documents as consumer-only is
// left out of producers and a producer-only one out of consumers (librdkafka would warn).
Result<KafkaConf> make_conf(rd_kafka_type_t type, const KafkaConfig& config,
                            const Properties& defaults, const Properties& required);

// Creates a client; the conf is consumed. `context` becomes the opaque (may be null).
Result<KafkaHandle> make_client(rd_kafka_type_t type, KafkaConf conf, ClientContext* context);

// kafka.instance_id, or the host name: the group.instance.id (static membership) and the
// suffix of the role's transactional.id.
std::string instance_id_of(const KafkaConfig& config);

// Start-up only: the value, or a std::runtime_error saying `what` failed.
template <class T>
T value_or_throw(Result<T> r, const char* what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}

using RebalanceFn = void (*)(rd_kafka_t*, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t*,
                             void*);

// The consumer every role uses: group `<group_id>.<role>`, static membership, eager `range`
// assignment, manual offsets (committed only inside transactions), read_committed, and
// subscribed to `topic`. `extra_defaults` add to the role's defaults. Throws at start-up.
KafkaHandle make_group_consumer(const KafkaConfig& config, std::string_view role,
                                const std::string& instance_id, const std::string& topic,
                                RebalanceFn on_rebalance, ClientContext* context,
                                const Properties& extra_defaults = {});

Error kafka_error(rd_kafka_resp_err_t err, std::string_view context);

// The rd_kafka_assign of a rebalance callback (`partitions` null: give everything back). It
// waits for the group handler without a deadline, and in librdkafka 2.0.2 a handler that
// terminated while the revocation was being delivered never answers (seen with a member
// the group had evicted, closed under ASan). So while close_consumer runs, the call is made
// on a thread of its own and given up at the close deadline; close_consumer then leaves the
// handle alone (the call is still inside it). Needs the ClientContext opaque of
// make_group_consumer.
void rebalance_assign(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions);

// How long a consumer may take to leave its group at shutdown or before it is recreated.
constexpr Millis kConsumerCloseTimeout{std::chrono::seconds(10)};

// Leaves the group and destroys `consumer` (null afterwards, valid until then for the
// callbacks), both within `timeout`. The close is served from this thread, so `on_rebalance`
// (null for a consumer that only assigns) still runs for the revocation, as under
// rd_kafka_consumer_close. That call and rd_kafka_destroy have no deadline of their own, and a
// member the group has already evicted can be kept waiting by the coordinator. A close that
// does not finish in time is abandoned (a warning, ConsumerCloseTimedOut to `sink`) and the
// handle destroyed without a consumer close (or, when a rebalance_assign is still waiting
// inside it, left to the process); the group drops the member when its session times out.
// Returns whether the close finished.
bool close_consumer(KafkaHandle& consumer, RebalanceFn on_rebalance, Role role, EventSink* sink,
                    Millis timeout = kConsumerCloseTimeout);

// Fills in the committed offsets of `partitions`. Under read_committed this asks for stable
// offsets, so it is also the barrier that waits for a transaction a previous owner still has
// open on them. An error of the call or of any one partition is returned (a guessed start
// would skip or repeat work): the caller takes nothing and joins again.
Status fetch_committed(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions, Millis timeout,
                       std::string_view what);
Error kafka_error(const rd_kafka_error_t* err, std::string_view context);

// Emits KafkaStatistics parsed from one statistics document.
void emit_statistics(EventSink& sink, Role role, std::string_view json);

// Reads the given partitions of a (compacted) state topic from the beginning to their end
// (the last stable offset: the reader is read_committed) and hands every record to
// `on_record(partition, key, value, value_is_null)`. Reports RestoreProgress.
using RecordFn = void (*)(void* ctx, int partition, std::string_view key, std::string_view value,
                          bool tombstone);
Status restore_partitions(const KafkaConfig& config, const std::string& topic,
                          const std::vector<int>& partitions, Topic topic_label, EventSink& sink,
                          void* ctx, RecordFn on_record, std::chrono::milliseconds timeout);

// The transactional producer of one role. Owned by one thread, the only caller of every
// method (and of rd_kafka_poll through poll()).
class TxnProducer {
 public:
  TxnProducer(const KafkaConfig& config, std::string transactional_id, Role role,
              EventSink& sink);
  TxnProducer(const TxnProducer&) = delete;
  TxnProducer& operator=(const TxnProducer&) = delete;
  ~TxnProducer();

  // Creates the client and runs init_transactions (fencing any older instance with the
  // same transactional.id and aborting its open transaction).
  Status start();
  // Purges, destroys and starts again; ProducerRebuilt is emitted.
  Status rebuild(ErrorCode reason, const std::string& why);
  bool healthy() const { return rk_ != nullptr && !needs_rebuild_; }

  Status begin();
  // `value` nullptr = tombstone. `partition` -1 = the configured partitioner (murmur2).
  Status produce(const std::string& topic, int partition, std::string_view key,
                 const std::string* value, const std::vector<Header>& headers = {});
  Status send_offsets(const rd_kafka_topic_partition_list_t* offsets,
                      const rd_kafka_consumer_group_metadata_t* group);
  // Commits. On failure the transaction is aborted (or the producer marked for rebuild)
  // before returning; kKafkaFatal means the caller must rebuild.
  Status commit();
  // Aborts the open transaction, if any; marks the producer for rebuild when that fails.
  void abort(const Error& why);
  // What became of a transaction whose commit failed (`why`). One this producer could still
  // abort never happened. One it could not (a commit that timed out, a fatal error) may
  // have been applied by the coordinator all the same: a new producer fences the old one,
  // which settles it either way, and the group's committed offsets, written in that same
  // transaction (`offsets`, asked through `consumer`), then say which (TransactionSettled).
  // kUnknown when Kafka cannot be asked: the caller must start again from what Kafka has
  // (join the group again), never redo the work nor count it as done.
  TxnOutcome settle(const Error& why, rd_kafka_t* consumer,
                    const rd_kafka_topic_partition_list_t* offsets, Millis timeout);
  void poll(int timeout_ms = 0);
  // For fault-injection tests (rd_kafka_test_fatal_error).
  rd_kafka_t* native() const { return rk_.get(); }
  // Fault injection for tests: `next_commit` is asked once per commit() (CommitFault).
  void set_fault_injection(std::function<CommitFault()> next_commit) {
    fault_ = std::move(next_commit);
  }
  // Waits until every produced record is acknowledged (commit does this by itself).
  Status flush(std::chrono::milliseconds timeout);

 private:
  Status handle_txn_error(KafkaError err, std::string_view what);

  KafkaConfig config_;
  std::string transactional_id_;
  Role role_;
  EventSink& sink_;
  ClientContext context_;
  KafkaHandle rk_;
  bool in_transaction_ = false;
  bool needs_rebuild_ = false;
  int records_ = 0;
  std::chrono::steady_clock::time_point began_{};
  std::function<CommitFault()> fault_;
  bool unsettled_fault_ = false;  // kLoseCommitAnswerUnsettled: the next settle() cannot ask
};


}  // namespace feedpipe::publisher::detail
