#pragma once

// The ingest path inside one process: owned feeds -> fetcher -> parse workers -> one
// publish thread that commits each poll's new items and the feed's new state in one Kafka
// transaction (through publisher::IngestSession).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/bounded_queue.h"
#include "common/config.h"
#include "common/feed_state.h"
#include "common/fetch.h"
#include "common/item.h"

namespace feedpipe::app {

class Metrics;
class Health;

// What one poll of one feed produced, waiting to be committed.
struct PollOutcome {
  FeedState next_state;
  std::vector<Item> new_items;
  bool from_error = false;
};

// Seen-set bookkeeping of DESIGN.md section 3, pure so it is unit-tested on its own.
// `seen` entries are "<item id>:<first 8 hex of content_sha256>", most recent last.
struct SeenUpdate {
  std::vector<std::size_t> fresh;   // indexes into `items` that are new or changed
  std::vector<std::string> seen;     // the feed's next seen set
  std::size_t unchanged = 0;        // items the feed already showed with the same content
};
SeenUpdate update_seen_set(const std::vector<std::string>& seen, const std::vector<Item>& items,
                           bool publish_updates, std::size_t min_cap = 500);

}  // namespace feedpipe::app
