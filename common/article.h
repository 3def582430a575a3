#pragma once

// The article extractor's output: one web page reduced to its article. Plain values.

#include <cstdint>
#include <string>

#include "common/feed.h"

namespace feedpipe {

struct Article {
  std::string title;
  std::string byline;
  UnixSeconds published;
  UnixSeconds modified;
  std::string language;
  std::string site_name;
  std::string canonical_url;
  std::string image;
  std::string text;  // body text, paragraphs separated by blank lines
  std::string html;  // body as sanitised HTML
  std::int64_t word_count = 0;
};

}  // namespace feedpipe
