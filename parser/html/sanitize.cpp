#include "parser/html/sanitize.h"

#include <algorithm>
#include <limits>

#include "common/url.h"
#include "parser/html/dom.h"
#include "parser/html/render.h"
#include "parser/html/stream_sanitize.h"
#include "parser/name_table.h"

namespace feedpipe::parser::html {
namespace {

// feedparser's _HTMLSanitizer.acceptable_elements, plus figcaption, mark, summary and wbr,
// which feeds use and which carry no active content.
const NameSet& acceptable_elements() {
  static const NameSet kSet = {
      "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "big",
      "blockquote", "br", "button", "canvas", "caption", "center", "cite", "code", "col",
      "colgroup", "command", "datagrid", "datalist", "dd", "del", "details", "dfn", "dialog",
      "dir", "div", "dl", "dt", "em", "event-source", "fieldset", "figcaption", "figure",
      "font", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img",
      "input", "ins", "kbd", "keygen", "label", "legend", "li", "m", "map", "mark", "menu",
      "meter", "multicol", "nav", "nextid", "noscript", "ol", "optgroup", "option", "output",
      "p", "pre", "progress", "q", "s", "samp", "section", "select", "small", "sound", "source",
      "spacer", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td",
      "textarea", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "video", "wbr"};
  return kSet;
}

// feedparser's _HTMLSanitizer.acceptable_attributes.
const NameSet& acceptable_attributes() {
  static const NameSet kSet = {
      "abbr", "accept", "accept-charset", "accesskey", "action", "align", "alt",
      "autocomplete", "autofocus", "axis", "background", "balance", "bgcolor",
      "bgproperties", "border", "bordercolor", "bordercolordark", "bordercolorlight",
      "bottompadding", "cellpadding", "cellspacing", "ch", "challenge", "char", "charoff",
      "charset", "checked", "choff", "cite", "class", "clear", "color", "cols", "colspan",
      "compact", "contenteditable", "controls", "coords", "data", "datafld", "datapagesize",
      "datasrc", "datetime", "default", "delay", "dir", "disabled", "draggable", "dynsrc",
      "enctype", "end", "face", "for", "form", "frame", "galleryimg", "gutter", "headers",
      "height", "hidden", "hidefocus", "high", "href", "hreflang", "hspace", "icon", "id",
      "inputmode", "ismap", "keytype", "label", "lang", "leftspacing", "list", "longdesc",
      "loop", "loopcount", "loopend", "loopstart", "low", "lowsrc", "max", "maxlength", "media",
      "method", "min", "multiple", "name", "nohref", "noshade", "nowrap", "open", "optimum",
      "pattern", "ping", "point-size", "poster", "pqg", "preload", "prompt", "radiogroup",
      "readonly", "rel", "repeat-max", "repeat-min", "replace", "required", "rev",
      "rightspacing", "rows", "rowspan", "rules", "scope", "selected", "shape", "size", "span",
      "src", "start", "step", "style", "summary", "suppress", "tabindex", "target", "template",
      "title", "toppadding", "type", "unselectable", "urn", "usemap", "valign", "value",
      "variable", "volume", "vrml", "vspace", "width", "wrap", "xml:lang"};
  return kSet;
}

// Attributes that hold a URL: their scheme must be on the safe list.
const NameSet& url_attributes() {
  static const NameSet kSet = {"action", "background", "cite", "codebase", "data", "dynsrc",
                               "href", "icon", "longdesc", "lowsrc", "ping", "poster", "src",
                               "usemap"};
  return kSet;
}

// feedparser's ACCEPTABLE_URI_SCHEMES.
const NameSet& safe_schemes() {
  static const NameSet kSet = {
      "aim", "callto", "cvs", "facetime", "feed", "file", "ftp", "git", "gopher", "gtalk",
      "h323", "hdl", "http", "https", "imap", "irc", "irc6", "ircs", "itms", "magnet",
      "mailto", "mms", "msnim", "news", "nntp", "prospero", "rsync", "rtsp", "rtspu", "sftp",
      "shttp", "sip", "sips", "skype", "smb", "snews", "ssh", "svn", "svn+ssh", "telnet",
      "wais", "ymsg"};
  return kSet;
}

// feedparser's relative_uris: (element, attribute) pairs resolved against the base URL.
bool resolves_relative(std::string_view element, std::string_view attribute) {
  if (attribute == "href") return element == "a" || element == "area" || element == "link";
  if (attribute == "src") {
    return element == "img" || element == "audio" || element == "video" ||
           element == "source" || element == "input" || element == "iframe" ||
           element == "frame" || element == "script";
  }
  if (attribute == "cite") {
    return element == "blockquote" || element == "q" || element == "del" || element == "ins";
  }
  if (attribute == "longdesc") return element == "img" || element == "frame" || element == "iframe";
  if (attribute == "usemap") return element == "img" || element == "input" || element == "object";
  if (attribute == "poster") return element == "video";
  if (attribute == "action") return element == "form";
  if (attribute == "background") return element == "body";
  return false;
}

// Elements dropped together with everything inside them.
bool drops_content(Tag tag) {
  switch (tag) {
    case Tag::kScript:
    case Tag::kStyle:
    case Tag::kApplet:
    case Tag::kTemplate:
    case Tag::kIframe:
    case Tag::kNoembed:
    case Tag::kNoframes:
    case Tag::kSvg:
    case Tag::kHead:
    case Tag::kFrameset:
      return true;
    default:
      return false;
  }
}

bool is_void(Tag tag) {
  switch (tag) {
    case Tag::kArea:
    case Tag::kBase:
    case Tag::kBasefont:
    case Tag::kBr:
    case Tag::kCol:
    case Tag::kEmbed:
    case Tag::kFrame:
    case Tag::kHr:
    case Tag::kImg:
    case Tag::kInput:
    case Tag::kIsindex:
    case Tag::kKeygen:
    case Tag::kLink:
    case Tag::kMeta:
    case Tag::kParam:
    case Tag::kSource:
    case Tag::kTrack:
    case Tag::kWbr:
      return true;
    default:
      return false;
  }
}

bool is_void_name(std::string_view name) { return name == "command"; }

void append_escaped(std::string_view text, bool attribute, std::string& out) {
  // Runs without a byte to escape are appended whole.
  const char quote = attribute ? '"' : '&';
  std::size_t from = 0;
  while (from < text.size()) {
    std::size_t at = from;
    while (at < text.size() && text[at] != '&' && text[at] != '<' && text[at] != '>' &&
           text[at] != quote) {
      ++at;
    }
    out.append(text.substr(from, at - from));
    if (at == text.size()) break;
    switch (text[at]) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += "&quot;"; break;
    }
    from = at + 1;
  }
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// True when `url` starts with a scheme (spaces and control characters inside it skipped, as
// browsers do) that is not on the safe list. Every link of every body is checked: the
// scheme is lower-cased into a small buffer, longer than any safe one.
bool has_unsafe_scheme(std::string_view url) {
  char scheme[16];
  std::size_t size = 0;
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20) continue;
    if (c == ':') {
      if (size == 0) return false;
      return size > sizeof scheme || !safe_schemes().contains(std::string_view(scheme, size));
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (size > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
    if (size < sizeof scheme) scheme[size] = ascii_lower(c);
    ++size;
  }
  return false;
}

bool is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c >= 0x80;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// feedparser's "gauntlet": the characters a harmless style attribute is made of.
bool passes_gauntlet(std::string_view s) {
  std::size_t i = 0;
  std::size_t n = s.size();
  std::size_t pair_end = std::string_view::npos;  // last char consumed by a \w-\w match
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (std::string_view(":,;#%.!").find(static_cast<char>(c)) != std::string_view::npos ||
        is_space(static_cast<char>(c)) || (c < 0x80 && is_word(c) && c != '_')) {
      ++i;
      continue;
    }
    if (c == '_' || c >= 0x80) {  // \w outside the class: only as part of \w-\w
      if (i + 2 < n && s[i + 1] == '-' && is_word(static_cast<unsigned char>(s[i + 2]))) {
        pair_end = i + 2;
        i += 3;
        continue;
      }
      return false;
    }
    if (c == '-') {
      if (i > 0 && i + 1 < n && is_word(static_cast<unsigned char>(s[i - 1])) &&
          is_word(static_cast<unsigned char>(s[i + 1])) && pair_end != i - 1) {
        pair_end = i + 1;
        i += 2;
        continue;
      }
      return false;
    }
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < n && (is_space(s[j]) || is_word(static_cast<unsigned char>(s[j])))) ++j;
      if (j == i + 1 || j >= n || s[j] != static_cast<char>(c)) return false;
      i = j + 1;
      continue;
    }
    if (c == '(') {
      std::size_t j = i + 1;
      while (j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == ',' || is_space(s[j]))) ++j;
      if (j == i + 1 || j >= n || s[j] != ')') return false;
      i = j + 1;
      continue;
    }
    return false;
  }
  return true;
}

