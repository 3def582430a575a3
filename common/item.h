#pragma once

// One feed item as feedpipe publishes it (schema feedpipe.entry/1, DESIGN.md section 4).
// ingest writes it to <prefix>.raw, dedup republishes it to <prefix>.entries with a revision.

#include <cstdint>
#include <string>
#include <vector>

#include "common/feed.h"

namespace feedpipe {

struct FeedRef {
  std::string url;
  std::string title;
  std::string link;
};

struct Item {
  std::string id;        // hex of the 128-bit hash of `key`
  std::string key;       // item key (DESIGN.md section 3)
  int revision = 1;
  std::string url;       // canonical link
  std::string link;      // link as the feed gave it (resolved)
  std::string guid;
  std::string title;
  std::string summary;       // plain text
  std::string content_html;  // sanitised HTML
  std::string content_text;  // plain text
  std::vector<Person> authors;
  std::vector<std::string> categories;
  UnixSeconds published;
  UnixSeconds updated;
  UnixSeconds fetched_at;
  std::string language;
  std::string image;
  std::vector<Enclosure> enclosures;
  std::string content_sha256;
  FeedRef feed;
};

}  // namespace feedpipe
