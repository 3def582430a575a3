#pragma once

#include <string_view>

#include "common/article.h"

namespace feedpipe::parser::html {

// Reduces a web page to its article: metadata (JSON-LD, OpenGraph, meta tags, then the
// visible page) and the main content as text and sanitised HTML. `url` is the page address,
// used to resolve relative links. Pure; bounded time and memory on any input.
Article extract_article(std::string_view html, std::string_view url);

}  // namespace feedpipe::parser::html
