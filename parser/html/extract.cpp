#include "parser/html/extract.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/time.h"
#include "common/url.h"
#include "parser/html/dom.h"
#include "parser/html/encoding.h"
#include "parser/html/render.h"
#include "parser/html/sanitize.h"
#include "parser/text.h"

namespace feedpipe::parser::html {
namespace {

using Index = std::uint32_t;

// The extractor reads a block's text only to test short lines (bylines, dates, "read more").
// A subtree larger than this is structure, not a line: reading it at every level of a
// deeply nested page (tables in tables) would be quadratic.
constexpr std::uint32_t kMaxShortTextNodes = 256;

// ---------------------------------------------------------------------------------------
// Small string helpers

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = ascii_lower(c);
  return r;
}

// A fixed list of substrings, grouped by first byte: one pass over a class name finds any
// of them, where a search per needle would pass over it once for each.
class Needles {
 public:
  Needles(std::initializer_list<std::string_view> needles) : needles_(needles) {
    std::sort(needles_.begin(), needles_.end());
    for (std::size_t k = needles_.size(); k-- > 0;) {
      auto c = static_cast<unsigned char>(needles_[k][0]);
      first_[c] = static_cast<std::uint8_t>(k);
      ++count_[c];
    }
  }

  bool found_in(std::string_view haystack) const {
    for (std::size_t i = 0; i < haystack.size(); ++i) {
      auto c = static_cast<unsigned char>(haystack[i]);
      for (std::size_t k = first_[c], end = k + count_[c]; k < end; ++k) {
        std::string_view n = needles_[k];
        if (n.size() > haystack.size() - i) continue;
        std::size_t j = 1;  // the first byte matched: it chose the group
        while (j < n.size() && haystack[i + j] == n[j]) ++j;
        if (j == n.size()) return true;
      }
    }
    return false;
  }

 private:
  std::vector<std::string_view> needles_;
  std::array<std::uint8_t, 256> first_{};
  std::array<std::uint8_t, 256> count_{};
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// Text as a reader sees it: entities decoded, whitespace collapsed.
std::string clean_text(std::string_view s) {
  if (s.find_first_of("&<") == std::string_view::npos) {
    std::string out;
    bool space = false;
    for (char c : s) {
      if (is_space(c)) {
        space = !out.empty();
        continue;
      }
      if (space) out += ' ';
      space = false;
      out += c;
    }
    return out;
  }
  return html_to_text(s, false);
}

// Lengths as Readability measures them: code points, a whitespace run counting as one.
struct TextStats {
  std::uint32_t length = 0;
  std::uint32_t commas = 0;
};

// Byte classes: 0 a character of its own, 1 UTF-8 continuation, 2 space, 3 comma, 4 the
// lead byte of a character that may be a non-Latin comma.
constexpr auto kMeasureClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0x80; c < 0xC0; ++c) t[c] = 1;
  for (unsigned char c : {' ', '\t', '\n', '\r', '\f'}) t[c] = 2;
  t[','] = 3;
  for (int c = 0xD8; c < 0x100; ++c) t[c] = 4;
  return t;
}();

void measure_bytes(std::string_view s, TextStats& st, bool& in_space) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    switch (kMeasureClass[static_cast<unsigned char>(s[i])]) {
      case 1:
        continue;
      case 2:
        if (!in_space) ++st.length;
        in_space = true;
        continue;
      case 3:
        ++st.commas;
        break;
      case 4: {
        // Arabic comma U+060C, full-width comma U+FF0C, ideographic comma U+3001.
        std::string_view rest = s.substr(i);
        if (rest.substr(0, 2) == "\xD8\x8C" || rest.substr(0, 3) == "\xEF\xBC\x8C" ||
            rest.substr(0, 3) == "\xE3\x80\x81") {
          ++st.commas;
        }
        break;
      }
      default:
        break;
    }
    in_space = false;
    ++st.length;
  }
}

// Set bits of a 16-bit mask (std::popcount is a library call on baseline x86-64).
std::uint32_t bits16(unsigned x) {
  x = x - ((x >> 1) & 0x5555U);
  x = (x & 0x3333U) + ((x >> 2) & 0x3333U);
  x = (x + (x >> 4)) & 0x0F0FU;
  return (x + (x >> 8)) & 0x1FU;
}

TextStats measure(std::string_view s) {
  TextStats st;
  bool in_space = false;
  std::size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time: characters are the bytes that are not continuation bytes,
  // less the spaces that follow a space. A block with a lead byte of a possible non-Latin
  // comma (0xD8 and above) goes through the byte loop. Text nodes are valid UTF-8, so a
  // continuation byte never follows a space.
  const __m128i continuation_below = _mm_set1_epi8(-64);  // 0x80-0xBF as signed bytes
  const __m128i lead_above = _mm_set1_epi8(-41);          // 0xD8-0xFF are -40..-1
  const __m128i zero = _mm_setzero_si128();
  for (; i + 16 <= s.size(); i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    auto lead = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, lead_above), _mm_cmplt_epi8(v, zero))));
    if (lead != 0) {
      measure_bytes(s.substr(i, 16), st, in_space);
      continue;
    }
    __m128i space = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\f'))));
    auto spaces = static_cast<unsigned>(_mm_movemask_epi8(space));
    auto continuations =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, continuation_below)));
    auto commas = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(','))));
    unsigned after_space = ((spaces << 1) | (in_space ? 1U : 0U)) & 0xFFFFU;
    st.length += 16 - bits16(continuations) - bits16(spaces & after_space);
    st.commas += bits16(commas);
    in_space = (spaces & (1U << 15)) != 0;
  }
#endif
  measure_bytes(s.substr(i), st, in_space);
  return st;
}

void trim_trailing_furniture(std::string& text);
void trim_leading_furniture(std::string& text);

std::vector<std::string> word_tokens(std::string_view s) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80 || c == '_') {
      cur += ascii_lower(c);
    } else if (!cur.empty()) {
      tokens.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

// Whether `s` has more than `limit` of word_tokens' words, without collecting them.
bool more_words_than(std::string_view s, std::size_t limit) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool word_byte = std::isalnum(u) || u >= 0x80 || c == '_';
    if (word_byte && !in_word && ++words > limit) return true;
    in_word = word_byte;
  }
  return false;
}

// Readability's textSimilarity: share of b's text made of tokens also in a.
double text_similarity(std::string_view a, std::string_view b) {
  auto ta = word_tokens(a);
  auto tb = word_tokens(b);
  if (ta.empty() || tb.empty()) return 0;
  std::size_t total = 0;
  std::size_t unique = 0;
  for (const auto& t : tb) {
    total += t.size() + 1;
    if (std::find(ta.begin(), ta.end(), t) == ta.end()) unique += t.size() + 1;
  }
  return 1.0 - static_cast<double>(unique) / static_cast<double>(total);
}

// ---------------------------------------------------------------------------------------
// Dates: common/time.h first, then a small ISO 8601 reader for the forms pages use.

int digits(std::string_view s, std::size_t& i, int count) {
  int v = 0;
  for (int k = 0; k < count; ++k) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i++] - '0');
  }
  return v;
}

std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  std::string t = trim(s);
  s = t;
  std::size_t i = 0;
  int year = digits(s, i, 4);
  if (year < 0 || i >= s.size() || s[i] != '-') return std::nullopt;
  ++i;
  int month = digits(s, i, 2);
  if (month < 1 || month > 12 || i >= s.size() || s[i] != '-') return std::nullopt;
  ++i;
  int day = digits(s, i, 2);
  if (day < 1 || day > 31) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    ++i;
    hour = digits(s, i, 2);
    if (hour < 0 || hour > 24 || i >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    minute = digits(s, i, 2);
    if (minute < 0 || minute > 59) return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      second = digits(s, i, 2);
      if (second < 0 || second > 60) return std::nullopt;
      if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      }
    }
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i] == '-' ? -1 : 1;
      ++i;
      int oh = digits(s, i, 2);
      if (oh < 0) return std::nullopt;
      if (i < s.size() && s[i] == ':') ++i;
      int om = 0;
      if (i < s.size()) om = digits(s, i, 2);
      if (om < 0) return std::nullopt;
      offset = sign * (oh * 3600 + om * 60);
    }
  }
  return days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
         hour * 3600 + minute * 60 + second - offset;
}

UnixSeconds parse_page_date(std::string_view s) {
  if (trim(s).empty()) return std::nullopt;
  if (auto d = parse_date(s)) return d;
  return parse_iso8601(s);
}

// ---------------------------------------------------------------------------------------
// Element classification

bool is_heading(Tag t) {
  return t == Tag::kH1 || t == Tag::kH2 || t == Tag::kH3 || t == Tag::kH4 ||
         t == Tag::kH5 || t == Tag::kH6;
}

