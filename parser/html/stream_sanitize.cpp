#include "parser/html/stream_sanitize.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "parser/html/render.h"
#include "parser/html/sanitize_foreign.h"
#include "parser/html/text_writer.h"
#include "parser/text.h"

namespace feedpipe::parser::html {
namespace {

// Deepest nesting of kept elements; deeper allow-listed elements are unwrapped so hostile
// input cannot grow the open-element stack without bound.
constexpr std::size_t kMaxOpenElements = 1000;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  // Length and first letter rule out nearly every candidate without a call to memcmp.
  if (name.empty()) return std::find(names.begin(), names.end(), name) != names.end();
  for (std::string_view n : names)
    if (n.size() == name.size() && n[0] == name[0] && n == name) return true;
  return false;
}

enum class TokenKind : std::uint8_t { kText, kStartTag, kEndTag, kEnd };

struct RawAttribute {
  std::uint32_t name_offset;  // into Tokenizer::names_ (lower-cased)
  std::uint32_t name_size;
  std::string_view value;  // as written, references not decoded
};

// HTML tokenizer over a fragment. Comments, doctypes and processing instructions are
// skipped; a tag cut off by the end of input is dropped, as HTML5 does.
class Tokenizer {
 public:
  // `cdata_as_text`: `<![CDATA[` is literal text (feedparser); otherwise it is skipped to
  // `]]>` like a comment.
  Tokenizer(std::string_view input, bool cdata_as_text)
      : in_(input), cdata_as_text_(cdata_as_text) {}

  TokenKind next() {
    attrs_.clear();
    names_.clear();
    self_closing_ = false;
    while (pos_ < in_.size()) {
      if (in_[pos_] != '<') {
        std::size_t lt = in_.find('<', pos_);
        if (lt == std::string_view::npos) lt = in_.size();
        text_ = in_.substr(pos_, lt - pos_);
        pos_ = lt;
        return TokenKind::kText;
      }
      std::size_t p = pos_ + 1;
      if (p < in_.size() && is_alpha(in_[p])) return start_tag(p);
      if (p + 1 < in_.size() && in_[p] == '/' && is_alpha(in_[p + 1])) return end_tag(p + 1);
      if (p < in_.size() && in_[p] == '!') {
        if (in_.compare(p, 3, "!--") == 0) {
          // A comment never closed by "-->" ends at the next '>' (sgmllib), so it cannot
          // swallow the rest of the field.
          std::size_t close = in_.find("-->", p + 3);
          if (close == std::string_view::npos) {
            skip_past(p + 3, ">");
          } else {
            pos_ = close + 3;
          }
          continue;
        }
        if (in_.compare(p, 8, "![CDATA[") == 0) {
          if (cdata_as_text_) {
            text_ = in_.substr(pos_, 9);
            pos_ += 9;
            return TokenKind::kText;
          }
          skip_past(p + 8, "]]>");
          continue;
        }
        if (skip_declaration(p)) continue;
      }
      if (p < in_.size() && (in_[p] == '?' || in_[p] == '/')) {
        if (skip_declaration(p)) continue;
      }
      text_ = in_.substr(pos_, 1);  // a '<' that opens nothing
      ++pos_;
      return TokenKind::kText;
    }
    return TokenKind::kEnd;
  }

  // After a start tag whose content is raw text (script, style, textarea ...): returns that
  // text and stops before its end tag (or at the end of input).
  std::string_view raw_text(std::string_view name) {
    std::size_t start = pos_;
    std::size_t i = pos_;
    while ((i = in_.find("</", i)) != std::string_view::npos) {
      std::size_t j = i + 2;
      std::size_t k = 0;
      while (k < name.size() && j + k < in_.size() && lower(in_[j + k]) == name[k]) ++k;
      if (k == name.size() &&
          (j + k >= in_.size() || is_space(in_[j + k]) || in_[j + k] == '>' || in_[j + k] == '/')) {
        pos_ = i;
        return in_.substr(start, i - start);
      }
      i += 2;
    }
    pos_ = in_.size();
    return in_.substr(start);
  }

  std::string_view text() const { return text_; }
  std::string_view name() const { return std::string_view(names_).substr(0, name_size_); }
  bool self_closing() const { return self_closing_; }
  const std::vector<RawAttribute>& attributes() const { return attrs_; }
  std::string_view attribute_name(const RawAttribute& a) const {
    return std::string_view(names_).substr(a.name_offset, a.name_size);
  }

