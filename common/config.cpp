#include "common/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "common/log.h"
#include "common/opml.h"

namespace feedpipe {
namespace {

namespace fs = std::filesystem;

std::string trim(std::string_view s) {
  const char* kSpace = " \t\r\n";
  auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(kSpace);
  return std::string(s.substr(b, e - b + 1));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

template <class Int>
bool parse_int(std::string_view text, Int* out) {
  auto t = trim(text);
  if (t.empty()) return false;
  const char* first = t.data();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), *out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

// Replaces ${VAR} and ${VAR:-default}; "$${" stays a literal "${". Values are substituted
// after YAML parsing, so a variable can never inject YAML structure.
bool substitute_env(std::string_view in, std::string* out, std::string* error) {
  out->clear();
  for (std::size_t i = 0; i < in.size();) {
    if (in.compare(i, 3, "$${") == 0) {
      out->append("${");
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      out->push_back(in[i++]);
      continue;
    }
    auto close = in.find('}', i + 2);
    if (close == std::string_view::npos) {
      *error = "unterminated ${ in '" + std::string(in) + "'";
      return false;
    }
    auto body = in.substr(i + 2, close - i - 2);
    auto sep = body.find(":-");
    auto name = body.substr(0, sep);
    bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                      std::all_of(name.begin(), name.end(), [](unsigned char c) {
                        return std::isalnum(c) || c == '_';
                      });
    if (!valid_name) {
      *error = "bad variable reference '${" + std::string(body) + "}'";
      return false;
    }
    const char* value = std::getenv(std::string(name).c_str());
    if (value != nullptr && (sep == std::string_view::npos || *value != '\0')) {
      out->append(value);
    } else if (sep != std::string_view::npos) {
      out->append(body.substr(sep + 2));  // shell semantics: unset or empty takes the default
    } else {
      *error = "environment variable " + std::string(name) + " is not set (use ${" +
               std::string(name) + ":-default} for a default)";
      return false;
    }
    i = close + 1;
  }
  return true;
}

bool is_http_url(std::string_view url) {
  auto l = lower(url);
  std::string_view rest;
  if (l.rfind("http://", 0) == 0) rest = std::string_view(url).substr(7);
  else if (l.rfind("https://", 0) == 0) rest = std::string_view(url).substr(8);
  else return false;
  auto host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.front() == ':') return false;
  return std::none_of(url.begin(), url.end(),
                      [](unsigned char c) { return std::isspace(c) || c < 0x20; });
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isdigit(c) != 0;
  });
}

bool is_port(std::string_view text) {
  int port = 0;
  return all_digits(text) &&
         parse_int(text, &port) && port >= 0 && port <= 65535;
}

// host:port, [v6]:port; the host is required so the bind address is always explicit.
bool is_host_port(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return false;
    std::string addr(text.substr(1, close - 1));
    in6_addr a6{};
    return inet_pton(AF_INET6, addr.c_str(), &a6) == 1 && is_port(text.substr(close + 2));
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos) return false;  // bare IPv6 needs brackets
  bool host_ok = std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '-' || c == '_';
  });
  return host_ok && is_port(text.substr(colon + 1));
}

// "10.0.0.0/8", "fd00::/8"; a bare address is a single host.
bool is_cidr(std::string_view text) {
  auto slash = text.find('/');
  std::string addr(text.substr(0, slash));
  int max_bits = 0;
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, addr.c_str(), &a4) == 1) max_bits = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), &a6) == 1) max_bits = 128;
  else return false;
  if (slash == std::string_view::npos) return true;
  auto len_text = text.substr(slash + 1);
  int bits = -1;
  return all_digits(len_text) && parse_int(len_text, &bits) && bits >= 0 && bits <= max_bits;
}

