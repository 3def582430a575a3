#pragma once

// The enrich role's ArticleSource: fetches a page through the fetcher (politeness, SSRF
// guard, size caps) and extracts the article on the thread that receives the result.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/fetch.h"
#include "publisher/enrich_role.h"

namespace feedpipe::fetcher {
class Fetcher;
}

namespace feedpipe::app {

class Metrics;

class FetcherArticleSource final : public publisher::ArticleSource {
 public:
  // `fetch_articles_feeds`: feed URLs whose items get their page fetched.
  FetcherArticleSource(fetcher::Fetcher& fetcher, Metrics& metrics,
                       std::unordered_set<std::string> fetch_articles_feeds);

  bool wants(const Item& entry) override;
  void fetch(const Item& entry, std::function<void(Result<Article>)> done) override;

  // A fetch result whose tag this source issued; false when the tag is not ours.
  bool on_result(FetchResult&& result);
  void set_feeds(std::unordered_set<std::string> fetch_articles_feeds);

 private:
  fetcher::Fetcher& fetcher_;
  Metrics& metrics_;
  std::atomic<std::uint64_t> next_tag_{1};
  std::mutex mutex_;
  std::unordered_set<std::string> feeds_;                                     // guarded by mutex_
  std::unordered_map<std::uint64_t, std::function<void(Result<Article>)>> pending_;  // guarded
};

}  // namespace feedpipe::app
