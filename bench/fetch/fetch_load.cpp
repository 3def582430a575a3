// fetch_load: drives feedpipe's fetcher against a local feed farm and reports sustained
// polls/s, CPU seconds per 1,000 polls, schedule lateness percentiles, resident memory per
// scheduled idle feed, and the per-host politeness violations the farm counted.
//
//   fetch_load [--feeds 10000] [--hosts 100] [--rate 1000] [--duration 30]
//              [--slow-hosts 5] [--failing-hosts 5] [--spacing-ms 20] [--idle-feeds 0]
//              [--feedpipe build/feedpipe --bootstrap 127.0.0.1:9092]
//
// --rate sets every feed's interval to feeds/rate seconds. --idle-feeds N instead measures
// memory: N feeds scheduled a day out, nothing due, RSS growth divided by N.
// With --feedpipe the farm is polled by the whole daemon (`feedpipe run`, roles ingest and
// dedup, publishing to the Kafka at --bootstrap) instead of a bare Fetcher, and the numbers
// come from its /metrics: the fetch counters, the schedule-lateness histogram and the
// process_* metrics of the daemon's own process.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
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

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
  std::string feedpipe;   // path to the daemon binary: measure through `feedpipe run`
  std::string bootstrap = "127.0.0.1:9092";
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
    else if (k == "--feedpipe") o.feedpipe = v;
    else if (k == "--bootstrap") o.bootstrap = v;
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


// ---- through the daemon ------------------------------------------------------------------

std::string http_get(const std::string& url, long* status = nullptr) {
  std::string body;
  CURL* h = curl_easy_init();
  if (h == nullptr) return body;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char* p, size_t n, size_t m, void* out) {
    static_cast<std::string*>(out)->append(p, n * m);
    return n * m;
  });
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  long code = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  if (status != nullptr) *status = code;
  return body;
}

// One /metrics scrape: series ("name{labels}") -> value.
using Scrape = std::map<std::string, double>;

Scrape scrape(const std::string& base) {
  Scrape out;
  const std::string text = http_get(base + "/metrics");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

// Sum of the series of metric `name` whose labels contain every one of `labels`.
double sum_of(const Scrape& s, const std::string& name, std::initializer_list<const char*> labels = {}) {
  double total = 0;
  for (auto it = s.lower_bound(name); it != s.end() && it->first.compare(0, name.size(), name) == 0; ++it) {
    const std::string& series = it->first;
    if (series.size() > name.size() && series[name.size()] != '{') continue;
    bool match = true;
    for (const char* l : labels) match = match && series.find(l) != std::string::npos;
    if (match) total += it->second;
  }
  return total;
}

// A quantile of the observations a histogram gained between two scrapes, interpolated
// linearly inside its bucket (what Prometheus' histogram_quantile does), in milliseconds.
double histogram_quantile_ms(const Scrape& a, const Scrape& b, const std::string& name, double q) {
  std::vector<std::pair<double, double>> buckets;  // upper bound, cumulative count gained
  const std::string prefix = name + "_bucket{le=\"";
  for (auto it = b.lower_bound(prefix); it != b.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const std::string le = it->first.substr(prefix.size(), it->first.size() - prefix.size() - 2);
    const double bound = le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr);
    const auto before = a.find(it->first);
    buckets.emplace_back(bound, it->second - (before == a.end() ? 0 : before->second));
  }
  std::sort(buckets.begin(), buckets.end());
  if (buckets.empty() || buckets.back().second <= 0) return 0;
  const double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [bound, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(bound)) return lower * 1000;  // beyond the last finite bucket: a floor
      return 1000 * (lower + (bound - lower) * (count > below ? (rank - below) / (count - below) : 0));
    }
    lower = bound;
    below = count;
  }
  return lower * 1000;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// `feedpipe run` on a generated config; its JSON logs go to <dir>/feedpipe.log.