// Readability's DIV_TO_P_ELEMS: a div holding one of these is a container, not a paragraph.
bool is_div_block_child(Tag t) {
  switch (t) {
    case Tag::kBlockquote: case Tag::kDl: case Tag::kDiv: case Tag::kImg:
    case Tag::kOl: case Tag::kP: case Tag::kPre: case Tag::kTable:
    case Tag::kUl: case Tag::kSection: case Tag::kArticle: case Tag::kFigure:
    case Tag::kH1: case Tag::kH2: case Tag::kH3: case Tag::kH4:
    case Tag::kH5: case Tag::kH6: case Tag::kHeader: case Tag::kFooter:
    case Tag::kAside: case Tag::kNav: case Tag::kForm: case Tag::kMain:
      return true;
    default:
      return false;
  }
}

// Phrasing content: runs of these inside a container div form an implicit paragraph.
bool is_phrasing(const Node& n) {
  if (n.kind == NodeKind::kText) return true;
  switch (n.tag) {
    case Tag::kA: case Tag::kAbbr: case Tag::kB: case Tag::kBdo:
    case Tag::kBr: case Tag::kCite: case Tag::kCode: case Tag::kDfn:
    case Tag::kEm: case Tag::kI: case Tag::kKbd: case Tag::kLabel:
    case Tag::kMark: case Tag::kQ: case Tag::kS: case Tag::kSamp:
    case Tag::kSmall: case Tag::kSpan: case Tag::kStrong: case Tag::kSub:
    case Tag::kSup: case Tag::kTime: case Tag::kU: case Tag::kVar:
    case Tag::kWbr: case Tag::kFont: case Tag::kDel: case Tag::kIns:
    case Tag::kTt: case Tag::kBig: case Tag::kStrike:
      return true;
    default:
      return false;
  }
}

// Elements that never hold article text.
bool never_content(Tag t) {
  switch (t) {
    case Tag::kScript: case Tag::kStyle:
    case Tag::kTemplate: case Tag::kSvg: case Tag::kIframe: case Tag::kLink:
    case Tag::kMeta: case Tag::kHead: case Tag::kObject: case Tag::kEmbed:
    case Tag::kSelect: case Tag::kTextarea: case Tag::kButton:
    case Tag::kInput: case Tag::kCanvas: case Tag::kAudio: case Tag::kVideo:
    case Tag::kApplet: case Tag::kNav: case Tag::kAside: case Tag::kFooter:
    case Tag::kNoembed: case Tag::kNoframes: case Tag::kFrameset:
    case Tag::kMenu:
      return true;
    default:
      return false;
  }
}

// Readability's class/id evidence.
bool negative_class(std::string_view s) {
  static const Needles kNegative{"-ad-", "hidden", "banner", "combx", "comment", "com-", "contact",
                                 "footer", "gdpr", "masthead", "media", "meta", "outbrain", "promo",
                                 "related", "scroll", "share", "shoutbox", "sidebar", "skyscraper",
                                 "sponsor", "shopping", "tags", "widget"};
  if (kNegative.found_in(s)) {
    return true;
  }
  return s == "hid" || s.substr(0, 4) == "hid " ||
         (s.size() >= 4 && s.substr(s.size() - 4) == " hid") ||
         s.find(" hid ") != std::string_view::npos;
}

bool positive_class(std::string_view s) {
  static const Needles kPositive{"article", "body", "content", "entry", "hentry", "h-entry", "main",
                                 "page", "pagination", "post", "text", "blog", "story"};
  return kPositive.found_in(s);
}

bool unlikely_candidate(std::string_view s) {
  static const Needles kUnlikely{"-ad-", "ai2html", "banner", "breadcrumbs", "combx", "comment",
                                 "community", "cover-wrap", "disqus", "extra", "footer", "gdpr",
                                 "header", "legends", "menu", "related", "remark", "replies", "rss",
                                 "shoutbox", "sidebar", "skyscraper", "social", "sponsor",
                                 "supplemental", "ad-break", "agegate", "pagination", "pager",
                                 "popup", "yom-remote"};
  return kUnlikely.found_in(s);
}

bool maybe_candidate(std::string_view s) {
  static const Needles kMaybe{"and", "article", "body", "column", "content", "main", "mathjax",
                              "shadow"};
  return kMaybe.found_in(s);
}

bool byline_class(std::string_view s) {
  static const Needles kByline{"byline", "author", "dateline", "writtenby", "p-author"};
  return kByline.found_in(s);
}

// ---------------------------------------------------------------------------------------
// Metadata

struct Metadata {
  std::string title;
  std::string byline;
  std::string published;
  std::string modified;
  std::string language;
  std::string site_name;
  std::string canonical_url;
  std::string image;
  std::string body;         // JSON-LD articleBody: the text pages rendered by script carry
  std::string description;  // JSON-LD description, else meta/OpenGraph description
};

std::string json_string(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  return {};
}

std::string json_name(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    if (auto it = v.find("name"); it != v.end()) return json_name(*it);
    if (auto it = v.find("url"); it != v.end()) return json_string(*it);
    if (auto it = v.find("@id"); it != v.end()) return json_string(*it);
  }
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) {
      std::string n = json_name(e);
      if (n.empty()) continue;
      if (!out.empty()) out += ", ";
      out += n;
    }
    return out;
  }
  return {};
}

std::string json_url(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    if (auto it = v.find("url"); it != v.end()) return json_url(*it);
    if (auto it = v.find("@id"); it != v.end()) return json_string(*it);
  }
  if (v.is_array() && !v.empty()) return json_url(v.front());
  return {};
}

bool is_article_type(const nlohmann::json& type) {
  static constexpr std::array<std::string_view, 14> kTypes = {
      "Article",          "NewsArticle",       "BlogPosting",       "ReportageNewsArticle",
      "AnalysisNewsArticle", "OpinionNewsArticle", "LiveBlogPosting", "TechArticle",
      "ScholarlyArticle", "Report",            "SocialMediaPosting", "BackgroundNewsArticle",
      "ReviewNewsArticle", "Review"};
  if (type.is_string()) {
    auto s = type.get<std::string>();
    return std::find(kTypes.begin(), kTypes.end(), s) != kTypes.end();
  }
  if (type.is_array()) {
    return std::any_of(type.begin(), type.end(), [](const auto& t) { return is_article_type(t); });
  }
  return false;
}

// Finds the first Article-typed object in a JSON-LD value (arrays and @graph included).
const nlohmann::json* find_article(const nlohmann::json& v, int depth = 0) {
  if (depth > 4) return nullptr;
  if (v.is_array()) {
    for (const auto& e : v) {
      if (const auto* a = find_article(e, depth + 1)) return a;
    }
    return nullptr;
  }
  if (!v.is_object()) return nullptr;
  if (auto it = v.find("@type"); it != v.end() && is_article_type(*it)) return &v;
  if (auto it = v.find("@graph"); it != v.end()) return find_article(*it, depth + 1);
  return nullptr;
}

void read_json_ld(std::string_view text, Metadata& md) {
  auto json = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (json.is_discarded()) return;
  const nlohmann::json* article = find_article(json);
  if (article == nullptr) return;
  const auto& a = *article;
  auto field = [&](const char* key) -> const nlohmann::json* {
    auto it = a.find(key);
    return it == a.end() ? nullptr : &*it;
  };
  if (md.title.empty()) {
    if (const auto* v = field("headline")) md.title = clean_text(json_string(*v));
    if (md.title.empty()) {
      if (const auto* v = field("name")) md.title = clean_text(json_string(*v));
    }
  }
  if (const auto* v = field("datePublished")) md.published = json_string(*v);
  if (const auto* v = field("dateModified")) md.modified = json_string(*v);
  if (const auto* v = field("author")) md.byline = clean_text(json_name(*v));
  if (const auto* v = field("image")) md.image = json_url(*v);
  if (const auto* v = field("inLanguage")) md.language = json_string(*v);
  if (const auto* v = field("publisher")) md.site_name = clean_text(json_name(*v));
  if (const auto* v = field("articleBody"); v != nullptr && md.body.empty()) {
    md.body = json_string(*v);
  }
  if (const auto* v = field("description"); v != nullptr && md.description.empty()) {
    md.description = json_string(*v);
  }
}

// Readability's title heuristics for a <title>: drop the site name after a separator.
std::string title_from_document_title(std::string_view raw) {
  std::string title = clean_text(raw);
  static constexpr std::array<std::string_view, 7> kSeparators = {" | ", " - ", " – ", " — ",
                                                                  " \\ ", " / ", " » "};
  std::size_t cut = std::string::npos;
  for (auto sep : kSeparators) {
    std::size_t p = title.rfind(sep);
    if (p != std::string::npos && (cut == std::string::npos || p > cut)) cut = p;
  }
  if (cut == std::string::npos) return title;
  std::string head = title.substr(0, cut);
  if (word_tokens(head).size() >= 3) return head;
  return title;
}

// ---------------------------------------------------------------------------------------
// The extractor

enum Flags : unsigned {
  kStripUnlikely = 1,
  kWeightClasses = 2,
  kCleanConditionally = 4,
};

struct Attempt {
  std::vector<Index> roots;
  std::vector<char> dead;
  std::string text;
  std::size_t length = 0;
};

