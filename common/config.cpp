#include "common/config.h"

namespace feedpipe {

ConfigLoad load_config_file(const std::string& path) {
  ConfigLoad load;
  load.problems.push_back({path, 0, "", "config loading not implemented yet"});
  return load;
}

ConfigLoad load_config_string(const std::string&, const std::string& origin) {
  ConfigLoad load;
  load.problems.push_back({origin, 0, "", "config loading not implemented yet"});
  return load;
}

bool parse_duration(std::string_view, Millis*) { return false; }
bool parse_size(std::string_view, std::int64_t*) { return false; }

std::string format_problem(const ConfigProblem& p) {
  return p.path + ":" + std::to_string(p.line) + ": " + (p.key.empty() ? "" : p.key + ": ") +
         p.message;
}

}  // namespace feedpipe
