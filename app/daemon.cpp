#include "app/daemon.h"

#include <iostream>

namespace feedpipe::app {

int run_daemon(const std::string&) {
  std::cerr << "feedpipe run: the pipeline is not wired yet\n";
  return 2;
}

}  // namespace feedpipe::app
