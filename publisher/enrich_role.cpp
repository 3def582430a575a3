#include "publisher/enrich_role.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
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
constexpr auto kCommitRetryDelay = std::chrono::seconds(1);
constexpr auto kSettleTimeout = std::chrono::seconds(30);
constexpr int kMaxMessagesPerPoll = 500;

using Clock = std::chrono::steady_clock;



// A page result handed over by the source, on any thread.
struct Completion {
  std::uint64_t job_id = 0;
  int attempt = 0;
  Result<Article> result;
};

// Shared with every `done` callback, so a source that completes after the role is gone
// writes into this and not into freed memory.
struct Inbox {
  std::mutex mutex;
  std::vector<Completion> completions;  // guarded by mutex
};

enum class JobState { kQueued, kInFlight, kBackoff, kDone };

// One consumed entry and where its page stands. Lives in its partition's deque, in offset
// order, until the transaction holding its offset commits.
struct Job {
  std::uint64_t id = 0;
  int partition = 0;
  std::int64_t offset = 0;
  Item entry;
  JobState state = JobState::kQueued;
  int attempts = 0;
  Clock::time_point due{};  // kInFlight: attempt deadline; kBackoff: retry time
  // The record to write when done (none for entries that need no page).
  Topic topic = Topic::kArticles;
  std::optional<std::string> value;
  std::vector<Header> headers;
};

