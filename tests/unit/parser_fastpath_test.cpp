// The parser's fast paths (scans that skip work, in-place helpers, the owning entry point)
// must give the same answers as the general code they short-circuit.

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>

#include "parser/charset.h"
#include "parser/feed_json.h"
#include "parser/feed_parser.h"
#include "parser/html/sanitize.h"
#include "parser/text.h"

namespace feedpipe::parser {
namespace {

TEST(ParserFastPath, FirstNonAsciiFindsTheByteAtAnyOffset) {
  for (size_t at = 0; at < 20; ++at) {
    std::string s(20, 'a');
    EXPECT_EQ(first_non_ascii(s), s.size());
    s[at] = '\xC3';
    EXPECT_EQ(first_non_ascii(s), at) << at;
  }
  EXPECT_EQ(first_non_ascii(""), 0u);
}

TEST(ParserFastPath, FirstControlCharSkipsTabNewlineAndReturn) {
  std::string s = "line one\tand\r\nline two, long enough for several words\n";
  EXPECT_EQ(first_control_char(s), s.size());
  for (size_t at = 0; at < s.size(); ++at) {
    std::string t = s;
    t[at] = '\x01';
    EXPECT_EQ(first_control_char(t), at) << at;
    t[at] = '\x1F';
    EXPECT_EQ(first_control_char(t), at) << at;
  }
  // Bytes above 0x7F are not control characters (UTF-8 continuation bytes look "negative").
  EXPECT_EQ(first_control_char("caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve text"), 21u);
}

TEST(ParserFastPath, CollapseWhitespaceKeepsSingleSpacesAndFoldsRuns) {
  EXPECT_EQ(collapse_whitespace("  a b  c\t\nd \te  "), "a b c d e");
  EXPECT_EQ(collapse_whitespace("word"), "word");
  EXPECT_EQ(collapse_whitespace(" \n\t "), "");
  EXPECT_EQ(collapse_whitespace("a \fb"), "a b");
}

TEST(ParserFastPath, TrimInPlaceAndContainsAny) {
  std::string s = " \t text here \r\n";
  trim_in_place(s);
  EXPECT_EQ(s, "text here");
  std::string blank = "   ";
  trim_in_place(blank);
  EXPECT_EQ(blank, "");
  EXPECT_TRUE(contains_any("plain & simple", "<&"));
  EXPECT_FALSE(contains_any("plain and simple", "<&>"));
}

// Texts long enough for the 16-byte block scans, with the bytes that stop them at every
// offset, checked against the plain definitions.
std::string random_text(std::uint32_t& seed, std::string_view alphabet, size_t max_len) {
  auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  std::string s(next() % (max_len + 1), ' ');
  for (char& c : s) c = alphabet[(next() >> 8) % alphabet.size()];
  return s;
}

TEST(ParserFastPath, CollapseWhitespaceOfLongTextIsWordsJoinedBySingleSpaces) {
  auto reference = [](std::string_view s) {
    std::string out, word;
    for (size_t i = 0; i <= s.size(); ++i) {
      char c = i < s.size() ? s[i] : ' ';
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
        word += c;
        continue;
      }
      if (!word.empty()) out += (out.empty() ? "" : " ") + word;
      word.clear();
    }
    return out;
  };
  std::uint32_t seed = 7;
  // Mostly word bytes, so that whole blocks are skipped and then stopped at any offset.
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz    \t\n\r\f\v\xC2\xA0";
  for (int round = 0; round < 4000; ++round) {
    std::string s = random_text(seed, alphabet, 90);
    ASSERT_EQ(collapse_whitespace(s), reference(s)) << "[" << s << "]";
  }
}

TEST(ParserFastPath, ContainsAnyOfLongTextFindsTheByteAtAnyOffset) {
  std::uint32_t seed = 11;
  for (std::string_view chars : {"<", "<&", "<&>", "<&>\"", "<&>\"'"}) {
    for (int round = 0; round < 1500; ++round) {
      std::string s = random_text(seed, "abcdefghij klmnop<&>\"'", 70);
      EXPECT_EQ(contains_any(s, chars), s.find_first_of(chars) != std::string::npos)
          << chars << " [" << s << "]";
    }
    for (size_t at = 0; at < 40; ++at) {
      std::string s(40, 'x');
      s[at] = chars.back();
      EXPECT_TRUE(contains_any(s, chars)) << chars << " at " << at;
    }
  }
}

TEST(ParserFastPath, NfcOfLongTextIsTheFullNormalisersAnswer) {
  // The checks that skip the normaliser must never skip a text it would change: pieces that
  // need composing land at every offset of long, mostly ASCII texts.
  auto full_nfc = [](const std::string& s) {
    utf8proc_uint8_t* out = nullptr;
    auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                          static_cast<utf8proc_ssize_t>(s.size()), &out,
                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(n));
    std::free(out);
    return r;
  };
  const std::string_view pieces[] = {"abcdefgh", "ijklmnop", " ", "e\xCC\x81", "\xC3\xA9",
                                     "\xE2\x80\x9C", "\xD0\x9F", "\xE1\x84\x80\xE1\x85\xA1"};
  std::uint32_t seed = 3;
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    size_t len = (seed = seed * 1664525u + 1013904223u) % 200;
    while (s.size() < len) {
      seed = seed * 1664525u + 1013904223u;
      // Mostly ASCII words, so that the long ASCII runs are skipped whole.
      size_t k = (seed >> 8) % 32;
      s += pieces[k < 26 ? k % 3 : k - 24];
    }
    ASSERT_EQ(nfc(s), full_nfc(s)) << s;
  }
}

