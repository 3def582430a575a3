#pragma once

#include <string_view>

#include "common/feed.h"

namespace feedpipe::parser {

// Parses one feed document (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed, CDF), detected by
// content. Pure: no I/O, no globals, no threads. Never throws; a document that cannot be
// read comes back with document.fatal set.
ParsedFeed parse_feed(std::string_view bytes, const DocumentInfo& info);

}  // namespace feedpipe::parser
