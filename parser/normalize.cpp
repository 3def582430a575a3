#include "parser/normalize.h"

#include <unordered_set>

#include "common/hash.h"
#include "common/time.h"
#include "common/url.h"
#include "parser/html/sanitize.h"
#include "parser/name_table.h"
#include "parser/text.h"

namespace feedpipe::parser {
namespace {

bool is_html(std::string_view type) {
  return type == "text/html" || type == "application/xhtml+xml";
}

bool is_block_tag(std::string_view tag) {
  static const NameSet kBlock = {
      "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
      "pre", "table", "tr", "td", "th", "hr", "section", "article", "figure", "figcaption", "dd",
      "dt", "dl", "header", "footer", "aside", "nav"};
  char lower[16];  // longer than any block tag's name
  if (tag.empty() || tag.size() > sizeof lower) return false;
  for (size_t i = 0; i < tag.size(); ++i)
    lower[i] = tag[i] >= 'A' && tag[i] <= 'Z' ? static_cast<char>(tag[i] + 32) : tag[i];
  return kBlock.contains(std::string_view(lower, tag.size()));
}

// One-line text of HTML the parser already sanitised (no scripts or styles left, tags
// balanced): tags dropped, block boundaries become spaces, references decoded, whitespace
// collapsed. Every entry's title and summary come through here: the steps between run in
// buffers kept from call to call.
std::string strip_sanitized(std::string_view html) {
  thread_local std::string raw, decoded;
  raw.clear();
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) lt = html.size();
    raw.append(html.substr(i, lt - i));
    if (lt == html.size()) break;
    size_t gt = html.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string_view tag = html.substr(lt + 1, gt - lt - 1);
    if (!tag.empty() && tag[0] == '/') tag.remove_prefix(1);
    size_t end = 0;
    while (end < tag.size() && std::isalnum(static_cast<unsigned char>(tag[end]))) ++end;
    if (is_block_tag(tag.substr(0, end))) raw += ' ';
    i = gt + 1;
  }
  decoded.clear();
  decode_references(raw, decoded, nullptr, nullptr);
  std::string text = collapse_whitespace(decoded);
  if (raw.capacity() > (1u << 20)) std::string().swap(raw);  // not after a huge one
  if (decoded.capacity() > (1u << 20)) std::string().swap(decoded);
  return text;
}

// Plain text of a feed text construct: markup stripped for HTML, whitespace collapsed, NFC.
std::string plain(std::string_view value, std::string_view type, bool paragraphs = false) {
  if (value.empty()) return {};
  bool html = is_html(type) || type.empty();
  bool markup = html && contains_any(value, "<&");
  std::string text;
  if (!markup && paragraphs) text = trim(value);
  else if (!markup) text = collapse_whitespace(value);
  else if (paragraphs) text = html::html_to_text(value, paragraphs);
  else text = strip_sanitized(value);
  if (paragraphs) trim_in_place(text);
  nfc_in_place(text);
  return text;
}

// The feed's title as text. Every entry of a feed carries it, so the last one is kept.
const std::string& feed_title_text(const FeedInfo& feed) {
  thread_local std::string title, type, text;
  if (text.empty() || feed.title != title || feed.title_type != type) {
    title = feed.title;
    type = feed.title_type;
    text = plain(title, type);
  }
  return text;
}

// The richest body the entry has: HTML content first, then any content, then the summary.
template <class E>
auto* best_content(E& entry) {
  decltype(&entry.content[0]) best = nullptr;
  for (auto& c : entry.content) {
    if (is_html(c.type)) return &c;
    if (!best) best = &c;
  }
  return best;
}

