// libFuzzer target for the streaming sanitiser: it terminates on any bytes, its output is
// valid UTF-8, and sanitising its own output changes nothing (so every element, attribute
// and URL it writes is one it would keep).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parser/html/stream_sanitize.h"
#include "parser/text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using feedpipe::parser::valid_utf8;
  using feedpipe::parser::html::stream_html_to_text;
  using feedpipe::parser::html::stream_sanitize;
  std::string_view html(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kBase = "https://example.com/feed/";
  std::string clean = stream_sanitize(html, kBase);
  if (!valid_utf8(clean)) std::abort();
  if (stream_sanitize(clean, kBase) != clean) std::abort();
  if (!valid_utf8(stream_html_to_text(html, true))) std::abort();
  if (!valid_utf8(stream_html_to_text(html, false))) std::abort();
  return 0;
}
