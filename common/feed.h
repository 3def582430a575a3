#pragma once

// The parser's output: one feed document in the neutral vocabulary of the conformance
// schema (feed, entries, document facts). Plain values, no library types.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace feedpipe {

// Seconds since the Unix epoch, UTC. Absent when the source had no parseable date.
using UnixSeconds = std::optional<std::int64_t>;

struct Person {
  std::string name;
  std::string email;
  std::string uri;
  bool empty() const { return name.empty() && email.empty() && uri.empty(); }
};

struct Category {
  std::string term;
  std::string scheme;
  std::string label;
};

struct Enclosure {
  std::string url;
  std::string type;
  std::int64_t length = 0;
};

struct Link {
  std::string href;
  std::string rel;
  std::string type;
  std::string title;
  std::string hreflang;
  std::int64_t length = 0;
};

// A text construct. `type` is "text/plain", "text/html" or "application/xhtml+xml"; HTML
// values are sanitised and their relative URLs resolved.
struct Content {
  std::string value;
  std::string type;
  std::string language;
  std::string base;
  std::string src;
  // Visible text of an HTML `value` (paragraphs kept), when the parser made it while
  // sanitising; normalisation uses it instead of reading the HTML again.
  std::string text;
  bool has_text = false;
};

struct Image {
  std::string url;
  std::string title;
  std::string link;
  std::string description;
  int width = 0;
  int height = 0;
};

struct Generator {
  std::string name;
  std::string uri;
  std::string version;
};

// Fields both a feed and an entry can carry.
struct CommonFields {
  std::string id;
  std::string title;
  std::string title_type;
  std::string link;
  std::vector<Link> links;
  std::string rights;
  std::string language;
  UnixSeconds published;
  UnixSeconds updated;
  std::string published_raw;
  std::string updated_raw;
  Person author;
  std::vector<Person> authors;
  std::vector<Person> contributors;
  Person publisher;
  std::vector<Category> categories;
  // Anything else kept under feedparser's key names (itunes_*, media_*, ...).
  std::map<std::string, std::string> ext;
  // Structured extension values (georss where, media_*, psc_chapters) as JSON text.
  std::map<std::string, std::string> ext_json;
};

struct FeedInfo : CommonFields {
  std::string subtitle;
  std::string subtitle_type;
  std::string info;
  std::string docs;
  std::string icon;
  std::string logo;
  std::string license;
  Generator generator;
  Image image;
  std::optional<int> ttl_minutes;            // RSS <ttl>
  std::optional<int> update_period_seconds;  // sy:updatePeriod / sy:updateFrequency
  UnixSeconds created;                       // dcterms:created
  std::string created_raw;
  std::map<std::string, std::string> cloud;      // RSS <cloud> attributes
  std::map<std::string, std::string> textinput;  // RSS <textInput> children
};

struct Entry : CommonFields {
  std::string summary;
  std::string summary_type;
  std::vector<Content> content;
  std::vector<Enclosure> enclosures;
  std::string comments;
  std::string image;  // media:thumbnail / media:content image / itunes:image
  UnixSeconds created;
  UnixSeconds expired;
  std::string created_raw;
  std::string expired_raw;
  bool guid_is_permalink = false;
  // RSS <source> / Atom <source>: rare, and a FeedInfo is large, so entries hold it on the
  // heap rather than inline (a feed can have tens of thousands of entries).
  std::shared_ptr<const FeedInfo> source;
};

struct DocumentFacts {
  bool bozo = false;           // not well-formed or wrong encoding, but recovered
  std::string bozo_reason;
  bool fatal = false;          // nothing usable: unknown root, empty, invalid JSON
  std::string fatal_reason;
  std::string encoding;        // charset the bytes were read as
  std::string version;         // feedparser code: rss20, atom10, json11, ...
  std::string format;          // rss | atom | json | cdf
  std::string format_version;  // 2.0, 1.0, 0.3, 1.1 ...
};

struct ParsedFeed {
  DocumentFacts document;
  FeedInfo feed;
  std::vector<Entry> entries;
};

// What the parser knows about the bytes besides the bytes: the HTTP side of the document.
struct DocumentInfo {
  std::string base_url;          // document URI, used to resolve relative links
  std::string content_type;      // Content-Type header, may carry charset=
  std::string content_location;  // Content-Location header
  std::string content_language;  // Content-Language header
};

}  // namespace feedpipe
