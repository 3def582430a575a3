#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/hash.h"
#include "publisher/partitioner.h"
#include "publisher/record.h"

namespace feedpipe::publisher {
namespace {

Item full_item() {
  Item item;
  item.key = "https://example.org/news/1";
  item.id = item_id(item.key);
  item.revision = 2;
  item.url = "https://example.org/news/1";
  item.link = "https://example.org/news/1?utm_source=rss";
  item.guid = "urn:example:1";
  item.title = "Caf\xc3\xa9 \"quotes\" and \\ backslash";
  item.summary = "plain summary";
  item.content_html = "<p>Hello <b>world</b></p>";
  item.content_text = "Hello world";
  item.authors = {{"Ann Writer", "ann@example.org", ""}, {"", "", "https://example.org/bob"}};
  item.categories = {"News", "World"};
  item.published = 1485370140;  // 2017-01-25T18:49:00Z
  item.fetched_at = 1795708800;
  item.language = "en";
  item.image = "https://example.org/a.jpg";
  item.enclosures = {{"https://example.org/a.mp3", "audio/mpeg", 12345}};
  item.content_sha256 = sha256_hex("Hello world");
  item.feed = {"https://example.org/feed.xml", "Example", "https://example.org/"};
  return item;
}

Item minimal_item() {
  Item item;
  item.key = "https://example.org/feed.xml#guid-7";
  item.id = item_id(item.key);
  item.url = "https://example.org/x";
  item.fetched_at = 1795708800;
  item.feed.url = "https://example.org/feed.xml";
  return item;
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("feedpipe_publisher_" + std::to_string(::getpid()) + "_" + name);
}

int run_check(const std::string& args) {
  const std::string cmd = "python3 " FEEDPIPE_SOURCE_DIR "/tests/unit/publisher_check.py " + args;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(PublisherRecord, EncodesDesignFieldNames) {
  const std::string json = encode_entry(full_item());
  for (const char* field : {"\"schema\":\"feedpipe.entry/1\"", "\"revision\":2",
                            "\"published\":\"2017-01-25T18:49:00Z\"", "\"updated\":null",
                            "\"content_sha256\":", "\"feed\":{", "\"email\":null"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " missing in " << json;
  }
  EXPECT_EQ(json.find("\"key\""), std::string::npos) << "the item key is not a record field";
}

TEST(PublisherRecord, RoundTrip) {
  for (const Item& in : {full_item(), minimal_item()}) {
    auto out = decode_entry(encode_entry(in));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->id, in.id);
    EXPECT_EQ(out->revision, in.revision);
    EXPECT_EQ(out->url, in.url);
    EXPECT_EQ(out->link, in.link);
    EXPECT_EQ(out->guid, in.guid);
    EXPECT_EQ(out->title, in.title);
    EXPECT_EQ(out->summary, in.summary);
    EXPECT_EQ(out->content_html, in.content_html);
    EXPECT_EQ(out->content_text, in.content_text);
    ASSERT_EQ(out->authors.size(), in.authors.size());
    for (std::size_t i = 0; i < in.authors.size(); ++i) {
      EXPECT_EQ(out->authors[i].name, in.authors[i].name);
      EXPECT_EQ(out->authors[i].email, in.authors[i].email);
      EXPECT_EQ(out->authors[i].uri, in.authors[i].uri);
    }
    EXPECT_EQ(out->categories, in.categories);
    EXPECT_EQ(out->published, in.published);
    EXPECT_EQ(out->updated, in.updated);
    EXPECT_EQ(out->fetched_at, in.fetched_at);
    EXPECT_EQ(out->language, in.language);
    EXPECT_EQ(out->image, in.image);
    ASSERT_EQ(out->enclosures.size(), in.enclosures.size());
    for (std::size_t i = 0; i < in.enclosures.size(); ++i) {
      EXPECT_EQ(out->enclosures[i].url, in.enclosures[i].url);
      EXPECT_EQ(out->enclosures[i].type, in.enclosures[i].type);
      EXPECT_EQ(out->enclosures[i].length, in.enclosures[i].length);
    }
    EXPECT_EQ(out->content_sha256, in.content_sha256);
    EXPECT_EQ(out->feed.url, in.feed.url);
    EXPECT_EQ(out->feed.title, in.feed.title);
    EXPECT_EQ(out->feed.link, in.feed.link);
  }
}

TEST(PublisherRecord, DecodeRejectsForeignValues) {
  EXPECT_FALSE(decode_entry("not json").ok());
  EXPECT_FALSE(decode_entry("[1,2]").ok());
  EXPECT_FALSE(decode_entry(R"({"schema":"other/1","id":"ab"})").ok());
  EXPECT_FALSE(decode_entry(R"({"schema":"feedpipe.entry/1"})").ok());
  // Offsets in timestamps are understood even though feedpipe always writes Z.
  auto item = decode_entry(
      R"({"schema":"feedpipe.entry/1","id":"ab","published":"2017-01-25T20:49:00+02:00"})");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->published, 1485370140);
}

TEST(PublisherRecord, InvalidUtf8DoesNotThrow) {
  Item item = minimal_item();
  item.title = "broken \xff\xfe bytes";
  std::string json;
  EXPECT_NO_THROW(json = encode_entry(item));
  EXPECT_TRUE(decode_entry(json).ok());
}

TEST(PublisherRecord, CloudEventsHeaders) {
  const Item item = full_item();
  auto headers = entry_headers(item);
  auto value = [&](const std::string& k) {
    for (const auto& h : headers) {
      if (h.key == k) return h.value;
    }
    return std::string("<absent>");
  };
  EXPECT_EQ(value("ce_specversion"), "1.0");
  EXPECT_EQ(value("ce_id"), item.id + "-2");
  EXPECT_EQ(value("ce_source"), "https://example.org/feed.xml");
  EXPECT_EQ(value("ce_type"), "io.feedpipe.entry.v1");
  EXPECT_EQ(value("ce_time"), "2026-11-26T16:00:00Z");
  EXPECT_EQ(value("content-type"), "application/json");
}

TEST(PublisherRecord, FeedStateRoundTrip) {
  FeedState s;
  s.url = "https://example.org/feed.xml";
  s.validators = {"\"etag-1\"", "Wed, 25 Nov 2026 10:00:00 GMT"};
  s.seen_keys = {"a:1", "b:2", "c:3"};
  s.next_due_unix_ms = 1795708800123;
  s.error_count = 3;
  s.last_error = "timeout";
  s.moved_to = "https://example.org/new.xml";
  auto out = decode_feed_state(encode_feed_state(s));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->url, s.url);
  EXPECT_EQ(out->validators.etag, s.validators.etag);
  EXPECT_EQ(out->validators.last_modified, s.validators.last_modified);
  EXPECT_EQ(out->seen_keys, s.seen_keys);
  EXPECT_EQ(out->next_due_unix_ms, s.next_due_unix_ms);
  EXPECT_EQ(out->error_count, s.error_count);
  EXPECT_EQ(out->last_error, s.last_error);
  EXPECT_EQ(out->moved_to, s.moved_to);
  EXPECT_FALSE(decode_feed_state("{}").ok());
}

TEST(PublisherRecord, DedupEntryRoundTrip) {
  DedupEntry e{1000, 2000, sha256_hex("x"), 4};
  auto out = decode_dedup_entry(encode_dedup_entry(e));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->first_seen_ms, 1000);
  EXPECT_EQ(out->last_seen_ms, 2000);
  EXPECT_EQ(out->content_sha256, e.content_sha256);
  EXPECT_EQ(out->revision, 4);
}