std::string without_modifiers(std::string_view cls);
bool boilerplate_class(std::string_view match);

class Extractor {
 public:
  Extractor(const Document& doc, std::string_view url) : doc_(doc), url_(url) {
    const Index n = doc_.size();
    match_.resize(n);
    class_.resize(n);
    raw_len_.assign(n, 0);
    text_stats_.assign(n, TextStats{});
    weight_.assign(n, kUnknown);
    unlikely_.assign(n, kUnknown);
    boilerplate_.assign(n, kUnknown);
    in_table_or_code_.assign(n, 0);
    in_figure_.assign(n, 0);
    // Every "class id" in one buffer, sized first so that the views into it stay valid.
    std::size_t total = 0;
    for (Index i = 0; i < n; ++i) {
      if (doc_.node(i).kind != NodeKind::kElement) continue;
      std::size_t size = doc_.attr(i, "class").size() + doc_.attr(i, "id").size();
      if (size > 0) total += size + 1;
    }
    lowered_.reserve(total);
    for (Index i = 0; i < n; ++i) {
      const Node& node = doc_.node(i);
      if (i > 0) {
        const Node& parent = doc_.node(node.parent);
        in_table_or_code_[i] = in_table_or_code_[node.parent] ||
                               parent.tag == Tag::kTable || parent.tag == Tag::kCode;
        in_figure_[i] = in_figure_[node.parent] || parent.tag == Tag::kFigure;
      }
      if (node.kind != NodeKind::kElement) continue;
      std::string_view cls = doc_.attr(i, "class");
      std::string_view id = doc_.attr(i, "id");
      if (cls.empty() && id.empty()) continue;
      std::size_t start = lowered_.size();
      lowered_.resize(start + cls.size() + 1 + id.size());
      char* out = lowered_.data() + start;
      for (char c : cls) *out++ = ascii_lower(c);
      *out++ = ' ';
      for (char c : id) *out++ = ascii_lower(c);
      match_[i] = std::string_view(lowered_).substr(start);
      class_[i] = match_[i].substr(0, cls.size());
    }
    for (Index i = n; i-- > 1;) {
      const Node& node = doc_.node(i);
      if (node.kind == NodeKind::kText) {
        text_stats_[i] = measure(node.text);
        raw_len_[i] = text_stats_[i].length;
      }
      raw_len_[node.parent] += raw_len_[i];
    }
  }

  void set_title(std::string title) { title_ = std::move(title); }
  const std::string& byline() const { return byline_; }

  Attempt run(unsigned flags);

 private:
  int class_weight(Index i, unsigned flags) const {
    if (!(flags & kWeightClasses)) return 0;
    std::int8_t& w = weight_[i];
    if (w == kUnknown) {
      std::string_view cls = class_[i];
      std::string_view id = match_[i].empty() ? std::string_view()
                                              : match_[i].substr(cls.size() + 1);
      w = 0;
      if (!cls.empty()) {
        if (negative_class(cls)) w -= 25;
        if (positive_class(cls)) w += 25;
      }
      if (!id.empty()) {
        if (negative_class(id)) w -= 25;
        if (positive_class(id)) w += 25;
      }
    }
    return w;
  }

  // What an element's class and id say, worked out once per element: every attempt asks.
  static constexpr std::int8_t kUnknown = -128;
  bool unlikely(Index i) const {
    std::int8_t& u = unlikely_[i];
    if (u == kUnknown) {
      std::string_view ms = match_[i];
      if (ms.empty()) {
        u = 0;
      } else {
        // Pages repeat their class names: each distinct one is matched once.
        auto [it, added] = unlikely_by_match_.try_emplace(ms, false);
        if (added) it->second = unlikely_candidate(ms) && !maybe_candidate(ms);
        u = it->second;
      }
    }
    return u != 0;
  }
  bool boilerplate_class_of(Index i) const {
    std::int8_t& b = boilerplate_[i];
    if (b == kUnknown) b = boilerplate_class(without_modifiers(class_[i]));
    return b != 0;
  }

  bool visible(Index i) const {
    if (doc_.has_attr(i, "hidden")) return false;
    if (doc_.attr(i, "aria-hidden") == "true" &&
        match_[i].find("fallback-image") == std::string_view::npos) {
      return false;
    }
    std::string_view style = doc_.attr(i, "style");
    if (!style.empty()) {
      std::string s;
      for (char c : style) {
        if (!is_space(c)) s += ascii_lower(c);
      }
      if (s.find("display:none") != std::string::npos ||
          s.find("visibility:hidden") != std::string::npos) {
        return false;
      }
    }
    return true;
  }

  // The text of a short block; empty for a subtree over kMaxShortTextNodes nodes.
  std::string short_text(Index i) const {
    std::string out;
    if (doc_.node(i).end - i <= kMaxShortTextNodes) write_text(doc_, i, false, {}, out);
    return out;
  }

  template <typename Fn>
  void element_children_of(Index p, const std::vector<char>& dead, Fn&& fn) const {
    const Node& pn = doc_.node(p);
    for (Index c = p + 1; c < pn.end; c = doc_.node(c).end) {
      if (!dead[c] && doc_.node(c).kind == NodeKind::kElement) fn(c);
    }
  }

  bool is_boilerplate(Index i, Index root) const;
  std::vector<Index> find_lead(const std::vector<Index>& roots, const std::vector<char>& dead,
                               Index body) const;
  Index find_named_body(const std::vector<char>& dead, const std::vector<std::uint32_t>& text_len,
                        const std::vector<float>& link_len) const;
  bool ends_article(Index i) const;
  void prune(unsigned flags, std::vector<char>& dead);
  void clean(unsigned flags, const std::vector<Index>& roots, std::vector<char>& dead);

  const Document& doc_;
  std::string_view url_;
  std::string title_;
  std::string byline_;
  std::string lowered_;                  // holds the views of match_ and class_
  std::vector<std::string_view> match_;  // lower-case "class id", empty when neither
  std::vector<std::string_view> class_;  // lower-case class attribute
  std::vector<std::uint32_t> raw_len_;
  std::vector<TextStats> text_stats_;  // of each text node, measured once for every pass
  // class_weight(), unlikely(), boilerplate_class_of(): kUnknown until asked
  mutable std::vector<std::int8_t> weight_, unlikely_, boilerplate_;
  mutable std::unordered_map<std::string_view, bool> unlikely_by_match_;  // keys in match_
  std::vector<char> in_table_or_code_;
  std::vector<char> in_figure_;
  std::vector<char> as_p_;  // per attempt: elements Readability treats as paragraphs
  std::vector<std::uint32_t> text_len_;  // per attempt: live text length
  std::vector<float> link_len_;          // per attempt: live link text length
};

void mark_dead(std::vector<char>& dead, const Node& node, Index i) {
  std::fill(dead.begin() + i, dead.begin() + node.end, 1);
}

void Extractor::prune(unsigned flags, std::vector<char>& dead) {
  const Index n = doc_.size();
  bool title_header_removed = false;
  bool byline_found = !byline_.empty();
  for (Index i = 1; i < n;) {
    const Node& node = doc_.node(i);
    if (node.kind != NodeKind::kElement) {
      ++i;
      continue;
    }
    bool remove = never_content(node.tag) || !visible(i);
    // <noscript> is parsed as markup (scripting off): usually a tracking pixel or a "turn on
    // JavaScript" notice, but on some sites an unclosed one wraps the whole page.
    if (node.tag == Tag::kNoscript && raw_len_[i] < 3000) remove = true;
    std::string_view ms = match_[i];
    std::string_view role = doc_.attr(i, "role");
    if (!remove && role == "dialog" && doc_.attr(i, "aria-modal") == "true") remove = true;
    if (!remove && !byline_found) {
      std::string_view itemprop = doc_.attr(i, "itemprop");
      if (doc_.attr(i, "rel") == "author" || itemprop.find("author") != std::string_view::npos ||
          byline_class(ms)) {
        std::string text = short_text(i);
        if (!text.empty() && text.size() < 100) {
          byline_ = text;
          byline_found = true;
          remove = true;
        }
      }
    }
    if (!remove && !title_header_removed && !title_.empty() &&
        (node.tag == Tag::kH1 || node.tag == Tag::kH2)) {
      if (text_similarity(title_, short_text(i)) > 0.75) {
        title_header_removed = true;
        remove = true;
      }
    }
    if (!remove && (flags & kStripUnlikely)) {
      if (!in_table_or_code_[i] && node.tag != Tag::kBody && node.tag != Tag::kA &&
          unlikely(i)) {
        remove = true;
      }
      if (role == "menu" || role == "menubar" || role == "complementary" ||
          role == "navigation" || role == "alert" || role == "alertdialog" || role == "dialog") {
        remove = true;
      }
    }
    if (remove) {
      mark_dead(dead, node, i);
      i = node.end;
      continue;
    }
    ++i;
  }
}

