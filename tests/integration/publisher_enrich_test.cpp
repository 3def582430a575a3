// EnrichRole against a real broker: every wanted revision-1 entry ends as exactly one
// article or one dead letter, whatever order and thread its page completes on; failures are
// retried before the dead letter; a restart (also with pages still loading) publishes
// nothing twice.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sys/wait.h>
#include <thread>

#include "common/hash.h"
#include "publisher/enrich_role.h"
#include "publisher/kafka_client.h"
#include "publisher/record.h"
#include "publisher/topics.h"
#include "tests/integration/publisher_kafka_util.h"

namespace feedpipe::publisher {
namespace {

using namespace std::chrono_literals;

class CountingListener : public EnrichListener {
 public:
  void on(const RecordsPublished& e) override {
    if (e.role != Role::kEnrich) return;
    if (e.topic == Topic::kArticles) articles += e.count;
    if (e.topic == Topic::kErrors) errors += e.count;
  }
  void on(const TransactionCommitted& e) override {
    if (e.role == Role::kEnrich) ++commits;
  }
  void on(const TransactionAborted& e) override {
    if (e.role == Role::kEnrich) ++aborts;
  }
  void on(const ArticleRetried&) override { ++retries; }
  void on(const EnrichBacklog& e) override {
    if (e.paused_partitions > 0) paused_seen = true;
  }
  void on(const OwnedPartitions& e) override { owned = e.count; }
  void on(const TransactionSettled& e) override {
    (e.outcome == TxnOutcome::kCommitted ? settled_committed : settled_other)++;
  }
  std::atomic<int> settled_committed{0}, settled_other{0};
  std::atomic<int> articles{0}, errors{0}, commits{0}, aborts{0}, retries{0}, owned{0};
  std::atomic<bool> paused_seen{false};
};

// The page's fate is chosen by the entry's title prefix:
//   ok-     succeeds inside fetch()
//   late-   succeeds later, from the source's own thread
//   slow-   same, 50 ms each
//   block-  blocks the caller of fetch() for `block_for` (the first time), then succeeds
//   flaky-  fails (retriable) on the first attempt, then succeeds
//   fail-   always fails (retriable)
//   perm-   fails once, not retriable
//   hang-   never completes while `hang` is set (done is called in the destructor instead)
//   skip-   not wanted (fetch_articles: false)
class FakeSource : public ArticleSource {
 public:
  FakeSource() : worker_([this] { work(); }) {}
  ~FakeSource() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
    // Results of pages still loading when the role went away: must be harmless.
    for (auto& done : hung_) done(Error{ErrorCode::kTimeout, "too late", true});
  }

  bool wants(const Item& entry) override { return entry.title.rfind("skip-", 0) != 0; }

  void fetch(const Item& entry, std::function<void(Result<Article>)> done) override {
    int attempt;
    {
      std::lock_guard lock(mutex_);
      attempt = ++attempts_[entry.id];
    }
    const std::string& t = entry.title;
    if (t.rfind("late-", 0) == 0 || t.rfind("slow-", 0) == 0) {
      std::lock_guard lock(mutex_);
      later_.push_back({article_for(entry), std::move(done), t[0] == 's' ? 50ms : 5ms});
      cv_.notify_all();
    } else if (t.rfind("block-", 0) == 0) {
      std::this_thread::sleep_for(block_for.exchange(0ms));  // once
      done(article_for(entry));
    } else if (t.rfind("flaky-", 0) == 0 && attempt == 1) {
      done(Error{ErrorCode::kConnect, "connection refused", true});
    } else if (t.rfind("fail-", 0) == 0) {
      done(Error{ErrorCode::kHttpStatus, "HTTP 503", true});
    } else if (t.rfind("perm-", 0) == 0) {
      done(Error{ErrorCode::kParse, "no article text found on the page", false});
    } else if (t.rfind("hang-", 0) == 0 && hang) {
      std::lock_guard lock(mutex_);
      hung_.push_back(std::move(done));
    } else {
      done(article_for(entry));
    }
  }

  static Article article_for(const Item& entry) {
    Article a;
    a.title = "Page of " + entry.title;
    a.byline = "A. Writer";
    a.published = 1795708800;
    a.language = "en";
    a.site_name = "Example";
    a.canonical_url = entry.url;
    a.text = "Body of " + entry.title + ".";
    a.word_count = 3;
    return a;
  }

  std::map<std::string, int> attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

  std::atomic<bool> hang{false};
  std::atomic<std::chrono::milliseconds> block_for{0ms};

 private:
  struct Later {
    Article article;
    std::function<void(Result<Article>)> done;
    std::chrono::milliseconds delay;
  };

