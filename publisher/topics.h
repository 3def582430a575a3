#pragma once

// Topic names and creation. Every topic is created with KafkaConfig.partitions and
// .replication_factor; the two state topics are compacted. raw and dedup-state must keep
// the same partition count (dedup-state partition p holds the state of raw partition p).

#include <chrono>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/result.h"

namespace feedpipe::publisher {

struct TopicNames {
  std::string raw, entries, articles, errors, feed_state, dedup_state;
  static TopicNames from_prefix(const std::string& prefix);
  std::vector<std::string> all() const {
    return {raw, entries, articles, errors, feed_state, dedup_state};
  }
};

// Creates the six topics that are missing (CreateTopics); topics that exist are left as
// they are. kKafka with the broker's reason when a creation fails.
Status ensure_topics(const KafkaConfig& config,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Partition count of `topic` from broker metadata.
Result<int> partition_count(const KafkaConfig& config, const std::string& topic,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace feedpipe::publisher
