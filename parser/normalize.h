#pragma once

#include <string_view>
#include <vector>

#include "common/feed.h"
#include "common/item.h"

namespace feedpipe::parser {

struct NormalizeOptions {
  std::string_view feed_url;
  std::int64_t fetched_at_unix = 0;
  const std::vector<std::string>* tracking_params = nullptr;  // null: the defaults
};

// Turns a parsed entry into the published item: canonical url, item key and id
// (DESIGN.md section 3), plain-text summary and content_text, sanitised content_html,
// content_sha256 over the fields that make a revision.
Item to_item(const ParsedFeed& feed, const Entry& entry, const NormalizeOptions& options);
// The same, taking the entry's bodies instead of copying them; `entry` is left valid but
// unspecified.
Item to_item(const ParsedFeed& feed, Entry&& entry, const NormalizeOptions& options);

}  // namespace feedpipe::parser