TEST(PublisherRecord, OutputValidatesAgainstJsonSchema) {
  const auto records = temp_file("entries.jsonl");
  {
    std::ofstream f(records);
    f << encode_entry(full_item()) << "\n" << encode_entry(minimal_item()) << "\n";
  }
  EXPECT_EQ(run_check("schema " FEEDPIPE_SOURCE_DIR "/schemas/feedpipe.entry.v1.json " +
                      records.string()),
            0);
  // The checker must be able to fail: a record without its id is rejected.
  const auto broken = temp_file("broken.jsonl");
  {
    Item item = minimal_item();
    item.id = "";
    std::ofstream f(broken);
    f << encode_entry(item) << "\n";
  }
  EXPECT_EQ(run_check("schema " FEEDPIPE_SOURCE_DIR "/schemas/feedpipe.entry.v1.json " +
                      broken.string() + " 2>/dev/null"),
            1);
  std::filesystem::remove(records);
  std::filesystem::remove(broken);
}

TEST(PublisherRecord, ArticleRecordsAreValidAgainstTheSchema) {
  Article article;
  article.title = "T";
  article.published = 1485370140;
  article.language = "en";
  article.site_name = "Example";
  article.canonical_url = "https://example.org/news/1";
  article.text = "Body text.\n\nSecond paragraph.";
  article.word_count = 4;
  const std::string full = encode_article(full_item(), article);
  EXPECT_NE(full.find("\"schema\":\"feedpipe.article/1\""), std::string::npos) << full;
  EXPECT_NE(full.find("\"byline\":null"), std::string::npos) << full;
  const auto records = temp_file("articles.jsonl");
  {
    std::ofstream f(records);
    f << full << "\n" << encode_article(minimal_item(), Article{}) << "\n";
  }
  EXPECT_EQ(run_check("schema " FEEDPIPE_SOURCE_DIR "/schemas/feedpipe.article.v1.json " +
                      records.string()),
            0);
  // An entry record is not an article record: the check can fail.
  {
    std::ofstream f(records);
    f << encode_entry(full_item()) << "\n";
  }
  EXPECT_EQ(run_check("schema " FEEDPIPE_SOURCE_DIR "/schemas/feedpipe.article.v1.json " +
                      records.string() + " 2>/dev/null"),
            1);
  std::filesystem::remove(records);
}

