#include "app/daemon.h"

#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "app/article_source.h"
#include "app/health.h"
#include "app/http_server.h"
#include "app/kafka_stats.h"
#include "app/metrics.h"
#include "app/pipeline.h"
#include "app/publisher_events.h"
#include "common/log.h"
#include "common/time.h"
#include "fetcher/fetcher.h"
#include "parser/feed_parser.h"
#include "parser/normalize.h"
#include "publisher/dedup_role.h"
#include "publisher/enrich_role.h"
#include "publisher/events.h"
#include "publisher/ingest_session.h"
#include "publisher/partitioner.h"
#include "publisher/topics.h"

namespace feedpipe::app {
namespace {

constexpr std::string_view kComponent = "daemon";
constexpr std::size_t kFetchQueueCapacity = 256;
constexpr std::size_t kPublishQueueCapacity = 256;
constexpr std::size_t kMaxPollsPerTransaction = 100;

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t unix_millis(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::unordered_set<std::string> article_feeds(const std::unordered_map<std::string, FeedSpec>& configured) {
  std::unordered_set<std::string> feeds;
  for (const auto& [url, spec] : configured)
    if (spec.fetch_articles) feeds.insert(url);
  return feeds;
}

std::string rfc3339_or_empty(Clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return {};
  return format_rfc3339(unix_seconds(t));
}

nlohmann::json status_entry(const fetcher::FeedStatus& s) {
  return {{"url", s.url},
          {"fetch_url", s.fetch_url},
          {"group", s.group},
          {"state", std::string(fetcher::to_string(s.health))},
          {"last_result", s.last_result},
          {"last_http_status", s.last_http_status},
          {"error_count", s.error_count},
          {"interval_seconds", s.interval.count() / 1000.0},
          {"next_due", rfc3339_or_empty(s.next_due)},
          {"last_attempt", rfc3339_or_empty(s.last_attempt)},
          {"last_success", rfc3339_or_empty(s.last_success)},
          {"in_flight", s.in_flight}};
}

class Daemon final : public fetcher::Listener, public publisher::IngestListener {
 public:
  Daemon(Config config, Metrics& metrics, Health& health)
      : config_(std::move(config)),
        metrics_(metrics),
        health_(health),
        fetch_results_(kFetchQueueCapacity),
        publish_queue_(kPublishQueueCapacity) {
    metrics_.queue_capacity("fetch_results").Set(kFetchQueueCapacity);
    metrics_.queue_capacity("publish").Set(kPublishQueueCapacity);
    // The feed list lives on in configured_ only: at 100,000 feeds every copy counts.
    for (auto& f : config_.feeds) configured_.emplace(f.url, std::move(f));
    config_.feeds = {};
  }

  // Start-up: library constructors may throw; the error comes back as a value and the
  // caller retries (Kafka may come up after feedpipe).
  Status start() {
    auto topics = publisher::ensure_topics(config_.kafka);
    if (!topics) return topics.error();
    health_.set_brokers_reachable(true);
    try {
      if (config_.roles.ingest) {
        ingest_ = std::make_unique<publisher::IngestSession>(config_.kafka, *this);
        feed_state_partitions_ = ingest_->feed_state_partitions();
      }
      if (config_.roles.dedup) {
        dedup_ = std::make_unique<publisher::DedupRole>(config_.kafka, config_.dedup, events_);
      }
      fetcher_ = std::make_unique<fetcher::Fetcher>(config_.fetch, *this);
      if (config_.roles.enrich) {
        std::unique_lock lock(feeds_mutex_);
        auto wanted = article_feeds(configured_);
        lock.unlock();
        articles_ = std::make_unique<FetcherArticleSource>(*fetcher_, metrics_, std::move(wanted));
        enrich_ = std::make_unique<publisher::EnrichRole>(config_.kafka, events_, *articles_);
      }
    } catch (const std::exception& e) {
      enrich_.reset();
      articles_.reset();
      ingest_.reset();
      dedup_.reset();
      return Error{ErrorCode::kKafka, e.what(), true};
    }
    fetcher_->start();
    if (dedup_) dedup_->start();
    if (ingest_ || enrich_) {
      unsigned workers = std::max(1u, std::thread::hardware_concurrency());
      for (unsigned i = 0; i < workers; ++i) parse_workers_.emplace_back([this] { parse_loop(); });
    }
    if (ingest_) publish_thread_ = std::thread([this] { publish_loop(); });
    if (enrich_) enrich_->start();
    return Ok{};
  }

  // Ready once every role that restores state has restored it.
  void refresh_readiness() {
    bool restored = (!ingest_ || ingest_restored_.load()) && (!dedup_ || dedup_->restored()) &&
                    (!enrich_ || enrich_->restored());
    health_.set_state_restored(restored);
  }

  // Ordered drain in the direction the data flows, against one deadline.
  void stop(SteadyClock::time_point deadline) {
    health_.set_shutting_down(true);
    auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    // enrich first: its batch in progress is abandoned (replayed by the next owner) while the
    // fetcher still delivers the pages it waits for.
    if (enrich_) enrich_->stop();
    if (fetcher_) fetcher_->stop(std::max(Millis(0), left / 2));
    fetch_results_.close();
    for (auto& t : parse_workers_) t.join();
    parse_workers_.clear();
    publish_queue_.close();
    if (publish_thread_.joinable()) publish_thread_.join();
    if (ingest_) ingest_->close();
    ingest_.reset();
    if (dedup_) dedup_->stop();
    dedup_.reset();
    enrich_.reset();
    articles_.reset();
    fetcher_.reset();
  }

  // SIGHUP: the new feed list replaces the old one; owned feeds are added, changed or removed.
  void reload(const Config& next) {
    std::vector<FeedSpec> upserts;
    std::vector<std::string> removals;
    std::unordered_set<std::string> wanted_articles;
    {
      std::lock_guard lock(feeds_mutex_);
      std::unordered_map<std::string, FeedSpec> fresh;
      for (const auto& f : next.feeds) fresh[f.url] = f;
      for (const auto& [url, spec] : configured_)
        if (!fresh.count(url) && owned_.count(url)) removals.push_back(url);
      for (const auto& [url, spec] : fresh) {
        if (!owns_partition_locked(url)) continue;
        auto old = configured_.find(url);
        if (old == configured_.end() || old->second.interval != spec.interval ||
            old->second.group != spec.group || old->second.fetch_articles != spec.fetch_articles)
          upserts.push_back(spec);
      }
      configured_ = std::move(fresh);
      if (articles_) wanted_articles = article_feeds(configured_);
      for (const auto& url : removals) owned_.erase(url);
      forgotten_.insert(forgotten_.end(), removals.begin(), removals.end());
      for (const auto& spec : upserts) {
        auto& slot = owned_[spec.url];
        slot.spec = spec;
        if (slot.committed.url.empty()) slot.committed.url = spec.url;
      }
    }
    if (articles_) articles_->set_feeds(std::move(wanted_articles));
    for (const auto& url : removals) fetcher_->remove_feed(url);
    for (const auto& spec : upserts) {
      FeedState state = committed_state(spec.url);
      fetcher_->upsert_feed(spec, &state);
    }
    log::info(kComponent, "configuration reloaded",
              {{"feeds", next.feeds.size()}, {"added_or_changed", upserts.size()},
               {"removed", removals.size()}});
  }

  std::string status_json(std::size_t offset, std::size_t limit) const {
    nlohmann::json out;
    out["feeds_total"] = fetcher_ ? fetcher_->feed_count() : 0;
    out["offset"] = offset;
    auto& feeds = out["feeds"] = nlohmann::json::array();
    if (fetcher_) {
      for (const auto& s : fetcher_->status(offset, std::min<std::size_t>(limit, 1000)))
        feeds.push_back(status_entry(s));
    }
    return out.dump();
  }

  // fetcher::Listener (fetch thread): a full queue blocks here, which slows the fetcher.
  void on_result(FetchResult&& result) override {
    fetch_results_.push(std::move(result));
    metrics_.queue_depth("fetch_results").Set(static_cast<double>(fetch_results_.size()));
  }

  void on_event(const fetcher::FetchEvent& event) override { record_fetch_event(event); }

  // publisher::IngestListener: partitions of <prefix>.feed-state came to this replica, with
  // the state restored to their end.
  void on_assigned(const std::vector<int>& partitions, std::vector<FeedState> restored) override {
    std::vector<std::pair<FeedSpec, FeedState>> start;
    std::vector<std::string> restarted;
    {
      std::lock_guard lock(feeds_mutex_);
      owned_partitions_.insert(partitions.begin(), partitions.end());
      std::unordered_map<std::string, const FeedState*> by_url;
      for (const auto& s : restored) {
        by_url[s.url] = &s;
        if (!configured_.count(s.url)) forgotten_.push_back(s.url);
      }
      // After a producer rebuild the session re-announces partitions it already owns: the
      // restored state replaces what this replica had.
      for (const auto& [url, spec] : configured_) {
        if (!owns_partition_locked(url)) continue;
        bool known = owned_.count(url) > 0;
        auto& slot = owned_[url];
        slot.spec = spec;
        auto it = by_url.find(url);
        if (it != by_url.end()) slot.committed = *it->second;
        slot.committed.url = url;
        start.emplace_back(spec, slot.committed);
        if (known) restarted.push_back(url);
      }
    }
    // A feed the fetcher already polls keeps its live state on upsert; to take the restored
    // state it is removed first.
    for (const auto& url : restarted) fetcher_->remove_feed(url);
    for (auto& [spec, state] : start) fetcher_->upsert_feed(spec, &state);
    ingest_restored_ = true;
    refresh_readiness();
    log::info("ingest", "partitions assigned",
              {{"partitions", partitions.size()}, {"feeds_started", start.size()},
               {"states_restored", restored.size()}});
  }

  void on_revoked(const std::vector<int>& partitions) override {
    std::vector<std::string> stop;
    {
      std::lock_guard lock(feeds_mutex_);
      for (int p : partitions) owned_partitions_.erase(p);
      for (auto it = owned_.begin(); it != owned_.end();) {
        if (!owns_partition_locked(it->first)) {
          stop.push_back(it->first);
          it = owned_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto& url : stop) fetcher_->remove_feed(url);
    log::info("ingest", "partitions revoked",
              {{"partitions", partitions.size()}, {"feeds_stopped", stop.size()}});
  }

  // publisher::EventSink, for the ingest session's events.
  void on(const publisher::TransactionCommitted& e) override { events_.on(e); }
  void on(const publisher::TransactionAborted& e) override { events_.on(e); }
  void on(const publisher::RecordsPublished& e) override { events_.on(e); }
  void on(const publisher::RestoreProgress& e) override { events_.on(e); }
  void on(const publisher::OwnedPartitions& e) override { events_.on(e); }
  void on(const publisher::ProducerRebuilt& e) override { events_.on(e); }
  void on(const publisher::ConsumerCloseTimedOut& e) override { events_.on(e); }
  void on(const publisher::KafkaStatistics& e) override { events_.on(e); }

 private:
  struct FeedSlot {
    FeedSpec spec;
    FeedState committed;  // as last committed to <prefix>.feed-state
  };

  bool owns_partition_locked(const std::string& url) const {
    return owned_partitions_.count(publisher::partition_for(url, feed_state_partitions_)) > 0;
  }

  std::size_t owned_partitions_size() const {
    std::lock_guard lock(feeds_mutex_);
    return owned_partitions_.size();
  }

  FeedState committed_state(const std::string& url) const {
    std::lock_guard lock(feeds_mutex_);
    auto it = owned_.find(url);
    if (it == owned_.end()) {
      FeedState s;
      s.url = url;
      return s;
    }
    return it->second.committed;
  }

  void parse_loop() {
    while (true) {
      auto result = fetch_results_.pop_for(std::chrono::milliseconds(200));
      if (!result) {
        if (fetch_results_.closed()) break;
        continue;
      }
      metrics_.queue_depth("fetch_results").Set(static_cast<double>(fetch_results_.size()));
      if (result->tag != 0) {  // an article page for the enrich role
        if (articles_) articles_->on_result(std::move(*result));
        continue;
      }
      auto outcome = process(std::move(*result));
      if (outcome) publish_queue_.push(std::move(*outcome));
      metrics_.queue_depth("publish").Set(static_cast<double>(publish_queue_.size()));
    }
  }

  // One fetched document -> the feed's next state and its new items.
  std::optional<PollOutcome> process(FetchResult&& result) {
    FeedState state = committed_state(result.url);
    if (state.url.empty()) return std::nullopt;
    PollOutcome out;
    out.next_state = state;
    FeedState& next = out.next_state;
    if (!result.permanent_url.empty()) next.moved_to = result.permanent_url;

    if (!result.ok()) {
      next.error_count = state.error_count + 1;
      next.last_error = std::string(to_string(result.error->code));
      out.from_error = true;
      return out;
    }
    next.validators = result.validators;
    if (result.not_modified) {
      next.error_count = 0;
      next.last_error.clear();
      fetcher_->report(result.url, fetcher::PollHints{});
      // Nothing new: commit only when the validators changed.
      if (next.validators.etag == state.validators.etag &&
          next.validators.last_modified == state.validators.last_modified &&
          state.error_count == 0)
        return std::nullopt;
      return out;
    }

    auto started = SteadyClock::now();
    DocumentInfo info;
    info.base_url = result.final_url.empty() ? result.url : result.final_url;
    info.content_type = result.content_type;
    info.content_location = result.content_location;
    info.content_language = result.content_language;
    ParsedFeed feed = parser::parse_feed_owned(std::move(result.body), info);
    if (feed.document.fatal) {
      metrics_.parse_error(ErrorCode::kParse).Increment();
      log::warn("parser", "feed document unusable",
                {{"feed", result.url}, {"reason", feed.document.fatal_reason}});
      next.error_count = state.error_count + 1;
      next.last_error = "parse";
      fetcher::PollHints hints;
      hints.parse_failed = true;
      fetcher_->report(result.url, hints);
      out.from_error = true;
      return out;
    }
    if (feed.document.bozo) {
      metrics_.documents_bozo().Increment();
      log::debug("parser", "feed document recovered",
                 {{"feed", result.url}, {"reason", feed.document.bozo_reason}});
    }
    metrics_.entries_parsed().Increment(static_cast<double>(feed.entries.size()));

    parser::NormalizeOptions options;
    options.feed_url = result.url;
    options.fetched_at_unix = unix_seconds(result.fetched_at);
    if (!config_.dedup.tracking_params.empty()) options.tracking_params = &config_.dedup.tracking_params;
    std::vector<Item> items;
    items.reserve(feed.entries.size());
    for (auto& entry : feed.entries) items.push_back(parser::to_item(feed, std::move(entry), options));
    metrics_.parse_duration().Observe(seconds_since(started));

    SeenUpdate seen = update_seen_set(state.seen_keys, items, config_.dedup.publish_updates);
    next.seen_keys = std::move(seen.seen);
    next.error_count = 0;
    next.last_error.clear();
    out.new_items.reserve(seen.fresh.size());
    for (std::size_t i : seen.fresh) out.new_items.push_back(std::move(items[i]));
    metrics_.duplicates_feed().Increment(static_cast<double>(seen.unchanged));
    metrics_.items_per_poll().Observe(static_cast<double>(out.new_items.size()));

    fetcher::PollHints hints;
    if (feed.feed.ttl_minutes) hints.ttl = std::chrono::minutes(*feed.feed.ttl_minutes);
    if (feed.feed.update_period_seconds)
      hints.update_period = std::chrono::seconds(*feed.feed.update_period_seconds);
    hints.new_items = static_cast<int>(out.new_items.size());
    Millis interval = fetcher_->report(result.url, hints);
    next.next_due_unix_ms = unix_millis(result.fetched_at) + interval.count();
    return out;
  }

  // The only caller of IngestSession::commit_poll: one transaction per poll.
  // The only user of the IngestSession. Polls waiting in the queue are committed together,
  // up to kMaxPollsPerTransaction, because a transaction costs about as much as a hundred
  // records. A feed appears at most once per transaction.
  void publish_loop() {
    std::optional<PollOutcome> carry;
    while (true) {
      ingest_->poll(std::chrono::milliseconds(0));
      std::vector<PollOutcome> batch;
      std::unordered_set<std::string> urls;
      auto take = [&](PollOutcome&& outcome) {
        if (!is_owned(outcome.next_state.url)) return true;  // revoked: the new owner polls it
        if (!urls.insert(outcome.next_state.url).second) {
          carry = std::move(outcome);
          return false;
        }
        batch.push_back(std::move(outcome));
        return batch.size() < kMaxPollsPerTransaction;
      };
      bool more = true;
      if (carry) {
        PollOutcome first = std::move(*carry);
        carry.reset();
        more = take(std::move(first));
      } else if (auto first = publish_queue_.pop_for(std::chrono::milliseconds(100))) {
        more = take(std::move(*first));
      } else if (publish_queue_.closed()) {
        break;
      }
      while (more) {
        auto next = publish_queue_.try_pop();
        if (!next) break;
        more = take(std::move(*next));
      }
      metrics_.queue_depth("publish").Set(static_cast<double>(publish_queue_.size()));
      if (!batch.empty()) commit_batch(std::move(batch));
      forget_removed_feeds();
    }
  }

  // Tombstones in <prefix>.feed-state for feeds that left the config (a reload, or states
  // restored for feeds a restart no longer lists), so the compacted topic does not keep
  // them for ever. A feed listed again meanwhile, or whose partition moved, is left alone;
  // a failed commit is dropped: the next restore of the partition finds the state again.
  void forget_removed_feeds() {
    std::vector<publisher::PollCommit> polls;
    {
      std::lock_guard lock(feeds_mutex_);
      if (forgotten_.empty()) return;
      std::unordered_set<std::string> urls;
      for (auto& url : forgotten_) {
        if (configured_.count(url) || !owns_partition_locked(url) || !urls.insert(url).second) continue;
        publisher::PollCommit poll;
        poll.state.url = std::move(url);
        poll.forget = true;
        polls.push_back(std::move(poll));
      }
      forgotten_.clear();
    }
    if (polls.empty()) return;
    if (Status st = ingest_->commit_polls(polls); !st) {
      log::warn("ingest", "states of removed feeds not deleted",
                {{"feeds", polls.size()}, {"error_type", to_string(st.error().code)},
                 {"error", st.error().message}});
      return;
    }
    metrics_.records_published(TopicLabel::kFeedState).Increment(static_cast<double>(polls.size()));
    log::info("ingest", "states of removed feeds deleted", {{"feeds", polls.size()}});
  }

  bool is_owned(const std::string& url) const {
    std::lock_guard lock(feeds_mutex_);
    return owned_.count(url) > 0;
  }

  void commit_batch(std::vector<PollOutcome> batch) {
    std::vector<publisher::PollCommit> polls;
    polls.reserve(batch.size());
    std::size_t items = 0;
    for (auto& outcome : batch) {
      items += outcome.new_items.size();
      polls.push_back({std::move(outcome.next_state), std::move(outcome.new_items)});
    }
    Status committed = ingest_->commit_polls(polls);
    if (committed) {
      metrics_.records_published(TopicLabel::kRaw).Increment(static_cast<double>(items));
      metrics_.records_published(TopicLabel::kFeedState).Increment(static_cast<double>(polls.size()));
      metrics_.entries_new().Increment(static_cast<double>(items));
      std::lock_guard lock(feeds_mutex_);
      for (auto& poll : polls) {
        auto it = owned_.find(poll.state.url);
        if (it != owned_.end()) it->second.committed = std::move(poll.state);
      }
      return;
    }
    // Not committed: nothing of these polls happened. The fetcher forgets the validators it
    // saw, so the next polls fetch the full documents again and nothing is lost.
    log::warn("ingest", "polls not committed, will be polled again",
              {{"feeds", polls.size()}, {"error_type", to_string(committed.error().code)},
               {"error", committed.error().message}});
    for (const auto& poll : polls) {
      FeedSpec spec;
      FeedState state;
      {
        std::lock_guard lock(feeds_mutex_);
        auto it = owned_.find(poll.state.url);
        if (it == owned_.end()) continue;
        spec = it->second.spec;
        state = it->second.committed;
      }
      fetcher_->remove_feed(spec.url);
      fetcher_->upsert_feed(spec, &state);
    }
  }

  void record_fetch_event(const fetcher::FetchEvent& e);
  void publish_feed_health_locked() {
    long ok = std::max(0L, feeds_scheduled_ - feeds_backoff_ - feeds_failing_);
    metrics_.feeds_ok().Set(static_cast<double>(ok));
    metrics_.feeds_backoff().Set(static_cast<double>(feeds_backoff_));
    metrics_.feeds_failing().Set(static_cast<double>(feeds_failing_));
  }

  Config config_;
  Metrics& metrics_;
  Health& health_;
  BoundedQueue<FetchResult> fetch_results_;
  BoundedQueue<PollOutcome> publish_queue_;
  std::unique_ptr<fetcher::Fetcher> fetcher_;
  std::unique_ptr<publisher::IngestSession> ingest_;
  PublisherEvents events_{metrics_, [this] { refresh_readiness(); }};
  std::unique_ptr<publisher::DedupRole> dedup_;
  std::unique_ptr<FetcherArticleSource> articles_;
  std::unique_ptr<publisher::EnrichRole> enrich_;
  std::vector<std::thread> parse_workers_;
  std::thread publish_thread_;

  mutable std::mutex feeds_mutex_;
  std::unordered_map<std::string, FeedSpec> configured_;  // guarded by feeds_mutex_
  std::unordered_map<std::string, FeedSlot> owned_;       // guarded by feeds_mutex_
  std::vector<std::string> forgotten_;  // removed feeds whose state awaits a tombstone; guarded
  std::set<int> owned_partitions_;                        // guarded by feeds_mutex_
  std::atomic<int> feed_state_partitions_{1};
  std::atomic<bool> ingest_restored_{false};

  std::mutex health_counts_mutex_;
  long feeds_scheduled_ = 0;  // guarded by health_counts_mutex_
  long feeds_backoff_ = 0;    // guarded by health_counts_mutex_
  long feeds_failing_ = 0;    // guarded by health_counts_mutex_
};

void Daemon::record_fetch_event(const fetcher::FetchEvent& event) {
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, fetcher::FetchDone>) {
          auto kind = e.kind == FetchKind::kArticle ? FetchKindLabel::kArticle : FetchKindLabel::kFeed;
          if (e.error) {
            metrics_.fetch_error(kind).Increment();
            metrics_.fetch_error_type(kind, *e.error).Increment();
          } else if (e.not_modified) {
            metrics_.fetch_not_modified(kind).Increment();
          } else {
            metrics_.fetch_ok(kind).Increment();
          }
          if (e.http_status > 0) metrics_.http_responses(e.http_status).Increment();
          metrics_.fetch_duration(kind).Observe(std::chrono::duration<double>(e.duration).count());
          metrics_.fetch_bytes(kind).Increment(static_cast<double>(e.decoded_bytes));
        } else if constexpr (std::is_same_v<E, fetcher::FeedStateChanged>) {
          std::lock_guard lock(health_counts_mutex_);
          auto bump = [this](fetcher::FeedHealth h, int d) {
            if (h == fetcher::FeedHealth::kBackoff) feeds_backoff_ += d;
            if (h == fetcher::FeedHealth::kFailing) feeds_failing_ += d;
          };
          bump(e.from, -1);
          bump(e.to, +1);
          feeds_backoff_ = std::max(feeds_backoff_, 0L);
          feeds_failing_ = std::max(feeds_failing_, 0L);
          publish_feed_health_locked();
          if (e.to == fetcher::FeedHealth::kFailing)
            log::warn("fetcher", "feed failing, retried at the backoff ceiling",
                      {{"group", e.group},
                       {"error_type", e.error ? to_string(*e.error) : std::string_view("")}});
        } else if constexpr (std::is_same_v<E, fetcher::RobotsFetched>) {
          switch (e.source) {
            case fetcher::RobotsSource::kParsed: metrics_.robots_fetches(RobotsResultLabel::kParsed).Increment(); break;
            case fetcher::RobotsSource::kUnavailable:
              metrics_.robots_fetches(RobotsResultLabel::kUnavailable).Increment();
              break;
            case fetcher::RobotsSource::kUnreachable:
              metrics_.robots_fetches(RobotsResultLabel::kUnreachable).Increment();
              break;
          }
        } else if constexpr (std::is_same_v<E, fetcher::ArticleRobotsDenied>) {
          metrics_.article_robots_denied(e.source == fetcher::RobotsSource::kUnreachable
                                             ? RobotsDenyLabel::kUnreachable
                                             : RobotsDenyLabel::kDisallowed)
              .Increment();
        } else if constexpr (std::is_same_v<E, fetcher::ScheduleLateness>) {
          metrics_.schedule_lateness().Observe(std::chrono::duration<double>(e.lateness).count());
        } else if constexpr (std::is_same_v<E, fetcher::InFlight>) {
          metrics_.fetch_in_flight().Set(e.transfers);
          std::lock_guard lock(health_counts_mutex_);
          feeds_scheduled_ = static_cast<long>(e.feeds_scheduled);
          publish_feed_health_locked();
        }
      },
      event);
}


}  // namespace
}  // namespace feedpipe::app