  void work() {
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait_for(lock, 30ms, [&] { return stopping_ || !later_.empty(); });
      if (stopping_) return;
      if (later_.empty()) continue;
      // Completes the newest first, so results arrive out of offset order.
      Later next = std::move(later_.back());
      later_.pop_back();
      lock.unlock();
      std::this_thread::sleep_for(next.delay);
      next.done(std::move(next.article));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, int> attempts_;
  std::vector<Later> later_;
  std::vector<std::function<void(Result<Article>)>> hung_;
  std::thread worker_;
};

Item entry(const std::string& title, int revision = 1) {
  Item i;
  i.key = "https://example.org/" + title;
  i.id = item_id(i.key);
  i.revision = revision;
  i.url = i.key;
  i.link = i.key;
  i.title = title;
  i.content_text = "summary of " + title;
  i.content_sha256 = sha256_hex(i.content_text + std::to_string(revision));
  i.fetched_at = 1795708800;
  i.feed.url = "https://example.org/feed.xml";
  return i;
}

// Writes entries the way dedup does: one committed transaction.
void write_entries(const KafkaConfig& config, const std::vector<Item>& items) {
  EventSink sink;
  detail::TxnProducer producer(config, config.group_id + ".test-dedup", Role::kDedup, sink);
  ASSERT_TRUE(producer.start().ok());
  ASSERT_TRUE(producer.begin().ok());
  for (const auto& i : items) {
    const std::string value = encode_entry(i);
    ASSERT_TRUE(producer.produce(TopicNames::from_prefix(config.topic_prefix).entries, -1, i.id,
                                 &value, entry_headers(i))
                    .ok());
  }
  ASSERT_TRUE(producer.commit().ok());
}

struct Output {
  std::multiset<std::string> article_ids;
  std::multiset<std::string> error_ids;
  std::map<std::string, nlohmann::json> articles;  // by id
  std::map<std::string, nlohmann::json> errors;    // by id
  std::vector<std::string> article_values;
};

Output read_output(const KafkaConfig& config) {
  const auto topics = TopicNames::from_prefix(config.topic_prefix);
  Output out;
  for (const auto& r : testing::read_committed(topics.articles, config.partitions)) {
    auto json = nlohmann::json::parse(r.value);
    EXPECT_EQ(json["id"], r.key);
    EXPECT_EQ(r.headers.count("ce_type") ? r.headers.at("ce_type") : "",
              "io.feedpipe.article.v1");
    out.article_ids.insert(r.key);
    out.articles[r.key] = json;
    out.article_values.push_back(r.value);
  }
  for (const auto& r : testing::read_committed(topics.errors, config.partitions)) {
    auto json = nlohmann::json::parse(r.value);
    EXPECT_EQ(json["id"], r.key);
    out.error_ids.insert(r.key);
    out.errors[r.key] = json;
  }
  return out;
}

bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout = 60s) {
  return testing::eventually([] { std::this_thread::sleep_for(50ms); }, done, timeout);
}

EnrichRole::Options fast_options() {
  EnrichRole::Options o;
  o.max_in_flight = 4;
  o.max_pending_per_partition = 6;
  o.max_batch = 10;
  o.commit_interval = 100ms;
  o.retry_backoff = 50ms;
  o.attempt_timeout = 30s;
  return o;
}

std::multiset<std::string> ids_of(const std::vector<Item>& items) {
  std::multiset<std::string> out;
  for (const auto& i : items) out.insert(i.id);
  return out;
}

TEST(PublisherEnrichKafka, EveryEntryEndsAsOneArticleOrOneDeadLetter) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("enrich");
  ASSERT_TRUE(ensure_topics(config).ok());

  std::vector<Item> good, failing, skipped;
  for (int i = 0; i < 15; ++i) good.push_back(entry("ok-" + std::to_string(i)));
  for (int i = 0; i < 15; ++i) good.push_back(entry("late-" + std::to_string(i)));
  for (int i = 0; i < 4; ++i) good.push_back(entry("flaky-" + std::to_string(i)));
  for (int i = 0; i < 3; ++i) failing.push_back(entry("fail-" + std::to_string(i)));
  failing.push_back(entry("perm-0"));
  skipped.push_back(entry("skip-0"));
  skipped.push_back(entry("ok-0", 2));  // a later revision: its page is not fetched again

  std::vector<Item> first, second;
  for (std::size_t i = 0; i < good.size(); ++i) (i % 2 ? second : first).push_back(good[i]);
  first.insert(first.end(), failing.begin(), failing.end());
  second.insert(second.end(), skipped.begin(), skipped.end());

