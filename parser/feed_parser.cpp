#include "parser/feed_parser.h"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/time.h"
#include "common/url.h"
#include "parser/charset.h"
#include "parser/feed_json.h"
#include "parser/html/sanitize.h"
#include "parser/html/stream_sanitize.h"
#include "parser/json_feed.h"
#include "parser/name_table.h"
#include "parser/text.h"
#include "parser/xml_repair.h"

namespace feedpipe::parser {
namespace {

// Namespace URI -> the prefix feedparser uses for it, so elements are matched by URI.
struct KnownNamespace {
  std::string_view uri;
  std::string_view prefix;
};
constexpr KnownNamespace kNamespaces[] = {
    {"http://backend.userland.com/rss", ""},
    {"http://backend.userland.com/rss2", ""},
    {"http://blogs.law.harvard.edu/tech/rss", ""},
    {"http://purl.org/rss/1.0/", ""},
    {"http://my.netscape.com/rdf/simple/0.9/", ""},
    {"http://example.com/newformat#", ""},
    {"http://example.com/necho", ""},
    {"http://purl.org/echo/", ""},
    {"uri/of/echo/namespace#", ""},
    {"http://purl.org/pie/", ""},
    {"http://purl.org/atom/ns#", ""},
    {"http://www.w3.org/2005/atom", ""},
    {"http://purl.org/rss/1.0/modules/rss091#", ""},
    {"http://webns.net/mvcb/", "admin"},
    {"http://purl.org/rss/1.0/modules/aggregation/", "ag"},
    {"http://purl.org/rss/1.0/modules/annotate/", "annotate"},
    {"http://backend.userland.com/blogchannelmodule", "blogchannel"},
    {"http://creativecommons.org/ns#license", "cc"},
    {"http://web.resource.org/cc/", "cc"},
    {"http://cyber.law.harvard.edu/rss/creativecommonsrssmodule.html", "creativecommons"},
    {"http://backend.userland.com/creativecommonsrssmodule", "creativecommons"},
    {"http://purl.org/rss/1.0/modules/content/", "content"},
    {"http://purl.org/dc/elements/1.1/", "dc"},
    {"http://purl.org/dc/terms/", "dcterms"},
    {"http://rssnamespace.org/feedburner/ext/1.0", "feedburner"},
    {"http://www.w3.org/2003/01/geo/wgs84_pos#", "geo"},
    {"http://www.georss.org/georss", "georss"},
    {"http://www.opengis.net/gml", "gml"},
    {"http://purl.org/rss/1.0/modules/image/", "image"},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes"},
    {"http://example.com/dtds/podcast-1.0.dtd", "itunes"},
    {"http://search.yahoo.com/mrss", "media"},
    {"http://search.yahoo.com/mrss/", "media"},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"},
    {"http://www.w3.org/2000/01/rdf-schema#", "rdfs"},
    {"http://purl.org/rss/1.0/modules/slash/", "slash"},
    {"http://purl.org/rss/1.0/modules/syndication/", "sy"},
    {"http://purl.org/rss/1.0/modules/taxonomy/", "taxo"},
    {"http://purl.org/rss/1.0/modules/threading/", "thr"},
    {"http://purl.org/syndication/thread/1.0", "thr"},
    {"http://purl.org/rss/1.0/modules/textinput/", "ti"},
    {"http://wellformedweb.org/commentapi/", "wfw"},
    {"http://www.w3.org/1999/xhtml", "xhtml"},
    {"http://www.w3.org/1999/xlink", "xlink"},
    {"http://www.w3.org/xml/1998/namespace", "xml"},
    {"http://podlove.org/simple-chapters", "psc"},
};

constexpr std::string_view kAtom10 = "http://www.w3.org/2005/Atom";

enum class Level { kFeed, kEntry, kSource };

// xml:base and xml:lang in effect. Most elements set neither, so a scope only views its
// parent's values and owns a string just for what its own element sets; scopes live on the
// stack for the duration of their element and are never copied.
struct Scope {
  Scope() = default;
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  std::string_view base;
  std::string_view lang;
  std::string own_base;
  std::string own_lang;
};

// Elements nested deeper than this lose their content (see FeedReader::check_tree). The
// reader recurses up to a few kilobytes of stack per level, and 256 levels (libxml2's
// default limit too) stay within a 1 MB stack; feeds nest a few dozen at most.
constexpr std::size_t kMaxElementDepth = 256;

// Namespace declarations in scope at once beyond this are ignored (bozo): every prefixed
// name is looked up through those in scope, and a hostile feed declares a hundred thousand.
constexpr std::size_t kMaxNamespacesInScope = 256;

// Categories kept per entry or feed: a hostile entry lists a hundred thousand, and each new
// one is compared with those kept (here and in to_item).
constexpr std::size_t kMaxCategories = 512;

struct NsDecl {
  std::string_view prefix;
  std::string_view uri;
};

bool is_html_type(std::string_view t) {
  return t == "text/html" || t == "application/xhtml+xml";
}

// feedparser's rule for plain-text fields of RSS that carry markup anyway.
bool looks_like_html(std::string_view s) {
  static constexpr std::string_view kAcceptable[] = {
      "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "big",
      "blockquote", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
      "colgroup", "command", "datagrid", "datalist", "dd", "del", "details", "dfn", "dialog",
      "dir", "div", "dl", "dt", "em", "event-source", "fieldset", "figcaption", "figure",
      "footer", "font", "form", "header", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
      "input", "ins", "keygen", "kbd", "label", "legend", "li", "m", "map", "menu", "meter",
      "multicol", "nav", "nextid", "ol", "output", "optgroup", "option", "p", "pre",
      "progress", "q", "s", "samp", "section", "select", "small", "sound", "source", "spacer",
      "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "textarea", "time",
      "tfoot"};
  static constexpr std::string_view kMore[] = {
      "th", "thead", "tr", "tt", "u", "ul", "var", "video", "noscript", "bdi", "bdo", "wbr"};
  bool close_or_entity = false;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '<' && s[i + 1] == '/' && i + 2 < s.size() && std::isalnum(static_cast<unsigned char>(s[i + 2]))) {
      size_t j = i + 2;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      if (j < s.size() && s[j] == '>') close_or_entity = true;
    } else if (s[i] == '&') {
      size_t j = i + 1;
      if (j < s.size() && s[j] == '#') ++j;
      size_t start = j;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      if (j > start && j < s.size() && s[j] == ';') close_or_entity = true;
    }
  }
  if (!close_or_entity) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') {
      size_t j = i + 1;
      if (j < s.size() && s[j] == '/') ++j;
      size_t start = j;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      if (j == start) continue;
      std::string tag = ascii_lower(s.substr(start, j - start));
      bool ok = std::find(std::begin(kAcceptable), std::end(kAcceptable), tag) != std::end(kAcceptable) ||
                std::find(std::begin(kMore), std::end(kMore), tag) != std::end(kMore);
      if (!ok) return false;
    } else if (s[i] == '&') {
      size_t j = i + 1;
      size_t start = j;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      if (j > start && j < s.size() && s[j] == ';') {
        std::string_view name = s.substr(start, j - start);
        // html.entities.entitydefs: the HTML 4 names; approximate with the HTML5 table.
        if (html_entity(name).empty()) return false;
      }
    }
  }
  return true;
}

// U+0080..U+009F are never meant literally in feeds: they are windows-1252 bytes.
// True when it changed `s`.
bool map_c1_controls(std::string& s) {
  static constexpr char16_t kCp1252[32] = {
      0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};
  if (s.find('\xC2') == std::string::npos) return false;
  std::string out;
  out.reserve(s.size());
  bool changed = false;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xC2 && i + 1 < s.size()) {
      auto d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9F) {
        append_utf8(out, kCp1252[d - 0x80]);
        changed = true;
        ++i;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  s.swap(out);
  return changed;
}

// UTF-8 that was read as ISO-8859-1 and encoded again ("â€¦" for "…"): when every
// non-ASCII character is below U+0100 and their bytes form valid UTF-8, undo it.
// True when it changed `s`.
bool undo_double_encoding(std::string& s) {
  // Check before building anything: most text is ASCII or has characters above U+00FF.
  size_t first = first_non_ascii(s);
  if (first == s.size()) return false;
  for (size_t i = first; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) continue;
    if ((c != 0xC2 && c != 0xC3) || i + 1 == s.size()) return false;
    ++i;
  }
  std::string bytes;
  bytes.reserve(s.size());
  bytes.append(s, 0, first);
  for (size_t i = first; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      bytes += static_cast<char>(c);
    } else {
      bytes += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F));
      ++i;
    }
  }
  if (!valid_utf8(bytes)) return false;
  s.swap(bytes);
  return true;
}

std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    if (c == '=' ) break;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (!valid_utf8(out)) return std::nullopt;
  return out;
}

std::int64_t to_int(std::string_view s) {
  s = trim(s);
  std::int64_t v = 0;
  bool any = false;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    any = true;
    if (v < (std::int64_t{1} << 56)) v = v * 10 + (c - '0');
  }
  return any ? v : 0;
}

