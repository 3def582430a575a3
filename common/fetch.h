#pragma once

// The fetcher's boundary: what to fetch and what came back.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace feedpipe {

using Clock = std::chrono::system_clock;
using Millis = std::chrono::milliseconds;

// A feed as configured (after defaults and overrides are applied).
struct FeedSpec {
  std::string url;
  std::string group;          // bounded label for metrics (OPML category or config)
  Millis interval{std::chrono::minutes(5)};
  bool fetch_articles = true;   // with the enrich role: fetch each entry's page
};

// Validators and scheduling facts that survive restarts (kept in <prefix>.feed-state).
struct Validators {
  std::string etag;
  std::string last_modified;
};

enum class FetchKind { kFeed, kArticle };

struct FetchRequest {
  std::string url;
  FetchKind kind = FetchKind::kFeed;
  Validators validators;      // sent as If-None-Match / If-Modified-Since when present
  std::uint64_t tag = 0;      // caller's correlation id, returned in FetchResult
};

struct FetchResult {
  std::string url;            // the URL requested
  std::string final_url;      // after redirects
  std::string permanent_url;  // set when a 301/308 chain moved the resource for good
  std::uint64_t tag = 0;
  int http_status = 0;
  bool not_modified = false;  // 304: success, body empty
  std::string body;           // decoded (decompressed) body
  std::string content_type;
  std::string content_location;
  std::string content_language;
  Validators validators;      // refreshed from the response (kept when a 304 omits them)
  std::optional<Millis> max_age;     // Cache-Control max-age / Expires
  std::optional<Millis> retry_after; // 429 / 503
  Clock::time_point fetched_at{};
  Millis elapsed{0};
  std::optional<Error> error; // set when the fetch failed
  bool ok() const { return !error.has_value(); }
};

}  // namespace feedpipe
