#pragma once

// The part of librdkafka's statistics JSON (STATISTICS.md) that feedpipe exports.

#include <string>
#include <string_view>
#include <vector>

namespace feedpipe::app {

struct KafkaClientStats {
  struct Broker {
    std::string name;         // "host:port/nodeid"
    bool up = false;
    double rtt_p99_seconds = 0;
  };
  double queue_messages = 0;            // msg_cnt (gauge)
  double produced_messages_total = 0;   // txmsgs (cumulative)
  double requests_total = 0;            // tx (cumulative)
  double consumer_lag_messages = 0;     // sum of partitions' consumer_lag (>= 0)
  std::vector<Broker> brokers;          // bootstrap and logical brokers excluded
};

// Parses one statistics document; fields that are absent stay 0. False when not JSON.
bool parse_kafka_stats(std::string_view json, KafkaClientStats* out);

}  // namespace feedpipe::app
