#include "fetcher/robots.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace feedpipe::fetcher {

namespace {

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower_ascii(c);
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The leading product-token characters of a value, lower-cased ("FeedPipe/2.0" -> "feedpipe").
std::string leading_token(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_token_char(s[n])) ++n;
  return lower(s.substr(0, n));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0x0f];
}

// Glob match of a normalised pattern against the start of a normalised path: '*' is any
// run of octets, a trailing '$' anchors the end, otherwise the pattern is a prefix.
bool matches(std::string_view pattern, std::string_view path) {
  bool anchored = false;
  if (!pattern.empty() && pattern.back() == '$') {
    anchored = true;
    pattern.remove_suffix(1);
  }
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < path.size()) {
    if (pi < pattern.size() && pattern[pi] == '*') {
      star = pi++;
      mark = si;
      continue;
    }
    if (pi == pattern.size() && !anchored) return true;
    if (pi < pattern.size() && pattern[pi] == path[si]) {
      ++pi;
      ++si;
      continue;
    }
    if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
      continue;
    }
    return false;
  }
  while (pi < pattern.size() && pattern[pi] == '*') ++pi;
  return pi == pattern.size();
}

std::optional<Millis> parse_crawl_delay(std::string_view value) {
  double seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end == value.data() || !std::isfinite(seconds) || seconds < 0) return std::nullopt;
  const double ms = std::min(seconds * 1000.0, static_cast<double>(kRobotsMaxCrawlDelay.count()));
  return Millis(static_cast<Millis::rep>(ms));
}

}  // namespace

std::string robots_product_token(std::string_view user_agent) { return leading_token(trim(user_agent)); }

std::string robots_normalize(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == '%' && i + 2 < path.size() && hex_value(path[i + 1]) >= 0 && hex_value(path[i + 2]) >= 0) {
      const auto decoded = static_cast<unsigned char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
      if (is_unreserved(decoded)) {
        out += static_cast<char>(decoded);
      } else {
        append_escaped(out, decoded);
      }
      i += 2;
    } else if (c <= 0x20 || c >= 0x7f) {
      append_escaped(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

RobotsRules RobotsRules::disallow_all() {
  RobotsRules r;
  r.rules_.push_back(Rule{"/", false});
  return r;
}

RobotsRules RobotsRules::parse(std::string_view body, std::string_view product_token) {
  if (body.size() > kRobotsMaxBytes) {
    body = body.substr(0, kRobotsMaxBytes);
    // A line cut in half could turn a narrow Allow into a broad one: drop it.
    const size_t last_break = body.find_last_of("\r\n");
    body = last_break == std::string_view::npos ? std::string_view() : body.substr(0, last_break);
  }
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);

  struct Collected {
    std::vector<Rule> rules;
    std::optional<Millis> crawl_delay;
  };
  Collected ours, star;
  bool ours_seen = false;       // some group names our token: the `*` groups do not apply
  bool in_agent_lines = false;  // the previous record was a user-agent line
  bool group_is_ours = false, group_is_star = false;
  bool group_open = false;

  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // blank, comment or garbage
    const std::string key = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));

    if (key == "user-agent") {
      if (!in_agent_lines) group_is_ours = group_is_star = false;
      in_agent_lines = true;
      group_open = true;
      if (!value.empty() && value.front() == '*') {
        group_is_star = true;
      } else if (!product_token.empty() && leading_token(value) == product_token) {
        group_is_ours = true;
        ours_seen = true;
      }
      continue;
    }
    const bool is_allow = key == "allow";
    const bool is_disallow = key == "disallow";
    const bool is_delay = key == "crawl-delay";
    if (!is_allow && !is_disallow && !is_delay) continue;  // sitemap and unknown records
    in_agent_lines = false;
    if (!group_open) continue;  // rules before any user-agent line belong to nobody
    for (Collected* target : {group_is_ours ? &ours : nullptr, group_is_star ? &star : nullptr}) {
      if (target == nullptr) continue;
      if (is_delay) {
        if (!target->crawl_delay) target->crawl_delay = parse_crawl_delay(value);
        continue;
      }
      if (value.empty()) continue;  // "Disallow:" allows everything; "Allow:" says nothing
      std::string pattern = (value.front() == '/' || value.front() == '*') ? std::string(value) : "/" + std::string(value);
      target->rules.push_back(Rule{robots_normalize(pattern), is_allow});
    }
  }

  Collected& chosen = ours_seen ? ours : star;
  RobotsRules out;
  out.rules_ = std::move(chosen.rules);
  out.crawl_delay_ = chosen.crawl_delay;
  out.build_index();
  return out;
}

