#include "publisher/ingest_session.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include "common/log.h"
#include "publisher/kafka_client.h"
#include "publisher/partitioner.h"
#include "publisher/record.h"
#include "publisher/topics.h"

namespace feedpipe::publisher {

using namespace detail;

namespace {

constexpr std::string_view kLog = "publisher";



}  // namespace

class IngestSession::Impl {
 public:
  Impl(const KafkaConfig& config, IngestListener& listener, Options options)
      : config_(config),
        listener_(listener),
        options_(options),
        topics_(TopicNames::from_prefix(config.topic_prefix)),
        instance_id_(instance_id_of(config)),
        producer_(config, config.group_id + ".ingest." + instance_id_, Role::kIngest, listener),
        consumer_context_{&listener, Role::kIngest, this} {
    feed_state_partitions_ = value_or_throw(partition_count(config_, topics_.feed_state), "feed-state topic");
    if (auto st = producer_.start(); !st) {
      throw std::runtime_error("ingest producer: " + st.error().message);
    }
    create_consumer();
  }

  void create_consumer() {
    consumer_ = make_group_consumer(config_, "ingest", instance_id_, topics_.feed_state,
                                    &Impl::rebalance_cb, &consumer_context_);
  }

  ~Impl() { close(); }

  void close() {
    if (!consumer_) return;
    // The revocation callback runs inside.
    close_consumer(consumer_, &Impl::rebalance_cb, Role::kIngest, &listener_,
                   options_.close_timeout);
    // A member the group has already evicted does not always get its revocation delivered
    // (nor does a close given up at its deadline); what it still held is not its own.
    give_up_owned();
  }

  void poll(std::chrono::milliseconds timeout) {
    if (recreate_pending_) {
      recreate_pending_ = false;
      try {
        create_consumer();
      } catch (const std::exception& e) {
        log::error(kLog, "ingest consumer could not be recreated", {{"error", e.what()}});
        recreate_pending_ = true;
        std::this_thread::sleep_for(timeout);
        return;
      }
    }
    if (!consumer_) return;
    producer_.poll(0);
    Message msg(rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(timeout.count())));
    if (msg && msg->err == RD_KAFKA_RESP_ERR__FATAL) {
      recreate_consumer();
      return;
    }
    if (msg && msg->err && msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      log::warn(kLog, "ingest consumer", {{"error", rd_kafka_err2name(msg->err)}});
    }
    if (rebuild_pending_) rebuild_and_restore(ErrorCode::kKafkaFatal, "producer unusable");
    if (rejoin_pending_) rejoin();
  }

  bool owns(std::string_view url) const { return owned_.count(partition_of(url)) > 0; }
  int partition_of(std::string_view url) const {
    return partition_for(url, feed_state_partitions_);
  }
  std::vector<int> owned() const { return {owned_.begin(), owned_.end()}; }
  int feed_state_partitions() const { return feed_state_partitions_; }

