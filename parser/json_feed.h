#pragma once

#include <string_view>

#include "common/feed.h"

namespace feedpipe::parser {

// JSON Feed 1.0 / 1.1 (https://www.jsonfeed.org/version/1.1/) into the neutral model.
ParsedFeed parse_json_feed(std::string_view bytes, const DocumentInfo& info);

}  // namespace feedpipe::parser
