// Prints every item `to_item` makes of the feed files given, one field per line, so that
// two builds can be compared for byte-identical normalisation: `item_dump FILE... > out`.

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "parser/feed_parser.h"
#include "parser/normalize.h"

namespace {

void field(const char* name, const std::string& value) {
  std::printf("%s %zu:", name, value.size());
  std::fwrite(value.data(), 1, value.size(), stdout);
  std::printf("\n");
}

void field(const char* name, const feedpipe::UnixSeconds& t) {
  if (t) std::printf("%s %lld\n", name, static_cast<long long>(*t));
  else std::printf("%s -\n", name);
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    feedpipe::DocumentInfo info;
    info.base_url = "https://feed.example/dir/feed.xml";
    feedpipe::ParsedFeed feed = feedpipe::parser::parse_feed(doc, info);
    feedpipe::parser::NormalizeOptions opts{info.base_url, 1700000000, nullptr};
    std::printf("== %s %zu\n", argv[i], feed.entries.size());
    for (auto& e : feed.entries) {  // as the daemon does: the entry's bodies move
      feedpipe::Item item = feedpipe::parser::to_item(feed, std::move(e), opts);
      field("id", item.id);
      field("key", item.key);
      field("url", item.url);
      field("link", item.link);
      field("guid", item.guid);
      field("title", item.title);
      field("summary", item.summary);
      field("content_html", item.content_html);
      field("content_text", item.content_text);
      for (const auto& a : item.authors) {
        field("author.name", a.name);
        field("author.email", a.email);
        field("author.uri", a.uri);
      }
      for (const auto& c : item.categories) field("category", c);
      field("published", item.published);
      field("updated", item.updated);
      field("fetched_at", item.fetched_at);
      field("language", item.language);
      field("image", item.image);
      for (const auto& en : item.enclosures) {
        field("enclosure.url", en.url);
        field("enclosure.type", en.type);
        std::printf("enclosure.length %lld\n", static_cast<long long>(en.length));
      }
      field("content_sha256", item.content_sha256);
      field("feed.url", item.feed.url);
      field("feed.title", item.feed.title);
      field("feed.link", item.feed.link);
    }
  }
  return 0;
}
