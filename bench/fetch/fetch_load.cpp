// fetch_load: drives feedpipe's fetcher against a local feed farm and reports sustained
// polls/s, CPU seconds per 1,000 polls, schedule lateness percentiles, resident memory per
// scheduled idle feed, and the per-host politeness violations the farm counted.
//
//   fetch_load [--feeds 10000] [--hosts 100] [--rate 1000] [--duration 30]
//              [--slow-hosts 5] [--failing-hosts 5] [--spacing-ms 20] [--idle-feeds 0]
//
// --rate sets every feed's interval to feeds/rate seconds. --idle-feeds N instead measures
// memory: N feeds scheduled a day out, nothing due, RSS growth divided by N.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/fetch/feed_farm.h"
#include "common/log.h"
#include "fetcher/fetcher.h"

namespace {

using namespace std::chrono_literals;
using feedpipe::Millis;

struct Options {
  int feeds = 10000;
  int hosts = 100;
  double rate = 1000;
  int duration_s = 30;
  int slow_hosts = 5;
  int failing_hosts = 5;
  int spacing_ms = 20;
  int idle_feeds = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--feeds") o.feeds = std::atoi(v);
    else if (k == "--hosts") o.hosts = std::atoi(v);
    else if (k == "--rate") o.rate = std::atof(v);
    else if (k == "--duration") o.duration_s = std::atoi(v);
    else if (k == "--slow-hosts") o.slow_hosts = std::atoi(v);
    else if (k == "--failing-hosts") o.failing_hosts = std::atoi(v);
    else if (k == "--spacing-ms") o.spacing_ms = std::atoi(v);
    else if (k == "--idle-feeds") o.idle_feeds = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

class LoadListener : public feedpipe::fetcher::Listener {
 public:
  void on_result(feedpipe::FetchResult&& r) override {
    results_.fetch_add(1, std::memory_order_relaxed);
    if (!r.ok()) errors_.fetch_add(1, std::memory_order_relaxed);
    else if (r.not_modified) not_modified_.fetch_add(1, std::memory_order_relaxed);
  }
  void on_event(const feedpipe::fetcher::FetchEvent& e) override {
    if (const auto* l = std::get_if<feedpipe::fetcher::ScheduleLateness>(&e)) {
      if (measuring_.load(std::memory_order_relaxed)) {
        std::lock_guard lock(mu_);
        lateness_ms_.push_back(static_cast<int>(l->lateness.count()));
      }
    } else if (const auto* f = std::get_if<feedpipe::fetcher::InFlight>(&e)) {
      max_in_flight_ = std::max(max_in_flight_.load(), f->transfers);
    }
  }
  std::atomic<long> results_{0}, errors_{0}, not_modified_{0};
  std::atomic<int> max_in_flight_{0};
  std::atomic<bool> measuring_{false};
  std::mutex mu_;
  std::vector<int> lateness_ms_;
};

int percentile(std::vector<int>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  feedpipe::log::set_level(feedpipe::log::Level::kError);  // per-feed warnings would drown the output

  feedpipe::bench::FarmOptions farm;
  farm.hosts = o.hosts;
  farm.slow_hosts = o.slow_hosts;
  farm.failing_hosts = o.failing_hosts;
  farm.per_host_limit = 2;
  farm.min_spacing_ms = o.spacing_ms;
  const int port = feedpipe::bench::farm_bind(farm);
  if (port <= 0) return 1;
  int stats_pipe[2];
  if (pipe(stats_pipe) != 0) return 1;
  const pid_t farm_pid = fork();  // before any thread exists
  if (farm_pid == 0) {
    close(stats_pipe[0]);
    feedpipe::bench::farm_serve(farm, stats_pipe[1]);
    _exit(0);
  }
  close(stats_pipe[1]);

  feedpipe::FetchConfig config;
  config.per_host_concurrency = 2;
  config.per_host_min_spacing = Millis(o.spacing_ms);
  config.max_in_flight = 1000;
  config.backoff_base = 2s;
  config.backoff_max = 60s;
  config.min_interval = 1s;
  config.contact_url = "https://example.org/feedpipe-bench";
  LoadListener listener;
  auto fetcher = std::make_unique<feedpipe::fetcher::Fetcher>(config, listener);
  auto url_for = [&](int i) {
    const int host = i % o.hosts;
    return "http://127.0.0." + std::to_string(host + 1) + ":" + std::to_string(port) + "/feed/" + std::to_string(i);
  };
  fetcher->start();

  if (o.idle_feeds > 0) {
    std::this_thread::sleep_for(200ms);
    const long before = rss_bytes();
    for (int i = 0; i < o.idle_feeds; ++i) {
      feedpipe::FeedSpec s;
      s.url = url_for(i);
      s.group = "bench";
      s.interval = 24h;
      fetcher->upsert_feed(s, nullptr);
    }
    std::this_thread::sleep_for(3s);
    const long after = rss_bytes();
    std::printf("{\"mode\":\"idle\",\"feeds\":%d,\"rss_before_bytes\":%ld,\"rss_after_bytes\":%ld,"
                "\"bytes_per_feed\":%.0f,\"polls_during_measure\":%ld,",
                o.idle_feeds, before, after, static_cast<double>(after - before) / o.idle_feeds,
                listener.results_.load());
  } else {
    const Millis interval(static_cast<long>(1000.0 * o.feeds / o.rate));
    for (int i = 0; i < o.feeds; ++i) {
      feedpipe::FeedSpec s;
      s.url = url_for(i);
      s.group = "bench";
      s.interval = interval;
      fetcher->upsert_feed(s, nullptr);
    }
    // Warm-up: every feed's first poll (spread over one interval), plus the fetcher settling.
    std::this_thread::sleep_for(interval + 3s);
    const long results0 = listener.results_.load();
    const long errors0 = listener.errors_.load();
    const long nm0 = listener.not_modified_.load();
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    listener.measuring_ = true;
    std::this_thread::sleep_for(std::chrono::seconds(o.duration_s));
    listener.measuring_ = false;
    const double cpu = cpu_seconds() - cpu0;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long polls = listener.results_.load() - results0;
    std::vector<int> lateness;
    {
      std::lock_guard lock(listener.mu_);
      lateness = listener.lateness_ms_;
    }
    const int p50 = percentile(lateness, 0.50);
    const int p99 = percentile(lateness, 0.99);
    const int pmax = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());
    std::printf("{\"mode\":\"load\",\"feeds\":%d,\"hosts\":%d,\"interval_ms\":%lld,\"target_polls_per_s\":%.0f,"
                "\"polls_per_s\":%.1f,\"errors_per_s\":%.1f,\"not_modified_per_s\":%.1f,"
                "\"cpu_cores\":%.3f,\"cpu_s_per_1000_polls\":%.3f,\"lateness_p50_ms\":%d,\"lateness_p99_ms\":%d,"
                "\"lateness_max_ms\":%d,\"max_in_flight\":%d,\"rss_bytes\":%ld,",
                o.feeds, o.hosts, static_cast<long long>(interval.count()), o.rate, polls / secs,
                (listener.errors_.load() - errors0) / secs, (listener.not_modified_.load() - nm0) / secs, cpu / secs,
                polls > 0 ? cpu / (static_cast<double>(polls) / 1000.0) : 0.0, p50, p99, pmax,
                listener.max_in_flight_.load(), rss_bytes());
  }
  fetcher->stop(2s);
  fetcher.reset();
  kill(farm_pid, SIGTERM);
  char buf[512] = {};
  const ssize_t n = read(stats_pipe[0], buf, sizeof buf - 1);
  waitpid(farm_pid, nullptr, 0);
  std::string farm_stats = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "{}\n";
  if (!farm_stats.empty() && farm_stats.back() == '\n') farm_stats.pop_back();
  std::printf("\"farm\":%s}\n", farm_stats.c_str());
  return 0;
}
