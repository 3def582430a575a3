#pragma once

// What /livez and /readyz report. Liveness checks only the process's own loops (a Kafka
// outage must not become a restart storm); readiness checks the dependencies.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace feedpipe::app {

class Health {
 public:
  void set_config_loaded(bool v) { config_loaded_ = v; }
  void set_brokers_reachable(bool v) { brokers_reachable_ = v; }
  void set_state_restored(bool v) { state_restored_ = v; }
  void set_shutting_down(bool v) { shutting_down_ = v; }
  // Called by the main loop each time it turns; /livez fails when it stalls.
  void tick();

  bool live(std::chrono::seconds max_stall = std::chrono::seconds(60)) const;
  bool ready() const;
  // {"ready": bool, "checks": {"config_loaded": bool, ...}}
  std::string ready_json() const;

 private:
  std::atomic<bool> config_loaded_{false};
  std::atomic<bool> brokers_reachable_{false};
  std::atomic<bool> state_restored_{false};
  std::atomic<bool> shutting_down_{false};
  std::atomic<std::int64_t> last_tick_ms_{0};
};

}  // namespace feedpipe::app
