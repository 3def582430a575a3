#pragma once

// Rewrites a document that is not well-formed XML into one that is, keeping as much of it as
// possible: unclosed elements are closed where an ancestor closes (or at the end), stray end
// tags and garbage after the root element are dropped, bare '&' and '<' are escaped,
// attributes are quoted and de-duplicated, control characters are removed, an unterminated
// CDATA section or comment is closed. Used only after the strict parse failed.

#include <string>
#include <string_view>

namespace feedpipe::parser {

std::string repair_xml(std::string_view doc);

}  // namespace feedpipe::parser
