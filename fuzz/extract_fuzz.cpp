// libFuzzer target: article extraction must terminate, never crash, on any bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/html/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto article = feedpipe::parser::html::extract_article(bytes, "https://example.com/a/b");
  (void)article;
  return 0;
}
