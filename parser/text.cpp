#include "parser/text.h"

#include <simdjson.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace feedpipe::parser {
namespace {

struct NamedEntity {
  std::string_view name;
  std::string_view value;
};

constexpr NamedEntity kEntities[] = {
#include "parser/html_entities.inc"
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// First non-ASCII byte at or after `p`. Inlined into the UTF-8 and NFC checks: on text that
// mixes scripts it is entered at every space, so the first byte is tested before any block.
inline const unsigned char* skip_ascii(const unsigned char* p, const unsigned char* end) {
  if (p == end || *p >= 0x80) return p;
#if defined(__SSE2__)
  // Long runs (whole documents, most feed text) 64 bytes at a time, then the block that
  // stopped them.
  while (end - p >= 64) {
    const auto* q = reinterpret_cast<const __m128i*>(p);
    __m128i any = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(q), _mm_loadu_si128(q + 1)),
                               _mm_or_si128(_mm_loadu_si128(q + 2), _mm_loadu_si128(q + 3)));
    if (_mm_movemask_epi8(any) != 0) break;
    p += 64;
  }
  while (end - p >= 16) {
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (_mm_movemask_epi8(b) != 0) break;
    p += 16;
  }
#endif
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & 0x8080808080808080ULL) break;
    p += 8;
  }
  while (p < end && *p < 0x80) ++p;
  return p;
}

#if defined(__SSE2__)
// Masks of a 16-byte block: bytes >= 0x80, continuation bytes (0x80..0xBF) and lead bytes of
// two-byte characters (0xC2..0xDF).
struct HighBytes {
  unsigned high;
  unsigned cont;
  unsigned lead2;
};
inline HighBytes classify_block(const unsigned char* p) {
  __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // As signed bytes: continuations are -128..-65, two-byte leads -62..-33.
  __m128i cont = _mm_cmplt_epi8(b, _mm_set1_epi8(-64));
  __m128i lead2 = _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8(-63)),
                                _mm_cmplt_epi8(b, _mm_set1_epi8(-32)));
  return {static_cast<unsigned>(_mm_movemask_epi8(b)),
          static_cast<unsigned>(_mm_movemask_epi8(cont)),
          static_cast<unsigned>(_mm_movemask_epi8(lead2))};
}
#endif

}  // namespace

std::string_view html_entity(std::string_view name) {
  // A hash table built once: feed text looks names up for every &nbsp; and &rdquo;.
  static const std::unordered_map<std::string_view, std::string_view> kTable = [] {
    std::unordered_map<std::string_view, std::string_view> t;
    t.reserve(std::size(kEntities));
    for (const auto& e : kEntities) t.emplace(e.name, e.value);
    return t;
  }();
  // The names feeds use most, checked before hashing; their values come from the table.
  static constexpr std::string_view kCommon[] = {"nbsp",   "amp",    "quot",  "rsquo",
                                                 "ldquo",  "rdquo",  "lsquo", "mdash",
                                                 "ndash",  "hellip", "lt",    "gt"};
  static const auto kCommonValues = [] {
    std::array<std::string_view, std::size(kCommon)> v{};
    for (size_t i = 0; i < std::size(kCommon); ++i) v[i] = kTable.at(kCommon[i]);
    return v;
  }();
  for (size_t i = 0; i < std::size(kCommon); ++i)
    if (kCommon[i].size() == name.size() && kCommon[i][0] == name[0] && kCommon[i] == name)
      return kCommonValues[i];
  auto it = kTable.find(name);
  return it == kTable.end() ? std::string_view() : it->second;
}

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || cp == 0) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void decode_references(std::string_view raw, std::string& out, const DeclaredEntities* declared,
                       EntityIssues* issues) {
  size_t i = 0;
  while (i < raw.size()) {
    size_t amp = raw.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(raw.substr(i));
      return;
    }
    out.append(raw.substr(i, amp - i));
    size_t j = amp + 1;
    if (j < raw.size() && raw[j] == '#') {
      ++j;
      bool hex = j < raw.size() && (raw[j] == 'x' || raw[j] == 'X');
      // XML only allows a lower-case x; decode the other anyway but report it.
      if (hex && raw[j] == 'X' && issues) issues->bare_ampersand = true;
      if (hex) ++j;
      size_t start = j;
      char32_t cp = 0;
      while (j < raw.size() && (hex ? std::isxdigit(static_cast<unsigned char>(raw[j]))
                                    : std::isdigit(static_cast<unsigned char>(raw[j])))) {
        if (cp < 0x110000) {
          cp = cp * (hex ? 16 : 10) +
               static_cast<char32_t>(std::isdigit(static_cast<unsigned char>(raw[j]))
                                         ? raw[j] - '0'
                                         : (std::tolower(static_cast<unsigned char>(raw[j])) - 'a' + 10));
        }
        ++j;
      }
      if (j > start && j < raw.size() && raw[j] == ';') {
        append_utf8(out, cp);
        i = j + 1;
        continue;
      }
      if (issues) issues->bare_ampersand = true;
      out += '&';
      i = amp + 1;
      continue;
    }
    size_t start = j;
    while (j < raw.size() && j - start < 40 && is_name_char(raw[j])) ++j;
    std::string_view name = raw.substr(start, j - start);
    if (!name.empty() && j < raw.size() && raw[j] == ';') {
      std::string_view value;
      if (name == "amp") value = "&";
      else if (name == "lt") value = "<";
      else if (name == "gt") value = ">";
      else if (name == "quot") value = "\"";
      else if (name == "apos") value = "'";
      else {
        if (declared && !declared->empty()) {
          auto it = declared->find(std::string(name));
          if (it != declared->end()) value = it->second;
        }
        if (value.empty()) {
          // HTML 4 meanings, which feeds were written against (HTML5 moved these two).
          if (name == "lang") value = "\xE2\x8C\xA9";
          else if (name == "rang") value = "\xE2\x8C\xAA";
          else value = html_entity(name);
          if (issues) issues->undefined_entity = true;
        }
      }
      if (!value.empty()) {
        out.append(value);
        i = j + 1;
        continue;
      }
      // Unknown name: keep the text as written.
      out.append(raw.substr(amp, j + 1 - amp));
      i = j + 1;
      continue;
    }
    if (issues) issues->bare_ampersand = true;
    out += '&';
    i = amp + 1;
  }
}

