#pragma once

// A fetcher::Listener for tests: keeps every result and every event, and lets a test wait
// for a number of results (the deadline only bounds a hung test).

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "fetcher/fetcher.h"

namespace feedpipe::testing {

class FetchCollector : public fetcher::Listener {
 public:
  void on_result(FetchResult&& r) override {
    std::lock_guard lock(mu_);
    results_.push_back(std::move(r));
    cv_.notify_all();
  }
  void on_event(const fetcher::FetchEvent& e) override {
    std::lock_guard lock(mu_);
    events_.push_back(e);
  }

  // Blocks until `n` results arrived; false only if the deadline passed.
  bool wait_for(std::size_t n, std::chrono::seconds deadline = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return results_.size() >= n; });
  }
  std::vector<FetchResult> results() {
    std::lock_guard lock(mu_);
    return results_;
  }
  FetchResult result(std::size_t i) {
    std::lock_guard lock(mu_);
    return results_.at(i);
  }
  // The first result delivered for `url`.
  FetchResult result_for(const std::string& url) {
    std::lock_guard lock(mu_);
    for (const auto& r : results_)
      if (r.url == url) return r;
    ADD_FAILURE() << "no result for " << url;
    return {};
  }
  // Every event of type E so far, in order.
  template <class E>
  std::vector<E> events() {
    std::lock_guard lock(mu_);
    std::vector<E> out;
    for (const auto& e : events_)
      if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FetchResult> results_;
  std::vector<fetcher::FetchEvent> events_;
};

}  // namespace feedpipe::testing
