#include "parser/feed_json.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/time.h"
#include "parser/text.h"

namespace feedpipe::parser {

// Escaped in runs: the library checks UTF-8 one byte at a time, which made serialisation
// the slowest part of `feedpipe parse --json` on large feeds.
void write_json_string(std::string_view s, std::string& out) {
  if (!valid_utf8(s)) {
    out += nlohmann::json(std::string(s))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
#if defined(__SSE2__)
    // Sixteen bytes at a time through text with nothing to escape.
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    while (j + 16 <= s.size()) {
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + j));
      // Bytes under 0x20, compared as unsigned: min(b, 0x1F) == b.
      __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(b, _mm_set1_epi8(0x1F)), b);
      __m128i hit = _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(b, quote),
                                                       _mm_cmpeq_epi8(b, backslash)));
      if (_mm_movemask_epi8(hit) != 0) break;
      j += 16;
    }
#endif
    while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x20 && s[j] != '"' && s[j] != '\\')
      ++j;
    out.append(s, i, j - i);
    if (j == s.size()) break;
    char c = s[j];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
        out += buf;
      }
    }
    i = j + 1;
  }
  out += '"';
}

namespace {

using nlohmann::json;

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

void put_date(json& j, const char* key, const UnixSeconds& v) {
  if (v) j[key] = format_rfc3339(*v);
}


void write_compact(const json& j, std::string& out) {
  if (j.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ',';
      first = false;
      write_json_string(it.key(), out);
      out += ':';
      write_compact(it.value(), out);
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& v : j) {
      if (!first) out += ',';
      first = false;
      write_compact(v, out);
    }
    out += ']';
  } else if (j.is_string()) {
    write_json_string(j.get_ref<const std::string&>(), out);
  } else {
    out += j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
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
  if (!c.ext.empty() || !c.ext_json.empty()) {
    json ext = json::object();
    for (const auto& [k, v] : c.ext_json) {
      json parsed = json::parse(v, nullptr, false);
      if (!parsed.is_discarded()) ext[k] = std::move(parsed);
    }
    for (const auto& [k, v] : c.ext) {
      if (k == "subtitle" || k == "license" || k == "newlocation") {
        j[k] = v;  // entry fields the shared model keeps in ext
        continue;
      }
      if (k == "guidislink") ext[k] = true;
      else if (k == "itunes_block") ext[k] = v == "1" ? 1 : 0;
      else if (k == "itunes_explicit") ext[k] = v == "true";
      else ext[k] = v;
    }
    if (!ext.empty()) j["ext"] = std::move(ext);
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
  put_date(j, "created", f.created);
  put(j, "created_raw", f.created_raw);
  for (const auto* m : {&f.cloud, &f.textinput}) {
    if (m->empty()) continue;
    json x = json::object();
    for (const auto& [k, v] : *m) put(x, k.c_str(), v);
    j[m == &f.cloud ? "cloud" : "textinput"] = std::move(x);
  }
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
  put(j, "created_raw", e.created_raw);
  put(j, "expired_raw", e.expired_raw);
  if (e.source) j["source"] = feed_info_json(*e.source);
  return j;
}

}  // namespace

std::string feed_to_json(const ParsedFeed& feed, bool pretty) {
  const DocumentFacts& d = feed.document;
  json document = {{"bozo", d.bozo}, {"fatal", d.fatal}};
  put(document, "bozo_reason", d.bozo_reason);
  put(document, "fatal_reason", d.fatal_reason);
  put(document, "encoding", d.encoding);
  put(document, "version", d.version);
  put(document, "format", d.format);
  put(document, "format_version", d.format_version);
  if (pretty) {
    json doc;
    doc["document"] = std::move(document);
    doc["feed"] = feed_info_json(feed.feed);
    json entries = json::array();
    for (const auto& e : feed.entries) entries.push_back(entry_json(e));
    doc["entries"] = std::move(entries);
    // Replace rather than throw on any invalid UTF-8 that slipped through.
    return doc.dump(2, ' ', false, json::error_handler_t::replace);
  }
  // Compact output is written an entry at a time, in the key order of the whole document
  // (document, entries, feed): a large feed's entries are never all copied into one tree.
  std::string out;
  out += "{\"document\":";
  write_compact(document, out);
  out += ",\"entries\":[";
  for (size_t i = 0; i < feed.entries.size(); ++i) {
    if (i) out += ',';
    write_compact(entry_json(feed.entries[i]), out);
  }
  out += "],\"feed\":";
  write_compact(feed_info_json(feed.feed), out);
  out += '}';
  return out;
}

}  // namespace feedpipe::parser
