#pragma once

// `feedpipe run`: wires the roles of DESIGN.md section 1 inside one process.
//
//   fetch thread (fetcher) --fetch_results--> parse workers --publish--> publish thread
//        ^  owned feeds                                                   (ingest txns)
//        +-- ingest session (feed-state partitions from the group protocol)
//   dedup role: its own consumer/producer thread (publisher)
//
// Queues are bounded; a full queue blocks the stage before it.

#include <memory>
#include <string>

#include "common/config.h"

namespace feedpipe::app {

// Runs until SIGTERM/SIGINT; SIGHUP reloads `config_path`. Returns the exit code.
int run_daemon(const std::string& config_path);

}  // namespace feedpipe::app