// Feed identity for the duplicate check: scheme and host are case-insensitive, a fragment
// never reaches the server.
std::string feed_identity(std::string_view url) {
  std::string u(url.substr(0, url.find('#')));
  auto scheme_end = u.find("://");
  if (scheme_end == std::string::npos) return u;
  auto host_end = u.find_first_of("/?", scheme_end + 3);
  if (host_end == std::string::npos) {
    u += '/';
    host_end = u.size() - 1;
  }
  std::transform(u.begin(), u.begin() + static_cast<std::ptrdiff_t>(host_end), u.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return u;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string format_millis(Millis d) {
  auto ms = d.count();
  if (ms % 86'400'000 == 0 && ms != 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

using Keys = std::initializer_list<std::string_view>;

// Where a feed came from, so problems point at the file and line that declared it.
struct FeedOrigin {
  std::string path;
  int line = 0;
  std::string key;
};

class Loader {
 public:
  Loader(std::string origin, fs::path base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  ConfigLoad load(const std::string& yaml) {
    YAML::Node root;
    try {
      root = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
      add_at(origin_, e.mark.line + 1, "", "YAML syntax: " + e.msg);
      return finish();
    }
    if (read_root(root)) validate();
    return finish();
  }

 private:
  // ---- problems and lines --------------------------------------------------------------

  void add_at(const std::string& path, int line, std::string key, std::string message) {
    load_.problems.push_back({path, line, std::move(key), std::move(message)});
  }
  void add(const std::string& key, std::string message) {
    auto it = lines_.find(key);
    add_at(origin_, it == lines_.end() ? 0 : it->second, key, std::move(message));
  }
  static int line_of(const YAML::Node& node) {
    return node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  }

  ConfigLoad finish() {
    // The main file first, then included files in the order they were named; lines ascending.
    std::map<std::string, std::size_t> file_rank{{origin_, 0}};
    for (const auto& p : load_.problems) file_rank.emplace(p.path, file_rank.size());
    std::stable_sort(load_.problems.begin(), load_.problems.end(),
                     [&](const ConfigProblem& a, const ConfigProblem& b) {
                       auto ra = file_rank[a.path], rb = file_rank[b.path];
                       return ra != rb ? ra < rb : a.line < b.line;
                     });
    load_.config.source_path = origin_;
    return std::move(load_);
  }

  // Walks a mapping, rejecting unknown and repeated keys; `fn(name, value, dotted_key)`.
  void for_each_key(const YAML::Node& node, const std::string& prefix, Keys known,
                    const std::function<void(const std::string&, const YAML::Node&,
                                             const std::string&)>& fn) {
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) {
      add_at(origin_, line_of(node), prefix, "expected a mapping of keys");
      return;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      // yaml-cpp iterators yield proxies; copy the (cheap, shared) nodes out of them.
      const YAML::Node k = entry.first;
      const YAML::Node value = entry.second;
      if (!k.IsScalar()) {
        add_at(origin_, line_of(k), prefix, "keys must be plain strings");
        continue;
      }
      const std::string name = k.Scalar();
      std::string key = prefix.empty() ? name : prefix + "." + name;
      lines_[key] = line_of(k);
      if (!seen.insert(name).second) {
        add(key, "duplicate key");
        continue;
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        add(key, unknown_key_message(name, known));
        continue;
      }
      fn(name, value, key);
    }
  }

  static std::string unknown_key_message(const std::string& name, Keys known) {
    std::string best;
    std::size_t best_d = 3;
    std::string all;
    for (auto k : known) {
      auto d = edit_distance(name, k);
      if (d < best_d) best_d = d, best = std::string(k);
      all += (all.empty() ? "" : ", ") + std::string(k);
    }
    if (!best.empty()) return "unknown key (did you mean '" + best + "'?)";
    return "unknown key (known: " + all + ")";
  }

  // ---- scalars -------------------------------------------------------------------------

  // The scalar after ${VAR} substitution; nullopt (with a problem) when it is not a scalar.
  std::optional<std::string> text(const YAML::Node& v, const std::string& key) {
    if (v.IsNull()) return std::string();
    if (!v.IsScalar()) {
      add(key, "expected a single value, not a " +
                   std::string(v.IsSequence() ? "list" : "mapping"));
      return std::nullopt;
    }
    std::string out, error;
    if (!substitute_env(v.Scalar(), &out, &error)) {
      add(key, error);
      return std::nullopt;
    }
    return out;
  }

  void read(const YAML::Node& v, const std::string& key, std::string* out) {
    if (auto t = text(v, key)) *out = *t;
  }
  void read(const YAML::Node& v, const std::string& key, int* out) {
    if (auto t = text(v, key); t && !parse_int(*t, out)) add(key, "expected an integer, got '" + *t + "'");
  }
  void read(const YAML::Node& v, const std::string& key, bool* out) {
    auto t = text(v, key);
    if (!t) return;
    auto l = lower(trim(*t));
    if (l == "true" || l == "yes" || l == "on") *out = true;
    else if (l == "false" || l == "no" || l == "off") *out = false;
    else add(key, "expected true or false, got '" + *t + "'");
  }
  void read(const YAML::Node& v, const std::string& key, Millis* out) {
    auto t = text(v, key);
    if (t && !parse_duration(*t, out)) {
      add(key, "expected a duration with a unit (250ms, 2s, 5m, 1h, 7d), got '" + *t + "'");
    }
  }
  void read_size(const YAML::Node& v, const std::string& key, std::int64_t* out) {
    auto t = text(v, key);
    if (t && !parse_size(*t, out)) {
      add(key, "expected a size in bytes (1000, 64KB, 20MiB), got '" + *t + "'");
    }
  }
  void read(const YAML::Node& v, const std::string& key, std::vector<std::string>* out) {
    if (v.IsNull()) {
      out->clear();
      return;
    }
    if (!v.IsSequence()) {
      add(key, "expected a list");
      return;
    }
    out->clear();
    for (std::size_t i = 0; i < v.size(); ++i) {
      auto item_key = key + "[" + std::to_string(i) + "]";
      lines_[item_key] = line_of(v[i]);
      if (auto t = text(v[i], item_key)) out->push_back(trim(*t));
    }
  }

  // ---- sections ------------------------------------------------------------------------

  // False when the document is not a mapping at all: nothing to validate then.
  bool read_root(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      add_at(origin_, 0, "", "the configuration is empty");
      return false;
    }
    if (!root.IsMap()) {
      add_at(origin_, line_of(root), "", "expected a mapping of keys at the top level");
      return false;
    }
    auto& c = load_.config;
    // Defaults first: feeds read below inherit them whatever the key order in the file.
    if (auto d = root["defaults"]; d.IsDefined()) read_defaults(d);
    for_each_key(root, "",
                 {"kafka", "fetch", "dedup", "roles", "http", "log", "shutdown_grace",
                  "defaults", "feeds", "opml"},
                 [&](const std::string& name, const YAML::Node& v, const std::string& key) {
                   if (name == "kafka") read_kafka(v);
                   else if (name == "fetch") read_fetch(v);
                   else if (name == "dedup") read_dedup(v);
                   else if (name == "roles") read_roles(v, key);
                   else if (name == "http") {
                     for_each_key(v, key, {"listen"},
                                  [&](const std::string&, const YAML::Node& lv,
                                      const std::string& lk) { read(lv, lk, &c.http_listen); });
                   } else if (name == "log") {
                     for_each_key(v, key, {"level"},
                                  [&](const std::string&, const YAML::Node& lv,
                                      const std::string& lk) { read(lv, lk, &c.log_level); });
                   } else if (name == "shutdown_grace") read(v, key, &c.shutdown_grace);
                   else if (name == "feeds") read_feeds(v, key);
                   else if (name == "opml") read(v, key, &c.opml);
                 });
    read_opml_files();
    return true;
  }

  void read_kafka(const YAML::Node& node) {
    auto& k = load_.config.kafka;
    for_each_key(node, "kafka",
                 {"bootstrap_servers", "topic_prefix", "partitions", "replication_factor",
                  "group_id", "instance_id", "transaction_timeout", "librdkafka"},
                 [&](const std::string& name, const YAML::Node& v, const std::string& key) {
                   if (name == "bootstrap_servers") read(v, key, &k.bootstrap_servers);
                   else if (name == "topic_prefix") read(v, key, &k.topic_prefix);
                   else if (name == "partitions") read(v, key, &k.partitions);
                   else if (name == "replication_factor") read(v, key, &k.replication_factor);
                   else if (name == "group_id") read(v, key, &k.group_id);
                   else if (name == "instance_id") read(v, key, &k.instance_id);
                   else if (name == "transaction_timeout") read(v, key, &k.transaction_timeout);
                   else if (name == "librdkafka") read_librdkafka(v, key);
                 });
  }

  // librdkafka owns the meaning of these; we only insist on name: scalar.
  void read_librdkafka(const YAML::Node& node, const std::string& prefix) {
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      add(prefix, "expected a mapping of librdkafka properties");
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        add_at(origin_, line_of(it->first), prefix, "property names must be plain strings");
        continue;
      }
      auto key = prefix + "." + it->first.Scalar();
      lines_[key] = line_of(it->first);
      if (auto t = text(it->second, key)) load_.config.kafka.librdkafka[it->first.Scalar()] = *t;
    }
  }

  void read_fetch(const YAML::Node& node) {
    auto& f = load_.config.fetch;
    for_each_key(
        node, "fetch",
        {"user_agent", "contact_url", "proxy", "connect_timeout", "first_byte_timeout",
         "total_timeout", "low_speed_bytes_per_second", "low_speed_time", "max_body_bytes",
         "max_decoded_bytes", "max_header_bytes", "max_redirects", "max_in_flight",
         "per_host_concurrency", "per_host_min_spacing", "backoff_base", "backoff_max",
         "min_interval", "max_interval", "allow_private_networks", "respect_robots_txt"},
        [&](const std::string& name, const YAML::Node& v, const std::string& key) {
          if (name == "user_agent") read(v, key, &f.user_agent);
          else if (name == "contact_url") read(v, key, &f.contact_url);
          else if (name == "proxy") read(v, key, &f.proxy);
          else if (name == "connect_timeout") read(v, key, &f.connect_timeout);
          else if (name == "first_byte_timeout") read(v, key, &f.first_byte_timeout);
          else if (name == "total_timeout") read(v, key, &f.total_timeout);
          else if (name == "low_speed_bytes_per_second") read_size(v, key, &f.low_speed_bytes_per_second);
          else if (name == "low_speed_time") read(v, key, &f.low_speed_time);
          else if (name == "max_body_bytes") read_size(v, key, &f.max_body_bytes);
          else if (name == "max_decoded_bytes") read_size(v, key, &f.max_decoded_bytes);
          else if (name == "max_header_bytes") read_size(v, key, &f.max_header_bytes);
          else if (name == "max_redirects") read(v, key, &f.max_redirects);
          else if (name == "max_in_flight") read(v, key, &f.max_in_flight);
          else if (name == "per_host_concurrency") read(v, key, &f.per_host_concurrency);
          else if (name == "per_host_min_spacing") read(v, key, &f.per_host_min_spacing);
          else if (name == "backoff_base") read(v, key, &f.backoff_base);
          else if (name == "backoff_max") read(v, key, &f.backoff_max);
          else if (name == "min_interval") read(v, key, &f.min_interval);
          else if (name == "max_interval") read(v, key, &f.max_interval);
          else if (name == "allow_private_networks") read(v, key, &f.allow_private_networks);
          else if (name == "respect_robots_txt") read(v, key, &f.respect_robots_txt);
        });
  }

  void read_dedup(const YAML::Node& node) {
    auto& d = load_.config.dedup;
    for_each_key(node, "dedup", {"updates", "retention", "tracking_params"},
                 [&](const std::string& name, const YAML::Node& v, const std::string& key) {
                   if (name == "updates") {
                     auto t = text(v, key);
                     if (!t) return;
                     if (*t == "publish") d.publish_updates = true;
                     else if (*t == "ignore") d.publish_updates = false;
                     else add(key, "expected publish or ignore, got '" + *t + "'");
                   } else if (name == "retention") read(v, key, &d.retention);
                   else if (name == "tracking_params") read(v, key, &d.tracking_params);
                 });
  }

  void read_roles(const YAML::Node& v, const std::string& key) {
    std::vector<std::string> names;
    if (!v.IsSequence()) {
      add(key, "expected a list of roles (ingest, dedup, enrich)");
      return;
    }
    read(v, key, &names);
    auto& r = load_.config.roles;
    r = RolesConfig{false, false, false};
    roles_given_ = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto& n = names[i];
      if (n == "ingest") r.ingest = true;
      else if (n == "dedup") r.dedup = true;
      else if (n == "enrich") r.enrich = true;
      else add(key + "[" + std::to_string(i) + "]", "unknown role '" + n + "' (known: ingest, dedup, enrich)");
    }
    if (names.empty()) add(key, "at least one role is needed");
  }

  void read_defaults(const YAML::Node& node) {
    auto& d = load_.config.feed_defaults;
    for_each_key(node, "defaults", {"interval", "group", "fetch_articles"},
                 [&](const std::string& name, const YAML::Node& v, const std::string& key) {
                   if (name == "interval") read(v, key, &d.interval);
                   else if (name == "group") read(v, key, &d.group);
                   else if (name == "fetch_articles") read(v, key, &d.fetch_articles);
                 });
  }

  void read_feeds(const YAML::Node& v, const std::string& key) {
    if (v.IsNull()) return;
    if (!v.IsSequence()) {
      add(key, "expected a list of feeds");
      return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
      const YAML::Node item = v[i];
      auto item_key = key + "[" + std::to_string(i) + "]";
      lines_[item_key] = line_of(item);
      FeedSpec spec = load_.config.feed_defaults;
      spec.url.clear();
      FeedOrigin origin{origin_, line_of(item), item_key};
      if (item.IsScalar()) {
        if (auto t = text(item, item_key)) spec.url = trim(*t);
      } else if (item.IsMap()) {
        bool has_url = false;
        for_each_key(item, item_key, {"url", "interval", "group", "fetch_articles"},
                     [&](const std::string& name, const YAML::Node& fv, const std::string& fk) {
                       if (name == "url") {
                         has_url = true;
                         origin.key = fk;
                         origin.line = lines_[fk];
                         if (auto t = text(fv, fk)) spec.url = trim(*t);
                       } else if (name == "interval") {
                         read(fv, fk, &spec.interval);
                         check_interval(spec.interval, fk);
                       } else if (name == "group") read(fv, fk, &spec.group);
                       else if (name == "fetch_articles") read(fv, fk, &spec.fetch_articles);
                     });
        if (!has_url) {
          add(item_key, "a feed needs a url");
          continue;
        }
      } else {
        add(item_key, "expected a feed URL or a mapping with url, interval, group, fetch_articles");
        continue;
      }
      add_feed(std::move(spec), std::move(origin));
    }
  }

  void read_opml_files() {
    auto& c = load_.config;
    for (std::size_t i = 0; i < c.opml.size(); ++i) {
      auto key = "opml[" + std::to_string(i) + "]";
      fs::path path = c.opml[i];
      if (path.is_relative()) path = base_dir_ / path;
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        add(key, "cannot read OPML file " + path.string());
        continue;
      }
      std::stringstream buffer;
      buffer << in.rdbuf();
      auto feeds = parse_opml(buffer.str());
      if (!feeds.ok()) {
        add(key, path.string() + ": " + feeds.error().message);
        continue;
      }
      if (feeds->empty()) add(key, path.string() + ": no outline with an xmlUrl");
      for (auto& f : *feeds) {
        FeedSpec spec = c.feed_defaults;
        spec.url = f.url;
        if (!f.group.empty()) spec.group = f.group;
        add_feed(std::move(spec), FeedOrigin{path.string(), f.line, "xmlUrl"});
      }
    }
  }

  void add_feed(FeedSpec spec, FeedOrigin origin) {
    if (spec.url.empty()) {
      add_at(origin.path, origin.line, origin.key, "the feed URL is empty");
      return;
    }
    if (!is_http_url(spec.url)) {
      add_at(origin.path, origin.line, origin.key,
             "'" + spec.url + "' is not an http:// or https:// URL");
      return;
    }
    auto identity = feed_identity(spec.url);
    auto [it, inserted] = feed_seen_.emplace(identity, origin);
    if (!inserted) {
      add_at(origin.path, origin.line, origin.key,
             "duplicate feed " + spec.url + " (first at " + it->second.path + ":" +
                 std::to_string(it->second.line) + ")");
      return;
    }
    load_.config.feeds.push_back(std::move(spec));
  }

  void check_interval(Millis interval, const std::string& key) {
    if (interval.count() <= 0) add(key, "must be positive");
    else interval_keys_.emplace_back(key, interval);
  }

  // ---- cross-field validation ----------------------------------------------------------

  void positive(Millis d, const char* key) {
    if (d.count() <= 0) add(key, "must be positive");
  }
  void at_least(std::int64_t v, std::int64_t min, const char* key) {
    if (v < min) add(key, "must be at least " + std::to_string(min) + ", got " + std::to_string(v));
  }

  void validate() {
    const auto& c = load_.config;
    const auto& k = c.kafka;
    if (trim(k.bootstrap_servers).empty()) add("kafka.bootstrap_servers", "must not be empty");
    std::stringstream servers(k.bootstrap_servers);
    for (std::string s; std::getline(servers, s, ',');) {
      if (trim(s).empty() || trim(s).find(' ') != std::string::npos) {
        add("kafka.bootstrap_servers", "expected host:port[,host:port...], got '" + k.bootstrap_servers + "'");
        break;
      }
    }
    if (k.topic_prefix.empty() || k.topic_prefix.size() > 200 ||
        !std::all_of(k.topic_prefix.begin(), k.topic_prefix.end(), [](unsigned char ch) {
          return std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
        })) {
      add("kafka.topic_prefix", "must be 1-200 characters of [A-Za-z0-9._-], got '" + k.topic_prefix + "'");
    }
    at_least(k.partitions, 1, "kafka.partitions");
    if (k.replication_factor != -1 && k.replication_factor < 1) {
      add("kafka.replication_factor", "must be -1 (broker default) or at least 1");
    }
    if (k.group_id.empty()) add("kafka.group_id", "must not be empty");
    if (k.transaction_timeout < std::chrono::seconds(1)) {
      add("kafka.transaction_timeout", "must be at least 1s (librdkafka's minimum)");
    }

    const auto& f = c.fetch;
    if (trim(f.user_agent).empty()) add("fetch.user_agent", "must not be empty");
    if (!f.contact_url.empty() && !is_http_url(f.contact_url)) {
      add("fetch.contact_url", "'" + f.contact_url + "' is not an http:// or https:// URL");
    }
    if (!f.proxy.empty()) {
      auto scheme = lower(f.proxy.substr(0, f.proxy.find("://")));
      static const std::set<std::string> kProxySchemes = {"http", "https", "socks4", "socks4a",
                                                          "socks5", "socks5h"};
      if (f.proxy.find("://") == std::string::npos || !kProxySchemes.count(scheme)) {
        add("fetch.proxy", "expected scheme://host:port with scheme http, https, socks4, socks4a, socks5 or socks5h");
      }
    }
    positive(f.connect_timeout, "fetch.connect_timeout");
    positive(f.first_byte_timeout, "fetch.first_byte_timeout");
    positive(f.total_timeout, "fetch.total_timeout");
    if (f.connect_timeout > f.total_timeout) add("fetch.connect_timeout", "must not exceed fetch.total_timeout");
    if (f.first_byte_timeout > f.total_timeout) add("fetch.first_byte_timeout", "must not exceed fetch.total_timeout");
    at_least(f.low_speed_bytes_per_second, 0, "fetch.low_speed_bytes_per_second");
    positive(f.low_speed_time, "fetch.low_speed_time");
    at_least(f.max_body_bytes, 1, "fetch.max_body_bytes");
    at_least(f.max_decoded_bytes, 1, "fetch.max_decoded_bytes");
    at_least(f.max_header_bytes, 1, "fetch.max_header_bytes");
    at_least(f.max_redirects, 0, "fetch.max_redirects");
    at_least(f.max_in_flight, 1, "fetch.max_in_flight");
    at_least(f.per_host_concurrency, 1, "fetch.per_host_concurrency");
    if (f.per_host_min_spacing.count() < 0) add("fetch.per_host_min_spacing", "must not be negative");
    positive(f.backoff_base, "fetch.backoff_base");
    if (f.backoff_max < f.backoff_base) add("fetch.backoff_max", "must be at least fetch.backoff_base");
    positive(f.min_interval, "fetch.min_interval");
    if (f.max_interval < f.min_interval) {
      add("fetch.max_interval", "must be at least fetch.min_interval (" +
                                    format_millis(f.min_interval) + "), got " + format_millis(f.max_interval));
    }
    for (std::size_t i = 0; i < f.allow_private_networks.size(); ++i) {
      if (!is_cidr(f.allow_private_networks[i])) {
        add("fetch.allow_private_networks[" + std::to_string(i) + "]",
            "'" + f.allow_private_networks[i] + "' is not a CIDR (10.0.0.0/8, fd00::/8)");
      }
    }

    positive(c.dedup.retention, "dedup.retention");
    for (std::size_t i = 0; i < c.dedup.tracking_params.size(); ++i) {
      if (c.dedup.tracking_params[i].empty()) {
        add("dedup.tracking_params[" + std::to_string(i) + "]", "must not be empty");
      }
    }

    if (!is_host_port(c.http_listen)) {
      add("http.listen", "expected host:port (127.0.0.1:9464, 0.0.0.0:9464, [::]:9464), got '" +
                             c.http_listen + "'");
    }
    log::Level level;
    if (!log::parse_level(c.log_level, &level)) {
      add("log.level", "expected debug, info, warn or error, got '" + c.log_level + "'");
    }
    positive(c.shutdown_grace, "shutdown_grace");

    // Intervals outside [min, max] would be clamped silently by the scheduler; say so now.
    if (c.feed_defaults.interval.count() <= 0) add("defaults.interval", "must be positive");
    else interval_keys_.emplace_back("defaults.interval", c.feed_defaults.interval);
    if (f.min_interval <= f.max_interval) {
      for (const auto& [key, interval] : interval_keys_) {
        if (interval < f.min_interval || interval > f.max_interval) {
          add(key, format_millis(interval) + " is outside [fetch.min_interval, fetch.max_interval] = [" +
                       format_millis(f.min_interval) + ", " + format_millis(f.max_interval) + "]");
        }
      }
    }

    if (c.roles.ingest && c.feeds.empty() && !has_feed_problems()) {
      add(roles_given_ ? "roles" : "feeds",
          "the ingest role needs at least one feed (feeds: or opml:)");
    }
  }

  bool has_feed_problems() const {
    return std::any_of(load_.problems.begin(), load_.problems.end(), [](const ConfigProblem& p) {
      return p.key.rfind("feeds", 0) == 0 || p.key.rfind("opml", 0) == 0 || p.key == "xmlUrl";
    });
  }

  std::string origin_;
  fs::path base_dir_;
  ConfigLoad load_;
  std::map<std::string, int> lines_;  // dotted key -> 1-based line
  std::map<std::string, FeedOrigin> feed_seen_;
  std::vector<std::pair<std::string, Millis>> interval_keys_;
  bool roles_given_ = false;
};

}  // namespace

