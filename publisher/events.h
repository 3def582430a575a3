#pragma once

// What the publisher reports for metrics, as small event structs delivered through
// EventSink. The app maps them to Prometheus; no URL or item id is ever in an event.
// Events are emitted on the thread that owns the client (the ingest caller's thread for
// IngestSession, the dedup thread for DedupRole, the enrich thread for EnrichRole).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace feedpipe::publisher {

enum class Role { kIngest, kDedup, kEnrich };

// The role as logs and metric labels name it.
constexpr std::string_view role_name(Role role) {
  switch (role) {
    case Role::kIngest: return "ingest";
    case Role::kDedup: return "dedup";
    case Role::kEnrich: return "enrich";
  }
  return "ingest";
}
enum class Topic { kRaw, kEntries, kArticles, kErrors, kFeedState, kDedupState };

// Fault injection for tests (TxnProducer::set_fault_injection), asked once per commit:
// kFatalBeforeCommit fails the producer fatally just before it commits (the transaction
// cannot be applied); kLoseCommitAnswer reports a commit the coordinator applied as timed
// out, as when its answer is lost on the way back; kLoseCommitAnswerUnsettled does that and
// then makes the settling of it fail as when Kafka cannot be asked (TxnOutcome::kUnknown).
// Each way the producer needs a rebuild.
enum class CommitFault { kNone, kFatalBeforeCommit, kLoseCommitAnswer, kLoseCommitAnswerUnsettled };

struct TransactionCommitted {
  Role role;
  std::chrono::microseconds duration;  // begin_transaction .. commit returned
  int records = 0;                      // records in the transaction, state included
};

struct TransactionAborted {
  Role role;
  ErrorCode reason;                     // kKafka (abortable) or kKafkaFatal
  std::string message;
};

struct RecordsPublished {  // committed records, counted after the commit succeeded
  Role role;
  Topic topic;
  int count = 0;
};

struct DuplicatesDropped {  // dedup: same content hash as the stored state
  int count = 0;
};

struct RevisionsPublished {  // dedup: changed content, next revision published
  int count = 0;
};

struct UpdatesIgnored {  // dedup: changed content while `updates: ignore`
  int count = 0;
};

struct ExpiredStateDeleted {  // dedup: tombstones written for retention
  int count = 0;
};

struct RestoreProgress {
  Topic topic;                          // kFeedState or kDedupState
  int partitions_restoring = 0;         // 0 when done
  std::int64_t records = 0;             // records read so far in this restore
  std::chrono::microseconds elapsed{0};
  bool done = false;
};

struct OwnedPartitions {
  Role role;
  int count = 0;
};

struct EnrichBacklog {  // enrich: where the uncommitted entries stand (gauges)
  int in_flight = 0;          // page fetches started, not done
  int waiting = 0;            // entries not done yet: queued for a fetch slot or backing off
  int paused_partitions = 0;  // partitions paused for max_pending_per_partition
};

struct ArticleRetried {  // enrich: a failed page attempt that will be tried again
  ErrorCode reason;
};

// A transaction whose commit failed in a way that left its outcome open (a commit that
// timed out, a fatal error), and what Kafka said of it once the producer was rebuilt.
enum class TxnOutcome { kAborted, kCommitted, kUnknown };
struct TransactionSettled {
  Role role;
  TxnOutcome outcome;
};

struct ProducerRebuilt {  // fatal or fenced producer destroyed and created again
  Role role;
  ErrorCode reason;
  std::string message;
};

// A consumer that did not leave its group within the close timeout and was dropped without
// leaving (the group removes it when its session times out).
struct ConsumerCloseTimedOut {
  Role role;
  std::chrono::milliseconds waited{0};
};

// librdkafka statistics (`statistics.interval.ms`), the fields the metrics need plus the
// whole document for anything else.
struct KafkaStatistics {
  struct Broker {
    std::string name;       // "host:port/nodeid"
    std::string state;      // "UP", "DOWN", ...
    std::int64_t rtt_avg_us = 0;
    std::int64_t rtt_p99_us = 0;
  };
  Role role;
  std::string client;       // "producer" or "consumer"
  std::int64_t msg_cnt = 0;
  std::int64_t tx = 0;
  std::int64_t txmsgs = 0;
  std::int64_t rx = 0;
  std::int64_t rxmsgs = 0;
  std::int64_t consumer_lag = 0;        // sum over assigned partitions, >= 0
  std::string txn_state;                // eos.txn_state of a transactional producer
  std::vector<Broker> brokers;          // bootstrap and logical brokers excluded
  std::string json;
};

// Default no-op handlers so a listener overrides only what it exports.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on(const TransactionCommitted&) {}
  virtual void on(const TransactionAborted&) {}
  virtual void on(const RecordsPublished&) {}
  virtual void on(const DuplicatesDropped&) {}
  virtual void on(const RevisionsPublished&) {}
  virtual void on(const UpdatesIgnored&) {}
  virtual void on(const ExpiredStateDeleted&) {}
  virtual void on(const RestoreProgress&) {}
  virtual void on(const OwnedPartitions&) {}
  virtual void on(const EnrichBacklog&) {}
  virtual void on(const ArticleRetried&) {}
  virtual void on(const ProducerRebuilt&) {}
  virtual void on(const TransactionSettled&) {}
  virtual void on(const ConsumerCloseTimedOut&) {}
  virtual void on(const KafkaStatistics&) {}
};

}  // namespace feedpipe::publisher
