// DedupRole against a real broker: one entry per item id, duplicates dropped, revisions,
// state restored after a restart, retention tombstones.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "common/hash.h"
#include "publisher/dedup_role.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
#include "publisher/topics.h"
#include "tests/integration/publisher_kafka_util.h"

namespace feedpipe::publisher {
namespace {

using namespace std::chrono_literals;

class CountingListener : public DedupListener {
 public:
  void on(const DuplicatesDropped& e) override { duplicates += e.count; }
  void on(const RevisionsPublished& e) override { revisions += e.count; }
  void on(const UpdatesIgnored& e) override { ignored += e.count; }
  void on(const ExpiredStateDeleted& e) override { expired += e.count; }
  void on(const RecordsPublished& e) override {
    if (e.topic == Topic::kEntries) entries += e.count;
    if (e.topic == Topic::kErrors) errors += e.count;
  }
  void on(const TransactionCommitted&) override { ++commits; }
  void on(const OwnedPartitions& e) override { owned = e.count; }
  void on(const TransactionSettled& e) override {
    (e.outcome == TxnOutcome::kCommitted ? settled_committed : settled_other)++;
  }
  std::atomic<int> settled_committed{0}, settled_other{0};
  std::atomic<int> duplicates{0}, revisions{0}, ignored{0}, expired{0}, entries{0}, errors{0},
      commits{0}, owned{0};
};

Item item(const std::string& name, const std::string& body) {
  Item i;
  i.key = "https://example.org/" + name;
  i.id = item_id(i.key);
  i.url = i.key;
  i.title = name;
  i.content_text = body;
  i.content_sha256 = sha256_hex(body);
  i.fetched_at = 1795708800;
  i.feed.url = "https://example.org/feed.xml";
  return i;
}

// Writes items to raw the way ingest does: one committed transaction.
void write_raw(const KafkaConfig& config, const std::vector<Item>& items) {
  EventSink sink;
  detail::TxnProducer producer(config, config.group_id + ".test-ingest", Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  for (const auto& i : items) {
    const std::string value = encode_entry(i);
    ASSERT_TRUE(producer.produce(TopicNames::from_prefix(config.topic_prefix).raw, -1, i.id,
                                 &value, entry_headers(i))
                    .ok());
  }
  ASSERT_TRUE(producer.commit().ok());
}

void write_garbage(const KafkaConfig& config) {
  EventSink sink;
  detail::TxnProducer producer(config, config.group_id + ".test-garbage", Role::kIngest, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  const std::string value = "not a record";
  ASSERT_TRUE(
      producer.produce(TopicNames::from_prefix(config.topic_prefix).raw, -1, "junk", &value).ok());
  ASSERT_TRUE(producer.commit().ok());
}

// (id, revision) of every committed entry, in no particular order.
std::multiset<std::pair<std::string, int>> entries_of(const KafkaConfig& config) {
  std::multiset<std::pair<std::string, int>> out;
  for (const auto& r : testing::read_committed(TopicNames::from_prefix(config.topic_prefix).entries,
                                               config.partitions)) {
    auto decoded = decode_entry(r.value);
    EXPECT_TRUE(decoded.ok());
    if (!decoded) continue;
    EXPECT_EQ(decoded->id, r.key);
    EXPECT_EQ(r.headers.at("ce_id"), decoded->id + "-" + std::to_string(decoded->revision));
    out.insert({decoded->id, decoded->revision});
  }
  return out;
}

bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout = 60s) {
  return testing::eventually([] { std::this_thread::sleep_for(50ms); }, done, timeout);
}

TEST(PublisherDedupKafka, PublishesOncePerIdWithRevisionsAndSurvivesRestart) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("dedup");
  ASSERT_TRUE(ensure_topics(config).ok());
  DedupConfig dedup;
  const Item a = item("a", "A"), b = item("b", "B"), c = item("c", "C");
  const Item b2 = item("b", "B changed");

  // Written before the role starts and while it runs: both must be handled.
  write_raw(config, {a, b, a, c});
  {
    CountingListener l;
    DedupRole role(config, dedup, l);
    role.start();
    write_raw(config, {b2, a, c});
    write_garbage(config);
    // The garbage record comes last, in a transaction of its own: the role may have handled
    // every entry before it reaches it.
    ASSERT_TRUE(wait_for([&] { return l.duplicates == 3 && l.revisions == 1 && l.errors == 1; }))
        << "duplicates " << l.duplicates << " revisions " << l.revisions << " errors "
        << l.errors;
    EXPECT_TRUE(role.restored());
    role.stop();
    EXPECT_EQ(l.entries, 4);
  }
  const std::multiset<std::pair<std::string, int>> want = {
      {a.id, 1}, {b.id, 1}, {c.id, 1}, {b.id, 2}};
  EXPECT_EQ(entries_of(config), want);

  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  auto errors = testing::read_committed(topics.errors, config.partitions);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].value, "not a record");