 private:
  // Doctypes and processing instructions run to '>'; without one the '<' is plain text.
  bool skip_declaration(std::size_t from) {
    std::size_t gt = in_.find('>', from);
    if (gt == std::string_view::npos) return false;
    pos_ = gt + 1;
    return true;
  }

  void skip_past(std::size_t from, std::string_view terminator) {
    std::size_t end = in_.find(terminator, from);
    pos_ = end == std::string_view::npos ? in_.size() : end + terminator.size();
  }

  // Lower-cased name starting at `p` into names_; returns the index after it.
  std::size_t read_name(std::size_t p, bool attribute) {
    std::size_t start = p;
    while (p < in_.size() && !is_space(in_[p]) && in_[p] != '/' && in_[p] != '>' &&
           (!attribute || in_[p] != '=' || p == start))
      ++p;
    std::size_t at = names_.size();
    names_.append(in_, start, p - start);
    for (std::size_t k = at; k < names_.size(); ++k) names_[k] = lower(names_[k]);
    return p;
  }

  TokenKind start_tag(std::size_t p) {
    p = read_name(p, false);
    name_size_ = names_.size();
    while (true) {
      while (p < in_.size() && (is_space(in_[p]) || in_[p] == '/')) {
        self_closing_ = in_[p] == '/';
        ++p;
      }
      if (p >= in_.size()) return truncated();
      if (in_[p] == '>') {
        pos_ = p + 1;
        return TokenKind::kStartTag;
      }
      self_closing_ = false;
      RawAttribute a{static_cast<std::uint32_t>(names_.size()), 0, {}};
      p = read_name(p, true);
      a.name_size = static_cast<std::uint32_t>(names_.size() - a.name_offset);
      while (p < in_.size() && is_space(in_[p])) ++p;
      if (p < in_.size() && in_[p] == '=') {
        ++p;
        while (p < in_.size() && is_space(in_[p])) ++p;
        if (p >= in_.size()) return truncated();
        if (in_[p] == '"' || in_[p] == '\'') {
          std::size_t close = in_.find(in_[p], p + 1);
          if (close == std::string_view::npos) return truncated();
          a.value = in_.substr(p + 1, close - p - 1);
          p = close + 1;
        } else {
          std::size_t v = p;
          while (p < in_.size() && !is_space(in_[p]) && in_[p] != '>') ++p;
          a.value = in_.substr(v, p - v);
        }
      }
      attrs_.push_back(a);
    }
  }

  TokenKind end_tag(std::size_t p) {
    p = read_name(p, false);
    name_size_ = names_.size();
    std::size_t gt = in_.find('>', p);
    if (gt == std::string_view::npos) return truncated();
    pos_ = gt + 1;
    return TokenKind::kEndTag;
  }

  TokenKind truncated() {
    pos_ = in_.size();
    return TokenKind::kEnd;
  }

