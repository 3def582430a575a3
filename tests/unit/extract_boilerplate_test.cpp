#include <gtest/gtest.h>

#include <string>

#include "parser/html/extract.h"

namespace feedpipe::parser::html {
namespace {

std::string section(const std::string& cls, const std::string& opening) {
  std::string text = opening;
  for (int i = 0; i < 3; ++i) {
    text += " The tester grilled steak number " + std::to_string(i) +
            ", and the result was even, juicy and quick to clean afterwards.";
  }
  return "<section class='" + cls + "'><h2>" + opening + "</h2><p>" + text + "</p></section>";
}

TEST(ExtractBoilerplate, OneWordModifierDoesNotMakeASectionAnAd) {
  // "--ads" marks sections that carry ad slots; the sections are still the review.
  std::string page = "<html><body><article class='report'>";
  page += section("report__section report__section--ads", "Delivery contents");
  page += section("report__section report__section--ads", "Grill results");
  page += section("report__section report__section--ads", "Cleaning");
  page += section("report__section report__section--ads", "Price");
  page += "<div class='ad'>Advertisement</div></article></body></html>";
  std::string text = extract_article(page, "").text;
  EXPECT_NE(text.find("Delivery contents"), std::string::npos) << text;
  EXPECT_NE(text.find("Cleaning"), std::string::npos) << text;
  EXPECT_EQ(text.find("Advertisement"), std::string::npos) << text;
}

TEST(ExtractBoilerplate, ClassNamedShareIsStillDropped) {
  std::string page = "<html><body><article>";
  page += section("body", "Opening");
  page += section("body", "Middle");
  page += "<div class='share'>Share on Facebook Share on Twitter</div>";
  page += section("body", "Close");
  page += "</article></body></html>";
  std::string text = extract_article(page, "").text;
  EXPECT_NE(text.find("Middle"), std::string::npos) << text;
  EXPECT_EQ(text.find("Share on Facebook"), std::string::npos) << text;
}

}  // namespace
}  // namespace feedpipe::parser::html
