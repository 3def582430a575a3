#include <gtest/gtest.h>

#include <vector>

#include "publisher/kafka_client.h"

namespace feedpipe::publisher {
namespace {

class Capture : public EventSink {
 public:
  void on(const KafkaStatistics& s) override { stats.push_back(s); }
  std::vector<KafkaStatistics> stats;
};

// Shaped like librdkafka's STATISTICS.md document, trimmed to what is parsed.
constexpr const char* kProducerStats = R"({
  "name": "rdkafka#producer-1", "type": "producer", "msg_cnt": 17, "msg_size": 4096,
  "tx": 120, "txmsgs": 3400, "rx": 118, "rxmsgs": 0,
  "eos": {"idemp_state": "Assigned", "txn_state": "InTransaction", "producer_epoch": 3},
  "brokers": {
    "127.0.0.1:9092/bootstrap": {"nodeid": -1, "state": "UP", "rtt": {"avg": 0, "p99": 0}},
    "127.0.0.1:9092/1": {"nodeid": 1, "state": "UP", "rtt": {"avg": 1500, "p99": 9000}},
    "127.0.0.1:9094/2": {"nodeid": 2, "state": "DOWN", "rtt": {"avg": 0, "p99": 0}},
    "GroupCoordinator": {"nodeid": -1, "state": "UP"}
  },
  "topics": {}
})";

constexpr const char* kConsumerStats = R"({
  "type": "consumer", "rxmsgs": 900, "brokers": {},
  "topics": {
    "feedpipe.raw": {"partitions": {
      "0": {"consumer_lag": 12}, "1": {"consumer_lag": -1}, "2": {"consumer_lag": 30},
      "-1": {"consumer_lag": -1}}}
  }
})";

TEST(PublisherStats, ProducerFields) {
  Capture sink;
  detail::emit_statistics(sink, Role::kIngest, kProducerStats);
  ASSERT_EQ(sink.stats.size(), 1u);
  const auto& s = sink.stats[0];
  EXPECT_EQ(s.role, Role::kIngest);
  EXPECT_EQ(s.client, "producer");
  EXPECT_EQ(s.msg_cnt, 17);
  EXPECT_EQ(s.tx, 120);
  EXPECT_EQ(s.txmsgs, 3400);
  EXPECT_EQ(s.txn_state, "InTransaction");
  ASSERT_EQ(s.brokers.size(), 2u) << "bootstrap and logical brokers are left out";
  for (const auto& b : s.brokers) {
    if (b.name == "127.0.0.1:9092/1") {
      EXPECT_EQ(b.state, "UP");
      EXPECT_EQ(b.rtt_avg_us, 1500);
      EXPECT_EQ(b.rtt_p99_us, 9000);
    } else {
      EXPECT_EQ(b.name, "127.0.0.1:9094/2");
      EXPECT_EQ(b.state, "DOWN");
    }
  }
  EXPECT_EQ(s.json, kProducerStats);
}

TEST(PublisherStats, ConsumerLagSumsKnownPartitions) {
  Capture sink;
  detail::emit_statistics(sink, Role::kDedup, kConsumerStats);
  ASSERT_EQ(sink.stats.size(), 1u);
  EXPECT_EQ(sink.stats[0].consumer_lag, 42);
  EXPECT_EQ(sink.stats[0].rxmsgs, 900);
}

TEST(PublisherStats, NotJsonIsIgnored) {
  Capture sink;
  detail::emit_statistics(sink, Role::kDedup, "{truncated");
  EXPECT_TRUE(sink.stats.empty());
}

}  // namespace
}  // namespace feedpipe::publisher
