#include "publisher/enrich_role.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/log.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
#include "publisher/topics.h"

namespace feedpipe::publisher {

using namespace detail;

namespace {

constexpr std::string_view kLog = "publisher";



// One entry of the batch and where its page stands.
struct Job {
  Item entry;
  int partition = 0;
  std::int64_t offset = 0;
  int attempts = 0;
  bool done = false;
  bool in_flight = false;
  std::chrono::steady_clock::time_point retry_at{};
  std::optional<Article> article;
  Error last_error;
};

}  // namespace

class EnrichRole::Impl {
 public:
  Impl(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source, Options options)
      : config_(kafka),
        listener_(listener),
        source_(source),
        options_(options),
        topics_(TopicNames::from_prefix(kafka.topic_prefix)),
        instance_id_(instance_id_of(kafka)),
        producer_(kafka, kafka.group_id + ".enrich." + instance_id_, Role::kEnrich, listener),
        consumer_context_{&listener, Role::kEnrich, this} {
    value_or_throw(partition_count(config_, topics_.entries), "entries topic");
    if (auto st = producer_.start(); !st) {
      throw std::runtime_error("enrich producer: " + st.error().message);
    }
    consumer_ = make_group_consumer(config_, "enrich", instance_id_, topics_.entries,
                                    &Impl::rebalance_cb, &consumer_context_,
                                    {{"auto.offset.reset", "earliest"},
                                     {"max.poll.interval.ms", "600000"}});
  }

  ~Impl() { stop(); }

  void start() {
    if (thread_.joinable()) return;
    running_ = true;
    thread_ = std::thread([this] { run(); });
  }

