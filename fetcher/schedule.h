#pragma once

// The scheduler's arithmetic, kept free of I/O so it is tested with plain values: intervals
// from hints and the feed's own rhythm, backoff with full jitter, spreading of first polls,
// and the timer heap of due times.

#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <vector>

#include "common/config.h"
#include "common/fetch.h"

namespace feedpipe::fetcher {

// A feed's publishing rhythm as exponentially decayed sums: new items seen and time observed.
// rate = (items + 1) / (observed + prior); the "+1 item per prior" keeps a feed that has
// shown nothing yet from jumping to the maximum interval after one quiet poll: the interval
// grows with the quiet time instead (continuous, like Miniflux's entry-frequency scheduler).
struct Rhythm {
  double items = 0;         // decayed count of new items
  double observed_ms = 0;   // decayed observation time
  bool started = false;     // the first report (everything is "new") only starts the clock
};

inline constexpr double kRhythmHalfLifeMs = 7.0 * 24 * 3600 * 1000;  // a week, as Miniflux

// Folds one poll's new items observed over `elapsed` into the rhythm.
void observe(Rhythm& rhythm, int new_items, Millis elapsed);

// The interval the rhythm alone suggests, or nullopt before anything was observed.
std::optional<Millis> rhythm_interval(const Rhythm& rhythm, Millis prior);

struct IntervalInputs {
  Millis configured{};                 // FeedSpec::interval: the fastest the operator wants
  std::optional<Millis> rhythm;        // rhythm_interval()
  std::optional<Millis> ttl;           // RSS <ttl>
  std::optional<Millis> update_period; // sy:updatePeriod / sy:updateFrequency
  std::optional<Millis> max_age;       // Cache-Control max-age / Expires
};

// The rhythm can slow a feed down but not poll it faster than configured; publisher hints
// (ttl, update period, max-age) are lower bounds; the result is clamped to
// [min_interval, max_interval].
Millis compute_interval(const IntervalInputs& in, const FetchConfig& config);

// Cap of the n-th consecutive error's delay: base * 2^(n-1), at most backoff_max.
Millis backoff_cap(int error_count, const FetchConfig& config);
// Full jitter: uniform in [0, cap], never below min_interval (a broken feed is not polled
// faster than a healthy one may be). A feed at the ceiling stays there: never dropped.
Millis backoff_delay(int error_count, const FetchConfig& config, std::mt19937_64& rng);

// Offset of a feed's first poll in [0, window): a hash of the URL, so a restart spreads the
// same feeds the same way and a burst of new feeds does not land on one instant.
Millis spread_offset(std::string_view url, Millis window);

// Min-heap of (due, id, generation). Entries are never erased: a rescheduled or removed feed
// bumps its generation and stale entries are skipped when they reach the top.
class TimerHeap {
 public:
  struct Entry {
    Clock::time_point due;
    std::uint32_t id;
    std::uint32_t generation;
    bool operator>(const Entry& o) const { return due > o.due; }
  };
  void push(Clock::time_point due, std::uint32_t id, std::uint32_t generation) {
    heap_.push(Entry{due, id, generation});
  }
  bool empty() const { return heap_.empty(); }
  const Entry& top() const { return heap_.top(); }
  void pop() { heap_.pop(); }
  size_t size() const { return heap_.size(); }

 private:
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace feedpipe::fetcher