  write_entries(config, first);  // before the role starts
  FakeSource source;
  CountingListener l;
  {
    EnrichRole role(config, l, source, fast_options());
    role.start();
    write_entries(config, second);  // while it runs
    ASSERT_TRUE(wait_for([&] {
      return l.articles == static_cast<int>(good.size()) &&
             l.errors == static_cast<int>(failing.size());
    })) << "articles " << l.articles << " errors " << l.errors;
    EXPECT_TRUE(role.restored());
    EXPECT_EQ(l.owned, config.partitions);
    role.stop();
  }
  EXPECT_GT(l.commits, 0);
  EXPECT_TRUE(l.paused_seen) << "more entries than max_pending_per_partition were queued";

  const Output out = read_output(config);
  EXPECT_EQ(out.article_ids, ids_of(good));
  EXPECT_EQ(out.error_ids, ids_of(failing));

  // The article record: the entry's fields and the page's `article` object.
  const Item& late = good[15];
  const auto& a = out.articles.at(late.id);
  EXPECT_EQ(a["schema"], "feedpipe.article/1");
  EXPECT_EQ(a["title"], late.title);
  EXPECT_EQ(a["revision"], 1);
  EXPECT_EQ(a["article"]["title"], "Page of " + late.title);
  EXPECT_EQ(a["article"]["text"], "Body of " + late.title + ".");
  EXPECT_EQ(a["article"]["word_count"], 3);

  // Dead letters: retried up to max_attempts unless the error says a retry is useless.
  const auto attempts = source.attempts();
  for (const auto& f : failing) {
    const auto& e = out.errors.at(f.id);
    const int want = f.title == "perm-0" ? 1 : 3;
    EXPECT_EQ(e["schema"], "feedpipe.error/1");
    EXPECT_EQ(e["stage"], "enrich");
    EXPECT_EQ(e["attempts"], want) << f.title;
    EXPECT_EQ(attempts.at(f.id), want) << f.title;
    EXPECT_EQ(e["error_type"], f.title == "perm-0" ? "parse" : "http_status");
    EXPECT_EQ(e["record"]["id"], f.id);
  }
  for (const auto& g : good) {
    EXPECT_EQ(attempts.at(g.id), g.title.rfind("flaky-", 0) == 0 ? 2 : 1) << g.title;
  }
  EXPECT_EQ(attempts.count(skipped[0].id), 0u) << "an unwanted page was fetched";
  EXPECT_EQ(l.retries, 4 + 3 * 2);

  // The records as written validate against the repository's schema.
  const auto path = std::filesystem::temp_directory_path() /
                    ("enrich-articles-" + std::to_string(::getpid()) + ".jsonl");
  {
    std::ofstream f(path);
    for (const auto& v : out.article_values) f << v << "\n";
  }
  const std::string cmd = "python3 " FEEDPIPE_SOURCE_DIR
                          "/tests/unit/publisher_check.py schema " FEEDPIPE_SOURCE_DIR
                          "/schemas/feedpipe.article.v1.json " +
                          path.string();
  const int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd;
  std::filesystem::remove(path);
}

TEST(PublisherEnrichKafka, RestartWithPagesStillLoadingPublishesNothingTwice) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("enrich-restart", 2);
  ASSERT_TRUE(ensure_topics(config).ok());
  std::vector<Item> all;
  for (int i = 0; i < 12; ++i) all.push_back(entry("ok-" + std::to_string(i)));
  for (int i = 0; i < 4; ++i) all.push_back(entry("hang-" + std::to_string(i)));
  for (int i = 12; i < 20; ++i) all.push_back(entry("ok-" + std::to_string(i)));
  write_entries(config, all);

  // First instance: the hang- pages never finish, so each holds back its partition's offset
  // while later entries complete; stopping commits only the completed prefixes.
  auto source1 = std::make_unique<FakeSource>();
  source1->hang = true;
  auto options = fast_options();
  options.max_in_flight = 8;  // the hung pages must not take every fetch slot
  int first_run = 0;
  {
    CountingListener l;
    EnrichRole role(config, l, *source1, options);
    role.start();
    ASSERT_TRUE(wait_for([&] { return l.articles >= 12; })) << l.articles;
    std::this_thread::sleep_for(500ms);  // later entries complete behind the hung ones
    role.stop();
    first_run = l.articles;
  }
  source1.reset();  // the hung pages complete now, after the role is gone
  const Output partial = read_output(config);
  EXPECT_EQ(static_cast<int>(partial.article_ids.size()), first_run);
  EXPECT_LT(first_run, static_cast<int>(all.size()));

  // Second instance: reads from the committed offsets; everything ends up exactly once,
  // and what the first one committed is not fetched again.
  FakeSource source2;
  {
    CountingListener l;
    EnrichRole role(config, l, source2, fast_options());
    role.start();
    ASSERT_TRUE(wait_for([&] { return first_run + l.articles == static_cast<int>(all.size()); }))
        << "first " << first_run << " second " << l.articles;
    role.stop();
  }
  const auto refetched = source2.attempts();
  for (const auto& id : partial.article_ids) {
    EXPECT_EQ(refetched.count(id), 0u) << "a committed entry was fetched again";
  }
  Output out = read_output(config);
  EXPECT_EQ(out.article_ids, ids_of(all));

  // Third instance with one new entry: only that one is published.
  const Item fresh = entry("ok-fresh");
  write_entries(config, {fresh});
  FakeSource source3;
  {
    CountingListener l;
    EnrichRole role(config, l, source3, fast_options());
    role.start();
    ASSERT_TRUE(wait_for([&] { return l.articles >= 1; }));
    std::this_thread::sleep_for(500ms);  // room for a wrong extra record to show up
    role.stop();
    EXPECT_EQ(l.articles, 1);
  }
  EXPECT_EQ(source3.attempts().size(), 1u);
  all.push_back(fresh);
  out = read_output(config);
  EXPECT_EQ(out.article_ids, ids_of(all));
  EXPECT_TRUE(out.error_ids.empty());
}

