// Parse + normalise throughput on generated news feeds, against raw pugixml over the same
// bytes. `parse_bench --write DIR` writes the generated feeds for feedparser_compare.py;
// `parse_bench --time RUNS FILE...` times given files in-process for it.

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <pugixml.hpp>
#include <string>
#include <iterator>
#include <utility>
#include <vector>

#include "bench/parse/feed_generator.h"
#include "parser/feed_parser.h"
#include "parser/normalize.h"

namespace {

using feedpipe::bench::Charset;

constexpr std::size_t kSizes[] = {1 << 10, 100 << 10, 1 << 20, 10 << 20, 50 << 20};

const std::string& feed_of(std::size_t size, Charset cs) {
  static std::map<std::pair<std::size_t, int>, std::string> cache;
  auto key = std::make_pair(size, static_cast<int>(cs));
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, feedpipe::bench::make_news_feed(size, cs)).first;
  return it->second;
}

void parse_and_normalize(benchmark::State& state, Charset cs) {
  const std::string& doc = feed_of(static_cast<std::size_t>(state.range(0)), cs);
  feedpipe::DocumentInfo info;
  info.base_url = "https://news.example/rss";
  feedpipe::parser::NormalizeOptions opts{"https://news.example/rss", 1700000000, nullptr};
  std::size_t items = 0;
  for (auto _ : state) {
    feedpipe::ParsedFeed feed = feedpipe::parser::parse_feed(doc, info);
    for (auto& e : feed.entries) {  // as the daemon does: the entry's bodies move
      feedpipe::Item item = feedpipe::parser::to_item(feed, std::move(e), opts);
      benchmark::DoNotOptimize(item.id);
    }
    items = feed.entries.size();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
  state.counters["items"] = static_cast<double>(items);
}

void raw_pugixml(benchmark::State& state, Charset cs) {
  const std::string& doc = feed_of(static_cast<std::size_t>(state.range(0)), cs);
  for (auto _ : state) {
    pugi::xml_document d;
    auto r = d.load_buffer(doc.data(), doc.size());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * doc.size()));
}

void register_all() {
  for (auto cs : {Charset::kUtf8, Charset::kWindows1251}) {
    const char* name = cs == Charset::kUtf8 ? "utf8" : "cp1251";
    for (std::size_t size : kSizes) {
      if (cs == Charset::kWindows1251 && size > (10 << 20)) continue;
      auto iterations_hint = size >= (10 << 20) ? 3 : 0;
      auto* a = benchmark::RegisterBenchmark((std::string("parse_normalize/") + name).c_str(),
                                             parse_and_normalize, cs)
                    ->Arg(static_cast<int64_t>(size))
                    ->Unit(benchmark::kMillisecond);
      auto* b = benchmark::RegisterBenchmark((std::string("pugixml_load_buffer/") + name).c_str(),
                                             raw_pugixml, cs)
                    ->Arg(static_cast<int64_t>(size))
                    ->Unit(benchmark::kMillisecond);
      if (iterations_hint) {
        a->Iterations(iterations_hint);
        b->Iterations(iterations_hint);
      }
    }
  }
}

// Prints parse+normalise speed as a fraction of raw pugixml speed, per size, on CPU time
// (both are single-threaded; on a shared machine wall time mostly measures the neighbours)
// and on wall time.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration && r.aggregate_name != "median") continue;
      std::string name = r.benchmark_name();
      Times t{r.GetAdjustedCPUTime(), r.GetAdjustedRealTime()};
      if (name.starts_with("parse_normalize/")) ours_[name.substr(16)] = t;
      else if (name.starts_with("pugixml_load_buffer/")) raw_[name.substr(20)] = t;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    for (const auto& [key, ours] : ours_) {
      auto it = raw_.find(key);
      if (it == raw_.end() || ours.cpu <= 0 || ours.wall <= 0) continue;
      std::printf("ratio %-44s parse+normalise speed = %5.1f%% of raw pugixml (cpu), %5.1f%% (wall)\n",
                  key.c_str(), 100.0 * it->second.cpu / ours.cpu, 100.0 * it->second.wall / ours.wall);
    }
  }

 private:
  struct Times {
    double cpu = 0;
    double wall = 0;
  };
  std::map<std::string, Times> ours_, raw_;
};