class DaemonProcess {
 public:
  DaemonProcess(const Options& o, const std::string& dir, const std::vector<std::string>& urls,
                const std::string& interval) {
    listen_ = "127.0.0.1:" + std::to_string(free_port());
    const std::string prefix = "bench" + std::to_string(getpid()) + "x" + std::to_string(runs_++);
    const std::string config = dir + "/" + prefix + ".yaml";
    {
      std::ofstream f(config);  // JSON is YAML
      f << "{\"kafka\":{\"bootstrap_servers\":\"" << o.bootstrap << "\",\"topic_prefix\":\"" << prefix
        << "\",\"group_id\":\"" << prefix << "\",\"partitions\":6,\"replication_factor\":1},\n"
        << "\"fetch\":{\"user_agent\":\"feedpipe-bench/1\",\"contact_url\":\"https://example.org/feedpipe-bench\","
        << "\"per_host_concurrency\":2,\"per_host_min_spacing\":\"" << o.spacing_ms << "ms\","
        << "\"max_in_flight\":1000,\"backoff_base\":\"2s\",\"backoff_max\":\"60s\","
        // Pinned: the daemon otherwise stretches the interval of feeds that rarely change.
        << "\"min_interval\":\"" << interval << "\",\"max_interval\":\"" << interval << "\"},\n"
        << "\"roles\":[\"ingest\",\"dedup\"],\"http\":{\"listen\":\"" << listen_ << "\"},"
        << "\"log\":{\"level\":\"warn\"},\n\"defaults\":{\"interval\":\"" << interval << "\",\"group\":\"bench\"},\n"
        << "\"feeds\":[\n";
      for (size_t i = 0; i < urls.size(); ++i) f << (i ? ",\n" : "") << "{\"url\":\"" << urls[i] << "\"}";
      f << "]}\n";
    }
    const std::string log = dir + "/" + prefix + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 2);
      execl(o.feedpipe.c_str(), o.feedpipe.c_str(), "run", "--config", config.c_str(), nullptr);
      _exit(127);
    }
    log_ = log;
  }
  ~DaemonProcess() { stop(); }

  std::string base() const { return "http://" + listen_; }
  const std::string& log() const { return log_; }

  // Waits for /readyz to answer 200 (topics created, partitions assigned, state restored).
  bool wait_ready(std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      long status = 0;
      http_get(base() + "/readyz", &status);
      if (status == 200) return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 600 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) std::this_thread::sleep_for(50ms);
    if (kill(pid_, 0) == 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

 private:
  static inline int runs_ = 0;
  pid_t pid_ = -1;
  std::string listen_;
  std::string log_;
};

