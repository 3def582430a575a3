// IngestSession against a real broker: topics, exactly-once commit of a poll, aborted
// transactions, restore after restart, zombie fencing.

#include <gtest/gtest.h>

#include <algorithm>
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
using testing::Record;

class TestIngestListener : public IngestListener {
 public:
  void on_assigned(const std::vector<int>& partitions, std::vector<FeedState> restored) override {
    owned.insert(partitions.begin(), partitions.end());
    for (auto& s : restored) states[s.url] = std::move(s);
    ++assignments;
  }
  void on_revoked(const std::vector<int>& partitions) override {
    for (int p : partitions) owned.erase(p);
    ++revocations;
  }
  void on(const TransactionCommitted&) override { ++commits; }
  void on(const TransactionAborted&) override { ++aborts; }
  void on(const ProducerRebuilt&) override { ++rebuilds; }
  std::set<int> owned;
  std::map<std::string, FeedState> states;
  int assignments = 0, revocations = 0, commits = 0, aborts = 0, rebuilds = 0;
};

Item make_item(const std::string& feed, int n, const std::string& body = "body") {
  Item item;
  item.key = feed + "#" + std::to_string(n);
  item.id = item_id(item.key);
  item.url = "https://example.org/item/" + std::to_string(n);
  item.title = "Item " + std::to_string(n);
  item.content_text = body;
  item.content_sha256 = sha256_hex(body);
  item.fetched_at = 1795708800;
  item.feed.url = feed;
  return item;
}

FeedState make_state(const std::string& url, int seen) {
  FeedState s;
  s.url = url;
  s.validators.etag = "\"v" + std::to_string(seen) + "\"";
  for (int i = 0; i < seen; ++i) s.seen_keys.push_back("k" + std::to_string(i));
  s.next_due_unix_ms = 1000 * seen;
  return s;
}

void wait_owned(IngestSession& session, TestIngestListener& l, std::size_t count) {
  ASSERT_TRUE(testing::eventually([&] { session.poll(100ms); },
                                  [&] { return l.owned.size() == count; }))
      << "owned " << l.owned.size() << " partitions, expected " << count;
}

TEST(PublisherIngestKafka, CreatesTopicsIdempotently) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("topics", 4);
  ASSERT_TRUE(ensure_topics(config).ok());
  ASSERT_TRUE(ensure_topics(config).ok()) << "second call must accept existing topics";
  for (const auto& topic : TopicNames::from_prefix(config.topic_prefix).all()) {
    auto n = partition_count(config, topic);
    ASSERT_TRUE(n.ok()) << topic << ": " << n.error().message;
    EXPECT_EQ(*n, 4) << topic;
  }
  EXPECT_FALSE(partition_count(config, config.topic_prefix + ".missing").ok());
}

TEST(PublisherIngestKafka, CommitPollPublishesExactlyItemsAndState) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("commit");
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  TestIngestListener listener;
  IngestSession session(config, listener);
  wait_owned(session, listener, 3);

  const std::string feed = "https://example.org/feed.xml";
  EXPECT_TRUE(session.owns(feed));
  std::vector<Item> items = {make_item(feed, 1), make_item(feed, 2), make_item(feed, 3)};
  auto st = session.commit_poll(make_state(feed, 3), items);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(listener.commits, 1);

  auto raw = testing::read_committed(topics.raw, 3);
  ASSERT_EQ(raw.size(), 3u);
  std::set<std::string> want, got;
  for (const auto& i : items) want.insert(i.id);
  for (const auto& r : raw) {
    got.insert(r.key);
    auto decoded = decode_entry(r.value);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->id, r.key);
    EXPECT_EQ(r.headers.at("ce_type"), "io.feedpipe.entry.v1");
    EXPECT_EQ(r.headers.at("ce_source"), feed);
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
  }
  EXPECT_EQ(got, want);

  auto states = testing::read_committed(topics.feed_state, 3);
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].key, feed);
  EXPECT_EQ(states[0].partition, session.partition_of(feed));
  auto state = decode_feed_state(states[0].value);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->seen_keys.size(), 3u);
}

TEST(PublisherIngestKafka, CommitPollsWritesSeveralFeedsAtomically) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("polls");
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  TestIngestListener listener;
  IngestSession session(config, listener);
  wait_owned(session, listener, 3);
  std::vector<PollCommit> polls;
  std::set<std::string> want_items, want_feeds;
  for (int f = 0; f < 8; ++f) {
    const std::string feed = "https://polls" + std::to_string(f) + ".example/rss";
    polls.push_back({make_state(feed, 2), {make_item(feed, 1), make_item(feed, 2)}});
    want_feeds.insert(feed);
    for (const auto& i : polls.back().items) want_items.insert(i.id);
  }
  ASSERT_TRUE(session.commit_polls(polls).ok());
  EXPECT_EQ(listener.commits, 1);
  std::set<std::string> items, feeds;
  for (const auto& r : testing::read_committed(topics.raw, 3)) items.insert(r.key);
  for (const auto& r : testing::read_committed(topics.feed_state, 3)) {
    feeds.insert(r.key);
    EXPECT_EQ(r.partition, session.partition_of(r.key));
  }
  EXPECT_EQ(items, want_items);
  EXPECT_EQ(feeds, want_feeds);
}