// A commit the coordinator applied but whose answer never came back, and a producer that
// failed fatally just before its commit: either way the role learns from Kafka what became
// of the work, and every entry ends as exactly one article, fetched once.
void articles_published_once_despite(CommitFault fault, const std::string& test) {
  auto config = testing::test_config(test);
  ASSERT_TRUE(ensure_topics(config).ok());
  std::vector<Item> all;
  for (int i = 0; i < 20; ++i) all.push_back(entry("ok-" + std::to_string(i)));
  write_entries(config, all);
  std::atomic<int> commits{0};
  auto options = fast_options();
  options.commit_fault = [&] { return commits.fetch_add(1) == 0 ? fault : CommitFault::kNone; };
  FakeSource source;
  CountingListener l;
  EnrichRole role(config, l, source, options);
  role.start();
  // A commit of unknown outcome is never counted as published: the topic tells.
  const bool counted = fault != CommitFault::kLoseCommitAnswerUnsettled;
  const int want = static_cast<int>(all.size());
  ASSERT_TRUE(wait_for([&] {
    return counted ? l.articles == want
                   : static_cast<int>(read_output(config).article_ids.size()) >= want;
  })) << "articles " << l.articles;
  std::this_thread::sleep_for(500ms);  // room for a wrong extra record to show up
  role.stop();
  EXPECT_GE(commits, 2);
  // What Kafka said of the failed commit: applied when only its answer was lost; aborted
  // after a fatal error; unknown when it could not be asked (the role rejoined).
  const bool applied = fault == CommitFault::kLoseCommitAnswer;
  EXPECT_EQ(l.settled_committed, applied ? 1 : 0);
  EXPECT_EQ(l.settled_other, applied ? 0 : 1);
  if (counted) {
    EXPECT_EQ(l.articles, want);
  } else {
    EXPECT_LT(l.articles, want) << "the work of unknown outcome was counted";
  }
  EXPECT_EQ(read_output(config).article_ids, ids_of(all));
  if (fault == CommitFault::kLoseCommitAnswer) {
    for (const auto& [id, n] : source.attempts()) EXPECT_EQ(n, 1) << id << " fetched again";
  }
}

TEST(PublisherEnrichKafka, CommitWhoseAnswerWasLostIsNotPublishedTwice) {
  FEEDPIPE_REQUIRE_KAFKA();
  articles_published_once_despite(CommitFault::kLoseCommitAnswer, "enrich-lostanswer");
}

TEST(PublisherEnrichKafka, FatalErrorBeforeTheCommitLosesNothing) {
  FEEDPIPE_REQUIRE_KAFKA();
  articles_published_once_despite(CommitFault::kFatalBeforeCommit, "enrich-fatalbefore");
}

TEST(PublisherEnrichKafka, CommitOfUnknownOutcomeRejoinsAndStartsFromKafka) {
  FEEDPIPE_REQUIRE_KAFKA();
  articles_published_once_despite(CommitFault::kLoseCommitAnswerUnsettled, "enrich-unsettled");
}

