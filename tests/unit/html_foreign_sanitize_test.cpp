#include <gtest/gtest.h>

#include <string>

#include "parser/html/stream_sanitize.h"

namespace feedpipe::parser::html {
namespace {

constexpr const char* kBase = "http://blog.example/posts/";

struct Case {
  const char* input;
  const char* expected;
};

void expect_all(const Case* begin, const Case* end) {
  for (const Case* c = begin; c != end; ++c) {
    std::string once = stream_sanitize(c->input, kBase);
    EXPECT_EQ(once, c->expected) << c->input;
    EXPECT_EQ(stream_sanitize(once, kBase), once) << "not a fixed point: " << c->input;
  }
}

TEST(HtmlForeignSanitize, InlineSvgDiagramsAreKept) {
  const Case cases[] = {
      // camelCase restored, attributes in name order, the namespace declared.
      {"<SVG VIEWBOX=\"0 0 10 10\" width=10><circle cx=5 cy=5 r=4 fill=\"#f00\"/></SVG>",
       "<svg viewBox=\"0 0 10 10\" width=\"10\" xmlns=\"http://www.w3.org/2000/svg\">"
       "<circle cx=\"5\" cy=\"5\" fill=\"#f00\" r=\"4\"></circle></svg>"},
      // Gradients and `<use>` that point inside the document.
      {"<svg><defs><lineargradient id=g><stop offset=0 stop-color=red /></lineargradient>"
       "</defs><rect fill=\"url(#g)\" width=1 height=1 /><use xlink:href=\"#g\"/></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><defs><linearGradient id=\"g\">"
       "<stop offset=\"0\" stop-color=\"red\"></stop></linearGradient></defs>"
       "<rect fill=\"url(#g)\" height=\"1\" width=\"1\"></rect>"
       "<use xlink:href=\"#g\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"></use></svg>"},
      // A link in a diagram resolves like an HTML link; `title` is SVG's, not HTML's.
      {"<svg><a xlink:href=\"../about\"><title>About</title><text x=1>go</text></a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a xlink:href=\"http://blog.example/about\" "
       "xmlns:xlink=\"http://www.w3.org/1999/xlink\"><title>About</title><text x=\"1\">go</text>"
       "</a></svg>"},
      // HTML allowed inside a description; animation of a presentation attribute.
      {"<svg><desc><abbr title=t>SVG</abbr></desc><rect width=1><animate "
       "attributeName=\"opacity\" from=0 to=1 dur=1s /></rect></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><desc><abbr title=\"t\">SVG</abbr></desc>"
       "<rect width=\"1\"><animate attributeName=\"opacity\" dur=\"1s\" from=\"0\" to=\"1\">"
       "</animate></rect></svg>"},
      {"<p>before</p><svg></svg><p>after</p>",
       "<p>before</p><svg xmlns=\"http://www.w3.org/2000/svg\"></svg><p>after</p>"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlForeignSanitize, MathMlFormulasAreKept) {
  const Case cases[] = {
      {"x = <math display=block><mfrac><mi>a</mi><mn>2</mn></mfrac><mo>&#x2212;</mo>"
       "<msqrt><mi>b</mi></msqrt></math>",
       "x = <math display=\"block\" xmlns=\"http://www.w3.org/1998/Math/MathML\"><mfrac><mi>a</mi>"
       "<mn>2</mn></mfrac><mo>&#x2212;</mo><msqrt><mi>b</mi></msqrt></math>"},
      {"<math xmlns='http://www.w3.org/1998/Math/MathML'><mrow href=\"/x\" "
       "xlink:href=\"http://a.example/\"><mi>y</mi></mrow></math>",
       "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow href=\"http://blog.example/x\" "
       "xlink:href=\"http://a.example/\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"><mi>y</mi>"
       "</mrow></math>"},
      // Unknown MathML is unwrapped, its text kept.
      {"<math><mi mathvariant=bold onmouseover=\"x()\">v</mi><mfoo>t</mfoo></math>",
       "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi mathvariant=\"bold\">v</mi>t"
       "</math>"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlForeignSanitize, HostileSvgIsStripped) {
  const Case cases[] = {
      // Event handlers.
      {"<svg onload=\"alert(1)\"><circle onclick=\"x()\" r=1 /></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"1\"></circle></svg>"},
      // javascript: links, also spelled with references or whitespace.
      {"<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a><text>x</text></a></svg>"},
      {"<svg><a xlink:href=\"&#106;ava&#x73;cript:alert(1)\">x</a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a>x</a></svg>"},
      {"<svg><a xlink:href=\" JavaScript:alert(1)\">x</a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a>x</a></svg>"},
      {"<svg><a href=\"javascript:alert(1)\">x</a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a>x</a></svg>"},
      // Animations that would turn a link or a handler into script.
      {"<svg><a><animate attributeName=href values=javascript:alert(1) /><text>x</text></a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a><text>x</text></a></svg>"},
      {"<svg><a><set attributeName=\"xlink:href\" to=\"javascript:alert(1)\"/>x</a></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><a>x</a></svg>"},
      {"<svg><set attributeName=\" OnClick \" to=\"alert(1)\"><desc>d</desc></set>k</svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\">k</svg>"},
      {"<svg><animate attributeName=\"&#104;ref\" values=\"javascript:x\"/></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"},
      // Scripts, styles and HTML holes.
      {"<svg><script>alert(1)</script><style>*{}</style><title><script>x()</script>t</title>"
       "</svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><title>t</title></svg>"},
      {"<svg><foreignObject><div>html<img src=x></div></foreignObject><g></g></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><g></g></svg>"},
      // References to other documents.
      {"<svg><use xlink:href=\"http://evil.example/s.svg#a\"/><use xlink:href=\"data:x\"/></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><use></use><use></use></svg>"},
      {"<svg><rect fill=\"url(javascript:alert(1))\" stroke=\"URL( 'http://t.example/p#x' )\" "
       "style=\"fill:url(javascript:alert(1))\" xml:base=\"javascript:x//\"/></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect></rect></svg>"},
      // An HTML element inside SVG keeps the HTML rules for its style.
      {"<svg><desc><span style=\"color: red; background: url(javascript:x)\">s</span></desc></svg>",
       "<svg xmlns=\"http://www.w3.org/2000/svg\"><desc><span style=\"color: red;\">s</span>"
       "</desc></svg>"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlForeignSanitize, SchemeSplitByWhitespaceStaysARelativeLink) {
  // A browser removes tabs from URLs; resolved against the base first, the value can only
  // name a path on the feed's site.
  std::string out =
      stream_sanitize("<svg><a xlink:href=\"java&#x09;script:alert(1)\">x</a></svg>", kBase);
  EXPECT_NE(out.find("xlink:href=\"http://blog.example/posts/java"), std::string::npos) << out;
}

TEST(HtmlForeignSanitize, HostileMathMlIsStripped) {
  const Case cases[] = {
      {"<math><mi href=\"javascript:alert(1)\" xlink:href=\"vbscript:x\">x</mi></math>",
       "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mi>x</mi></math>"},
      {"<math><mglyph src=\"javascript:x\" alt=a></mglyph><script>x()</script>"
       "<maction actiontype=statusline onclick=x()>m</maction></math>",
       "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mglyph></mglyph>"
       "<maction actiontype=\"statusline\">m</maction></math>"},
  };
  expect_all(std::begin(cases), std::end(cases));
}

TEST(HtmlForeignSanitize, UnclosedForeignContentIsClosed) {
  EXPECT_EQ(stream_sanitize("<svg><g><circle r=1>", kBase),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><g><circle r=\"1\"></circle></g></svg>");
  EXPECT_EQ(stream_sanitize("<math><mrow><mi>x</math>after", kBase),
            "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"><mrow><mi>x</mi></mrow></math>"
            "after");
}

}  // namespace
}  // namespace feedpipe::parser::html
