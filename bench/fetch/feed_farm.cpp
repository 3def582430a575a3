#include "bench/fetch/feed_farm.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <unordered_map>
#include <vector>

namespace feedpipe::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::vector<int> g_listeners;  // index = host

struct Conn {
  int fd = -1;
  int host = 0;
  std::uint64_t generation = 0;
  std::string in;
  std::string out;
  bool answering = false;  // a request is being answered (counted active)
  bool close_after = false;
  std::int64_t arrival_ns = 0;  // kernel receive time of the request's first bytes
};

struct Pending {
  SteadyClock::time_point when;
  int fd;
  std::uint64_t generation;
  bool operator>(const Pending& o) const { return when > o.when; }
};

enum class HostKind { kNormal, kSlow, kFailing };

}  // namespace

int farm_bind(const FarmOptions& o) {
  int port = o.port;
  for (int h = 0; h < o.hosts; ++h) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl((127u << 24) | static_cast<unsigned>(h + 1));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 1024) != 0) {
      std::perror("farm bind");
      return -1;
    }
    if (port == 0) {
      socklen_t len = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
      port = ntohs(a.sin_port);
    }
    g_listeners.push_back(fd);
  }
  return port;
}

void farm_serve(const FarmOptions& o, int stats_fd) {
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (size_t h = 0; h < g_listeners.size(); ++h) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = (1ULL << 63) | h;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, g_listeners[h], &ev);
  }
  auto kind = [&](int host) {
    if (host >= o.hosts - o.failing_hosts) return HostKind::kFailing;
    if (host >= o.hosts - o.failing_hosts - o.slow_hosts) return HostKind::kSlow;
    return HostKind::kNormal;
  };
  std::unordered_map<int, Conn> conns;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> timers;
  std::vector<int> active(static_cast<size_t>(o.hosts), 0);
  // The last arrivals per host, kernel timestamps. Requests are parsed in the order epoll
  // reports them, not always the order they arrived, so a new one is compared with several.
  constexpr std::size_t kRecent = 8;
  std::vector<std::array<std::int64_t, kRecent>> recent_arrivals(static_cast<size_t>(o.hosts));
  std::vector<std::size_t> recent_next(static_cast<size_t>(o.hosts), 0);
  std::vector<std::int64_t> failing_counter(static_cast<size_t>(o.hosts), 0);
  FarmStats stats;
  std::uint64_t next_generation = 1;
  const auto start = SteadyClock::now();
  const std::int64_t half_spacing_ns = static_cast<std::int64_t>(o.min_spacing_ms) * 500000;

  auto close_conn = [&](int fd) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    if (it->second.answering) active[static_cast<size_t>(it->second.host)]--;
    ::close(fd);
    conns.erase(it);
  };
  auto flush = [&](Conn& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) {
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLOUT;
          ev.data.u64 = static_cast<std::uint64_t>(c.fd);
          ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
          return true;
        }
        return false;
      }
      c.out.erase(0, static_cast<size_t>(n));
    }
    if (c.answering) {
      c.answering = false;
      active[static_cast<size_t>(c.host)]--;
    }
    return !c.close_after;
  };
  auto respond = [&](Conn& c) {
    // Request line and If-None-Match of the (single, unpipelined) request in c.in.
    const size_t end = c.in.find("\r\n\r\n");
    std::string head = c.in.substr(0, end);
    c.in.erase(0, end + 4);
    const size_t sp1 = head.find(' ');
    const size_t sp2 = head.find(' ', sp1 + 1);
    const std::string path = head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string inm;
    for (const char* name : {"\r\nIf-None-Match: ", "\r\nif-none-match: "}) {
      const size_t p = head.find(name);
      if (p != std::string::npos) {
        const size_t v = p + std::strlen(name);
        inm = head.substr(v, head.find("\r\n", v) - v);
      }
    }
    if (kind(c.host) == HostKind::kFailing) {
      if (failing_counter[static_cast<size_t>(c.host)]++ % 2 == 0) {
        // Closing after the 500 makes the reset below land on a fresh connection: libcurl
        // re-sends a request once, by itself, when a reused connection dies unanswered.
        c.out = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        c.close_after = true;
      } else {
        linger lg{1, 0};  // reset
        ::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        c.close_after = true;
      }
      return;
    }
    const long feed = std::strtol(path.c_str() + path.rfind('/') + 1, nullptr, 10);
    const bool changing = feed % 100 < o.changing_share_percent;
    const long version = changing ? std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - start).count() / 60 : 0;
    char etag[64];
    std::snprintf(etag, sizeof etag, "\"%ld-%ld\"", feed, version);
    if (inm == etag) {
      ++stats.not_modified;
      c.out = std::string("HTTP/1.1 304 Not Modified\r\nETag: ") + etag + "\r\n\r\n";
      return;
    }
    std::string body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed " + std::to_string(feed) +
                       "</title><link>http://example.org/</link><description>generated</description>";
    for (int i = 0; i < 10; ++i) {
      body += "<item><title>Item " + std::to_string(version * 10 + i) + " of feed " + std::to_string(feed) +
              "</title><link>http://example.org/" + std::to_string(feed) + "/" + std::to_string(version * 10 + i) +
              "</link><description>Some text that makes the item look like a real one, more or less.</description></item>";
    }
    body += "</channel></rss>";
    c.out = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: " + std::string(etag) +
            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };

  std::vector<epoll_event> events(1024);
  while (!g_stop) {
    int timeout = 100;
    if (!timers.empty()) {
      const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(timers.top().when - SteadyClock::now()).count();
      timeout = static_cast<int>(std::clamp<long long>(d, 0, 100));
    }
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[static_cast<size_t>(i)].data.u64;
      if (tag >> 63) {
        const int host = static_cast<int>(tag & 0xffffffff);
        for (;;) {
          const int fd = ::accept4(g_listeners[static_cast<size_t>(host)], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          // Arrival times from the kernel: the farm may be descheduled and read two requests
          // at once that arrived well apart.
          ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
          Conn& c = conns[fd];
          c.fd = fd;
          c.host = host;
          c.generation = next_generation++;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = static_cast<std::uint64_t>(fd);
          ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      const int fd = static_cast<int>(tag);
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      if (events[static_cast<size_t>(i)].events & EPOLLOUT) {
        if (!flush(c)) {
          close_conn(fd);
          continue;
        }
        if (c.out.empty()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = static_cast<std::uint64_t>(fd);
          ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
        }
      }
      if (events[static_cast<size_t>(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char buf[8192];
        bool closed = false;
        for (;;) {
          char control[CMSG_SPACE(sizeof(timespec))];
          iovec iov{buf, sizeof buf};
          msghdr msg{};
          msg.msg_iov = &iov;
          msg.msg_iovlen = 1;
          msg.msg_control = control;
          msg.msg_controllen = sizeof control;
          const ssize_t r = ::recvmsg(fd, &msg, 0);
          if (r > 0) {
            if (c.in.empty()) {
              for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                  timespec ts;
                  std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                  c.arrival_ns = static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
                }
              }
            }
            c.in.append(buf, static_cast<size_t>(r));
            continue;
          }
          if (r == 0 || (r < 0 && errno != EAGAIN)) closed = true;
          break;
        }
        if (!c.answering && c.in.find("\r\n\r\n") != std::string::npos) {
          const auto now = SteadyClock::now();
          const size_t h = static_cast<size_t>(c.host);
          ++stats.requests;
          c.answering = true;
          if (++active[h] > o.per_host_limit) ++stats.concurrency_violations;
          stats.max_concurrent_per_host = std::max(stats.max_concurrent_per_host, active[h]);
          if (o.min_spacing_ms > 0) {
            std::int64_t closest = INT64_MAX;
            for (std::int64_t t : recent_arrivals[h])
              if (t != 0) closest = std::min<std::int64_t>(closest, std::llabs(c.arrival_ns - t));
            if (closest < half_spacing_ns) {
              ++stats.spacing_violations;
              if (std::getenv("FARM_DEBUG") != nullptr) {
                std::fprintf(stderr, "spacing violation host=%zu gap_us=%lld\n", h,
                             static_cast<long long>(closest / 1000));
              }
            }
            recent_arrivals[h][recent_next[h]++ % kRecent] = c.arrival_ns;
          }
          const int delay = o.base_delay_ms + (kind(c.host) == HostKind::kSlow ? o.slow_delay_ms : 0);
          timers.push(Pending{now + std::chrono::milliseconds(delay), fd, c.generation});
        }
        if (closed) close_conn(fd);
      }
    }
    const auto now = SteadyClock::now();
    while (!timers.empty() && timers.top().when <= now) {
      const Pending p = timers.top();
      timers.pop();
      auto it = conns.find(p.fd);
      if (it == conns.end() || it->second.generation != p.generation) continue;
      respond(it->second);
      if (!flush(it->second)) close_conn(p.fd);
    }
  }
  char line[256];
  const int len = std::snprintf(line, sizeof line,
                                "{\"requests\":%lld,\"not_modified\":%lld,\"concurrency_violations\":%lld,"
                                "\"spacing_violations\":%lld,\"max_concurrent_per_host\":%d}\n",
                                static_cast<long long>(stats.requests), static_cast<long long>(stats.not_modified),
                                static_cast<long long>(stats.concurrency_violations),
                                static_cast<long long>(stats.spacing_violations), stats.max_concurrent_per_host);
  (void)!::write(stats_fd, line, static_cast<size_t>(len));
}

}  // namespace feedpipe::bench
