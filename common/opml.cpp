#include "common/opml.h"

#include <algorithm>
#include <pugixml.hpp>

namespace feedpipe {
namespace {

std::string trim(std::string_view s) {
  const char* kSpace = " \t\r\n";
  auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(kSpace);
  return std::string(s.substr(b, e - b + 1));
}

int line_at(std::string_view text, std::ptrdiff_t offset) {
  if (offset < 0) return 0;
  auto end = std::min(static_cast<std::size_t>(offset), text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + end, '\n'));
}

// OPML 2.0: "a string of comma-separated slash-delimited category strings".
std::string group_from_category(std::string_view category) {
  auto first = category.substr(0, category.find(','));
  auto g = trim(first);
  while (!g.empty() && g.front() == '/') g.erase(g.begin());
  while (!g.empty() && g.back() == '/') g.pop_back();
  return g;
}

std::string outline_label(const pugi::xml_node& outline) {
  auto text = trim(outline.attribute("text").value());
  return text.empty() ? trim(outline.attribute("title").value()) : text;
}

void collect(std::string_view xml, const pugi::xml_node& parent, const std::string& parent_group,
             std::vector<OpmlFeed>& out) {
  for (auto outline : parent.children("outline")) {
    auto url = trim(outline.attribute("xmlUrl").value());
    if (!url.empty()) {
      OpmlFeed feed;
      feed.url = url;
      feed.title = outline_label(outline);
      feed.group = group_from_category(outline.attribute("category").value());
      if (feed.group.empty()) feed.group = parent_group;
      feed.line = line_at(xml, outline.offset_debug());
      out.push_back(std::move(feed));
    }
    // A folder outline names the group of the feeds nested in it.
    auto label = url.empty() ? outline_label(outline) : std::string();
    collect(xml, outline, label.empty() ? parent_group : label, out);
  }
}

}  // namespace

Result<std::vector<OpmlFeed>> parse_opml(std::string_view xml) {
  pugi::xml_document doc;
  auto parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default);
  if (!parsed) {
    return Error{ErrorCode::kConfig,
                 "line " + std::to_string(line_at(xml, parsed.offset)) + ": " +
                     parsed.description(),
                 false};
  }
  auto root = doc.child("opml");
  if (!root) return Error{ErrorCode::kConfig, "no <opml> root element", false};
  std::vector<OpmlFeed> feeds;
  collect(xml, root.child("body"), "", feeds);
  return feeds;
}

}  // namespace feedpipe
