#pragma once

// Text helpers shared by the feed parsers: entity decoding, UTF-8 checks, whitespace and
// Unicode normalisation. All work on UTF-8.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace feedpipe::parser {

// Replacement text of an HTML5 named character reference (name without '&' and ';'), or
// an empty view when the name is unknown.
std::string_view html_entity(std::string_view name);

// Appends the UTF-8 encoding of `cp` (invalid code points become U+FFFD).
void append_utf8(std::string& out, char32_t cp);

// Entities declared in a DOCTYPE internal subset, by name (the first declaration binds).
// A map: a hostile document declares hundreds of thousands and refers to them as often.
using DeclaredEntities = std::unordered_map<std::string, std::string>;

struct EntityIssues {
  bool undefined_entity = false;  // a name XML does not define (HTML5 names are decoded)
  bool bare_ampersand = false;    // '&' that starts no reference; kept literally
};

// Decodes character and entity references in XML text. XML's five predefined names,
// numeric references, declared entities and HTML5 names are all decoded; anything that is
// not XML is reported in `issues`.
void decode_references(std::string_view raw, std::string& out, const DeclaredEntities* declared,
                       EntityIssues* issues);

// Escapes &, < and > (and " when `attribute`).
void xml_escape(std::string_view text, std::string& out, bool attribute = false);

// True when `s` is valid UTF-8.
bool valid_utf8(std::string_view s);

// Index of the first byte >= 0x80, or s.size() when `s` is ASCII.
size_t first_non_ascii(std::string_view s);

// Index of the first C0 control character XML 1.0 forbids (below 0x20 except tab, LF and
// CR), or s.size() when there is none.
size_t first_control_char(std::string_view s);

// Trims ASCII whitespace at both ends.
std::string_view trim(std::string_view s);

// Trims ASCII whitespace at both ends of `s` itself.
void trim_in_place(std::string& s);

// True when `s` contains any of the bytes in `chars` (a short set such as "<&").
bool contains_any(std::string_view s, std::string_view chars);

// Collapses runs of whitespace to one space and trims.
std::string collapse_whitespace(std::string_view s);

// Unicode NFC; returns the input unchanged when it is not valid UTF-8.
std::string nfc(std::string_view s);
// The same on `s` itself; text that NFC leaves alone is not copied.
void nfc_in_place(std::string& s);

// ASCII lower-case copy.
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);

}  // namespace feedpipe::parser
