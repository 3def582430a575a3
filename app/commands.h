#pragma once

#include <string>
#include <vector>

namespace feedpipe::app {

// Subcommands of the `feedpipe` binary; each returns the process exit code.
int cmd_parse(const std::vector<std::string>& args);
int cmd_extract(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);

}  // namespace feedpipe::app
