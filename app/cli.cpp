#include "app/cli.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/commands.h"
#include "parser/feed_json.h"
#include "parser/feed_parser.h"

namespace feedpipe::app {
namespace {

constexpr const char* kUsage =
    "usage: feedpipe run --config FILE\n"
    "       feedpipe validate --config FILE\n"
    "       feedpipe parse [--json] [--base-url URL] [--content-type TYPE]\n"
    "                      [--header 'NAME: VALUE']... FILE|URL\n"
    "       feedpipe extract [--text|--json] [--url URL] FILE|URL\n"
    "       feedpipe --version\n";

std::string lower_ascii(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return s;
}

std::string trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// An HTTP response header given on the command line, so a saved response parses exactly as
// the daemon parses it after a fetch. Headers the parser has no use for are ignored.
bool apply_header(std::string_view header, DocumentInfo& info) {
  std::size_t colon = header.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string name = lower_ascii(trim_spaces(header.substr(0, colon)));
  std::string value = trim_spaces(header.substr(colon + 1));
  if (name == "content-type") info.content_type = value;
  else if (name == "content-location") info.content_location = value;
  else if (name == "content-language") info.content_language = value;
  return true;
}

}  // namespace

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  // A regular file is read in one piece of its size; a pipe or device as a stream.
  std::error_code ec;
  const auto size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec)
                                                                : std::uintmax_t{0};
  if (!ec && size > 0) {
    out->resize(static_cast<std::size_t>(size));
    in.read(out->data(), static_cast<std::streamsize>(size));
    out->resize(static_cast<std::size_t>(in.gcount()));
    if (in.peek() == std::char_traits<char>::eof()) return true;
    in.clear();  // the file grew while it was read: the rest as a stream
  }
  std::ostringstream rest;
  rest << in.rdbuf();
  *out += rest.str();
  return true;
}

int cmd_parse(const std::vector<std::string>& args) {
  DocumentInfo info;
  std::string target;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--json") continue;
    if ((a == "--base-url" || a == "--content-type") && i + 1 < args.size()) {
      (a == "--base-url" ? info.base_url : info.content_type) = args[++i];
    } else if (a == "--header" && i + 1 < args.size()) {
      if (!apply_header(args[++i], info)) {
        std::cerr << "feedpipe parse: --header wants 'NAME: VALUE', got " << args[i] << "\n";
        return 2;
      }
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
  ParsedFeed feed = parser::parse_feed_owned(std::move(bytes), info);
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
