#include "fetcher/fetcher.h"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "fetcher/address_guard.h"
#include "fetcher/curl_handles.h"
#include "fetcher/http_headers.h"
#include "fetcher/robots.h"
#include "fetcher/schedule.h"

namespace feedpipe::fetcher {

std::string_view to_string(FeedHealth health) {
  switch (health) {
    case FeedHealth::kOk: return "ok";
    case FeedHealth::kBackoff: return "backoff";
    case FeedHealth::kFailing: return "failing";
  }
  return "ok";
}

std::string supported_encodings() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  std::string out;
  auto add = [&](const char* e) { out += out.empty() ? e : std::string(", ") + e; };
  if (info->libz_version != nullptr) {
    add("gzip");
    add("deflate");
  }
  if (info->features & CURL_VERSION_BROTLI) add("br");
  if (info->features & CURL_VERSION_ZSTD) add("zstd");
  return out;
}

namespace {

constexpr std::string_view kComponent = "fetcher";
constexpr std::uint32_t kNoFeed = UINT32_MAX;
constexpr Millis kMaxPollWait{1000};
constexpr auto kFirstByteScanEvery = std::chrono::milliseconds(200);
// Bounds of the robots.txt cache: one entry per origin, so 100k hosts cost at most this much.
constexpr std::size_t kRobotsCacheEntries = 20000;
constexpr std::size_t kRobotsCacheBytes = 64u << 20;
constexpr const char* kFeedAccept =
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";

using SteadyClock = std::chrono::steady_clock;

std::int64_t unix_ms(Clock::time_point t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string host_of(const std::string& url) {
  CurlUrl u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return {};
  char* host = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK || host == nullptr) return {};
  std::string out = lower(host);
  curl_free(host);
  return out;
}

// Where an article's robots.txt lives and what it is matched against.
struct RobotsTarget {
  std::string origin;      // scheme://host:port, the cache key
  std::string robots_url;  // scheme://host[:port]/robots.txt
  std::string path;        // path and query of the article URL
};

std::optional<RobotsTarget> robots_target(const std::string& url) {
  CurlUrl u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return std::nullopt;
  auto part = [&](CURLUPart which, unsigned flags) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(u.get(), which, &text, flags) != CURLUE_OK || text == nullptr) return std::nullopt;
    std::string out = text;
    curl_free(text);
    return out;
  };
  const auto scheme = part(CURLUPART_SCHEME, 0);
  const auto host = part(CURLUPART_HOST, 0);
  const auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port) return std::nullopt;
  RobotsTarget t;
  t.origin = lower(*scheme) + "://" + lower(*host) + ":" + *port;
  t.path = part(CURLUPART_PATH, 0).value_or("/");
  if (const auto query = part(CURLUPART_QUERY, 0)) t.path += "?" + *query;
  curl_url_set(u.get(), CURLUPART_PATH, "/robots.txt", 0);
  curl_url_set(u.get(), CURLUPART_QUERY, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  const auto robots_url = part(CURLUPART_URL, 0);
  if (!robots_url) return std::nullopt;
  t.robots_url = *robots_url;
  return t;
}

enum class LastResult : std::uint8_t { kNever, kOk, kNotModified, kError };

struct Feed {
  std::string url;
  std::string fetch_url;  // empty: same as url
  std::string_view group;  // interned
  Millis configured{0};
  Millis interval{0};
  Validators validators;
  Rhythm rhythm;
  std::optional<Millis> ttl;
  std::optional<Millis> update_period;
  std::optional<Millis> max_age;
  Clock::time_point next_due{};
  Clock::time_point last_attempt{};
  Clock::time_point last_reported_attempt{};
  Clock::time_point last_success{};
  std::uint32_t generation = 0;
  std::uint32_t host = 0;
  int error_count = 0;
  std::int16_t last_http_status = 0;
  LastResult last_result = LastResult::kNever;
  ErrorCode last_error = ErrorCode::kInternal;
  FeedHealth health = FeedHealth::kOk;
  bool in_flight = false;

  const std::string& target() const { return fetch_url.empty() ? url : fetch_url; }
};

// An article's redirect chain so far, when a hop went back through the queue (another
// host, or an origin whose robots.txt must be asked first): the next hop is article->url.
struct Chain {
  std::string requested_url;  // what was asked for: the result's url
  int redirects = 0;
  bool permanent_chain = true;
  std::string permanent_url;
  std::int64_t wire_bytes = 0;
};

// A due fetch waiting for its host's politeness limits.
struct Job {
  std::uint32_t feed_id = kNoFeed;
  std::uint32_t generation = 0;
  Clock::time_point due{};
  std::unique_ptr<FetchRequest> article;  // set for article fetches and robots.txt fetches
  std::string robots_origin;              // set for robots.txt fetches (article holds the URL)
  std::optional<Chain> chain;             // set for a redirected article's next hop

  const std::string& requested_url() const { return chain ? chain->requested_url : article->url; }
};

struct Host {
  std::string name;
  int in_flight = 0;
  int unsent = 0;          // started transfers whose request has not gone out yet
  int throttle_count = 0;  // consecutive 429/503 answers
  Clock::time_point last_start{};
  Clock::time_point blocked_until{};
  Millis crawl_delay{0};  // robots.txt Crawl-delay: spacing of article fetches
  std::deque<Job> waiting;
  bool in_starved_list = false;
};

struct Transfer {
  CURL* easy = nullptr;
  std::uint32_t feed_id = kNoFeed;
  std::uint32_t feed_generation_at_start = 0;
  std::uint32_t host = 0;
  FetchKind kind = FetchKind::kFeed;
  std::string_view group;
  const AddressGuard* guard = nullptr;  // set for article fetches
  std::string robots_origin;            // set for robots.txt fetches
  bool truncate_body = false;           // robots.txt: keep what fits under max_decoded
  bool truncated = false;
  FetchResult result;
  CurlSlist headers;
  Clock::time_point started{};
  SteadyClock::time_point steady_started{};
  bool got_first_byte = false;
  int redirects = 0;
  bool permanent_chain = true;
  bool blocked_address = false;
  bool sent = false;  // the request went out (prereq callback ran)
  void* owner = nullptr;
  std::optional<Error> abort_error;
  std::string requeue_to;  // an article's next hop, to go back through the queue
  char error_text[CURL_ERROR_SIZE] = {};
  std::int64_t wire_bytes_before = 0;  // completed hops
  std::int64_t decoded_bytes = 0;
  std::int64_t header_bytes = 0;
  std::int64_t max_body = 0;
  std::int64_t max_decoded = 0;
  std::int64_t max_header = 0;
  // Headers of the current response (reset at each status line).
  std::string etag, last_modified, cache_control, expires, date, retry_after;
};

