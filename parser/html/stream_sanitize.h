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

// stream_sanitize into `out`, and in the same pass `text` = stream_html_to_text(out,
// paragraphs). False when the text could not be followed from the sanitiser's output (the
// output needed UTF-8 repair, or holds markup the text pass reads as raw text); `text` is
// then empty and `out` is still the sanitised HTML.
bool stream_sanitize_with_text(std::string_view html, std::string_view base_url, bool paragraphs,
                               std::string& out, std::string& text);

// Visible text of an HTML fragment in one pass: tags stripped, references decoded,
// whitespace collapsed, block elements separated by blank lines when `paragraphs` is true.
std::string stream_html_to_text(std::string_view html, bool paragraphs);

}  // namespace feedpipe::parser::html
