#pragma once

#include <cstdint>
#include <string_view>

namespace feedpipe::publisher {

// Kafka's murmur2 (Java client `Utils.murmur2`, librdkafka `rd_murmur2`), signed like Java.
std::int32_t murmur2(std::string_view data);

// The partition Java's default partitioner and librdkafka's `murmur2_random` choose for a
// non-null key: toPositive(murmur2(key)) % partition_count. The app uses it to tell which
// feed-state partition a feed URL belongs to.
int partition_for(std::string_view key, int partition_count);

}  // namespace feedpipe::publisher
