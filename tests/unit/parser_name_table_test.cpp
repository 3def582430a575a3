#include "parser/name_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace feedpipe::parser {
namespace {

TEST(NameSet, HoldsEveryNameGivenAndNoOther) {
  NameSet set = {"a", "abbr", "href", "xml:lang", "", "href"};
  for (std::string_view n : {"a", "abbr", "href", "xml:lang", ""}) EXPECT_TRUE(set.contains(n)) << n;
  EXPECT_TRUE(set.contains(std::string_view()));  // the empty name, however it is spelled
  for (std::string_view n : {"b", "ab", "abbrr", "HREF", "xml:", "hre", " "})
    EXPECT_FALSE(set.contains(n)) << n;
}

TEST(NameSet, ManyNamesWithCollidingSlots) {
  // Enough names that probes run past occupied slots, found and missed.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("n" + std::to_string(i));
  NameSet set = {names[0], names[1]};  // a small set first: 16 slots
  EXPECT_TRUE(set.contains("n1"));
  EXPECT_FALSE(set.contains("n2"));
  NameSet big(names.begin(), names.end());
  for (const auto& n : names) EXPECT_TRUE(big.contains(n)) << n;
  for (int i = 300; i < 600; ++i) EXPECT_FALSE(big.contains("n" + std::to_string(i)));
}

TEST(NameMap, GivesEachNameItsValueAndTheFirstOfARepeatedOne) {
  NameMap<int> map = {{"title", 1}, {"dc:title", 1}, {"link", 2}, {"title", 3}, {"", 4}};
  ASSERT_NE(map.find("title"), nullptr);
  EXPECT_EQ(*map.find("title"), 1);
  EXPECT_EQ(*map.find("dc:title"), 1);
  EXPECT_EQ(*map.find("link"), 2);
  EXPECT_EQ(*map.find(""), 4);
  EXPECT_EQ(map.find("links"), nullptr);
  EXPECT_EQ(map.find("Title"), nullptr);
}

}  // namespace
}  // namespace feedpipe::parser