  // dedup-state: the last value of each id, in the partition of its raw record.
  std::map<std::string, DedupEntry> state;
  for (const auto& r : testing::read_committed(topics.dedup_state, config.partitions)) {
    auto e = decode_dedup_entry(r.value);
    ASSERT_TRUE(e.ok());
    state[r.key] = *e;
  }
  ASSERT_EQ(state.size(), 3u);
  EXPECT_EQ(state.at(b.id).revision, 2);
  EXPECT_EQ(state.at(b.id).content_sha256, b2.content_sha256);

  // A new instance restores the state and the committed offsets: it republishes nothing
  // old, drops a repeat of a, publishes d.
  const Item d = item("d", "D");
  write_raw(config, {a, d, b2});
  {
    CountingListener l;
    DedupRole role(config, dedup, l);
    role.start();
    ASSERT_TRUE(wait_for([&] { return l.entries == 1 && l.duplicates == 2; }))
        << "entries " << l.entries << " duplicates " << l.duplicates;
    std::this_thread::sleep_for(500ms);  // room for a wrong extra record to show up
    role.stop();
    EXPECT_EQ(l.entries, 1);
    EXPECT_EQ(l.revisions, 0);
  }
  auto with_d = want;
  with_d.insert({d.id, 1});
  EXPECT_EQ(entries_of(config), with_d);
}

TEST(PublisherDedupKafka, IgnoresUpdatesWhenConfigured) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("noupdates");
  ASSERT_TRUE(ensure_topics(config).ok());
  DedupConfig dedup;
  dedup.publish_updates = false;
  const Item a = item("a", "A");
  write_raw(config, {a, item("a", "A edited"), a});
  CountingListener l;
  DedupRole role(config, dedup, l);
  role.start();
  ASSERT_TRUE(wait_for([&] { return l.ignored == 1 && l.duplicates == 1; }));
  role.stop();
  EXPECT_EQ(entries_of(config), (std::multiset<std::pair<std::string, int>>{{a.id, 1}}));
}

TEST(PublisherDedupKafka, RetentionTombstonesForgottenIds) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("retention");
  ASSERT_TRUE(ensure_topics(config).ok());
  DedupConfig dedup;
  dedup.retention = std::chrono::hours(24);
  std::atomic<std::int64_t> now{1'000'000'000'000};
  DedupRole::Options options;
  options.now_ms = [&] { return now.load(); };
  options.expiry_interval = 200ms;
  const Item a = item("a", "A"), b = item("b", "B");
  write_raw(config, {a, b});

  CountingListener l;
  DedupRole role(config, dedup, l, options);
  role.start();
  ASSERT_TRUE(wait_for([&] { return l.entries == 2; }));
  // b is seen again 20 h later: its last sighting moves, a's does not.
  now += std::chrono::milliseconds(std::chrono::hours(20)).count();
  write_raw(config, {b});
  ASSERT_TRUE(wait_for([&] { return l.duplicates == 1; }));
  EXPECT_EQ(l.expired, 0) << "nothing is older than the retention yet";
  now += std::chrono::milliseconds(std::chrono::hours(5)).count();
  ASSERT_TRUE(wait_for([&] { return l.expired == 1; }));
  // a was forgotten: it is new again. b is still known.
  write_raw(config, {a, b});
  ASSERT_TRUE(wait_for([&] { return l.entries == 3 && l.duplicates == 2; }));
  role.stop();
  EXPECT_EQ(l.expired, 1);

  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  int tombstones = 0;
  for (const auto& r : testing::read_committed(topics.dedup_state, config.partitions)) {
    if (r.tombstone) {
      ++tombstones;
      EXPECT_EQ(r.key, a.id);
    }
  }
  EXPECT_EQ(tombstones, 1);
  EXPECT_EQ(entries_of(config),
            (std::multiset<std::pair<std::string, int>>{{a.id, 1}, {b.id, 1}, {a.id, 1}}));
}

