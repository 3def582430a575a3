#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace feedpipe {

// Parses the date forms feeds use (RFC 822/1123 with zone names and offsets, ISO 8601 /
// RFC 3339, W3C-DTF and common broken forms) to Unix seconds, UTC. nullopt when unparseable;
// never "now".
std::optional<std::int64_t> parse_date(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_rfc3339(std::int64_t unix_seconds);

}  // namespace feedpipe
