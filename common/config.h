#pragma once

// The daemon's configuration as plain structs with their defaults. Loaded from one YAML file
// (config_loader), validated before any thread starts. Units are in the names.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/fetch.h"
#include "common/result.h"

namespace feedpipe {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct KafkaConfig {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic_prefix = "feedpipe";
  int partitions = 12;              // for topics feedpipe creates
  int replication_factor = -1;      // -1: the broker's default
  std::string group_id = "feedpipe";
  std::string instance_id;          // group.instance.id base; default: host name
  Millis transaction_timeout{std::chrono::seconds(60)};
  std::map<std::string, std::string> librdkafka;  // passed through verbatim
};

struct FetchConfig {
  std::string user_agent = "feedpipe/0.1";
  std::string contact_url;          // appended to the User-Agent: (+URL)
  std::string proxy;                // empty: curl's usual environment variables
  Millis connect_timeout{std::chrono::seconds(10)};
  Millis first_byte_timeout{std::chrono::seconds(20)};
  Millis total_timeout{std::chrono::seconds(60)};
  std::int64_t low_speed_bytes_per_second = 100;
  Millis low_speed_time{std::chrono::seconds(20)};
  std::int64_t max_body_bytes = 20 << 20;         // on the wire
  std::int64_t max_decoded_bytes = 64 << 20;      // after decompression
  std::int64_t max_header_bytes = 64 << 10;
  int max_redirects = 5;
  int max_in_flight = 1000;
  int per_host_concurrency = 2;
  Millis per_host_min_spacing{std::chrono::milliseconds(500)};
  Millis backoff_base{std::chrono::seconds(30)};
  Millis backoff_max{std::chrono::hours(6)};
  Millis min_interval{std::chrono::minutes(1)};
  Millis max_interval{std::chrono::hours(24)};
  std::vector<std::string> allow_private_networks;  // CIDRs allowed for article fetches
  bool respect_robots_txt = true;
};

struct DedupConfig {
  bool publish_updates = true;      // `updates: publish | ignore`
  Millis retention{std::chrono::hours(24 * 30)};
  std::vector<std::string> tracking_params;  // empty: the defaults
};

struct RolesConfig {
  bool ingest = true;
  bool dedup = true;
  bool enrich = false;
};

struct Config {
  KafkaConfig kafka;
  FetchConfig fetch;
  DedupConfig dedup;
  RolesConfig roles;
  std::string http_listen = "127.0.0.1:9464";
  std::string log_level = "info";
  Millis shutdown_grace{std::chrono::seconds(20)};
  FeedSpec feed_defaults;
  std::vector<FeedSpec> feeds;      // inline feeds and OPML feeds, defaults applied
  std::vector<std::string> opml;    // OPML files as given
  std::string source_path;          // the file it was loaded from
};

struct ConfigProblem {
  std::string path;     // file it came from
  int line = 0;         // 1-based; 0 when unknown
  std::string key;      // dotted key, e.g. kafka.bootstrap_servers
  std::string message;
};

// Loads, substitutes ${VAR} / ${VAR:-default}, applies defaults, reads OPML files and
// validates. Every problem is reported, not only the first.
struct ConfigLoad {
  Config config;
  std::vector<ConfigProblem> problems;
  bool ok() const { return problems.empty(); }
};
ConfigLoad load_config_file(const std::string& path);
ConfigLoad load_config_string(const std::string& yaml, const std::string& origin = "<string>");

// "250ms", "2s", "5m", "1h", "30d" -> milliseconds; false when malformed.
bool parse_duration(std::string_view text, Millis* out);
// "20MiB", "64KB", "1000" -> bytes; false when malformed.
bool parse_size(std::string_view text, std::int64_t* out);

std::string format_problem(const ConfigProblem& p);

}  // namespace feedpipe