Error make_error(ErrorCode code, std::string message, bool retriable) {
  return Error{code, std::move(message), retriable};
}

size_t on_body(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * nmemb;
  t->got_first_byte = true;
  t->decoded_bytes += static_cast<std::int64_t>(n);
  if (t->decoded_bytes > t->max_decoded && t->truncate_body) {
    const auto fits = static_cast<size_t>(t->max_decoded - static_cast<std::int64_t>(t->result.body.size()));
    t->result.body.append(data, std::min(fits, n));
    t->truncated = true;
    return 0;  // stops reading: RFC 9309 lets a crawler ignore what lies past its limit
  }
  if (t->decoded_bytes > t->max_decoded) {
    t->abort_error = make_error(ErrorCode::kTooLarge, "decoded body exceeds max_decoded_bytes", false);
    return 0;  // stops reading: a decompression bomb is never inflated past the cap
  }
  t->result.body.append(data, n);
  return n;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

size_t on_header(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  const size_t n = size * nmemb;
  t->got_first_byte = true;
  std::string_view line(data, n);
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    t->header_bytes = 0;
    t->etag.clear();
    t->last_modified.clear();
    t->cache_control.clear();
    t->expires.clear();
    t->date.clear();
    t->retry_after.clear();
    t->result.content_location.clear();
    t->result.content_language.clear();
  }
  t->header_bytes += static_cast<std::int64_t>(n);
  if (t->header_bytes > t->max_header) {
    t->abort_error = make_error(ErrorCode::kTooLarge, "response headers exceed max_header_bytes", false);
    return 0;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const std::string name = lower(trim(line.substr(0, colon)));
  const std::string_view value = trim(line.substr(colon + 1));
  if (name == "etag") t->etag = value;
  else if (name == "last-modified") t->last_modified = value;
  else if (name == "cache-control") t->cache_control = value;
  else if (name == "expires") t->expires = value;
  else if (name == "date") t->date = value;
  else if (name == "retry-after") t->retry_after = value;
  else if (name == "content-location") t->result.content_location = value;
  else if (name == "content-language") t->result.content_language = value;
  return n;
}

int on_progress(void* userp, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userp);
  // dlnow counts bytes as received, before content decoding: the wire cap.
  if (t->wire_bytes_before + dlnow > t->max_body) {
    t->abort_error = make_error(ErrorCode::kTooLarge, "body exceeds max_body_bytes", false);
    return 1;
  }
  return 0;
}