// Text without markup or references has nothing to sanitise; most titles are like that.
std::string sanitize(std::string_view html, std::string_view base) {
  if (!contains_any(html, "<&>")) return std::string(html);
  std::string clean = html::sanitize_html(html, base);
  // What surrounded dropped markup (a document's head, a script) is not content.
  trim_in_place(clean);
  return clean;
}
void sanitize_in_place(std::string& html, std::string_view base) {
  if (contains_any(html, "<&>")) html = sanitize(html, base);
}

// Numbers of a GeoRSS / GML coordinate list, grouped by `dim`, with lat/lon swapped to
// GeoJSON's lon/lat order when the reference system is latitude-first.
nlohmann::json geo_points(std::string_view text, int dim, bool swap) {
  std::vector<double> nums;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (std::isspace(static_cast<unsigned char>(text[i])) || text[i] == ',')) ++i;
    size_t b = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ',') ++i;
    if (i > b) {
      std::string tok(text.substr(b, i - b));
      char* end = nullptr;
      double v = std::strtod(tok.c_str(), &end);
      if (end != tok.c_str() + tok.size()) return nlohmann::json::array();
      nums.push_back(v);
    }
  }
  nlohmann::json pts = nlohmann::json::array();
  if (dim < 2 || nums.size() % static_cast<size_t>(dim) != 0) return pts;
  for (size_t k = 0; k + static_cast<size_t>(dim) <= nums.size(); k += static_cast<size_t>(dim)) {
    nlohmann::json p = nlohmann::json::array();
    if (swap) p = {nums[k + 1], nums[k]};
    else p = {nums[k], nums[k + 1]};
    for (int d = 2; d < dim; ++d) p.push_back(nums[k + static_cast<size_t>(d)]);
    pts.push_back(std::move(p));
  }
  return pts;
}

