#include <iostream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "common/article.h"
#include "parser/html/extract.h"
#include "publisher/record.h"

namespace feedpipe::app {
namespace {

constexpr const char* kExtractUsage = "usage: feedpipe extract [--text|--json] [--url URL] FILE\n";

}  // namespace

int cmd_extract(const std::vector<std::string>& args) {
  bool json = false;
  std::string url;
  std::string target;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--text") {
      json = false;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--url" && i + 1 < args.size()) {
      url = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "feedpipe extract: unknown option " << a << "\n" << kExtractUsage;
      return 2;
    } else {
      target = a;
    }
  }
  if (target.empty()) {
    std::cerr << kExtractUsage;
    return 2;
  }
  if (target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0) {
    std::cerr << "feedpipe extract: reads a saved page; fetch it first and pass --url " << target
              << "\n";
    return 2;
  }
  std::string bytes;
  if (!read_file(target, &bytes)) {
    std::cerr << "feedpipe extract: cannot read " << target << "\n";
    return 1;
  }
  Article article = parser::html::extract_article(bytes, url);
  if (json) {
    std::cout << publisher::encode_article_object(article, /*pretty=*/true) << "\n";
  } else {
    std::cout << article.text << "\n";
  }
  return 0;
}

}  // namespace feedpipe::app
