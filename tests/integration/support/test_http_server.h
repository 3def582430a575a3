#pragma once

// A local HTTP server for the fetcher's integration tests: cpp-httplib on a loopback address
// and an ephemeral port, recording every request it sees, plus a raw listener that resets
// connections. Tests register their own handlers on server().

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace feedpipe::testing {

struct SeenRequest {
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
};

class TestHttpServer {
 public:
  explicit TestHttpServer(const std::string& address = "127.0.0.1") : address_(address) {
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      SeenRequest seen;
      seen.path = req.path;
      for (const auto& [k, v] : req.headers) {
        std::string name = k;
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.headers[name] = v;
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(seen));
        ++active_;
        max_active_ = std::max(max_active_, active_);
      }
      cv_.notify_all();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server_.set_post_routing_handler([this](const httplib::Request&, httplib::Response&) {
      std::lock_guard lock(mu_);
      --active_;
    });
  }
  ~TestHttpServer() { stop(); }

  httplib::Server& server() { return server_; }

  void start() {
    port_ = server_.bind_to_any_port(address_);
    if (port_ <= 0) throw std::runtime_error("cannot bind test server on " + address_);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_returned_ = true;
    });
    // httplib's stop() does nothing until the accept loop runs: a test that ends at once
    // would otherwise join a listener that never stops.
    while (!server_.is_running() && !listen_returned_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  bool stopping() const { return stopping_; }

  std::string url(const std::string& path) const {
    return "http://" + address_ + ":" + std::to_string(port_) + path;
  }
  int port() const { return port_; }

  std::vector<SeenRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count(const std::string& path) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& r : requests_) n += r.path == path;
    return n;
  }
  size_t total() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  int max_active() const {
    std::lock_guard lock(mu_);
    return max_active_;
  }
  // The post-routing hook runs before a content provider finishes; a handler that blocks
  // inside its body marks itself with these two.
  void enter_slow() {
    std::lock_guard lock(mu_);
    ++active_;
    max_active_ = std::max(max_active_, active_);
  }
  void leave_slow() {
    std::lock_guard lock(mu_);
    --active_;
  }

 private:
  std::string address_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listen_returned_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SeenRequest> requests_;
  int active_ = 0;
  int max_active_ = 0;
};

// Accepts connections, reads the request and answers with a TCP reset (SO_LINGER 0).
class ResettingServer {
 public:
  ResettingServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0) {
      throw std::runtime_error("cannot bind resetting server");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~ResettingServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_; }

 private:
  void loop() {
    while (!stopping_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      ++accepted_;
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      linger lg{1, 0};
      ::setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      ::close(c);
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// gzip of `size` zero bytes: a small body that inflates far past any sane cap.
inline std::string gzip_zeros(size_t size) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  std::string in(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  size_t remaining = size;
  int flush = Z_NO_FLUSH;
  do {
    const size_t chunk = std::min(remaining, in.size());
    zs.next_in = reinterpret_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(chunk);
    remaining -= chunk;
    flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      deflate(&zs, flush);
      out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&zs);
  return out;
}

inline std::string gzip_string(const std::string& text) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(static_cast<uLong>(text.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace feedpipe::testing
