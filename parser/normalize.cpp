#include "parser/normalize.h"

#include "common/hash.h"
#include "common/url.h"
#include "parser/html/sanitize.h"

namespace feedpipe::parser {

Item to_item(const ParsedFeed& feed, const Entry& entry, const NormalizeOptions& options) {
  Item item;
  item.link = entry.link;
  item.url = canonicalize_url(entry.link);
  item.guid = entry.id;
  item.title = entry.title;
  item.key = !item.url.empty() ? item.url : std::string(options.feed_url) + "#" + entry.id;
  item.id = item_id(item.key);
  item.summary = html::html_to_text(entry.summary);
  item.published = entry.published;
  item.updated = entry.updated;
  item.fetched_at = options.fetched_at_unix;
  item.feed = {std::string(options.feed_url), feed.feed.title, feed.feed.link};
  item.content_sha256 = sha256_hex(item.title + "\n" + item.summary);
  return item;
}

}  // namespace feedpipe::parser