  void stop() {
    running_ = false;
    {
      std::lock_guard lock(mutex_);
      changed_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (consumer_) {
      rd_kafka_consumer_close(consumer_.get());
      consumer_.reset();
    }
  }

  bool restored() const { return restored_; }

 private:
  void run() {
    while (running_) {
      producer_.poll(0);
      collect_batch();
      if (!jobs_.empty()) process_batch();
    }
  }

  void collect_batch() {
    const auto deadline = std::chrono::steady_clock::now() + options_.batch_wait;
    while (running_ && static_cast<int>(jobs_.size()) < options_.max_batch) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      Message msg(rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(left.count())));
      if (!msg) continue;
      if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          log::warn(kLog, "enrich consumer", {{"error", rd_kafka_err2name(msg->err)}});
        }
        continue;
      }
      if (!owned_.count(msg->partition)) continue;
      auto job = std::make_unique<Job>();
      job->partition = msg->partition;
      job->offset = msg->offset;
      std::string_view value(static_cast<const char*>(msg->payload), msg->payload ? msg->len : 0);
      auto entry = decode_entry(value);
      if (entry) {
        job->entry = std::move(entry).value();
        // Only the first revision's page is fetched: later revisions change the feed's text,
        // not the page that was already extracted.
        job->done = job->entry.revision != 1 || !source_.wants(job->entry);
      } else {
        job->done = true;  // not ours to repair: dedup only writes valid entries
      }
      jobs_.push_back(std::move(job));
    }
  }

  // Fetches every wanted page of the batch (with retries), then commits the batch.
  void process_batch() {
    const auto batch_deadline = std::chrono::steady_clock::now() + options_.batch_deadline;
    while (running_) {
      bool all_done = true;
      std::chrono::steady_clock::time_point next_retry = batch_deadline;
      {
        std::unique_lock lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        for (auto& job : jobs_) {
          if (job->done) continue;
          all_done = false;
          if (job->in_flight) continue;
          if (job->retry_at > now) {
            next_retry = std::min(next_retry, job->retry_at);
            continue;
          }
          job->in_flight = true;
          ++job->attempts;
          Job* raw = job.get();
          lock.unlock();
          source_.fetch(raw->entry, [this, raw](Result<Article> result) { complete(raw, std::move(result)); });
          lock.lock();
        }
        if (all_done) break;
        if (std::chrono::steady_clock::now() >= batch_deadline) {
          abandon_unfinished_locked();
          break;
        }
        changed_.wait_until(lock, std::min(next_retry, batch_deadline));
      }
      // The consumer is not polled while pages load (max.poll.interval.ms is above the
      // batch deadline), so no rebalance can happen in the middle of a batch.
      producer_.poll(0);
    }
    if (!running_) {
      // Shutting down mid-batch: nothing committed, the next owner replays the batch.
      wait_in_flight();
      jobs_.clear();
      return;
    }
    commit_batch();
  }

  void complete(Job* job, Result<Article> result) {
    std::lock_guard lock(mutex_);
    job->in_flight = false;
    if (result) {
      job->article = std::move(result).value();
      job->done = true;
    } else {
      job->last_error = result.error();
      if (job->attempts >= options_.max_attempts || !job->last_error.retriable) {
        job->done = true;
      } else {
        auto backoff = options_.retry_backoff * (1 << std::min(job->attempts - 1, 6));
        job->retry_at = std::chrono::steady_clock::now() + backoff;
      }
    }
    changed_.notify_all();
  }

  void abandon_unfinished_locked() {
    for (auto& job : jobs_) {
      if (job->done) continue;
      job->done = true;
      job->last_error = Error{ErrorCode::kTimeout, "page not fetched within the batch deadline", true};
    }
  }

  void wait_in_flight() {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(30), [&] {
      for (const auto& job : jobs_)
        if (job->in_flight) return false;
      return true;
    });
  }

  void commit_batch() {
    std::map<int, std::int64_t> next_offsets, first_offsets;
    int articles = 0, errors = 0;
    if (auto st = producer_.begin(); !st) {
      fail_batch(st.error());
      return;
    }
    for (const auto& job : jobs_) {
      first_offsets.emplace(job->partition, job->offset);
      next_offsets[job->partition] = job->offset + 1;
      if (job->entry.id.empty() || (!job->article && job->attempts == 0)) continue;
      Status st = Ok{};
      if (job->article) {
        std::string value = encode_article(job->entry, *job->article);
        st = producer_.produce(topics_.articles, -1, job->entry.id, &value,
                               article_headers(job->entry));
        ++articles;
      } else {
        std::string value = encode_dead_letter(job->entry, "enrich", job->last_error.code,
                                               job->last_error.message, job->attempts);
        st = producer_.produce(topics_.errors, -1, job->entry.id, &value,
                               {{"content-type", "application/json"}});
        ++errors;
        log::warn(kLog, "article page given up, dead letter written",
                  {{"url", job->entry.link}, {"error_type", to_string(job->last_error.code)},
                   {"attempts", job->attempts}});
      }
      if (!st) {
        producer_.abort(st.error());
        fail_batch(st.error(), &first_offsets);
        return;
      }
    }
    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
    for (const auto& [p, off] : next_offsets) {
      rd_kafka_topic_partition_list_add(offsets.get(), topics_.entries.c_str(), p)->offset = off;
    }
    GroupMetadata group(rd_kafka_consumer_group_metadata(consumer_.get()));
    if (auto st = producer_.send_offsets(offsets.get(), group.get()); !st) {
      producer_.abort(st.error());
      fail_batch(st.error(), &first_offsets);
      return;
    }
    if (auto st = producer_.commit(); !st) {
      fail_batch(st.error(), &first_offsets);
      return;
    }
    jobs_.clear();
    if (articles) listener_.on(RecordsPublished{Role::kEnrich, Topic::kArticles, articles});
    if (errors) listener_.on(RecordsPublished{Role::kEnrich, Topic::kErrors, errors});
  }

  // The transaction failed: consume the batch again from its first offsets.
  void fail_batch(const Error& why, const std::map<int, std::int64_t>* first_offsets = nullptr) {
    log::warn(kLog, "enrich transaction failed; replaying the batch", {{"error", why.message}});
    std::map<int, std::int64_t> firsts;
    if (!first_offsets) {
      for (const auto& job : jobs_) firsts.emplace(job->partition, job->offset);
      first_offsets = &firsts;
    }
    jobs_.clear();
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(first_offsets->size())));
    for (const auto& [p, off] : *first_offsets) {
      if (!owned_.count(p)) continue;
      rd_kafka_topic_partition_list_add(list.get(), topics_.entries.c_str(), p)->offset = off;
    }
    if (list->cnt == 0) return;
    KafkaError err(rd_kafka_seek_partitions(consumer_.get(), list.get(), 10000));
    if (err) {
      log::error(kLog, "rewind after failed enrich transaction failed",
                 {{"error", rd_kafka_error_string(err.get())}});
    }
  }

  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(static_cast<ClientContext*>(opaque)->owner);
    std::vector<int> parts;
    for (int i = 0; i < partitions->cnt; ++i) parts.push_back(partitions->elems[i].partition);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      // require_stable: waits for a previous owner's pending transaction on these partitions.
      if (auto e = rd_kafka_committed(rk, partitions, 60000)) {
        log::error(kLog, "committed offsets of entries", {{"error", rd_kafka_err2name(e)}});
      }
      for (int i = 0; i < partitions->cnt; ++i) {
        if (partitions->elems[i].offset < 0) partitions->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
      }
      rd_kafka_assign(rk, partitions);
      self->owned_.insert(parts.begin(), parts.end());
      self->restored_ = true;
      self->listener_.on(OwnedPartitions{Role::kEnrich, static_cast<int>(self->owned_.size())});
      log::info(kLog, "enrich partitions assigned",
                {{"partitions", static_cast<std::int64_t>(parts.size())}});
    } else {
      // Rebalances are served while a batch is being collected, before any of its pages is
      // requested: entries of revoked partitions simply belong to the next owner.
      std::set<int> revoked(parts.begin(), parts.end());
      {
        std::lock_guard lock(self->mutex_);
        std::erase_if(self->jobs_, [&](const auto& job) { return revoked.count(job->partition) > 0; });
      }
      for (int p : parts) self->owned_.erase(p);
      self->listener_.on(OwnedPartitions{Role::kEnrich, static_cast<int>(self->owned_.size())});
      rd_kafka_assign(rk, nullptr);
    }
  }

  KafkaConfig config_;
  EnrichListener& listener_;
  ArticleSource& source_;
  Options options_;
  TopicNames topics_;
  std::string instance_id_;
  TxnProducer producer_;
  ClientContext consumer_context_;
  KafkaHandle consumer_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> restored_{false};
  std::set<int> owned_;  // enrich thread only (rebalance_cb runs on it)
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Job>> jobs_;  // the batch; job progress guarded by mutex_
};

EnrichRole::EnrichRole(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source)
    : EnrichRole(kafka, listener, source, Options{}) {}
EnrichRole::EnrichRole(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source,
                       Options options)
    : impl_(std::make_unique<Impl>(kafka, listener, source, options)) {}
EnrichRole::~EnrichRole() = default;
void EnrichRole::start() { impl_->start(); }
void EnrichRole::stop() { impl_->stop(); }
bool EnrichRole::restored() const { return impl_->restored(); }

}  // namespace feedpipe::publisher
