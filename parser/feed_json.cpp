#include "parser/feed_json.h"

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace feedpipe::parser {
namespace {

using nlohmann::json;

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

void put_date(json& j, const char* key, const UnixSeconds& v) {
  if (v) j[key] = format_rfc3339(*v);
}

json person_json(const Person& p) {
  json j = json::object();
  put(j, "name", p.name);
  put(j, "email", p.email);
  put(j, "uri", p.uri);
  return j;
}

json people_json(const std::vector<Person>& people) {
  json a = json::array();
  for (const auto& p : people) a.push_back(person_json(p));
  return a;
}

void common_json(json& j, const CommonFields& c) {
  put(j, "id", c.id);
  put(j, "title", c.title);
  put(j, "title_type", c.title_type);
  put(j, "link", c.link);
  if (!c.links.empty()) {
    json links = json::array();
    for (const auto& l : c.links) {
      json x = json::object();
      put(x, "href", l.href);
      put(x, "rel", l.rel);
      put(x, "type", l.type);
      put(x, "title", l.title);
      put(x, "hreflang", l.hreflang);
      if (l.length) x["length"] = std::to_string(l.length);
      links.push_back(std::move(x));
    }
    j["links"] = std::move(links);
  }
  put(j, "rights", c.rights);
  put(j, "language", c.language);
  put_date(j, "published", c.published);
  put_date(j, "updated", c.updated);
  put(j, "published_raw", c.published_raw);
  put(j, "updated_raw", c.updated_raw);
  if (!c.author.empty()) j["author"] = person_json(c.author);
  if (!c.authors.empty()) j["authors"] = people_json(c.authors);
  if (!c.contributors.empty()) j["contributors"] = people_json(c.contributors);
  if (!c.publisher.empty()) j["publisher"] = person_json(c.publisher);
  if (!c.categories.empty()) {
    json cats = json::array();
    for (const auto& cat : c.categories) {
      json x = json::object();
      x["term"] = cat.term;
      put(x, "scheme", cat.scheme);
      put(x, "label", cat.label);
      cats.push_back(std::move(x));
    }
    j["categories"] = std::move(cats);
  }
  if (!c.ext.empty()) {
    json ext = json::object();
    for (const auto& [k, v] : c.ext) ext[k] = v;
    j["ext"] = std::move(ext);
  }
}

json feed_info_json(const FeedInfo& f) {
  json j = json::object();
  common_json(j, f);
  put(j, "subtitle", f.subtitle);
  put(j, "subtitle_type", f.subtitle_type);
  put(j, "info", f.info);
  put(j, "docs", f.docs);
  put(j, "icon", f.icon);
  put(j, "logo", f.logo);
  put(j, "license", f.license);
  if (!f.generator.name.empty() || !f.generator.uri.empty()) {
    json g = json::object();
    put(g, "name", f.generator.name);
    put(g, "uri", f.generator.uri);
    put(g, "version", f.generator.version);
    j["generator"] = std::move(g);
  }
  const Image& im = f.image;
  if (!im.url.empty() || !im.title.empty() || !im.link.empty()) {
    json x = json::object();
    put(x, "url", im.url);
    put(x, "title", im.title);
    put(x, "link", im.link);
    put(x, "description", im.description);
    if (im.width) x["width"] = im.width;
    if (im.height) x["height"] = im.height;
    j["image"] = std::move(x);
  }
  if (f.ttl_minutes) j["ttl"] = std::to_string(*f.ttl_minutes);
  return j;
}

json entry_json(const Entry& e) {
  json j = json::object();
  common_json(j, e);
  put(j, "summary", e.summary);
  put(j, "summary_type", e.summary_type);
  if (!e.content.empty()) {
    json a = json::array();
    for (const auto& c : e.content) {
      json x = json::object();
      x["value"] = c.value;
      put(x, "type", c.type);
      put(x, "language", c.language);
      put(x, "base", c.base);
      put(x, "src", c.src);
      a.push_back(std::move(x));
    }
    j["content"] = std::move(a);
  }
  if (!e.enclosures.empty()) {
    json a = json::array();
    for (const auto& en : e.enclosures) {
      json x = json::object();
      put(x, "url", en.url);
      put(x, "type", en.type);
      if (en.length) x["length"] = std::to_string(en.length);
      a.push_back(std::move(x));
    }
    j["enclosures"] = std::move(a);
  }
  put(j, "comments", e.comments);
  if (!e.image.empty()) j["image"] = {{"url", e.image}};
  put_date(j, "created", e.created);
  put_date(j, "expired", e.expired);
  if (e.source) j["source"] = feed_info_json(*e.source);
  return j;
}

}  // namespace

std::string feed_to_json(const ParsedFeed& feed, bool pretty) {
  json doc;
  const DocumentFacts& d = feed.document;
  json document = {{"bozo", d.bozo}, {"fatal", d.fatal}};
  put(document, "bozo_reason", d.bozo_reason);
  put(document, "fatal_reason", d.fatal_reason);
  put(document, "encoding", d.encoding);
  put(document, "version", d.version);
  put(document, "format", d.format);
  put(document, "format_version", d.format_version);
  doc["document"] = std::move(document);
  doc["feed"] = feed_info_json(feed.feed);
  json entries = json::array();
  for (const auto& e : feed.entries) entries.push_back(entry_json(e));
  doc["entries"] = std::move(entries);
  // Replace rather than throw on any invalid UTF-8 that slipped through.
  return doc.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace feedpipe::parser