namespace feedpipe::app {
namespace {

// Config problems go to stderr one per line, the way `validate` prints them.
bool load_or_report(const std::string& path, Config* out) {
  ConfigLoad load = load_config_file(path);
  for (const auto& p : load.problems) std::cerr << format_problem(p) << "\n";
  if (!load.ok()) return false;
  *out = std::move(load.config);
  return true;
}

}  // namespace

int run_daemon(const std::string& config_path) {
  // Signals are taken synchronously by the main thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Config config;
  if (!load_or_report(config_path, &config)) return 2;
  // The YAML tree of a large feed list is many small blocks; give them back to the system
  // now rather than keeping the peak of the parse resident for the life of the process.
  malloc_trim(0);
  log::Level level;
  if (log::parse_level(config.log_level, &level)) log::set_level(level);

  Metrics metrics;
  Health health;
  health.set_config_loaded(true);
  health.tick();
  metrics.reload_successful().Set(1);
  metrics.reload_success_time().SetToCurrentTime();

  // The daemon takes the feed list; this copy keeps only the process-wide settings.
  std::vector<FeedSpec> feeds = std::exchange(config.feeds, {});
  const std::size_t feed_count = feeds.size();
  Config daemon_config = config;
  daemon_config.feeds = std::move(feeds);
  Daemon daemon(std::move(daemon_config), metrics, health);
  HttpServer http(metrics, health,
                  [&daemon](std::size_t offset, std::size_t limit) {
                    return daemon.status_json(offset, limit);
                  });
  if (auto st = http.start(config.http_listen); !st) {
    log::error(kComponent, "cannot start the HTTP endpoint", {{"error", st.error().message}});
    return 1;
  }
  log::info(kComponent, "starting",
            {{"feeds", feed_count}, {"bootstrap", config.kafka.bootstrap_servers},
             {"topic_prefix", config.kafka.topic_prefix}});

  // Kafka may come up after us (compose, k8s): keep trying, not ready meanwhile.
  bool started = false;
  bool stopping = false;
  auto retry_at = SteadyClock::now();
  timespec tick{1, 0};
  while (!stopping) {
    if (!started && SteadyClock::now() >= retry_at) {
      if (auto st = daemon.start(); st) {
        started = true;
        log::info(kComponent, "running");
      } else {
        log::warn(kComponent, "cannot start the pipeline yet, retrying",
                  {{"error_type", to_string(st.error().code)}, {"error", st.error().message}});
        retry_at = SteadyClock::now() + std::chrono::seconds(5);
      }
    }
    health.tick();
    if (started) daemon.refresh_readiness();
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      log::info(kComponent, "shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      stopping = true;
    } else if (sig == SIGHUP) {
      ConfigLoad load = load_config_file(config_path);
      if (!load.ok()) {
        metrics.reload_successful().Set(0);
        for (const auto& p : load.problems)
          log::error(kComponent, "configuration reload refused", {{"problem", format_problem(p)}});
      } else {
        metrics.reload_successful().Set(1);
        metrics.reload_success_time().SetToCurrentTime();
        if (started) daemon.reload(load.config);
      }
      malloc_trim(0);
    }
  }
  auto deadline = SteadyClock::now() + config.shutdown_grace;
  health.set_shutting_down(true);
  daemon.stop(deadline);
  http.stop();
  log::info(kComponent, "stopped");
  return 0;
}

}  // namespace feedpipe::app
