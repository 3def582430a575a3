#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "parser/html/dom.h"

namespace feedpipe::parser::html {
namespace {

std::vector<std::string> element_names(const Document& doc) {
  std::vector<std::string> names;
  for (const Node& n : doc.nodes()) {
    if (n.kind == NodeKind::kElement) names.emplace_back(n.name);
  }
  return names;
}

std::string all_text(const Document& doc) {
  std::string text;
  for (const Node& n : doc.nodes()) {
    if (n.kind == NodeKind::kText) text += n.text;
  }
  return text;
}

TEST(HtmlDom, DocumentIsFlattenedInPreOrder) {
  Document doc("<title>T</title><p>a<b>b</b></p><p>c", false);
  EXPECT_EQ(element_names(doc),
            (std::vector<std::string>{"html", "head", "title", "body", "p", "b", "p"}));
  ASSERT_EQ(doc.node(0).tag, Tag::kHtml);
  EXPECT_EQ(doc.node(0).end, doc.size());
  for (std::uint32_t i = 1; i < doc.size(); ++i) {
    const Node& n = doc.node(i);
    const Node& parent = doc.node(n.parent);
    EXPECT_LT(n.parent, i);
    EXPECT_GT(parent.end, i) << "node " << i << " outside its parent's range";
    EXPECT_LE(n.end, parent.end);
    EXPECT_EQ(n.depth, parent.depth + 1);
    if (n.kind == NodeKind::kText) {
      EXPECT_EQ(n.end, i + 1);
    }
  }
  std::uint32_t b = doc.find_first(Tag::kB);
  ASSERT_LT(b, doc.size());
  EXPECT_EQ(doc.node(b + 1).text, "b");
  EXPECT_EQ(doc.node(doc.node(b).parent).tag, Tag::kP);
  EXPECT_EQ(doc.find_first(Tag::kTable), doc.size());
}

TEST(HtmlDom, TagsAndNamesAreMapped) {
  Document doc("<H1>x</H1><my-widget>y</my-widget><BLOCKQUOTE>z</BLOCKQUOTE><wbr>", true);
  std::uint32_t h1 = doc.find_first(Tag::kH1);
  ASSERT_LT(h1, doc.size());
  EXPECT_EQ(doc.node(h1).name, "h1");
  EXPECT_EQ(doc.node(doc.find_first(Tag::kBlockquote)).name, "blockquote");
  EXPECT_EQ(doc.node(doc.find_first(Tag::kWbr)).name, "wbr");
  bool custom = false;
  for (const Node& n : doc.nodes()) {
    if (n.kind == NodeKind::kElement && n.name == "my-widget") {
      custom = true;
      EXPECT_EQ(n.tag, Tag::kUnknown);
    }
  }
  EXPECT_TRUE(custom);
}

TEST(HtmlDom, AttributesAreDecodedAndTheFirstOfARepeatWins) {
  Document doc("<a HREF=\"/one\" title='a &amp; b' href=\"/two\" data-x>&lt;t&gt;</a>", true);
  std::uint32_t a = doc.find_first(Tag::kA);
  ASSERT_LT(a, doc.size());
  EXPECT_EQ(doc.attr(a, "href"), "/one");
  EXPECT_EQ(doc.attr(a, "title"), "a & b");
  EXPECT_TRUE(doc.has_attr(a, "data-x"));
  EXPECT_FALSE(doc.has_attr(a, "rel"));
  EXPECT_EQ(doc.attrs_end(a) - doc.attrs_begin(a), 3);
  EXPECT_EQ(doc.node(a + 1).text, "<t>");

  std::string many = "<div";
  for (int i = 0; i < 40; ++i) many += " a" + std::to_string(i % 20) + "=" + std::to_string(i);
  many += ">x</div>";
  Document wide(many, true);
  std::uint32_t div = wide.find_first(Tag::kDiv);
  ASSERT_LT(div, wide.size());
  EXPECT_EQ(wide.attrs_end(div) - wide.attrs_begin(div), 20);
  EXPECT_EQ(wide.attr(div, "a19"), "19");
}

TEST(HtmlDom, FragmentsParseAsBodyContent) {
  Document doc("<tr><td>cell</td></tr><li>item", true);
  EXPECT_EQ(doc.node(0).tag, Tag::kHtml);
  EXPECT_EQ(doc.find_first(Tag::kTd), doc.size());  // table parts outside a table are dropped
  EXPECT_EQ(doc.find_first(Tag::kHead), doc.size());
  EXPECT_LT(doc.find_first(Tag::kLi), doc.size());
  EXPECT_EQ(all_text(doc), "cellitem");
}

TEST(HtmlDom, ScriptBodiesAndCommentsCanBeDroppedBeforeParsing) {
  const char* page =
      "<script>var secret = 1;</script><script type=\"application/ld+json\">{\"a\":1}</script>"
      "<!-- note --><style>p{}</style><p>text</p>";
  Document doc(page, false, Prefilter::kScripts);
  EXPECT_EQ(all_text(doc), "{\"a\":1}text");
}

TEST(HtmlDom, SectionsTheExtractorDropsAreEmptiedBeforeParsing) {
  const char* page =
      "<p>before</p><nav class=\"menu\"><ul><li>Home<li><a href=\"/\">News</a></ul>"
      "<svg><title>icon</title></svg></nav><p>middle<aside><NAV>nested</NAV>related</aside>"
      "<footer><textarea></footer></textarea>legal</footer><p>after";
  Document doc(page, false, Prefilter::kScriptsAndSections);
  EXPECT_EQ(all_text(doc), "beforemiddleafter");
  // The elements stay, empty, so that the tree around them is built as before: the <aside>
  // still closes the open paragraph.
  std::uint32_t nav = doc.find_first(Tag::kNav);
  ASSERT_LT(nav, doc.size());
  EXPECT_EQ(doc.node(nav).end, nav + 1);
  EXPECT_EQ(doc.attr(nav, "class"), "menu");
  std::uint32_t aside = doc.find_first(Tag::kAside);
  ASSERT_LT(aside, doc.size());
  EXPECT_EQ(doc.node(doc.node(aside).parent).tag, Tag::kBody);
  Document full(page, false, Prefilter::kScripts);
  EXPECT_EQ(all_text(full), "beforeHomeNewsmiddlenestedrelated</footer>legalafter");
}

TEST(HtmlDom, WhitespaceBetweenBlockTagsIsDroppedBeforeParsing) {
  const char* page =
      "<div>\n  <p>one</p>\n  <p>two <b>bold</b> <i>it</i></p>\n</div>\n"
      "<pre>\n<div>code</div>\n  <div>more</div></pre>";
  Document doc(page, false, Prefilter::kScriptsAndSections);
  // Between inline tags the space is a word break and stays; inside <pre> it is content.
  EXPECT_EQ(all_text(doc), "onetwo bold it\ncode\n  more");
  Document full(page, false, Prefilter::kScripts);
  EXPECT_EQ(all_text(full), "\n  one\n  two bold it\n\ncode\n  more");
}

TEST(HtmlDom, SectionsWithMetadataOrLooseNestingAreParsedAsTheyAre) {
  // Metadata is read from anywhere in the page.
  Document meta("<footer><time pubdate datetime=\"2024-05-01\">May 1</time></footer>", false,
                Prefilter::kScriptsAndSections);
  EXPECT_EQ(all_text(meta), "May 1");
  // An end tag of an element opened outside closes the section early: what follows up to a
  // later </nav> is page content.
  Document loose("<div><nav><a href=\"/\">menu</a></div><p>story</p></nav>", false,
                 Prefilter::kScriptsAndSections);
  EXPECT_EQ(all_text(loose), "menustory");
  // So is a section that never ends.
  Document open("<nav><p>menu<div>story", false, Prefilter::kScriptsAndSections);
  EXPECT_EQ(all_text(open), "menustory");
}

TEST(HtmlDom, DeeplyNestedUnclosedSectionsKeepTheirText) {
  std::string page;
  for (int i = 0; i < 50000; ++i) page += "<nav><div>x";
  Document doc(page, false, Prefilter::kScriptsAndSections);
  EXPECT_EQ(all_text(doc).size(), 50000u);
}

TEST(HtmlDom, DeepNestingIsCappedBeforeParsing) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div><span>";
  deep += "core";
  Document doc(deep, false);
  std::uint32_t max_depth = 0;
  bool core = false;
  for (const Node& n : doc.nodes()) {
    max_depth = std::max(max_depth, n.depth);
    core = core || n.text == "core";
  }
  EXPECT_TRUE(core);
  EXPECT_LE(max_depth, kMaxNestingDepth + 4);
  EXPECT_GT(max_depth, kMaxNestingDepth / 2);
}

TEST(HtmlDom, EmptyInputStillHasARoot) {
  Document doc("", true);
  ASSERT_GE(doc.size(), 1u);
  EXPECT_EQ(doc.node(0).tag, Tag::kHtml);
  EXPECT_EQ(doc.node(0).end, doc.size());
}

}  // namespace
}  // namespace feedpipe::parser::html