bool is_css_keyword(std::string_view k) {
  static const NameSet kSet = {
      "!important", "aqua", "auto", "black", "block", "blue", "bold", "both", "bottom", "brown",
      "center", "collapse", "dashed", "dotted", "fuchsia", "gray", "green", "italic", "left",
      "lime", "maroon", "medium", "navy", "none", "normal", "nowrap", "olive", "pointer",
      "purple", "red", "right", "silver", "solid", "teal", "top", "transparent", "underline",
      "white", "yellow"};
  return kSet.contains(k);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// feedparser's valid_css_values:
// ^(#[0-9a-f]+|rgb\(\d+%?,\d*%?,?\d*%?\)?|\d{0,2}\.?\d{0,2}(cm|em|ex|in|mm|pc|pt|px|%|,|\))?)$
bool is_css_value(std::string_view v) {
  if (!v.empty() && v[0] == '#') {
    if (v.size() == 1) return false;
    return std::all_of(v.begin() + 1, v.end(),
                       [](char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); });
  }
  if (v.substr(0, 4) == "rgb(") {
    std::size_t i = 4;
    auto digits = [&](bool need) {
      std::size_t s = i;
      while (i < v.size() && is_digit(v[i])) ++i;
      return !need || i > s;
    };
    auto opt = [&](char c) {
      if (i < v.size() && v[i] == c) ++i;
    };
    if (!digits(true)) return false;
    opt('%');
    if (i >= v.size() || v[i] != ',') return false;
    ++i;
    digits(false);
    opt('%');
    opt(',');
    digits(false);
    opt('%');
    opt(')');
    return i == v.size();
  }
  std::size_t i = 0;
  int d = 0;
  while (i < v.size() && is_digit(v[i]) && d < 2) ++i, ++d;
  if (i < v.size() && v[i] == '.') ++i;
  d = 0;
  while (i < v.size() && is_digit(v[i]) && d < 2) ++i, ++d;
  std::string_view unit = v.substr(i);
  static const NameSet kUnits = {"", "cm", "em", "ex", "in", "mm", "pc", "pt", "px", "%", ",", ")"};
  return kUnits.contains(unit);
}