  std::string_view in_;
  bool cdata_as_text_;
  std::size_t pos_ = 0;
  std::string_view text_;
  std::string names_;  // tag name, then attribute names, lower-cased
  std::size_t name_size_ = 0;
  bool self_closing_ = false;
  std::vector<RawAttribute> attrs_;
};

// What the sanitiser and the text pass need to know about an HTML element name.
enum TagFlag : std::uint8_t {
  kClosesParagraph = 1,  // a start tag that ends an open paragraph
  kVoid = 2,
  kRawText = 4,         // content is raw text in HTML: markup inside is not markup
  kSanitizerDrops = 8,  // dropped together with everything inside by the sanitiser
  kBlock = 16,          // a block for the text pass
  kInvisible = 32,      // content never shown, for the text pass
};

// Every tag is looked up several times; one table probe by length and first letter
// replaces a scan of each list.
std::uint8_t tag_flags(std::string_view name) {
  struct Named {
    std::string_view name;
    std::uint8_t flags;
  };
  static constexpr Named kNames[] = {
      {"address", kClosesParagraph | kBlock},
      {"applet", kSanitizerDrops | kInvisible},
      {"area", kVoid},
      {"article", kClosesParagraph | kBlock},
      {"aside", kClosesParagraph | kBlock},
      {"audio", kInvisible},
      {"base", kVoid},
      {"basefont", kVoid},
      {"blockquote", kClosesParagraph | kBlock},
      {"body", kBlock},
      {"br", kVoid},
      {"canvas", kInvisible},
      {"caption", kBlock},
      {"center", kClosesParagraph | kBlock},
      {"col", kVoid},
      {"command", kVoid},
      {"dd", kBlock},
      {"details", kClosesParagraph | kBlock},
      {"dialog", kClosesParagraph},
      {"dir", kClosesParagraph | kBlock},
      {"div", kClosesParagraph | kBlock},
      {"dl", kClosesParagraph | kBlock},
      {"dt", kBlock},
      {"embed", kVoid},
      {"fieldset", kClosesParagraph | kBlock},
      {"figcaption", kClosesParagraph | kBlock},
      {"figure", kClosesParagraph | kBlock},
      {"footer", kClosesParagraph | kBlock},
      {"form", kClosesParagraph | kBlock},
      {"frame", kVoid},
      {"frameset", kSanitizerDrops | kInvisible},
      {"h1", kClosesParagraph | kBlock},
      {"h2", kClosesParagraph | kBlock},
      {"h3", kClosesParagraph | kBlock},
      {"h4", kClosesParagraph | kBlock},
      {"h5", kClosesParagraph | kBlock},
      {"h6", kClosesParagraph | kBlock},
      {"head", kSanitizerDrops | kInvisible},
      {"header", kClosesParagraph | kBlock},
      {"hgroup", kClosesParagraph | kBlock},
      {"hr", kClosesParagraph | kVoid | kBlock},
      {"html", kBlock},
      {"iframe", kRawText | kInvisible},
      {"img", kVoid},
      {"input", kVoid},
      {"isindex", kVoid},
      {"keygen", kVoid},
      {"legend", kBlock},
      {"li", kBlock},
      {"link", kVoid},
      {"main", kClosesParagraph | kBlock},
      {"menu", kClosesParagraph | kBlock},
      {"meta", kVoid},
      {"nav", kClosesParagraph | kBlock},
      {"noembed", kRawText | kSanitizerDrops | kInvisible},
      {"noframes", kRawText | kSanitizerDrops | kInvisible},
      {"noscript", kBlock},
      {"object", kInvisible},
      {"ol", kClosesParagraph | kBlock},
      {"option", kBlock},
      {"p", kClosesParagraph | kBlock},
      {"param", kVoid},
      {"plaintext", kRawText | kSanitizerDrops | kInvisible},
      {"pre", kClosesParagraph | kBlock},
      {"script", kRawText | kSanitizerDrops | kInvisible},
      {"section", kClosesParagraph | kBlock},
      {"select", kInvisible},
      {"source", kVoid},
      {"style", kRawText | kSanitizerDrops | kInvisible},
      {"summary", kClosesParagraph | kBlock},
      {"svg", kInvisible},
      {"table", kClosesParagraph | kBlock},
      {"tbody", kBlock},
      {"template", kSanitizerDrops | kInvisible},
      {"textarea", kRawText | kInvisible},
      {"tfoot", kBlock},
      {"thead", kBlock},
      {"title", kRawText},
      {"tr", kBlock},
      {"track", kVoid},
      {"ul", kClosesParagraph | kBlock},
      {"video", kInvisible},
      {"wbr", kVoid},
      {"xmp", kRawText | kSanitizerDrops | kInvisible},
  };
  constexpr std::size_t kMaxLength = 16;
  struct Bucket {
    std::uint8_t begin = 0;
    std::uint8_t count = 0;
  };
  // kNames sorted by (length, first letter) into buckets.
  static const auto kIndex = [] {
    struct Index {
      std::array<Named, std::size(kNames)> sorted{};
      std::array<std::array<Bucket, 26>, kMaxLength + 1> buckets{};
    } index;
    std::size_t k = 0;
    for (std::size_t len = 1; len <= kMaxLength; ++len)
      for (char first = 'a'; first <= 'z'; ++first) {
        Bucket& b = index.buckets[len][static_cast<std::size_t>(first - 'a')];
        b.begin = static_cast<std::uint8_t>(k);
        for (const Named& n : kNames)
          if (n.name.size() == len && n.name[0] == first) index.sorted[k++] = n;
        b.count = static_cast<std::uint8_t>(k - b.begin);
      }
    return index;
  }();
  if (name.empty() || name.size() > kMaxLength || name[0] < 'a' || name[0] > 'z') return 0;
  const Bucket& b = kIndex.buckets[name.size()][static_cast<std::size_t>(name[0] - 'a')];
  for (std::size_t i = b.begin; i < b.begin + b.count; ++i)
    if (kIndex.sorted[i].name == name) return kIndex.sorted[i].flags;
  return 0;
}

bool is_void(std::string_view name) { return tag_flags(name) & kVoid; }
bool has_raw_text(std::string_view name) { return tag_flags(name) & kRawText; }
bool is_block_name(std::string_view name) { return tag_flags(name) & kBlock; }
bool is_invisible_name(std::string_view name) { return tag_flags(name) & kInvisible; }

// cp1252 code points a numeric reference in 128..159 means (feedparser maps them).
constexpr char32_t kCp1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void append_escaped(std::string_view text, std::string& out) {
  std::size_t from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '&' && c != '<' && c != '>' && c != '"' && c != '\r') continue;
    out.append(text, from, i - from);  // runs without a byte to escape are appended whole
    from = i + 1;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += "&#13;"; break;  // a raw CR would read back as a newline
    }
  }
  out.append(text, from);
}

