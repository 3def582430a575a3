#pragma once

// robots.txt (RFC 9309) for article page fetches: the parser and matcher, how a robots.txt
// fetch's outcome turns into rules and a cache lifetime, and the bounded per-origin cache.
// Pure: no I/O and no clock of its own, so all of it is tested with plain values. The fetcher
// does the fetching and the waiting (fetcher.cpp).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/fetch.h"

namespace feedpipe::fetcher {

// RFC 9309 2.5: crawlers should parse at least 500 KiB; what lies past it is ignored.
inline constexpr std::size_t kRobotsMaxBytes = 500 * 1024;
// RFC 9309 2.4: caching beyond 24 hours should not happen.
inline constexpr Millis kRobotsMaxTtl = std::chrono::hours(24);
// A max-age shorter than this is raised to it: a robots.txt fetch per article page would
// cost the publisher more than the article fetches themselves.
inline constexpr Millis kRobotsMinTtl = std::chrono::minutes(1);
// Unreachable robots.txt (5xx, network error): everything is disallowed until this passes.
inline constexpr Millis kRobotsUnreachableTtl = std::chrono::minutes(10);
// Crawl-delay is not in RFC 9309; honoured up to this much.
inline constexpr Millis kRobotsMaxCrawlDelay = std::chrono::seconds(60);
// RFC 9309 2.3.1.2: at least five consecutive redirects are followed.
inline constexpr int kRobotsMaxRedirects = 5;

// "feedpipe/0.1 (+https://...)" -> "feedpipe": what robots.txt groups are matched against.
std::string robots_product_token(std::string_view user_agent);

// RFC 9309 2.2.2 normal form of a path or pattern: %XX of unreserved characters decoded,
// other %xx escapes upper-cased, octets outside printable US-ASCII percent-encoded.
std::string robots_normalize(std::string_view path);

// The rules of the groups that apply to one product token.
class RobotsRules {
 public:
  static RobotsRules allow_all() { return RobotsRules(); }
  static RobotsRules disallow_all();
  // Parses (at most kRobotsMaxBytes of) a robots.txt body for `product_token` (lower-case).
  static RobotsRules parse(std::string_view body, std::string_view product_token);

  // `path` is the URL's path and query ("/a/b?c=d"), as sent on the request line.
  bool allowed(std::string_view path) const;
  std::optional<Millis> crawl_delay() const { return crawl_delay_; }
  std::size_t rule_count() const { return rules_.size(); }
  std::size_t memory_bytes() const;

 private:
  struct Rule {
    std::string pattern;  // normalised; may hold '*' and a trailing '$'
    bool allow = false;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void build_index();

  std::vector<Rule> rules_;
  std::optional<Millis> crawl_delay_;
  // Large files only: rule indices by literal prefix (the pattern up to its first '*' or '$').
  // A rule can match only a path that starts with its literal prefix, so a check looks up
  // the path's prefixes of the lengths present instead of trying every rule.
  std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>> by_literal_;
  std::vector<std::size_t> literal_lengths_;  // ascending, distinct
};

// How a robots.txt fetch ended, in RFC 9309 2.3.1 terms.
enum class RobotsSource {
  kParsed,       // 2xx: the body's rules
  kUnavailable,  // 4xx or too many redirects: everything allowed
  kUnreachable,  // 5xx, 429, network error or timeout: everything disallowed for now
};
std::string_view to_string(RobotsSource source);

// `transport_ok` is false when no final response arrived (curl error, timeout, abort).
RobotsSource classify_robots(int http_status, bool transport_ok);

// How long an outcome is cached: max-age when shorter than 24 h (never below
// kRobotsMinTtl); an unreachable robots.txt is retried after kRobotsUnreachableTtl or its
// Retry-After, whichever is longer.
Millis robots_ttl(RobotsSource source, std::optional<Millis> max_age, std::optional<Millis> retry_after);

// Per-origin (scheme://host:port) cache with a lifetime per entry, bounded by entry count
// and by the rules' memory; the least recently used entries go first.
class RobotsCache {
 public:
  struct Entry {
    RobotsRules rules;
    RobotsSource source = RobotsSource::kParsed;
    Clock::time_point expires{};
    bool denial_logged = false;  // one log line per origin per cache period
  };

  RobotsCache(std::size_t max_entries, std::size_t max_bytes)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The entry when present and not expired (an expired one is dropped); marks it used.
  Entry* find(const std::string& origin, Clock::time_point now);
  // Inserts or replaces, then evicts least recently used entries over the bounds (never the
  // one just put).
  Entry& put(const std::string& origin, Entry entry);

  std::size_t size() const { return index_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  using Lru = std::list<std::pair<std::string, Entry>>;  // front: most recently used
  static std::size_t cost(const std::string& origin, const Entry& e);
  void erase(Lru::iterator it);

  std::size_t max_entries_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  Lru lru_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

}  // namespace feedpipe::fetcher
