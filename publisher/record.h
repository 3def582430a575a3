#pragma once

// Record encoding of DESIGN.md section 4: `feedpipe.entry/1` JSON values with CloudEvents
// binary-mode headers, plus the JSON values of the two compacted state topics. Pure
// functions: no Kafka types cross this header, so the app and the tests use them freely.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/article.h"
#include "common/feed_state.h"
#include "common/item.h"
#include "common/result.h"

namespace feedpipe::publisher {

inline constexpr std::string_view kEntrySchema = "feedpipe.entry/1";
inline constexpr std::string_view kEntryEventType = "io.feedpipe.entry.v1";
inline constexpr std::string_view kArticleSchema = "feedpipe.article/1";
inline constexpr std::string_view kArticleEventType = "io.feedpipe.article.v1";
inline constexpr std::string_view kErrorSchema = "feedpipe.error/1";

struct Header {
  std::string key;
  std::string value;
};

// The JSON value of one entry record. Optional strings that are empty are written as null,
// unknown timestamps as null (never invented); `item.key` is not part of the record.
std::string encode_entry(const Item& item);

// Inverse of encode_entry; nulls come back as empty strings / nullopt. kParse on anything
// that is not a feedpipe.entry/1 object with an id.
Result<Item> decode_entry(std::string_view json);

// ce_specversion, ce_id ("<id>-<revision>": stable, so a consumer can dedupe redeliveries),
// ce_source (feed url), ce_type, ce_time (fetched_at; omitted when unknown), content-type.
std::vector<Header> entry_headers(const Item& item);

// `feedpipe.article/1`: the entry's fields plus the `article` object from its page.
std::string encode_article(const Item& entry, const Article& article);
// The `article` object alone, as `feedpipe extract --json` prints it.
std::string encode_article_object(const Article& article, bool pretty = false);
// entry_headers with ce_type io.feedpipe.article.v1.
std::vector<Header> article_headers(const Item& entry);
// A dead letter for <prefix>.errors: why `stage` gave up on the entry, and the entry itself.
std::string encode_dead_letter(const Item& entry, std::string_view stage, ErrorCode code,
                               std::string_view message, int attempts);

// <prefix>.feed-state value, keyed by feed URL.
std::string encode_feed_state(const FeedState& state);
Result<FeedState> decode_feed_state(std::string_view json);

// <prefix>.dedup-state value, keyed by item id. `last_seen_ms` refreshes on every sighting
// so that retention expires items no feed has shown for `dedup.retention`, not old ones
// that are still being carried.
struct DedupEntry {
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::string content_sha256;
  int revision = 1;
};
std::string encode_dedup_entry(const DedupEntry& entry);
Result<DedupEntry> decode_dedup_entry(std::string_view json);

}  // namespace feedpipe::publisher