TEST(PublisherEnrichKafka, HandoverToASecondReplicaWhilePagesLoad) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("enrich-handover");
  ASSERT_TRUE(ensure_topics(config).ok());
  std::vector<Item> all;
  for (int i = 0; i < 60; ++i) all.push_back(entry("slow-" + std::to_string(i)));
  write_entries(config, all);

  FakeSource source_a, source_b;
  CountingListener la, lb;
  auto config_b = config;
  config_b.instance_id = "replica-b";
  EnrichRole a(config, la, source_a, fast_options());
  a.start();
  ASSERT_TRUE(wait_for([&] { return la.articles >= 5; }));
  // The rebalance revokes A's partitions while some of its pages are loading: A commits
  // what is complete, B starts after it.
  EnrichRole b(config_b, lb, source_b, fast_options());
  b.start();
  std::vector<Item> more;
  for (int i = 60; i < 90; ++i) more.push_back(entry("slow-" + std::to_string(i)));
  write_entries(config, more);
  all.insert(all.end(), more.begin(), more.end());
  ASSERT_TRUE(wait_for([&] { return la.articles + lb.articles >= static_cast<int>(all.size()); }))
      << "a " << la.articles << " b " << lb.articles;
  EXPECT_GT(lb.owned, 0) << "the second replica took no partition";
  EXPECT_GT(lb.articles, 0);
  std::this_thread::sleep_for(500ms);  // room for a wrong extra record to show up
  b.stop();
  a.stop();
  EXPECT_EQ(la.articles + lb.articles, static_cast<int>(all.size()));
  const Output out = read_output(config);
  EXPECT_EQ(out.article_ids, ids_of(all));
}

// A replica stalls inside the source past max.poll.interval.ms and session.timeout.ms, so
// the group moves its partitions to another replica; when it wakes up, its transaction
// carries a stale generation and must not commit (KIP-447). Either way nothing is
// published twice.
TEST(PublisherEnrichKafka, StalledReplicaIsFencedByTheGroupGeneration) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("enrich-zombie", 1);
  ASSERT_TRUE(ensure_topics(config).ok());
  std::vector<Item> all;
  for (int i = 0; i < 5; ++i) all.push_back(entry("ok-" + std::to_string(i)));
  all.push_back(entry("block-0"));
  for (int i = 5; i < 10; ++i) all.push_back(entry("ok-" + std::to_string(i)));

  FakeSource source_a, source_b;
  source_a.block_for = 12s;  // test_config: session and max.poll.interval 6 s
  CountingListener la, lb;
  auto options = fast_options();
  options.max_batch = 3;  // A commits its finished work right after the stall, before polling
  auto config_b = config;
  config_b.instance_id = "replica-b";
  EnrichRole a(config, la, source_a, options);
  a.start();
  ASSERT_TRUE(wait_for([&] { return la.owned == 1; }));
  EnrichRole b(config_b, lb, source_b, fast_options());
  b.start();
  write_entries(config, all);
  ASSERT_TRUE(wait_for([&] { return la.articles + lb.articles >= static_cast<int>(all.size()); },
                       90s))
      << "a " << la.articles << " b " << lb.articles;
  std::this_thread::sleep_for(2s);  // A's late commit attempt, if any, has happened by now
  a.stop();
  b.stop();
  EXPECT_EQ(la.articles + lb.articles, static_cast<int>(all.size()))
      << "a " << la.articles << " b " << lb.articles;
  EXPECT_GE(la.aborts, 1) << "the stalled replica's transaction was not refused";
  const Output out = read_output(config);
  EXPECT_EQ(out.article_ids, ids_of(all));
}

// Throughput with pages that load instantly: the role's own cost (consume, encode, commit),
// from the first assignment on; printed for the docs.
TEST(PublisherEnrichKafka, ThroughputOfTheRoleItself) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("enrich-throughput");
  ASSERT_TRUE(ensure_topics(config).ok());
  constexpr int kEntries = 3000;
  std::vector<Item> all;
  for (int i = 0; i < kEntries; ++i) all.push_back(entry("ok-" + std::to_string(i)));
  write_entries(config, all);
  FakeSource source;
  CountingListener l;
  EnrichRole::Options options;  // the defaults the daemon runs with
  EnrichRole role(config, l, source, options);
  role.start();
  ASSERT_TRUE(wait_for([&] { return role.restored(); }));
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_for([&] { return l.articles >= kEntries; }, 120s)) << l.articles;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  role.stop();
  std::printf("enrich: %d entries -> articles in %.2f s (%.0f/s, %d transactions)\n",
              kEntries, seconds, kEntries / seconds, l.commits.load());
  EXPECT_EQ(read_output(config).article_ids, ids_of(all));
}

}  // namespace
}  // namespace feedpipe::publisher
