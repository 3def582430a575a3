#include "parser/html/sanitize.h"

namespace feedpipe::parser::html {

std::string sanitize_html(std::string_view html, std::string_view) { return std::string(html); }

std::string html_to_text(std::string_view html, bool) {
  std::string out;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') in_tag = true;
    else if (c == '>') in_tag = false;
    else if (!in_tag) out += c;
  }
  return out;
}

}  // namespace feedpipe::parser::html
