// Pages per second per core of extract_article over every *.html under the given folders.
// Pages are read into memory first; one thread; each page is extracted `--rounds` times.
//
//   bench_extract [--rounds N] [--checksum] DIR...
//
// Prints one line: "feedpipe pages=P bytes=B seconds=S pages_per_s=R mb_per_s=M
// cpu_seconds=C pages_per_cpu_s=Q words=W" (pages per CPU second: per core, whatever the
// neighbours on a shared machine do).
//
// `--checksum` extracts every page twice in a row, untimed, and prints a hash of every field
// of every article instead: a change meant only to make extraction faster must leave it
// as it was.

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "parser/html/extract.h"

namespace {

std::vector<std::string> load_pages(const std::vector<std::string>& dirs) {
  std::vector<std::filesystem::path> paths;
  for (const auto& dir : dirs) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".html") {
        paths.push_back(entry.path());
      }
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> pages;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    pages.push_back(ss.str());
  }
  return pages;
}

// FNV-1a over every field of the article, each followed by a separator.
std::uint64_t hash_article(const feedpipe::Article& a, std::uint64_t h) {
  auto add = [&h](std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    h = (h ^ 0xFFU) * 1099511628211ULL;
  };
  for (const std::string* s : {&a.title, &a.byline, &a.language, &a.site_name,
                               &a.canonical_url, &a.image, &a.text, &a.html}) {
    add(*s);
  }
  add(std::to_string(a.published.value_or(-1)) + " " + std::to_string(a.modified.value_or(-1)) +
      " " + std::to_string(a.word_count));
  return h;
}

int checksum(const std::vector<std::string>& pages) {
  constexpr std::string_view kUrl = "https://example.com/news/article";
  std::uint64_t first = 14695981039346656037ULL;
  std::uint64_t second = first;
  for (const auto& p : pages) {
    first = hash_article(feedpipe::parser::html::extract_article(p, kUrl), first);
    second = hash_article(feedpipe::parser::html::extract_article(p, kUrl), second);
  }
  std::printf("feedpipe pages=%zu checksum=%016llx\n", pages.size(),
              static_cast<unsigned long long>(first));
  if (first != second) {
    std::fprintf(stderr, "bench_extract: the second extraction of the pages differs\n");
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 3;
  bool only_checksum = false;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (a == "--checksum") {
      only_checksum = true;
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty() || rounds < 1) {
    std::cerr << "usage: bench_extract [--rounds N] [--checksum] DIR...\n";
    return 2;
  }
  std::vector<std::string> pages = load_pages(dirs);
  if (pages.empty()) {
    std::cerr << "bench_extract: no *.html pages found\n";
    return 1;
  }
  if (only_checksum) return checksum(pages);
  std::size_t bytes = 0;
  for (const auto& p : pages) bytes += p.size();
  std::size_t words = 0;
  auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int r = 0; r < rounds; ++r) {
    for (const auto& p : pages) {
      words += static_cast<std::size_t>(feedpipe::parser::html::extract_article(p, "").word_count);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  double n = static_cast<double>(pages.size()) * rounds;
  std::printf("feedpipe pages=%zu bytes=%zu seconds=%.3f pages_per_s=%.1f mb_per_s=%.1f "
              "cpu_seconds=%.3f pages_per_cpu_s=%.1f words=%zu\n",
              pages.size() * rounds, bytes * rounds, seconds, n / seconds,
              static_cast<double>(bytes) * rounds / seconds / 1e6, cpu_seconds, n / cpu_seconds,
              words / rounds);
  return 0;
}
