#include "parser/feed_parser.h"

namespace feedpipe::parser {

ParsedFeed parse_feed(std::string_view bytes, const DocumentInfo&) {
  ParsedFeed feed;
  if (bytes.empty()) {
    feed.document.fatal = true;
    feed.document.fatal_reason = "empty document";
  }
  return feed;
}

}  // namespace feedpipe::parser
