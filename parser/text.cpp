#include "parser/text.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

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

}  // namespace

std::string_view html_entity(std::string_view name) {
  auto it = std::lower_bound(std::begin(kEntities), std::end(kEntities), name,
                             [](const NamedEntity& e, std::string_view n) { return e.name < n; });
  if (it != std::end(kEntities) && it->name == name) return it->value;
  return {};
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
        if (declared) {
          for (const auto& [n, v] : *declared) {
            if (n == name) {
              value = v;
              break;
            }
          }
        }
        if (value.empty()) {
          value = html_entity(name);
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
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Skip ASCII eight bytes at a time.
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
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

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending = false;
  for (char c : s) {
    if (is_space(c)) {
      pending = !out.empty();
    } else {
      if (pending) out += ' ';
      pending = false;
      out += c;
    }
  }
  return out;
}

std::string nfc(std::string_view s) {
  bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
  if (ascii) return std::string(s);
  utf8proc_uint8_t* result = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                        static_cast<utf8proc_ssize_t>(s.size()), &result,
                        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return std::string(s);
  std::string out(reinterpret_cast<char*>(result), static_cast<size_t>(n));
  std::free(result);
  return out;
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
