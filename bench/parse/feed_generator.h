#pragma once

#include <cstddef>
#include <string>

namespace feedpipe::bench {

enum class Charset { kUtf8, kWindows1251 };

// A realistic news feed of about `target_bytes`: RSS 2.0 with content:encoded bodies,
// dc/media/atom/slash namespaces, entities and CDATA. Deterministic for a given size.
std::string make_news_feed(std::size_t target_bytes, Charset charset);

}  // namespace feedpipe::bench
