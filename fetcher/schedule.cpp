#include "fetcher/schedule.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace feedpipe::fetcher {

void observe(Rhythm& rhythm, int new_items, Millis elapsed) {
  if (!rhythm.started) {
    rhythm.started = true;
    return;
  }
  const double dt = static_cast<double>(std::max<std::int64_t>(elapsed.count(), 0));
  const double decay = std::exp2(-dt / kRhythmHalfLifeMs);
  rhythm.items = rhythm.items * decay + std::max(new_items, 0);
  rhythm.observed_ms = rhythm.observed_ms * decay + dt;
}

std::optional<Millis> rhythm_interval(const Rhythm& rhythm, Millis prior) {
  if (!rhythm.started || rhythm.observed_ms <= 0) return std::nullopt;
  const double ms = (rhythm.observed_ms + static_cast<double>(prior.count())) / (rhythm.items + 1.0);
  return Millis(static_cast<std::int64_t>(std::min(ms, 1e15)));
}

Millis compute_interval(const IntervalInputs& in, const FetchConfig& config) {
  Millis interval = in.configured;
  if (in.rhythm) interval = std::max(interval, *in.rhythm);
  for (const auto& hint : {in.ttl, in.update_period, in.max_age}) {
    if (hint && *hint > interval) interval = *hint;
  }
  return std::clamp(interval, config.min_interval, std::max(config.min_interval, config.max_interval));
}

Millis backoff_cap(int error_count, const FetchConfig& config) {
  if (error_count <= 0) return Millis(0);
  const int shift = std::min(error_count - 1, 40);
  const double cap = static_cast<double>(config.backoff_base.count()) * std::ldexp(1.0, shift);
  return Millis(static_cast<std::int64_t>(std::min(cap, static_cast<double>(config.backoff_max.count()))));
}

Millis backoff_delay(int error_count, const FetchConfig& config, std::mt19937_64& rng) {
  const Millis cap = backoff_cap(error_count, config);
  std::uniform_int_distribution<std::int64_t> dist(0, std::max<std::int64_t>(cap.count(), 0));
  Millis delay(dist(rng));
  return std::max(delay, std::min(config.min_interval, cap));
}

Millis spread_offset(std::string_view url, Millis window) {
  if (window.count() <= 0) return Millis(0);
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, then a final mix for low bits
  for (unsigned char c : url) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return Millis(static_cast<std::int64_t>(h % static_cast<std::uint64_t>(window.count())));
}

}  // namespace feedpipe::fetcher
