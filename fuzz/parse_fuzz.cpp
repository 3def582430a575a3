// Feed parser: any bytes must give a result (never crash, never invalid UTF-8 in the JSON).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/feed_json.h"
#include "parser/feed_parser.h"
#include "parser/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  feedpipe::DocumentInfo info;
  info.base_url = "http://fuzz.example/feed/";
  feedpipe::ParsedFeed feed = feedpipe::parser::parse_feed(bytes, info);
  std::string json = feedpipe::parser::feed_to_json(feed);
  feedpipe::parser::NormalizeOptions opts{"http://fuzz.example/feed/", 0, nullptr};
  for (const auto& e : feed.entries) (void)feedpipe::parser::to_item(feed, e, opts);
  return json.empty() ? 1 : 0;
}
