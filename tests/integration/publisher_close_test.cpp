// Leaving the consumer group has a deadline: a close the coordinator does not let finish
// (librdkafka's mock cluster with slow answers), a revocation whose rd_kafka_assign the
// group handler never answers (mock cluster, handler held), and the close of a member the
// group has already evicted (real broker) all return within it. Each close runs under a
// watchdog, so a close without a deadline fails the test instead of hanging it.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "publisher/ingest_session.h"
#include "publisher/kafka_client.h"
#include "publisher/topics.h"
#include "tests/integration/publisher_kafka_util.h"

namespace feedpipe::publisher {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs `work` on a thread of its own and waits for it at most `limit`. Work that does not
// return by then is left running (detached, with what it holds) and false returned.
bool returns_within(std::chrono::milliseconds limit, std::function<void()> work) {
  auto done = std::make_shared<std::promise<void>>();
  auto returned = done->get_future();
  std::thread([work = std::move(work), done] {
    work();
    done->set_value();
  }).detach();
  return returned.wait_for(limit) == std::future_status::ready;
}

class CloseEvents : public IngestListener {
 public:
  void on_assigned(const std::vector<int>& partitions, std::vector<FeedState>) override {
    owned.insert(partitions.begin(), partitions.end());
  }
  void on_revoked(const std::vector<int>& partitions) override {
    for (int p : partitions) owned.erase(p);
    ++revocations;
  }
  void on(const ConsumerCloseTimedOut& e) override {
    ++close_timeouts;
    waited = e.waited;
  }
  std::set<int> owned;
  int revocations = 0;
  std::atomic<int> close_timeouts{0};
  std::chrono::milliseconds waited{0};
};

// Holds the group handler (librdkafka's main thread, through the first line it logs once
// armed) until released: a handler that does not answer rd_kafka_assign.
struct HandlerGate {
  std::mutex mutex;
  std::condition_variable changed;
  bool armed = false;
  bool released = false;

  void hold_if_armed(std::string_view line) {
    if (line.rfind("[thrd:main]", 0) != 0) return;
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return !armed || released; });
  }
  void arm() {
    std::lock_guard lock(mutex);
    armed = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      released = true;
    }
    changed.notify_all();
  }
};

// What the mock tests' rebalance callback saw, and what it is to do.
struct Membership {
  std::atomic<int> assigned{0};
  std::atomic<int> revoked{0};
  bool hold_handler_on_revoke = false;
  HandlerGate gate;
};

Membership& membership_of(const rd_kafka_t* rk) {
  return *static_cast<Membership*>(
      static_cast<detail::ClientContext*>(rd_kafka_opaque(rk))->owner);
}

void count_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                     rd_kafka_topic_partition_list_t* partitions, void*) {
  Membership& membership = membership_of(rk);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    membership.assigned += partitions->cnt;
    detail::rebalance_assign(rk, partitions);
  } else {
    membership.revoked += partitions->cnt;
    if (membership.hold_handler_on_revoke) membership.gate.arm();
    detail::rebalance_assign(rk, nullptr);
  }
}

void gated_log(const rd_kafka_t* rk, int, const char*, const char* line) {
  if (rk != nullptr && rd_kafka_opaque(rk) != nullptr) membership_of(rk).gate.hold_if_armed(line);
}

// librdkafka's mock cluster with a topic of two partitions, and a dynamic member of a group
// on it that holds both. The member's close waits for the answer to LeaveGroup.
class PublisherCloseMock : public ::testing::Test {
 protected:
  void SetUp() override {
    char err[512];
    rd_kafka_conf_t* holder_conf = rd_kafka_conf_new();
    rd_kafka_conf_set(holder_conf, "log_level", "0", err, sizeof err);
    holder_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, holder_conf, err, sizeof err));
    ASSERT_TRUE(holder_) << err;
    cluster_ = rd_kafka_mock_cluster_new(holder_.get(), 1);
    ASSERT_NE(cluster_, nullptr);
    rd_kafka_mock_topic_create(cluster_, "close.topic", 2, 1);

    context_->role = Role::kDedup;
    context_->owner = membership_.get();
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"bootstrap.servers", rd_kafka_mock_cluster_bootstraps(cluster_)},
             {"group.id", "close.group"},
             {"session.timeout.ms", "6000"},
             {"heartbeat.interval.ms", "500"},
             {"debug", "cgrp"}}) {
      ASSERT_EQ(rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err), RD_KAFKA_CONF_OK)
          << k << ": " << err;
    }
    rd_kafka_conf_set_log_cb(conf, gated_log);  // also keeps the debug lines off stderr
    rd_kafka_conf_set_rebalance_cb(conf, count_rebalance);
    rd_kafka_conf_set_opaque(conf, context_.get());
    consumer_->reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err));
    ASSERT_TRUE(*consumer_) << err;
    detail::PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), "close.topic", RD_KAFKA_PARTITION_UA);
    ASSERT_EQ(rd_kafka_subscribe(consumer_->get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_TRUE(testing::eventually(
        [&] { detail::Message(rd_kafka_consumer_poll(consumer_->get(), 100)); },
        [&] { return membership_->assigned == 2; }, 30s));
  }

  void TearDown() override {
    membership_->gate.release();
    if (cluster_ != nullptr) {
      rd_kafka_mock_broker_set_rtt(cluster_, 1, 0);
      rd_kafka_mock_cluster_destroy(cluster_);
    }
  }

  // close_consumer with a deadline of 1 s, under a watchdog of 40 s; false when it did not
  // return (the test has failed then). Answers in these tests take 60 s or never come, so
  // anything that waited for one would pass the watchdog; the destroy that follows an
  // abandoned close still takes several seconds to stop the client's threads (9 s has been
  // seen on a loaded machine), hence the margin.
  bool close_under_watchdog() {
    const auto started = Clock::now();
    const bool returned = returns_within(
        40s, [consumer = consumer_, membership = membership_, context = context_,
              events = events_, closed = closed_] {
          *closed =
              detail::close_consumer(*consumer, count_rebalance, Role::kDedup, events.get(), 1s);
        });
    took_ = Clock::now() - started;
    return returned;
  }

  detail::KafkaHandle holder_;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  // Shared with the closing thread, which a failed test leaves behind.
  std::shared_ptr<Membership> membership_ = std::make_shared<Membership>();
  std::shared_ptr<detail::ClientContext> context_ = std::make_shared<detail::ClientContext>();
  std::shared_ptr<detail::KafkaHandle> consumer_ = std::make_shared<detail::KafkaHandle>();
  std::shared_ptr<CloseEvents> events_ = std::make_shared<CloseEvents>();
  std::shared_ptr<std::atomic<int>> closed_ = std::make_shared<std::atomic<int>>(-1);
  Clock::duration took_{};
};

