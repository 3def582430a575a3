#include "parser/feed_json.h"

#include <nlohmann/json.hpp>

namespace feedpipe::parser {

std::string feed_to_json(const ParsedFeed& feed, bool pretty) {
  nlohmann::json doc;
  doc["document"] = {{"bozo", feed.document.bozo}, {"fatal", feed.document.fatal}};
  doc["feed"] = nlohmann::json::object();
  doc["entries"] = nlohmann::json::array();
  return doc.dump(pretty ? 2 : -1);
}

}  // namespace feedpipe::parser
