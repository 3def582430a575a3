#include "app/health.h"

namespace feedpipe::app {
namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const char* b(bool v) { return v ? "true" : "false"; }

}  // namespace

void Health::tick() { last_tick_ms_ = steady_ms(); }

bool Health::live(std::chrono::seconds max_stall) const {
  auto last = last_tick_ms_.load();
  return last == 0 || steady_ms() - last <= max_stall.count() * 1000;
}

bool Health::ready() const {
  return config_loaded_ && brokers_reachable_ && state_restored_ && !shutting_down_;
}

std::string Health::ready_json() const {
  std::string out = "{\"ready\":";
  out += b(ready());
  out += ",\"checks\":{\"config_loaded\":";
  out += b(config_loaded_);
  out += ",\"brokers_reachable\":";
  out += b(brokers_reachable_);
  out += ",\"state_restored\":";
  out += b(state_restored_);
  out += ",\"not_shutting_down\":";
  out += b(!shutting_down_);
  out += "}}";
  return out;
}

}  // namespace feedpipe::app
