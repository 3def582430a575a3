// URL functions: no crash; canonicalisation is idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t split = text.find('\n');
  std::string_view base = split == std::string_view::npos ? "http://a.example/b/c" : text.substr(0, split);
  std::string_view ref = split == std::string_view::npos ? text : text.substr(split + 1);
  std::string resolved = feedpipe::resolve_url(base, ref);
  std::string canon = feedpipe::canonicalize_url(resolved);
  if (feedpipe::canonicalize_url(canon) != canon) std::abort();
  (void)feedpipe::url_host(resolved);
  return 0;
}
