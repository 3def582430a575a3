#include "app/http_server.h"

#include <httplib.h>

#include <chrono>

#include "app/health.h"
#include "app/metrics.h"
#include "common/log.h"

namespace feedpipe::app {
namespace {

std::size_t param(const httplib::Request& req, const char* name, std::size_t fallback) {
  if (!req.has_param(name)) return fallback;
  try {
    return static_cast<std::size_t>(std::stoull(req.get_param_value(name)));
  } catch (...) {
    return fallback;
  }
}

}  // namespace

HttpServer::HttpServer(Metrics& metrics, Health& health, StatusFn status)
    : metrics_(metrics), health_(health), status_(std::move(status)) {}

HttpServer::~HttpServer() { stop(); }

Status HttpServer::start(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return Error{ErrorCode::kConfig, "http.listen must be host:port, got " + listen, false};
  std::string host = listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    return Error{ErrorCode::kConfig, "http.listen has a bad port: " + listen, false};
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);

  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    metrics_.ready().Set(health_.ready() ? 1 : 0);
    res.set_content(metrics_.serialize(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/livez", [this](const httplib::Request&, httplib::Response& res) {
    bool live = health_.live();
    res.status = live ? 200 : 503;
    res.set_content(live ? "ok\n" : "stalled\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    res.status = health_.ready() ? 200 : 503;
    res.set_content(health_.ready_json() + "\n", "application/json");
  });
  server_->Get("/status", [this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(status_ ? status_(param(req, "offset", 0), param(req, "limit", 100))
                            : std::string("{}"),
                    "application/json");
  });

  if (port == 0) {
    port_ = server_->bind_to_any_port(host.c_str());
    if (port_ < 0) return Error{ErrorCode::kIo, "cannot bind " + listen, false};
  } else {
    if (!server_->bind_to_port(host.c_str(), port))
      return Error{ErrorCode::kIo, "cannot bind " + listen, false};
    port_ = port;
  }
  listen_returned_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  // httplib's stop() does nothing until the accept loop runs: a stop right after start
  // would be lost and leave stop() joining a thread that never ends.
  while (!server_->is_running() && !listen_returned_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log::info("http", "listening", {{"address", host}, {"port", port_}});
  return Ok{};
}

void HttpServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace feedpipe::app
