// Records per second into the real broker with the idempotent producer alone and with
// transactions of several sizes, in the same run. Prints the numbers; asserts only that
// every record arrived (no timed assertions).
//
//   KAFKA_BOOTSTRAP=127.0.0.1:19092 FEEDPIPE_THROUGHPUT_RECORDS=50000
//     build/tests/integration_tests --gtest_filter='KafkaThroughput*'

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <cstdio>
#include <string>

#include "common/hash.h"
#include "publisher/dedup_role.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
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

class EntryCounter : public DedupListener {
 public:
  void on(const RecordsPublished& e) override {
    if (e.topic == Topic::kEntries) entries += e.count;
  }
  void on(const DuplicatesDropped& e) override { duplicates += e.count; }
  void on(const RestoreProgress& e) override {
    if (e.done) restored_records += e.records;
  }
  std::atomic<int> entries{0}, duplicates{0};
  std::atomic<std::int64_t> restored_records{0};
};

// The dedup role end to end: raw records already in the topic (half of them repeats),
// time until every new id is in entries; then a second instance restores the state.
TEST(KafkaThroughput, DedupRole) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("dedupbench", 6);
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  const int n = record_count();
  {
    EventSink sink;
    detail::TxnProducer writer(config, config.group_id + ".writer", Role::kIngest, sink);
    ASSERT_TRUE(writer.start().ok());
    for (int i = 0; i < n;) {
      ASSERT_TRUE(writer.begin().ok());
      for (int j = 0; j < 1000 && i < n; ++j, ++i) {
        Item item;
        item.key = "https://bench.example/" + std::to_string(i % (n / 2));  // each id twice
        item.id = item_id(item.key);
        item.url = item.key;
        item.content_text = std::string(800, 'x');
        item.content_sha256 = sha256_hex(item.key);
        item.fetched_at = 1795708800;
        item.feed.url = "https://bench.example/feed";
        const std::string value = encode_entry(item);
        ASSERT_TRUE(writer.produce(topics.raw, -1, item.id, &value).ok());
      }
      ASSERT_TRUE(writer.commit().ok());
    }
  }
  EntryCounter counter;
  const auto start = Clock::now();
  {
    DedupRole role(config, DedupConfig{}, counter);
    role.start();
    ASSERT_TRUE(testing::eventually(
        [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); },
        [&] { return counter.entries + counter.duplicates >= n; }, std::chrono::seconds(300)));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    role.stop();
    std::printf("[ throughput ] dedup role: %d raw records (%d ids) in %.2f s = %.0f records/s\n",
                n, n / 2, seconds, n / seconds);
  }
  EXPECT_EQ(counter.entries, n / 2);
  EXPECT_EQ(counter.duplicates, n / 2);

  EntryCounter second;
  const auto restore_start = Clock::now();
  DedupRole role(config, DedupConfig{}, second);
  role.start();
  ASSERT_TRUE(testing::eventually([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); },
                                  [&] { return role.restored(); }, std::chrono::seconds(120)));
  const double restore_seconds = std::chrono::duration<double>(Clock::now() - restore_start).count();
  role.stop();
  std::printf("[ throughput ] dedup restart: %lld state records restored, ready after %.2f s\n",
              static_cast<long long>(second.restored_records.load()), restore_seconds);
  EXPECT_EQ(second.entries, 0) << "nothing republished after the restart";
}

}  // namespace
}  // namespace feedpipe::publisher