TEST(PublisherIngestKafka, AbortedTransactionIsInvisible) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("abort");
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  EventSink sink;
  detail::TxnProducer producer(config, config.group_id + ".abort-test", Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  const std::string value = encode_entry(make_item("https://example.org/a.xml", 1));
  ASSERT_TRUE(producer.produce(topics.raw, 0, "aborted-key", &value).ok());
  ASSERT_TRUE(producer.flush(10s).ok()) << "the aborted record must reach the log";
  producer.abort(Error{ErrorCode::kKafka, "test abort"});
  // A committed one afterwards, so the reader has something to see.
  ASSERT_TRUE(producer.begin().ok());
  ASSERT_TRUE(producer.produce(topics.raw, 0, "committed-key", &value).ok());
  ASSERT_TRUE(producer.commit().ok());

  auto raw = testing::read_committed(topics.raw, 3);
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].key, "committed-key");
  // The aborted record was written to the log (offset 0); only its visibility differs.
  EXPECT_GT(raw[0].offset, 0);
}

TEST(PublisherIngestKafka, NewSessionRestoresFeedStates) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("restore");
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  std::vector<std::string> feeds;
  for (int i = 0; i < 6; ++i) feeds.push_back("https://feeds" + std::to_string(i) + ".example/rss");
  {
    TestIngestListener listener;
    IngestSession session(config, listener);
    wait_owned(session, listener, 3);
    for (const auto& f : feeds) ASSERT_TRUE(session.commit_poll(make_state(f, 1), {}).ok());
    // A second state for feed 0 supersedes the first.
    ASSERT_TRUE(session.commit_poll(make_state(feeds[0], 7), {make_item(feeds[0], 9)}).ok());
    session.close();
  }
  {
    // The app removes feed 5 with a tombstone (a plain producer suffices for the test).
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", config.bootstrap_servers.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err, sizeof err);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    ASSERT_EQ(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topics.feed_state.c_str()),
                                RD_KAFKA_V_KEY(feeds[5].data(), feeds[5].size()),
                                RD_KAFKA_V_VALUE(nullptr, 0), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
  }
  TestIngestListener listener;
  IngestSession session(config, listener);
  wait_owned(session, listener, 3);
  ASSERT_EQ(listener.states.size(), 5u);
  EXPECT_EQ(listener.states.count(feeds[5]), 0u) << "tombstoned feed must not be restored";
  EXPECT_EQ(listener.states.at(feeds[0]).seen_keys.size(), 7u);
  EXPECT_EQ(listener.states.at(feeds[0]).validators.etag, "\"v7\"");
  EXPECT_EQ(listener.states.at(feeds[3]).next_due_unix_ms, 1000);
}

TEST(PublisherIngestKafka, ZombieCannotCommitAfterItsPartitionsMoved) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("zombie", 2);
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  const std::string feed = "https://zombie.example/feed";

  TestIngestListener la;
  IngestSession a(config, la);
  wait_owned(a, la, 2);
  ASSERT_TRUE(a.commit_poll(make_state(feed, 1), {make_item(feed, 1)}).ok());

  // A stops polling (paused process). B joins; A misses the rebalance and is removed from
  // the group after max.poll.interval.ms, B gets every partition.
  auto config_b = config;
  config_b.instance_id = "replica-b";
  TestIngestListener lb;
  IngestSession b(config_b, lb);
  wait_owned(b, lb, 2);
  ASSERT_TRUE(lb.states.count(feed)) << "B restored the state A committed";

  // A still believes it owns the feed; its transaction must not commit.
  ASSERT_TRUE(a.owns(feed));
  auto st = a.commit_poll(make_state(feed, 2), {make_item(feed, 2)});
  EXPECT_FALSE(st.ok()) << "zombie commit succeeded";
  EXPECT_GE(la.aborts, 1);

  ASSERT_TRUE(b.commit_poll(make_state(feed, 3), {make_item(feed, 3)}).ok());

  auto raw = testing::read_committed(topics.raw, 2);
  std::set<std::string> keys;
  for (const auto& r : raw) keys.insert(r.key);
  EXPECT_EQ(keys, (std::set<std::string>{make_item(feed, 1).id, make_item(feed, 3).id}));
  auto states = testing::read_committed(topics.feed_state, 2);
  ASSERT_EQ(states.size(), 2u);
  auto last = decode_feed_state(states.back().value);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->seen_keys.size(), 3u) << "the zombie's state must not be visible";
}

TEST(PublisherIngestKafka, FencedProducerIsRebuiltAndStateRestored) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("fenced", 2);
  ASSERT_TRUE(ensure_topics(config).ok());
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  const std::string feed = "https://fenced.example/feed";
  TestIngestListener listener;
  IngestSession session(config, listener);
  wait_owned(session, listener, 2);
  ASSERT_TRUE(session.commit_poll(make_state(feed, 1), {make_item(feed, 1)}).ok());

  // Another producer takes the session's transactional.id: the session's producer is now
  // fenced (a fatal error), as after a duplicate deployment.
  EventSink sink;
  detail::TxnProducer intruder(config, config.group_id + ".ingest." + config.instance_id,
                               Role::kIngest, sink);
  ASSERT_TRUE(intruder.start().ok());

  const int assignments = listener.assignments;
  auto st = session.commit_poll(make_state(feed, 2), {make_item(feed, 2)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kKafkaFatal) << st.error().message;
  EXPECT_EQ(listener.rebuilds, 1);
  EXPECT_EQ(listener.assignments, assignments + 1) << "state restored after the rebuild";
  EXPECT_EQ(listener.states.at(feed).seen_keys.size(), 1u) << "restored the committed state";

  auto again = session.commit_poll(make_state(feed, 3), {make_item(feed, 3)});
  ASSERT_TRUE(again.ok()) << again.error().message;
  std::set<std::string> keys;
  for (const auto& r : testing::read_committed(topics.raw, 2)) keys.insert(r.key);
  EXPECT_EQ(keys, (std::set<std::string>{make_item(feed, 1).id, make_item(feed, 3).id}));
}

}  // namespace
}  // namespace feedpipe::publisher
