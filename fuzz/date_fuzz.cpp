// Date parser: any text parses or returns nullopt; a parsed value formats and re-parses to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = feedpipe::parse_date(text);
  if (v && *v > -62135596800LL && *v < 253402300799LL) {
    auto again = feedpipe::parse_date(feedpipe::format_rfc3339(*v));
    if (!again || *again != *v) std::abort();
  }
  return 0;
}
