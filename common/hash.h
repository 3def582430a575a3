#pragma once

#include <string>
#include <string_view>

namespace feedpipe {

// 32 hex chars of XXH3-128 of `key`: the item id, Kafka key of every output record.
std::string item_id(std::string_view key);

// 64 hex chars of SHA-256.
std::string sha256_hex(std::string_view data);

}  // namespace feedpipe