struct PartitionWork {
  std::deque<Job> jobs;             // uncommitted entries, by offset
  std::int64_t next_offset = -1;    // first offset not yet consumed; -1 = any
  bool paused = false;
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
        consumer_context_{&listener, Role::kEnrich, this},
        inbox_(std::make_shared<Inbox>()) {
    options_.max_in_flight = std::max(1, options_.max_in_flight);
    options_.max_pending_per_partition = std::max(1, options_.max_pending_per_partition);
    options_.max_attempts = std::max(1, options_.max_attempts);
    value_or_throw(partition_count(config_, topics_.entries), "entries topic");
    producer_.set_fault_injection(options_.commit_fault);
    if (auto st = producer_.start(); !st) {
      throw std::runtime_error("enrich producer: " + st.error().message);
    }
    consumer_ = make_group_consumer(config_, "enrich", instance_id_, topics_.entries,
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
    if (consumer_) {
      // The revocation that close() triggers must not commit again: run() already did.
      closing_ = true;
      close_consumer(consumer_, &Impl::rebalance_cb, Role::kEnrich, &listener_,
                     options_.close_timeout);
    }
  }

  bool restored() const { return restored_; }

 private:
  void run() {
    while (running_) {
      producer_.poll(0);
      // Results waiting: no wait at all. Pages loading: short waits, so results that come
      // in are picked up promptly.
      poll_consumer(inbox_has_results() ? 0 : in_flight_ > 0 || waiting_ > 0 ? 20 : 100);
      drain_inbox();
      const auto now = Clock::now();
      expire_attempts(now);
      start_fetches(now);
      update_pauses();
      if (commit_due(now)) commit();
      report_backlog();
      if (rejoin_pending_) rejoin();
    }
    // Finish: the completed work commits; what is still loading is the next owner's.
    if (ready_count() > 0) commit();
  }

  void poll_consumer(int timeout_ms) {
    for (int n = 0; n < kMaxMessagesPerPoll && running_; ++n) {
      Message msg(rd_kafka_consumer_poll(consumer_.get(), n == 0 ? timeout_ms : 0));
      if (!msg) return;
      if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          log::warn(kLog, "enrich consumer", {{"error", rd_kafka_err2name(msg->err)}});
        }
        continue;
      }
      accept(*msg);
    }
  }

  void accept(const rd_kafka_message_t& msg) {
    auto it = parts_.find(msg.partition);
    if (it == parts_.end()) return;
    PartitionWork& work = it->second;
    // Resuming a paused partition may deliver what was already taken.
    if (work.next_offset >= 0 && msg.offset < work.next_offset) return;
    work.next_offset = msg.offset + 1;
    Job& job = work.jobs.emplace_back();
    job.id = next_job_id_++;
    job.partition = msg.partition;
    job.offset = msg.offset;
    const std::string_view value(static_cast<const char*>(msg.payload),
                                 msg.payload ? msg.len : 0);
    auto entry = decode_entry(value);
    if (!entry) {
      // dedup writes only valid entries; a stray record is skipped, not retried forever.
      log::warn(kLog, "not a feedpipe.entry/1 record; skipped",
                {{"partition", static_cast<std::int64_t>(msg.partition)},
                 {"offset", static_cast<std::int64_t>(msg.offset)}});
      job.state = JobState::kDone;
      return;
    }
    job.entry = std::move(entry).value();
    if (job.entry.revision != 1 || !source_.wants(job.entry)) {
      job.state = JobState::kDone;
      return;
    }
    jobs_by_id_[job.id] = &job;
    ++waiting_;
  }

  // Round robin over the partitions, oldest entry first in each, so pages that hang in
  // one partition do not starve the others of fetch slots.
  void start_fetches(Clock::time_point now) {
    if (waiting_ == 0) return;
    std::vector<std::pair<std::deque<Job>::iterator, std::deque<Job>::iterator>> cursors;
    for (auto& [p, work] : parts_) cursors.emplace_back(work.jobs.begin(), work.jobs.end());
    bool progress = true;
    while (progress && in_flight_ < options_.max_in_flight) {
      progress = false;
      for (auto& [it, end] : cursors) {
        if (in_flight_ >= options_.max_in_flight) return;
        while (it != end && !(it->state == JobState::kQueued ||
                              (it->state == JobState::kBackoff && it->due <= now))) {
          ++it;
        }
        if (it == end) continue;
        start_fetch(*it, now);
        ++it;
        progress = true;
      }
    }
  }

  void start_fetch(Job& job, Clock::time_point now) {
    job.state = JobState::kInFlight;
    job.due = now + options_.attempt_timeout;
    const int attempt = ++job.attempts;
    ++in_flight_;
    --waiting_;
    std::weak_ptr<Inbox> inbox = inbox_;
    source_.fetch(job.entry, [inbox, id = job.id, attempt](Result<Article> result) {
      auto box = inbox.lock();
      if (!box) return;  // the role is gone
      std::lock_guard lock(box->mutex);
      box->completions.push_back({id, attempt, std::move(result)});
    });
  }

  bool inbox_has_results() {
    std::lock_guard lock(inbox_->mutex);
    return !inbox_->completions.empty();
  }

  void drain_inbox() {
    std::vector<Completion> completions;
    {
      std::lock_guard lock(inbox_->mutex);
      completions.swap(inbox_->completions);
    }
    for (auto& c : completions) {
      auto it = jobs_by_id_.find(c.job_id);
      if (it == jobs_by_id_.end()) continue;  // revoked meanwhile
      Job& job = *it->second;
      if (job.state != JobState::kInFlight || job.attempts != c.attempt) continue;  // timed out
      --in_flight_;
      if (c.result) {
        finish(job, std::move(c.result).value());
      } else {
        failed(job, c.result.error());
      }
    }
  }

  void expire_attempts(Clock::time_point now) {
    for (auto& [id, job] : jobs_by_id_) {
      if (job->state != JobState::kInFlight || job->due > now) continue;
      --in_flight_;
      failed(*job, Error{ErrorCode::kTimeout, "page not fetched within the attempt timeout", true});
    }
  }

  void finish(Job& job, Article article) {
    job.state = JobState::kDone;
    job.topic = Topic::kArticles;
    job.value = encode_article(job.entry, article);
    job.headers = article_headers(job.entry);
  }

  void failed(Job& job, const Error& error) {
    if (error.retriable && job.attempts < options_.max_attempts) {
      job.state = JobState::kBackoff;
      job.due = Clock::now() + options_.retry_backoff * (1 << std::min(job.attempts - 1, 6));
      ++waiting_;
      listener_.on(ArticleRetried{error.code});
      return;
    }
    job.state = JobState::kDone;
    job.topic = Topic::kErrors;
    job.value = encode_dead_letter(job.entry, "enrich", error.code, error.message, job.attempts);
    job.headers = {{"content-type", "application/json"}};
    // robots.txt refusals are logged by the fetcher once per origin, not once per page.
    const auto level = error.code == ErrorCode::kRobotsDisallowed ? log::Level::kDebug : log::Level::kWarn;
    log::write(level, kLog, "article page given up, dead letter written",
               {{"url", job.entry.link}, {"error_type", to_string(error.code)}, {"attempts", job.attempts}});
  }

  // Entries at the front of their partition that are done: what the next commit covers.
  int ready_count() const {
    int n = 0;
    for (const auto& [p, work] : parts_) {
      for (const auto& job : work.jobs) {
        if (job.state != JobState::kDone) break;
        ++n;
      }
    }
    return n;
  }

  bool commit_due(Clock::time_point now) {
    if (now < commit_retry_at_) return false;
    const int ready = ready_count();
    if (ready == 0) {
      ready_since_.reset();
      return false;
    }
    if (!ready_since_) ready_since_ = now;
    return ready >= options_.max_batch || now - *ready_since_ >= options_.commit_interval;
  }

  // One transaction: the records of every partition's completed prefix and the offsets past
  // it. The jobs leave their deques only once it committed; a failed attempt is retried.
  void commit() {
    std::map<int, std::size_t> prefix;  // partition -> jobs covered
    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(parts_.size())));
    int articles = 0, errors = 0;
    auto st = producer_.begin();
    for (auto& [p, work] : parts_) {
      if (!st) break;
      std::size_t n = 0;
      for (const auto& job : work.jobs) {
        if (job.state != JobState::kDone) break;
        if (job.value) {
          const std::string& topic =
              job.topic == Topic::kArticles ? topics_.articles : topics_.errors;
          st = producer_.produce(topic, -1, job.entry.id, &*job.value, job.headers);
          if (!st) break;
          (job.topic == Topic::kArticles ? articles : errors)++;
        }
        ++n;
      }
      if (n == 0) continue;
      prefix[p] = n;
      rd_kafka_topic_partition_list_add(offsets.get(), topics_.entries.c_str(), p)->offset =
          work.jobs[n - 1].offset + 1;
    }
    if (st && offsets->cnt > 0) {
      GroupMetadata group(rd_kafka_consumer_group_metadata(consumer_.get()));
      st = producer_.send_offsets(offsets.get(), group.get());
    }
    if (st) {
      st = producer_.commit();  // aborts by itself on failure
    } else {
      producer_.abort(st.error());
    }
    if (!st) {
      // A transaction that could not be aborted stays open, and holds back every
      // require_stable offset fetch of these partitions, until a new producer fences it;
      // settling it also tells whether it was applied after all.
      switch (producer_.settle(st.error(), consumer_.get(), offsets.get(), kSettleTimeout)) {
        case TxnOutcome::kAborted:
          log::warn(kLog, "enrich transaction failed; the completed work is kept and retried",
                    {{"error", st.error().message}});
          commit_retry_at_ = Clock::now() + kCommitRetryDelay;
          return;
        case TxnOutcome::kUnknown:
          // Committing the work again could duplicate it: the partitions start again from
          // their committed offsets when the group assigns them again.
          log::error(kLog, "enrich transaction outcome unknown; rejoining the group",
                     {{"error", st.error().message}});
          drop_partitions();
          rejoin_pending_ = true;
          return;
        case TxnOutcome::kCommitted:
          log::warn(kLog, "enrich transaction reported failed was committed",
                    {{"error", st.error().message}});
          break;
      }
    }
    for (const auto& [p, n] : prefix) {
      auto& jobs = parts_[p].jobs;
      for (std::size_t i = 0; i < n; ++i) {
        jobs_by_id_.erase(jobs.front().id);
        jobs.pop_front();
      }
    }
    ready_since_.reset();
    if (articles) listener_.on(RecordsPublished{Role::kEnrich, Topic::kArticles, articles});
    if (errors) listener_.on(RecordsPublished{Role::kEnrich, Topic::kErrors, errors});
  }

  void rejoin() {
    rejoin_pending_ = false;
    log::warn(kLog, "rejoining the enrich group");
    rd_kafka_unsubscribe(consumer_.get());
    PartitionList sub(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(sub.get(), topics_.entries.c_str(), RD_KAFKA_PARTITION_UA);
    if (auto err = rd_kafka_subscribe(consumer_.get(), sub.get())) {
      log::error(kLog, "resubscribe failed", {{"error", rd_kafka_err2name(err)}});
      rejoin_pending_ = true;
    }
  }

  void update_pauses() {
    std::vector<int> pause, resume;
    for (auto& [p, work] : parts_) {
      const int pending = static_cast<int>(work.jobs.size());
      if (!work.paused && pending >= options_.max_pending_per_partition) {
        pause.push_back(p);
        work.paused = true;
      } else if (work.paused && pending <= options_.max_pending_per_partition / 2) {
        resume.push_back(p);
        work.paused = false;
      }
    }
    auto apply = [&](const std::vector<int>& parts, bool do_pause) {
      if (parts.empty()) return;
      PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
      for (int p : parts) rd_kafka_topic_partition_list_add(list.get(), topics_.entries.c_str(), p);
      const auto err = do_pause ? rd_kafka_pause_partitions(consumer_.get(), list.get())
                                : rd_kafka_resume_partitions(consumer_.get(), list.get());
      if (err) {
        log::warn(kLog, do_pause ? "pause entries partitions" : "resume entries partitions",
                  {{"error", rd_kafka_err2name(err)}});
      }
    };
    apply(pause, true);
    apply(resume, false);
  }

  void report_backlog() {
    int paused = 0;
    for (const auto& [p, work] : parts_) paused += work.paused;
    EnrichBacklog now{in_flight_, waiting_, paused};
    if (now.in_flight == reported_.in_flight && now.waiting == reported_.waiting &&
        now.paused_partitions == reported_.paused_partitions) {
      return;
    }
    reported_ = now;
    listener_.on(now);
  }

  // Forgets the work of every owned partition; poll_consumer skips records of partitions
  // not owned until the group assigns them again.
  void drop_partitions() {
    while (!parts_.empty()) forget(parts_.begin()->first);
    restored_ = false;
    listener_.on(OwnedPartitions{Role::kEnrich, 0});
  }

  // Drops a partition's uncommitted entries; their late page results are ignored.
  void forget(int partition) {
    auto it = parts_.find(partition);
    if (it == parts_.end()) return;
    for (const auto& job : it->second.jobs) {
      if (job.state == JobState::kInFlight) --in_flight_;
      if (job.state == JobState::kQueued || job.state == JobState::kBackoff) --waiting_;
      jobs_by_id_.erase(job.id);
    }
    parts_.erase(it);
  }

  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(static_cast<ClientContext*>(opaque)->owner);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      // Barrier and starting offsets at once.
      if (auto st = fetch_committed(rk, partitions, std::chrono::minutes(1), "entries"); !st) {
        log::error(kLog, "not taking the partitions", {{"error", st.error().message}});
        rebalance_assign(rk, nullptr);
        self->rejoin_pending_ = true;
        return;
      }
      for (int i = 0; i < partitions->cnt; ++i) {
        auto& tp = partitions->elems[i];
        if (tp.offset < 0) tp.offset = RD_KAFKA_OFFSET_BEGINNING;
        self->forget(tp.partition);
        self->parts_[tp.partition].next_offset = tp.offset >= 0 ? tp.offset : -1;
      }
      rebalance_assign(rk, partitions);
      // A pause is kept by the partition across assignments; the new work starts unpaused.
      rd_kafka_resume_partitions(rk, partitions);
      self->restored_ = true;
      self->listener_.on(OwnedPartitions{Role::kEnrich, static_cast<int>(self->parts_.size())});
      log::info(kLog, "enrich partitions assigned",
                {{"partitions", static_cast<std::int64_t>(partitions->cnt)}});
    } else {
      // Eager protocol: the generation is still ours, so the finished work commits before
      // the partitions go; what is still loading belongs to the next owner.
      // A lost assignment (session or poll interval exceeded) has no generation to commit in.
      if (!self->closing_ && !rd_kafka_assignment_lost(rk) && self->ready_count() > 0) {
        self->commit_retry_at_ = {};
        self->commit();
      }
      for (int i = 0; i < partitions->cnt; ++i) self->forget(partitions->elems[i].partition);
      self->listener_.on(OwnedPartitions{Role::kEnrich, static_cast<int>(self->parts_.size())});
      rebalance_assign(rk, nullptr);
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
  std::shared_ptr<Inbox> inbox_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> restored_{false};
  std::atomic<bool> closing_{false};
  // Enrich-thread state (rebalance_cb runs on the thread that polls the consumer: the enrich
  // thread, or stop()'s caller once the enrich thread has joined).
  std::map<int, PartitionWork> parts_;                // owned partitions
  std::unordered_map<std::uint64_t, Job*> jobs_by_id_;  // jobs that fetch a page
  std::uint64_t next_job_id_ = 1;
  int in_flight_ = 0;
  int waiting_ = 0;
  std::optional<Clock::time_point> ready_since_;
  Clock::time_point commit_retry_at_{};
  EnrichBacklog reported_;
  bool rejoin_pending_ = false;
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
