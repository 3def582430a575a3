#pragma once

// The fetcher: one thread running a libcurl multi loop and the scheduler's timer heap
// (DESIGN.md sections 6 and 7). Feeds are upserted by the app; each due feed is fetched with
// a conditional GET, politely per host, and the FetchResult is handed to the Listener on the
// fetch thread. The app parses it elsewhere and reports what it learned with report(), which
// sets the feed's next interval.
//
// Thread model: start()/stop() from the owner; upsert_feed, remove_feed, report,
// fetch_article, status, snapshot, feed_count and wake from any thread. Listener calls
// happen on the fetch thread; a blocking on_result pauses fetching (backpressure).
//
// Result identity: FetchResult::url is the feed's key (the URL it was upserted with), even
// after a permanent redirect moved the fetch URL; final_url is where the body came from.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/feed_state.h"
#include "common/fetch.h"
#include "fetcher/clock.h"
#include "fetcher/events.h"

namespace feedpipe::fetcher {

// What parsing learned, fed back after each successful poll.
struct PollHints {
  std::optional<Millis> ttl;            // RSS <ttl>
  std::optional<Millis> update_period;  // sy:updatePeriod / sy:updateFrequency
  int new_items = 0;                    // items this poll that the feed had not shown before
  bool parse_failed = false;            // counts as an error for backoff (kParse)
};

struct FeedStatus {
  std::string url;                 // the feed's key
  std::string fetch_url;           // differs after a permanent redirect
  std::string group;
  std::string last_result;         // "ok", "not_modified", an ErrorCode name, or "" (never polled)
  int last_http_status = 0;
  int error_count = 0;
  FeedHealth health = FeedHealth::kOk;
  Millis interval{0};
  Clock::time_point next_due{};
  Clock::time_point last_attempt{};  // epoch when never polled
  Clock::time_point last_success{};  // epoch when never succeeded
  bool in_flight = false;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Every fetch ends here exactly once (feeds and articles; errors included).
  virtual void on_result(FetchResult&& result) = 0;
  virtual void on_event(const FetchEvent& event) { (void)event; }
};

class Fetcher {
 public:
  // `clock` defaults to the system clock and must outlive the Fetcher. Throws
  // std::runtime_error on setup failure (bad allow_private_networks entry, curl init).
  Fetcher(const FetchConfig& config, Listener& listener, const TimeSource* clock = nullptr);
  ~Fetcher();  // stops if running
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  void start();
  // Stops scheduling, lets in-flight transfers finish until `deadline` (then aborts them:
  // their results carry kTimeout), joins the thread. Idempotent.
  void stop(Millis deadline = std::chrono::seconds(5));

  // Adds or updates a feed. `restored` carries validators, next due time, error count and
  // moved_to from the state topic; a feed already known keeps its live state.
  void upsert_feed(const FeedSpec& spec, const FeedState* restored = nullptr);
  void remove_feed(const std::string& url);

  // Feeds back a successful poll's hints; returns the interval now in force (the next poll
  // is due that long after the last one started). Unknown URL: returns 0.
  Millis report(const std::string& url, const PollHints& hints);

  // One-off fetch (kind is forced to kArticle), guarded against private addresses, subject
  // to per-host politeness; the result comes through on_result with request.tag.
  void fetch_article(FetchRequest request);

  std::vector<FeedStatus> status(size_t offset, size_t limit) const;  // ordered by URL
  // The feed's persistent state for the state topic (seen_keys are the app's business).
  std::optional<FeedState> snapshot(const std::string& url) const;
  size_t feed_count() const;

  // Makes the fetch thread re-read the clock now (after advancing an injected clock).
  void wake();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Encodings this libcurl decodes, as sent in Accept-Encoding ("gzip, deflate, br, zstd").
std::string supported_encodings();

}  // namespace feedpipe::fetcher