// "hh:mm:ss.fff" / "mm:ss" / "ss" -> seconds.
std::optional<double> clock_seconds(std::string_view s) {
  double total = 0;
  size_t pos = 0;
  int parts = 0;
  while (pos <= s.size()) {
    size_t colon = s.find(':', pos);
    std::string part(trim(s.substr(pos, colon == std::string_view::npos ? std::string_view::npos : colon - pos)));
    if (part.empty()) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(part.c_str(), &end);
    if (end != part.c_str() + part.size()) return std::nullopt;
    total = total * 60 + v;
    if (++parts > 3) return std::nullopt;
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return total;
}

// Appends `x`, a JSON value as text, to `list`, a JSON array this parser wrote as text ("" for
// none yet), without reading the array back: an entry can repeat an element many times.
void append_to_json_list(std::string& list, std::string_view x) {
  if (list.size() < 2) list = "[]";
  list.pop_back();
  if (list.size() > 1) list += ',';
  list += x;
  list += ']';
}

// The elements read_field knows, by qualified name ("prefix:local" with feedparser's
// prefixes): one lookup per element instead of a chain of string comparisons.
enum class Field : std::uint8_t {
  kOther,
  kEntry,
  kChannel,
  kTitle,
  kLink,
  kId,
  kDescription,
  kSummary,
  kSubtitle,
  kContent,
  kRights,
  kInfo,
  kLanguage,
  kPublished,
  kUpdated,
  kCreated,
  kExpirationdate,
  kAuthor,
  kContributor,
  kPublisher,
  kCategory,
  kItunesCategory,
  kItunesKeywords,
  kEnclosure,
  kComments,
  kSource,
  kImage,
  kThumbnail,
  kMediaContent,
  kMediaCategory,
  kMediaTitle,
  kMediaDescription,
  kCloud,
  kTextinput,
  kDctermsValid,
  kGeo,
  kPscChapters,
  kMediaCredit,
  kThrInReplyTo,
  kMediaMeta,
  kMediaGroup,
  kIcon,
  kLogo,
  kGenerator,
  kAdminGeneratoragent,
  kDocs,
  kTtl,
  kSyUpdateperiod,
  kLicense,
  kItunesFlag,
  kItunesLink,
  kItunesDuration,
  kWfwComment,
  kRedirect,
  kNewlocation,
  kTags,
  kFeedburnerBrowserfriendly,
};

Field field_of(std::string_view q) {
  static const NameMap<Field> kFields = {
      {"item", Field::kEntry},
      {"entry", Field::kEntry},
      {"channel", Field::kChannel},
      {"title", Field::kTitle},
      {"dc:title", Field::kTitle},
      {"link", Field::kLink},
      {"id", Field::kId},
      {"guid", Field::kId},
      {"dc:identifier", Field::kId},
      {"description", Field::kDescription},
      {"abstract", Field::kDescription},
      {"dc:description", Field::kDescription},
      {"summary", Field::kSummary},
      {"itunes:summary", Field::kSummary},
      {"subtitle", Field::kSubtitle},
      {"tagline", Field::kSubtitle},
      {"itunes:subtitle", Field::kSubtitle},
      {"content", Field::kContent},
      {"content:encoded", Field::kContent},
      {"fullitem", Field::kContent},
      {"xhtml:body", Field::kContent},
      {"body", Field::kContent},
      {"rights", Field::kRights},
      {"copyright", Field::kRights},
      {"dc:rights", Field::kRights},
      {"info", Field::kInfo},
      {"language", Field::kLanguage},
      {"dc:language", Field::kLanguage},
      {"pubdate", Field::kPublished},
      {"published", Field::kPublished},
      {"issued", Field::kPublished},
      {"dcterms:issued", Field::kPublished},
      {"updated", Field::kUpdated},
      {"modified", Field::kUpdated},
      {"dc:date", Field::kUpdated},
      {"lastbuilddate", Field::kUpdated},
      {"dcterms:modified", Field::kUpdated},
      {"created", Field::kCreated},
      {"dcterms:created", Field::kCreated},
      {"expirationdate", Field::kExpirationdate},
      {"author", Field::kAuthor},
      {"managingeditor", Field::kAuthor},
      {"dc:creator", Field::kAuthor},
      {"dc:author", Field::kAuthor},
      {"itunes:author", Field::kAuthor},
      {"contributor", Field::kContributor},
      {"dc:contributor", Field::kContributor},
      {"webmaster", Field::kPublisher},
      {"dc:publisher", Field::kPublisher},
      {"itunes:owner", Field::kPublisher},
      {"category", Field::kCategory},
      {"dc:subject", Field::kCategory},
      {"keywords", Field::kCategory},
      {"itunes:category", Field::kItunesCategory},
      {"itunes:keywords", Field::kItunesKeywords},
      {"enclosure", Field::kEnclosure},
      {"comments", Field::kComments},
      {"source", Field::kSource},
      {"image", Field::kImage},
      {"itunes:image", Field::kThumbnail},
      {"media:thumbnail", Field::kThumbnail},
      {"media:content", Field::kMediaContent},
      {"media:category", Field::kMediaCategory},
      {"media:title", Field::kMediaTitle},
      {"media:description", Field::kMediaDescription},
      {"cloud", Field::kCloud},
      {"textinput", Field::kTextinput},
      {"dcterms:valid", Field::kDctermsValid},
      {"georss:point", Field::kGeo},
      {"georss:line", Field::kGeo},
      {"georss:polygon", Field::kGeo},
      {"georss:box", Field::kGeo},
      {"georss:where", Field::kGeo},
      {"gml:point", Field::kGeo},
      {"gml:linestring", Field::kGeo},
      {"gml:polygon", Field::kGeo},
      {"psc:chapters", Field::kPscChapters},
      {"media:credit", Field::kMediaCredit},
      {"media:thumbnail_list", Field::kMediaCredit},
      {"thr:in-reply-to", Field::kThrInReplyTo},
      {"media:restriction", Field::kMediaMeta},
      {"media:license", Field::kMediaMeta},
      {"media:rating", Field::kMediaMeta},
      {"media:player", Field::kMediaMeta},
      {"media:group", Field::kMediaGroup},
      {"icon", Field::kIcon},
      {"logo", Field::kLogo},
      {"generator", Field::kGenerator},
      {"admin:generatoragent", Field::kAdminGeneratoragent},
      {"docs", Field::kDocs},
      {"ttl", Field::kTtl},
      {"sy:updateperiod", Field::kSyUpdateperiod},
      {"license", Field::kLicense},
      {"cc:license", Field::kLicense},
      {"creativecommons:license", Field::kLicense},
      {"itunes:block", Field::kItunesFlag},
      {"itunes:explicit", Field::kItunesFlag},
      {"itunes:link", Field::kItunesLink},
      {"itunes:duration", Field::kItunesDuration},
      {"wfw:comment", Field::kWfwComment},
      {"wfw:commentrss", Field::kWfwComment},
      {"redirect", Field::kRedirect},
      {"newlocation", Field::kNewlocation},
      {"tags", Field::kTags},
      {"feedburner:browserfriendly", Field::kFeedburnerBrowserfriendly},
  };
  const Field* f = kFields.find(q);
  return f ? *f : Field::kOther;
}

class FeedReader {
 public:
  FeedReader(ParsedFeed& out, const DocumentInfo& info) : out_(out), info_(info) {}

  void read_document(pugi::xml_document& doc) {
    pugi::xml_node root;
    int elements = 0;
    for (pugi::xml_node n : doc.children()) {
      if (n.type() == pugi::node_element) {
        if (!root) root = n;
        ++elements;
      } else if (n.type() == pugi::node_doctype) {
        read_doctype(n.value());
      } else if (n.type() == pugi::node_pcdata && !trim(n.value()).empty()) {
        note_bozo("text outside the root element");
      }
    }
    if (elements > 1) note_bozo("junk after document element");
    if (!root) {
      note_bozo("no root element");
      return;
    }
    Scope scope;
    scope.base = info_.base_url;
    if (!info_.content_location.empty()) {
      scope.own_base = resolve_url(info_.base_url, info_.content_location);
      scope.base = scope.own_base;
    }
    scope.lang = info_.content_language;
    // Before read_root, which releases the entries' nodes as it reads them; read_root
    // reports nothing but undeclared prefixes, so the first reason is the same.
    check_tree(root);
    read_root(root, scope);
    note_too_many_namespaces();
    if (issues_.undefined_entity) note_bozo("undefined entity");
    if (issues_.bare_ampersand) note_bozo("not well-formed (invalid token: bare '&')");
  }

  // One walk over the root's elements before they are read, without recursion:
  // * An element kMaxElementDepth deep loses its content (bozo): reading recurses once per
  //   level, and so does pugixml's node removal, and a hostile feed nests a million levels.
  // * Unless the document is bozo already: every prefixed element and attribute name must
  //   have a declaration in scope, and every namespace name must be a URI reference, which
  //   holds no whitespace (XML parsers that split names on a space reject it).
  void check_tree(pugi::xml_node root) {
    bool check = !out_.document.bozo;
    bool bad_uri = false, undeclared = false, too_deep = false;
    std::vector<NsDecl> scope;
    std::vector<std::size_t> marks;  // scope's size before each open element's declarations
    // Names are tested for a colon where they lie (one pass, no length taken first): every
    // element of the document goes through here.
    auto declared = [&](const char* name) {
      const char* colon = std::strchr(name, ':');
      if (!colon) return true;
      std::string_view prefix(name, static_cast<size_t>(colon - name));
      if (prefix == "xml" || prefix == "xmlns") return true;
      for (const auto& d : scope)
        if (d.prefix == prefix) return true;
      return false;
    };
    auto enter = [&](pugi::xml_node n) {
      marks.push_back(scope.size());
      if (marks.size() == kMaxElementDepth && n.first_child()) {
        drop_children(n);
        too_deep = true;
      }
      if (!check) return;
      bool prefixed_attribute = false;
      for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
        const char* name = a.name();
        prefixed_attribute = prefixed_attribute || std::strchr(name, ':') != nullptr;
        if (std::strncmp(name, "xmlns", 5) != 0) continue;
        if (std::string_view(a.value()).find_first_of(" \t\r\n") != std::string_view::npos) {
          bad_uri = true;
          check = false;
          return;
        }
        if (name[5] != ':') continue;
        if (scope.size() < kMaxNamespacesInScope)
          scope.push_back({std::string_view(name + 6), a.value()});
        else
          too_many_namespaces_ = true;
      }
      bool ok = declared(n.name());
      if (prefixed_attribute)
        for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute())
          ok = ok && declared(a.name());
      if (!ok) {
        undeclared = true;
        check = false;
      }
    };
    auto leave = [&] {
      scope.resize(marks.back());
      marks.pop_back();
    };
    auto element_at_or_after = [](pugi::xml_node n) {
      while (n && n.type() != pugi::node_element) n = n.next_sibling();
      return n;
    };
    pugi::xml_node n = root;
    enter(n);
    while (n) {
      if (pugi::xml_node child = element_at_or_after(n.first_child())) {
        n = child;
        enter(n);
        continue;
      }
      // Leave `n`, and the ancestors whose last element it was, up to a next sibling.
      while (n) {
        leave();
        if (n == root) {
          n = {};
          break;
        }
        if (pugi::xml_node sibling = element_at_or_after(n.next_sibling())) {
          n = sibling;
          enter(n);
          break;
        }
        n = n.parent();
      }
    }
    if (bad_uri) note_bozo("namespace name is not a URI (whitespace)");
    note_too_many_namespaces();  // the cause of the undeclared prefixes that follow from it
    if (undeclared) note_bozo("undeclared namespace prefix");
    if (too_deep)
      note_bozo("elements nested deeper than " + std::to_string(kMaxElementDepth) + " levels");
  }

  // Removes every node below `top`, leaves first: removing a node with children would make
  // pugixml recurse through them.
  static void drop_children(pugi::xml_node top) {
    pugi::xml_node n = top;
    while (true) {
      if (pugi::xml_node child = n.first_child()) {
        n = child;
        continue;
      }
      if (n == top) return;
      pugi::xml_node parent = n.parent();
      parent.remove_child(n);
      n = parent;
    }
  }

  void note_too_many_namespaces() {
    if (too_many_namespaces_)
      note_bozo("more than " + std::to_string(kMaxNamespacesInScope) +
                " namespace declarations in scope");
  }

  void note_bozo(std::string_view reason) {
    if (!out_.document.bozo) out_.document.bozo_reason = std::string(reason);
    out_.document.bozo = true;
  }

 private:
  // ----- names and scopes -----

  void push_namespaces(pugi::xml_node n) {
    bool prefixed = false;
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      std::string_view name = a.name();
      if (name == "xmlns" || name.starts_with("xmlns:")) {
        if (ns_.size() < kMaxNamespacesInScope)
          ns_.push_back({name.size() > 5 ? name.substr(6) : std::string_view(), a.value()});
        else
          too_many_namespaces_ = true;
      } else if (name.find(':') != std::string_view::npos) {
        prefixed = true;
      }
    }
    if (!prefixed) return;
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      std::string_view name = a.name();
      size_t colon = name.find(':');
      if (colon == std::string_view::npos || name.starts_with("xmlns:")) continue;
      std::string_view prefix = name.substr(0, colon);
      bool found = false;
      if (prefix != "xml") lookup_ns(prefix, &found);
      if (prefix != "xml" && !found) note_bozo("undeclared namespace prefix");
    }
  }

  std::string_view lookup_ns(std::string_view prefix, bool* found) const {
    for (size_t i = ns_.size(); i-- > 0;)
      if (ns_[i].prefix == prefix) {
        *found = true;
        return ns_[i].uri;
      }
    *found = false;
    return {};
  }

  // "prefix:local" with feedparser's prefix for the namespace URI, lower-case.
  std::string qname(pugi::xml_node n, std::string_view* uri_out = nullptr) {
    std::string_view raw = n.name();
    size_t colon = raw.find(':');
    std::string_view prefix = colon == std::string_view::npos ? std::string_view() : raw.substr(0, colon);
    std::string_view local = colon == std::string_view::npos ? raw : raw.substr(colon + 1);
    bool found = false;
    std::string_view uri;
    // A declaration on the element itself applies to its own name.
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      std::string_view an = a.name();
      if (!an.starts_with("xmlns")) continue;
      an.remove_prefix(5);
      if (prefix.empty() ? an.empty()
                         : (an.size() == prefix.size() + 1 && an[0] == ':' && an.substr(1) == prefix)) {
        uri = a.value();
        found = true;
        break;
      }
    }
    if (!found) uri = lookup_ns(prefix, &found);
    if (uri_out) *uri_out = uri;
    std::string name;
    auto append_lower = [&name](std::string_view part) {
      size_t at = name.size();
      name.append(part);
      for (size_t k = at; k < name.size(); ++k)
        if (name[k] >= 'A' && name[k] <= 'Z') name[k] = static_cast<char>(name[k] + 32);
    };
    if (!prefix.empty() && !found) {
      if (prefix != "xml") note_bozo("undeclared namespace prefix");
      append_lower(prefix);
      name += ':';
    } else if (!uri.empty()) {
      const KnownNamespace* k = known_namespace(uri);
      if (k && !k->prefix.empty()) {
        name = k->prefix;
        name += ':';
      }
      if (!k && !prefix.empty()) {
        append_lower(prefix);
        name += ':';
      }
    }
    append_lower(local);
    return name;
  }

  // The table entry for a namespace URI, or null. A document uses a handful of namespaces
  // on thousands of elements, so the last few answers are kept.
  const KnownNamespace* known_namespace(std::string_view uri) {
    for (size_t i = 0; i < known_count_; ++i)
      if (known_[i].uri == uri) return known_[i].answer;
    std::string_view trimmed = trim(uri);
    const KnownNamespace* answer = nullptr;
    for (const auto& k : kNamespaces) {
      if (iequals(k.uri, trimmed)) {  // the table is lower-case
        answer = &k;
        break;
      }
    }
    KnownAnswer& slot = known_[known_next_];
    known_next_ = (known_next_ + 1) % known_.size();
    known_count_ = std::min(known_count_ + 1, known_.size());
    slot.uri.assign(uri);
    slot.answer = answer;
    return answer;
  }

  // Fills `s`, the scope of `n` inside `parent`.
  void child_scope(pugi::xml_node n, const Scope& parent, Scope& s) {
    pugi::xml_attribute base, lang;
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      const char* name = a.name();
      if (name[0] != 'x' || std::strncmp(name, "xml:", 4) != 0) continue;
      if (!base && std::strcmp(name + 4, "base") == 0) base = a;
      else if (!lang && std::strcmp(name + 4, "lang") == 0) lang = a;
    }
    if (base) {
      s.own_base = resolve_url(parent.base, attr_text(base));
      s.base = s.own_base;
    } else {
      s.base = parent.base;
    }
    if (lang) {
      s.own_lang = attr_text(lang);
      for (auto& c : s.own_lang)
        if (c == '_') c = '-';
      s.lang = s.own_lang;
    } else {
      s.lang = parent.lang;
    }
  }

  std::string attr_text(pugi::xml_attribute a) {
    std::string out;
    decode_references(a.value(), out, &declared_, &issues_);
    return out;
  }
  // Attribute names are matched case-insensitively, like feedparser does; an exact match
  // comes first. One pass: most attributes asked for are missing.
  std::string attr(pugi::xml_node n, std::string_view name) {
    pugi::xml_attribute folded;
    for (pugi::xml_attribute x = n.first_attribute(); x; x = x.next_attribute()) {
      std::string_view xn = x.name();
      if (xn == name) return attr_text(x);
      if (!folded && iequals(xn, name)) folded = x;
    }
    return folded ? attr_text(folded) : std::string();
  }

  void read_doctype(std::string_view dt) {
    if (dt.find("-//Netscape Communications//DTD RSS 0.91") != std::string_view::npos)
      netscape_ = true;
    size_t pos = 0;
    while ((pos = dt.find("<!ENTITY", pos)) != std::string_view::npos) {
      pos += 8;
      while (pos < dt.size() && std::isspace(static_cast<unsigned char>(dt[pos]))) ++pos;
      if (pos < dt.size() && dt[pos] == '%') continue;
      size_t end = pos;
      while (end < dt.size() && !std::isspace(static_cast<unsigned char>(dt[end]))) ++end;
      std::string name(dt.substr(pos, end - pos));
      size_t q = dt.find_first_of("\"'", end);
      if (q == std::string_view::npos) break;
      size_t q2 = dt.find(dt[q], q + 1);
      if (q2 == std::string_view::npos) break;
      std::string value;
      decode_references(dt.substr(q + 1, q2 - q - 1), value, nullptr, nullptr);
      declared_.try_emplace(std::move(name), std::move(value));
      pos = q2;
    }
  }

  // ----- text -----

  // Character data of `n`, references decoded, CDATA kept verbatim.
  std::string plain_text(pugi::xml_node n) {
    std::string out;
    for (pugi::xml_node c : n.children()) {
      if (c.type() == pugi::node_pcdata) decode_references(c.value(), out, &declared_, &issues_);
      else if (c.type() == pugi::node_cdata) out.append(c.value());
      else if (c.type() == pugi::node_element) {
        std::string inner = plain_text(c);
        out += inner;
      }
    }
    return out;
  }
  std::string text(pugi::xml_node n) {
    std::string s = plain_text(n);
    trim_in_place(s);
    return s;
  }

  // Inline markup of `n`'s children serialised back to XML, prefixes dropped.
  void serialize_children(pugi::xml_node n, std::string& out, bool skip_div) {
    for (pugi::xml_node c : n.children()) {
      switch (c.type()) {
        case pugi::node_pcdata: {
          std::string t;
          decode_references(c.value(), t, &declared_, &issues_);
          xml_escape(t, out);
          break;
        }
        case pugi::node_cdata:
          xml_escape(c.value(), out);
          break;
        case pugi::node_element: {
          std::string_view raw = c.name();
          size_t colon = raw.find(':');
          std::string tag = ascii_lower(colon == std::string_view::npos ? raw : raw.substr(colon + 1));
          if (skip_div && tag == "div") {
            serialize_children(c, out, skip_div);
            break;
          }
          out += '<';
          out += tag;
          for (pugi::xml_attribute a : c.attributes()) {
            std::string_view an = a.name();
            if (an.starts_with("xmlns")) continue;
            out += ' ';
            out += ascii_lower(an);
            out += "=\"";
            xml_escape(attr_text(a), out, true);
            out += '"';
          }
          static constexpr std::string_view kVoid[] = {"area", "base", "br", "col", "embed", "hr",
                                                      "img", "input", "link", "meta", "param",
                                                      "source", "track", "wbr"};
          bool is_void = std::find(std::begin(kVoid), std::end(kVoid), tag) != std::end(kVoid);
          if (is_void && !c.first_child()) {
            out += " />";
            break;
          }
          out += '>';
          serialize_children(c, out, false);
          out += "</";
          out += tag;
          out += '>';
          break;
        }
        default:
          break;
      }
    }
  }

  // True when every element child of `n` is a `div` holding text only.
  static bool only_text_divs(pugi::xml_node n) {
    for (pugi::xml_node c : n.children()) {
      if (c.type() != pugi::node_element) continue;
      std::string_view name = c.name();
      std::size_t colon = name.find(':');
      if (colon != std::string_view::npos) name.remove_prefix(colon + 1);
      if (!iequals(name, "div")) return false;
      for (pugi::xml_node g : c.children())
        if (g.type() == pugi::node_element) return false;
    }
    return true;
  }

  struct TextValue {
    std::string value;
    std::string type;
  };

  // sanitize() of `html` into `value`, with its text into `content` when it can be made in
  // passing. Through buffers kept from entry to entry, so that the strings the entry keeps
  // are allocated at their exact size: every body of a large feed is held twice (HTML and
  // text) until normalisation.
  bool sanitize_with_text(std::string_view html, std::string_view base, std::string& value,
                          Content& content) {
    bool ok = html::stream_sanitize_with_text(html, base, /*paragraphs=*/true, sanitized_, text_);
    // As sanitize(): what surrounded dropped markup is not content. Trimming the HTML leaves
    // its text as it is.
    value.assign(trim(sanitized_));
    if (ok) content.text.assign(text_);
    return ok;
  }

  // A text construct (title, summary, content, ...) with feedparser's type rules.
  // `text`, when given, receives the visible text of an HTML value (see Content::text),
  // or nothing when it could not be made in passing.
  TextValue text_construct(pugi::xml_node n, const Scope& scope, std::string_view default_type,
                           bool dangerous = true, Content* text = nullptr) {
    TextValue t;
    std::string type = ascii_lower(trim(attr(n, "type")));
    if (type == "text") type = "text/plain";
    else if (type == "html") type = "text/html";
    else if (type == "xhtml") type = "application/xhtml+xml";
    if (type.empty()) type = std::string(default_type);
    std::string mode = ascii_lower(attr(n, "mode"));
    bool is_xmlish = type.ends_with("xml");
    bool base64 = mode == "base64" ||
                  (is_atom_ && !type.starts_with("text/") && !type.ends_with("+xml") &&
                   !type.ends_with("/xml") && n.attribute("type") && version_ == "atom10" &&
                   false);
    if (is_atom_ && version_ == "atom10" && !type.starts_with("text/") && !is_xmlish && !type.empty())
      base64 = true;
    bool has_elements = false;
    for (pugi::xml_node c : n.children())
      if (c.type() == pugi::node_element) {
        has_elements = true;
        break;
      }
    std::string value;
    // TypePad wraps escaped HTML in a <div> inside type="html" content: the div is a wrapper
    // and its text is still the escaped markup (feedparser ignores such divs too).
    if (has_elements && !is_xmlish && only_text_divs(n)) has_elements = false;
    if (has_elements && mode != "escaped") {
      bool atom_xhtml = version_ == "atom10" && type == "application/xhtml+xml";
      if (!is_xmlish) type = "application/xhtml+xml";
      pugi::xml_node only_div;
      if (atom_xhtml) {
        int elements = 0;
        bool other_text = false;
        for (pugi::xml_node c : n.children()) {
          if (c.type() == pugi::node_element) {
            ++elements;
            only_div = c;
          } else if ((c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) &&
                     !trim(c.value()).empty()) {
            other_text = true;
          }
        }
        std::string_view dn = only_div ? std::string_view(only_div.name()) : std::string_view();
        size_t colon = dn.find(':');
        if (colon != std::string_view::npos) dn = dn.substr(colon + 1);
        if (elements != 1 || other_text || !iequals(dn, "div")) only_div = {};
      }
      if (only_div) serialize_children(only_div, value, false);
      else serialize_children(n, value, !is_xmlish);
    }
    // An HTML body that is one CDATA section (most content:encoded) is sanitised where it
    // lies in the document, without a copy first.
    pugi::xml_node only = n.first_child();
    bool direct = text && dangerous && !base64 && is_html_type(type) && !has_elements && only &&
                  only.type() == pugi::node_cdata && !only.next_sibling();
    bool with_text = false;
    if (direct) {
      std::string_view body = trim(only.value());
      if (contains_any(body, "<&>")) {
        with_text = sanitize_with_text(body, scope.base, value, *text);
      } else {
        value.assign(body);
      }
    } else {
      if (!has_elements || mode == "escaped") value = plain_text(n);
      trim_in_place(value);
      if (base64) {
        if (auto decoded = base64_decode(value)) value = std::move(*decoded);
      }
      if (!is_atom_ && type == "text/plain" && looks_like_html(value)) type = "text/html";
      if (is_html_type(type) && dangerous) {
        if (text && contains_any(value, "<&>")) {
          std::string html;
          html.swap(value);
          with_text = sanitize_with_text(html, scope.base, value, *text);
        } else {
          sanitize_in_place(value, scope.base);
        }
      }
    }
    // The text was made from the value as it stands now: it only holds while nothing below
    // changes the value.
    bool changed = out_.document.encoding == "utf-8" && undo_double_encoding(value);
    changed = map_c1_controls(value) || changed;
    if (text) {
      text->has_text = with_text && !changed;
      if (!text->has_text) std::string().swap(text->text);
    }
    t.value = std::move(value);
    t.type = type;
    return t;
  }

  // A media:content element as feedparser reports it: every attribute, names lower-cased
  // (the last of repeated ones), `type` lower-cased, `url` resolved; keys sorted as
  // json::dump sorts them.
  std::string media_content_json(pugi::xml_node n, const Scope& s) {
    std::map<std::string, std::string> attributes;
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      std::string name = ascii_lower(a.name());
      if (name.starts_with("xmlns")) continue;
      std::string value = attr_text(a);
      if (name == "url") value = resolve_url(s.base, value);
      else if (name == "type") value = ascii_lower(value);
      attributes[std::move(name)] = std::move(value);
    }
    std::string x = "{";
    for (const auto& [key, value] : attributes) {
      if (x.size() > 1) x += ',';
      write_json_string(key, x);
      x += ':';
      write_json_string(value, x);
    }
    x += '}';
    return x;
  }

  // ----- people, dates, links -----

  static Person person_from_string(std::string_view s) {
    Person p;
    std::string str(trim(s));
    // An e-mail address anywhere in the string; the rest, without brackets, is the name.
    size_t at = str.find('@');
    if (at != std::string::npos) {
      size_t b = at, e = at;
      auto ok = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
               c == '+' || c == '%';
      };
      while (b > 0 && ok(str[b - 1])) --b;
      while (e + 1 < str.size() && ok(str[e + 1])) ++e;
      size_t mailto = b >= 7 ? str.rfind("mailto:", b) : std::string::npos;
      if (mailto != std::string::npos && mailto + 7 == b) b = mailto;
      p.email = str.substr(b, e + 1 - b);
      if (p.email.starts_with("mailto:")) p.email = p.email.substr(7);
      std::string rest = str.substr(0, b) + str.substr(e + 1);
      std::string cleaned;
      for (char c : rest)
        if (c != '(' && c != ')' && c != '<' && c != '>') cleaned += c;
      p.name = collapse_whitespace(cleaned);
      if (p.name.empty() && p.email.empty()) p.name = str;
    } else {
      p.name = str;
    }
    return p;
  }

  Person read_structured_person(pugi::xml_node n, const Scope& scope) {
    Person p;
    for (pugi::xml_node c : n.children()) {
      if (c.type() != pugi::node_element) continue;
      std::string q = qname(c);
      Scope cs;
      child_scope(c, scope, cs);
      if (q == "name" || q == "itunes:name") p.name = text(c);
      else if (q == "email" || q == "itunes:email") p.email = text(c);
      else if (q == "uri" || q == "url" || q == "homepage") p.uri = resolve_url(cs.base, text(c));
    }
    return p;
  }

  Person any_person(pugi::xml_node n, const Scope& scope) {
    for (pugi::xml_node c : n.children())
      if (c.type() == pugi::node_element) return read_structured_person(n, scope);
    return person_from_string(text(n));
  }

  void read_date(pugi::xml_node n, UnixSeconds* parsed, std::string* raw) {
    *raw = text(n);
    *parsed = parse_date(*raw);
  }

  void read_link(pugi::xml_node n, const Scope& scope, CommonFields& c, Entry* entry) {
    bool has_href = static_cast<bool>(n.attribute("href"));
    if (!has_href) {
      for (pugi::xml_attribute a : n.attributes())
        if (iequals(a.name(), "href")) has_href = true;
    }
    if (!has_href) {
      std::string v = text(n);
      if (v.empty()) return;
      v = resolve_url(scope.base, v);
      Link l;
      l.href = v;
      l.rel = attr(n, "rel");
      if (l.rel.empty()) l.rel = "alternate";
      l.type = attr(n, "type");
      if (l.type.empty()) l.type = "text/html";
      if (l.rel == "alternate") c.link = v;
      c.links.push_back(std::move(l));
      return;
    }
    Link l;
    l.rel = attr(n, "rel");
    if (l.rel.empty()) l.rel = "alternate";
    l.type = attr(n, "type");
    if (l.type.empty()) l.type = l.rel == "self" ? "application/atom+xml" : "text/html";
    l.href = resolve_url(scope.base, trim(attr(n, "href")));
    l.title = attr(n, "title");
    l.hreflang = attr(n, "hreflang");
    l.length = to_int(attr(n, "length"));
    if (l.rel == "alternate" && is_html_type(ascii_lower(l.type))) c.link = l.href;
    if (l.rel == "enclosure" && entry) {
      Enclosure e;
      e.url = l.href;
      e.type = l.type;
      e.length = l.length;
      entry->enclosures.push_back(std::move(e));
    }
    c.links.push_back(std::move(l));
  }

  void add_category(CommonFields& c, std::string term, std::string scheme, std::string label) {
    if (term.empty() && label.empty()) return;
    for (const auto& existing : c.categories)
      if (existing.term == term && existing.scheme == scheme && existing.label == label) return;
    // Repeats are found by comparing with every category kept, so their number is bounded.
    if (c.categories.size() == kMaxCategories) {
      note_bozo("more than " + std::to_string(kMaxCategories) +
                " categories on one entry or feed");
      return;
    }
    c.categories.push_back({std::move(term), std::move(scheme), std::move(label)});
  }

  void read_image(pugi::xml_node n, const Scope& scope, Image& img) {
    for (pugi::xml_node c : n.children()) {
      if (c.type() != pugi::node_element) continue;
      std::string q = qname(c);
      Scope cs;
      child_scope(c, scope, cs);
      if (q == "url") img.url = resolve_url(cs.base, text(c));
      else if (q == "title") img.title = text_construct(c, cs, "text/plain").value;
      else if (q == "link") img.link = resolve_url(cs.base, text(c));
      else if (q == "width") img.width = static_cast<int>(to_int(text(c)));
      else if (q == "height") img.height = static_cast<int>(to_int(text(c)));
      else if (q == "description") img.description = text_construct(c, cs, "text/html").value;
    }
  }

  // ----- the element table -----

  void read_fields(pugi::xml_node parent, const Scope& scope, Level level, CommonFields& c,
                   FeedInfo* feed, Entry* entry) {
    pugi::xml_node next;
    for (pugi::xml_node n = parent.first_child(); n; n = next) {
      next = n.next_sibling();
      if (n.type() == pugi::node_element) {
        size_t ns_mark = ns_.size();
        push_namespaces(n);
        Scope s;
        child_scope(n, scope, s);
        read_field(n, qname(n), s, level, c, feed, entry);
        ns_.resize(ns_mark);
      }
      // Feed-level children are read once, in order: giving their nodes back to pugixml
      // as we go frees the tree's pages, so a huge feed never holds its whole tree and
      // all its entries at once.
      if (level == Level::kFeed) parent.remove_child(n);
    }
  }

  // `q` is the element's qualified name; field_of says which branch below reads it.
  void read_field(pugi::xml_node n, std::string_view q, const Scope& s, Level level,
                  CommonFields& c, FeedInfo* feed, Entry* entry) {
    const Field f = field_of(q);
    if (f == Field::kEntry) {
      if (level == Level::kFeed) read_entry(n, s);
      return;
    }
    if (f == Field::kChannel) {
      if (level == Level::kFeed && feed) read_fields(n, s, level, c, feed, entry);
      return;
    }
    if (f == Field::kTitle) {
      TextValue t = text_construct(n, s, "text/plain");
      c.title = std::move(t.value);
      c.title_type = std::move(t.type);
    } else if (f == Field::kLink) {
      read_link(n, s, c, entry);
    } else if (f == Field::kId) {
      std::string v = text(n);
      bool is_link = true;
      if (q == "guid") {
        std::string perma = ascii_lower(trim(attr(n, "ispermalink")));
        is_link = perma != "false";
        if (entry) {
          entry->guid_is_permalink = is_link;
        }
        if (is_link && !v.empty() && entry) guid_link_ = resolve_url(s.base, v);
      }
      // Like feedparser, an id that is a relative link is resolved against the base; bare
      // tokens ("375129") stay as the publisher wrote them.
      if (is_link && q != "dc:identifier" && !v.empty() &&
          (v.find('/') != std::string::npos || v.starts_with(".")))
        v = resolve_url(s.base, v);
      if (q != "dc:identifier" || c.id.empty()) c.id = v;
    } else if (f == Field::kDescription) {
      TextValue t = text_construct(n, s, "text/html");
      if (entry && summary_from_ == "summary") {
        // Both <summary> and <description>: the second one is the body.
        entry->content.push_back(
            {std::move(t.value), std::move(t.type), std::string(s.lang), std::string(s.base), ""});
      } else if (entry) {
        summary_from_ = "description";
        entry->summary = std::move(t.value);
        entry->summary_type = std::move(t.type);
      } else if (feed) {
        feed->subtitle = std::move(t.value);
        feed->subtitle_type = std::move(t.type);
      }
    } else if (f == Field::kSummary) {
      TextValue t = text_construct(n, s, "text/plain");
      if (entry) {
        if (q == "itunes:summary" && !entry->summary.empty()) return;
        if (q == "summary" && !is_atom_ && summary_from_ == "description") {
          entry->content.push_back(
            {std::move(t.value), std::move(t.type), std::string(s.lang), std::string(s.base), ""});
          return;
        }
        if (q == "summary") summary_from_ = "summary";
        entry->summary = std::move(t.value);
        entry->summary_type = std::move(t.type);
      } else if (feed && (q == "summary" || feed->subtitle.empty())) {
        feed->subtitle = std::move(t.value);
        feed->subtitle_type = std::move(t.type);
      }
    } else if (f == Field::kSubtitle) {
      TextValue t = text_construct(n, s, "text/plain");
      if (feed && (q != "itunes:subtitle" || feed->subtitle.empty())) {
        feed->subtitle = std::move(t.value);
        feed->subtitle_type = std::move(t.type);
      } else if (entry) {
        entry->ext["subtitle"] = t.value;
      }
    } else if (f == Field::kContent) {
      if (!entry) return;
      std::string_view def = q == "content" ? "text/plain"
                             : (q == "xhtml:body" || q == "body") ? "application/xhtml+xml"
                                                                   : "text/html";
      Content ct;
      if (q == "xhtml:body" || q == "body") {
        std::string v;
        serialize_children(n, v, false);
        ct.value = sanitize(trim(v), s.base);
        ct.type = std::string(def);
      } else {
        TextValue t = text_construct(n, s, def, /*dangerous=*/true, &ct);
        ct.value = std::move(t.value);
        ct.type = std::move(t.type);
      }
      ct.language = s.lang;
      ct.base = s.base;
      std::string src = attr(n, "src");
      if (!src.empty()) ct.src = resolve_url(s.base, src);
      entry->content.push_back(std::move(ct));
    } else if (f == Field::kRights) {
      c.rights = text_construct(n, s, "text/plain").value;
    } else if (f == Field::kInfo) {
      if (feed) feed->info = text_construct(n, s, "text/plain").value;
    } else if (f == Field::kLanguage) {
      c.language = text(n);
    } else if (f == Field::kPublished) {
      read_date(n, &c.published, &c.published_raw);
    } else if (f == Field::kUpdated) {
      read_date(n, &c.updated, &c.updated_raw);
    } else if (f == Field::kCreated) {
      if (entry) read_date(n, &entry->created, &entry->created_raw);
      else if (feed) read_date(n, &feed->created, &feed->created_raw);
    } else if (f == Field::kExpirationdate) {
      if (entry) read_date(n, &entry->expired, &entry->expired_raw);
    } else if (f == Field::kAuthor) {
      Person p = any_person(n, s);
      if (p.empty()) return;
      if (q == "itunes:author" && !c.author.empty()) return;
      c.author = p;
      c.authors.push_back(std::move(p));
    } else if (f == Field::kContributor) {
      Person p = any_person(n, s);
      if (!p.empty()) c.contributors.push_back(std::move(p));
    } else if (f == Field::kPublisher) {
      Person p = any_person(n, s);
      if (!p.empty()) c.publisher = std::move(p);
    } else if (f == Field::kCategory) {
      std::string term = attr(n, "term");
      std::string scheme = attr(n, "scheme");
      if (scheme.empty()) scheme = attr(n, "domain");
      std::string label = attr(n, "label");
      std::string value = text(n);
      if (term.empty()) term = value;
      add_category(c, std::move(term), std::move(scheme), std::move(label));
    } else if (f == Field::kItunesCategory) {
      add_category(c, attr(n, "text"), "http://www.itunes.com/", "");
      read_fields(n, s, level, c, feed, entry);
    } else if (f == Field::kItunesKeywords) {
      std::string v = text(n);
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        std::string term(trim(std::string_view(v).substr(pos, comma - pos)));
        if (!term.empty()) add_category(c, term, "http://www.itunes.com/", "");
        pos = comma + 1;
      }
    } else if (f == Field::kEnclosure) {
      if (!entry) return;
      Enclosure e;
      e.url = resolve_url(s.base, trim(attr(n, "url")));
      e.type = attr(n, "type");
      e.length = to_int(attr(n, "length"));
      if (e.url.empty()) e.url = resolve_url(s.base, trim(attr(n, "href")));
      Link l;
      l.href = e.url;
      l.rel = "enclosure";
      l.type = e.type;
      l.length = e.length;
      c.links.push_back(std::move(l));
      entry->enclosures.push_back(std::move(e));
    } else if (f == Field::kComments) {
      if (entry) entry->comments = resolve_url(s.base, text(n));
    } else if (f == Field::kSource) {
      if (!entry) return;
      FeedInfo src;
      bool structured = false;
      for (pugi::xml_node ch : n.children())
        if (ch.type() == pugi::node_element) structured = true;
      if (structured) {
        read_fields(n, s, Level::kSource, src, &src, nullptr);
      } else {
        src.title = text(n);
        std::string url = attr(n, "url");
        if (!url.empty()) {
          src.link = resolve_url(s.base, url);
          src.ext["href"] = src.link;
        }
      }
      entry->source = std::make_shared<const FeedInfo>(std::move(src));
    } else if (f == Field::kImage) {
      if (feed && level == Level::kFeed) read_image(n, s, feed->image);
    } else if (f == Field::kThumbnail) {
      std::string url = attr(n, "url");
      if (!url.empty()) url = resolve_url(s.base, url);
      if (q == "media:thumbnail") {
        // Written as text, keys in the order json::dump sorts them: feeds send a thumbnail
        // with every entry.
        std::string x = "{";
        auto put = [&x](std::string_view key, const std::string& v) {
          if (v.empty()) return;
          if (x.size() > 1) x += ',';
          write_json_string(key, x);
          x += ':';
          write_json_string(v, x);
        };
        put("height", attr(n, "height"));
        put("time", attr(n, "time"));
        put("url", url);
        put("width", attr(n, "width"));
        x += '}';
        append_to_json_list(c.ext_json["media_thumbnail"], x);
      }
      std::string href = q == "itunes:image" ? attr(n, "href") : std::string();
      href = href.empty() ? std::move(url) : resolve_url(s.base, href);
      if (href.empty()) return;
      if (feed && feed->image.url.empty()) feed->image.url = href;
      if (entry && entry->image.empty()) entry->image = href;
    } else if (f == Field::kMediaContent) {
      std::string medium = attr(n, "medium");
      std::string type = attr(n, "type");
      if (entry && entry->image.empty() && (medium == "image" || type.starts_with("image/")))
        entry->image = resolve_url(s.base, attr(n, "url"));
      append_to_json_list(c.ext_json["media_content"], media_content_json(n, s));
      read_fields(n, s, level, c, feed, entry);
    } else if (f == Field::kMediaCategory) {
      add_category(c, text(n), attr(n, "scheme").empty() ? "http://search.yahoo.com/mrss/category_schema" : attr(n, "scheme"), attr(n, "label"));
    } else if (f == Field::kMediaTitle) {
      if (c.title.empty()) {
        TextValue t = text_construct(n, s, "text/plain");
        c.title = std::move(t.value);
        c.title_type = std::move(t.type);
      }
    } else if (f == Field::kMediaDescription) {
      if (entry && entry->summary.empty()) {
        TextValue t = text_construct(n, s, "text/plain");
        entry->summary = std::move(t.value);
        entry->summary_type = std::move(t.type);
      }
    } else if (f == Field::kCloud) {
      if (!feed) return;
      for (const char* a : {"domain", "port", "path", "registerprocedure", "protocol"})
        feed->cloud[a] = attr(n, a);
    } else if (f == Field::kTextinput) {
      if (!feed || level != Level::kFeed) return;
      for (pugi::xml_node ch : n.children()) {
        if (ch.type() != pugi::node_element) continue;
        std::string cq = qname(ch);
        if (cq == "title" || cq == "description" || cq == "name") feed->textinput[cq] = text(ch);
        else if (cq == "link") feed->textinput[cq] = resolve_url(s.base, text(ch));
      }
    } else if (f == Field::kDctermsValid) {
      std::string v = text(n);
      size_t pos = 0;
      while (pos < v.size()) {
        size_t semi = v.find(';', pos);
        if (semi == std::string::npos) semi = v.size();
        std::string_view part = trim(std::string_view(v).substr(pos, semi - pos));
        size_t eq = part.find('=');
        if (eq != std::string_view::npos) {
          std::string key(trim(part.substr(0, eq)));
          std::string val(trim(part.substr(eq + 1)));
          if (key == "start" || key == "end") {
            c.ext["validity_" + key] = val;
            if (auto t = parse_date(val)) c.ext["validity_" + key + "_parsed"] = format_rfc3339(*t);
          }
        }
        pos = semi + 1;
      }
    } else if (f == Field::kGeo) {
      read_geo(n, q, c);
    } else if (f == Field::kPscChapters) {
      if (c.ext_json.count("psc_chapters")) return;  // only the first list counts
      nlohmann::json chapters = nlohmann::json::array();
      for (pugi::xml_node ch : n.children()) {
        if (ch.type() != pugi::node_element || qname(ch) != "psc:chapter") continue;
        nlohmann::json x = nlohmann::json::object();
        for (const char* a : {"start", "title", "href", "image"}) {
          std::string v = attr(ch, a);
          if (!v.empty()) x[a] = v;
        }
        if (auto secs = clock_seconds(attr(ch, "start"))) x["start_parsed"] = *secs;
        chapters.push_back(std::move(x));
      }
      nlohmann::json j = {{"version", attr(n, "version")}, {"chapters", std::move(chapters)}};
      c.ext_json["psc_chapters"] = j.dump();
    } else if (f == Field::kMediaCredit) {
      nlohmann::json x = nlohmann::json::object();
      for (const char* a : {"role", "scheme"}) {
        std::string v = attr(n, a);
        if (!v.empty()) x[a] = v;
      }
      x["content"] = text(n);
      append_to_json_list(c.ext_json["media_credit"], x.dump());
    } else if (f == Field::kThrInReplyTo) {
      nlohmann::json x = nlohmann::json::object();
      for (pugi::xml_attribute a : n.attributes()) {
        std::string an = ascii_lower(a.name());
        if (an.starts_with("xmlns")) continue;
        std::string v = attr_text(a);
        x[an] = an == "href" ? resolve_url(s.base, v) : v;
      }
      c.ext_json["thr_in-reply-to"] = x.dump();
    } else if (f == Field::kMediaMeta) {
      nlohmann::json x = nlohmann::json::object();
      for (pugi::xml_attribute a : n.attributes()) {
        std::string an = ascii_lower(a.name());
        if (an.starts_with("xmlns")) continue;
        std::string v = attr_text(a);
        x[an] = (an == "href" || an == "url") ? resolve_url(s.base, v) : v;
      }
      std::string v = text(n);
      if (q == "media:restriction") {
        nlohmann::json codes = nlohmann::json::array();
        std::string cur;
        for (char ch : v + " ") {
          if (std::isspace(static_cast<unsigned char>(ch))) {
            if (!cur.empty()) codes.push_back(ascii_lower(cur));
            cur.clear();
          } else {
            cur += ch;
          }
        }
        x["content"] = std::move(codes);
      } else if (!v.empty()) {
        x["content"] = v;
      }
      std::string key = "media_" + std::string(q.substr(6));
      c.ext_json[key] = x.dump();
    } else if (f == Field::kMediaGroup) {
      read_fields(n, s, level, c, feed, entry);
    } else if (f == Field::kIcon) {
      if (feed) feed->icon = resolve_url(s.base, text(n));
    } else if (f == Field::kLogo) {
      if (feed) feed->logo = resolve_url(s.base, text(n));
    } else if (f == Field::kGenerator) {
      if (!feed) return;
      feed->generator.name = text(n);
      std::string uri = attr(n, "uri");
      if (uri.empty()) uri = attr(n, "url");
      if (!uri.empty()) feed->generator.uri = resolve_url(s.base, uri);
      feed->generator.version = attr(n, "version");
    } else if (f == Field::kAdminGeneratoragent) {
      if (feed) feed->generator.uri = resolve_url(s.base, attr(n, "rdf:resource"));
    } else if (f == Field::kDocs) {
      if (feed) feed->docs = resolve_url(s.base, text(n));
    } else if (f == Field::kTtl) {
      if (feed) feed->ttl_minutes = static_cast<int>(to_int(text(n)));
    } else if (f == Field::kSyUpdateperiod) {
      if (!feed) return;
      std::string p = ascii_lower(text(n));
      int secs = p == "hourly" ? 3600 : p == "daily" ? 86400 : p == "weekly" ? 604800
               : p == "monthly" ? 2592000 : p == "yearly" ? 31536000 : 0;
      if (secs) feed->update_period_seconds = secs;
    } else if (f == Field::kLicense) {
      std::string v = attr(n, "rdf:resource");
      if (v.empty()) v = attr(n, "href");
      if (v.empty()) v = text(n);
      if (feed) feed->license = v;
      else c.ext["license"] = v;
    } else if (f == Field::kItunesFlag) {
      // Exact match on purpose: iTunes itself only honours the bare lower-case values.
      std::string v = plain_text(n);
      if (q == "itunes:block") c.ext["itunes_block"] = v == "yes" ? "1" : "0";
      else if (v == "yes" || v == "true" || v == "explicit") c.ext["itunes_explicit"] = "true";
      else if (v == "no" || v == "false" || v == "clean") c.ext["itunes_explicit"] = "false";
    } else if (f == Field::kItunesLink) {
      if (attr(n, "rel") != "image") return;
      std::string href = resolve_url(s.base, attr(n, "href"));
      if (feed && feed->image.url.empty()) feed->image.url = href;
      if (entry && entry->image.empty()) entry->image = href;
    } else if (f == Field::kItunesDuration) {
      c.ext["itunes_duration"] = text(n);
    } else if (f == Field::kWfwComment) {
      c.ext[q == "wfw:comment" ? "wfw_comment" : "wfw_commentrss"] = resolve_url(s.base, text(n));
    } else if (f == Field::kRedirect) {
      if (feed) read_fields(n, s, level, c, feed, entry);
    } else if (f == Field::kNewlocation) {
      if (feed) feed->ext["newlocation"] = text(n);
    } else if (f == Field::kTags) {
      std::string v = text(n);
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t comma = v.find(',', pos);
        if (comma == std::string::npos) comma = v.size();
        std::string term(trim(std::string_view(v).substr(pos, comma - pos)));
        if (!term.empty()) add_category(c, term, "", "");
        pos = comma + 1;
      }
    } else if (f == Field::kFeedburnerBrowserfriendly) {
      if (feed) feed->info = text_construct(n, s, "text/plain").value;
    } else if (!n.find_child([](pugi::xml_node x) { return x.type() == pugi::node_element; })) {
      // Unknown extension elements are kept under feedparser's prefix_local names.
      // Unprefixed unknown elements too (first one at the shallowest level wins).
      std::string key(q);
      std::replace(key.begin(), key.end(), ':', '_');
      if (c.ext.size() < 64) c.ext.emplace(std::move(key), text(n));
    }
  }

  void read_geo(pugi::xml_node n, std::string_view q, CommonFields& c) {
    nlohmann::json where = nlohmann::json::object();
    if (q.starts_with("georss:") && q != "georss:where") {
      std::string v = text(n);
      nlohmann::json pts = geo_points(v, 2, true);
      if (pts.empty()) return;
      if (q == "georss:point") {
        where = {{"type", "Point"}, {"coordinates", pts[0]}};
      } else if (q == "georss:line") {
        where = {{"type", "LineString"}, {"coordinates", pts}};
      } else if (q == "georss:polygon") {
        if (pts.size() < 4) return;  // a ring needs at least four positions
        where = {{"type", "Polygon"}, {"coordinates", nlohmann::json::array({pts})}};
      } else {
        where = {{"type", "Box"}, {"coordinates", pts}};
      }
    } else {
      pugi::xml_node geom = n;
      if (q == "georss:where") {
        geom = {};
        for (pugi::xml_node ch : n.children())
          if (ch.type() == pugi::node_element) {
            geom = ch;
            break;
          }
        if (!geom) return;
      }
      std::string g = qname(geom);
      std::string srs = attr(geom, "srsName");
      int dim = static_cast<int>(to_int(attr(geom, "srsDimension")));
      if (dim < 2) dim = 2;
      // Latitude-first reference systems (WGS 84 and its 3-D form) are swapped to lon/lat.
      bool swap = srs.empty() || srs.find("4326") != std::string::npos ||
                  srs.find("4979") != std::string::npos;
      auto find_text = [&](pugi::xml_node from, const char* local) -> std::string {
        pugi::xml_node found = from.find_node([local](pugi::xml_node d) {
          std::string_view nm = d.name();
          size_t colon = nm.find(':');
          return d.type() == pugi::node_element &&
                 iequals(colon == std::string_view::npos ? nm : nm.substr(colon + 1), local);
        });
        return found ? text(found) : std::string();
      };
      if (g == "gml:point") {
        nlohmann::json pts = geo_points(find_text(geom, "pos"), dim, swap);
        if (pts.empty()) return;
        where = {{"type", "Point"}, {"coordinates", pts[0]}};
      } else if (g == "gml:linestring") {
        nlohmann::json pts = geo_points(find_text(geom, "posList"), dim, swap);
        if (pts.empty()) return;
        where = {{"type", "LineString"}, {"coordinates", pts}};
      } else if (g == "gml:polygon") {
        nlohmann::json pts = geo_points(find_text(geom, "posList"), dim, swap);
        if (pts.empty()) return;
        where = {{"type", "Polygon"}, {"coordinates", nlohmann::json::array({pts})}};
      } else {
        return;
      }
    }
    c.ext_json["where"] = where.dump();
  }

  void read_entry(pugi::xml_node n, const Scope& scope) {
    // Built in place: an Entry is large, and nothing else is added to the list while it is read.
    Entry& e = out_.entries.emplace_back();
    guid_link_.clear();
    summary_from_.clear();
    if (version_ == "cdf") {
      std::string href = attr(n, "href");
      if (!href.empty()) {
        e.link = resolve_url(scope.base, href);
        Link l;
        l.href = e.link;
        l.rel = "alternate";
        l.type = "text/html";
        e.links.push_back(std::move(l));
      }
      std::string lastmod = attr(n, "lastmod");
      if (!lastmod.empty()) {
        e.updated_raw = lastmod;
        e.updated = parse_date(lastmod);
      }
    }
    read_fields(n, scope, Level::kEntry, e, nullptr, &e);
    if (e.id.empty() && version_.starts_with("rss")) {
      std::string about = attr(n, "rdf:about");
      if (!about.empty()) e.id = about;
    }
    // A permalink guid stands in for the link only when the item has none (feedparser's
    // guidislink).
    if (e.link.empty() && e.guid_is_permalink) {
      e.ext["guidislink"] = "true";
      e.link = guid_link_;
    }
    // Like feedparser, an entry without a summary shows its first text or HTML content.
    if (e.summary.empty()) {
      for (const auto& ct : e.content) {
        if (ct.type == "text/plain" || is_html_type(ct.type)) {
          e.summary = ct.value;
          e.summary_type = ct.type;
          break;
        }
      }
    }
    if (e.language.empty()) e.language = scope.lang;
  }

  // ----- roots -----

  void set_version(std::string v) {
    version_ = std::move(v);
    auto& d = out_.document;
    d.version = version_;
    if (version_.starts_with("rss")) {
      d.format = "rss";
      static constexpr std::pair<std::string_view, std::string_view> kRss[] = {
          {"rss090", "0.90"}, {"rss091n", "0.91"}, {"rss091u", "0.91"}, {"rss092", "0.92"},
          {"rss093", "0.93"}, {"rss094", "0.94"}, {"rss10", "1.0"},     {"rss20", "2.0"}};
      for (const auto& [k, fv] : kRss)
        if (version_ == k) d.format_version = fv;
    } else if (version_.starts_with("atom")) {
      d.format = "atom";
      is_atom_ = true;
      if (version_ == "atom10") d.format_version = "1.0";
      else if (version_ == "atom03") d.format_version = "0.3";
      else if (version_ == "atom02") d.format_version = "0.2";
      else if (version_ == "atom01") d.format_version = "0.1";
    } else if (version_ == "cdf") {
      d.format = "cdf";
    }
  }

  void read_root(pugi::xml_node root, const Scope& parent_scope) {
    push_namespaces(root);
    std::string_view uri;
    std::string q = qname(root, &uri);
    Scope scope;
    child_scope(root, parent_scope, scope);
    FeedInfo& feed = out_.feed;
    if (q == "rss") {
      std::string v(trim(attr(root, "version")));
      if (v == "0.91") set_version(netscape_ ? "rss091n" : "rss091u");
      else if (v == "0.92") set_version("rss092");
      else if (v == "0.93") set_version("rss093");
      else if (v == "0.94") set_version("rss094");
      else if (v.starts_with("2.")) set_version("rss20");
      else set_version("rss");
    } else if (q == "rdf:rdf") {
      bool netscape = false;
      for (const auto& d : ns_)
        if (iequals(trim(d.uri), "http://my.netscape.com/rdf/simple/0.9/")) netscape = true;
      set_version(netscape ? "rss090" : "rss10");
    } else if (q == "feed") {
      if (uri == kAtom10) {
        set_version("atom10");
      } else {
        std::string v(trim(attr(root, "version")));
        if (v == "0.1") set_version("atom01");
        else if (v == "0.2") set_version("atom02");
        else if (v == "0.3") set_version("atom03");
        else set_version("atom");
      }
    } else if (q == "channel") {
      set_version("cdf");
      std::string href = attr(root, "href");
      if (!href.empty()) {
        feed.link = resolve_url(scope.base, href);
        feed.links.push_back({feed.link, "alternate", "text/html", "", "", 0});
      }
      std::string lastmod = attr(root, "lastmod");
      if (!lastmod.empty()) {
        feed.updated_raw = lastmod;
        feed.updated = parse_date(lastmod);
      }
    } else {
      // Not a feed root: look one level down (feeds wrapped in an envelope) before giving up.
      for (pugi::xml_node c : root.children()) {
        if (c.type() != pugi::node_element) continue;
        size_t mark = ns_.size();
        push_namespaces(c);
        std::string cq = qname(c);
        ns_.resize(mark);
        if (cq == "rss" || cq == "feed" || cq == "rdf:rdf") {
          read_root(c, scope);
          return;
        }
      }
      // An HTML page is not a feed; other XML vocabularies are read as empty feeds.
      if (q == "html" || q == "xhtml:html") {
        out_.document.fatal = true;
        out_.document.fatal_reason = "not a feed: root element <" + std::string(root.name()) + ">";
      }
      return;
    }
    if (!scope.lang.empty()) feed.language = scope.lang;
    reserve_entries(root);
    read_fields(root, scope, Level::kFeed, feed, &feed, nullptr);
  }

  // Entries are large; growing the vector by doubling would keep up to twice the space
  // (and, while it moves, three times) for a feed with thousands of them.
  void reserve_entries(pugi::xml_node root) {
    auto is_entry = [](pugi::xml_node n) {
      std::string_view name = n.name();
      size_t colon = name.find(':');
      if (colon != std::string_view::npos) name.remove_prefix(colon + 1);
      return iequals(name, "item") || iequals(name, "entry");
    };
    size_t count = 0;
    for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
      if (n.type() != pugi::node_element) continue;
      if (is_entry(n)) {
        ++count;
      } else {
        for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling())
          if (c.type() == pugi::node_element && is_entry(c)) ++count;
      }
    }
    out_.entries.reserve(count);
  }

  ParsedFeed& out_;
  const DocumentInfo& info_;
  std::vector<NsDecl> ns_;
  bool too_many_namespaces_ = false;  // declarations beyond kMaxNamespacesInScope met
  struct KnownAnswer {
    std::string uri;
    const KnownNamespace* answer = nullptr;
  };
  std::array<KnownAnswer, 8> known_;  // known_namespace's last questions and answers
  size_t known_count_ = 0;
  size_t known_next_ = 0;
  DeclaredEntities declared_;
  EntityIssues issues_;
  std::string version_;
  std::string guid_link_;
  std::string summary_from_;  // which element gave the entry summary (RSS pairs)
  std::string sanitized_;     // scratch for sanitised bodies and their text
  std::string text_;
  bool is_atom_ = false;
  bool netscape_ = false;
};

