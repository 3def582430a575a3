// Records per second into the real broker with the idempotent producer alone and with
// transactions of several sizes, in the same run. Prints the numbers; asserts only that
// every record arrived (no timed assertions).
//
//   KAFKA_BOOTSTRAP=127.0.0.1:19092 FEEDPIPE_THROUGHPUT_RECORDS=50000
//     build/tests/integration_tests --gtest_filter='KafkaThroughput*'

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "publisher/kafka_client.h"
#include "publisher/topics.h"
#include "tests/integration/publisher_kafka_util.h"

namespace feedpipe::publisher {
namespace {

using Clock = std::chrono::steady_clock;

int record_count() {
  const char* n = std::getenv("FEEDPIPE_THROUGHPUT_RECORDS");
  return n ? std::atoi(n) : 20000;
}

// A feedpipe.entry/1-sized value (~1 KiB).
const std::string& payload() {
  static const std::string value(1024, 'x');
  return value;
}

double idempotent_only(const KafkaConfig& config, const std::string& topic, int records) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", config.bootstrap_servers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
  rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  const auto start = Clock::now();
  for (int i = 0; i < records; ++i) {
    const std::string key = "k" + std::to_string(i);
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()),
                             RD_KAFKA_V_KEY(key.data(), key.size()),
                             RD_KAFKA_V_VALUE(const_cast<char*>(payload().data()), payload().size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 10);
    }
  }
  EXPECT_EQ(rd_kafka_flush(rk, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rd_kafka_destroy(rk);
  return records / seconds;
}

double transactional(const KafkaConfig& config, const std::string& topic, int records,
                     int per_txn) {
  EventSink sink;
  detail::TxnProducer producer(config, config.group_id + ".bench." + std::to_string(per_txn),
                               Role::kIngest, sink);
  EXPECT_TRUE(producer.start().ok());
  const auto start = Clock::now();
  for (int i = 0; i < records;) {
    EXPECT_TRUE(producer.begin().ok());
    for (int j = 0; j < per_txn && i < records; ++j, ++i) {
      EXPECT_TRUE(producer.produce(topic, -1, "k" + std::to_string(i), &payload()).ok());
    }
    auto st = producer.commit();
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
  return records / std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(KafkaThroughput, IdempotentVersusTransactional) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("bench", 6);
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  const int n = record_count();
  struct Run {
    std::string name;
    std::string topic;
    double rate;
  };
  std::vector<Run> runs;
  runs.push_back({"idempotent, no transactions", topics.raw, idempotent_only(config, topics.raw, n)});
  for (int per_txn : {1000, 100, 10}) {
    const int count = per_txn == 10 ? n / 10 : n;  // small transactions are slow; fewer records
    const std::string topic = per_txn == 1000 ? topics.entries
                              : per_txn == 100 ? topics.articles
                                               : topics.errors;
    runs.push_back({"transactions of " + std::to_string(per_txn), topic,
                    transactional(config, topic, count, per_txn)});
  }
  for (const auto& r : runs) {
    std::printf("[ throughput ] %-30s %10.0f records/s (1 KiB values, %d partitions)\n",
                r.name.c_str(), r.rate, config.partitions);
  }
  // Everything committed is there, exactly once.
  EXPECT_EQ(testing::read_committed(topics.raw, 6).size(), static_cast<std::size_t>(n));
  EXPECT_EQ(testing::read_committed(topics.entries, 6).size(), static_cast<std::size_t>(n));
  EXPECT_EQ(testing::read_committed(topics.errors, 6).size(), static_cast<std::size_t>(n / 10));
}

}  // namespace
}  // namespace feedpipe::publisher