Attempt Extractor::run(unsigned flags) {
  const Index n = doc_.size();
  Attempt attempt;
  attempt.dead.assign(n, 0);
  std::vector<char>& dead = attempt.dead;
  prune(flags, dead);

  // Bottom-up sums over the live tree.
  std::vector<std::uint32_t>& text_len = text_len_;
  text_len.assign(n, 0);
  std::vector<float>& link_len = link_len_;
  link_len.assign(n, 0);
  std::vector<std::uint32_t> commas(n, 0);
  std::vector<char> has_block_child(n, 0);
  std::vector<std::uint16_t> element_children(n, 0);
  std::vector<std::uint16_t> p_children(n, 0);
  // Runs of phrasing content directly inside a container: Readability wraps each in a <p>.
  struct Run {
    Index parent;
    std::uint32_t length;
    std::uint32_t commas;
  };
  std::vector<Run> runs;
  std::vector<std::uint32_t> run_len(n, 0);
  std::vector<std::uint32_t> run_commas(n, 0);
  auto flush_run = [&](Index parent) {
    if (run_len[parent] > 0) runs.push_back({parent, run_len[parent], run_commas[parent]});
    run_len[parent] = 0;
    run_commas[parent] = 0;
  };
  for (Index i = n; i-- > 0;) {
    if (dead[i]) continue;
    const Node& node = doc_.node(i);
    if (node.kind == NodeKind::kText) {
      const TextStats& st = text_stats_[i];
      text_len[i] = st.length;
      commas[i] = st.commas;
    } else {
      flush_run(i);  // the run at the start of this element
      if (node.tag == Tag::kA) {
        std::string_view href = doc_.attr(i, "href");
        float coefficient = (!href.empty() && href[0] == '#') ? 0.3f : 1.0f;
        link_len[i] = static_cast<float>(text_len[i]) * coefficient;
      }
    }
    if (i == 0) break;
    Index p = node.parent;
    text_len[p] += text_len[i];
    link_len[p] += link_len[i];
    commas[p] += commas[i];
    if (node.kind == NodeKind::kElement) {
      ++element_children[p];
      if (node.tag == Tag::kP) ++p_children[p];
      if (is_div_block_child(node.tag)) has_block_child[p] = 1;
    }
    if (is_phrasing(node)) {
      run_len[p] += text_len[i];
      run_commas[p] += commas[i];
    } else {
      flush_run(p);
    }
  }

  auto link_density = [&](Index i) -> float {
    return text_len[i] == 0 ? 0.0f : link_len[i] / static_cast<float>(text_len[i]);
  };
  // A div made only of phrasing content is a paragraph; a div around a single <p> is that <p>.
  auto is_collapsed = [&](Index i) {
    const Node& node = doc_.node(i);
    return node.tag == Tag::kDiv && element_children[i] == 1 && p_children[i] == 1 &&
           link_density(i) < 0.25f;
  };
  std::vector<char>& as_p = as_p_;
  as_p.assign(n, 0);
  for (Index i = 0; i < n; ++i) {
    const Node& node = doc_.node(i);
    if (dead[i] || node.kind != NodeKind::kElement) continue;
    as_p[i] = node.tag == Tag::kP || (node.tag == Tag::kDiv && !has_block_child[i]);
  }

  std::vector<float> score(n, 0);
  std::vector<char> scored(n, 0);
  std::vector<Index> candidates;
  auto initialize = [&](Index i) {
    if (scored[i]) return;
    scored[i] = 1;
    float s = 0;
    if (!as_p[i]) {
      switch (doc_.node(i).tag) {
        case Tag::kDiv: s = 5; break;
        case Tag::kPre: case Tag::kTd: case Tag::kBlockquote: s = 3; break;
        case Tag::kAddress: case Tag::kOl: case Tag::kUl: case Tag::kDl:
        case Tag::kDd: case Tag::kDt: case Tag::kLi: case Tag::kForm:
          s = -3;
          break;
        case Tag::kH1: case Tag::kH2: case Tag::kH3: case Tag::kH4:
        case Tag::kH5: case Tag::kH6: case Tag::kTh:
          s = -5;
          break;
        default: break;
      }
    }
    score[i] = s + static_cast<float>(class_weight(i, flags));
    candidates.push_back(i);
  };
  auto add_score = [&](Index first_ancestor, std::uint32_t length, std::uint32_t comma_count) {
    if (length < 25) return;
    float content = 1.0f + static_cast<float>(comma_count) +
                    static_cast<float>(std::min<std::uint32_t>(length / 100, 3));
    Index a = first_ancestor;
    for (int level = 0; level < 5 && a != 0;) {
      if (is_collapsed(a)) {
        a = doc_.node(a).parent;
        continue;
      }
      initialize(a);
      float divider = level == 0 ? 1.0f : level == 1 ? 2.0f : static_cast<float>(level * 3);
      score[a] += content / divider;
      a = doc_.node(a).parent;
      ++level;
    }
  };
  for (Index i = 1; i < n; ++i) {
    const Node& node = doc_.node(i);
    if (dead[i] || node.kind != NodeKind::kElement) continue;
    Tag t = node.tag;
    bool scorable = as_p[i] || t == Tag::kTd || t == Tag::kPre ||
                    t == Tag::kSection || (is_heading(t) && t != Tag::kH1);
    if (!scorable || is_collapsed(i)) continue;
    add_score(node.parent, text_len[i], commas[i]);
  }
  for (const Run& r : runs) {
    const Node& parent = doc_.node(r.parent);
    if (parent.tag == Tag::kDiv && has_block_child[r.parent] && !dead[r.parent]) {
      add_score(r.parent, r.length, r.commas);
    }
  }

  for (Index c : candidates) score[c] *= 1.0f - link_density(c);
  std::vector<Index> top;
  for (Index c : candidates) {
    auto pos = std::find_if(top.begin(), top.end(), [&](Index t) { return score[c] > score[t]; });
    top.insert(pos, c);
    if (top.size() > 5) top.pop_back();
  }

  Index body = doc_.find_first(Tag::kBody);
  if (body >= n) body = 0;
  auto element_children_live = [&](Index p, auto&& fn) {
    const Node& pn = doc_.node(p);
    for (Index c = p + 1; c < pn.end; c = doc_.node(c).end) {
      if (!dead[c] && doc_.node(c).kind == NodeKind::kElement) fn(c);
    }
  };

  if (top.empty() || top[0] == body) {
    attempt.roots.push_back(body);
  } else {
    Index best = top[0];
    // Several strong candidates under one ancestor: the ancestor is the article.
    std::vector<std::vector<Index>> alternatives;
    for (std::size_t k = 1; k < top.size(); ++k) {
      if (score[best] > 0 && score[top[k]] / score[best] >= 0.75f) {
        std::vector<Index> ancestors;
        for (Index a = doc_.node(top[k]).parent; a != 0; a = doc_.node(a).parent) {
          ancestors.push_back(a);
        }
        alternatives.push_back(std::move(ancestors));
      }
    }
    if (alternatives.size() >= 3) {
      for (Index p = doc_.node(best).parent; p != 0 && p != body; p = doc_.node(p).parent) {
        int containing = 0;
        for (const auto& list : alternatives) {
          if (std::find(list.begin(), list.end(), p) != list.end()) ++containing;
        }
        if (containing >= 3) {
          best = p;
          break;
        }
      }
    }
    initialize(best);
    // Scores spread to ancestors, so a parent scoring higher holds more of the article.
    {
      float last = score[best];
      float threshold = last / 3;
      for (Index p = doc_.node(best).parent; p != 0 && p != body; p = doc_.node(p).parent) {
        if (!scored[p]) continue;
        if (score[p] < threshold) break;
        if (score[p] > last) {
          best = p;
          break;
        }
        last = score[p];
      }
    }
    for (Index p = doc_.node(best).parent; p != 0 && p != body; p = doc_.node(p).parent) {
      int count = 0;
      element_children_live(p, [&](Index) { ++count; });
      if (count != 1) break;
      best = p;
    }

    // Articles split into several blocks (CMS "paragraph" components): widen to an ancestor
    // that is still prose, not a link farm, and not the whole page.
    {
      Index widened = best;
      Index p = doc_.node(best).parent;
      for (int level = 0; level < 3 && p != 0 && p != body; ++level, p = doc_.node(p).parent) {
        if (link_density(p) >= 0.1f) break;
        if (text_len[p] > 3 * text_len[best]) break;
        if (text_len[p] >= text_len[widened] * 6 / 5) widened = p;
      }
      best = widened;
    }

    // Markup that names the article body (schema.org, CMS class names) outweighs scoring
    // when it holds a fair share of the text the scoring found.
    bool semantic = false;
    if (Index named = find_named_body(dead, text_len, link_len); named != 0 && named != best) {
      auto inside = [&](Index a, Index b) {  // a inside b
        return a > b && a < doc_.node(b).end;
      };
      double named_len = text_len[named];
      double best_len = text_len[best];
      if ((inside(named, best) && named_len >= 0.5 * best_len) ||
          (inside(best, named) && link_density(named) < 0.3f) ||
          (!inside(named, best) && !inside(best, named) && named_len >= 0.5 * best_len)) {
        best = named;
        semantic = true;
      }
    } else if (named == best) {
      semantic = true;
    }

    // The best block and its true siblings.
    float best_score = score[best];
    float threshold = std::max(10.0f, best_score * 0.2f);
    Index parent = doc_.node(best).parent;
    std::string_view best_class = doc_.attr(best, "class");
    if (best == 0 || parent == 0 || semantic) {
      attempt.roots.push_back(best);
    } else {
      element_children_live(parent, [&](Index s) {
        bool append = s == best;
        if (!append) {
          float bonus = 0;
          if (!best_class.empty() && doc_.attr(s, "class") == best_class) {
            bonus += best_score * 0.2f;
          }
          if (scored[s] && score[s] + bonus >= threshold) {
            append = true;
          } else if (as_p[s]) {
            float density = link_density(s);
            std::uint32_t len = text_len[s];
            if (len > 80 && density < 0.25f) {
              append = true;
            } else if (len < 80 && len > 0 && density == 0) {
              std::string t = short_text(s);
              std::size_t dot = t.find('.');
              while (dot != std::string::npos) {
                if (dot + 1 == t.size() || t[dot + 1] == ' ') {
                  append = true;
                  break;
                }
                dot = t.find('.', dot + 1);
              }
            }
          }
        }
        if (append) attempt.roots.push_back(s);
      });
    }
  }

  clean(flags, attempt.roots, dead);
  if (!attempt.roots.empty()) {
    std::vector<Index> lead = find_lead(attempt.roots, dead, body);
    attempt.roots.insert(attempt.roots.begin(), lead.begin(), lead.end());
  }
  for (Index r : attempt.roots) {
    std::size_t before = attempt.text.size();
    if (before > 0) attempt.text += "\n\n";
    write_text(doc_, r, true, dead, attempt.text, /*keep_nbsp=*/true);
    if (attempt.text.size() == before + (before > 0 ? 2 : 0)) attempt.text.resize(before);
  }
  trim_trailing_furniture(attempt.text);
  trim_leading_furniture(attempt.text);
  attempt.length = measure(attempt.text).length;
  return attempt;
}

