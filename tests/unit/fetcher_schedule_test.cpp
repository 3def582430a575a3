#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "fetcher/schedule.h"

namespace feedpipe::fetcher {
namespace {

using namespace std::chrono_literals;

FetchConfig config() {
  FetchConfig c;
  c.min_interval = 1min;
  c.max_interval = 24h;
  c.backoff_base = 30s;
  c.backoff_max = 6h;
  return c;
}

TEST(FetcherSchedule, IntervalIsConfiguredWhenNothingElseIsKnown) {
  IntervalInputs in;
  in.configured = 5min;
  EXPECT_EQ(compute_interval(in, config()), 5min);
}

TEST(FetcherSchedule, IntervalIsClampedToMinAndMax) {
  IntervalInputs in;
  in.configured = 10s;
  EXPECT_EQ(compute_interval(in, config()), 1min);
  in.configured = 48h;
  EXPECT_EQ(compute_interval(in, config()), 24h);
  in.configured = 5min;
  in.ttl = 7 * 24h;
  EXPECT_EQ(compute_interval(in, config()), 24h);
}

TEST(FetcherSchedule, PublisherHintsAreLowerBounds) {
  IntervalInputs in;
  in.configured = 5min;
  in.ttl = 60min;
  EXPECT_EQ(compute_interval(in, config()), 60min);
  in.update_period = 2h;
  EXPECT_EQ(compute_interval(in, config()), 2h);
  in.max_age = 3h;
  EXPECT_EQ(compute_interval(in, config()), 3h);
  IntervalInputs shorter;
  shorter.configured = 30min;
  shorter.ttl = 5min;       // asks for more often than configured: ignored
  shorter.max_age = 0ms;
  EXPECT_EQ(compute_interval(shorter, config()), 30min);
}

TEST(FetcherSchedule, RhythmIgnoresTheFirstPollAndSlowsQuietFeedsGradually) {
  Rhythm r;
  observe(r, 50, 0ms);  // first poll: everything is new, says nothing about the rhythm
  EXPECT_EQ(r.items, 0);
  EXPECT_FALSE(rhythm_interval(r, 5min).has_value());
  Millis previous{0};
  for (int i = 0; i < 20; ++i) {
    observe(r, 0, 1h);
    const Millis now = *rhythm_interval(r, 5min);
    EXPECT_GT(now, previous);  // each quiet hour lengthens it, no jump to the maximum
    previous = now;
  }
  EXPECT_LE(previous, 21h + 5min);
}

TEST(FetcherSchedule, RhythmFollowsTheFeedsPublishingRate) {
  Rhythm busy;
  observe(busy, 0, 0ms);
  for (int i = 0; i < 48; ++i) observe(busy, 4, 1h);  // about 4 items an hour
  const Millis busy_interval = *rhythm_interval(busy, 5min);
  EXPECT_GT(busy_interval, 14min);
  EXPECT_LT(busy_interval, 16min);

  Rhythm daily;
  observe(daily, 0, 0ms);
  for (int i = 0; i < 14; ++i) observe(daily, 1, 24h);  // one item a day
  const Millis daily_interval = *rhythm_interval(daily, 5min);
  EXPECT_GT(daily_interval, 20h);
  EXPECT_LT(daily_interval, 26h);

  IntervalInputs in;
  in.configured = 30min;
  in.rhythm = busy_interval;  // faster than configured: the configured interval wins
  EXPECT_EQ(compute_interval(in, config()), 30min);
  in.rhythm = daily_interval;
  EXPECT_EQ(compute_interval(in, config()), daily_interval);
}

TEST(FetcherSchedule, BackoffCapDoublesUpToTheCeiling) {
  const auto c = config();
  EXPECT_EQ(backoff_cap(0, c), 0ms);
  EXPECT_EQ(backoff_cap(1, c), 30s);
  EXPECT_EQ(backoff_cap(2, c), 60s);
  EXPECT_EQ(backoff_cap(5, c), 480s);
  EXPECT_EQ(backoff_cap(10, c), 15360s);
  EXPECT_EQ(backoff_cap(11, c), 6h);
  EXPECT_EQ(backoff_cap(1000, c), 6h);  // stays at the ceiling: retried forever
}

TEST(FetcherSchedule, BackoffIsFullJitterWithinBounds) {
  const auto c = config();
  std::mt19937_64 rng(42);
  for (int n = 1; n <= 12; ++n) {
    const Millis cap = backoff_cap(n, c);
    Millis lo = cap, hi{0};
    for (int i = 0; i < 2000; ++i) {
      const Millis d = backoff_delay(n, c, rng);
      ASSERT_GE(d, std::min(c.min_interval, cap));
      ASSERT_LE(d, cap);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    if (cap >= 10min) {  // spread over the whole range, not clustered at the top
      EXPECT_LT(lo, cap / 10);
      EXPECT_GT(hi, cap * 9 / 10);
    }
  }
}

TEST(FetcherSchedule, FirstPollsAreSpreadAcrossTheWindow) {
  const Millis window = 5min;
  std::vector<int> buckets(10, 0);
  for (int i = 0; i < 10000; ++i) {
    const Millis off = spread_offset("https://host" + std::to_string(i % 100) + ".example/feed/" + std::to_string(i), window);
    ASSERT_GE(off, 0ms);
    ASSERT_LT(off, window);
    buckets[static_cast<size_t>(off * 10 / window)]++;
  }
  for (int b : buckets) {
    EXPECT_GT(b, 800);
    EXPECT_LT(b, 1200);
  }
  EXPECT_EQ(spread_offset("https://a.example/", window), spread_offset("https://a.example/", window));
  EXPECT_EQ(spread_offset("https://a.example/", 0ms), 0ms);
}

TEST(FetcherSchedule, TimerHeapPopsInDueOrder) {
  TimerHeap heap;
  const Clock::time_point t0{};
  const std::vector<int> offsets = {50, 10, 40, 10, 30, 0, 20};
  for (size_t i = 0; i < offsets.size(); ++i) heap.push(t0 + Millis(offsets[i]), static_cast<std::uint32_t>(i), 1);
  std::vector<int> popped;
  while (!heap.empty()) {
    popped.push_back(static_cast<int>((heap.top().due - t0) / 1ms));
    heap.pop();
  }
  std::vector<int> sorted = offsets;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(popped, sorted);
}

}  // namespace
}  // namespace feedpipe::fetcher
