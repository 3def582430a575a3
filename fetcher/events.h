#pragma once

// What the fetcher reports for metrics and logs, one struct per event (the app maps them onto
// Prometheus children created once). No URLs here beyond what a log line needs: labels come
// from `group` and the closed ErrorCode list only.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "common/fetch.h"
#include "common/result.h"
#include "fetcher/robots.h"

namespace feedpipe::fetcher {

enum class FeedHealth { kOk, kBackoff, kFailing };
std::string_view to_string(FeedHealth health);

// One transfer finished (after redirects). `error` empty on success (304 included).
struct FetchDone {
  FetchKind kind = FetchKind::kFeed;
  std::string_view group;
  std::optional<ErrorCode> error;
  int http_status = 0;
  bool not_modified = false;
  Millis duration{0};
  std::int64_t wire_bytes = 0;     // as received, before decompression
  std::int64_t decoded_bytes = 0;  // after decompression
  int redirects = 0;
};

// A host answered 429/503 (or kept failing) and is not contacted until `blocked_for` passes.
struct HostThrottled {
  int http_status = 0;
  Millis blocked_for{0};
  bool from_retry_after = false;
};

// A feed moved between ok, backoff and failing (failing: backoff reached its ceiling).
struct FeedStateChanged {
  std::string_view group;
  FeedHealth from = FeedHealth::kOk;
  FeedHealth to = FeedHealth::kOk;
  std::optional<ErrorCode> error;
};

// A poll started `lateness` after it was due (politeness waits and loop delays included).
struct ScheduleLateness {
  Millis lateness{0};
};

// Sampled when a transfer starts or ends.
struct InFlight {
  int transfers = 0;
  size_t feeds_scheduled = 0;
  size_t waiting_for_host = 0;  // due, held back by per-host limits or Retry-After
};

// A 301/308 moved a feed for good; later polls use the new URL.
struct FeedMoved {
  std::string_view group;
};

// A robots.txt fetch for article pages ended; its outcome is cached for the origin.
struct RobotsFetched {
  RobotsSource source = RobotsSource::kParsed;
  int http_status = 0;
  Millis duration{0};
};

// An article page was not fetched: the origin's robots.txt disallows it (or could not be
// reached, RFC 9309 2.3.1.4). Its FetchResult carries ErrorCode::kRobotsDisallowed.
struct ArticleRobotsDenied {
  RobotsSource source = RobotsSource::kParsed;
};

using FetchEvent = std::variant<FetchDone, HostThrottled, FeedStateChanged, ScheduleLateness,
                                InFlight, FeedMoved, RobotsFetched, ArticleRobotsDenied>;

}  // namespace feedpipe::fetcher
