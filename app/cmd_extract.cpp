#include <iostream>

#include "app/commands.h"

namespace feedpipe::app {

int cmd_extract(const std::vector<std::string>&) {
  std::cerr << "feedpipe extract: not implemented yet\n";
  return 2;
}

}  // namespace feedpipe::app