// Removes characters XML 1.0 forbids; true when there were any.
bool strip_control_chars(std::string& s) {
  auto bad = [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
  };
  size_t first = first_control_char(s);
  if (first == s.size()) return false;
  auto it = s.begin() + static_cast<std::ptrdiff_t>(first);
  s.erase(std::remove_if(it, s.end(), bad), s.end());
  return true;
}

bool looks_like_json(std::string_view bytes) {
  for (char c : bytes) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

// `owned`, when set, holds `bytes`; it is released once the document has been read into
// the tree, so a large document is not held twice while its entries are built.
ParsedFeed parse_feed_impl(std::string_view bytes, std::string* owned, const DocumentInfo& info) {
  ParsedFeed feed;
  std::string_view body = bytes;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  if (trim(body).empty()) {
    feed.document.fatal = true;
    feed.document.fatal_reason = "empty document";
    return feed;
  }
  if (looks_like_json(body)) return parse_json_feed(body, info);

  DecodedText decoded = decode_document(bytes, info.content_type, true);
  feed.document.encoding = decoded.encoding;
  if (decoded.bozo) {
    feed.document.bozo = true;
    feed.document.bozo_reason = decoded.bozo_reason;
  }
  std::string& text = decoded.utf8;
  if (strip_control_chars(text) && !feed.document.bozo) {
    feed.document.bozo = true;
    feed.document.bozo_reason = "not well-formed (invalid control character)";
  }
  // The XML declaration still names the original charset; the text is UTF-8 now.
  pugi::xml_document doc;
  constexpr unsigned kFlags = (pugi::parse_cdata | pugi::parse_eol | pugi::parse_wconv_attribute |
                               pugi::parse_doctype | pugi::parse_ws_pcdata);
  pugi::xml_parse_result r = doc.load_buffer_inplace(text.data(), text.size(), kFlags,
                                                     pugi::encoding_utf8);
  if (!r) {
    std::string reason = std::string("not well-formed (") + r.description() + " at offset " +
                         std::to_string(r.offset) + ")";
    if (!feed.document.bozo) feed.document.bozo_reason = reason;
    feed.document.bozo = true;
    // The strict parse consumed the buffer in place: decode again for the repair.
    DecodedText again = decode_document(bytes, info.content_type, true);
    strip_control_chars(again.utf8);
    std::string repaired = repair_xml(again.utf8);
    text.swap(repaired);
    doc.reset();
    r = doc.load_buffer_inplace(text.data(), text.size(), kFlags, pugi::encoding_utf8);
  }
  if (owned) std::string().swap(*owned);
  FeedReader reader(feed, info);
  reader.read_document(doc);
  return feed;
}

}  // namespace

ParsedFeed parse_feed(std::string_view bytes, const DocumentInfo& info) {
  return parse_feed_impl(bytes, nullptr, info);
}

ParsedFeed parse_feed_owned(std::string bytes, const DocumentInfo& info) {
  std::string owned = std::move(bytes);
  return parse_feed_impl(owned, &owned, info);
}

}  // namespace feedpipe::parser
