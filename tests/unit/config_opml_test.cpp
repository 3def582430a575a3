// OPML subscription lists: parsing on its own and as `opml:` files of a config.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/config.h"
#include "common/opml.h"

namespace feedpipe {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOpml = R"(<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>subscriptions</title></head>
  <body>
    <outline text="World">
      <outline text="Example World" type="rss" xmlUrl="https://world.example/rss"/>
      <outline text="Other World" type="rss" xmlUrl=" https://other.example/atom "/>
    </outline>
    <outline text="Tagged" type="rss" xmlUrl="https://tagged.example/feed" category="/Science/Space"/>
    <outline text="Loose" type="rss" xmlUrl="https://loose.example/feed"/>
    <outline text="Just a folder"/>
  </body>
</opml>
)";

TEST(Opml, OutlinesWithXmlUrlBecomeFeedsWithGroups) {
  auto feeds = parse_opml(kOpml);
  ASSERT_TRUE(feeds.ok()) << feeds.error().message;
  ASSERT_EQ(feeds->size(), 4u);
  EXPECT_EQ((*feeds)[0].url, "https://world.example/rss");
  EXPECT_EQ((*feeds)[0].group, "World");
  EXPECT_EQ((*feeds)[0].title, "Example World");
  EXPECT_EQ((*feeds)[0].line, 6);
  EXPECT_EQ((*feeds)[1].url, "https://other.example/atom");
  EXPECT_EQ((*feeds)[1].group, "World");
  EXPECT_EQ((*feeds)[2].group, "Science/Space");
  EXPECT_EQ((*feeds)[3].group, "");
  EXPECT_EQ((*feeds)[3].line, 10);
}

TEST(Opml, MalformedXmlIsAnErrorWithALine) {
  auto feeds = parse_opml("<opml>\n<body>\n<outline xmlUrl='x'\n</body></opml>");
  ASSERT_FALSE(feeds.ok());
  EXPECT_EQ(feeds.error().code, ErrorCode::kConfig);
  EXPECT_NE(feeds.error().message.find("line "), std::string::npos) << feeds.error().message;
  EXPECT_FALSE(parse_opml("<rss><channel/></rss>").ok());
}

class ConfigOpmlFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("feedpipe-config-opml-" + std::to_string(rd()));
    fs::create_directories(dir_ / "lists");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  fs::path dir_;
};

TEST_F(ConfigOpmlFiles, PathsRelativeToTheConfigAndDefaultsApply) {
  write("lists/news.opml", kOpml);
  write("feedpipe.yaml",
        "defaults: {interval: 7m, group: misc}\n"
        "feeds: [https://inline.example/rss]\n"
        "opml: [lists/news.opml]\n");
  auto load = load_config_file((dir_ / "feedpipe.yaml").string());
  ASSERT_TRUE(load.ok()) << format_problem(load.problems.front());
  const auto& feeds = load.config.feeds;
  ASSERT_EQ(feeds.size(), 5u);
  EXPECT_EQ(feeds[0].url, "https://inline.example/rss");
  EXPECT_EQ(feeds[1].url, "https://world.example/rss");
  EXPECT_EQ(feeds[1].group, "World");
  EXPECT_EQ(feeds[1].interval, std::chrono::minutes(7));
  EXPECT_EQ(feeds[4].group, "misc") << "no category and no folder: the default group";
  EXPECT_EQ(load.config.opml, std::vector<std::string>{"lists/news.opml"});
}

TEST_F(ConfigOpmlFiles, ProblemsPointIntoTheOpmlFile) {
  write("bad.opml",
        "<opml version='2.0'><body>\n"
        "<outline xmlUrl='https://a.example/rss'/>\n"
        "<outline xmlUrl='javascript:alert(1)'/>\n"
        "</body></opml>\n");
  write("feedpipe.yaml", "feeds:\n  - https://a.example/rss\nopml: [bad.opml, missing.opml]\n");
  auto load = load_config_file((dir_ / "feedpipe.yaml").string());
  ASSERT_EQ(load.problems.size(), 3u);
  auto opml_path = (dir_ / "bad.opml").string();
  // The main file's problems come first.
  EXPECT_EQ(load.problems[0].key, "opml[1]");
  EXPECT_EQ(load.problems[0].line, 3);
  EXPECT_EQ(load.problems[1].path, opml_path);
  EXPECT_EQ(load.problems[1].line, 2);
  EXPECT_NE(load.problems[1].message.find("duplicate"), std::string::npos);
  EXPECT_EQ(load.problems[2].path, opml_path);
  EXPECT_EQ(load.problems[2].line, 3);
}

TEST_F(ConfigOpmlFiles, MalformedOpmlNamesTheFile) {
  write("broken.opml", "<opml><body><outline</body>");
  write("feedpipe.yaml", "opml: [broken.opml]\n");
  auto load = load_config_file((dir_ / "feedpipe.yaml").string());
  ASSERT_FALSE(load.ok());
  EXPECT_EQ(load.problems[0].key, "opml[0]");
  EXPECT_NE(load.problems[0].message.find("broken.opml"), std::string::npos);
}

}  // namespace
}  // namespace feedpipe
