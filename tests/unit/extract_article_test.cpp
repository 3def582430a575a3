#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/time.h"
#include "parser/html/extract.h"

namespace feedpipe::parser::html {
namespace {

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(FEEDPIPE_SOURCE_DIR) + "/tests/fixtures/html/" + name,
                   std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ExtractArticle, NewsPageKeepsEveryParagraphAndNoFurniture) {
  std::string page = read_fixture("news_article.html");
  auto expected = nlohmann::json::parse(read_fixture("news_article.expected.json"));
  ASSERT_FALSE(page.empty());

  Article a = extract_article(page, "https://ledger.example/local/2024/03/harbour-mill-vote");

  EXPECT_EQ(a.title, expected["title"].get<std::string>());
  EXPECT_EQ(a.byline, expected["byline"].get<std::string>());
  ASSERT_TRUE(a.published.has_value());
  EXPECT_EQ(format_rfc3339(*a.published), expected["published"].get<std::string>());
  ASSERT_TRUE(a.modified.has_value());
  EXPECT_EQ(format_rfc3339(*a.modified), expected["modified"].get<std::string>());
  EXPECT_EQ(a.language, expected["language"].get<std::string>());
  EXPECT_EQ(a.site_name, expected["site_name"].get<std::string>());
  std::string path = expected["canonical_path"].get<std::string>();
  ASSERT_GE(a.canonical_url.size(), path.size());
  EXPECT_EQ(a.canonical_url.substr(a.canonical_url.size() - path.size()), path);

  // Every paragraph, in order, each on its own.
  std::size_t at = 0;
  for (const auto& p : expected["paragraphs"]) {
    std::string para = p.get<std::string>();
    std::size_t found = a.text.find(para, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << para;
    EXPECT_TRUE(found == 0 || a.text.compare(found - 2, 2, "\n\n") == 0) << para;
    at = found + para.size();
  }
  EXPECT_EQ(at, a.text.size()) << "text after the last paragraph: " << a.text.substr(at);
  for (const auto& m : expected["must_not_contain"]) {
    EXPECT_EQ(a.text.find(m.get<std::string>()), std::string::npos) << m;
  }
  EXPECT_EQ(a.word_count, 174);
  EXPECT_NE(a.html.find("<p>Councillors in Porthmellin"), std::string::npos);
  EXPECT_EQ(a.html.find("<script"), std::string::npos);
}

TEST(ExtractArticle, MetadataFallsBackToMetaTagsAndVisiblePage) {
  const std::string page =
      "<html lang=de><head><title>Neue Br\xC3\xBC" "cke er\xC3\xB6" "ffnet | Stadtblatt</title>"
      "<meta name=author content='Jana Vogt'>"
      "<meta property='article:published_time' content='2023-06-01T12:00:00+02:00'>"
      "</head><body><div id=content><p>" +
      std::string(40, 'x') + " erster Absatz, mit Komma.</p><p>" + std::string(60, 'y') +
      " zweiter Absatz.</p></div></body></html>";
  Article a = extract_article(page, "");
  EXPECT_EQ(a.title, "Neue Br\xC3\xBC" "cke er\xC3\xB6" "ffnet");
  EXPECT_EQ(a.byline, "Jana Vogt");
  ASSERT_TRUE(a.published.has_value());
  EXPECT_EQ(format_rfc3339(*a.published), "2023-06-01T10:00:00Z");
  EXPECT_EQ(a.language, "de");
  EXPECT_NE(a.text.find("erster Absatz"), std::string::npos);
  EXPECT_NE(a.text.find("\n\n"), std::string::npos);
}

TEST(ExtractArticle, LegacyCharsetIsDecoded) {
  // "Gr\xFC\xDF" is windows-1252 for "Grüß".
  std::string page =
      "<html><head><meta charset=iso-8859-1></head><body><p>Gr\xFC\xDF Gott, sagte er, "
      "und ging langsam nach Hause, wo niemand wartete.</p></body></html>";
  Article a = extract_article(page, "");
  EXPECT_NE(a.text.find("Gr\xC3\xBC\xC3\x9F Gott"), std::string::npos) << a.text;
}

TEST(ExtractArticle, PathologicalPagesAreBounded) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  deep += "<p>deep text, still found.</p>";
  Article a = extract_article(deep, "");
  EXPECT_NE(a.text.find("deep text"), std::string::npos);

  // Tables in tables: every level holds the same short text, the shape that made short-line
  // tests read the whole subtree at every level (minutes instead of a fraction of a second).
  std::string tables;
  for (int i = 0; i < 100000; ++i) tables += "<table><tr><td>";
  tables += "<p>nested cell text, still found.</p>";
  Article t = extract_article(tables, "");
  EXPECT_NE(t.text.find("nested cell text"), std::string::npos);

  Article empty = extract_article("", "");
  EXPECT_TRUE(empty.text.empty());
  EXPECT_EQ(empty.word_count, 0);
}

}  // namespace
}  // namespace feedpipe::parser::html