void xml_escape(std::string_view text, std::string& out, bool attribute) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"':
        if (attribute) out += "&quot;";
        else out += c;
        break;
      default: out += c;
    }
  }
}

bool valid_utf8(std::string_view s) {
  // Long texts go to simdjson's validator, which checks 32 or 64 bytes at a time whatever
  // the mix of character widths (five times this loop's speed on Cyrillic text); short
  // ones stay here, where picking its kernel would cost more than the check.
  if (s.size() >= 64) return simdjson::validate_utf8(s.data(), s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
#if defined(__SSE2__)
    // Blocks of ASCII and whole two-byte characters (Latin, Greek, Cyrillic ...) are valid
    // as they stand; a block with anything else, or that ends on a lead byte, is left to
    // the loop below.
    while (end - p >= 16) {
      HighBytes m = classify_block(p);
      if (m.high == 0) {
        p += 16;
        continue;
      }
      if ((m.high & ~(m.cont | m.lead2)) != 0 || ((m.lead2 << 1) & 0xFFFF) != m.cont) break;
      p += (m.lead2 & 0x8000u) ? 15 : 16;  // a lead in the last byte: its pair is ahead
    }
#endif
    p = skip_ascii(p, end);
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    // Two-byte characters (Latin, Greek, Cyrillic, Hebrew, Arabic) without the general
    // decoding: a lead byte C2..DF and one continuation byte is always valid.
    if (c >= 0xC2 && c <= 0xDF) {
      if (end - p < 2 || (p[1] & 0xC0) != 0x80) return false;
      p += 2;
      continue;
    }
    int n;
    char32_t cp;
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
    else return false;
    if (end - p <= n) return false;
    for (int k = 1; k <= n; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += n + 1;
  }
  return true;
}

size_t first_non_ascii(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  return static_cast<size_t>(skip_ascii(p, p + s.size()) - p);
}

size_t first_control_char(std::string_view s) {
  auto bad = [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
  };
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i k1f = _mm_set1_epi8(0x1F);
  for (; i + 16 <= s.size(); i += 16) {
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(b, k1f), b);  // b <= 0x1F
    __m128i allowed = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(b, _mm_set1_epi8('\n'))),
        _mm_cmpeq_epi8(b, _mm_set1_epi8('\r')));
    unsigned found = static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(allowed, low)));
    if (found != 0) return i + static_cast<size_t>(__builtin_ctz(found));
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // Some byte below 0x20 (exact for the first such byte, which is all that matters).
    if (((w - kOnes * 0x20) & ~w & (kOnes * 0x80)) == 0) continue;
    for (size_t k = i; k < i + 8; ++k)
      if (bad(s[k])) return k;
  }
  for (; i < s.size(); ++i)
    if (bad(s[i])) return i;
  return s.size();
}

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

void trim_in_place(std::string& s) {
  size_t e = s.size();
  while (e > 0 && is_space(s[e - 1])) --e;
  s.resize(e);
  size_t b = 0;
  while (b < e && is_space(s[b])) ++b;
  if (b) s.erase(0, b);
}

