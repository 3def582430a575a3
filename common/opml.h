#pragma once

// OPML subscription lists (OPML 1.0/2.0): every <outline> with an xmlUrl is a feed. The group
// is the outline's `category` (first entry, slashes trimmed) or the text of the enclosing
// outline, so folder structure from feed readers survives as a bounded metric label.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace feedpipe {

struct OpmlFeed {
  std::string url;    // xmlUrl, trimmed
  std::string title;  // title or text attribute
  std::string group;  // empty when neither a category nor a parent outline names one
  int line = 0;       // 1-based line of the <outline> in the document
};

// Fails (ErrorCode::kConfig) when the document is not well-formed XML or has no <opml> root.
Result<std::vector<OpmlFeed>> parse_opml(std::string_view xml);

}  // namespace feedpipe