curl_socket_t on_open_socket(void* userp, curlsocktype purpose, struct curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(userp);
  if (purpose == CURLSOCKTYPE_IPCXN && t->guard != nullptr &&
      !t->guard->allows(reinterpret_cast<const struct sockaddr*>(&address->addr))) {
    t->blocked_address = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

// The guard's second check: runs for every request, also on a reused connection, which the
// socket hook never sees.
bool prereq_allows(Transfer& t, const char* conn_primary_ip) {
  if (t.guard != nullptr && !t.guard->allows_text(conn_primary_ip)) {
    t.blocked_address = true;
    return false;
  }
  return true;
}

Error map_curl_error(CURLcode code, const Transfer& t, const char* detail) {
  std::string msg = detail != nullptr && *detail ? detail : curl_easy_strerror(code);
  if (t.blocked_address) {
    return make_error(ErrorCode::kBlockedAddress, "refused: address is not public", false);
  }
  if (t.abort_error) return *t.abort_error;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return make_error(ErrorCode::kDns, msg, true);
    case CURLE_COULDNT_CONNECT: return make_error(ErrorCode::kConnect, msg, true);
    case CURLE_OPERATION_TIMEDOUT: return make_error(ErrorCode::kTimeout, msg, true);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return make_error(ErrorCode::kTls, msg, true);
    case CURLE_FILESIZE_EXCEEDED: return make_error(ErrorCode::kTooLarge, msg, false);
    case CURLE_BAD_CONTENT_ENCODING: return make_error(ErrorCode::kDecompress, msg, true);
    case CURLE_TOO_MANY_REDIRECTS: return make_error(ErrorCode::kRedirect, msg, true);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return make_error(ErrorCode::kConfig, msg, false);
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY: return make_error(ErrorCode::kConnect, msg, true);
    default: return make_error(ErrorCode::kIo, msg, true);
  }
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

class Fetcher::Impl {
 public:
  Impl(const FetchConfig& config, Listener& listener, const TimeSource* clock)
      : config_(config), listener_(listener), clock_(clock != nullptr ? clock : &system_clock_) {
    auto guard = AddressGuard::from_config(config.allow_private_networks);
    if (!guard) throw std::runtime_error("fetch.allow_private_networks: " + guard.error().message);
    guard_ = std::move(*guard);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    multi_.reset(curl_multi_init());
    share_.reset(curl_share_init());
    if (!multi_ || !share_) throw std::runtime_error("libcurl multi/share init failed");
    // The share is used from the fetch thread only, so it needs no lock callbacks.
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    user_agent_ = config.user_agent;
    if (!config.contact_url.empty()) user_agent_ += " (+" + config.contact_url + ")";
    robots_token_ = robots_product_token(config.user_agent);
    std::random_device rd;
    rng_.seed((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  }

  ~Impl() { stop(Millis(0)); }

  void start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
    log::info(kComponent, "fetcher started",
              {{"accept_encoding", supported_encodings()}, {"feeds", static_cast<std::int64_t>(by_url_.size())}});
  }

  void stop(Millis deadline) {
    {
      std::lock_guard lock(mu_);
      if (!thread_.joinable()) return;
      stopping_ = true;
      stop_deadline_ = SteadyClock::now() + deadline;
    }
    curl_multi_wakeup(multi_.get());
    thread_.join();
    log::info(kComponent, "fetcher stopped");
  }

  void wake() { curl_multi_wakeup(multi_.get()); }

  void upsert_feed(const FeedSpec& spec, const FeedState* restored) {
    {
      std::lock_guard lock(mu_);
      const auto now = clock_->now();
      auto it = by_url_.find(spec.url);
      if (it != by_url_.end()) {
        Feed& f = *feeds_[it->second];
        f.group = intern(spec.group);
        if (f.configured != spec.interval) {
          f.configured = spec.interval;
          f.interval = interval_for(f);
          if (!f.in_flight && f.error_count == 0) reschedule(it->second, std::min(f.next_due, now + f.interval));
        }
        return;
      }
      const std::uint32_t id = allocate_slot();
      Feed& f = *feeds_[id];
      f.url = spec.url;
      f.group = intern(spec.group);
      f.configured = spec.interval;
      if (smallest_interval_.count() == 0 || spec.interval < smallest_interval_) smallest_interval_ = spec.interval;
      Clock::time_point due = now + spread_offset(spec.url, smallest_interval_);
      if (restored != nullptr) {
        f.validators = restored->validators;
        f.fetch_url = restored->moved_to;
        f.error_count = std::max(restored->error_count, 0);
        f.health = health_for(f.error_count);
        const Clock::time_point restored_due{Millis(restored->next_due_unix_ms)};
        if (restored->next_due_unix_ms > 0 && restored_due > now) due = restored_due;
      }
      f.interval = interval_for(f);
      f.host = host_id(host_of(f.target()));
      by_url_.emplace(f.url, id);
      reschedule(id, due);
    }
    wake();
  }

  void remove_feed(const std::string& url) {
    std::lock_guard lock(mu_);
    auto it = by_url_.find(url);
    if (it == by_url_.end()) return;
    const std::uint32_t id = it->second;
    by_url_.erase(it);
    feeds_[id].reset();
    ++slot_generation_[id];
    free_slots_.push_back(id);
  }

  Millis report(const std::string& url, const PollHints& hints) {
    std::vector<FetchEvent> events;
    Millis interval{0};
    {
      std::lock_guard lock(mu_);
      auto it = by_url_.find(url);
      if (it == by_url_.end()) return Millis(0);
      const std::uint32_t id = it->second;
      Feed& f = *feeds_[id];
      if (hints.parse_failed) {
        record_failure(id, make_error(ErrorCode::kParse, "feed did not parse", true), std::nullopt, events);
        interval = f.interval;
      } else {
        f.ttl = hints.ttl;
        f.update_period = hints.update_period;
        if (f.last_attempt > f.last_reported_attempt) {
          const Millis elapsed = std::chrono::duration_cast<Millis>(
              f.last_reported_attempt == Clock::time_point{} ? Millis(0) : f.last_attempt - f.last_reported_attempt);
          observe(f.rhythm, hints.new_items, elapsed);
          f.last_reported_attempt = f.last_attempt;
        }
        f.interval = interval_for(f);
        interval = f.interval;
        if (!f.in_flight && f.error_count == 0) {
          reschedule(id, std::max(f.last_attempt + f.interval, clock_->now()));
        }
      }
    }
    emit(events);
    wake();
    return interval;
  }

  void fetch_article(FetchRequest request) {
    {
      std::lock_guard lock(mu_);
      request.kind = FetchKind::kArticle;
      const auto now = clock_->now();
      Job job;
      job.due = now;
      job.article = std::make_unique<FetchRequest>(std::move(request));
      if (config_.respect_robots_txt) {
        route_article(std::move(job), now, denied_);
      } else {
        enqueue_article(std::move(job));
      }
    }
    wake();
  }

  std::vector<FeedStatus> status(size_t offset, size_t limit) const {
    std::lock_guard lock(mu_);
    std::vector<const Feed*> all;
    all.reserve(by_url_.size());
    for (const auto& [url, id] : by_url_) all.push_back(feeds_[id].get());
    std::sort(all.begin(), all.end(), [](const Feed* a, const Feed* b) { return a->url < b->url; });
    std::vector<FeedStatus> out;
    for (size_t i = offset; i < all.size() && out.size() < limit; ++i) {
      const Feed& f = *all[i];
      FeedStatus s;
      s.url = f.url;
      s.fetch_url = f.target();
      s.group = std::string(f.group);
      switch (f.last_result) {
        case LastResult::kNever: break;
        case LastResult::kOk: s.last_result = "ok"; break;
        case LastResult::kNotModified: s.last_result = "not_modified"; break;
        case LastResult::kError: s.last_result = std::string(to_string(f.last_error)); break;
      }
      s.last_http_status = f.last_http_status;
      s.error_count = f.error_count;
      s.health = f.health;
      s.interval = f.interval;
      s.next_due = f.next_due;
      s.last_attempt = f.last_attempt;
      s.last_success = f.last_success;
      s.in_flight = f.in_flight;
      out.push_back(std::move(s));
    }
    return out;
  }

  std::optional<FeedState> snapshot(const std::string& url) const {
    std::lock_guard lock(mu_);
    auto it = by_url_.find(url);
    if (it == by_url_.end()) return std::nullopt;
    const Feed& f = *feeds_[it->second];
    FeedState s;
    s.url = f.url;
    s.validators = f.validators;
    s.next_due_unix_ms = unix_ms(f.next_due);
    s.error_count = f.error_count;
    if (f.last_result == LastResult::kError) s.last_error = std::string(to_string(f.last_error));
    s.moved_to = f.fetch_url;
    return s;
  }

  size_t feed_count() const {
    std::lock_guard lock(mu_);
    return by_url_.size();
  }

 private:
  struct Completed {
    std::optional<FetchResult> result;  // empty for robots.txt fetches: nobody asked for them
    std::vector<FetchEvent> events;
  };

  // Called by curl on the fetch thread right before a request is sent (each redirect hop too).
  static int on_prereq(void* userp, char* conn_primary_ip, char*, int, int) {
    auto* t = static_cast<Transfer*>(userp);
    if (!prereq_allows(*t, conn_primary_ip)) return CURL_PREREQFUNC_ABORT;
    auto* self = static_cast<Impl*>(t->owner);
    std::lock_guard lock(self->mu_);
    Host& host = self->hosts_[t->host];
    host.last_start = std::max(host.last_start, self->clock_->now());
    if (!t->sent) {
      t->sent = true;
      host.unsent--;
      self->pending_hosts_.push_back(t->host);
    }
    return CURL_PREREQFUNC_OK;
  }

  // ---- scheduling state (all under mu_) ----

  std::string_view intern(const std::string& group) { return *groups_.insert(group).first; }

  std::uint32_t allocate_slot() {
    if (!free_slots_.empty()) {
      const std::uint32_t id = free_slots_.back();
      free_slots_.pop_back();
      feeds_[id] = std::make_unique<Feed>();
      return id;
    }
    feeds_.push_back(std::make_unique<Feed>());
    slot_generation_.push_back(0);
    return static_cast<std::uint32_t>(feeds_.size() - 1);
  }

  std::uint32_t host_id(const std::string& name) {
    auto it = host_ids_.find(name);
    if (it != host_ids_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(hosts_.size());
    hosts_.emplace_back();
    hosts_.back().name = name;
    host_ids_.emplace(name, id);
    return id;
  }

  Millis interval_for(const Feed& f) const {
    IntervalInputs in;
    in.configured = f.configured;
    in.rhythm = rhythm_interval(f.rhythm, f.configured);
    in.ttl = f.ttl;
    in.update_period = f.update_period;
    in.max_age = f.max_age;
    return compute_interval(in, config_);
  }

  FeedHealth health_for(int error_count) const {
    if (error_count == 0) return FeedHealth::kOk;
    return backoff_cap(error_count, config_) >= config_.backoff_max ? FeedHealth::kFailing : FeedHealth::kBackoff;
  }

  void reschedule(std::uint32_t id, Clock::time_point due) {
    Feed& f = *feeds_[id];
    ++f.generation;
    f.next_due = due;
    timers_.push(due, id, f.generation);
  }

  void set_health(Feed& f, std::optional<ErrorCode> error, std::vector<FetchEvent>& events) {
    const FeedHealth to = health_for(f.error_count);
    if (to == f.health) return;
    events.push_back(FeedStateChanged{f.group, f.health, to, error});
    if (to == FeedHealth::kOk) {
      log::info(kComponent, "feed recovered", {{"url", f.url}, {"was", to_string(f.health)}});
    } else if (to == FeedHealth::kFailing) {
      log::warn(kComponent, "feed failing, retrying at the backoff ceiling",
                {{"url", f.url}, {"error_type", to_string(f.last_error)}, {"errors", f.error_count}});
    } else {
      log::warn(kComponent, "feed in backoff",
                {{"url", f.url}, {"error_type", to_string(f.last_error)}, {"errors", f.error_count}});
    }
    f.health = to;
  }

  void record_failure(std::uint32_t id, const Error& error, std::optional<Millis> retry_after,
                      std::vector<FetchEvent>& events) {
    Feed& f = *feeds_[id];
    ++f.error_count;
    f.last_result = LastResult::kError;
    f.last_error = error.code;
    Millis delay = backoff_delay(f.error_count, config_, rng_);
    if (retry_after) delay = std::max(delay, std::min(*retry_after, config_.backoff_max));
    if (!f.in_flight) reschedule(id, clock_->now() + delay);
    set_health(f, error.code, events);
  }

  // ---- robots.txt (all under mu_) ----

  void enqueue_article(Job job) {
    const std::uint32_t h = host_id(host_of(job.article->url));
    hosts_[h].waiting.push_back(std::move(job));
    ++waiting_total_;
    pending_hosts_.push_back(h);
  }

  static Completed not_started(const Job& job) {
    Completed c;
    FetchResult& r = c.result.emplace();
    r.url = job.requested_url();
    r.final_url = job.article->url;
    r.tag = job.article->tag;
    r.error = make_error(ErrorCode::kTimeout, "not started before shutdown", true);
    return c;
  }

  // Decides an article against its origin's cached robots.txt, or parks it until the
  // robots.txt fetch (started here if none is queued or running) has answered.
  void route_article(Job job, Clock::time_point now, std::vector<Completed>& done) {
    auto target = robots_target(job.article->url);
    if (!target) {
      enqueue_article(std::move(job));  // the fetch itself reports the malformed URL
      return;
    }
    if (RobotsCache::Entry* entry = robots_cache_.find(target->origin, now)) {
      apply_robots(*entry, *target, std::move(job), done);
      return;
    }
    auto [it, first] = robots_waiting_.try_emplace(target->origin);
    it->second.push_back(std::move(job));
    if (!first) return;
    Job robots;
    robots.due = now;
    robots.robots_origin = target->origin;
    robots.article = std::make_unique<FetchRequest>();
    robots.article->url = target->robots_url;
    robots.article->kind = FetchKind::kArticle;
    const std::uint32_t h = host_id(host_of(target->robots_url));
    // Ahead of the host's queue: articles wait on it, and it still obeys the host's limits.
    hosts_[h].waiting.push_front(std::move(robots));
    ++waiting_total_;
    pending_hosts_.push_back(h);
  }

  void apply_robots(RobotsCache::Entry& entry, const RobotsTarget& target, Job job, std::vector<Completed>& done) {
    if (entry.rules.allowed(target.path)) {
      enqueue_article(std::move(job));
      return;
    }
    if (!entry.denial_logged) {
      entry.denial_logged = true;
      log::info(kComponent, "article pages disallowed by robots.txt",
                {{"origin", target.origin}, {"robots", to_string(entry.source)}, {"url", job.article->url}});
    }
    Completed c;
    FetchResult& r = c.result.emplace();
    r.url = job.requested_url();
    r.final_url = job.article->url;
    r.tag = job.article->tag;
    r.fetched_at = clock_->now();
    r.error = entry.source == RobotsSource::kUnreachable
                  ? make_error(ErrorCode::kRobotsDisallowed, "robots.txt unreachable: the origin is treated as disallowed", false)
                  : make_error(ErrorCode::kRobotsDisallowed, "disallowed by robots.txt", false);
    c.events.push_back(ArticleRobotsDenied{entry.source});
    done.push_back(std::move(c));
  }

  // Caches a finished robots.txt fetch for its origin and releases the articles waiting on it.
  void robots_finished(Transfer& t, bool transport_ok, std::int64_t date_unix, Clock::time_point now,
                       std::vector<FetchEvent>& events, std::vector<Completed>& done) {
    const FetchResult& r = t.result;
    // Aborted at shutdown: not an answer from the origin; the waiting articles get theirs
    // from the shutdown sweep.
    if (stopping_ && !transport_ok) return;
    RobotsSource source = classify_robots(r.http_status, transport_ok);
    RobotsCache::Entry entry;
    Millis ttl{0};
    if (t.blocked_address) {
      // The article fetches meet the same guard and report it themselves.
      source = RobotsSource::kUnavailable;
      ttl = kRobotsUnreachableTtl;
    } else {
      const auto max_age = source == RobotsSource::kUnreachable ? std::nullopt
                                                                 : freshness(t.cache_control, t.expires, date_unix);
      ttl = robots_ttl(source, max_age, r.retry_after);
    }
    switch (source) {
      case RobotsSource::kParsed: entry.rules = RobotsRules::parse(r.body, robots_token_); break;
      case RobotsSource::kUnavailable: entry.rules = RobotsRules::allow_all(); break;
      case RobotsSource::kUnreachable: entry.rules = RobotsRules::disallow_all(); break;
    }
    entry.source = source;
    entry.expires = now + ttl;
    events.push_back(RobotsFetched{source, r.http_status, r.elapsed});
    if (source == RobotsSource::kUnreachable) {
      log::warn(kComponent, "robots.txt unreachable; article pages of the origin are refused until it is retried",
                {{"origin", t.robots_origin}, {"http_status", r.http_status},
                 {"error", r.error ? r.error->message : std::string()},
                 {"retry_in_ms", static_cast<std::int64_t>(ttl.count())}});
    }
    hosts_[t.host].crawl_delay = std::min(entry.rules.crawl_delay().value_or(Millis(0)), kRobotsMaxCrawlDelay);
    RobotsCache::Entry& cached = robots_cache_.put(t.robots_origin, std::move(entry));
    auto waiting = robots_waiting_.extract(t.robots_origin);
    if (waiting.empty()) return;
    for (Job& job : waiting.mapped()) {
      if (auto target = robots_target(job.article->url)) {
        apply_robots(cached, *target, std::move(job), done);
      } else {
        enqueue_article(std::move(job));
      }
    }
  }

  // Moves due feeds into their hosts' queues and starts what politeness allows.
  void dispatch(Clock::time_point now, std::vector<FetchEvent>& events) {
    while (!timers_.empty() && timers_.top().due <= now) {
      const TimerHeap::Entry e = timers_.top();
      timers_.pop();
      if (e.id >= feeds_.size() || !feeds_[e.id]) continue;
      Feed& f = *feeds_[e.id];
      if (f.generation != e.generation || f.in_flight) continue;
      Job job;
      job.feed_id = e.id;
      job.generation = e.generation;
      job.due = e.due;
      hosts_[f.host].waiting.push_back(std::move(job));
      ++waiting_total_;
      pending_hosts_.push_back(f.host);
    }
    while (!host_wakeups_.empty() && host_wakeups_.top().first <= now) {
      pending_hosts_.push_back(host_wakeups_.top().second);
      host_wakeups_.pop();
    }
    if (in_flight_ < config_.max_in_flight && !starved_hosts_.empty()) {
      for (std::uint32_t h : starved_hosts_) {
        hosts_[h].in_starved_list = false;
        pending_hosts_.push_back(h);
      }
      starved_hosts_.clear();
    }
    std::vector<std::uint32_t> pending;
    pending.swap(pending_hosts_);
    for (std::uint32_t h : pending) pump_host(h, now, events);
  }

  void pump_host(std::uint32_t h, Clock::time_point now, std::vector<FetchEvent>& events) {
    Host& host = hosts_[h];
    while (!host.waiting.empty()) {
      Job& job = host.waiting.front();
      if (job.feed_id != kNoFeed) {
        const bool stale = job.feed_id >= feeds_.size() || !feeds_[job.feed_id] ||
                           feeds_[job.feed_id]->generation != job.generation || feeds_[job.feed_id]->in_flight;
        if (stale) {
          host.waiting.pop_front();
          --waiting_total_;
          continue;
        }
      }
      if (stopping_) return;
      if (host.in_flight >= config_.per_host_concurrency) return;  // a completion re-pumps it
      // Spacing counts from when the previous request actually went out (a new connection
      // sends a loop turn or more after the start), so hold on until it has.
      if (host.unsent > 0) return;  // its prereq callback re-pumps the host
      if (in_flight_ >= config_.max_in_flight) {
        if (!host.in_starved_list) {
          host.in_starved_list = true;
          starved_hosts_.push_back(h);
        }
        return;
      }
      if (now < host.blocked_until) {
        host_wakeups_.emplace(host.blocked_until, h);
        return;
      }
      Millis spacing = config_.per_host_min_spacing;
      if (job.article && job.robots_origin.empty()) spacing = std::max(spacing, host.crawl_delay);
      const Clock::time_point spaced = host.last_start + spacing;
      if (host.last_start != Clock::time_point{} && now < spaced) {
        host_wakeups_.emplace(spaced, h);
        return;
      }
      Job ready = std::move(job);
      host.waiting.pop_front();
      --waiting_total_;
      events.push_back(ScheduleLateness{std::chrono::duration_cast<Millis>(now - ready.due)});
      start_transfer(h, std::move(ready), now);
    }
  }

  CURL* take_easy() {
    if (!easy_pool_.empty()) {
      CURL* e = easy_pool_.back().release();
      easy_pool_.pop_back();
      curl_easy_reset(e);
      return e;
    }
    return curl_easy_init();
  }

  void setup_easy(Transfer& t, const std::string& url, const Validators& validators) {
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_SHARE, share_.get());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_text);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // followed here, hop by hop
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    // Waiting for a connection that may turn out to multiplex only pays off where HTTP/2 can
    // be negotiated; on plain HTTP it holds requests back and then releases them in a bunch.
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, url.rfind("https://", 0) == 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // everything this libcurl decodes
    curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.total_timeout.count()));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(config_.low_speed_bytes_per_second));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(std::max<std::int64_t>(1, config_.low_speed_time.count() / 1000)));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(config_.max_body_bytes));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);
    if (!config_.proxy.empty()) curl_easy_setopt(e, CURLOPT_PROXY, config_.proxy.c_str());
    if (t.guard != nullptr) {
      curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
      curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
    }
    t.owner = this;
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Impl::on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, &t);
    curl_slist* list = nullptr;
    if (t.kind == FetchKind::kFeed) list = curl_slist_append(list, (std::string("Accept: ") + kFeedAccept).c_str());
    if (!validators.etag.empty()) list = curl_slist_append(list, ("If-None-Match: " + validators.etag).c_str());
    if (!validators.last_modified.empty())
      list = curl_slist_append(list, ("If-Modified-Since: " + validators.last_modified).c_str());
    t.headers.reset(list);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  }

  void start_transfer(std::uint32_t h, Job job, Clock::time_point now) {
    auto t = std::make_unique<Transfer>();
    t->easy = take_easy();
    t->host = h;
    t->started = now;
    t->steady_started = SteadyClock::now();
    t->max_body = config_.max_body_bytes;
    t->max_decoded = config_.max_decoded_bytes;
    t->max_header = config_.max_header_bytes;
    std::string url;
    Validators validators;
    if (!job.robots_origin.empty()) {
      t->kind = FetchKind::kArticle;
      t->guard = &guard_;
      t->robots_origin = std::move(job.robots_origin);
      t->max_decoded = static_cast<std::int64_t>(kRobotsMaxBytes);
      t->truncate_body = true;
      t->result.url = job.article->url;
      url = job.article->url;
    } else if (job.article) {
      t->kind = FetchKind::kArticle;
      t->guard = &guard_;
      t->result.url = job.requested_url();
      t->result.tag = job.article->tag;
      url = job.article->url;
      if (job.chain) {
        t->redirects = job.chain->redirects;
        t->permanent_chain = job.chain->permanent_chain;
        t->result.permanent_url = job.chain->permanent_url;
        t->wire_bytes_before = job.chain->wire_bytes;
      } else {
        validators = job.article->validators;
      }
    } else {
      Feed& f = *feeds_[job.feed_id];
      f.in_flight = true;
      f.last_attempt = now;
      t->feed_id = job.feed_id;
      t->feed_generation_at_start = slot_generation_[job.feed_id];
      t->group = f.group;
      t->result.url = f.url;
      validators = f.validators;
      url = f.target();
    }
    t->result.validators = validators;
    t->result.final_url = url;
    setup_easy(*t, url, validators);
    hosts_[h].in_flight++;
    hosts_[h].unsent++;
    hosts_[h].last_start = now;
    ++in_flight_;
    curl_multi_add_handle(multi_.get(), t->easy);
    transfers_.emplace(t->easy, std::move(t));
  }

  // Re-issues the transfer at the redirect target; false when the chain must end.
  bool follow_redirect(Transfer& t, long status) {
    char* target = nullptr;
    curl_easy_getinfo(t.easy, CURLINFO_REDIRECT_URL, &target);
    if (target == nullptr) return false;
    const int max_redirects = t.robots_origin.empty() ? config_.max_redirects : kRobotsMaxRedirects;
    if (++t.redirects > max_redirects) {
      t.abort_error = make_error(ErrorCode::kRedirect, "more than max_redirects redirects", true);
      return false;
    }
    const std::string next = target;
    if ((status == 301 || status == 308) && t.permanent_chain) {
      t.result.permanent_url = next;
    } else {
      t.permanent_chain = false;
    }
    curl_off_t wire = 0;
    curl_easy_getinfo(t.easy, CURLINFO_SIZE_DOWNLOAD_T, &wire);
    t.wire_bytes_before += wire;
    if (must_requeue(t, next)) {
      t.requeue_to = next;
      return false;
    }
    curl_multi_remove_handle(multi_.get(), t.easy);
    t.result.body.clear();
    t.decoded_bytes = 0;
    t.result.final_url = next;
    curl_easy_setopt(t.easy, CURLOPT_URL, next.c_str());
    curl_multi_add_handle(multi_.get(), t.easy);
    return true;
  }

  // An article's redirect goes on in place only to the same host and to a path its
  // origin's cached robots.txt allows; any other hop goes back through route_article, so
  // the target's robots.txt and its host's politeness limits apply to it as to any page.
  bool must_requeue(const Transfer& t, const std::string& next) {
    if (t.kind != FetchKind::kArticle || !t.robots_origin.empty()) return false;
    if (host_id(host_of(next)) != t.host) return true;
    if (!config_.respect_robots_txt) return false;
    const auto target = robots_target(next);
    if (!target) return false;  // the hop itself reports the malformed URL
    const RobotsCache::Entry* entry = robots_cache_.find(target->origin, clock_->now());
    return entry == nullptr || !entry->rules.allowed(target->path);
  }

  // A transfer that ended (finished or requeued) no longer counts against its host.
  void release_host(const Transfer& t) {
    Host& host = hosts_[t.host];
    host.in_flight--;
    if (!t.sent) host.unsent--;
    --in_flight_;
    pending_hosts_.push_back(t.host);
  }

  // Takes the transfer's handle off the multi handle and keeps it for the next transfer.
  void release_easy(Transfer& t) {
    curl_multi_remove_handle(multi_.get(), t.easy);
    easy_pool_.emplace_back(t.easy);
    t.easy = nullptr;
  }

  // Ends a transfer whose redirect goes back through the queue, and queues its next hop.
  void requeue(std::unique_ptr<Transfer> t, Clock::time_point now, std::vector<Completed>& done) {
    release_host(*t);
    release_easy(*t);
    Job job;
    job.due = now;
    job.article = std::make_unique<FetchRequest>();
    job.article->url = std::move(t->requeue_to);
    job.article->kind = FetchKind::kArticle;
    job.article->tag = t->result.tag;
    job.chain = Chain{t->result.url, t->redirects, t->permanent_chain, t->result.permanent_url,
                      t->wire_bytes_before};
    if (config_.respect_robots_txt) {
      route_article(std::move(job), now, done);
    } else {
      enqueue_article(std::move(job));
    }
  }

  // Turns a finished transfer into its result and updates the feed and host; under mu_.
  void finish(std::unique_ptr<Transfer> t, std::optional<CURLcode> code, const char* detail,
              std::optional<Error> forced, std::vector<Completed>& done) {
    Completed out;
    // A robots.txt body cut at its cap is a complete answer, not a failed transfer.
    if (t->truncated && !forced) code = CURLE_OK;
    FetchResult& r = t->result;
    const auto now = clock_->now();
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    r.http_status = static_cast<int>(status);
    r.fetched_at = now;
    r.elapsed = std::chrono::duration_cast<Millis>(SteadyClock::now() - t->steady_started);
    char* ct = nullptr;
    curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (ct != nullptr) r.content_type = ct;
    curl_off_t wire = 0;
    curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire);

    const std::int64_t date_unix = parse_http_date(t->date).value_or(
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count());
    if (forced) {
      r.error = std::move(forced);
    } else if (code && *code != CURLE_OK) {
      r.error = map_curl_error(*code, *t, detail);
    } else if (status == 304) {
      r.not_modified = true;
    } else if (status >= 200 && status < 300) {
      // success
    } else if (is_redirect(status)) {
      r.error = t->abort_error ? *t->abort_error : make_error(ErrorCode::kRedirect, "redirect without target", true);
    } else if (status == 429) {
      r.error = make_error(ErrorCode::kRateLimited, "HTTP 429", true);
    } else {
      r.error = make_error(ErrorCode::kHttpStatus, "HTTP " + std::to_string(status), status >= 500 || status == 408);
    }
    if (r.error) r.body.clear();
    if (!r.ok() && (status == 429 || status == 503)) r.retry_after = parse_retry_after(t->retry_after, date_unix);
    if (r.ok()) {
      // Both validators refreshed; a 304 that omits one keeps the stored value.
      if (!t->etag.empty()) r.validators.etag = t->etag;
      if (!t->last_modified.empty()) r.validators.last_modified = t->last_modified;
      r.max_age = freshness(t->cache_control, t->expires, date_unix);
    }
    if (!r.ok() || !t->permanent_chain) r.permanent_url.clear();

    Host& host = hosts_[t->host];
    release_host(*t);
    if (status == 429 || status == 503) {
      throttle_host(t->host, static_cast<int>(status), r.retry_after, now, out.events);
    } else if (r.ok()) {
      host.throttle_count = 0;
    }

    if (!t->robots_origin.empty()) {
      const bool transport_ok = !forced && (!code || *code == CURLE_OK);
      robots_finished(*t, transport_ok, date_unix, now, out.events, done);
      out.events.push_back(InFlight{in_flight_, by_url_.size(), waiting_count()});
      release_easy(*t);
      done.push_back(std::move(out));
      return;
    }

    FetchDone fetch_done;
    fetch_done.kind = t->kind;
    fetch_done.group = t->group;
    if (r.error) fetch_done.error = r.error->code;
    fetch_done.http_status = r.http_status;
    fetch_done.not_modified = r.not_modified;
    fetch_done.duration = r.elapsed;
    fetch_done.wire_bytes = t->wire_bytes_before + wire;
    fetch_done.decoded_bytes = t->decoded_bytes;
    fetch_done.redirects = t->redirects;
    out.events.push_back(fetch_done);

    const bool feed_alive = t->feed_id != kNoFeed && t->feed_id < feeds_.size() && feeds_[t->feed_id] &&
                            slot_generation_[t->feed_id] == t->feed_generation_at_start;
    if (feed_alive) {
      Feed& f = *feeds_[t->feed_id];
      f.in_flight = false;
      f.last_http_status = static_cast<std::int16_t>(r.http_status);
      if (r.ok()) {
        f.validators = r.validators;
        f.max_age = r.max_age;
        f.error_count = 0;
        f.last_result = r.not_modified ? LastResult::kNotModified : LastResult::kOk;
        f.last_success = now;
        if (!r.permanent_url.empty() && r.permanent_url != f.target()) {
          log::info(kComponent, "feed moved permanently", {{"url", f.url}, {"to", r.permanent_url}});
          f.fetch_url = r.permanent_url == f.url ? std::string() : r.permanent_url;
          f.host = host_id(host_of(f.target()));
          out.events.push_back(FeedMoved{f.group});
        }
        set_health(f, std::nullopt, out.events);
        f.interval = interval_for(f);
        reschedule(t->feed_id, std::max(t->started + f.interval, now));
      } else {
        record_failure(t->feed_id, *r.error, r.retry_after, out.events);
      }
    }
    out.events.push_back(InFlight{in_flight_, by_url_.size(), waiting_count()});
    release_easy(*t);
    out.result = std::move(r);
    done.push_back(std::move(out));
  }

  size_t waiting_count() const { return waiting_total_; }

  void throttle_host(std::uint32_t h, int status, std::optional<Millis> retry_after, Clock::time_point now,
                     std::vector<FetchEvent>& events) {
    Host& host = hosts_[h];
    ++host.throttle_count;
    Millis block = retry_after ? std::min(*retry_after, config_.backoff_max)
                               : backoff_delay(host.throttle_count, config_, rng_);
    const Clock::time_point until = now + block;
    if (until > host.blocked_until) {
      host.blocked_until = until;
      events.push_back(HostThrottled{status, block, retry_after.has_value()});
      log::warn(kComponent, "host throttled", {{"host", host.name}, {"http_status", status},
                                               {"blocked_ms", static_cast<std::int64_t>(block.count())}});
    }
  }

  void emit(const std::vector<FetchEvent>& events) {
    for (const auto& e : events) listener_.on_event(e);
  }

  // ---- the fetch thread ----

  void run() {
    auto last_scan = SteadyClock::now();
    for (;;) {
      std::vector<FetchEvent> events;
      std::vector<Completed> denied;  // article pages robots.txt refused, decided off this thread
      Clock::time_point next_wake;
      bool stopping;
      {
        std::lock_guard lock(mu_);
        stopping = stopping_;
        const auto now = clock_->now();
        if (!stopping) dispatch(now, events);
        next_wake = now + kMaxPollWait;
        if (!timers_.empty()) next_wake = std::min(next_wake, timers_.top().due);
        if (!host_wakeups_.empty()) next_wake = std::min(next_wake, host_wakeups_.top().first);
        if (stopping && (transfers_.empty() || SteadyClock::now() >= stop_deadline_)) break;
        denied.swap(denied_);  // after the break: the shutdown sweep delivers what is left
      }
      emit(events);
      deliver(denied);

      int running = 0;
      curl_multi_perform(multi_.get(), &running);
      drain_messages();

      const auto steady_now = SteadyClock::now();
      if (steady_now - last_scan >= kFirstByteScanEvery) {
        last_scan = steady_now;
        abort_slow_starters(steady_now);
      }

      Millis wait = std::chrono::duration_cast<Millis>(next_wake - clock_->now());
      long curl_wait = -1;
      curl_multi_timeout(multi_.get(), &curl_wait);
      if (curl_wait >= 0) wait = std::min(wait, Millis(curl_wait));
      if (!transfers_.empty()) wait = std::min(wait, std::chrono::duration_cast<Millis>(kFirstByteScanEvery));
      wait = std::clamp(wait, Millis(0), kMaxPollWait);
      if (stopping) wait = std::min(wait, Millis(50));
      {
        std::lock_guard lock(mu_);
        if (!pending_hosts_.empty() || !denied_.empty()) wait = Millis(0);
      }
      curl_multi_poll(multi_.get(), nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
    // Past the stop deadline: abort what is left; each still gets its result.
    std::vector<Completed> done;
    {
      std::lock_guard lock(mu_);
      for (auto& [easy, t] : transfers_) {
        finish(std::move(t), std::nullopt, nullptr, make_error(ErrorCode::kTimeout, "aborted at shutdown", true),
               done);
      }
      transfers_.clear();
      // Article fetches still waiting for their host were promised a result too.
      for (Host& host : hosts_) {
        for (Job& job : host.waiting) {
          if (job.article && job.robots_origin.empty()) done.push_back(not_started(job));
        }
        waiting_total_ -= host.waiting.size();
        host.waiting.clear();
      }
      // So were those waiting for their origin's robots.txt.
      for (auto& [origin, jobs] : robots_waiting_) {
        for (Job& job : jobs) done.push_back(not_started(job));
      }
      robots_waiting_.clear();
      for (auto& c : denied_) done.push_back(std::move(c));
      denied_.clear();
    }
    deliver(done);
  }

  void drain_messages() {
    std::vector<Completed> done;
    {
      std::lock_guard lock(mu_);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        auto it = transfers_.find(msg->easy_handle);
        if (it == transfers_.end()) continue;
        Transfer& t = *it->second;
        const CURLcode code = msg->data.result;
        long status = 0;
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        if (code == CURLE_OK && is_redirect(status) && !stopping_ && follow_redirect(t, status)) continue;
        auto owned = std::move(it->second);
        transfers_.erase(it);
        if (!owned->requeue_to.empty()) {
          requeue(std::move(owned), clock_->now(), done);
          continue;
        }
        const std::string owned_error_text = owned->error_text;
        finish(std::move(owned), code, owned_error_text.c_str(), std::nullopt, done);
      }
    }
    deliver(done);
  }

  // Connect and low-speed limits are curl's; "no first byte within first_byte_timeout" is ours.
  void abort_slow_starters(SteadyClock::time_point now) {
    std::vector<Completed> done;
    {
      std::lock_guard lock(mu_);
      for (auto it = transfers_.begin(); it != transfers_.end();) {
        Transfer& t = *it->second;
        if (!t.got_first_byte && now - t.steady_started > config_.first_byte_timeout) {
          auto owned = std::move(it->second);
          it = transfers_.erase(it);
          finish(std::move(owned), std::nullopt, nullptr,
                 make_error(ErrorCode::kTimeout, "no response within first_byte_timeout", true), done);
        } else {
          ++it;
        }
      }
    }
    deliver(done);
  }

  void deliver(std::vector<Completed>& done) {
    for (auto& c : done) {
      emit(c.events);
      if (c.result) listener_.on_result(std::move(*c.result));
    }
  }

  const FetchConfig config_;
  Listener& listener_;
  SystemTimeSource system_clock_;
  const TimeSource* clock_;
  AddressGuard guard_;
  std::string user_agent_;
  std::string robots_token_;  // the User-Agent's product token, lower-case
  CurlMulti multi_;
  CurlShare share_;
  std::thread thread_;

  // Fetch-thread only: transfers and the idle easy handles.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::vector<CurlEasy> easy_pool_;

  mutable std::mutex mu_;  // guards everything below
  bool stopping_ = false;
  SteadyClock::time_point stop_deadline_{};
  std::vector<std::unique_ptr<Feed>> feeds_;
  std::vector<std::uint32_t> slot_generation_;  // bumped when a slot's feed is removed
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<std::string, std::uint32_t> by_url_;
  std::set<std::string, std::less<>> groups_;
  std::deque<Host> hosts_;  // deque: Host is not nothrow-movable
  std::unordered_map<std::string, std::uint32_t> host_ids_;
  TimerHeap timers_;
  std::priority_queue<std::pair<Clock::time_point, std::uint32_t>,
                      std::vector<std::pair<Clock::time_point, std::uint32_t>>, std::greater<>>
      host_wakeups_;
  std::vector<std::uint32_t> pending_hosts_;  // hosts whose queues may move
  std::vector<std::uint32_t> starved_hosts_;  // waiting for a global in-flight slot
  Millis smallest_interval_{0};
  int in_flight_ = 0;
  size_t waiting_total_ = 0;
  RobotsCache robots_cache_{kRobotsCacheEntries, kRobotsCacheBytes};
  // Articles waiting for their origin's robots.txt; a key is present while its fetch is
  // queued or running, so there is one fetch per origin at a time.
  std::unordered_map<std::string, std::vector<Job>> robots_waiting_;
  std::vector<Completed> denied_;  // refused articles decided outside the fetch thread
  std::mt19937_64 rng_;
};

Fetcher::Fetcher(const FetchConfig& config, Listener& listener, const TimeSource* clock)
    : impl_(std::make_unique<Impl>(config, listener, clock)) {}
Fetcher::~Fetcher() = default;
void Fetcher::start() { impl_->start(); }
void Fetcher::stop(Millis deadline) { impl_->stop(deadline); }
void Fetcher::upsert_feed(const FeedSpec& spec, const FeedState* restored) { impl_->upsert_feed(spec, restored); }
void Fetcher::remove_feed(const std::string& url) { impl_->remove_feed(url); }
Millis Fetcher::report(const std::string& url, const PollHints& hints) { return impl_->report(url, hints); }
void Fetcher::fetch_article(FetchRequest request) { impl_->fetch_article(std::move(request)); }
std::vector<FeedStatus> Fetcher::status(size_t offset, size_t limit) const { return impl_->status(offset, limit); }
std::optional<FeedState> Fetcher::snapshot(const std::string& url) const { return impl_->snapshot(url); }
size_t Fetcher::feed_count() const { return impl_->feed_count(); }
void Fetcher::wake() { impl_->wake(); }

}  // namespace feedpipe::fetcher
