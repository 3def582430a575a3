#include "parser/json_feed.h"

#include <nlohmann/json.hpp>

#include "common/time.h"
#include "common/url.h"
#include "parser/html/sanitize.h"
#include "parser/text.h"

namespace feedpipe::parser {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

Person person(const json& a, std::string_view base) {
  Person p;
  if (!a.is_object()) return p;
  p.name = str(a, "name");
  std::string url = str(a, "url");
  if (url.starts_with("mailto:")) p.email = url.substr(7);
  else if (!url.empty()) p.uri = resolve_url(base, url);
  return p;
}

void read_authors(const json& j, std::string_view base, CommonFields& c) {
  auto it = j.find("authors");
  if (it != j.end() && it->is_array()) {
    for (const auto& a : *it) {
      Person p = person(a, base);
      if (!p.empty()) c.authors.push_back(std::move(p));
    }
  }
  auto one = j.find("author");
  if (c.authors.empty() && one != j.end()) {
    Person p = person(*one, base);
    if (!p.empty()) c.authors.push_back(std::move(p));
  }
  if (!c.authors.empty()) c.author = c.authors.front();
}

}  // namespace

ParsedFeed parse_json_feed(std::string_view bytes, const DocumentInfo& info) {
  ParsedFeed out;
  out.document.format = "json";
  out.document.encoding = "utf-8";
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.document.fatal = true;
    out.document.fatal_reason = "invalid JSON";
    return out;
  }
  std::string version = str(j, "version");
  if (version.find("jsonfeed.org/version/1.1") != std::string::npos) {
    out.document.version = "json11";
    out.document.format_version = "1.1";
  } else if (version.find("jsonfeed.org/version/1") != std::string::npos) {
    out.document.version = "json1";
    out.document.format_version = "1.0";
  } else {
    out.document.fatal = true;
    out.document.fatal_reason = "JSON document is not a JSON Feed";
    return out;
  }
  std::string base = info.base_url;
  FeedInfo& f = out.feed;
  f.title = str(j, "title");
  f.link = resolve_url(base, str(j, "home_page_url"));
  if (!f.link.empty()) f.links.push_back({f.link, "alternate", "text/html", "", "", 0});
  std::string self = str(j, "feed_url");
  if (!self.empty())
    f.links.push_back({resolve_url(base, self), "self", "application/feed+json", "", "", 0});
  f.subtitle = str(j, "description");
  f.icon = resolve_url(base, str(j, "favicon"));
  f.logo = resolve_url(base, str(j, "icon"));
  f.image.url = f.logo;
  f.language = str(j, "language");
  read_authors(j, base, f);
  auto items = j.find("items");
  if (items == j.end() || !items->is_array()) return out;
  for (const auto& it : *items) {
    if (!it.is_object()) continue;
    Entry e;
    auto id = it.find("id");
    if (id != it.end()) {
      if (id->is_string()) e.id = id->get<std::string>();
      else if (id->is_number()) e.id = id->dump();
    }
    e.link = resolve_url(base, str(it, "url"));
    if (!e.link.empty()) e.links.push_back({e.link, "alternate", "text/html", "", "", 0});
    std::string external = str(it, "external_url");
    if (!external.empty())
      e.links.push_back({resolve_url(base, external), "related", "text/html", "", "", 0});
    e.title = str(it, "title");
    e.summary = str(it, "summary");
    std::string html_body = str(it, "content_html");
    std::string text_body = str(it, "content_text");
    if (!html_body.empty())
      e.content.push_back({html::sanitize_html(html_body, e.link.empty() ? base : e.link),
                           "text/html", "", "", ""});
    if (!text_body.empty()) e.content.push_back({text_body, "text/plain", "", "", ""});
    e.image = resolve_url(base, str(it, "image"));
    e.published_raw = str(it, "date_published");
    e.published = parse_date(e.published_raw);
    e.updated_raw = str(it, "date_modified");
    e.updated = parse_date(e.updated_raw);
    e.language = str(it, "language");
    read_authors(it, base, e);
    auto tags = it.find("tags");
    if (tags != it.end() && tags->is_array())
      for (const auto& t : *tags)
        if (t.is_string()) e.categories.push_back({t.get<std::string>(), "", ""});
    auto att = it.find("attachments");
    if (att != it.end() && att->is_array()) {
      for (const auto& a : *att) {
        if (!a.is_object()) continue;
        Enclosure enc;
        enc.url = resolve_url(base, str(a, "url"));
        enc.type = str(a, "mime_type");
        auto len = a.find("size_in_bytes");
        if (len != a.end() && len->is_number_integer()) enc.length = len->get<std::int64_t>();
        if (!enc.url.empty()) e.enclosures.push_back(std::move(enc));
      }
    }
    out.entries.push_back(std::move(e));
  }
  return out;
}

}  // namespace feedpipe::parser
