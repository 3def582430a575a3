#pragma once

// The enrich role (DESIGN.md section 1): consumes <prefix>.entries (read_committed, group
// `<group_id>.enrich`, eager assignment with static membership), fetches the page of each
// revision-1 entry the ArticleSource wants, and publishes feedpipe.article/1 to
// <prefix>.articles keyed by item id, or a feedpipe.error/1 dead letter to <prefix>.errors
// once the source has failed `max_attempts` times (or once with a non-retriable error).
// Later revisions are not fetched again: a revision changes the feed's text, not the page
// that was already extracted. Entries the source does not want produce nothing.
//
// Pipelined: pages load concurrently (at most `max_in_flight`); a slow page holds back only
// its own partition. Each transaction holds the article and error records of the completed
// prefix of every partition (entries in offset order, all done) and the offsets just past
// those prefixes (send_offsets_to_transaction with the group metadata, KIP-447, so a
// replica whose partitions moved cannot commit). A partition with `max_pending_per_partition`
// uncommitted entries is paused until it drains.
//
// Exactly once: outputs and offsets commit together. After a crash, a failed commit that is
// never retried, or a move of the partition, the entries past the committed offset are read
// and fetched again by the owner; their records are written once. A failed commit keeps the
// finished work and retries the transaction; a fatal producer is rebuilt on the next begin.
// On revocation the completed prefix is committed first, then the partition's remaining
// entries are dropped (late page results for them are ignored). The role keeps no state
// topic: everything it needs is in the entry record.
//
// Threading: start() runs the role on its own thread, which is the only caller of the
// source's wants()/fetch() and of the listener. `done` may be called from any thread, also
// from inside fetch() and after the role is destroyed (the result is then dropped).

#include <chrono>
#include <functional>
#include <memory>

#include "common/article.h"
#include "common/config.h"
#include "common/item.h"
#include "common/result.h"
#include "publisher/events.h"

namespace feedpipe::publisher {

class ArticleSource {
 public:
  virtual ~ArticleSource() = default;
  // Whether this entry's page is wanted at all (per-feed `fetch_articles`, a link present).
  virtual bool wants(const Item& entry) = 0;
  // Starts fetching and extracting the entry's page; `done` is called exactly once, from
  // any thread. An Error with `retriable == false` goes to the dead letters at once.
  virtual void fetch(const Item& entry, std::function<void(Result<Article>)> done) = 0;
};

class EnrichListener : public EventSink {};

class EnrichRole {
 public:
  struct Options {
    int max_in_flight = 64;                // page fetches started and not yet done
    int max_pending_per_partition = 1000;  // uncommitted entries before the partition pauses
    int max_batch = 500;                   // completed entries that trigger a commit at once
    std::chrono::milliseconds commit_interval{500};  // completed work waits at most this
    int max_attempts = 3;
    std::chrono::milliseconds retry_backoff{std::chrono::seconds(2)};  // doubles per attempt
    // An attempt whose `done` has not come by then counts as failed (kTimeout); a late
    // result of that attempt is ignored.
    std::chrono::milliseconds attempt_timeout{std::chrono::minutes(2)};
    // How long leaving the group in stop() may take; past it the consumer is dropped
    // without leaving (ConsumerCloseTimedOut).
    std::chrono::milliseconds close_timeout{std::chrono::seconds(10)};
    // Fault injection for tests (TxnProducer::set_fault_injection).
    std::function<CommitFault()> commit_fault;
  };

  // Creates the clients (init_transactions) and subscribes; throws std::runtime_error on
  // start-up errors (bad configuration, missing topics).
  EnrichRole(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source);
  EnrichRole(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source,
             Options options);
  EnrichRole(const EnrichRole&) = delete;
  EnrichRole& operator=(const EnrichRole&) = delete;
  ~EnrichRole();  // stop()

  void start();
  // Commits the completed work, leaves the group, joins the thread. Entries still loading
  // are not waited for: the next owner reads and fetches them again. Idempotent.
  void stop();
  bool restored() const;  // has taken its first assignment (for /readyz)

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedpipe::publisher
