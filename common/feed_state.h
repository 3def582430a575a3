#pragma once

// Per-feed state kept in the compacted <prefix>.feed-state topic, keyed by feed URL.

#include <cstdint>
#include <vector>
#include <string>

#include "common/fetch.h"

namespace feedpipe {

struct FeedState {
  std::string url;
  Validators validators;
  std::vector<std::string> seen_keys;  // most recent last; capped (DESIGN.md section 3)
  std::int64_t next_due_unix_ms = 0;
  int error_count = 0;
  std::string last_error;             // error_type of the last failure, empty when ok
  std::string moved_to;               // permanent redirect target
};

}  // namespace feedpipe
