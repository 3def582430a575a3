#include <gtest/gtest.h>

#include <string>

#include "parser/html/stream_sanitize.h"
#include "parser/text.h"

namespace feedpipe::parser::html {
namespace {

struct Case {
  const char* input;
  const char* expected;
};

void expect_all(const Case* begin, const Case* end, std::string_view base = "") {
  for (const Case* c = begin; c != end; ++c) {
    EXPECT_EQ(stream_sanitize(c->input, base), c->expected) << c->input;
  }
}

TEST(HtmlStreamSanitize, ReferencesAreWrittenBackAsWritten) {
  const Case cases[] = {
      {"<b>&#38;</b>", "<b>&#38;</b>"},
      {"<b>&#X26;</b>", "<b>&#x26;</b>"},
      {"&amp; &lt;x&gt;", "&amp; &lt;x&gt;"},
      {"&copy; 2024", "&copy; 2024"},
      {"&#150;", "&#x2013;"},  // cp1252 en dash, as feedparser maps it
      {"fish & chips", "fish &amp; chips"},
      {"&nosuchname; &#; &", "&amp;nosuchname; &amp;#; &amp;"},
      {"1 < 2 > 0", "1 &lt; 2 > 0"},  // a bare > opens nothing
      {"<a title=\"&#38; & <\" href=\"http://x/?a=1&amp;b=2\">t</a>",
       "<a href=\"http://x/?a=1&amp;b=2\" title=\"&#38; &amp; &lt;\">t</a>"},
      {"a\r\nb\rc", "a\nb\nc"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlStreamSanitize, AllowListAndSerialisation) {
  const Case cases[] = {
      {"<P CLASS=x>Upper</P>", "<p class=\"x\">Upper</p>"},
      {"line<br>break<hr/>", "line<br />break<hr />"},
      {"<blink>unwrapped</blink> text", "unwrapped text"},
      {"<div onclick=\"x()\" title='t \"q\"' id=a id=b>d</div>",
       "<div id=\"a\" title=\"t &quot;q&quot;\">d</div>"},
      {"<span style=\"color:red; position:absolute\">s</span>",
       "<span style=\"color: red;\">s</span>"},
      {"<p>one<p>two<ul><li>a<li>b</ul>", "<p>one</p><p>two</p><ul><li>a</li><li>b</li></ul>"},
      {"<a name=\"x\"/>after<a name=y/>", "<a name=\"x\"></a>after<a name=\"y/\"></a>"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlStreamSanitize, HostileMarkupIsDropped) {
  const Case cases[] = {
      {"keep<script>alert('</b>')</script> this", "keep this"},
      {"a<SCRIPT type=x>if (a<b) x()</SCRIPT >b", "ab"},
      {"a<style>p{}</style>b<applet><b>x</b></applet>c", "abc"},
      {"<img src=\"x\" alt=\"<script>alert(1)</script>\">",
       "<img alt=\"&lt;script&gt;alert(1)&lt;/script&gt;\" src=\"x\" />"},
      {"<a href=\"jav&#x61;script:alert(1)\">j</a>", "<a href=\"\">j</a>"},
      {"<a href=\" java\tscript&colon;alert(1)\">j</a>", "<a href=\"\">j</a>"},
      {"<a href=\"&#106;avascript:x\">j</a>", "<a href=\"\">j</a>"},
      {"<img src=\"data:image/png;base64,AA\">", "<img src=\"\" />"},
      // A reference without ';' is checked as the terminated reference it is written as.
      {"<img src=\"java&#x09script:x\"><i src=\"j&#x6vascript:x\">",
       "<img src=\"\" /><i src=\"\"></i>"},
      {"<!-- <script>x</script> -->visible<!-- unterminated", "visible"},
      {"sa<!-- -- not closed >fe<script>alert(1);</script>", "safe"},
      {"&lt;!DOCTYPE ~ <!DOCTYPE x", "&lt;!DOCTYPE ~ &lt;!DOCTYPE x"},
      {"<![CDATA[<b>x</b>]]>", "&lt;![CDATA[<b>x</b>]]>"},
      {"<!DOCTYPE html><?php echo 1 ?>text", "text"},
      {"<script>never closed <b>bold</b>", ""},
      {"<b title=\"unterminated>text", ""},
      {"<b>open <i>nested", "<b>open <i>nested</i></b>"},
      {"stray</div></b>end", "strayend"},
      {"<b><i>x</b>y</i>", "<b><i>x</i></b>y"},
      {"<iframe src=\"http://x/\"><b>fallback</b></iframe>", "<b>fallback</b>"},
      {"< b>not a tag</ b>", "&lt; b>not a tag"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlStreamSanitize, OutputIsAFixedPoint) {
  const char* inputs[] = {
      "<a href=\"/x?a=1&b\rc\" title=\"t&#13;\r\n&#x26\">l</a>",
      "<p>a<b>b<i>c</b>d&#150;&copy<script>x</script><![CDATA[<q>]]>",
      "<img src=\"java&#x09script:x\" alt=\"a&quot;b\" style=\"color: red\">",
  };
  for (const char* in : inputs) {
    std::string once = stream_sanitize(in, "http://example.com/");
    EXPECT_EQ(stream_sanitize(once, "http://example.com/"), once) << in;
  }
}

TEST(HtmlStreamSanitize, RelativeUrlsResolve) {
  const Case cases[] = {
      {"<a href=\"/p?a=1&amp;b=2\">x</a>", "<a href=\"http://example.com/p?a=1&amp;b=2\">x</a>"},
      {"<img src=\"i.png\">", "<img src=\"http://example.com/d/i.png\" />"},
      {"<a href=\"mailto:a@b\">m</a>", "<a href=\"mailto:a@b\">m</a>"},
  };
  expect_all(std::begin(cases), std::end(cases), "http://example.com/d/page");
}

TEST(HtmlStreamSanitize, HugeAttributeCountsAndDeepNesting) {
  std::string tag = "<img";
  for (int i = 0; i < 20000; ++i) tag += " alt=\"a" + std::to_string(i) + "\" x" + std::to_string(i) + "=1";
  tag += ">";
  EXPECT_EQ(stream_sanitize(tag, ""), "<img alt=\"a0\" />");

  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  deep += "core";
  std::string out = stream_sanitize(deep, "");
  EXPECT_NE(out.find("core"), std::string::npos);
  // Every kept open tag is closed again.
  std::size_t opens = 0;
  std::size_t closes = 0;
  for (std::size_t p = out.find("<div>"); p != std::string::npos; p = out.find("<div>", p + 1)) ++opens;
  for (std::size_t p = out.find("</div>"); p != std::string::npos; p = out.find("</div>", p + 1)) ++closes;
  EXPECT_GT(opens, 0u);
  EXPECT_EQ(opens, closes);
  EXPECT_EQ(stream_html_to_text(deep, false), "core");
}

TEST(HtmlStreamSanitize, OutputIsAlwaysValidUtf8) {
  const std::string inputs[] = {
      std::string("caf\xE9 <b>\xC3</b>"),
      std::string("<img alt=\"\xFF\xFE\">"),
      std::string("\xE2\x82"),
  };
  for (const auto& in : inputs) {
    EXPECT_TRUE(valid_utf8(stream_sanitize(in, ""))) << in;
    EXPECT_TRUE(valid_utf8(stream_html_to_text(in, true))) << in;
  }
  EXPECT_EQ(stream_sanitize("a\xFF" "b", ""), "a\xEF\xBF\xBD" "b");
}

TEST(HtmlStreamToText, DecodesAndCollapses) {
  EXPECT_EQ(stream_html_to_text("  Hello\n\t <b>big</b>&nbsp;&amp; <i>wide</i>  world ", false),
            "Hello big & wide world");
  EXPECT_EQ(stream_html_to_text("a<script>var s = '<p>x</p>';</script>b<style>p{}</style>", false),
            "ab");
  EXPECT_EQ(stream_html_to_text("a<select><option>o</option></select>b<svg><text>t</text></svg>", false),
            "ab");
  EXPECT_EQ(stream_html_to_text("x&#38;y &#x263A; soft\xC2\xADhyphen", false),
            "x&y \xE2\x98\xBA softhyphen");
  EXPECT_EQ(stream_html_to_text("a<!-- hidden -->b<![CDATA[c]]>d", false), "abd");
}

TEST(HtmlStreamToText, ParagraphsAreSeparatedByBlankLines) {
  EXPECT_EQ(stream_html_to_text("<h2>Title</h2><p>First <em>para</em>.</p><div>Second<br>line</div>"
                                "<ul><li>one</li><li>two</li></ul><table><tr><td>c1<td>c2</table>",
                                true),
            "Title\n\nFirst para.\n\nSecond\nline\n\none\n\ntwo\n\nc1 c2");
  EXPECT_EQ(stream_html_to_text("<pre>a  b\nc</pre>", true), "a b\nc");
  EXPECT_EQ(stream_html_to_text("<p>One</p><p>Two</p>", false), "One Two");
}

}  // namespace
}  // namespace feedpipe::parser::html
