#pragma once

// Parsing of the response headers that steer scheduling. Dates are compared with the
// response's own Date header when it has one, so a server with a wrong clock still means
// what it says.

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/fetch.h"

namespace feedpipe::fetcher {

// HTTP date (IMF-fixdate, RFC 850, asctime) to Unix seconds.
std::optional<std::int64_t> parse_http_date(std::string_view text);

// Retry-After: delta-seconds or an HTTP date. `date_unix` is the response's Date header
// (or the local wall clock when absent). Negative or unparseable values give nullopt.
std::optional<Millis> parse_retry_after(std::string_view value, std::int64_t date_unix);

// Cache-Control max-age (s-maxage is for shared caches; we are a private client), then
// Expires - Date. no-cache / no-store give nullopt: they say nothing about freshness
// we could use to slow down.
std::optional<Millis> freshness(std::string_view cache_control, std::string_view expires,
                                std::int64_t date_unix);

}  // namespace feedpipe::fetcher
