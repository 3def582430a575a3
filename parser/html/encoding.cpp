#include "parser/html/encoding.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <cerrno>
#include <memory>

namespace feedpipe::parser::html {
namespace {

struct IconvDeleter {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};
using Iconv = std::unique_ptr<void, IconvDeleter>;

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return r;
}

// The charset named in the first bytes of the page, lower-case; empty when none.
std::string declared_charset(std::string_view bytes) {
  std::string head = lower(bytes.substr(0, 4096));
  std::size_t at = 0;
  while ((at = head.find("charset", at)) != std::string::npos) {
    std::size_t i = at + 7;
    at = i;
    while (i < head.size() && (head[i] == ' ' || head[i] == '\t')) ++i;
    if (i >= head.size() || head[i] != '=') continue;
    ++i;
    while (i < head.size() && (head[i] == ' ' || head[i] == '"' || head[i] == '\'')) ++i;
    std::size_t e = i;
    while (e < head.size() && (std::isalnum(static_cast<unsigned char>(head[e])) || head[e] == '-' ||
                               head[e] == '_' || head[e] == ':' || head[e] == '.')) {
      ++e;
    }
    if (e > i) return head.substr(i, e - i);
  }
  return {};
}

bool convert(std::string_view bytes, const std::string& charset, std::string& out) {
  Iconv cd(iconv_open("UTF-8", charset.c_str()));
  if (cd.get() == reinterpret_cast<void*>(-1)) {
    cd.release();
    return false;
  }
  out.clear();
  out.reserve(bytes.size() + bytes.size() / 2);
  char buffer[16384];
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  while (in_left > 0) {
    char* dst = buffer;
    std::size_t dst_left = sizeof buffer;
    std::size_t r = iconv(static_cast<iconv_t>(cd.get()), &in, &in_left, &dst, &dst_left);
    out.append(buffer, static_cast<std::size_t>(dst - buffer));
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      // Invalid or truncated sequence: replace one byte and go on.
      out += "\xEF\xBF\xBD";
      ++in;
      --in_left;
    }
  }
  return true;
}

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4 || i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Declared UTF-8 with a few bad bytes: keep the good sequences, replace the bad bytes.
std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // ASCII fast path, 32 and then 8 bytes at a time.
    while (i + 32 <= s.size()) {
      std::uint64_t words[4];
      std::memcpy(words, s.data() + i, 32);
      if (((words[0] | words[1] | words[2] | words[3]) & 0x8080808080808080ULL) != 0) break;
      i += 32;
    }
    while (i + 8 <= s.size()) {
      std::uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= s.size()) break;
    std::size_t len = utf8_sequence(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string_view page_to_utf8(std::string_view bytes, std::string& converted) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  if (is_valid_utf8(bytes)) return bytes;
  std::string charset = declared_charset(bytes);
  if (charset == "utf-8" || charset == "utf8") {
    converted = repair_utf8(bytes);
    return converted;
  }
  if (charset.empty() || charset == "iso-8859-1" ||
      charset == "latin1" || charset == "us-ascii" || charset == "ascii") {
    // Mislabelled or unlabelled legacy bytes: browsers read these as windows-1252.
    charset = "windows-1252";
  }
  if (convert(bytes, charset, converted) || convert(bytes, "windows-1252", converted)) {
    return converted;
  }
  return bytes;
}

}  // namespace feedpipe::parser::html