ConfigLoad load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoad load;
    load.problems.push_back({path, 0, "", "cannot read the configuration file"});
    load.config.source_path = path;
    return load;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Loader(path, fs::path(path).parent_path()).load(buffer.str());
}

ConfigLoad load_config_string(const std::string& yaml, const std::string& origin) {
  // OPML paths in a string config resolve like a file's would when origin names one.
  fs::path base = origin.empty() || origin.front() == '<' ? fs::path() : fs::path(origin).parent_path();
  return Loader(origin, base).load(yaml);
}

bool parse_duration(std::string_view text, Millis* out) {
  auto t = trim(text);
  if (t.empty()) return false;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < t.size()) {
    std::size_t digits_end = i;
    while (digits_end < t.size() && std::isdigit(static_cast<unsigned char>(t[digits_end]))) ++digits_end;
    if (digits_end == i) return false;
    std::int64_t n = 0;
    if (!parse_int(std::string_view(t).substr(i, digits_end - i), &n)) return false;
    std::size_t unit_end = digits_end;
    while (unit_end < t.size() && std::isalpha(static_cast<unsigned char>(t[unit_end]))) ++unit_end;
    auto unit = std::string_view(t).substr(digits_end, unit_end - digits_end);
    std::int64_t scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    else if (unit == "d") scale = 86'400'000;
    else return false;  // includes a missing unit: "30" is ambiguous
    if (n > (std::numeric_limits<std::int64_t>::max() - total) / scale) return false;
    total += n * scale;
    i = unit_end;
  }
  *out = Millis(total);
  return true;
}

