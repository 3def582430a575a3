#include <gtest/gtest.h>

#include <string>

#include "parser/html/render.h"
#include "parser/html/sanitize.h"

namespace feedpipe::parser::html {
namespace {

struct Case {
  const char* input;
  const char* expected;
};

TEST(HtmlSanitize, AllowListAndSerialisation) {
  const Case cases[] = {
      {"<p>Hello <b>world</b></p>", "<p>Hello <b>world</b></p>"},
      {"<P CLASS=x>Upper</P>", "<p class=\"x\">Upper</p>"},
      {"line<br>break<hr>", "line<br />break<hr />"},
      {"<img src=\"a.png\" alt='x \"q\"'>", "<img alt=\"x &quot;q&quot;\" src=\"a.png\" />"},
      {"keep<script>alert(1)</script> this", "keep this"},
      {"a<style>p{color:red}</style>b", "ab"},
      {"<blink>unwrapped</blink> text", "unwrapped text"},
      {"x<applet code=a><b>gone</b></applet>y", "xy"},
      {"<a href=\"javascript:alert(1)\">j</a>", "<a href=\"\">j</a>"},
      {"<a href=\" JaVa\tScript:alert(1)\">j</a>", "<a href=\"\">j</a>"},
      {"<a href=\"vbscript:x\">v</a><img src=\"data:image/png;base64,AA\">",
       "<a href=\"\">v</a><img src=\"\" />"},
      // Safe schemes in any case; one longer than any safe scheme is not safe.
      {"<a href=\"HTTPS://e.example/\">h</a><a href=\"Svn+Ssh://r\">s</a>",
       "<a href=\"HTTPS://e.example/\">h</a><a href=\"Svn+Ssh://r\">s</a>"},
      {"<a href=\"mailtomailtomailtomailto:x\">m</a>", "<a href=\"\">m</a>"},
      {"<img src=x onerror=\"steal()\" onload=y>", "<img src=\"x\" />"},
      {"<div data-x=1 i$=\"2\" id=k>d</div>", "<div id=\"k\">d</div>"},
      {"a &amp; b &lt;c&gt; &copy;", "a &amp; b &lt;c&gt; &copy;"},  // written back as written
      {"<!-- comment -->visible", "visible"},
      {"<event-source></event-source>", "<event-source></event-source>"},
      {"safe<iframe src=\"http://example.com/\"> <b>fallback</b></iframe>",
       "safe <b>fallback</b>"},
      {"<svg><title>icon</title><path d=\"M0\" onclick=\"x()\"/></svg>text",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>icon</title><path d=\"M0\"></path></svg>"
       "text"},
      {"<p>unclosed<p>second", "<p>unclosed</p><p>second</p>"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(sanitize_html(c.input, ""), c.expected) << c.input;
  }
}

TEST(HtmlSanitize, StyleIsFilteredLikeFeedparser) {
  EXPECT_EQ(sanitize_html("<span style=\"color:red; position:absolute\">s</span>", ""),
            "<span style=\"color: red;\">s</span>");
  EXPECT_EQ(sanitize_html("<span style=\"margin: 0 4px; padding: 99999em\">s</span>", ""),
            "<span style=\"margin: 0 4px;\">s</span>");
  EXPECT_EQ(sanitize_html("<span style=\"background-image:url(http://x/y.png)\">s</span>", ""),
            "<span>s</span>");
  EXPECT_EQ(sanitize_html("<span style=\"width: expression(alert(1))\">s</span>", ""),
            "<span>s</span>");
  EXPECT_EQ(sanitize_style("font-family : 'Open Sans'; mso-bidi: x"),
            "font-family: 'Open Sans';");
}

TEST(HtmlSanitize, DeepNestingIsBounded) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  deep += "core";
  std::string out = sanitize_html(deep, "");
  EXPECT_NE(out.find("core"), std::string::npos);
  EXPECT_EQ(html_to_text(deep), "core");
}

TEST(HtmlToText, CollapsesWhitespaceAndDecodesEntities) {
  EXPECT_EQ(html_to_text("  Hello\n\t <b>big</b>&nbsp;&amp; <i>wide</i>  world "),
            "Hello big & wide world");
  EXPECT_EQ(html_to_text("<p>One</p><p>Two</p>"), "One Two");
  EXPECT_EQ(html_to_text("a<script>var x = 1;</script>b<style>p{}</style>"), "ab");
  EXPECT_EQ(html_to_text(""), "");
}

TEST(HtmlToText, ParagraphsAreSeparatedByBlankLines) {
  EXPECT_EQ(html_to_text("<h2>Title</h2><p>First <em>para</em>.</p><div>Second<br>line</div>"
                         "<ul><li>one</li><li>two</li></ul>",
                         true),
            "Title\n\nFirst para.\n\nSecond\nline\n\none\n\ntwo");
  EXPECT_EQ(html_to_text("<pre>a  b\nc</pre>", true), "a b\nc");
}

}  // namespace
}  // namespace feedpipe::parser::html