// Writes a reference starting at text[i] == '&' back as feedparser does; returns the index
// after what was consumed.
std::size_t write_reference(std::string_view text, std::size_t i, std::string& out) {
  std::size_t j = i + 1;
  if (j < text.size() && text[j] == '#') {
    ++j;
    bool hex = j < text.size() && (text[j] == 'x' || text[j] == 'X');
    if (hex) ++j;
    std::size_t start = j;
    std::uint32_t value = 0;
    while (j < text.size() && (hex ? is_hex(text[j]) : is_digit(text[j]))) {
      if (value < 0x110000) {
        char c = lower(text[j]);
        value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(is_digit(c) ? c - '0' : c - 'a' + 10);
      }
      ++j;
    }
    if (j == start) {
      out += "&amp;";
      return i + 1;
    }
    if (value >= 0x80 && value < 0xA0 && kCp1252[value - 0x80] != 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "&#x%x;", static_cast<unsigned>(kCp1252[value - 0x80]));
      out += buf;
    } else {
      out += hex ? "&#x" : "&#";
      for (std::size_t k = start; k < j; ++k) out += lower(text[k]);
      out += ';';
    }
    return (j < text.size() && text[j] == ';') ? j + 1 : j;
  }
  std::size_t start = j;
  while (j < text.size() && (is_alpha(text[j]) || (j > start && is_digit(text[j])))) ++j;
  std::string_view name = text.substr(start, j - start);
  if (!name.empty() && (!html_entity(name).empty() || name == "apos")) {
    out += '&';
    out.append(name);
    out += ';';
    return (j < text.size() && text[j] == ';') ? j + 1 : j;
  }
  out += "&amp;";
  return i + 1;
}

// Text with its references kept as written; markup characters (and '"' in an attribute
// value) escaped, newlines normalised.
// '>' opens nothing in text and stays as written there (feedparser); attribute values
// escape it so they read the same in any context.
// Bytes write_text_as_written must look at: 1 in text and attribute values, 2 in attribute
// values only. A table keeps the scan over ordinary text to one load and test per byte.
constexpr auto kTextSpecial = [] {
  std::array<std::uint8_t, 256> t{};
  t['&'] = t['<'] = t['\r'] = 1;
  t['"'] = t['>'] = 2;
  return t;
}();

// Returns whether it wrote a reference (every escape is one), so that the text pass knows
// without a scan of its own whether there is anything to decode.
bool write_text_as_written(std::string_view text, std::string& out, bool attribute = false) {
  const std::uint8_t mask = attribute ? 3 : 1;
  bool wrote_reference = false;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t special = i;
#if defined(__SSE2__)
    // Sixteen bytes at a time through text with nothing to escape (most of a paragraph).
    const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
    const __m128i gt = _mm_set1_epi8(attribute ? '>' : '&');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i quote = _mm_set1_epi8(attribute ? '"' : '&');
    const auto specials = [&](__m128i b) {
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, amp), _mm_cmpeq_epi8(b, lt)),
                                 _mm_or_si128(_mm_cmpeq_epi8(b, gt), _mm_cmpeq_epi8(b, cr)));
      return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(hit, _mm_cmpeq_epi8(b, quote))));
    };
    bool found = false;
    while (special + 16 <= text.size()) {
      const unsigned hits =
          specials(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + special)));
      if (hits != 0) {
        special += static_cast<std::size_t>(__builtin_ctz(hits));
        found = true;
        break;
      }
      special += 16;
    }
    // The last few bytes through a zero-padded copy (no special byte is zero): every text
    // run ends with fewer than sixteen, and a byte loop over them cost more than the blocks.
    if (!found && special < text.size()) {
      alignas(16) char tail[16] = {};
      const std::size_t left = text.size() - special;
      std::memcpy(tail, text.data() + special, left);
      const unsigned hits = specials(_mm_load_si128(reinterpret_cast<const __m128i*>(tail))) &
                            ((1u << left) - 1);
      special = hits != 0 ? special + static_cast<std::size_t>(__builtin_ctz(hits)) : text.size();
    }
