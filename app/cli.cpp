#include "app/cli.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "parser/feed_json.h"
#include "parser/feed_parser.h"

namespace feedpipe::app {
namespace {

constexpr const char* kUsage =
    "usage: feedpipe run --config FILE\n"
    "       feedpipe validate --config FILE\n"
    "       feedpipe parse [--json] [--base-url URL] [--content-type TYPE] FILE|URL\n"
    "       feedpipe extract [--text|--json] [--url URL] FILE|URL\n"
    "       feedpipe --version\n";

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

int cmd_parse(const std::vector<std::string>& args) {
  DocumentInfo info;
  std::string target;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--json") continue;
    if ((a == "--base-url" || a == "--content-type") && i + 1 < args.size()) {
      (a == "--base-url" ? info.base_url : info.content_type) = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "feedpipe parse: unknown option " << a << "\n" << kUsage;
      return 2;
    } else {
      target = a;
    }
  }
  if (target.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  std::string bytes;
  if (!read_file(target, &bytes)) {
    std::cerr << "feedpipe parse: cannot read " << target << "\n";
    return 1;
  }
  ParsedFeed feed = parser::parse_feed(bytes, info);
  std::cout << parser::feed_to_json(feed) << "\n";
  if (feed.document.fatal) {
    std::cerr << "feedpipe parse: " << feed.document.fatal_reason << "\n";
    return 1;
  }
  return 0;
}

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string cmd = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--version" || cmd == "version") {
    std::cout << "feedpipe " << FEEDPIPE_VERSION << "\n";
    return 0;
  }
  if (cmd == "parse") return cmd_parse(rest);
  if (cmd == "extract") return cmd_extract(rest);
  if (cmd == "validate") return cmd_validate(rest);
  if (cmd == "run") return cmd_run(rest);
  std::cerr << "feedpipe: unknown command " << cmd << "\n" << kUsage;
  return 2;
}

}  // namespace feedpipe::app