TEST_F(PublisherCloseMock, CloseThatCannotFinishIsAbandonedAtItsDeadline) {
  // Every answer from now on takes longer than the test: the group cannot be left in time.
  rd_kafka_mock_broker_set_rtt(cluster_, 1, 60000);
  ASSERT_TRUE(close_under_watchdog()) << "closing and destroying the consumer did not return";
  EXPECT_EQ(*closed_, 0) << "the close cannot have finished";
  EXPECT_EQ(consumer_->get(), nullptr) << "the handle is destroyed";
  EXPECT_EQ(membership_->revoked, 2) << "the revocation still ran on the closing thread";
  EXPECT_EQ(events_->close_timeouts, 1);
  EXPECT_GE(events_->waited, 1s);
  EXPECT_LT(took_, 30s) << "the destroy after an abandoned close must not wait for answers";
}

TEST_F(PublisherCloseMock, AssignTheGroupHandlerNeverAnswersIsAbandonedAtTheDeadline) {
  // The revocation's rd_kafka_assign(NULL) gets no answer, as from a group handler that
  // terminated under it.
  membership_->hold_handler_on_revoke = true;
  ASSERT_TRUE(close_under_watchdog()) << "the close waited for the assign";
  EXPECT_EQ(*closed_, 0);
  EXPECT_EQ(consumer_->get(), nullptr) << "the handle is no longer the caller's";
  EXPECT_EQ(membership_->revoked, 2);
  EXPECT_EQ(events_->close_timeouts, 1);
  EXPECT_LT(took_, 30s);
  // The handle was left to the process, not destroyed under the waiting assign: once the
  // handler answers, that call returns into a live handle. Its threads go on (logging
  // through gated_log), so what its opaque leads to stays too.
  static auto* kept_for_the_process = new std::vector<std::shared_ptr<void>>;
  kept_for_the_process->push_back(context_);
  kept_for_the_process->push_back(membership_);
  membership_->gate.release();
}

TEST(PublisherCloseKafka, EvictedMemberClosesWithinItsTimeout) {
  FEEDPIPE_REQUIRE_KAFKA();
  auto config = testing::test_config("close", 2);
  ASSERT_TRUE(ensure_topics(config).ok());
  IngestSession::Options options;
  options.close_timeout = 3s;

  auto la = std::make_shared<CloseEvents>();
  auto a = std::make_shared<IngestSession>(config, *la, options);
  ASSERT_TRUE(testing::eventually([&] { a->poll(100ms); }, [&] { return la->owned.size() == 2; }));

  // A stops polling; B joins and, once A is evicted for exceeding max.poll.interval.ms,
  // owns every partition. A still believes it owns both.
  auto config_b = config;
  config_b.instance_id = "replica-b";
  auto lb = std::make_shared<CloseEvents>();
  auto b = std::make_shared<IngestSession>(config_b, *lb, options);
  ASSERT_TRUE(testing::eventually([&] { b->poll(100ms); }, [&] { return lb->owned.size() == 2; }));
  ASSERT_EQ(la->owned.size(), 2u);

  const auto limit = options.close_timeout + 15s;  // the close, then both clients' destroys
  const auto started = Clock::now();
  ASSERT_TRUE(returns_within(limit, [a = std::move(a), la]() mutable {
    a->close();
    a.reset();
  })) << "the evicted member's close or destroy did not return";
  const auto took = Clock::now() - started;
  EXPECT_TRUE(la->owned.empty()) << "the close gave up what the member still held";
  EXPECT_GE(la->revocations, 1);
  EXPECT_LT(took, limit);

  ASSERT_TRUE(returns_within(limit, [b = std::move(b), lb]() mutable { b.reset(); }))
      << "the remaining member's close or destroy did not return";
  EXPECT_EQ(lb->close_timeouts, 0) << "a member in good standing leaves in time";
}

}  // namespace
}  // namespace feedpipe::publisher