// Class and id words of page furniture inside an article block: share bars, bylines and
// dates, tag lists, related links, captions and credits, cookie and newsletter boxes.
// One-word BEM modifiers ("report__section--ads") describe a block's state, not what it
// is: the part of such a class name before "--" says what the element holds.
std::string without_modifiers(std::string_view cls) {
  std::string out;
  std::size_t i = 0;
  while (i < cls.size()) {
    std::size_t end = cls.find(' ', i);
    if (end == std::string_view::npos) end = cls.size();
    std::string_view token = cls.substr(i, end - i);
    std::size_t mod = token.find("--");
    // Drupal's key-value modifiers ("field--name-field-tags") do name the content.
    if (mod != std::string_view::npos && mod > 0 &&
        token.find('-', mod + 2) == std::string_view::npos) {
      token = token.substr(0, mod);
    }
    if (!out.empty()) out += ' ';
    out += token;
    i = end + 1;
  }
  return out;
}

bool boilerplate_class(std::string_view match) {
  static constexpr std::array<std::string_view, 58> kWords = {
      "share", "sharing", "shares", "social", "socials", "byline", "author", "authors",
      "dateline", "date", "time", "timestamp", "published", "meta", "metadata", "tags",
      "tag", "taglist", "keywords", "related", "recommended", "recommendations", "readmore",
      "breadcrumb", "breadcrumbs", "caption", "credit", "credits", "copyright", "newsletter",
      "subscribe", "subscription", "signup", "cookie", "cookies", "consent", "gdpr", "promo",
      "advert", "advertisement", "ad", "ads", "banner", "sponsor", "sponsored", "print",
      "rating", "comments", "comment", "toolbar", "pagination", "pager", "popup", "modal",
      "disclaimer", "paywall", "sr", "nav"};
  std::size_t i = 0;
  while (i < match.size()) {
    while (i < match.size() && !std::isalnum(static_cast<unsigned char>(match[i]))) ++i;
    std::size_t j = i;
    while (j < match.size() && std::isalnum(static_cast<unsigned char>(match[j]))) ++j;
    std::string_view word = match.substr(i, j - i);
    if (!word.empty() && std::find(kWords.begin(), kWords.end(), word) != kWords.end()) {
      return true;
    }
    i = j;
  }
  return false;
}

// Openings of "read also" lines that link to other stories, in the languages news is read in.
bool read_more_line(std::string_view text) {
  static constexpr std::array<std::string_view, 87> kOpenings = {
      "read more", "read also", "also read", "see also", "related:", "more:", "recommended:",
      "read next", "lesen sie auch", "lesen sie mehr", "mehr zum thema", "auch interessant",
      "das könnte sie auch", "weiterlesen", "lea también", "lea más", "lea:", "leer más",
      "lire aussi", "à lire aussi", "voir aussi", "leggi anche", "czytaj też", "czytaj także",
      "czytaj więcej", "zobacz też", "zobacz także", "leia também", "читайте также", "subscribe",
      "zum weiterlesen", "schon gelesen", "über den autor", "about the author",
      "weitere informationen:", "neueste artikel", "kommentare schreiben", "kommentar schreiben",
      "credit:", "credits:", "crédit", "photo credit", "quelle:", "foto:", "photo:", "bild:",
      "source:", "fuente:", "źródło:", "if you enjoyed", "share this", "teilen:",
      // Rating, sharing and sign-up prompts; WordPress like buttons.
      "war der artikel", "war dieser artikel", "möchten sie den artikel", "wie bewerten sie",
      "was this article", "did you find this", "rate this", "like loading", "gefällt mir",
      "me gusta cargando", "never miss", "sign up for", "zapraszamy", "bild anzeigen",
      // Inline links to other stories and note boxes (Spanish, Portuguese, German, French).
      "mira:", "mire:", "puedes ver", "lee también", "te puede interesar", "también te puede",
      "veja também", "veja mais", "leia mais", "quellen ausblenden", "quellenangaben",
      "zusatzinformationen", "beitragsbild", "externer inhalt", "keine kommentare",
      "lade weitere", "entdecke weitere", "entdecken sie", "weitere beiträge",
      "articles les plus lus", "weiterführende links"};
  std::string low = lower(text.substr(0, 40));
  for (auto o : kOpenings) {
    if (low.rfind(o, 0) == 0) return true;
  }
  return false;
}

// True for a line that ends like prose (sentence punctuation, closing quote).
bool ends_sentence(std::string_view p) {
  while (!p.empty() && is_space(p.back())) p.remove_suffix(1);
  if (p.empty()) return false;
  char c = p.back();
  if (c == '.' || c == '!' || c == '?' || c == '"' || c == ')') return true;
  static constexpr std::array<std::string_view, 5> kClosers = {"\u201D", "\u00BB", "\u2026",
                                                               "\u3002", "\u201C"};
  for (auto k : kClosers) {
    if (p.size() >= k.size() && p.substr(p.size() - k.size()) == k) return true;
  }
  return false;
}

// A publisher's call to action rather than the story: follow us, get the app, subscribe to
// the newsletter, write to the editor, support our journalism; copyright notices.
bool call_to_action(std::string_view text) {
  static constexpr std::array<std::string_view, 40> kActions = {
      "follow", "subscribe", "sign up", "download", "join", "keep up with", "like us",
      "get the latest", "submit a", "submit your", "síguenos", "siguenos", "sigue a",
      "únete", "unete", "suscríb", "suscrib", "descarga", "mira lo", "abonnier", "folge",
      "folgen sie", "anmelden", "melde dich", "unterstützen sie", "unterstütze", "suivez",
      "téléchargez", "abonnez", "inscrivez", "seguici", "iscriviti", "obserwuj", "zapisz się",
      "baixe", "siga-nos", "inscreva", "support our", "support us", "apoya"};
  static constexpr std::array<std::string_view, 22> kChannels = {
      "twitter", "facebook", "instagram", "telegram", "whatsapp", "youtube", "tiktok",
      "linkedin", "newsletter", "app", "podcast", "google news", "rss", "canal", "channel",
      "letter to the editor", "letters@", "journalism", "journalismus", "periodismo",
      "journalisme", "giornalismo"};
  std::string low = lower(text);
  if (low.find("\xC2\xA9") != std::string::npos || low.find("all rights reserved") != std::string::npos) {
    return true;
  }
  bool action = std::any_of(kActions.begin(), kActions.end(),
                            [&](std::string_view a) { return low.find(a) != std::string::npos; });
  if (!action) return false;
  for (auto c : kChannels) {
    for (std::size_t p = low.find(c); p != std::string::npos; p = low.find(c, p + 1)) {
      // Whole words only ("app" is not "happen").
      bool start_ok = p == 0 || !std::isalnum(static_cast<unsigned char>(low[p - 1]));
      std::size_t e = p + c.size();
      bool end_ok = c.back() == '@' || e >= low.size() ||
                    !std::isalnum(static_cast<unsigned char>(low[e])) || low[e] == 's';
      if (start_ok && end_ok) return true;
    }
  }
  return false;
}