TEST(PublisherRecord, ArticleHeadersSayArticleEventType) {
  bool found = false;
  for (const auto& h : article_headers(full_item())) {
    if (h.key == "ce_type") {
      EXPECT_EQ(h.value, "io.feedpipe.article.v1");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(PublisherRecord, DeadLetterCarriesReasonAndEntry) {
  const auto json = nlohmann::json::parse(
      encode_dead_letter(full_item(), "enrich", ErrorCode::kTimeout, "no answer", 3));
  EXPECT_EQ(json["schema"], "feedpipe.error/1");
  EXPECT_EQ(json["stage"], "enrich");
  EXPECT_EQ(json["error_type"], "timeout");
  EXPECT_EQ(json["attempts"], 3);
  EXPECT_EQ(json["url"], "https://example.org/news/1?utm_source=rss");
  EXPECT_EQ(json["record"]["schema"], "feedpipe.entry/1");
  EXPECT_EQ(json["record"]["id"], full_item().id);
}

// Vectors published with Kafka's own tests (UtilsTest.testMurmur2) and librdkafka's
// rdmurmur2.c unit test.
TEST(PublisherPartitioner, KnownJavaVectors) {
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
}

TEST(PublisherPartitioner, MatchesIndependentImplementation) {
  const auto vectors = temp_file("murmur2.tsv");
  {
    std::ofstream f(vectors);
    std::vector<std::string> keys = {"", "a", "ab", "abc", "abcd", "abcde",
                                     "https://www.rt.com/rss/", "https://example.org/feed.xml",
                                     std::string("\x00\xff\x80\x7f", 4), "Caf\xc3\xa9"};
    std::string grown;
    for (int i = 0; i < 64; ++i) {
      grown += static_cast<char>(i * 37 + 11);  // every length mod 4, high bytes included
      keys.push_back(grown);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (const auto& key : keys) {
      std::string hex;
      for (unsigned char c : key) {
        hex += kHex[c >> 4];
        hex += kHex[c & 15];
      }
      for (int n : {1, 3, 12, 64, 1000}) {
        f << (hex.empty() ? "-" : hex) << "\t" << n << "\t" << murmur2(key) << "\t"
          << partition_for(key, n) << "\n";
      }
    }
  }
  EXPECT_EQ(run_check("murmur2 " + vectors.string()), 0);
  std::filesystem::remove(vectors);
}

TEST(PublisherPartitioner, PartitionInRange) {
  for (int n : {1, 2, 7, 12}) {
    for (const char* key : {"x", "https://example.org/feed.xml", "zzzzzzzzzz"}) {
      const int p = partition_for(key, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
    }
  }
}

}  // namespace
}  // namespace feedpipe::publisher
