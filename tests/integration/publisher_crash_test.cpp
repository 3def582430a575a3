// A replica killed (SIGKILL) in the middle of a transaction: its records are already in the
// log but never committed. The restarted replica (same instance id, so the same
// transactional.id) fences and aborts that transaction when it starts; read_committed
// readers never see the half-written poll, and the next poll is visible right away.
//
// The crashing replica is this test binary run again as a child (KafkaCrashChild below).
// One partition per topic, so the dead transaction sits in front of the next poll's records
// and would hide them from read_committed readers until the transaction timeout if it
// were not aborted.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "common/hash.h"
#include "publisher/ingest_session.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
#include "publisher/topics.h"
#include "tests/integration/publisher_kafka_util.h"

namespace feedpipe::publisher {
namespace {

using namespace std::chrono_literals;

class Listener : public IngestListener {
 public:
  void on_assigned(const std::vector<int>& partitions, std::vector<FeedState> restored) override {
    owned.insert(partitions.begin(), partitions.end());
    for (auto& s : restored) states[s.url] = std::move(s);
  }
  void on_revoked(const std::vector<int>& partitions) override {
    for (int p : partitions) owned.erase(p);
  }
  std::set<int> owned;
  std::map<std::string, FeedState> states;
};

constexpr const char* kFeed = "https://crash.example/feed";

Item item(int n) {
  Item i;
  i.key = std::string(kFeed) + "#" + std::to_string(n);
  i.id = item_id(i.key);
  i.url = i.key;
  i.content_sha256 = sha256_hex(i.key);
  i.fetched_at = 1795708800;
  i.feed.url = kFeed;
  return i;
}

FeedState state(int polls) {
  FeedState s;
  s.url = kFeed;
  s.next_due_unix_ms = polls;
  return s;
}

KafkaConfig child_config() {
  auto config = testing::test_config("crash", 1);
  config.topic_prefix = std::getenv("FEEDPIPE_CRASH_PREFIX");
  config.group_id = config.topic_prefix + ".group";
  return config;
}

// Runs only as the child: commits poll 1, writes poll 2 without committing, dies.
TEST(KafkaCrashChild, DiesInsideATransaction) {
  if (!std::getenv("FEEDPIPE_CRASH_PREFIX")) GTEST_SKIP() << "helper of KafkaCrash, run by it";
  const auto config = child_config();
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  {
    Listener l;
    IngestSession session(config, l);
    ASSERT_TRUE(testing::eventually([&] { session.poll(100ms); }, [&] { return l.owned.size() == 1; }));
    ASSERT_TRUE(session.commit_poll(state(1), {item(1)}).ok());
    session.close();
  }
  // The same transactional.id the session uses, so the restart has to fence it.
  EventSink sink;
  detail::TxnProducer producer(config, config.group_id + ".ingest." + config.instance_id,
                               Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  const std::string value = encode_entry(item(2));
  ASSERT_TRUE(producer.produce(topics.raw, -1, item(2).id, &value).ok());
  const std::string st = encode_feed_state(state(2));
  ASSERT_TRUE(producer.produce(topics.feed_state, -1, kFeed, &st).ok());
  ASSERT_TRUE(producer.flush(10s).ok());  // in the log, not committed
  ::kill(::getpid(), SIGKILL);
}

TEST(KafkaCrash, RestartFencesTheDeadReplicasOpenTransaction) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("crash", 1);
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);

  char self[4096] = {};
  ASSERT_GT(::readlink("/proc/self/exe", self, sizeof self - 1), 0);
  const std::string cmd = "FEEDPIPE_CRASH_PREFIX=" + config.topic_prefix + " " + self +
                          " --gtest_filter=KafkaCrashChild.* >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  // sh reports a child killed by SIGKILL as exit status 128 + 9.
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 128 + SIGKILL)
      << "the child must die by SIGKILL inside its transaction, status " << rc;

  Listener l;
  IngestSession session(config, l);
  ASSERT_TRUE(testing::eventually([&] { session.poll(100ms); }, [&] { return l.owned.size() == 1; }));
  ASSERT_TRUE(l.states.count(kFeed));
  EXPECT_EQ(l.states.at(kFeed).next_due_unix_ms, 1) << "restored the committed poll, not the dead one";
  ASSERT_TRUE(session.commit_poll(state(3), {item(3)}).ok());

  // The new poll is readable at once: the dead transaction no longer holds the LSO back.
  std::set<std::string> keys;
  for (const auto& r : testing::read_committed(topics.raw, 1)) keys.insert(r.key);
  EXPECT_EQ(keys, (std::set<std::string>{item(1).id, item(3).id}));
}

}  // namespace
}  // namespace feedpipe::publisher
