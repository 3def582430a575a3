#include "publisher/record.h"

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace feedpipe::publisher {
namespace {

using nlohmann::json;

json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json time_or_null(const UnixSeconds& t) {
  return t ? json(format_rfc3339(*t)) : json(nullptr);
}

std::string get_str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)" back to Unix seconds.
UnixSeconds parse_rfc3339(const std::string& s) {
  int y, mo, d, h, mi, sec;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  // days_from_civil (Howard Hinnant), no time zone database needed.
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
  std::int64_t t = days * 86400 + h * 3600 + mi * 60 + sec;
  auto tz = s.find_first_of("Zz+-", 19);
  if (tz != std::string::npos && (s[tz] == '+' || s[tz] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + tz + 1, "%2d:%2d", &oh, &om) == 2) {
      t -= (s[tz] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
  }
  return t;
}

UnixSeconds get_time(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return parse_rfc3339(it->get<std::string>());
}

std::string dump(const json& j) {
  // Invalid UTF-8 from a broken feed must not throw on the data path.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

namespace {

json entry_json(const Item& item) {
  json authors = json::array();
  for (const auto& a : item.authors) {
    authors.push_back({{"name", str_or_null(a.name)},
                       {"email", str_or_null(a.email)},
                       {"uri", str_or_null(a.uri)}});
  }
  json enclosures = json::array();
  for (const auto& e : item.enclosures) {
    enclosures.push_back({{"url", e.url}, {"type", str_or_null(e.type)}, {"length", e.length}});
  }
  json j = {
      {"schema", kEntrySchema},
      {"id", item.id},
      {"revision", item.revision},
      {"url", str_or_null(item.url)},
      {"link", str_or_null(item.link)},
      {"guid", str_or_null(item.guid)},
      {"title", str_or_null(item.title)},
      {"summary", str_or_null(item.summary)},
      {"content_html", str_or_null(item.content_html)},
      {"content_text", str_or_null(item.content_text)},
      {"authors", std::move(authors)},
      {"categories", item.categories},
      {"published", time_or_null(item.published)},
      {"updated", time_or_null(item.updated)},
      {"fetched_at", time_or_null(item.fetched_at)},
      {"language", str_or_null(item.language)},
      {"image", str_or_null(item.image)},
      {"enclosures", std::move(enclosures)},
      {"content_sha256", str_or_null(item.content_sha256)},
      {"feed",
       {{"url", item.feed.url},
        {"title", str_or_null(item.feed.title)},
        {"link", str_or_null(item.feed.link)}}},
  };
  return j;
}

json article_object(const Article& a) {
  return json{{"title", str_or_null(a.title)},
              {"byline", str_or_null(a.byline)},
              {"published", time_or_null(a.published)},
              {"language", str_or_null(a.language)},
              {"site_name", str_or_null(a.site_name)},
              {"canonical_url", str_or_null(a.canonical_url)},
              {"image", str_or_null(a.image)},
              {"text", a.text},
              {"word_count", a.word_count}};
}

}  // namespace

std::string encode_entry(const Item& item) { return dump(entry_json(item)); }

std::string encode_article_object(const Article& article, bool pretty) {
  return article_object(article).dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::string encode_article(const Item& entry, const Article& article) {
  json j = entry_json(entry);
  j["schema"] = kArticleSchema;
  j["article"] = article_object(article);
  return dump(j);
}

std::vector<Header> article_headers(const Item& entry) {
  auto h = entry_headers(entry);
  for (auto& header : h)
    if (header.key == "ce_type") header.value = std::string(kArticleEventType);
  return h;
}

std::string encode_dead_letter(const Item& entry, std::string_view stage, ErrorCode code,
                               std::string_view message, int attempts) {
  json j = {{"schema", kErrorSchema},
            {"id", entry.id},
            {"url", str_or_null(entry.link)},
            {"stage", stage},
            {"error_type", to_string(code)},
            {"message", message},
            {"attempts", attempts},
            {"record", entry_json(entry)}};
  return dump(j);
}

Result<Item> decode_entry(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error{ErrorCode::kParse, "entry record is not a JSON object"};
  if (get_str(j, "schema") != kEntrySchema) {
    return Error{ErrorCode::kParse, "entry record schema is not feedpipe.entry/1"};
  }
  Item item;
  item.id = get_str(j, "id");
  if (item.id.empty()) return Error{ErrorCode::kParse, "entry record without id"};
  if (auto it = j.find("revision"); it != j.end() && it->is_number_integer()) {
    item.revision = it->get<int>();
  }
  item.url = get_str(j, "url");
  item.link = get_str(j, "link");
  item.guid = get_str(j, "guid");
  item.title = get_str(j, "title");
  item.summary = get_str(j, "summary");
  item.content_html = get_str(j, "content_html");
  item.content_text = get_str(j, "content_text");
  if (auto it = j.find("authors"); it != j.end() && it->is_array()) {
    for (const auto& a : *it) {
      if (!a.is_object()) continue;
      item.authors.push_back({get_str(a, "name"), get_str(a, "email"), get_str(a, "uri")});
    }
  }
  if (auto it = j.find("categories"); it != j.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (c.is_string()) item.categories.push_back(c.get<std::string>());
    }
  }
  item.published = get_time(j, "published");
  item.updated = get_time(j, "updated");
  item.fetched_at = get_time(j, "fetched_at");
  item.language = get_str(j, "language");
  item.image = get_str(j, "image");
  if (auto it = j.find("enclosures"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      if (!e.is_object()) continue;
      Enclosure enc{get_str(e, "url"), get_str(e, "type"), 0};
      if (auto l = e.find("length"); l != e.end() && l->is_number_integer()) {
        enc.length = l->get<std::int64_t>();
      }
      item.enclosures.push_back(std::move(enc));
    }
  }
  item.content_sha256 = get_str(j, "content_sha256");
  if (auto it = j.find("feed"); it != j.end() && it->is_object()) {
    item.feed = {get_str(*it, "url"), get_str(*it, "title"), get_str(*it, "link")};
  }
  return item;
}

std::vector<Header> entry_headers(const Item& item) {
  std::vector<Header> h;
  h.push_back({"ce_specversion", "1.0"});
  h.push_back({"ce_id", item.id + "-" + std::to_string(item.revision)});
  h.push_back({"ce_source", item.feed.url});
  h.push_back({"ce_type", std::string(kEntryEventType)});
  if (item.fetched_at) h.push_back({"ce_time", format_rfc3339(*item.fetched_at)});
  h.push_back({"content-type", "application/json"});
  return h;
}

std::string encode_feed_state(const FeedState& s) {
  json j = {
      {"url", s.url},
      {"etag", s.validators.etag},
      {"last_modified", s.validators.last_modified},
      {"seen_keys", s.seen_keys},
      {"next_due_unix_ms", s.next_due_unix_ms},
      {"error_count", s.error_count},
      {"last_error", s.last_error},
      {"moved_to", s.moved_to},
  };
  return dump(j);
}

Result<FeedState> decode_feed_state(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Error{ErrorCode::kParse, "feed state is not a JSON object"};
  FeedState s;
  s.url = get_str(j, "url");
  if (s.url.empty()) return Error{ErrorCode::kParse, "feed state without url"};
  s.validators.etag = get_str(j, "etag");
  s.validators.last_modified = get_str(j, "last_modified");
  if (auto it = j.find("seen_keys"); it != j.end() && it->is_array()) {
    for (const auto& k : *it) {
      if (k.is_string()) s.seen_keys.push_back(k.get<std::string>());
    }
  }
  if (auto it = j.find("next_due_unix_ms"); it != j.end() && it->is_number_integer()) {
    s.next_due_unix_ms = it->get<std::int64_t>();
  }
  if (auto it = j.find("error_count"); it != j.end() && it->is_number_integer()) {
    s.error_count = it->get<int>();
  }
  s.last_error = get_str(j, "last_error");
  s.moved_to = get_str(j, "moved_to");
  return s;
}

std::string encode_dedup_entry(const DedupEntry& e) {
  return dump(json{{"first_seen_ms", e.first_seen_ms},
                   {"last_seen_ms", e.last_seen_ms},
                   {"content_sha256", e.content_sha256},
                   {"revision", e.revision}});
}

Result<DedupEntry> decode_dedup_entry(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Error{ErrorCode::kParse, "dedup state is not a JSON object"};
  DedupEntry e;
  auto num = [&](const char* k, std::int64_t* out) {
    if (auto it = j.find(k); it != j.end() && it->is_number_integer()) *out = it->get<std::int64_t>();
  };
  num("first_seen_ms", &e.first_seen_ms);
  num("last_seen_ms", &e.last_seen_ms);
  std::int64_t rev = 1;
  num("revision", &rev);
  e.revision = static_cast<int>(rev);
  e.content_sha256 = get_str(j, "content_sha256");
  return e;
}

}  // namespace feedpipe::publisher