bool parse_size(std::string_view text, std::int64_t* out) {
  auto t = trim(text);
  std::size_t digits_end = 0;
  while (digits_end < t.size() && std::isdigit(static_cast<unsigned char>(t[digits_end]))) ++digits_end;
  if (digits_end == 0) return false;
  std::int64_t n = 0;
  if (!parse_int(std::string_view(t).substr(0, digits_end), &n)) return false;
  auto unit = lower(trim(std::string_view(t).substr(digits_end)));
  static const std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"", 1},
      {"b", 1},
      {"kb", 1000},
      {"mb", 1000 * 1000},
      {"gb", 1000 * 1000 * 1000},
      {"tb", 1000LL * 1000 * 1000 * 1000},
      {"kib", 1LL << 10},
      {"mib", 1LL << 20},
      {"gib", 1LL << 30},
      {"tib", 1LL << 40},
  };
  for (const auto& [name, scale] : kUnits) {
    if (unit != name) continue;
    if (n > std::numeric_limits<std::int64_t>::max() / scale) return false;
    *out = n * scale;
    return true;
  }
  return false;
}

std::string format_problem(const ConfigProblem& p) {
  std::string out = p.path;
  if (p.line > 0) out += ":" + std::to_string(p.line);
  out += ": ";
  if (!p.key.empty()) out += p.key + ": ";
  return out + p.message;
}

}  // namespace feedpipe
