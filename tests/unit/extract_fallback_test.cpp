#include <gtest/gtest.h>

#include <string>

#include "parser/html/extract.h"

namespace feedpipe::parser::html {
namespace {

std::string prose(const std::string& opening, int sentences) {
  std::string out = opening;
  for (int i = 0; i < sentences; ++i) {
    out += " The council met again on day " + std::to_string(i) +
           ", and the members discussed the harbour, the mill and the budget at length.";
  }
  return out;
}

TEST(ExtractFallback, ScriptRenderedPageUsesJsonLdArticleBody) {
  const std::string body = prose("First paragraph of the story.", 4) + "\\n" +
                           prose("Second paragraph of the story.", 4);
  const std::string page =
      "<html><head><title>Story</title>"
      "<meta name=description content='A short summary.'>"
      "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"Story\","
      "\"articleBody\":\"" + body + "\"}</script>"
      "</head><body><div id=app></div><script>render()</script></body></html>";
  Article a = extract_article(page, "");
  ASSERT_EQ(a.text.find("First paragraph of the story."), 0u) << a.text;
  std::size_t second = a.text.find("Second paragraph of the story.");
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(a.text.substr(second - 2, 2), "\n\n");
  EXPECT_EQ(a.text.find("A short summary."), std::string::npos);
}

TEST(ExtractFallback, JsonLdBodyWinsOverAPageThatShowsAFractionOfIt) {
  // The markup holds a caption and a teaser (over the 500 characters that end the fallback
  // ladder); the page's own JSON-LD carries an article more than twice as long.
  const std::string body = prose("First paragraph of the story.", 8) + "\\n" +
                           prose("Second paragraph of the story.", 8);
  const std::string page =
      "<html><head><script type='application/ld+json'>{\"@type\":\"NewsArticle\","
      "\"headline\":\"Story\",\"articleBody\":\"" + body +
      "\"}</script></head><body><div class=teaser><p>" +
      prose("A caption and a teaser.", 6) + "</p></div></body></html>";
  Article a = extract_article(page, "");
  EXPECT_EQ(a.text.find("First paragraph of the story."), 0u) << a.text.substr(0, 80);
  EXPECT_NE(a.text.find("Second paragraph of the story."), std::string::npos);

  // When the page shows about as much as the JSON-LD carries, the page's text stays.
  const std::string shown =
      "<html><head><script type='application/ld+json'>{\"@type\":\"NewsArticle\","
      "\"headline\":\"Story\",\"articleBody\":\"" + prose("Metadata copy of the story.", 8) +
      "\"}</script></head><body><article><p>" + prose("Visible story.", 8) +
      "</p></article></body></html>";
  Article b = extract_article(shown, "");
  EXPECT_EQ(b.text.find("Visible story."), 0u) << b.text.substr(0, 80);
  EXPECT_EQ(b.text.find("Metadata copy"), std::string::npos);
}

TEST(ExtractFallback, JsonLdBodyWithMarkupBecomesText) {
  const std::string page =
      "<html><head><script type='application/ld+json'>{\"@type\":\"Article\","
      "\"articleBody\":\"<p>" + prose("Marked up opening.", 3) + "</p><p>" +
      prose("Marked up close.", 3) + "</p>\"}</script></head><body></body></html>";
  Article a = extract_article(page, "");
  EXPECT_NE(a.text.find("Marked up opening."), std::string::npos) << a.text;
  EXPECT_NE(a.text.find("\n\nMarked up close."), std::string::npos) << a.text;
  EXPECT_EQ(a.text.find("<p>"), std::string::npos);
}

TEST(ExtractFallback, DescriptionOnlyWhenNothingElse) {
  const std::string empty_page =
      "<html><head><meta property='og:description' content='Only the summary is known.'>"
      "</head><body><div id=root></div></body></html>";
  EXPECT_EQ(extract_article(empty_page, "").text, "Only the summary is known.");

  const std::string full_page =
      "<html><head><meta name=description content='Summary line.'></head><body><article><p>" +
      prose("Visible text.", 6) + "</p></article></body></html>";
  Article a = extract_article(full_page, "");
  EXPECT_NE(a.text.find("Visible text."), std::string::npos);
  EXPECT_EQ(a.text.find("Summary line."), std::string::npos);
}

TEST(ExtractFallback, TextIsNfcNormalised) {
  // "Cafe" + U+0301 COMBINING ACUTE ACCENT must come out as "Caf" + U+00E9.
  const std::string page = "<html><body><article><p>" + prose("Cafe\xCC\x81 owners spoke.", 6) +
                           "</p></article></body></html>";
  Article a = extract_article(page, "");
  EXPECT_NE(a.text.find("Caf\xC3\xA9 owners"), std::string::npos) << a.text.substr(0, 40);
  EXPECT_EQ(a.text.find("\xCC\x81"), std::string::npos);
}

TEST(ExtractFallback, ClosingCallsToActionAreTrimmed) {
  const std::string page =
      "<html><body><article><p>" + prose("The story begins.", 6) + "</p><p>" +
      prose("The story ends.", 4) +
      "</p><p>For the latest stories download our news app for iOS and Android.</p>"
      "<p>\xC2\xA9 2024 Example Media. All rights reserved.</p></article></body></html>";
  Article a = extract_article(page, "");
  EXPECT_NE(a.text.find("The story ends."), std::string::npos);
  EXPECT_EQ(a.text.find("download our news app"), std::string::npos) << a.text;
  EXPECT_EQ(a.text.find("All rights reserved"), std::string::npos);
}

TEST(ExtractFallback, StoryAboutAnAppIsKept) {
  // Only closing prompts go: a paragraph that mentions an app mid-story stays.
  const std::string page =
      "<html><body><article><p>" + prose("The story begins.", 6) +
      "</p><p>Residents can now follow the ferry in a new app, the council said.</p><p>" +
      prose("The story ends.", 4) + "</p></article></body></html>";
  Article a = extract_article(page, "");
  EXPECT_NE(a.text.find("follow the ferry in a new app"), std::string::npos) << a.text;
}

}  // namespace
}  // namespace feedpipe::parser::html
