// The block-at-a-time scans of parser/text.h against byte-at-a-time definitions, on text
// that mixes ASCII, two-, three- and four-byte characters, control characters and broken
// sequences at every position of a 16-byte block.

#include <gtest/gtest.h>

#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "parser/text.h"

namespace feedpipe::parser {
namespace {

bool reference_valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
    if (n == 9 || i + n >= s.size()) return false;
    char32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

size_t reference_first_control(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') return i;
  }
  return s.size();
}

std::string reference_nfc(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                        static_cast<utf8proc_ssize_t>(s.size()), &out,
                        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return s;
  std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return r;
}

struct Rng {
  std::uint64_t s = 88172645463325252ULL;
  std::uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<std::uint32_t>(s);
  }
};

// Pieces text is built from: plain words, Cyrillic, accents that compose, punctuation,
// CJK, emoji, control characters and broken or overlong sequences.
const std::vector<std::string>& pieces() {
  static const std::vector<std::string> kPieces = {
      "harbour ", "a", " ", "\n", "\t", "\xD0\x9D\xD0\xBE\xD0\xB2", "\xD1\x8F ", "\xC3\xA9",
      "e\xCC\x81", "\xE2\x80\x94", "\xE2\x80\x9C", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xC2\xA0",
      "\x01", "\x1F", "\xC0\xAF", "\xC2", "\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xCC\x88",
      "\xE1\xBA\xA0", "\xCB\x86", "A\xCC\x8A", "0123456789abcdef"};
  return kPieces;
}

std::string random_text(Rng& rng, bool broken) {
  std::string s;
  int n = 1 + static_cast<int>(rng.next() % 40);
  for (int i = 0; i < n; ++i) {
    const auto& p = pieces()[rng.next() % pieces().size()];
    bool bad = p == "\x01" || p == "\x1F" || p == "\xC0\xAF" || p == "\xC2" || p == "\x80" ||
               p == "\xED\xA0\x80" || p == "\xF4\x90\x80\x80";
    if (bad && !broken) continue;
    s += p;
  }
  return s;
}

TEST(ParserTextScan, ValidUtf8MatchesTheDefinition) {
  Rng rng;
  for (int i = 0; i < 20000; ++i) {
    std::string s = random_text(rng, i % 2 == 0);
    // Some texts long enough for the validator of long texts, broken in one place at most.
    if (i % 4 == 1)
      for (int k = 0; k < 8; ++k) s += random_text(rng, i % 8 == 1 && k == 5);
    ASSERT_EQ(valid_utf8(s), reference_valid_utf8(s)) << s;
  }
}

TEST(ParserTextScan, FirstControlCharMatchesTheDefinition) {
  Rng rng;
  for (int i = 0; i < 20000; ++i) {
    std::string s = random_text(rng, true);
    ASSERT_EQ(first_control_char(s), reference_first_control(s)) << s;
  }
}

TEST(ParserTextScan, NfcMatchesUtf8proc) {
  Rng rng;
  for (int i = 0; i < 20000; ++i) {
    std::string s = random_text(rng, i % 4 == 0);
    ASSERT_EQ(nfc(s), reference_nfc(s)) << s;
    std::string t = s;
    nfc_in_place(t);
    ASSERT_EQ(t, reference_nfc(s)) << s;
  }
}

}  // namespace
}  // namespace feedpipe::parser