#endif
    while (special < text.size() &&
           !(kTextSpecial[static_cast<unsigned char>(text[special])] & mask))
      ++special;
    out.append(text.substr(i, special - i));
    if (special == text.size()) return wrote_reference;
    i = special;
    wrote_reference = wrote_reference || text[i] != '\r';
    switch (text[i]) {
      case '&': i = write_reference(text, i, out); break;
      case '<': out += "&lt;"; ++i; break;
      case '>': out += "&gt;"; ++i; break;
      case '"': out += "&quot;"; ++i; break;
      default:  // '\r', alone or before '\n'
        out += '\n';
        i += (i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
    }
  }
  return wrote_reference;
}

// Replaces every byte that is not part of a valid UTF-8 sequence with U+FFFD.
void repair_utf8(std::string& s) {
  if (valid_utf8(s)) return;
  std::string fixed;
  fixed.reserve(s.size() + 16);
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len > 0 && i + len <= s.size() && valid_utf8(std::string_view(s).substr(i, len))) {
      fixed.append(s, i, len);
      i += len;
    } else {
      fixed += "\xEF\xBF\xBD";
      ++i;
    }
  }
  s.swap(fixed);
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// The text pass of stream_html_to_text, driven by what the sanitiser writes instead of by
// tokenizing its output again: every text run, start tag and end tag the sanitiser writes
// arrives here in output order, and is treated as stream_html_to_text treats the token it
// would read back. Anything that pass would read differently (markup inside <title>) marks
// the text unusable, and the caller computes it the slow way.
class TextPass {
 public:
  TextPass(std::string& out, bool paragraphs) : writer_(out, paragraphs) {}

  bool ok() const { return ok_; }

  // `text` as the sanitiser wrote it: references as written, markup escaped.
  // `has_reference`: false when the text holds no '&'.
  void text(std::string_view text, bool has_reference) {
    if (hidden_depth_ > 0 || mode_ == Raw::kSkip) return;
    const bool preformatted = mode_ == Raw::kNone && pre_depth_ > 0;
    if (!has_reference) {  // nothing to decode: no copy
      writer_.text(text, preformatted);
      return;
    }
    decoded_.clear();
    decode_references(text, decoded_, nullptr, nullptr);
    writer_.text(decoded_, preformatted);
  }

  // `self_closing`: written as `<name ... />`.
  void start_tag(std::string_view written, bool self_closing) {
    if (mode_ == Raw::kSkip) return;  // inside raw text: not markup for the text pass
    if (mode_ == Raw::kPlain) {
      ok_ = false;
      return;
    }
    std::string_view name = lower_name(written);
    if (hidden_depth_ > 0) {
      if (name == hidden_name_) ++hidden_depth_;
      return;
    }
    std::uint8_t flags = tag_flags(name);
    if (flags & kInvisible) {
      if (flags & kRawText) {
        enter_raw(name, Raw::kSkip);
      } else if (!self_closing) {
        hidden_name_.assign(name);
        hidden_depth_ = 1;
      }
      return;
    }
    if (name == "br") writer_.line_break();
    if (name == "td" || name == "th") writer_.space();
    if (name == "pre") ++pre_depth_;
    if (flags & kBlock) writer_.block_break();
    if (flags & kRawText) enter_raw(name, Raw::kPlain);  // title: its text is plain
  }

  void end_tag(std::string_view written) {
    std::string_view name = lower_name(written);
    if (mode_ != Raw::kNone) {
      if (name != raw_name_) {
        if (mode_ == Raw::kPlain) ok_ = false;
        return;
      }
      mode_ = Raw::kNone;
    }
    if (hidden_depth_ > 0) {
      if (name == hidden_name_) --hidden_depth_;
      return;
    }
    if (name == "pre" && pre_depth_ > 0) --pre_depth_;
    if (name == "br") writer_.line_break();
    if (tag_flags(name) & kBlock) writer_.block_break();
  }

 private:
  // Raw text after a start tag, up to its end tag: skipped, or written as plain text.
  enum class Raw { kNone, kSkip, kPlain };

  void enter_raw(std::string_view name, Raw mode) {
    raw_name_.assign(name);
    mode_ = mode;
  }