// E is `const Entry` (the entry is copied from) or `Entry` (its bodies, people and
// enclosures are moved into the item: a body is most of an entry's bytes).
template <class E>
Item make_item(const ParsedFeed& feed, E& entry, const NormalizeOptions& options) {
  Item item;
  const std::string_view feed_url = options.feed_url;
  // The parser resolved links against the document; anything still relative uses the feed url.
  item.link = entry.link.empty() ? std::string() : resolve_url(feed_url, entry.link);
  item.url = item.link.empty() ? std::string()
             : options.tracking_params ? canonicalize_url(item.link, *options.tracking_params)
                                       : canonicalize_url(item.link);
  item.guid = entry.id;
  item.title = plain(entry.title, entry.title_type.empty() ? "text/html" : entry.title_type);
  item.summary = plain(entry.summary, entry.summary_type.empty() ? "text/html" : entry.summary_type);

  if (auto* c = best_content(entry)) {
    if (is_html(c->type)) {
      if (c->has_text && contains_any(c->value, "<&")) {
        // What plain() would make of the HTML, read by the parser while sanitising it.
        item.content_text = std::move(c->text);
        trim_in_place(item.content_text);
        nfc_in_place(item.content_text);
      } else {
        item.content_text = plain(c->value, c->type, true);
      }
      item.content_html = std::move(c->value);  // sanitised by the parser already
    } else {
      std::string escaped;
      xml_escape(c->value, escaped);
      item.content_html = "<p>" + escaped + "</p>";
      item.content_text = trim(c->value);
      nfc_in_place(item.content_text);
    }
  } else if (!entry.summary.empty()) {
    item.content_html = is_html(entry.summary_type) || entry.summary_type.empty()
                            ? entry.summary
                            : std::string();
    item.content_text = plain(entry.summary, entry.summary_type, true);
  }

  // Identity (DESIGN.md section 3): canonical link, else feed + guid, else feed + content hash.
  if (!item.url.empty()) {
    item.key = item.url;
  } else if (!entry.id.empty()) {
    item.key = std::string(feed_url) + "#" + entry.id;
  } else {
    std::string published = entry.published ? format_rfc3339(*entry.published) : std::string();
    item.key = std::string(feed_url) + "#" +
               sha256_hex(item.title + "\n" + published + "\n" + item.content_text +
                          "\n" + item.summary);
  }
  item.id = item_id(item.key);

  for (auto& p : entry.authors)
    if (!p.empty()) item.authors.push_back(std::move(p));
  if (item.authors.empty() && !entry.author.empty()) item.authors.push_back(std::move(entry.author));
  // Repeats are dropped, first one kept. Most entries have a few categories; a long list
  // (JSON Feed's tags are not bounded by the parser) is checked through a hash set.
  std::unordered_set<std::string> seen_terms;
  for (const auto& c : entry.categories) {
    std::string term = nfc(collapse_whitespace(c.term.empty() ? c.label : c.term));
    if (term.empty()) continue;
    bool dup = false;
    if (entry.categories.size() <= 16) {
      for (const auto& t : item.categories) dup = dup || t == term;
    } else {
      dup = !seen_terms.insert(term).second;
    }
    if (!dup) item.categories.push_back(std::move(term));
  }
  item.published = entry.published ? entry.published : entry.updated;
  item.updated = entry.updated;
  item.fetched_at = options.fetched_at_unix ? UnixSeconds(options.fetched_at_unix) : std::nullopt;
  item.language = !entry.language.empty() ? entry.language : feed.feed.language;
  item.image = entry.image;
  if (item.image.empty()) {
    for (const auto& e : entry.enclosures)
      if (e.type.starts_with("image/")) {
        item.image = e.url;
        break;
      }
  }
  item.enclosures = std::move(entry.enclosures);
  item.feed = {std::string(feed_url), feed_title_text(feed.feed), feed.feed.link};
  // A revision is a change a reader would see: the title or the body text. The summary is
  // left out because feeds carrying the same story differ in whether they send a teaser,
  // and content_text already falls back to the summary when there is no body.
  // The hashed text is built in a buffer kept between calls: bodies are kilobytes long.
  thread_local std::string revision;
  revision.assign(item.title);
  revision += '\x1f';
  revision += item.content_text;
  item.content_sha256 = sha256_hex(revision);
  if (revision.capacity() > (1u << 20)) std::string().swap(revision);  // not after a huge one
  return item;
}

}  // namespace

Item to_item(const ParsedFeed& feed, const Entry& entry, const NormalizeOptions& options) {
  return make_item(feed, entry, options);
}

Item to_item(const ParsedFeed& feed, Entry&& entry, const NormalizeOptions& options) {
  return make_item(feed, entry, options);
}

}  // namespace feedpipe::parser
