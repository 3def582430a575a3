#pragma once

namespace feedpipe::app {

// Entry point of the `feedpipe` binary; returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace feedpipe::app