// Through the daemon: prints the opening of the result JSON (the farm stats close it).
bool run_daemon(const Options& o, const std::vector<std::string>& urls) {
  char dir_template[] = "/tmp/fetch_load.XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return false;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto fail = [&](const DaemonProcess& d, const char* what) {
    std::fprintf(stderr, "%s; the daemon's log: %s\n", what, d.log().c_str());
    return false;
  };
  if (o.idle_feeds > 0) {
    // Resident memory with one feed, then with all of them: the difference per feed.
    double rss[2] = {0, 0};
    const std::vector<std::string> one(urls.begin(), urls.begin() + 1);
    for (int run = 0; run < 2; ++run) {
      const auto& feeds = run == 0 ? one : urls;
      DaemonProcess d(o, dir, feeds, "24h");
      if (!d.wait_ready(120s)) return fail(d, "the daemon did not become ready");
      const auto until = std::chrono::steady_clock::now() + 120s;
      while (sum_of(scrape(d.base()), "feedpipe_feeds") < static_cast<double>(feeds.size()) &&
             std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(500ms);
      std::this_thread::sleep_for(3s);
      rss[run] = sum_of(scrape(d.base()), "process_resident_memory_bytes");
      d.stop();
    }
    std::printf("{\"mode\":\"idle\",\"through\":\"daemon\",\"feeds\":%zu,\"rss_one_feed_bytes\":%.0f,"
                "\"rss_all_feeds_bytes\":%.0f,\"bytes_per_feed\":%.0f,",
                urls.size(), rss[0], rss[1], (rss[1] - rss[0]) / static_cast<double>(urls.size() - 1));
    return true;
  }
  const Millis interval(static_cast<long>(1000.0 * o.feeds / o.rate));
  DaemonProcess d(o, dir, urls, std::to_string(interval.count()) + "ms");
  if (!d.wait_ready(120s)) return fail(d, "the daemon did not become ready");
  std::this_thread::sleep_for(interval + 5s);  // every first poll, plus settling
  const Scrape a = scrape(d.base());
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(o.duration_s));
  const Scrape b = scrape(d.base());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto delta = [&](const std::string& name, std::initializer_list<const char*> labels = {}) {
    return sum_of(b, name, labels) - sum_of(a, name, labels);
  };
  const double polls = delta("feedpipe_fetch_requests_total", {"kind=\"feed\""});
  const double cpu = delta("process_cpu_seconds_total");
  std::printf("{\"mode\":\"load\",\"through\":\"daemon\",\"feeds\":%d,\"hosts\":%d,\"interval_ms\":%lld,"
              "\"target_polls_per_s\":%.0f,\"polls_per_s\":%.1f,\"errors_per_s\":%.1f,\"not_modified_per_s\":%.1f,"
              "\"records_published_per_s\":%.1f,\"cpu_cores\":%.3f,\"cpu_s_per_1000_polls\":%.3f,"
              "\"lateness_p50_ms\":%.1f,\"lateness_p99_ms\":%.1f,\"rss_bytes\":%.0f,\"rss_bytes_per_feed\":%.0f,"
              "\"feeds_failing\":%.0f,",
              o.feeds, o.hosts, static_cast<long long>(interval.count()), o.rate, polls / secs,
              delta("feedpipe_fetch_requests_total", {"kind=\"feed\"", "result=\"error\""}) / secs,
              delta("feedpipe_fetch_requests_total", {"kind=\"feed\"", "result=\"not_modified\""}) / secs,
              delta("feedpipe_records_published_total") / secs, cpu / secs,
              polls > 0 ? cpu / (polls / 1000.0) : 0.0,
              histogram_quantile_ms(a, b, "feedpipe_schedule_lateness_seconds", 0.50),
              histogram_quantile_ms(a, b, "feedpipe_schedule_lateness_seconds", 0.99),
              sum_of(b, "process_resident_memory_bytes"),
              sum_of(b, "process_resident_memory_bytes") / o.feeds,
              sum_of(b, "feedpipe_feeds", {"state=\"failing\""}));
  return true;
}

// Stops the farm and closes the result JSON with its counts.
int finish(pid_t farm_pid, int stats_fd, bool ok) {
  kill(farm_pid, SIGTERM);
  char buf[512] = {};
  const ssize_t n = read(stats_fd, buf, sizeof buf - 1);
  waitpid(farm_pid, nullptr, 0);
  if (!ok) return 1;
  std::string farm_stats = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "{}\n";
  if (!farm_stats.empty() && farm_stats.back() == '\n') farm_stats.pop_back();
  std::printf("\"farm\":%s}\n", farm_stats.c_str());
  return 0;
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

  auto url_for = [&](int i) {
    const int host = i % o.hosts;
    return "http://127.0.0." + std::to_string(host + 1) + ":" + std::to_string(port) + "/feed/" + std::to_string(i);
  };
  if (!o.feedpipe.empty()) {
    std::vector<std::string> urls;
    const int count = o.idle_feeds > 0 ? o.idle_feeds : o.feeds;
    for (int i = 0; i < count; ++i) urls.push_back(url_for(i));
    const bool ok = run_daemon(o, urls);
    return finish(farm_pid, stats_pipe[0], ok);
  }

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
  return finish(farm_pid, stats_pipe[0], true);
}
