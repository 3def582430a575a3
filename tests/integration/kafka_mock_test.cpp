// The transactional producer wrapper against librdkafka's mock cluster: request errors,
// coordinator moves, slow responses (commit timeout -> abort + rebuild) and fatal errors.
// The 2.0.2 mock writes no transaction markers and checks no idempotent sequences, so what
// becomes visible to read_committed readers is tested on the real broker instead
// (publisher_ingest_test, publisher_dedup_test).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "publisher/kafka_client.h"

namespace feedpipe::publisher {
namespace {

using namespace std::chrono_literals;

// Kafka protocol API keys (rdkafka_protocol.h is not installed).
constexpr std::int16_t kProduce = 0;
constexpr std::int16_t kEndTxn = 26;
constexpr std::int16_t kAddPartitionsToTxn = 24;

class Counting : public EventSink {
 public:
  void on(const TransactionCommitted&) override { ++commits; }
  void on(const TransactionAborted&) override { ++aborts; }
  void on(const ProducerRebuilt&) override { ++rebuilds; }
  std::atomic<int> commits{0}, aborts{0}, rebuilds{0};
};

class MockCluster {
 public:
  explicit MockCluster(int brokers) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    holder_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    mcluster_ = rd_kafka_mock_cluster_new(holder_, brokers);
    rd_kafka_mock_topic_create(mcluster_, "mock.raw", 3, brokers >= 3 ? 3 : 1);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mcluster_);
    rd_kafka_destroy(holder_);
  }
  rd_kafka_mock_cluster_t* get() { return mcluster_; }
  KafkaConfig config(std::chrono::milliseconds txn_timeout = 10s) {
    KafkaConfig c;
    c.bootstrap_servers = rd_kafka_mock_cluster_bootstraps(mcluster_);
    c.group_id = "mock";
    c.transaction_timeout = txn_timeout;
    return c;
  }

 private:
  rd_kafka_t* holder_ = nullptr;
  rd_kafka_mock_cluster_t* mcluster_ = nullptr;
};

Status one_transaction(detail::TxnProducer& p, int records) {
  if (auto st = p.begin(); !st) return st;
  const std::string value = "v";
  for (int i = 0; i < records; ++i) {
    if (auto st = p.produce("mock.raw", -1, "k" + std::to_string(i), &value); !st) return st;
  }
  return p.commit();
}

TEST(KafkaMock, RetriableRequestErrorsAreRetriedToACommit) {
  MockCluster mock(3);
  Counting sink;
  detail::TxnProducer producer(mock.config(), "mock-retriable", Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  rd_kafka_mock_push_request_errors(mock.get(), kProduce, 2,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  rd_kafka_mock_push_request_errors(mock.get(), kAddPartitionsToTxn, 1,
                                    RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS);
  rd_kafka_mock_push_request_errors(mock.get(), kEndTxn, 2,
                                    RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                    RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  auto st = one_transaction(producer, 20);
  EXPECT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(sink.commits, 1);
  EXPECT_EQ(sink.aborts, 0);
  EXPECT_EQ(sink.rebuilds, 0);
}

TEST(KafkaMock, AbortableErrorAbortsAndNextTransactionCommits) {
  MockCluster mock(1);
  Counting sink;
  detail::TxnProducer producer(mock.config(), "mock-abortable", Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  // A non-retriable produce error makes the transaction abortable.
  rd_kafka_mock_push_request_errors(mock.get(), kProduce, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_FALSE(one_transaction(producer, 1).ok());
  EXPECT_EQ(sink.aborts, 1);
  EXPECT_EQ(sink.commits, 0);
  // On the 2.0.2 mock the failed record also leaves a sequence gap that fails the next
  // transaction ("requires epoch bump"); it is aborted as well, then transactions commit
  // again without rebuilding the producer.
  bool committed = false;
  for (int attempt = 0; attempt < 3 && !committed; ++attempt) {
    committed = one_transaction(producer, 5).ok();
  }
  EXPECT_TRUE(committed);
  EXPECT_EQ(sink.commits, 1);
  EXPECT_EQ(sink.rebuilds, 0);
}

TEST(KafkaMock, TransactionCoordinatorMoves) {
  MockCluster mock(3);
  Counting sink;
  detail::TxnProducer producer(mock.config(), "mock-coord", Role::kDedup, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(one_transaction(producer, 10).ok());
  for (int broker : {2, 3, 1}) {
    rd_kafka_mock_coordinator_set(mock.get(), "transaction", "mock-coord", broker);
    auto st = one_transaction(producer, 10);
    EXPECT_TRUE(st.ok()) << "coordinator on broker " << broker << ": " << st.error().message;
  }
  EXPECT_EQ(sink.commits, 4);
  EXPECT_EQ(sink.rebuilds, 0);
}

TEST(KafkaMock, CommitThatKeepsTimingOutIsAbortedAndProducerRebuilt) {
  MockCluster mock(1);
  Counting sink;
  detail::TxnProducer producer(mock.config(1500ms), "mock-timeout", Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  const std::string value = "v";
  ASSERT_TRUE(producer.produce("mock.raw", 0, "k", &value).ok());
  ASSERT_TRUE(producer.flush(5s).ok());
  // Every EndTxn answers after 3 s, twice the transaction timeout used as commit timeout.
  for (int i = 0; i < 4; ++i) {  // three commit attempts and the abort
    rd_kafka_mock_broker_push_request_error_rtts(mock.get(), 1, kEndTxn, 1,
                                                 RD_KAFKA_RESP_ERR_NO_ERROR, 3000);
  }
  auto st = producer.commit();
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(producer.healthy()) << "a producer whose commit timed out must be rebuilt";
  EXPECT_GE(sink.aborts, 1);
  // The next transaction rebuilds the producer first and then commits (a leftover slow
  // response may cost one more attempt).
  bool committed = false;
  for (int attempt = 0; attempt < 3 && !committed; ++attempt) {
    committed = one_transaction(producer, 3).ok();
  }
  EXPECT_TRUE(committed);
  EXPECT_GE(sink.rebuilds, 1);
  EXPECT_EQ(sink.commits, 1);
}

TEST(KafkaMock, FatalErrorRebuildsProducer) {
  MockCluster mock(1);
  Counting sink;
  detail::TxnProducer producer(mock.config(), "mock-fatal", Role::kDedup, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  const std::string value = "v";
  ASSERT_TRUE(producer.produce("mock.raw", 0, "k", &value).ok());
  // What librdkafka 2.0.2 does after a timed-out idempotent request (#4438).
  rd_kafka_test_fatal_error(producer.native(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            "injected sequence desynchronisation");
  auto st = producer.commit();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kKafkaFatal);
  EXPECT_FALSE(producer.healthy());
  auto next = one_transaction(producer, 2);
  EXPECT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(sink.rebuilds, 1);
  EXPECT_TRUE(producer.healthy());
}

}  // namespace
}  // namespace feedpipe::publisher