// Short lines at the end of the block that are not prose (share buttons, "Contact",
// "More on this topic:") belong to the page, not the article; so do closing calls to action.
void trim_trailing_furniture(std::string& text) {
  constexpr std::size_t kShortLine = 90;
  constexpr std::size_t kPromptLine = 300;
  // Only where there is an article to protect, and never more than a fifth of it.
  const std::size_t floor = text.size() - text.size() / 5;
  if (text.size() < 500) return;
  while (!text.empty()) {
    std::size_t start = text.rfind("\n\n");
    if (start == std::string::npos || start < floor) break;
    std::string_view last = std::string_view(text).substr(start + 2);
    std::size_t length = measure(last).length;
    bool furniture = length < kShortLine && !ends_sentence(last);
    if (!furniture && !(length < kPromptLine && call_to_action(last))) break;
    text.resize(start);
  }
}

// Short non-prose lines before the first paragraph (section labels, dates, author lists,
// "Table of contents") are page furniture too.
void trim_leading_furniture(std::string& text) {
  constexpr std::size_t kShortLine = 60;
  if (text.size() < 500) return;
  const std::size_t limit = text.size() / 5;
  std::size_t cut = 0;
  while (true) {
    std::size_t end = text.find("\n\n", cut);
    if (end == std::string::npos || end > limit) break;
    std::string_view first = std::string_view(text).substr(cut, end - cut);
    if (measure(first).length >= kShortLine || ends_sentence(first)) break;
    cut = end + 2;
  }
  if (cut > 0) text.erase(0, cut);
}

// Class names content management systems give the article body.
bool body_class(std::string_view cls) {
  static const Needles kBody{"article-body", "articlebody", "article__body", "article-content",
                             "article__content", "articlecontent", "article-text", "articletext",
                             "article_body", "article_content", "post-content", "postcontent",
                             "post-body", "post_content", "entry-content", "entry_content",
                             "story-body", "storybody", "story-content", "story__body",
                             "td-post-content", "field-name-body", "field--name-body", "rich-text",
                             "richtext", "news-text", "newstext", "text-content", "main-content",
                             "page-content", "single-content", "content-body"};
  return kBody.found_in(cls);
}

Index Extractor::find_named_body(const std::vector<char>& dead,
                                 const std::vector<std::uint32_t>& text_len,
                                 const std::vector<float>& link_len) const {
  Index found = 0;
  double found_weight = 0;
  for (Index i = 1; i < doc_.size(); ++i) {
    const Node& node = doc_.node(i);
    if (dead[i] || node.kind != NodeKind::kElement || text_len[i] < 250) continue;
    if (is_phrasing(node)) continue;
    bool named = doc_.attr(i, "itemprop") == "articleBody" || body_class(class_[i]);
    if (!named) continue;
    double weight = text_len[i] * (1.0 - link_len[i] / text_len[i]);
    if (weight > found_weight) {
      found = i;
      found_weight = weight;
    }
  }
  return found;
}

// Class words of the standfirst: the summary paragraph between headline and body.
bool lead_class(std::string_view cls) {
  static constexpr std::array<std::string_view, 12> kWords = {
      "lead", "intro", "excerpt", "standfirst", "teaser", "deck", "summary", "description",
      "abstract", "subline", "subheadline", "dek"};
  std::size_t i = 0;
  while (i < cls.size()) {
    while (i < cls.size() && !std::isalnum(static_cast<unsigned char>(cls[i]))) ++i;
    std::size_t j = i;
    while (j < cls.size() && std::isalnum(static_cast<unsigned char>(cls[j]))) ++j;
    std::string_view word = cls.substr(i, j - i);
    if (!word.empty() && std::find(kWords.begin(), kWords.end(), word) != kWords.end()) {
      return true;
    }
    i = j;
  }
  return false;
}

// The standfirst and any paragraphs between the headline and the chosen block: they open
// the article even when the page keeps them outside its body container.
std::vector<Index> Extractor::find_lead(const std::vector<Index>& roots,
                                        const std::vector<char>& dead, Index body) const {
  constexpr std::size_t kMaxLeadBlocks = 10;
  std::vector<Index> lead;
  Index first_root = roots.front();
  Index headline = 0;
  for (Index i = body; i < first_root; ++i) {
    if (doc_.node(i).kind == NodeKind::kElement && doc_.node(i).tag == Tag::kH1) {
      headline = i;
      break;
    }
  }
  if (headline == 0) return lead;
  for (Index i = doc_.node(headline).end; i < first_root && lead.size() < kMaxLeadBlocks; ++i) {
    const Node& node = doc_.node(i);
    if (dead[i]) {
      i = node.end - 1;
      continue;
    }
    if (node.kind != NodeKind::kElement || node.end > first_root) continue;
    if (!lead_class(class_[i]) && node.tag != Tag::kP) continue;
    std::uint32_t len = text_len_[i];
    if (len >= 60 && len <= 800 && link_len_[i] <= 0.2f * static_cast<float>(len)) {
      lead.push_back(i);
    }
    i = node.end - 1;
  }
  return lead;
}

// Headings that open what follows an article: related stories, comments, tag lists.
bool closing_heading(std::string_view text) {
  static constexpr std::array<std::string_view, 51> kOpenings = {
      "related", "more from", "more on this", "more stories", "you might also like",
      "you may also like", "recommended", "read more", "read next", "comments", "leave a reply",
      "leave a comment", "share this", "about the author", "popular", "most read",
      "weitere artikel", "mehr zum thema", "das könnte sie auch", "auch interessant",
      "kommentare", "ähnliche artikel", "verwandte artikel", "lesen sie auch", "mehr aus",
      "meistgelesen", "noticias relacionadas", "te puede interesar", "artículos relacionados",
      "comentarios", "más noticias", "articles similaires", "à lire aussi", "commentaires",
      "sur le même sujet", "podobne artykuły", "czytaj także", "czytaj też", "komentarze",
      "zobacz także", "zobacz też", "najczęściej czytane", "leggi anche", "articoli correlati",
      "articles les plus lus", "weitere beiträge", "weiterführende links", "veja também",
      "leia também", "notícias relacionadas", "mais lidas"};
  if (text.size() > 80) return false;
  std::string low = lower(text);
  for (auto o : kOpenings) {
    if (low.rfind(o, 0) == 0) return true;
  }
  return false;
}

bool Extractor::ends_article(Index i) const {
  const Node& node = doc_.node(i);
  if (!is_heading(node.tag) || text_len_[i] == 0 || text_len_[i] > 80) return false;
  return closing_heading(trim(short_text(i)));
}

// A short line that is mostly a date ("Published 26 October 2023", "2021-10-16 | News").
bool date_line(std::string_view text) {
  if (text.size() > 80 || more_words_than(text, 8)) return false;
  auto digit = [&](std::size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
  bool year = false;
  for (std::size_t k = 0; k < text.size(); ++k) {
    if (!digit(k) || (k > 0 && digit(k - 1))) continue;
    std::size_t e = k;
    while (digit(e)) ++e;
    std::size_t len = e - k;
    if (len == 4 && (text.compare(k, 2, "19") == 0 || text.compare(k, 2, "20") == 0)) {
      year = true;
      if (e < text.size() && text[e] == '-' && digit(e + 1) && digit(e + 2)) return true;
    }
    if ((len == 1 || len == 2) && e < text.size() && (text[e] == '.' || text[e] == '/') &&
        digit(e + 1)) {
      std::size_t m = e + 1;
      while (digit(m)) ++m;
      if (m - e - 1 <= 2 && m < text.size() && (text[m] == '.' || text[m] == '/') &&
          digit(m + 1) && digit(m + 2)) {
        return true;
      }
    }
  }
  if (!year) return false;
  // Prefixes of month names (English, German, French, Spanish, Italian, Polish).
  static constexpr std::array<std::string_view, 52> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
      "märz", "mai", "okt", "dez", "févr", "avr", "juin", "juil", "août", "sept", "déc",
      "ene", "abr", "mayo", "ago", "set", "dic", "genn", "febb", "magg", "giu", "lug", "ott",
      "styczn", "luty", "lutego", "marca", "marzec", "kwie", "maja", "czerw", "lip", "sierp",
      "wrze", "paźdz", "listop", "grud", "janu", "febr", "juli"};
  for (const auto& token : word_tokens(text)) {
    for (auto m : kMonths) {
      if (token.rfind(m, 0) == 0) return true;
    }
  }
  return false;
}