TEST(ParserFastPath, NfcCheckStopsAtTheEndOfWholeAsciiRuns) {
  // Text that ends exactly where a run of 64-byte ASCII blocks ends, in a buffer of exactly
  // its size (a std::string would hide a read past the end behind its terminating NUL).
  for (size_t n : {64u, 128u, 192u}) {
    std::unique_ptr<char[]> buffer(new char[n]);
    std::memset(buffer.get(), 'a', n);
    std::string_view text(buffer.get(), n);
    EXPECT_EQ(nfc(text), std::string(n, 'a'));
  }
}

TEST(ParserFastPath, NfcInPlaceComposesOnlyWhenNeeded) {
  std::string composed = "Caf\xC3\xA9 \xD0\x9F\xD1\x80\xD0\xB8";
  std::string copy = composed;
  nfc_in_place(copy);
  EXPECT_EQ(copy, composed);
  std::string decomposed = "Cafe\xCC\x81";
  nfc_in_place(decomposed);
  EXPECT_EQ(decomposed, "Caf\xC3\xA9");
}

TEST(ParserFastPath, HtmlEntityTable) {
  EXPECT_EQ(html_entity("nbsp"), "\xC2\xA0");
  EXPECT_EQ(html_entity("rdquo"), "\xE2\x80\x9D");
  EXPECT_EQ(html_entity("notanentity"), "");
}

TEST(ParserFastPath, TextOfHtmlAroundSoftHyphensAndNoBreakSpaces) {
  using html::html_to_text;
  EXPECT_EQ(html_to_text("<p>one two  three</p><p>four&nbsp;five</p>", true),
            "one two three\n\nfour five");
  EXPECT_EQ(html_to_text("hy\xC2\xADphen and \xC2\xAD alone", false), "hyphen and  alone");
  EXPECT_EQ(html_to_text("\xC2\xAD lead", false), "lead");
  EXPECT_EQ(html_to_text("caf\xC3\xA9 \xC2\xA0 x \xC2", false), "caf\xC3\xA9 x \xEF\xBF\xBD");
  EXPECT_EQ(html_to_text("<pre>a b\nc  d</pre>", true), "a b\nc d");
}

