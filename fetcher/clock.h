#pragma once

// Time source of the fetcher's scheduler. Injected so tests drive due times without sleeping.

#include <atomic>
#include <chrono>

#include "common/fetch.h"

namespace feedpipe::fetcher {

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual Clock::time_point now() const = 0;
};

class SystemTimeSource final : public TimeSource {
 public:
  Clock::time_point now() const override { return Clock::now(); }
};

// A clock that moves only when told to. After advancing it, call Fetcher::wake() so the fetch
// thread re-reads the time instead of waiting out its current poll.
class ManualTimeSource final : public TimeSource {
 public:
  explicit ManualTimeSource(Clock::time_point start = Clock::time_point(std::chrono::hours(24 * 365 * 50)))
      : now_ms_(std::chrono::duration_cast<Millis>(start.time_since_epoch()).count()) {}
  Clock::time_point now() const override {
    return Clock::time_point(Millis(now_ms_.load(std::memory_order_acquire)));
  }
  void advance(Millis d) { now_ms_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<long long> now_ms_;
};

}  // namespace feedpipe::fetcher
