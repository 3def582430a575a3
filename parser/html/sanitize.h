#pragma once

#include <string>
#include <string_view>

namespace feedpipe::parser::html {

// Allow-list sanitiser (feedparser's lists are the reference): drops scripts, styles,
// event handlers, javascript: URLs; resolves relative URLs against `base_url`.
std::string sanitize_html(std::string_view html, std::string_view base_url);

// Visible text of an HTML fragment: tags stripped, entities decoded, whitespace collapsed,
// block elements separated by blank lines when `paragraphs` is true.
std::string html_to_text(std::string_view html, bool paragraphs = false);

}  // namespace feedpipe::parser::html
