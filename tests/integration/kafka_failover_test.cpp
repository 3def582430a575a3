// Exactly-once through a broker crash on the 3-node local cluster: a writer commits
// batches of new items to raw while the dedup role runs; node 1 is killed (SIGKILL) and
// restarted in the middle. Every item must reach <prefix>.entries exactly once.
//
//   KAFKA_PORT=19192 scripts/kafka-local start-cluster
//   KAFKA_CLUSTER_PORT=19192 build/tests/integration_tests --gtest_filter='KafkaFailover*'

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "common/hash.h"
#include "publisher/dedup_role.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
#include "publisher/topics.h"
#include "tests/integration/publisher_kafka_util.h"

namespace feedpipe::publisher {
namespace {

using namespace std::chrono_literals;

std::string cluster_port() {
  const char* p = std::getenv("KAFKA_CLUSTER_PORT");
  return p ? p : "";
}

// Runs scripts/kafka-local on the cluster; its output is returned for failure messages.
struct Script {
  int rc;
  std::string output;
};
Script kafka_local(const std::string& args) {
  char path[] = "/tmp/feedpipe-kafka-local-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {-1, "mkstemp failed"};
  close(fd);
  const std::string cmd = "KAFKA_PORT=" + cluster_port() + " " FEEDPIPE_SOURCE_DIR
                          "/scripts/kafka-local " + args + " >" + path + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(path);
  std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path);
  return {rc, output};
}

class Counting : public DedupListener {
 public:
  void on(const RecordsPublished& e) override {
    if (e.topic == Topic::kEntries) entries += e.count;
  }
  void on(const DuplicatesDropped& e) override { duplicates += e.count; }
  std::atomic<int> entries{0}, duplicates{0};
};

TEST(KafkaFailover, BrokerCrashLosesAndDuplicatesNothing) {
  if (cluster_port().empty()) {
    GTEST_SKIP() << "KAFKA_CLUSTER_PORT is not set (KAFKA_PORT=19192 scripts/kafka-local "
                    "start-cluster; export KAFKA_CLUSTER_PORT=19192)";
  }
  const int base = std::atoi(cluster_port().c_str());
  const std::string bootstrap = "127.0.0.1:" + std::to_string(base) + ",127.0.0.1:" +
                                std::to_string(base + 2) + ",127.0.0.1:" +
                                std::to_string(base + 4);
  // The verifier reads KAFKA_BOOTSTRAP; point it at the cluster for this test only.
  const char* previous = std::getenv("KAFKA_BOOTSTRAP");
  const std::string saved = previous ? previous : "";
  setenv("KAFKA_BOOTSTRAP", bootstrap.c_str(), 1);
  struct Restore {
    std::string value;
    ~Restore() {
      if (value.empty()) {
        unsetenv("KAFKA_BOOTSTRAP");
      } else {
        setenv("KAFKA_BOOTSTRAP", value.c_str(), 1);
      }
    }
  } restore{saved};
  auto config = testing::test_config("failover", 3);
  config.bootstrap_servers = bootstrap;
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);

  Counting listener;
  DedupRole role(config, DedupConfig{}, listener);
  role.start();

  EventSink sink;
  detail::TxnProducer writer(config, config.group_id + ".writer", Role::kIngest, sink);
  ASSERT_TRUE(writer.start().ok());
  constexpr int kBatches = 30, kPerBatch = 20;
  std::set<std::string> ids;
  int failed_commits = 0;
  for (int b = 0; b < kBatches; ++b) {
    if (b == 10) {
      const auto killed = kafka_local("kill-node 1");
      ASSERT_EQ(killed.rc, 0) << killed.output;
    }
    if (b == 20) {
      const auto started = kafka_local("start-node 1");
      ASSERT_EQ(started.rc, 0) << started.output;
    }
    std::vector<Item> items;
    for (int i = 0; i < kPerBatch; ++i) {
      Item item;
      item.key = "https://failover.example/" + std::to_string(b) + "/" + std::to_string(i);
      item.id = item_id(item.key);
      item.url = item.key;
      item.content_sha256 = sha256_hex(item.key);
      item.fetched_at = 1795708800;
      item.feed.url = "https://failover.example/feed";
      items.push_back(item);
      ids.insert(item.id);
    }
    // A batch whose commit failed is sent again, as ingest does after a failed poll. While
    // the cluster moves leaders and coordinators off the dead node, commits may fail for
    // as long as the controller takes to fence it; the budget is a deadline, not a count.
    bool committed = false;
    std::string last_error;
    const auto give_up = std::chrono::steady_clock::now() + 90s;
    while (!committed && std::chrono::steady_clock::now() < give_up) {
      auto st = writer.begin();
      for (const auto& item : items) {
        if (!st) break;
        const std::string value = encode_entry(item);
        st = writer.produce(topics.raw, -1, item.id, &value);
      }
      if (st) st = writer.commit();
      if (!st) {
        last_error = st.error().message;
        writer.abort(st.error());
        ++failed_commits;
        std::this_thread::sleep_for(500ms);
      }
      committed = st.ok();
    }
    ASSERT_TRUE(committed) << "batch " << b << ": " << last_error;
  }
  ASSERT_TRUE(testing::eventually([] { std::this_thread::sleep_for(100ms); },
                                  [&] { return listener.entries >= kBatches * kPerBatch; },
                                  120s))
      << "entries " << listener.entries;
  std::this_thread::sleep_for(1s);
  role.stop();

  std::map<std::string, int> seen;
  for (const auto& r : testing::read_committed(topics.entries, 3)) ++seen[r.key];
  EXPECT_EQ(seen.size(), ids.size());
  for (const auto& [id, n] : seen) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_TRUE(ids.count(id)) << id;
  }
  std::printf("[ failover ] %d batches, %d failed commits retried, %d duplicates dropped\n",
              kBatches, failed_commits, listener.duplicates.load());
}

}  // namespace
}  // namespace feedpipe::publisher
