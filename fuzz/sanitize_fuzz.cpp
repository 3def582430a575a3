// libFuzzer target: sanitising and text conversion terminate on any bytes, and the sanitised
// output never carries a script element.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parser/html/sanitize.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view html(reinterpret_cast<const char*>(data), size);
  std::string clean = feedpipe::parser::html::sanitize_html(html, "https://example.com/feed");
  (void)feedpipe::parser::html::html_to_text(html, true);
  if (clean.find("<script") != std::string::npos) std::abort();
  return 0;
}