int write_feeds(const char* dir) {
  for (auto cs : {Charset::kUtf8, Charset::kWindows1251}) {
    for (std::size_t size : kSizes) {
      std::string path = std::string(dir) + "/news-" + (cs == Charset::kUtf8 ? "utf8" : "cp1251") +
                         "-" + std::to_string(size >> 10) + "k.xml";
      std::ofstream(path, std::ios::binary) << feedpipe::bench::make_news_feed(size, cs);
      std::printf("%s\n", path.c_str());
    }
  }
  return 0;
}

long max_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Peak memory of the process while parse_feed_owned + to_item read a document already in
// memory (the document counts: it is part of what parsing holds). Entries are handed to
// to_item as the daemon hands them.
int measure_memory(const char* path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string doc(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(doc.data(), static_cast<std::streamsize>(doc.size()));
  long before = max_rss_kb();
  const std::size_t doc_size = doc.size();
  feedpipe::DocumentInfo info;
  // The daemon hands the fetched body over; the parser frees it once it has its own copy.
  feedpipe::ParsedFeed feed = feedpipe::parser::parse_feed_owned(std::move(doc), info);
  feedpipe::parser::NormalizeOptions opts{"https://news.example/rss", 0, nullptr};
  std::size_t n = 0;
  for (auto& e : feed.entries) n += feedpipe::parser::to_item(feed, std::move(e), opts).id.size();
  long after = max_rss_kb();
  double mb = static_cast<double>(doc_size) / (1 << 20);
  std::printf("document %.1f MB, %zu entries: peak RSS %.1f MB (document %.1f MB + parse %.1f MB) "
              "= %.2fx the document\n",
              mb, feed.entries.size(), after / 1024.0, mb, (after - before) / 1024.0,
              (after / 1024.0) / mb);
  return n == 0 && !feed.entries.empty();
}

// In-process times of the given files, for feedparser_compare.py: one line per file,
// "PATH PARSE_SECONDS PARSE_NORMALISE_SECONDS", each the median of `runs` runs. parse_feed
// alone is what feedparser.parse does (decode, parse, sanitise, resolve, dates);
// parse+normalise adds to_item for every entry.
int time_files(int runs, int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    feedpipe::DocumentInfo info;
    info.base_url = "https://news.example/rss";
    feedpipe::parser::NormalizeOptions opts{"https://news.example/rss", 1700000000, nullptr};
    std::vector<double> parse, both;
    std::size_t ids = 0;
    for (int r = 0; r < runs; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      feedpipe::ParsedFeed feed = feedpipe::parser::parse_feed(doc, info);
      auto t1 = std::chrono::steady_clock::now();
      for (auto& e : feed.entries) ids += feedpipe::parser::to_item(feed, std::move(e), opts).id.size();
      auto t2 = std::chrono::steady_clock::now();
      parse.push_back(std::chrono::duration<double>(t1 - t0).count());
      both.push_back(std::chrono::duration<double>(t2 - t0).count());
    }
    auto median = [](std::vector<double>& v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    std::printf("%s %.6f %.6f\n", argv[i], median(parse), median(both));
    benchmark::DoNotOptimize(ids);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "--time") == 0)
    return time_files(std::max(1, std::atoi(argv[2])), argc - 3, argv + 3);
  if (argc == 3 && std::strcmp(argv[1], "--write") == 0) return write_feeds(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "--memory") == 0) return measure_memory(argv[2]);
  benchmark::Initialize(&argc, argv);
  register_all();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
