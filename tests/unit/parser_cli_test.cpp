#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "app/commands.h"

namespace feedpipe::app {
namespace {

// A feed written to a temporary file, removed at the end of the test.
class FeedFile {
 public:
  explicit FeedFile(const std::string& body) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string("parser_cli_test_") + test->name() + "_" +
                       std::to_string(std::hash<std::string>{}(body)) + ".xml";
    path_ = (std::filesystem::temp_directory_path() / name).string();
    std::ofstream(path_, std::ios::binary) << body;
  }
  ~FeedFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

constexpr const char* kFeed =
    "<rss version=\"2.0\"><channel><title>T</title><link>front</link>"
    "<item><link>post</link></item></channel></rss>";

TEST(ParserCli, HeadersGiveTheBaseAndLanguage) {
  FeedFile file(kFeed);
  ::testing::internal::CaptureStdout();
  int rc = cmd_parse({"--json", "--base-url", "http://fetch.example/feeds/a.xml", "--header",
                      "Content-Location:  /archive/ ", "--header", "content-language: fr",
                      "--header", "X-Other: ignored", file.path()});
  std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_EQ(rc, 0) << out;
  auto doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc["feed"]["link"], "http://fetch.example/archive/front");
  EXPECT_EQ(doc["feed"]["language"], "fr");
  EXPECT_EQ(doc["entries"][0]["link"], "http://fetch.example/archive/post");
}

TEST(ParserCli, HeaderWithoutANameIsAUsageError) {
  FeedFile file(kFeed);
  ::testing::internal::CaptureStderr();
  int rc = cmd_parse({"--json", "--header", "no colon here", file.path()});
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
}

}  // namespace
}  // namespace feedpipe::app