bool Extractor::is_boilerplate(Index i, Index root) const {
  const Node& node = doc_.node(i);
  std::uint32_t len = text_len_[i];
  if (node.tag == Tag::kFigcaption) return true;
  // Class words only: ids are often slugs of headings ("sharing-with-a-team"). Inline
  // elements only when small (a credit or date inside a paragraph), never links.
  if (node.tag != Tag::kA && boilerplate_class_of(i) &&
      (len < 200 || (!is_phrasing(node) && len * 10 < text_len_[root] * 3))) {
    return true;
  }
  std::string text;  // read once, for the short blocks the tests below look into
  bool text_read = false;
  if (!is_phrasing(node) && len > 0 && len < 200) {
    text = short_text(i);
    text_read = true;
    if (text.find("\xC2\xA9") != std::string::npos) return true;  // (c) notices
    if (len <= 80 && date_line(text)) return true;
  }
  bool paragraph = node.tag == Tag::kP || as_p_[i];
  if (paragraph && len > 0 && len < 250) {
    if (link_len_[i] / static_cast<float>(len) > 0.5f) return true;
    if (len < 70 && link_len_[i] > 0) return true;  // jusText: short and linking out
  }
  if ((paragraph || is_heading(node.tag)) && len > 0 && len < 250) {
    if (!text_read) text = short_text(i);
    if (read_more_line(trim(text))) return true;
  }
  return false;
}

void Extractor::clean(unsigned flags, const std::vector<Index>& roots, std::vector<char>& dead) {
  for (Index root : roots) {
    const Node& rn = doc_.node(root);
    // Forward: share bars and negative headings.
    for (Index i = root + 1; i < rn.end;) {
      const Node& node = doc_.node(i);
      if (dead[i] || node.kind != NodeKind::kElement) {
        i = dead[i] ? node.end : i + 1;
        continue;
      }
      bool remove = false;
      if (node.depth >= rn.depth + 2 && match_[i].find("share") != std::string_view::npos &&
          raw_len_[i] < 500) {
        remove = true;
      }
      if ((node.tag == Tag::kH1 || node.tag == Tag::kH2) && class_weight(i, flags) < 0) {
        remove = true;
      }
      if (!remove && is_boilerplate(i, root)) remove = true;
      if (!remove && ends_article(i)) {
        // Everything from here to the end of the block is what follows the article.
        std::fill(dead.begin() + i, dead.begin() + rn.end, 1);
        break;
      }
      if (remove) {
        mark_dead(dead, node, i);
        i = node.end;
        continue;
      }
      ++i;
    }
    if (!(flags & kCleanConditionally)) continue;

    // Data tables are kept whole.
    const Index count = rn.end - root;
    std::vector<char> data_table(count, 0);
    std::vector<std::uint32_t> rows(count, 0), cells(count, 0), tables(count, 0);
    std::vector<char> table_markers(count, 0);
    for (Index i = rn.end; i-- > root;) {
      const Node& node = doc_.node(i);
      Index k = i - root;
      if (node.kind == NodeKind::kElement) {
        switch (node.tag) {
          case Tag::kTr: ++rows[k]; break;
          case Tag::kTd: ++cells[k]; break;
          case Tag::kTh: case Tag::kThead: case Tag::kTfoot: case Tag::kCol:
          case Tag::kColgroup: case Tag::kCaption:
            table_markers[k] = 1;
            break;
          default: break;
        }
        if (node.tag == Tag::kTable) {
          bool data = doc_.attr(i, "role") != "presentation" &&
                      doc_.attr(i, "datatable") != "0" && tables[k] == 0 &&
                      (doc_.has_attr(i, "summary") || table_markers[k] || rows[k] >= 10 ||
                       (rows[k] > 0 && cells[k] / rows[k] > 4) || cells[k] > 10);
          data_table[k] = data;
          ++tables[k];
        }
      }
      if (i > root) {
        Index pk = node.parent - root;
        rows[pk] += rows[k];
        cells[pk] += cells[k];
        tables[pk] += tables[k];
        table_markers[pk] |= table_markers[k];
      }
    }
    std::vector<char> protected_(count, 0);
    for (Index i = root + 1; i < rn.end; ++i) {
      Index k = i - root;
      Index pk = doc_.node(i).parent - root;
      protected_[k] = protected_[pk] || data_table[pk] ||
                      (doc_.node(i).tag == Tag::kTable && data_table[k]) ||
                      doc_.node(doc_.node(i).parent).tag == Tag::kCode;
    }

    // Backward: Readability's conditional cleaning of forms, tables, lists and divs,
    // evaluated bottom-up so an element is judged on what survives inside it.
    struct Sums {
      std::uint32_t text = 0, commas = 0, p = 0, img = 0, li = 0, input = 0, embed = 0;
      std::uint32_t heading = 0, textish = 0, list = 0, tables_kept = 0;
      float link = 0;
    };
    std::vector<Sums> sums(count);
    for (Index i = rn.end; i-- > root;) {
      Index k = i - root;
      const Node& node = doc_.node(i);
      if (dead[i]) continue;
      Sums& s = sums[k];
      if (node.kind == NodeKind::kText) {
        const TextStats& st = text_stats_[i];
        s.text = st.length;
        s.commas = st.commas;
      } else {
        Tag t = node.tag;
        if (t == Tag::kA) {
          std::string_view href = doc_.attr(i, "href");
          s.link = static_cast<float>(s.text) * ((!href.empty() && href[0] == '#') ? 0.3f : 1.0f);
        }
        if (is_heading(t)) s.heading = s.text;
        if (t == Tag::kSpan || t == Tag::kLi || t == Tag::kTd ||
            is_div_block_child(t)) {
          s.textish = s.text;
        }
        if (t == Tag::kUl || t == Tag::kOl) s.list = s.text;
        bool candidate = i != root &&
                         (t == Tag::kForm || t == Tag::kFieldset ||
                          t == Tag::kTable || t == Tag::kUl ||
                          (t == Tag::kDiv && !as_p_[i]));
        if (candidate && !protected_[k] && !(t == Tag::kTable && data_table[k]) &&
            s.tables_kept == 0) {
          bool is_list = t == Tag::kUl || t == Tag::kOl;
          if (!is_list && s.text > 0 && static_cast<double>(s.list) / s.text > 0.9) {
            is_list = true;
          }
          int weight = class_weight(i, flags);
          bool remove = weight < 0;
          if (!remove && s.commas < 10) {
            float density = s.text == 0 ? 0 : s.link / static_cast<float>(s.text);
            double heading_density = s.text == 0 ? 0 : static_cast<double>(s.heading) / s.text;
            double text_density = s.text == 0 ? 0 : static_cast<double>(s.textish) / s.text;
            int li = static_cast<int>(s.li) - 100;
            bool figure = in_figure_[i];
            std::uint32_t length = s.text;
            if (length < 30 && doc_.node(i).end - i < kMaxShortTextNodes) {
              std::string inner;
              write_text(doc_, i, false, dead, inner);
              std::string low = lower(inner);
              if (low == "ad" || low == "advertising" || low == "advertisement" ||
                  low == "loading" || low == "loading..." || low == "loading\u2026") {
                remove = true;
              }
              length = measure(inner).length;
            }
            if (!figure && s.img > 1 && static_cast<double>(s.p) / s.img < 0.5) remove = true;
            if (!is_list && li > static_cast<int>(s.p)) remove = true;
            if (s.input > s.p / 3) remove = true;
            if (!is_list && !figure && heading_density < 0.9 && length < 25 &&
                (s.img == 0 || s.img > 2) && density > 0) {
              remove = true;
            }
            if (!is_list && weight < 25 && density > 0.2f) remove = true;
            if (weight >= 25 && density > 0.5f) remove = true;
            if ((s.embed == 1 && length < 75) || s.embed > 1) remove = true;
            if (s.img == 0 && text_density == 0) remove = true;
            if (is_list && remove) {
              // Simple lists of images stay.
              bool simple = true;
              element_children_of(i, dead, [&](Index c) {
                int grand = 0;
                element_children_of(c, dead, [&](Index) { ++grand; });
                if (grand > 1) simple = false;
              });
              if (simple && s.img == s.li + 0) remove = false;
            }
          }
          if (remove) {
            mark_dead(dead, node, i);
            continue;
          }
        }
        switch (t) {
          case Tag::kP: ++s.p; break;
          case Tag::kImg: ++s.img; break;
          case Tag::kLi: ++s.li; break;
          case Tag::kInput: ++s.input; break;
          case Tag::kEmbed: case Tag::kObject: case Tag::kIframe: ++s.embed; break;
          case Tag::kTable:
            if (data_table[k]) ++s.tables_kept;
            break;
          case Tag::kDiv:
            if (as_p_[i]) ++s.p;
            break;
          default: break;
        }
      }
      if (i > root) {
        Sums& ps = sums[doc_.node(i).parent - root];
        ps.text += s.text;
        ps.commas += s.commas;
        ps.p += s.p;
        ps.img += s.img;
        ps.li += s.li;
        ps.input += s.input;
        ps.embed += s.embed;
        ps.heading += s.heading;
        ps.textish += s.textish;
        ps.list += s.list;
        ps.tables_kept += s.tables_kept;
        ps.link += s.link;
      }
    }
  }
}

