#pragma once

// A feed farm for load tests: one single-threaded epoll HTTP/1.1 server listening on
// 127.0.0.1 .. 127.0.0.<hosts> (one port), serving generated feeds with ETags (304 on a
// match), with some slow hosts and some failing ones. It counts, per host, requests that
// arrive while `limit` others are still being answered and requests closer together than
// the minimum spacing: the politeness violations of whoever is polling it.

#include <cstdint>
#include <string>

namespace feedpipe::bench {

struct FarmOptions {
  int hosts = 100;
  int port = 0;                 // 0: pick one free on 127.0.0.1 and use it on every address
  int slow_hosts = 5;           // the last hosts before the failing ones answer late
  int failing_hosts = 5;        // the last hosts: 500 (then close) or a reset, alternately
  int slow_delay_ms = 100;
  int base_delay_ms = 2;        // every answer waits this long, so requests can overlap
  int per_host_limit = 2;
  int min_spacing_ms = 0;       // violations are counted below half of it (network jitter)
  int changing_share_percent = 10;  // feeds whose content changes every minute
};

struct FarmStats {
  std::int64_t requests = 0;
  std::int64_t not_modified = 0;
  std::int64_t concurrency_violations = 0;
  std::int64_t spacing_violations = 0;
  int max_concurrent_per_host = 0;
};

// Binds the listening sockets; returns the port (or -1).
int farm_bind(const FarmOptions& options);
// Serves until SIGTERM/SIGINT, then writes the stats as one JSON line to `stats_fd`.
void farm_serve(const FarmOptions& options, int stats_fd);

}  // namespace feedpipe::bench