bool is_acceptable_css_property(std::string_view p) {
  static const NameSet kSet = {
      "azimuth", "background-color", "border-bottom-color", "border-collapse", "border-color",
      "border-left-color", "border-right-color", "border-top-color", "clear", "color", "cursor",
      "direction", "display", "elevation", "float", "font", "font-family", "font-size",
      "font-style", "font-variant", "font-weight", "height", "letter-spacing", "line-height",
      "overflow", "pause", "pause-after", "pause-before", "pitch", "pitch-range", "richness",
      "speak", "speak-header", "speak-numeral", "speak-punctuation", "speech-rate", "stress",
      "text-align", "text-decoration", "text-indent", "unicode-bidi", "vertical-align",
      "voice-family", "volume", "white-space", "width"};
  return kSet.contains(p);
}

std::string lower_copy(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = ascii_lower(c);
  return r;
}

}  // namespace

std::string sanitize_style(std::string_view input) {
  // url(...) values are never kept.
  std::string style;
  style.reserve(input.size());
  for (std::size_t i = 0; i < input.size();) {
    if (input.compare(i, 3, "url") == 0) {
      std::size_t j = i + 3;
      while (j < input.size() && is_space(input[j])) ++j;
      if (j < input.size() && input[j] == '(') {
        std::size_t close = input.find(')', j);
        if (close != std::string_view::npos) {
          j = close + 1;
          while (j < input.size() && is_space(input[j])) ++j;
          style += ' ';
          i = j;
          continue;
        }
      }
    }
    style += input[i++];
  }
  if (!passes_gauntlet(style)) return {};

  // The style must be a sequence of `property: value;` declarations.
  struct Declaration {
    std::string_view property;
    std::string_view value;
  };
  std::vector<Declaration> declarations;
  std::string_view s = style;
  std::size_t i = 0;
  auto is_prop_char = [](char c) { return c == '-' || is_word(static_cast<unsigned char>(c)); };
  while (true) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    std::size_t p = i;
    while (i < s.size() && is_prop_char(s[i])) ++i;
    if (i == p) return {};
    std::string_view property = s.substr(p, i - p);
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size() || s[i] != ':') return {};
    ++i;
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t v = i;
    while (i < s.size() && s[i] != ':' && s[i] != ';') ++i;
    declarations.push_back({property, s.substr(v, i - v)});
    if (i < s.size() && s[i] == ';') ++i;
  }

  std::string clean;
  for (const auto& d : declarations) {
    if (d.value.empty()) continue;
    std::string property = lower_copy(d.property);
    bool keep = is_acceptable_css_property(property);
    if (!keep) {
      std::string_view head = std::string_view(property).substr(0, property.find('-'));
      if (head == "background" || head == "border" || head == "margin" || head == "padding") {
        keep = true;
        std::size_t k = 0;
        while (k < d.value.size()) {
          while (k < d.value.size() && is_space(d.value[k])) ++k;
          if (k >= d.value.size()) break;
          std::size_t e = k;
          while (e < d.value.size() && !is_space(d.value[e])) ++e;
          std::string_view keyword = d.value.substr(k, e - k);
          if (!is_css_keyword(keyword) && !is_css_value(keyword)) {
            keep = false;
            break;
          }
          k = e;
        }
      }
    }
    if (!keep) continue;
    if (!clean.empty()) clean += ' ';
    clean.append(d.property);
    clean += ": ";
    clean.append(d.value);
    clean += ';';
  }
  return clean;
}

