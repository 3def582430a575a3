#pragma once

#include <string>

#include "common/feed.h"

namespace feedpipe::parser {

// The neutral JSON form of a parsed feed: {"document": {...}, "feed": {...}, "entries": [...]}
// with the field names of the conformance schema. Dates as "YYYY-MM-DDTHH:MM:SSZ".
std::string feed_to_json(const ParsedFeed& feed, bool pretty = false);

}  // namespace feedpipe::parser