bool contains_any(std::string_view s, std::string_view chars) {
  size_t i = 0;
#if defined(__SSE2__)
  // Bodies are asked whether they hold markup: 16 bytes at a time against each of the bytes.
  if (chars.size() <= 4 && !chars.empty()) {
    __m128i want[4];
    for (size_t k = 0; k < 4; ++k) want[k] = _mm_set1_epi8(chars[k < chars.size() ? k : 0]);
    for (; i + 16 <= s.size(); i += 16) {
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      __m128i hit = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(b, want[0]), _mm_cmpeq_epi8(b, want[1])),
          _mm_or_si128(_mm_cmpeq_epi8(b, want[2]), _mm_cmpeq_epi8(b, want[3])));
      if (_mm_movemask_epi8(hit) != 0) return true;
    }
  }
#endif
  // The rest with a byte table; find_first_of would scan `chars` once per byte.
  bool table[256] = {};
  for (char c : chars) table[static_cast<unsigned char>(c)] = true;
  for (; i < s.size(); ++i)
    if (table[static_cast<unsigned char>(s[i])]) return true;
  return false;
}

namespace {

// Skips 16-byte blocks that collapse_whitespace would take into a run byte by byte: no
// whitespace but single spaces that a non-space follows. Returns where the byte loop goes on.
size_t skip_run_blocks(std::string_view s, size_t j) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'),
                lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), ff = _mm_set1_epi8('\f');
  while (j + 16 <= s.size()) {
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + j));
    __m128i other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, tab), _mm_cmpeq_epi8(b, lf)),
                                 _mm_or_si128(_mm_cmpeq_epi8(b, cr), _mm_cmpeq_epi8(b, ff)));
    unsigned sp = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, space)));
    if (_mm_movemask_epi8(other) != 0 || (sp & (sp >> 1)) != 0) break;
    // A space in the last byte belongs to the run when a non-space follows the block.
    if ((sp & 0x8000u) != 0 && (j + 16 >= s.size() || is_space(s[j + 16]))) break;
    j += 16;
  }
#endif
  return j;
}

}  // namespace

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n && is_space(s[i])) ++i;
  while (i < n) {
    // A word and the single spaces inside it are copied as one run.
    auto in_run = [&](size_t k) {
      return !is_space(s[k]) || (s[k] == ' ' && k + 1 < n && !is_space(s[k + 1]));
    };
    size_t j = i;
    while (true) {
      // Whole blocks, then a block's worth of bytes one at a time, then blocks again.
      j = skip_run_blocks(s, j);
      size_t stop = std::min(n, j + 16);
      while (j < stop && in_run(j)) ++j;
      if (j < stop || j == n) break;
    }
    out.append(s, i, j - i);
    while (j < n && is_space(s[j])) ++j;
    if (j < n) out += ' ';
    i = j;
  }
  return out;
}

namespace {

// True when `s` may change under NFC. Text made only of ranges whose characters are all
// NFC-stable (ASCII, Latin up to U+02FF, basic Cyrillic, general punctuation) needs no work;
// that is most feed text, and the full normaliser is the slowest step of normalising it.
bool may_need_nfc(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    p = skip_ascii(p, end);  // runs of ASCII: most feed text
    if (p == end) break;
#if defined(__SSE2__)
    // Whole blocks of ASCII, continuation bytes and the lead bytes the loop below steps
    // over (0xC2..0xCB, 0xD0, 0xD1) hold no character that needs NFC.
    if (end - p >= 16) {
      HighBytes m = classify_block(p);
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i below_cc = _mm_cmplt_epi8(b, _mm_set1_epi8(static_cast<char>(0xCC)));
      __m128i cyrillic = _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(static_cast<char>(0xD0))),
                                      _mm_cmpeq_epi8(b, _mm_set1_epi8(static_cast<char>(0xD1))));
      unsigned stable = m.cont | static_cast<unsigned>(_mm_movemask_epi8(
                                     _mm_or_si128(below_cc, cyrillic)));
      if ((m.high & ~stable) == 0) {
        p += 16;
        // Continuation bytes ahead belong to a character this block began.
        while (p < end && (*p & 0xC0) == 0x80) ++p;
        continue;
      }
    }
#endif
    unsigned char c = *p;
    if (c < 0x80) {
      p = skip_ascii(p + 1, end);
    } else if (c < 0xCC || c == 0xD0 || c == 0xD1) {
      p += 2;
    } else if (c == 0xE2 && end - p >= 3 &&
               ((p[1] == 0x80 && p[2] >= 0x82) || p[1] == 0x81 || p[1] == 0x82)) {
      p += 3;  // U+2002..U+20BF: punctuation and currency signs
    } else {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string nfc(std::string_view s) {
  if (!may_need_nfc(s)) return std::string(s);
  utf8proc_uint8_t* result = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                        static_cast<utf8proc_ssize_t>(s.size()), &result,
                        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return std::string(s);
  std::string out(reinterpret_cast<char*>(result), static_cast<size_t>(n));
  std::free(result);
  return out;
}

void nfc_in_place(std::string& s) {
  if (may_need_nfc(s)) s = nfc(s);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace feedpipe::parser
