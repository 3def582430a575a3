#pragma once

#include <string>
#include <string_view>

#include "common/feed.h"

namespace feedpipe::parser {

// The neutral JSON form of a parsed feed: {"document": {...}, "feed": {...}, "entries": [...]}
// with the field names of the conformance schema. Dates as "YYYY-MM-DDTHH:MM:SSZ".
std::string feed_to_json(const ParsedFeed& feed, bool pretty = false);

// Appends `s` as a JSON string, byte for byte as nlohmann::json::dump writes it compact
// (text that is not UTF-8 gets replacement characters).
void write_json_string(std::string_view s, std::string& out);

}  // namespace feedpipe::parser
