#include <gtest/gtest.h>

#include "common/hash.h"
#include "parser/feed_parser.h"
#include "parser/normalize.h"

namespace feedpipe::parser {
namespace {

ParsedFeed two_items() {
  return parse_feed(R"(<rss version="2.0"><channel><title>Port</title>
<link>https://port.example/</link>
<item><title>With link</title><link>https://Port.example/a?utm_medium=feed#c</link>
<guid>g-1</guid><description>&lt;p&gt;Hello &lt;b&gt;there&lt;/b&gt;&lt;/p&gt;</description>
<category>Ships</category><category>Ships</category></item>
<item><title>Guid only</title><guid isPermaLink="false">g-2</guid></item>
<item><title>Nothing</title></item>
</channel></rss>)", DocumentInfo{});
}

TEST(ParserNormalize, KeyIsCanonicalLink) {
  ParsedFeed f = two_items();
  NormalizeOptions o{"https://port.example/rss", 1700000000, nullptr};
  Item a = to_item(f, f.entries[0], o);
  EXPECT_EQ(a.url, "https://port.example/a");
  EXPECT_EQ(a.key, "https://port.example/a");
  EXPECT_EQ(a.id, item_id("https://port.example/a"));
  EXPECT_EQ(a.categories, std::vector<std::string>{"Ships"});
  EXPECT_EQ(a.feed.title, "Port");
  EXPECT_EQ(*a.fetched_at, 1700000000);
}

TEST(ParserNormalize, KeyFallsBackToGuidThenHash) {
  ParsedFeed f = two_items();
  NormalizeOptions o{"https://port.example/rss", 0, nullptr};
  EXPECT_EQ(to_item(f, f.entries[1], o).key, "https://port.example/rss#g-2");
  Item c = to_item(f, f.entries[2], o);
  EXPECT_TRUE(c.key.starts_with("https://port.example/rss#"));
  EXPECT_NE(c.key, "https://port.example/rss#");
}

TEST(ParserNormalize, ChangedTextChangesSha) {
  ParsedFeed f = two_items();
  NormalizeOptions o{"https://port.example/rss", 0, nullptr};
  Item before = to_item(f, f.entries[0], o);
  f.entries[0].summary = "<p>Hello again</p>";
  Item after = to_item(f, f.entries[0], o);
  EXPECT_EQ(before.id, after.id);
  EXPECT_NE(before.content_sha256, after.content_sha256);
  EXPECT_EQ(before.summary.find('<'), std::string::npos);
}

}  // namespace
}  // namespace feedpipe::parser