// The general rule the text writer's run and block skipping must agree with: words are
// maximal runs of non-whitespace (NBSP is whitespace), joined by one space, with soft
// hyphens removed.
std::string reference_text(std::string_view s) {
  auto ws_at = [&](size_t i) -> size_t {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
    return (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') ? 2 : 0;
  };
  std::string out;
  bool space = false;
  size_t i = 0;
  while (i < s.size()) {
    if (size_t w = ws_at(i)) {
      space = true;
      i += w;
      continue;
    }
    size_t j = i;
    while (j < s.size() && ws_at(j) == 0) ++j;
    std::string word(s.substr(i, j - i));
    for (size_t p = word.find("\xC2\xAD"); p != std::string::npos; p = word.find("\xC2\xAD"))
      word.erase(p, 2);
    if (!out.empty() && space) out += ' ';
    space = false;
    out += word;
    i = j;
  }
  return out;
}

TEST(ParserFastPath, TextWriterAgreesWithTheGeneralRuleOnRandomText) {
  const char* pieces[] = {"ab", "c", "lengthy", " ", " ", " ", "  ", "\t", "\n", "\xC2\xA0",
                          "\xC2\xAD", "\xC2\xA9", "\xD0\x96"};
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    size_t n = next() % 60;
    for (size_t k = 0; k < n; ++k) s += pieces[next() % std::size(pieces)];
    ASSERT_EQ(html::html_to_text(s, false), reference_text(s)) << "input: " << s;
  }
}

// Large single-byte documents go through a per-byte table; small ones through iconv. Both
// must read the same bytes the same way, and reject the same bytes.
TEST(ParserFastPath, SingleByteTableMatchesIconv) {
  for (const char* charset : {"windows-1251", "koi8-r", "iso-8859-7", "windows-1252"}) {
    std::string piece;
    for (int b = 1; b < 256; ++b) {
      std::string one(1, static_cast<char>(b)), ignored;
      if (transcode_to_utf8(one, charset, &ignored)) piece += one;
    }
    ASSERT_GT(piece.size(), 128u) << charset;
    std::string small;
    ASSERT_TRUE(transcode_to_utf8(piece, charset, &small)) << charset;
    std::string big_input, expected;
    while (big_input.size() < (200 << 10)) {
      big_input += piece;
      expected += small;
    }
    std::string big;
    ASSERT_TRUE(transcode_to_utf8(big_input, charset, &big)) << charset;
    EXPECT_EQ(big, expected) << charset;
  }
  // 0x98 is unassigned in windows-1251: the whole document is not windows-1251.
  std::string bad(100 << 10, 'a');
  bad[70000] = '\x98';
  std::string out;
  EXPECT_FALSE(transcode_to_utf8(bad, "windows-1251", &out));
  for (size_t at : {size_t{0}, size_t{15}, size_t{16}, bad.size() - 1}) {
    std::string moved(100 << 10, 'a');
    moved[at] = '\x98';
    EXPECT_FALSE(transcode_to_utf8(moved, "windows-1251", &out)) << at;
  }
  std::string small_bad = "abc\x98";
  EXPECT_FALSE(transcode_to_utf8(small_bad, "windows-1251", &out));
}

constexpr const char* kFeed = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Port &amp; Harbour</title><link>https://port.example/</link>
<item><title>One</title><link>/1</link><description>First &lt;b&gt;one&lt;/b&gt;</description>
<content:encoded><![CDATA[<p>Body <a href="/x">one</a></p>]]></content:encoded></item>
<item><title>Two</title><link>/2</link><description>Second</description></item>
<item><title>Three</title><link>/3</link></item>
</channel></rss>)";

TEST(ParserFastPath, OwnedParseMatchesBorrowedParse) {
  DocumentInfo info;
  info.base_url = "https://port.example/rss";
  // Well-formed, and broken (the repair path reads the original bytes a second time).
  for (std::string doc : {std::string(kFeed), std::string(kFeed).substr(0, 420) + "<b>&"}) {
    ParsedFeed borrowed = parse_feed(doc, info);
    ParsedFeed owned = parse_feed_owned(std::string(doc), info);
    EXPECT_EQ(feed_to_json(owned), feed_to_json(borrowed));
    EXPECT_FALSE(owned.entries.empty());
  }
  ParsedFeed f = parse_feed_owned(std::string(kFeed), info);
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[2].title, "Three");
  EXPECT_EQ(f.entries[0].link, "https://port.example/1");
}

}  // namespace
}  // namespace feedpipe::parser