bool is_acceptable_element(std::string_view name) { return acceptable_elements().contains(name); }

bool is_acceptable_attribute(std::string_view name) {
  return acceptable_attributes().contains(name);
}

bool clean_attribute(std::string_view element, std::string_view name, std::string_view value,
                     std::string_view base_url, std::string& out) {
  if (name == "style") {
    out = sanitize_style(value);
    return !out.empty();
  }
  if (url_attributes().contains(name) && !value.empty()) {
    if (resolves_relative(element, name)) resolve_url(base_url, value, out);
    else out.assign(value);
    if (has_unsafe_scheme(out)) out.clear();
    return true;
  }
  out.assign(value);
  return true;
}

namespace {

void write_sanitized_impl(const Document& doc, std::uint32_t root, bool include_root,
                          std::string_view base_url, const RemovedMask& removed,
                          bool nested, std::string& out) {
  const auto& nodes = doc.nodes();
  const auto& elements = acceptable_elements();
  const auto& attributes = acceptable_attributes();
  // Close tags still to write, with the index their element's subtree ends at.
  std::vector<std::pair<std::uint32_t, std::string_view>> open;
  std::uint32_t end = nodes[root].end;
  std::uint32_t i = include_root ? root : root + 1;
  auto close_until = [&](std::uint32_t index) {
    while (!open.empty() && open.back().first <= index) {
      if (!open.back().second.empty()) {
        out += "</";
        out.append(open.back().second);
        out += '>';
      }
      open.pop_back();
    }
  };
  while (i < end) {
    close_until(i);
    const Node& n = nodes[i];
    if (!removed.empty() && removed[i]) {
      i = n.end;
      continue;
    }
    if (n.kind == NodeKind::kText) {
      append_escaped(n.text, false, out);
      ++i;
      continue;
    }
    if (n.tag == Tag::kIframe && !nested) {
      // Fallback content of a frame arrives as text; feeds mean it as markup.
      for (std::uint32_t c = i + 1; c < n.end; ++c) {
        if (nodes[c].kind != NodeKind::kText) continue;
        Document inner(nodes[c].text, /*fragment=*/true);
        write_sanitized_impl(inner, 0, false, base_url, {}, /*nested=*/true, out);
      }
      i = n.end;
      continue;
    }
    if (drops_content(n.tag)) {
      i = n.end;
      continue;
    }
    if (!elements.contains(n.name)) {
      open.emplace_back(n.end, std::string_view());  // unwrap: keep the content only
      ++i;
      continue;
    }
    out += '<';
    out.append(n.name);
    std::string value;
    for (const Attribute* a = doc.attrs_begin(i); a != doc.attrs_end(i); ++a) {
      if (!attributes.contains(a->name)) continue;
      if (!clean_attribute(n.name, a->name, a->value, base_url, value)) continue;
      out += ' ';
      out.append(a->name);
      out += "=\"";
      append_escaped(value, true, out);
      out += '"';
    }
    if (is_void(n.tag) || is_void_name(n.name)) {
      out += " />";
      i = n.end;
      continue;
    }
    out += '>';
    open.emplace_back(n.end, n.name);
    ++i;
  }
  close_until(std::numeric_limits<std::uint32_t>::max());
}

}  // namespace

void write_sanitized(const Document& doc, std::uint32_t root, bool include_root,
                     std::string_view base_url, const RemovedMask& removed, std::string& out) {
  write_sanitized_impl(doc, root, include_root, base_url, removed, false, out);
}

// Feed fields are sanitised in one streaming pass (as feedparser does); the tree is only
// built for whole pages, where the article extractor needs it.
std::string sanitize_html(std::string_view html, std::string_view base_url) {
  return stream_sanitize(html, base_url);
}

std::string html_to_text(std::string_view html, bool paragraphs) {
  return stream_html_to_text(html, paragraphs);
}

}  // namespace feedpipe::parser::html