  Status commit_polls(const std::vector<PollCommit>& polls) {
    if (polls.empty()) return Ok{};
    std::map<int, std::int64_t> partitions;
    for (const auto& poll : polls) {
      const int partition = partition_of(poll.state.url);
      if (!owned_.count(partition)) {
        return Error{ErrorCode::kKafka, "feed's partition is not owned by this replica", true};
      }
      partitions[partition] = restored_end_[partition];
    }
    if (auto st = producer_.begin(); !st) return fail(st.error());
    int item_count = 0;
    for (const auto& poll : polls) {
      for (const auto& item : poll.items) {
        const std::string value = encode_entry(item);
        if (auto st = producer_.produce(topics_.raw, -1, item.id, &value, entry_headers(item));
            !st) {
          return fail(st.error());
        }
        ++item_count;
      }
      const std::string value = poll.forget ? std::string() : encode_feed_state(poll.state);
      if (auto st = producer_.produce(topics_.feed_state, partition_of(poll.state.url),
                                      poll.state.url, poll.forget ? nullptr : &value);
          !st) {
        return fail(st.error());
      }
    }
    // The offsets themselves are never read back (state is restored from the beginning);
    // they bind the transaction to this member's generation.
    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto& [partition, offset] : partitions) {
      rd_kafka_topic_partition_list_add(offsets.get(), topics_.feed_state.c_str(), partition)
          ->offset = offset;
    }
    GroupMetadata group(rd_kafka_consumer_group_metadata(consumer_.get()));
    if (auto st = producer_.send_offsets(offsets.get(), group.get()); !st) {
      return fail(st.error());
    }
    if (auto st = producer_.commit(); !st) {
      if (!producer_.healthy()) return fail(st.error());
      return st;
    }
    listener_.on(RecordsPublished{Role::kIngest, Topic::kRaw, item_count});
    listener_.on(RecordsPublished{Role::kIngest, Topic::kFeedState, static_cast<int>(polls.size())});
    return Ok{};
  }

 private:
  // Aborts whatever is open; a producer that cannot be trusted any more is rebuilt and the
  // owned state restored, so the caller and Kafka agree again.
  Status fail(const Error& e) {
    producer_.abort(e);
    log::warn(kLog, "ingest transaction failed", {{"error", e.message}});
    if (!producer_.healthy()) {
      rebuild_and_restore(e.code, e.message);
      return Error{ErrorCode::kKafkaFatal, e.message, true};
    }
    return e;
  }

  void rebuild_and_restore(ErrorCode reason, const std::string& why) {
    rebuild_pending_ = false;
    if (auto st = producer_.rebuild(reason, why); !st) {
      log::error(kLog, "producer rebuild failed; retrying on next poll",
                 {{"error", st.error().message}});
      rebuild_pending_ = true;
      return;
    }
    const std::vector<int> parts = owned();
    if (parts.empty()) return;
    listener_.on_revoked(parts);
    auto states = restore(parts);
    if (!states) {
      log::error(kLog, "restore after rebuild failed", {{"error", states.error().message}});
      owned_.clear();
      listener_.on(OwnedPartitions{Role::kIngest, 0});
      rebuild_pending_ = true;
      return;
    }
    listener_.on_assigned(parts, std::move(*states));
  }

  // A member that holds no partitions after a failed restore would otherwise keep them
  // idle until the next rebalance: subscribing again makes it rejoin the group.
  void rejoin() {
    rejoin_pending_ = false;
    log::warn(kLog, "rejoining the ingest group after a failed restore");
    rd_kafka_unsubscribe(consumer_.get());
    PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topics_.feed_state.c_str(),
                                      RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(consumer_.get(), topics.get())) {
      log::error(kLog, "resubscribe failed", {{"error", rd_kafka_err2name(err)}});
      rejoin_pending_ = true;
    }
  }

  // A fatal consumer error (FENCED_INSTANCE_ID when a static member's session timed out
  // while the broker was away and the rejoin raced its old member id) leaves the handle
  // unusable: it is never assigned anything again, so this replica would poll no feed for
  // good. A new handle with the same group.instance.id rejoins the group.
  void recreate_consumer() {
    char reason[512] = "";
    rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason);
    log::error(kLog, "ingest consumer failed fatally; recreating it", {{"error", reason}});
    close_consumer(consumer_, &Impl::rebalance_cb, Role::kIngest, &listener_,
                   options_.close_timeout);
    give_up_owned();
    try {
      create_consumer();
    } catch (const std::exception& e) {
      log::error(kLog, "ingest consumer could not be recreated", {{"error", e.what()}});
      recreate_pending_ = true;
    }
  }

  // Tells the listener that whatever is still owned is not any more.
  void give_up_owned() {
    if (owned_.empty()) return;
    std::vector<int> parts(owned_.begin(), owned_.end());
    owned_.clear();
    listener_.on(OwnedPartitions{Role::kIngest, 0});
    listener_.on_revoked(parts);
  }

  static void on_state_record(void* ctx, int partition, std::string_view key,
                              std::string_view value, bool tombstone) {
    auto* self = static_cast<Impl*>(ctx);
    std::string url(key);
    if (tombstone) {
      self->restoring_.erase(url);
      return;
    }
    auto state = decode_feed_state(value);
    if (!state) {
      log::warn(kLog, "undecodable feed state skipped",
                {{"partition", partition}, {"error", state.error().message}});
      return;
    }
    self->restoring_[url] = std::move(*state);
  }

  Result<std::vector<FeedState>> restore(const std::vector<int>& partitions) {
    restoring_.clear();
    // Barrier only: the offsets are not used, the state topic is read from its beginning.
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (int p : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), topics_.feed_state.c_str(), p);
    }
    if (auto st = fetch_committed(consumer_.get(), list.get(), options_.restore_timeout, "feed-state"); !st) {
      return st.error();
    }
    if (auto st = restore_partitions(config_, topics_.feed_state, partitions, Topic::kFeedState,
                                     listener_, this, &Impl::on_state_record,
                                     options_.restore_timeout);
        !st) {
      return st.error();
    }
    for (int p : partitions) {
      std::int64_t low = 0, high = 0;
      rd_kafka_query_watermark_offsets(consumer_.get(), topics_.feed_state.c_str(), p, &low, &high,
                                       5000);
      restored_end_[p] = high;
    }
    std::vector<FeedState> out;
    out.reserve(restoring_.size());
    for (auto& [url, state] : restoring_) out.push_back(std::move(state));
    restoring_.clear();
    return out;
  }

  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(static_cast<ClientContext*>(opaque)->owner);
    std::vector<int> parts;
    for (int i = 0; i < partitions->cnt; ++i) parts.push_back(partitions->elems[i].partition);
    std::sort(parts.begin(), parts.end());
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      auto states = self->restore(parts);
      if (!states) {
        // Not owning is safe; rejoining (next poll) gets the partitions assigned again.
        log::error(kLog, "feed-state restore failed; not taking the partitions",
                   {{"error", states.error().message}});
        rebalance_assign(rk, nullptr);
        self->rejoin_pending_ = true;
        return;
      }
      // The group consumer never reads feed-state itself; the partitions are held paused.
      for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = RD_KAFKA_OFFSET_END;
      rebalance_assign(rk, partitions);
      rd_kafka_pause_partitions(rk, partitions);
      self->owned_.insert(parts.begin(), parts.end());
      log::info(kLog, "ingest partitions assigned",
                {{"partitions", static_cast<std::int64_t>(parts.size())},
                 {"feeds", static_cast<std::int64_t>(states->size())}});
      self->listener_.on(OwnedPartitions{Role::kIngest, static_cast<int>(self->owned_.size())});
      self->listener_.on_assigned(parts, std::move(*states));
    } else {
      // commit_poll is synchronous on this thread, so no transaction is open here.
      for (int p : parts) self->owned_.erase(p);
      log::info(kLog, "ingest partitions revoked",
                {{"partitions", static_cast<std::int64_t>(parts.size())},
                 {"lost", rd_kafka_assignment_lost(rk) != 0}});
      self->listener_.on(OwnedPartitions{Role::kIngest, static_cast<int>(self->owned_.size())});
      self->listener_.on_revoked(parts);
      rebalance_assign(rk, nullptr);
    }
  }

  KafkaConfig config_;
  IngestListener& listener_;
  Options options_;
  TopicNames topics_;
  std::string instance_id_;
  TxnProducer producer_;
  ClientContext consumer_context_;
  KafkaHandle consumer_;
  int feed_state_partitions_ = 0;
  std::set<int> owned_;
  std::map<int, std::int64_t> restored_end_;
  std::map<std::string, FeedState> restoring_;  // only during restore()
  bool rebuild_pending_ = false;
  bool rejoin_pending_ = false;
  bool recreate_pending_ = false;
};

IngestSession::IngestSession(const KafkaConfig& config, IngestListener& listener)
    : IngestSession(config, listener, Options{}) {}
IngestSession::IngestSession(const KafkaConfig& config, IngestListener& listener,
                             Options options)
    : impl_(std::make_unique<Impl>(config, listener, options)) {}
IngestSession::~IngestSession() = default;

void IngestSession::poll(std::chrono::milliseconds timeout) { impl_->poll(timeout); }
bool IngestSession::owns(std::string_view feed_url) const { return impl_->owns(feed_url); }
int IngestSession::partition_of(std::string_view feed_url) const {
  return impl_->partition_of(feed_url);
}
std::vector<int> IngestSession::owned_partitions() const { return impl_->owned(); }
int IngestSession::feed_state_partitions() const { return impl_->feed_state_partitions(); }
Status IngestSession::commit_poll(const FeedState& new_state, const std::vector<Item>& new_items) {
  return impl_->commit_polls({PollCommit{new_state, new_items}});
}
Status IngestSession::commit_polls(const std::vector<PollCommit>& polls) {
  return impl_->commit_polls(polls);
}
void IngestSession::close() { impl_->close(); }

}  // namespace feedpipe::publisher
