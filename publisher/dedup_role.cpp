#include "publisher/dedup_role.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
#include "publisher/topics.h"

namespace feedpipe::publisher {

using namespace detail;

namespace {

constexpr std::string_view kLog = "publisher";

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}



// One record to write in the batch's transaction.
struct Output {
  Topic topic;
  int partition = -1;
  std::string key;
  std::optional<std::string> value;  // nullopt = tombstone
  std::vector<Header> headers;
};

}  // namespace

class DedupRole::Impl {
 public:
  Impl(const KafkaConfig& kafka, const DedupConfig& dedup, DedupListener& listener,
       Options options)
      : config_(kafka),
        dedup_(dedup),
        listener_(listener),
        options_(std::move(options)),
        topics_(TopicNames::from_prefix(kafka.topic_prefix)),
        instance_id_(instance_id_of(kafka)),
        producer_(kafka, kafka.group_id + ".dedup." + instance_id_, Role::kDedup, listener),
        consumer_context_{&listener, Role::kDedup, this} {
    if (!options_.now_ms) options_.now_ms = system_now_ms;
    const int raw = value_or_throw(partition_count(config_, topics_.raw), "raw topic");
    const int state = value_or_throw(partition_count(config_, topics_.dedup_state), "dedup-state topic");
    if (raw != state) {
      throw std::runtime_error("raw has " + std::to_string(raw) + " partitions, dedup-state " +
                               std::to_string(state) + ": they must be equal");
    }
    states_.resize(static_cast<std::size_t>(raw));
    producer_.set_fault_injection(options_.commit_fault);
    if (auto st = producer_.start(); !st) {
      throw std::runtime_error("dedup producer: " + st.error().message);
    }
    create_consumer();
  }

  void create_consumer() {
    consumer_ = make_group_consumer(config_, "dedup", instance_id_, topics_.raw,
                                    &Impl::rebalance_cb, &consumer_context_,
                                    {{"auto.offset.reset", "earliest"}});
  }

  ~Impl() { stop(); }

  void start() {
    if (thread_.joinable()) return;
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    close_consumer(consumer_, &Impl::rebalance_cb, Role::kDedup, &listener_,
                   options_.close_timeout);
  }

  bool restored() const { return restored_; }

 private:
  void run() {
    auto next_expiry = std::chrono::steady_clock::now() + options_.expiry_interval;
    while (running_) {
      producer_.poll(0);
      if (recreate_pending_) {
        recreate_consumer();
        continue;
      }
      collect_batch();
      if (recreate_pending_) continue;
      const bool expiry_due = std::chrono::steady_clock::now() >= next_expiry;
      if (expiry_due) next_expiry = std::chrono::steady_clock::now() + options_.expiry_interval;
      if (!batch_.empty() || expiry_due) process(expiry_due);
      if (rejoin_pending_) rejoin();
    }
    // A batch is processed synchronously, so nothing is open here; uncommitted records
    // are consumed again by the next owner.
    batch_.clear();
  }

