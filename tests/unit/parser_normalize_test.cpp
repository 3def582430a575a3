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

TEST(ParserNormalize, RepeatedCategoriesDroppedInLongListsToo) {
  // A JSON Feed's tags reach to_item as they are: a long list is checked through a set.
  std::string tags;
  for (int i = 0; i < 40; ++i)
    tags += std::string(i ? "," : "") + "\"t" + std::to_string(i % 25) + "\"";
  ParsedFeed f = parse_feed(R"({"version":"https://jsonfeed.org/version/1.1","title":"J",)"
                            R"("items":[{"id":"1","content_text":"x","tags":[)" + tags +
                                R"(,"  t3 "]}]})",
                            DocumentInfo{});
  ASSERT_EQ(f.entries.size(), 1u);
  ASSERT_EQ(f.entries[0].categories.size(), 41u);
  Item item = to_item(f, f.entries[0], NormalizeOptions{"https://j.example/feed", 0, nullptr});
  ASSERT_EQ(item.categories.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(item.categories[i], "t" + std::to_string(i));
}

TEST(ParserNormalize, EntriesOfFeedsInTurnCarryTheirOwnFeedTitle) {
  // The feed title's text is kept between entries; a different title or type is read anew.
  auto feed = [](std::string_view title) {
    return parse_feed("<rss version=\"2.0\"><channel>" + std::string(title) +
                          "<item><title>i</title></item></channel></rss>",
                      DocumentInfo{});
  };
  ParsedFeed a = feed("<title>Port &amp;amp; Sea</title>");
  ParsedFeed b = feed("<title>Harbour   Daily</title>");
  ParsedFeed none = feed("");
  ParsedFeed typed = a;
  typed.feed.title_type = "text/plain";
  NormalizeOptions o{"https://port.example/rss", 0, nullptr};
  EXPECT_EQ(to_item(a, a.entries[0], o).feed.title, "Port & Sea");
  EXPECT_EQ(to_item(b, b.entries[0], o).feed.title, "Harbour Daily");
  EXPECT_EQ(to_item(none, none.entries[0], o).feed.title, "");
  EXPECT_EQ(to_item(a, a.entries[0], o).feed.title, "Port & Sea");
  EXPECT_EQ(to_item(typed, typed.entries[0], o).feed.title, "Port &amp; Sea");
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

TEST(ParserNormalize, TakingTheEntryGivesTheSameItemAsCopyingIt) {
  const ParsedFeed f = parse_feed(R"(<rss version="2.0"
    xmlns:content="http://purl.org/rss/1.0/modules/content/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Port</title>
<item><title>Body</title><link>/a</link><dc:creator>Ann</dc:creator><dc:creator>Bo</dc:creator>
<content:encoded><![CDATA[<p>First &amp; <a href="/b">second</a></p><p>third</p>]]></content:encoded>
<enclosure url="/photo.jpg" type="image/jpeg" length="12"/></item>
<item><title>Summary only</title><description>plain words</description>
<author>cy@port.example (Cy)</author></item>
</channel></rss>)", DocumentInfo{"https://port.example/rss", "", "", ""});
  NormalizeOptions o{"https://port.example/rss", 0, nullptr};
  ParsedFeed taken = f;
  ASSERT_EQ(f.entries.size(), 2u);
  for (std::size_t i = 0; i < f.entries.size(); ++i) {
    const Item copied = to_item(f, f.entries[i], o);
    const Item moved = to_item(taken, std::move(taken.entries[i]), o);
    EXPECT_EQ(moved.id, copied.id);
    EXPECT_EQ(moved.content_html, copied.content_html);
    EXPECT_EQ(moved.content_text, copied.content_text);
    EXPECT_EQ(moved.content_sha256, copied.content_sha256);
    ASSERT_EQ(moved.authors.size(), copied.authors.size());
    for (std::size_t k = 0; k < moved.authors.size(); ++k)
      EXPECT_EQ(moved.authors[k].name, copied.authors[k].name);
    EXPECT_EQ(moved.image, copied.image);
    ASSERT_EQ(moved.enclosures.size(), copied.enclosures.size());
    for (std::size_t k = 0; k < moved.enclosures.size(); ++k)
      EXPECT_EQ(moved.enclosures[k].url, copied.enclosures[k].url);
  }
  const Item first = to_item(f, f.entries[0], o);
  EXPECT_EQ(first.content_text, "First & second\n\nthird");
  ASSERT_EQ(first.authors.size(), 2u);
  EXPECT_EQ(first.authors[1].name, "Bo");
  EXPECT_EQ(first.image, "https://port.example/photo.jpg");
}

}  // namespace
}  // namespace feedpipe::parser
