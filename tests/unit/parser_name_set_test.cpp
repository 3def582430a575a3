#include "parser/name_set.h"

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

}  // namespace
}  // namespace feedpipe::parser