  void collect_batch() {
    const auto deadline = std::chrono::steady_clock::now() + options_.batch_wait;
    while (running_ && static_cast<int>(batch_.size()) < options_.max_batch) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      Message msg(rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(left.count())));
      if (!msg) continue;
      if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
        recreate_pending_ = true;
        break;
      }
      if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          log::warn(kLog, "dedup consumer", {{"error", rd_kafka_err2name(msg->err)}});
        }
        continue;
      }
      if (!owned_.count(msg->partition)) continue;
      batch_.push_back(std::move(msg));
    }
  }

  const DedupEntry* lookup(int partition, const std::string& id,
                           const std::unordered_map<std::string, std::optional<DedupEntry>>& pending) {
    if (auto it = pending.find(id); it != pending.end()) {
      return it->second ? &*it->second : nullptr;
    }
    auto& state = states_[static_cast<std::size_t>(partition)];
    if (auto it = state.find(id); it != state.end()) return &it->second;
    return nullptr;
  }

  void process(bool expiry_due) {
    const std::int64_t now = options_.now_ms();
    const std::int64_t retention_ms = dedup_.retention.count();
    const std::int64_t refresh_ms = std::max<std::int64_t>(retention_ms / 10, 1);
    std::vector<Output> out;
    std::unordered_map<std::string, std::optional<DedupEntry>> pending;  // id -> new state
    std::unordered_map<std::string, int> pending_partition;
    std::map<int, std::int64_t> next_offsets, first_offsets;
    int published = 0, duplicates = 0, revisions = 0, ignored = 0, expired = 0, invalid = 0;

    auto put_state = [&](int p, const std::string& id, const DedupEntry& e) {
      pending[id] = e;
      pending_partition[id] = p;
      out.push_back({Topic::kDedupState, p, id, encode_dedup_entry(e), {}});
    };

    for (const auto& msg : batch_) {
      const int p = msg->partition;
      first_offsets.emplace(p, msg->offset);
      next_offsets[p] = msg->offset + 1;
      const std::string_view value(static_cast<const char*>(msg->payload), msg->len);
      auto item = msg->payload ? decode_entry(value) : Result<Item>(Error{ErrorCode::kParse, "null value"});
      if (!item) {
        ++invalid;
        out.push_back({Topic::kErrors, -1,
                       std::string(static_cast<const char*>(msg->key), msg->key_len),
                       std::string(value), {{"error", item.error().message},
                                            {"source_topic", topics_.raw}}});
        continue;
      }
      const DedupEntry* seen = lookup(p, item->id, pending);
      if (!seen) {
        item->revision = 1;
        put_state(p, item->id, DedupEntry{now, now, item->content_sha256, 1});
        out.push_back({Topic::kEntries, -1, item->id, encode_entry(*item), entry_headers(*item)});
        ++published;
      } else if (seen->content_sha256 == item->content_sha256 || !dedup_.publish_updates) {
        if (seen->content_sha256 == item->content_sha256) {
          ++duplicates;
        } else {
          ++ignored;
        }
        if (now - seen->last_seen_ms >= refresh_ms) {
          DedupEntry e = *seen;
          e.last_seen_ms = now;
          put_state(p, item->id, e);
        }
      } else {
        DedupEntry e{seen->first_seen_ms, now, item->content_sha256, seen->revision + 1};
        item->revision = e.revision;
        put_state(p, item->id, e);
        out.push_back({Topic::kEntries, -1, item->id, encode_entry(*item), entry_headers(*item)});
        ++revisions;
      }
    }
    if (expiry_due) {
      constexpr int kMaxTombstonesPerTxn = 10000;
      for (int p : owned_) {
        for (const auto& [id, e] : states_[static_cast<std::size_t>(p)]) {
          if (expired >= kMaxTombstonesPerTxn) break;
          if (pending.count(id) || now - e.last_seen_ms < retention_ms) continue;
          pending[id] = std::nullopt;
          pending_partition[id] = p;
          out.push_back({Topic::kDedupState, p, id, std::nullopt, {}});
          ++expired;
        }
      }
    }
    if (out.empty() && next_offsets.empty()) return;

    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
    for (const auto& [p, off] : next_offsets) {
      rd_kafka_topic_partition_list_add(offsets.get(), topics_.raw.c_str(), p)->offset = off;
    }
    auto st = transact(out, next_offsets.empty() ? nullptr : offsets.get());
    batch_.clear();
    if (!st) {
      const auto outcome =
          next_offsets.empty() ? TxnOutcome::kAborted
                               : producer_.settle(st.error(), consumer_.get(), offsets.get(),
                                                  options_.restore_timeout);
      if (outcome == TxnOutcome::kAborted) {
        // Expiry tombstones alone (no offsets) are safe to write again.
        log::warn(kLog, "dedup transaction failed; rewinding", {{"error", st.error().message}});
        rewind(first_offsets);
        return;
      }
      if (outcome == TxnOutcome::kUnknown) {
        // Publishing the batch again could duplicate it, dropping it could lose it: the
        // state and the positions are taken again from Kafka by joining the group again.
        log::error(kLog, "dedup transaction outcome unknown; rejoining the group",
                   {{"error", st.error().message}});
        drop_partitions();
        rejoin_pending_ = true;
        return;
      }
      log::warn(kLog, "dedup transaction reported failed was committed",
                {{"error", st.error().message}});
    }
    for (auto& [id, e] : pending) {
      auto& state = states_[static_cast<std::size_t>(pending_partition[id])];
      if (e) {
        state[id] = *e;
      } else {
        state.erase(id);
      }
    }
    if (published + revisions) {
      listener_.on(RecordsPublished{Role::kDedup, Topic::kEntries, published + revisions});
    }
    int state_records = 0, error_records = 0;
    for (const auto& o : out) {
      state_records += o.topic == Topic::kDedupState;
      error_records += o.topic == Topic::kErrors;
    }
    if (state_records) listener_.on(RecordsPublished{Role::kDedup, Topic::kDedupState, state_records});
    if (error_records) listener_.on(RecordsPublished{Role::kDedup, Topic::kErrors, error_records});
    if (duplicates) listener_.on(DuplicatesDropped{duplicates});
    if (revisions) listener_.on(RevisionsPublished{revisions});
    if (ignored) listener_.on(UpdatesIgnored{ignored});
    if (expired) listener_.on(ExpiredStateDeleted{expired});
    (void)invalid;
  }

  Status transact(const std::vector<Output>& out, const rd_kafka_topic_partition_list_t* offsets) {
    if (auto st = producer_.begin(); !st) return st;
    for (const auto& o : out) {
      const std::string& topic = o.topic == Topic::kEntries      ? topics_.entries
                                 : o.topic == Topic::kDedupState ? topics_.dedup_state
                                                                 : topics_.errors;
      if (auto st = producer_.produce(topic, o.partition, o.key,
                                      o.value ? &*o.value : nullptr, o.headers);
          !st) {
        producer_.abort(st.error());
        return st;
      }
    }
    if (offsets) {
      GroupMetadata group(rd_kafka_consumer_group_metadata(consumer_.get()));
      if (auto st = producer_.send_offsets(offsets, group.get()); !st) {
        producer_.abort(st.error());
        return st;
      }
    }
    return producer_.commit();
  }

  // A fatal consumer error (FENCED_INSTANCE_ID when a static member's session timed out
  // while the broker was away and the rejoin raced its old member id) leaves the handle
  // unusable: it is never assigned anything again, so this replica would dedup nothing for
  // good. A new handle with the same group.instance.id rejoins the group; the records of
  // the abandoned batch are consumed again by whoever owns their partitions next.
  void recreate_consumer() {
    recreate_pending_ = false;
    if (consumer_) {
      char reason[512] = "";
      rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason);
      log::error(kLog, "dedup consumer failed fatally; recreating it", {{"error", reason}});
      close_consumer(consumer_, &Impl::rebalance_cb, Role::kDedup, &listener_,
                     options_.close_timeout);
    }
    drop_partitions();
    try {
      create_consumer();
    } catch (const std::exception& e) {
      log::error(kLog, "dedup consumer could not be recreated", {{"error", e.what()}});
      recreate_pending_ = true;
      std::this_thread::sleep_for(options_.batch_wait);
    }
  }

  // Forgets the owned partitions' state and stops taking their records (collect_batch
  // skips partitions not owned) until the group assigns them again.
  void drop_partitions() {
    batch_.clear();
    for (int p : owned_) states_[static_cast<std::size_t>(p)].clear();
    owned_.clear();
    restored_ = false;
    listener_.on(OwnedPartitions{Role::kDedup, 0});
  }

  // A member that took no partitions after a failed restore would keep them idle until
  // the next rebalance, and one that lost track of a transaction must start again from what
  // Kafka has: subscribing again makes it rejoin the group.
  void rejoin() {
    rejoin_pending_ = false;
    log::warn(kLog, "rejoining the dedup group");
    rd_kafka_unsubscribe(consumer_.get());
    PartitionList sub(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(sub.get(), topics_.raw.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(consumer_.get(), sub.get())) {
      log::error(kLog, "resubscribe failed", {{"error", rd_kafka_err2name(err)}});
      rejoin_pending_ = true;
    }
  }

  // After a failed transaction: consume the batch again from its first offsets.
  void rewind(const std::map<int, std::int64_t>& first_offsets) {
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(first_offsets.size())));
    for (const auto& [p, off] : first_offsets) {
      if (!owned_.count(p)) continue;
      rd_kafka_topic_partition_list_add(list.get(), topics_.raw.c_str(), p)->offset = off;
    }
    if (list->cnt == 0) return;
    KafkaError err(rd_kafka_seek_partitions(consumer_.get(), list.get(), 10000));
    if (err) {
      log::error(kLog, "rewind after failed transaction failed",
                 {{"error", rd_kafka_error_string(err.get())}});
    }
  }

  static void on_state_record(void* ctx, int partition, std::string_view key,
                              std::string_view value, bool tombstone) {
    auto* self = static_cast<Impl*>(ctx);
    auto& state = self->states_[static_cast<std::size_t>(partition)];
    std::string id(key);
    if (tombstone) {
      state.erase(id);
      return;
    }
    auto entry = decode_dedup_entry(value);
    if (entry) state[id] = std::move(*entry);
  }

  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(static_cast<ClientContext*>(opaque)->owner);
    std::vector<int> parts;
    for (int i = 0; i < partitions->cnt; ++i) parts.push_back(partitions->elems[i].partition);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->restored_ = false;
      // Barrier and starting offsets at once.
      if (auto st = fetch_committed(rk, partitions, self->options_.restore_timeout, "raw"); !st) {
        log::error(kLog, "not taking the partitions", {{"error", st.error().message}});
        rebalance_assign(rk, nullptr);
        self->rejoin_pending_ = true;
        return;
      }
      for (int p : parts) self->states_[static_cast<std::size_t>(p)].clear();
      if (auto st = restore_partitions(self->config_, self->topics_.dedup_state, parts,
                                       Topic::kDedupState, self->listener_, self,
                                       &Impl::on_state_record, self->options_.restore_timeout);
          !st) {
        log::error(kLog, "dedup-state restore failed; not taking the partitions",
                   {{"error", st.error().message}});
        rebalance_assign(rk, nullptr);
        self->rejoin_pending_ = true;
        return;
      }
      for (int i = 0; i < partitions->cnt; ++i) {
        if (partitions->elems[i].offset < 0) partitions->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
      }
      rebalance_assign(rk, partitions);
      self->owned_.insert(parts.begin(), parts.end());
      self->restored_ = true;
      self->listener_.on(OwnedPartitions{Role::kDedup, static_cast<int>(self->owned_.size())});
      log::info(kLog, "dedup partitions assigned",
                {{"partitions", static_cast<std::int64_t>(parts.size())}});
    } else {
      std::set<int> revoked(parts.begin(), parts.end());
      // Records of revoked partitions not yet committed belong to the next owner.
      std::erase_if(self->batch_, [&](const Message& m) { return revoked.count(m->partition); });
      for (int p : parts) {
        self->owned_.erase(p);
        self->states_[static_cast<std::size_t>(p)].clear();
      }
      self->listener_.on(OwnedPartitions{Role::kDedup, static_cast<int>(self->owned_.size())});
      rebalance_assign(rk, nullptr);
    }
  }

  KafkaConfig config_;
  DedupConfig dedup_;
  DedupListener& listener_;
  Options options_;
  TopicNames topics_;
  std::string instance_id_;
  TxnProducer producer_;
  ClientContext consumer_context_;
  KafkaHandle consumer_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> restored_{false};
  // Dedup-thread state (also touched by rebalance_cb, which runs on the dedup thread).
  std::set<int> owned_;
  std::vector<std::unordered_map<std::string, DedupEntry>> states_;  // by raw partition
  std::vector<Message> batch_;
  bool rejoin_pending_ = false;
  bool recreate_pending_ = false;
};

DedupRole::DedupRole(const KafkaConfig& kafka, const DedupConfig& dedup, DedupListener& listener)
    : DedupRole(kafka, dedup, listener, Options{}) {}
DedupRole::DedupRole(const KafkaConfig& kafka, const DedupConfig& dedup, DedupListener& listener,
                     Options options)
    : impl_(std::make_unique<Impl>(kafka, dedup, listener, std::move(options))) {}
DedupRole::~DedupRole() = default;
void DedupRole::start() { impl_->start(); }
void DedupRole::stop() { impl_->stop(); }
bool DedupRole::restored() const { return impl_->restored(); }

}  // namespace feedpipe::publisher