// A commit the coordinator applied but whose answer never came back, and a producer that
// failed fatally just before its commit: either way the role learns from Kafka what became
// of the batch, publishes it exactly once and keeps its state.
void batch_published_once_despite(CommitFault fault, const std::string& test) {
  auto config = testing::test_config(test);
  ASSERT_TRUE(ensure_topics(config).ok());
  std::atomic<int> commits{0};
  DedupRole::Options options;
  options.commit_fault = [&] { return commits.fetch_add(1) == 0 ? fault : CommitFault::kNone; };
  const Item a = item("a", "A"), b = item("b", "B"), c = item("c", "C");
  write_raw(config, {a, b, c});

  CountingListener l;
  DedupRole role(config, DedupConfig{}, l, options);
  role.start();
  // A commit of unknown outcome is never counted as published: the topic tells.
  const bool counted = fault != CommitFault::kLoseCommitAnswerUnsettled;
  ASSERT_TRUE(wait_for([&] { return counted ? l.entries == 3 : entries_of(config).size() == 3; }))
      << "entries " << l.entries;
  EXPECT_GE(commits, 1);
  // What Kafka said of the failed commit: applied when only its answer was lost; aborted
  // after a fatal error; unknown when it could not be asked (the role rejoined).
  const bool applied = fault == CommitFault::kLoseCommitAnswer;
  EXPECT_EQ(l.settled_committed, applied ? 1 : 0);
  EXPECT_EQ(l.settled_other, applied ? 0 : 1);
  // The same items again are duplicates: the state of the batch was kept (or rebuilt).
  write_raw(config, {a, b, c});
  ASSERT_TRUE(wait_for([&] { return l.duplicates == 3; })) << "duplicates " << l.duplicates;
  role.stop();
  if (counted) {
    EXPECT_EQ(l.entries, 3);
  } else {
    EXPECT_LT(l.entries, 3) << "the batch of unknown outcome was counted";
  }
  EXPECT_EQ(entries_of(config),
            (std::multiset<std::pair<std::string, int>>{{a.id, 1}, {b.id, 1}, {c.id, 1}}));
}

TEST(PublisherDedupKafka, CommitWhoseAnswerWasLostIsNotPublishedTwice) {
  FEEDPIPE_REQUIRE_KAFKA();
  batch_published_once_despite(CommitFault::kLoseCommitAnswer, "lostanswer");
}

TEST(PublisherDedupKafka, FatalErrorBeforeTheCommitLosesNothing) {
  FEEDPIPE_REQUIRE_KAFKA();
  batch_published_once_despite(CommitFault::kFatalBeforeCommit, "fatalbefore");
}

// Applied, but Kafka could not be asked: the role drops its partitions, rejoins, and takes
// state and positions from Kafka again.
TEST(PublisherDedupKafka, CommitOfUnknownOutcomeRejoinsAndRestores) {
  FEEDPIPE_REQUIRE_KAFKA();
  batch_published_once_despite(CommitFault::kLoseCommitAnswerUnsettled, "unsettled");
}

}  // namespace
}  // namespace feedpipe::publisher
