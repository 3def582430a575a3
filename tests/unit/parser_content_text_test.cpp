// The visible text the parser makes while sanitising an HTML body (Content::text) must be
// what reading the sanitised HTML again gives, and normalisation must not depend on which
// of the two made it.

#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "parser/feed_parser.h"
#include "parser/html/stream_sanitize.h"
#include "parser/normalize.h"

namespace feedpipe::parser {
namespace {

std::string feed_with_body(const std::string& html) {
  std::string cdata;
  for (size_t i = 0; i < html.size(); ++i) {
    if (html.compare(i, 3, "]]>") == 0) {
      cdata += "]]]]><![CDATA[>";
      i += 2;
    } else {
      cdata += html[i];
    }
  }
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"
         "<channel><title>T</title><item><title>x</title><guid>g</guid>"
         "<content:encoded><![CDATA[" + cdata + "]]></content:encoded></item></channel></rss>";
}

const std::vector<std::string>& bodies() {
  static const std::vector<std::string> kBodies = {
      "<p>One &amp; two</p><p>three&nbsp;four &ldquo;q&rdquo; &#8212; &#150; soft\xC2\xADhyphen</p>",
      "<div>a<br>b<br/>c</div><table><tr><td>x</td><td>y</td></tr></table>",
      "<pre>line 1\n  line 2\n</pre>after <b>bold</b> <i>it</i>",
      "<p>before<svg><title>hidden</title><circle r=\"1\"/></svg>after</p>",
      "<p>x<textarea>not <b>shown</b></textarea>y<iframe src=\"/f\"><p>fallback</p></iframe>z</p>",
      "<title>A &amp; <b>B</b></title><p>body</p>",
      "<math><mi>x</mi><mo>=</mo><mn>2</mn></math> text <select><option>o</option></select>",
      "<script>evil()</script><style>p{}</style><p onclick=\"x\">kept</p><a href=\"/rel\">link</a>",
      "<ul><li>one<li>two</ul><p>unclosed <em>emphasis<p>next",
      "text with < bare and & bare and <![CDATA[cdata]]> and <!-- comment --> end",
      "<pre>a<pre>b</pre>c\nd</pre>e\nf",
      "<video><source src=\"v.mp4\">no video</video><audio>no audio</audio><object>obj</object>",
      "<p>Caf\xC3\xA9 e\xCC\x81 \xD0\x9D\xD0\xBE\xD0\xB2\xD0\xBE\xD1\x81\xD1\x82\xD0\xB8</p>",
      "<h1>Head</h1><blockquote>quote</blockquote><figure><img src=\"i.png\"><figcaption>cap</figcaption></figure>",
  };
  return kBodies;
}

TEST(ParserContentText, TextMadeWhileSanitisingMatchesReadingTheHtmlAgain) {
  int made = 0;
  for (const auto& body : bodies()) {
    ParsedFeed f = parse_feed(feed_with_body(body), DocumentInfo{"https://x.example/feed", "", "", ""});
    ASSERT_EQ(f.entries.size(), 1u) << body;
    ASSERT_EQ(f.entries[0].content.size(), 1u) << body;
    const Content& c = f.entries[0].content[0];
    if (!c.has_text) continue;
    ++made;
    EXPECT_EQ(c.text, html::stream_html_to_text(c.value, true)) << body;
  }
  // The point of the text is to be made in passing: most bodies must get it.
  EXPECT_GE(made, static_cast<int>(bodies().size()) - 2);
}

TEST(ParserContentText, NormalisedItemIsTheSameWithoutTheText) {
  NormalizeOptions o{"https://x.example/feed", 0, nullptr};
  for (const auto& body : bodies()) {
    ParsedFeed f = parse_feed(feed_with_body(body), DocumentInfo{"https://x.example/feed", "", "", ""});
    ASSERT_EQ(f.entries.size(), 1u);
    Item with = to_item(f, f.entries[0], o);
    Entry plain = f.entries[0];
    for (auto& c : plain.content) {
      c.has_text = false;
      c.text.clear();
    }
    Item without = to_item(f, plain, o);
    EXPECT_EQ(with.content_text, without.content_text) << body;
    EXPECT_EQ(with.content_sha256, without.content_sha256) << body;
  }
}

// Random markup from pieces that exercise every rule of the text pass: blocks, breaks,
// cells, pre, invisible and raw-text elements, foreign content, references, broken tags.
TEST(ParserContentText, RandomMarkupGivesTheSameTextBothWays) {
  static const char* const kPieces[] = {
      "<p>", "</p>", "<div>", "</div>", "<br>", "<br/>", "</br>", "<td>", "<th>", "<tr>",
      "<table>", "</table>", "<pre>", "</pre>", "<PRE>", "<li>", "<ul>", "</ul>", "<b>", "</b>",
      "<title>", "</title>", "<textarea>", "</textarea>", "<iframe>", "</iframe>", "<svg>",
      "</svg>", "<svg/>", "<math>", "</math>", "<select>", "</select>", "<option>", "<video>",
      "</video>", "<script>", "</script>", "<style>", "</style>", "<noscript>", "</noscript>",
      "<h2>", "</h2>", "<a href=\"/x?a=1&amp;b=2\">", "</a>", "<img src=\"i.png\">",
      "<foreignObject>", "</foreignObject>", "<desc>", "</desc>", "<template>", "</template>",
      "word", " ", "  ", "\n", "\t", "&amp;", "&lt;", "&gt;", "&nbsp;", "&#160;", "&#173;",
      "\xC2\xAD", "\xC2\xA0", "&#150;", "&#x2014;", "&hellip;", "&bogus;", "&", "<", ">",
      "<!-- c -->", "<![CDATA[x]]>", "<!doctype html>", "<?pi?>", "</", "<p class=\"a\"",
      "\xD0\x9F\xD1\x80", "e\xCC\x81", "\xE2\x80\x9C", "</TITLE>", "<Title>", "\r\n"};
  std::uint64_t seed = 0x2545F4914F6CDD1DULL;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return static_cast<std::size_t>(seed >> 11);
  };
  int made = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string html;
    std::size_t n = 1 + next() % 30;
    for (std::size_t k = 0; k < n; ++k) html += kPieces[next() % std::size(kPieces)];
    for (bool paragraphs : {true, false}) {
      std::string out, text;
      bool ok = html::stream_sanitize_with_text(html, "https://x.example/a/", paragraphs, out, text);
      ASSERT_EQ(out, html::stream_sanitize(html, "https://x.example/a/")) << html;
      if (!ok) continue;
      ++made;
      ASSERT_EQ(text, html::stream_html_to_text(out, paragraphs)) << html;
    }
  }
  EXPECT_GT(made, 9000);
}

TEST(ParserContentText, NoTextWhenTheOutputNeededRepair) {
  std::string html, text;
  EXPECT_FALSE(html::stream_sanitize_with_text("<p>bad \xFF byte</p>", "", true, html, text));
  EXPECT_TRUE(text.empty());
  EXPECT_EQ(html, html::stream_sanitize("<p>bad \xFF byte</p>", ""));
}

}  // namespace
}  // namespace feedpipe::parser
