#pragma once

#include <string>
#include <string_view>

#include "common/feed.h"

namespace feedpipe::parser {

// Parses one feed document (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed, CDF), detected by
// content. Pure: no I/O, no globals, no threads. Never throws; a document that cannot be
// read comes back with document.fatal set.
ParsedFeed parse_feed(std::string_view bytes, const DocumentInfo& info);

// The same, taking the document (pass it with std::move): its bytes are freed as soon as
// the parser holds its own UTF-8 text and tree, so a very large feed is not held twice
// while its entries are built.
ParsedFeed parse_feed_owned(std::string bytes, const DocumentInfo& info);

}  // namespace feedpipe::parser
