#pragma once

// The one HTTP port: /metrics, /livez, /readyz, /status.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace httplib {
class Server;
}

namespace feedpipe::app {

class Health;
class Metrics;

class HttpServer {
 public:
  // Returns the JSON body of /status for a page of feeds.
  using StatusFn = std::function<std::string(std::size_t offset, std::size_t limit)>;

  HttpServer(Metrics& metrics, Health& health, StatusFn status);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds "host:port" and serves on a thread of its own.
  Status start(const std::string& listen);
  void stop();
  int port() const { return port_; }

 private:
  Metrics& metrics_;
  Health& health_;
  StatusFn status_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  int port_ = 0;
};

}  // namespace feedpipe::app
