// The Fetcher's bookkeeping on an injected clock, without starting the fetch thread: first
// polls spread over the smallest interval, restored state honoured, removal, reports.

#include <gtest/gtest.h>

#include "fetcher/fetcher.h"

namespace feedpipe::fetcher {
namespace {

using namespace std::chrono_literals;

class NullListener : public Listener {
 public:
  void on_result(FetchResult&&) override {}
};

FeedSpec spec(const std::string& url, Millis interval) {
  FeedSpec s;
  s.url = url;
  s.group = "g";
  s.interval = interval;
  return s;
}

TEST(FetcherState, FirstPollsAreSpreadOverTheSmallestInterval) {
  ManualTimeSource clock;
  NullListener listener;
  Fetcher f(FetchConfig{}, listener, &clock);
  f.upsert_feed(spec("http://h.example/small", 2min));
  for (int i = 0; i < 500; ++i) f.upsert_feed(spec("http://h.example/f" + std::to_string(i), 1h));
  EXPECT_EQ(f.feed_count(), 501u);
  Clock::time_point lo = Clock::time_point::max(), hi = Clock::time_point::min();
  for (const auto& s : f.status(0, 1000)) {
    EXPECT_GE(s.next_due, clock.now());
    EXPECT_LT(s.next_due, clock.now() + 2min);  // not spread over the hour of the others
    lo = std::min(lo, s.next_due);
    hi = std::max(hi, s.next_due);
    EXPECT_EQ(s.last_result, "");
  }
  EXPECT_LT(lo, clock.now() + 10s);  // and actually spread across the window
  EXPECT_GT(hi, clock.now() + 110s);
}

TEST(FetcherState, RestoredStateIsHonoured) {
  ManualTimeSource clock;
  NullListener listener;
  Fetcher f(FetchConfig{}, listener, &clock);
  FeedState st;
  st.url = "http://h.example/a";
  st.validators.etag = "\"e\"";
  st.validators.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  st.next_due_unix_ms = std::chrono::duration_cast<Millis>((clock.now() + 3h).time_since_epoch()).count();
  st.error_count = 3;
  st.moved_to = "http://h.example/b";
  f.upsert_feed(spec(st.url, 5min), &st);
  auto snap = f.snapshot(st.url);
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->validators.etag, "\"e\"");
  EXPECT_EQ(snap->validators.last_modified, st.validators.last_modified);
  EXPECT_EQ(snap->next_due_unix_ms, st.next_due_unix_ms);
  EXPECT_EQ(snap->error_count, 3);
  EXPECT_EQ(snap->moved_to, "http://h.example/b");
  auto status = f.status(0, 1).at(0);
  EXPECT_EQ(status.fetch_url, "http://h.example/b");
  EXPECT_EQ(status.health, FeedHealth::kBackoff);

  // A restored due time in the past is spread again instead of firing everything at once.
  FeedState old = st;
  old.url = "http://h.example/old";
  old.next_due_unix_ms = 1;
  f.upsert_feed(spec(old.url, 5min), &old);
  auto s2 = f.snapshot(old.url);
  EXPECT_GE(s2->next_due_unix_ms, std::chrono::duration_cast<Millis>(clock.now().time_since_epoch()).count());
}

TEST(FetcherState, RemoveAndUpsertKeepTheRightFeeds) {
  ManualTimeSource clock;
  NullListener listener;
  Fetcher f(FetchConfig{}, listener, &clock);
  f.upsert_feed(spec("http://h.example/a", 5min));
  f.upsert_feed(spec("http://h.example/b", 5min));
  f.upsert_feed(spec("http://h.example/a", 10min));  // update, not a second feed
  EXPECT_EQ(f.feed_count(), 2u);
  EXPECT_EQ(f.status(0, 1).at(0).interval, 10min);
  f.remove_feed("http://h.example/a");
  f.remove_feed("http://h.example/never");
  ASSERT_EQ(f.feed_count(), 1u);
  EXPECT_EQ(f.status(0, 10).at(0).url, "http://h.example/b");
  EXPECT_FALSE(f.snapshot("http://h.example/a").has_value());
  EXPECT_EQ(f.status(1, 10).size(), 0u);
}

TEST(FetcherState, BadAllowListFailsAtConstruction) {
  NullListener listener;
  FetchConfig c;
  c.allow_private_networks = {"10.0.0.0/99"};
  EXPECT_THROW(Fetcher(c, listener), std::runtime_error);
}

}  // namespace
}  // namespace feedpipe::fetcher