Metadata read_metadata(const Document& doc, std::string_view url) {
  Metadata md;
  Metadata ld;
  std::string og_title, twitter_title, dc_title, doc_title, h1;
  std::string og_site, og_image, twitter_image, og_url, og_locale, content_language;
  std::string meta_published, meta_modified, meta_author, time_published, meta_description;
  std::string canonical;
  const Index n = doc.size();
  md.language = trim(doc.attr(0, "lang"));
  if (md.language.empty()) md.language = trim(doc.attr(0, "xml:lang"));
  for (Index i = 0; i < n; ++i) {
    const Node& node = doc.node(i);
    if (node.kind != NodeKind::kElement) continue;
    switch (node.tag) {
      case Tag::kMeta: {
        std::string key = lower(doc.attr(i, "property"));
        if (key.empty()) key = lower(doc.attr(i, "name"));
        if (key.empty()) key = lower(doc.attr(i, "itemprop"));
        std::string_view content = doc.attr(i, "content");
        std::string equiv = lower(doc.attr(i, "http-equiv"));
        if (equiv == "content-language") content_language = trim(content);
        if (key.empty() || trim(content).empty()) break;
        auto set = [&](std::string& field) {
          if (field.empty()) field = trim(content);
        };
        if (key == "og:title") set(og_title);
        else if (key == "twitter:title") set(twitter_title);
        else if (key == "dc.title" || key == "dcterms.title") set(dc_title);
        else if (key == "og:site_name") set(og_site);
        else if (key == "og:image" || key == "og:image:url" || key == "og:image:secure_url") set(og_image);
        else if (key == "twitter:image" || key == "twitter:image:src") set(twitter_image);
        else if (key == "og:url") set(og_url);
        else if (key == "description" || key == "og:description" ||
                 key == "twitter:description") set(meta_description);
        else if (key == "og:locale") set(og_locale);
        else if (key == "article:published_time" || key == "og:published_time" ||
                 key == "datepublished" || key == "parsely-pub-date" ||
                 key == "sailthru.date" || key == "dc.date" || key == "dc.date.issued" ||
                 key == "dcterms.created" || key == "date" || key == "pubdate" ||
                 key == "publishdate" || key == "publish-date" || key == "article.published" ||
                 key == "cxenseparse:recs:publishtime") {
          set(meta_published);
        } else if (key == "article:modified_time" || key == "og:updated_time" ||
                   key == "datemodified" || key == "dcterms.modified" ||
                   key == "last-modified") {
          set(meta_modified);
        } else if (key == "author" || key == "article:author" || key == "parsely-author" ||
                   key == "dc.creator" || key == "sailthru.author" || key == "byl") {
          if (content.find("://") == std::string_view::npos) set(meta_author);
        }
        break;
      }
      case Tag::kLink: {
        std::string rel = lower(doc.attr(i, "rel"));
        if (rel == "canonical" && canonical.empty()) canonical = trim(doc.attr(i, "href"));
        break;
      }
      case Tag::kScript: {
        std::string type = lower(doc.attr(i, "type"));
        if (type.find("ld+json") == std::string::npos) break;
        for (Index c = i + 1; c < node.end; ++c) {
          if (doc.node(c).kind == NodeKind::kText) read_json_ld(doc.node(c).text, ld);
        }
        break;
      }
      case Tag::kTitle:
        if (doc_title.empty()) {
          for (Index c = i + 1; c < node.end; ++c) {
            if (doc.node(c).kind == NodeKind::kText) doc_title += doc.node(c).text;
          }
        }
        break;
      case Tag::kH1:
        if (h1.empty()) {
          std::string t;
          write_text(doc, i, false, {}, t);
          h1 = t;
        }
        break;
      case Tag::kTime:
        if (time_published.empty() &&
            (doc.attr(i, "itemprop") == "datePublished" || doc.attr(i, "pubdate") == "pubdate" ||
             doc.has_attr(i, "pubdate"))) {
          time_published = trim(doc.attr(i, "datetime"));
        }
        break;
      default:
        break;
    }
  }
  auto first = [](std::initializer_list<const std::string*> options) {
    for (const std::string* o : options) {
      if (!o->empty()) return *o;
    }
    return std::string();
  };
  std::string og_title_clean = clean_text(og_title);
  std::string twitter_title_clean = clean_text(twitter_title);
  std::string dc_title_clean = clean_text(dc_title);
  std::string doc_title_clean = title_from_document_title(doc_title);
  md.title = first({&ld.title, &og_title_clean, &twitter_title_clean, &dc_title_clean,
                    &doc_title_clean, &h1});
  std::string meta_author_clean = clean_text(meta_author);
  md.byline = first({&ld.byline, &meta_author_clean});
  md.published = first({&ld.published, &meta_published, &time_published});
  md.modified = first({&ld.modified, &meta_modified});
  if (!ld.language.empty()) md.language = ld.language;
  if (md.language.empty()) md.language = first({&content_language, &og_locale});
  std::replace(md.language.begin(), md.language.end(), '_', '-');
  std::string og_site_clean = clean_text(og_site);
  md.site_name = first({&og_site_clean, &ld.site_name});
  md.image = first({&og_image, &ld.image, &twitter_image});
  if (!md.image.empty()) md.image = resolve_url(url, md.image);
  md.canonical_url = first({&canonical, &og_url});
  if (!md.canonical_url.empty()) md.canonical_url = resolve_url(url, md.canonical_url);
  if (md.canonical_url.empty()) md.canonical_url = std::string(url);
  md.body = std::move(ld.body);
  md.description = first({&ld.description, &meta_description});
  return md;
}

std::int64_t count_words(std::string_view text) {
  std::int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

// Text carried in metadata (JSON-LD articleBody, descriptions) as paragraphs: some sites put
// HTML there, most put plain text with newlines between paragraphs.
std::string metadata_text(std::string_view raw) {
  std::string out;
  bool markup = false;
  for (std::size_t k = 0; k + 1 < raw.size(); ++k) {
    if (raw[k] == '<' && (std::isalpha(static_cast<unsigned char>(raw[k + 1])) || raw[k + 1] == '/')) {
      markup = true;
      break;
    }
  }
  if (markup) {
    Document fragment(raw, /*fragment=*/true, Prefilter::kScripts);
    write_text(fragment, 0, true, {}, out);
    return trim(out);
  }
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('\n', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string line = clean_text(raw.substr(start, end - start));
    if (!line.empty()) {
      if (!out.empty()) out += "\n\n";
      out += line;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

Article extract_article(std::string_view html, std::string_view url) {
  std::string converted;
  Document doc(page_to_utf8(html, converted), /*fragment=*/false, Prefilter::kScriptsAndSections);
  Metadata md = read_metadata(doc, url);

  Extractor extractor(doc, url);
  extractor.set_title(md.title);
  // Readability's retry ladder: drop one family of heuristics at a time while the text is
  // too short to be an article, and keep the longest result if none is long enough.
  static constexpr unsigned kLadder[] = {kStripUnlikely | kWeightClasses | kCleanConditionally,
                                         kWeightClasses | kCleanConditionally,
                                         kCleanConditionally, 0};
  constexpr std::size_t kMinArticleChars = 500;
  Attempt best;
  bool have_best = false;
  for (unsigned flags : kLadder) {
    Attempt attempt = extractor.run(flags);
    if (!have_best || attempt.length > best.length) {
      best = std::move(attempt);
      have_best = true;
    }
    if (best.length >= kMinArticleChars) break;
  }

  // Pages rendered by script have no article in their markup; their JSON-LD often carries
  // it. So do pages whose markup shows a fraction of it (a teaser, captions): a body more
  // than twice as long as what the page gave is the article. A description is better than
  // nothing when there is no text at all.
  if (!md.body.empty()) {
    std::string body = metadata_text(md.body);
    std::size_t body_length = measure(body).length;
    const bool page_short = best.length < kMinArticleChars;
    if (body_length > best.length && (page_short || body_length > 2 * best.length)) {
      // The standfirst often stays outside articleBody; keep it when the page shows it (on
      // a page that shows more, its first block is not the standfirst but what the body
      // replaces).
      std::string_view shown = best.text;
      std::string_view first = shown.substr(0, shown.find("\n\n"));
      if (page_short && measure(first).length >= 80 && ends_sentence(first) &&
          body.find(first.substr(0, 60)) == std::string::npos) {
        body = std::string(first) + "\n\n" + body;
        body_length = measure(body).length;
      }
      best.text = std::move(body);
      best.length = body_length;
      best.roots.clear();
    }
  }
  if (best.length == 0 && !md.description.empty()) {
    best.text = metadata_text(md.description);
    best.length = measure(best.text).length;
  }

  Article article;
  article.title = md.title;
  article.byline = md.byline.empty() ? clean_text(extractor.byline()) : md.byline;
  article.published = parse_page_date(md.published);
  article.modified = parse_page_date(md.modified);
  article.language = md.language;
  article.site_name = md.site_name;
  article.canonical_url = md.canonical_url;
  article.image = md.image;
  article.text = nfc(best.text);
  for (Index r : best.roots) write_sanitized(doc, r, false, url, best.dead, article.html);
  article.word_count = count_words(article.text);
  return article;
}

}  // namespace feedpipe::parser::html
