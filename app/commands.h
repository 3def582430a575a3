#pragma once

#include <string>
#include <vector>

namespace feedpipe::app {

// Subcommands of the `feedpipe` binary; each returns the process exit code.
int cmd_parse(const std::vector<std::string>& args);
int cmd_extract(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);

// The whole of a file (a regular file in one read, a pipe or device as a stream); false
// when it cannot be opened.
bool read_file(const std::string& path, std::string* out);

}  // namespace feedpipe::app
