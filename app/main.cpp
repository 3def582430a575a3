#include "app/cli.h"

int main(int argc, char** argv) { return feedpipe::app::run_cli(argc, argv); }
