#include <iostream>

#include "app/commands.h"
#include "app/daemon.h"
#include "common/config.h"

namespace feedpipe::app {
namespace {

// Accepts `--config FILE` or `--config=FILE`; empty when absent.
std::string config_arg(const std::vector<std::string>& args, const char* command) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) return args[i].substr(9);
  }
  std::cerr << "usage: feedpipe " << command << " --config FILE\n";
  return {};
}

}  // namespace

int cmd_validate(const std::vector<std::string>& args) {
  std::string path = config_arg(args, "validate");
  if (path.empty()) return 2;
  ConfigLoad load = load_config_file(path);
  for (const auto& p : load.problems) std::cerr << format_problem(p) << "\n";
  if (!load.ok()) {
    std::cerr << path << ": " << load.problems.size() << " problem(s)\n";
    return 1;
  }
  const Config& c = load.config;
  std::cout << path << ": ok, " << c.feeds.size() << " feeds, kafka "
            << c.kafka.bootstrap_servers << ", topic prefix " << c.kafka.topic_prefix << "\n";
  return 0;
}

int cmd_run(const std::vector<std::string>& args) {
  std::string path = config_arg(args, "run");
  if (path.empty()) return 2;
  return run_daemon(path);
}

}  // namespace feedpipe::app
