#pragma once

#include <string>
#include <string_view>

namespace feedpipe::parser::html {

// Single-pass allow-list sanitiser for feed HTML (no tree is built). It follows feedparser's
// streaming sanitiser: character and entity references in text are written back as written
// (`&#38;` stays `&#38;`), elements off the allow-list are unwrapped, scripts and styles are
// dropped with their content, attributes are filtered as in `sanitize_html` and written in
// name order, relative URLs resolve against `base_url`, and elements left open are closed at
// the end. Inline SVG and MathML keep the subset `sanitize_foreign.h` allows. The output is
// always valid UTF-8.
std::string stream_sanitize(std::string_view html, std::string_view base_url);

// Visible text of an HTML fragment in one pass: tags stripped, references decoded,
// whitespace collapsed, block elements separated by blank lines when `paragraphs` is true.
std::string stream_html_to_text(std::string_view html, bool paragraphs);

}  // namespace feedpipe::parser::html
