#include <gtest/gtest.h>

#include "app/pipeline.h"

namespace feedpipe::app {
namespace {

Item make_item(const std::string& id, const std::string& sha) {
  Item item;
  item.id = id;
  item.content_sha256 = sha;
  return item;
}

TEST(SeenSet, FirstPollEverythingIsFresh) {
  std::vector<Item> items = {make_item("a", "11111111aa"), make_item("b", "22222222bb")};
  auto up = update_seen_set({}, items, true);
  EXPECT_EQ(up.fresh, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(up.seen, (std::vector<std::string>{"a:11111111", "b:22222222"}));
}

TEST(SeenSet, SecondPollOnlyNewItems) {
  std::vector<std::string> seen = {"a:11111111", "b:22222222"};
  std::vector<Item> items = {make_item("c", "33333333"), make_item("a", "11111111")};
  auto up = update_seen_set(seen, items, true);
  EXPECT_EQ(up.fresh, (std::vector<std::size_t>{0}));
  EXPECT_EQ(up.unchanged, 1u);
  // b dropped out of the document but stays remembered, before the document's entries.
  EXPECT_EQ(up.seen, (std::vector<std::string>{"b:22222222", "c:33333333", "a:11111111"}));
}

TEST(SeenSet, ChangedContentIsFreshOnlyWhenUpdatesArePublished) {
  std::vector<std::string> seen = {"a:11111111"};
  std::vector<Item> items = {make_item("a", "99999999")};
  EXPECT_EQ(update_seen_set(seen, items, true).fresh.size(), 1u);
  EXPECT_EQ(update_seen_set(seen, items, false).fresh.size(), 0u);
}

TEST(SeenSet, DuplicateInOneDocumentCountsOnce) {
  std::vector<Item> items = {make_item("a", "1"), make_item("a", "1")};
  auto up = update_seen_set({}, items, true);
  EXPECT_EQ(up.fresh.size(), 1u);
  EXPECT_EQ(up.seen.size(), 1u);
}

TEST(SeenSet, CapIsTwiceTheDocumentOrTheMinimum) {
  std::vector<std::string> seen;
  for (int i = 0; i < 600; ++i) seen.push_back("old" + std::to_string(i) + ":x");
  std::vector<Item> items = {make_item("new", "1")};
  auto up = update_seen_set(seen, items, true, 500);
  EXPECT_EQ(up.seen.size(), 500u);
  EXPECT_EQ(up.seen.back(), "new:1");
  EXPECT_EQ(up.seen.front(), "old101:x");  // oldest dropped first
}

}  // namespace
}  // namespace feedpipe::app
