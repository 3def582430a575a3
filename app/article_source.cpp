#include "app/article_source.h"

#include <chrono>

#include "app/metrics.h"
#include "common/log.h"
#include "fetcher/fetcher.h"
#include "parser/html/extract.h"

namespace feedpipe::app {

FetcherArticleSource::FetcherArticleSource(fetcher::Fetcher& fetcher, Metrics& metrics,
                                           std::unordered_set<std::string> fetch_articles_feeds)
    : fetcher_(fetcher), metrics_(metrics), feeds_(std::move(fetch_articles_feeds)) {}

void FetcherArticleSource::set_feeds(std::unordered_set<std::string> fetch_articles_feeds) {
  std::lock_guard lock(mutex_);
  feeds_ = std::move(fetch_articles_feeds);
}

bool FetcherArticleSource::wants(const Item& entry) {
  if (entry.link.empty()) return false;
  std::lock_guard lock(mutex_);
  return feeds_.count(entry.feed.url) > 0;
}

void FetcherArticleSource::fetch(const Item& entry, std::function<void(Result<Article>)> done) {
  FetchRequest request;
  request.url = entry.link;
  request.kind = FetchKind::kArticle;
  request.tag = next_tag_++;
  {
    std::lock_guard lock(mutex_);
    pending_.emplace(request.tag, std::move(done));
  }
  fetcher_.fetch_article(std::move(request));
}

bool FetcherArticleSource::on_result(FetchResult&& result) {
  std::function<void(Result<Article>)> done;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(result.tag);
    if (it == pending_.end()) return false;
    done = std::move(it->second);
    pending_.erase(it);
  }
  if (!result.ok()) {
    metrics_.articles_error().Increment();
    done(*result.error);
    return true;
  }
  auto started = std::chrono::steady_clock::now();
  const std::string& page_url = result.final_url.empty() ? result.url : result.final_url;
  Article article = parser::html::extract_article(result.body, page_url);
  metrics_.extract_duration().Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (article.text.empty()) {
    metrics_.articles_error().Increment();
    log::debug("enrich", "no article text on the page", {{"url", page_url}});
    done(Error{ErrorCode::kParse, "no article text found on the page", false});
    return true;
  }
  metrics_.articles_ok().Increment();
  done(std::move(article));
  return true;
}

}  // namespace feedpipe::app