  std::string_view lower_name(std::string_view written) {
    // HTML names arrive lower-cased already; only SVG's camelCase ones need a copy.
    if (std::none_of(written.begin(), written.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      return written;
    name_.assign(written);
    for (char& c : name_) c = lower(c);
    return name_;
  }

  TextWriter writer_;
  std::string decoded_;
  std::string name_;
  std::string hidden_name_;  // invisible element whose content is being skipped
  int hidden_depth_ = 0;
  int pre_depth_ = 0;
  Raw mode_ = Raw::kNone;
  std::string raw_name_;
  bool ok_ = true;
};

class StreamSanitizer {
 public:
  // `text`, when given, follows the output (see TextPass).
  StreamSanitizer(std::string_view html, std::string_view base_url, std::string& out,
                  TextPass* text = nullptr)
      : tokens_(html, /*cdata_as_text=*/true), base_url_(base_url), out_(out), text_(text) {}

  void run() {
    for (TokenKind kind = tokens_.next(); kind != TokenKind::kEnd; kind = tokens_.next()) {
      if (kind == TokenKind::kText) {
        if (dropped_depth_ == 0) write_text(tokens_.text());
      } else if (kind == TokenKind::kStartTag) {
        start_tag();
      } else {
        end_tag();
      }
    }
    while (!open_.empty()) close_top();
  }

 private:
  struct OpenElement {
    std::string name;  // as written (SVG's camelCase kept)
    Foreign inside;    // vocabulary of the element's content
  };

  // An attribute ready to be written; its escaped value is [begin, end) of attr_values_.
  struct PendingAttribute {
    std::string_view name;
    std::size_t begin;
    std::size_t end;
  };

  void write_text(std::string_view text) {
    std::size_t at = out_.size();
    bool has_reference = write_text_as_written(text, out_);
    if (text_) text_->text(std::string_view(out_).substr(at), has_reference);
  }

  void write_end_tag(std::string_view name) {
    out_ += "</";
    out_.append(name);
    out_ += '>';
    if (text_) text_->end_tag(name);
  }

  Foreign context() const { return open_.empty() ? Foreign::kNone : open_.back().inside; }

  void drop_element(std::string_view name) {
    if (has_raw_text(name)) {
      tokens_.raw_text(name);
    } else if (!tokens_.self_closing()) {
      dropped_name_.assign(name);
      dropped_depth_ = 1;
    }
  }

  void start_tag() {
    std::string_view name = tokens_.name();
    if (dropped_depth_ > 0) {
      if (name == dropped_name_ && !tokens_.self_closing()) ++dropped_depth_;
      return;
    }
    // `<svg>` and `<math>` open their vocabulary anywhere, as in HTML5 (no xmlns needed).
    Foreign ns = name == "svg" ? Foreign::kSvg : name == "math" ? Foreign::kMathMl : context();
    if (ns != Foreign::kNone) {
      if (ns == Foreign::kSvg && foreign_element_drops_content(name)) {
        drop_element(name);
        return;
      }
      std::string_view written = foreign_element_name(ns, name);
      if (!written.empty()) {
        foreign_start_tag(ns, name, written);
        return;
      }
    }
    const std::uint8_t flags = tag_flags(name);  // looked up once for the checks below
    if (flags & kSanitizerDrops) {
      drop_element(name);
      return;
    }
    if (ns == Foreign::kNone) close_implied(name, flags);
    bool keep = is_acceptable_element(name) && open_.size() < kMaxOpenElements;
    if (keep) write_start_tag(name, Foreign::kNone);
    // textarea and title hold text; a frame's fallback content is meant as markup and is
    // sanitised like the rest.
    if ((flags & kRawText) && name != "iframe") {
      std::string element(name);
      write_text(tokens_.raw_text(element));
      if (keep) write_end_tag(element);
      return;
    }
    if (!keep || (flags & kVoid)) return;
    if (tokens_.self_closing()) {
      write_end_tag(name);
      return;
    }
    open_.push_back({std::string(name), context()});
  }

  // An allow-listed SVG or MathML element; `written` is its name as the vocabulary spells it.
  void foreign_start_tag(Foreign ns, std::string_view name, std::string_view written) {
    if (open_.size() >= kMaxOpenElements) return;  // unwrapped, as deep HTML is
    if (ns == Foreign::kSvg && is_animation_element(name)) {
      for (const RawAttribute& a : tokens_.attributes()) {
        if (tokens_.attribute_name(a) != "attributename") continue;
        decoded_.clear();
        decode_references(a.value, decoded_, nullptr, nullptr);
        if (animates_active_attribute(decoded_)) {
          drop_element(name);
          return;
        }
        break;  // the first of repeated attributes is the one written
      }
    }
    write_start_tag(written, ns);
    if (tokens_.self_closing()) {
      write_end_tag(written);
      return;
    }
    open_.push_back({std::string(written), ns});
  }

  // The end tags HTML implies before this start tag (`<p>a<p>b`, list items, cells);
  // `flags` are the tag's.
  void close_implied(std::string_view name, std::uint8_t flags) {
    if (open_.empty()) return;
    if ((flags & kClosesParagraph) && open_.back().name == "p") {
      close_top();
      return;
    }
    auto close_through = [&](std::initializer_list<std::string_view> targets,
                             std::initializer_list<std::string_view> boundaries) {
      for (std::size_t i = open_.size(); i-- > 0;) {
        if (one_of(open_[i].name, boundaries)) return;
        if (one_of(open_[i].name, targets)) {
          while (open_.size() > i) close_top();
          return;
        }
      }
    };
    if (name == "li") close_through({"li"}, {"ul", "ol", "menu", "dir"});
    else if (name == "dt" || name == "dd") close_through({"dt", "dd"}, {"dl"});
    else if (name == "option") close_through({"option"}, {"select", "datalist", "optgroup"});
    else if (name == "tr") close_through({"tr"}, {"table", "tbody", "thead", "tfoot"});
    else if (name == "td" || name == "th") close_through({"td", "th"}, {"tr", "table"});
  }

  // Writes the start tag with its allow-listed attributes in name order (feedparser's
  // order). `ns` is the vocabulary of the element itself (kNone: HTML).
  void write_start_tag(std::string_view name, Foreign ns) {
    out_ += '<';
    out_.append(name);
    pending_.clear();
    attr_values_.clear();
    bool has_xlink = false;
    for (const RawAttribute& a : tokens_.attributes()) {
      std::string_view source_name = tokens_.attribute_name(a);
      std::string_view attr = foreign_attribute_name(ns, source_name);
      if (ns == Foreign::kNone && is_acceptable_attribute(source_name)) attr = source_name;
      if (attr.empty()) continue;
      // HTML keeps the first of repeated attributes.
      bool repeated = std::any_of(pending_.begin(), pending_.end(),
                                  [&](const PendingAttribute& p) { return p.name == attr; });
      if (repeated) continue;
      // Checks run on the value as it will be written (references normalised), so what is
      // checked is what a reader of the output decodes.
      as_written_.clear();
      write_text_as_written(a.value, as_written_, /*attribute=*/true);
      // Most values hold no reference: they read back as written.
      std::string_view decoded = as_written_;
      if (as_written_.find('&') != std::string::npos) {
        decoded_.clear();
        decode_references(as_written_, decoded_, nullptr, nullptr);
        decoded = decoded_;
      }
      bool ok = ns == Foreign::kNone
                    ? clean_attribute(name, attr, decoded, base_url_, value_)
                    : clean_foreign_attribute(ns, name, source_name, decoded, base_url_, value_);
      if (!ok) continue;
      std::size_t begin = attr_values_.size();
      // Values cleaning left alone keep their references as written (feedparser).
      if (value_ == decoded && attr != "style") {
        attr_values_ += as_written_;
      } else {
        append_escaped(value_, attr_values_);
      }
      pending_.push_back({attr, begin, attr_values_.size()});
      has_xlink = has_xlink || attr.starts_with("xlink:");
    }
    // The namespace declarations an XML reader of the output needs (HTML5 implies them).
    auto declare = [&](std::string_view attr, std::string_view uri) {
      std::size_t begin = attr_values_.size();
      attr_values_.append(uri);
      pending_.push_back({attr, begin, attr_values_.size()});
    };
    if (name == "svg") declare("xmlns", kSvgNamespace);
    if (name == "math") declare("xmlns", kMathMlNamespace);
    if (has_xlink) declare("xmlns:xlink", kXlinkNamespace);
    if (pending_.size() > 1) {
      std::sort(pending_.begin(), pending_.end(),
                [](const PendingAttribute& x, const PendingAttribute& y) {
                  return std::lexicographical_compare(
                      x.name.begin(), x.name.end(), y.name.begin(), y.name.end(),
                      [](char c, char d) { return lower(c) < lower(d); });
                });
    }
    for (const PendingAttribute& p : pending_) {
      out_ += ' ';
      out_.append(p.name);
      out_ += "=\"";
      out_.append(attr_values_, p.begin, p.end - p.begin);
      out_ += '"';
    }
    bool void_tag = ns == Foreign::kNone && is_void(name);
    out_ += void_tag ? " />" : ">";
    if (text_) text_->start_tag(name, void_tag);
  }

  void end_tag() {
    std::string_view name = tokens_.name();
    if (dropped_depth_ > 0) {
      if (name == dropped_name_) --dropped_depth_;
      return;
    }
    auto it = std::find_if(open_.rbegin(), open_.rend(), [&](const OpenElement& e) {
      return equals_ignoring_case(e.name, name);
    });
    if (it == open_.rend()) return;  // nothing to close: stray end tags are dropped
    std::size_t keep = open_.size() - static_cast<std::size_t>(it - open_.rbegin()) - 1;
    while (open_.size() > keep) close_top();
  }

  void close_top() {
    write_end_tag(open_.back().name);
    open_.pop_back();
  }

  Tokenizer tokens_;
  std::string_view base_url_;
  std::string& out_;
  TextPass* text_;
  std::vector<OpenElement> open_;  // kept elements not closed yet
  std::string dropped_name_;       // element whose content is being dropped
  int dropped_depth_ = 0;
  std::vector<PendingAttribute> pending_;  // attributes of the current tag
  std::string attr_values_;
  std::string as_written_;
  std::string decoded_;
  std::string value_;
};

}  // namespace

std::string stream_sanitize(std::string_view html, std::string_view base_url) {
  std::string out;
  out.reserve(html.size() + html.size() / 8);
  StreamSanitizer(html, base_url, out).run();
  repair_utf8(out);
  return out;
}

bool stream_sanitize_with_text(std::string_view html, std::string_view base_url, bool paragraphs,
                               std::string& out, std::string& text) {
  out.clear();
  out.reserve(html.size() + html.size() / 8);
  text.clear();
  text.reserve(html.size() / 2);
  TextPass pass(text, paragraphs);
  StreamSanitizer(html, base_url, out, &pass).run();
  // Output that needed repair would read back differently from the pieces the text was
  // made of. Pieces of valid output are valid, and so is what decoding references and
  // dropping soft hyphens makes of them: the text needs no repair of its own.
  bool valid = valid_utf8(out);
  if (!valid) repair_utf8(out);
  if (!valid || !pass.ok()) {
    text.clear();
    return false;
  }
  return true;
}

std::string stream_html_to_text(std::string_view html, bool paragraphs) {
  std::string out;
  out.reserve(html.size() / 2);
  TextWriter writer(out, paragraphs);
  Tokenizer tokens(html, /*cdata_as_text=*/false);
  std::string decoded;
  std::string hidden_name;  // invisible element whose content is being skipped
  int hidden_depth = 0;
  int pre_depth = 0;
  for (TokenKind kind = tokens.next(); kind != TokenKind::kEnd; kind = tokens.next()) {
    if (kind == TokenKind::kText) {
      if (hidden_depth > 0) continue;
      decoded.clear();
      decode_references(tokens.text(), decoded, nullptr, nullptr);
      writer.text(decoded, pre_depth > 0);
      continue;
    }
    std::string_view name = tokens.name();
    if (hidden_depth > 0) {
      if (name == hidden_name) hidden_depth += kind == TokenKind::kStartTag ? 1 : -1;
      continue;
    }
    if (kind == TokenKind::kStartTag) {
      if (is_invisible_name(name)) {
        if (has_raw_text(name)) {
          tokens.raw_text(std::string(name));
        } else if (!tokens.self_closing()) {
          hidden_name.assign(name);
          hidden_depth = 1;
        }
        continue;
      }
      if (name == "br") writer.line_break();
      if (name == "td" || name == "th") writer.space();
      if (name == "pre") ++pre_depth;
      if (is_block_name(name)) writer.block_break();
      if (has_raw_text(name)) {  // title: its text is plain
        std::string element(name);
        decoded.clear();
        decode_references(tokens.raw_text(element), decoded, nullptr, nullptr);
        writer.text(decoded, false);
      }
    } else {
      if (name == "pre" && pre_depth > 0) --pre_depth;
      if (name == "br") writer.line_break();
      if (is_block_name(name)) writer.block_break();
    }
  }
  repair_utf8(out);
  return out;
}

}  // namespace feedpipe::parser::html
