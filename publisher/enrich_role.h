#pragma once

// The enrich role (DESIGN.md section 1): consumes <prefix>.entries (read_committed, group
// `<group_id>.enrich`, eager assignment with static membership), fetches each first
// revision's page through an ArticleSource, and publishes feedpipe.article/1 to
// <prefix>.articles, or a dead letter to <prefix>.errors once the source has failed
// `max_attempts` times.
//
// Exactly once: a batch of entries is processed to completion (every page fetched or given
// up on), then the article and error records and the consumed offsets commit in one
// transaction bound to the group generation, as in DedupRole. A crash before the commit
// replays the batch; the pages are fetched again, the output is still written once. The role
// keeps no state topic: everything it needs is in the entry record.
//
// Threading: start() runs the role on its own thread; ArticleSource::fetch may complete from
// any thread.

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
  // Starts fetching and extracting the entry's page; `done` is called exactly once.
  virtual void fetch(const Item& entry, std::function<void(Result<Article>)> done) = 0;
};

class EnrichListener : public EventSink {};

class EnrichRole {
 public:
  struct Options {
    int max_batch = 50;
    std::chrono::milliseconds batch_wait{500};
    int max_attempts = 3;
    std::chrono::milliseconds retry_backoff{std::chrono::seconds(2)};  // doubles per attempt
    std::chrono::milliseconds batch_deadline{std::chrono::minutes(3)};
  };

  // Throws std::runtime_error on configuration errors or missing topics (start-up only).
  EnrichRole(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source);
  EnrichRole(const KafkaConfig& kafka, EnrichListener& listener, ArticleSource& source,
             Options options);
  EnrichRole(const EnrichRole&) = delete;
  EnrichRole& operator=(const EnrichRole&) = delete;
  ~EnrichRole();  // stop()

  void start();
  // Stops consuming; a batch in progress is finished or abandoned (then replayed by the next
  // owner), never half-committed.
  void stop();
  bool restored() const;  // has taken its first assignment

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace feedpipe::publisher