void RobotsRules::build_index() {
  constexpr std::size_t kIndexFrom = 64;  // below this a plain scan is as fast
  if (rules_.size() < kIndexFrom) return;
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    const std::string& p = rules_[i].pattern;
    const std::string literal = p.substr(0, p.find_first_of("*$"));
    by_literal_[literal].push_back(i);
    literal_lengths_.push_back(literal.size());
  }
  std::sort(literal_lengths_.begin(), literal_lengths_.end());
  literal_lengths_.erase(std::unique(literal_lengths_.begin(), literal_lengths_.end()), literal_lengths_.end());
}

bool RobotsRules::allowed(std::string_view path) const {
  if (rules_.empty()) return true;
  const std::string normal = robots_normalize(path.empty() ? std::string_view("/") : path);
  const std::string_view without_query = std::string_view(normal).substr(0, normal.find('?'));
  if (without_query == "/robots.txt") return true;
  size_t best_length = 0;
  bool best_allow = true;
  bool any = false;
  auto consider = [&](const Rule& rule) {
    if (!matches(rule.pattern, normal)) return;
    const size_t length = rule.pattern.size();
    if (!any || length > best_length || (length == best_length && rule.allow && !best_allow)) {
      best_length = length;
      best_allow = rule.allow;
      any = true;
    }
  };
  if (by_literal_.empty()) {
    for (const Rule& rule : rules_) consider(rule);
  } else {
    for (const size_t length : literal_lengths_) {
      if (length > normal.size()) break;
      const auto it = by_literal_.find(std::string_view(normal).substr(0, length));
      if (it == by_literal_.end()) continue;
      for (const std::uint32_t i : it->second) consider(rules_[i]);
    }
  }
  return !any || best_allow;
}

std::size_t RobotsRules::memory_bytes() const {
  std::size_t n = sizeof(RobotsRules) + rules_.capacity() * sizeof(Rule);
  for (const Rule& r : rules_) n += r.pattern.capacity();
  constexpr std::size_t kHashNode = 64;
  for (const auto& [literal, indices] : by_literal_) {
    n += kHashNode + literal.capacity() + indices.capacity() * sizeof(std::uint32_t);
  }
  n += literal_lengths_.capacity() * sizeof(std::size_t) + by_literal_.bucket_count() * sizeof(void*);
  return n;
}

std::string_view to_string(RobotsSource source) {
  switch (source) {
    case RobotsSource::kParsed: return "parsed";
    case RobotsSource::kUnavailable: return "unavailable";
    case RobotsSource::kUnreachable: return "unreachable";
  }
  return "unreachable";
}

RobotsSource classify_robots(int http_status, bool transport_ok) {
  if (!transport_ok) return RobotsSource::kUnreachable;
  if (http_status >= 200 && http_status < 300) return RobotsSource::kParsed;
  if (http_status == 429) return RobotsSource::kUnreachable;  // a throttled host is not "no file"
  if (http_status >= 300 && http_status < 500) return RobotsSource::kUnavailable;
  return RobotsSource::kUnreachable;
}

Millis robots_ttl(RobotsSource source, std::optional<Millis> max_age, std::optional<Millis> retry_after) {
  if (source == RobotsSource::kUnreachable) {
    return retry_after ? std::clamp(*retry_after, kRobotsUnreachableTtl, kRobotsMaxTtl) : kRobotsUnreachableTtl;
  }
  if (!max_age) return kRobotsMaxTtl;
  return std::clamp(*max_age, kRobotsMinTtl, kRobotsMaxTtl);
}

std::size_t RobotsCache::cost(const std::string& origin, const Entry& e) {
  constexpr std::size_t kNodeOverhead = 96;  // list node, hash node, key copy header
  return kNodeOverhead + 2 * origin.size() + e.rules.memory_bytes();
}

void RobotsCache::erase(Lru::iterator it) {
  bytes_ -= cost(it->first, it->second);
  index_.erase(it->first);
  lru_.erase(it);
}

RobotsCache::Entry* RobotsCache::find(const std::string& origin, Clock::time_point now) {
  auto it = index_.find(origin);
  if (it == index_.end()) return nullptr;
  if (it->second->second.expires <= now) {
    erase(it->second);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->second;
}

RobotsCache::Entry& RobotsCache::put(const std::string& origin, Entry entry) {
  if (auto it = index_.find(origin); it != index_.end()) erase(it->second);
  lru_.emplace_front(origin, std::move(entry));
  index_.emplace(origin, lru_.begin());
  bytes_ += cost(origin, lru_.front().second);
  while (lru_.size() > 1 && (lru_.size() > max_entries_ || bytes_ > max_bytes_)) erase(std::prev(lru_.end()));
  return lru_.front().second;
}

}  // namespace feedpipe::fetcher
