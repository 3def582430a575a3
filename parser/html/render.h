#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parser/html/dom.h"

namespace feedpipe::parser::html {

// Nodes the caller has removed (by index); an empty vector removes nothing.
using RemovedMask = std::vector<char>;

// Appends the allow-listed HTML of the subtree rooted at `root` (the root element itself is
// left out when `include_root` is false) to `out`. URLs resolve against `base_url`.
void write_sanitized(const Document& doc, std::uint32_t root, bool include_root,
                     std::string_view base_url, const RemovedMask& removed, std::string& out);

// Appends the visible text of the subtree rooted at `root` to `out` (see html_to_text).
// `keep_nbsp`: no-break spaces between words stay as they are instead of becoming spaces.
void write_text(const Document& doc, std::uint32_t root, bool paragraphs,
                const RemovedMask& removed, std::string& out, bool keep_nbsp = false);

// CSS declarations feedparser's sanitiser keeps (empty when none survive).
std::string sanitize_style(std::string_view style);

// feedparser's allow-lists, by lower-case name (shared by the tree and streaming sanitisers).
bool is_acceptable_element(std::string_view name);
bool is_acceptable_attribute(std::string_view name);

// Value an allow-listed attribute is written out with: styles filtered, relative URLs of
// `element` resolved against `base_url`, unsafe URL schemes emptied. False drops the
// attribute (a style with nothing left). `value` is the decoded attribute value.
bool clean_attribute(std::string_view element, std::string_view name, std::string_view value,
                     std::string_view base_url, std::string& out);

// True for tags that start a new block of text (paragraph breaks in text output).
bool is_block(Tag tag);

// Elements whose content is never visible text (scripts, styles, templates, SVG ...).
bool is_invisible(Tag tag);

}  // namespace feedpipe::parser::html
