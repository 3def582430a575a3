#include "parser/html/dom.h"

#include <myhtml/api.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>
#include <utility>
#include <vector>

namespace feedpipe::parser::html {
namespace {

constexpr char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ASCII case-insensitive equality.
bool equals_icase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// How the nesting scan treats a tag. Void elements and those a sibling closes implicitly
// never nest in the tree and do not count towards the estimate; raw-text elements hold
// text, not markup, up to their end tag.
enum class ScanKind { kNesting, kNonNesting, kRawText };

// Tag names of up to eight letters as one lower-case 64-bit number.
constexpr std::uint64_t name_key(std::string_view n) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    key |= static_cast<std::uint64_t>(static_cast<unsigned char>(lower(n[i]))) << (8 * i);
  }
  return key;
}

ScanKind scan_kind(std::string_view name) {
  if (name.size() > 8) return ScanKind::kNesting;
  switch (name_key(name)) {
    case name_key("area"): case name_key("base"): case name_key("br"): case name_key("col"):
    case name_key("embed"): case name_key("hr"): case name_key("img"): case name_key("input"):
    case name_key("link"): case name_key("meta"): case name_key("param"):
    case name_key("source"): case name_key("track"): case name_key("wbr"): case name_key("p"):
    case name_key("li"): case name_key("dt"): case name_key("dd"): case name_key("option"):
    case name_key("optgroup"): case name_key("tr"): case name_key("td"): case name_key("th"):
    case name_key("tbody"): case name_key("thead"): case name_key("tfoot"): case name_key("rp"):
    case name_key("rt"): case name_key("html"): case name_key("head"): case name_key("body"):
    case name_key("frame"): case name_key("keygen"): case name_key("basefont"):
      return ScanKind::kNonNesting;
    case name_key("script"): case name_key("style"): case name_key("textarea"):
    case name_key("title"): case name_key("xmp"): case name_key("iframe"):
    case name_key("noembed"): case name_key("noframes"):
      return ScanKind::kRawText;
    default:
      return ScanKind::kNesting;
  }
}

// Elements whose tags the whitespace between carries nothing: a text writer puts a break
// there anyway, and a reader sees none of it.
bool block_name(std::string_view name) {
  if (name.size() > 8) return false;
  switch (name_key(name)) {
    case name_key("p"): case name_key("div"): case name_key("li"): case name_key("ul"):
    case name_key("ol"): case name_key("dl"): case name_key("dt"): case name_key("dd"):
    case name_key("section"): case name_key("article"): case name_key("header"):
    case name_key("footer"): case name_key("nav"): case name_key("aside"): case name_key("main"):
    case name_key("table"): case name_key("caption"): case name_key("tr"): case name_key("tbody"):
    case name_key("thead"): case name_key("tfoot"): case name_key("h1"): case name_key("h2"):
    case name_key("h3"): case name_key("h4"): case name_key("h5"): case name_key("h6"):
    case name_key("figure"): case name_key("form"): case name_key("hr"): case name_key("head"):
    case name_key("body"): case name_key("html"): case name_key("meta"): case name_key("link"):
    case name_key("script"): case name_key("style"): case name_key("title"):
      return true;
    default:
      return false;
  }
}

bool all_space(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '\f') return false;
  }
  return true;
}

bool ends_tag_name(char c) {
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// Whether html[at..] starts the tag name `name` (lower-case), followed by the end of the name.
bool tag_name_at(std::string_view html, std::size_t at, std::string_view name) {
  return at + name.size() < html.size() && equals_icase(html.substr(at, name.size()), name) &&
         ends_tag_name(html[at + name.size()]);
}

// Where the comment or declaration ("<!...") at `lt` ends; npos when the input ends first.
std::size_t declaration_end(std::string_view html, std::size_t lt) {
  if (html.compare(lt, 4, "<!--") == 0) {
    std::size_t e = html.find("-->", lt + 4);
    return e == std::string_view::npos ? e : e + 3;
  }
  std::size_t e = html.find('>', lt);
  return e == std::string_view::npos ? e : e + 1;
}

// A tag as the light scans below read it: the name runs to whitespace, '/' or '>', and the
// tag to the next '>' (npos when the input ends first). No name: the '<' is text.
struct ScannedTag {
  bool closing = false;
  std::string_view name;
  std::size_t gt = std::string_view::npos;
};

ScannedTag read_tag(std::string_view html, std::size_t lt) {
  ScannedTag tag;
  tag.closing = lt + 1 < html.size() && html[lt + 1] == '/';
  std::size_t name_start = lt + (tag.closing ? 2 : 1);
  if (name_start >= html.size() || !is_alpha(html[name_start])) return tag;
  std::size_t name_end = name_start;
  while (name_end < html.size() && !ends_tag_name(html[name_end])) ++name_end;
  tag.name = html.substr(name_start, name_end - name_start);
  tag.gt = html.find('>', name_end);
  return tag;
}

// Estimates element nesting with a light tag scan. When `out` is set, copies the input
// leaving out start and end tags beyond `limit`, and with `drop_block_space` the whitespace
// between two block tags (outside <pre> and <listing>); returns the deepest nesting seen.
std::uint32_t scan_nesting(std::string_view html, std::uint32_t limit, std::string* out,
                           bool drop_block_space = false) {
  std::uint32_t depth = 0;
  std::uint32_t max_depth = 0;
  std::size_t copied = 0;  // html[copied, i) still to be copied to `out`
  std::size_t i = 0;
  const std::size_t n = html.size();
  auto drop = [&](std::size_t from, std::size_t to) {
    if (out == nullptr) return;
    out->append(html.substr(copied, from - copied));
    copied = to;
  };
  std::size_t after_block = std::string_view::npos;  // just after the last tag, a block tag
  std::uint32_t preformatted = 0;
  while (i < n) {
    std::size_t lt = html.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= n) break;
    if (html[lt + 1] == '!') {
      std::size_t e = declaration_end(html, lt);
      i = e == std::string_view::npos ? n : e;
      continue;
    }
    const ScannedTag tag = read_tag(html, lt);
    if (tag.name.empty()) {
      i = lt + 1;
      continue;
    }
    const bool closing = tag.closing;
    const std::string_view name = tag.name;
    const std::size_t gt = tag.gt;
    std::size_t tag_end = gt == std::string_view::npos ? n : gt + 1;
    if (drop_block_space) {
      bool block = block_name(name);
      if (block && after_block < lt && preformatted == 0 &&
          all_space(html.substr(after_block, lt - after_block))) {
        drop(after_block, lt);
      }
      after_block = block ? tag_end : std::string_view::npos;
      if (equals_icase(name, "pre") || equals_icase(name, "listing")) {
        if (!closing) ++preformatted;
        else if (preformatted > 0) --preformatted;
      }
    }
    if (closing) {
      if (scan_kind(name) != ScanKind::kNonNesting && depth > 0) {
        if (depth > limit) drop(lt, tag_end);
        --depth;
      }
      i = tag_end;
      continue;
    }
    bool self_closing = gt != std::string_view::npos && gt > 0 && html[gt - 1] == '/';
    const ScanKind kind = scan_kind(name);
    if (kind == ScanKind::kRawText) {
      // Skip to the matching end tag: its content is text, not markup.
      std::size_t e = tag_end;
      while (true) {
        e = html.find("</", e);
        if (e == std::string_view::npos || equals_icase(html.substr(e + 2, name.size()), name)) {
          break;
        }
        e += 2;
      }
      i = e == std::string_view::npos ? n : e;
      continue;
    }
    if (kind == ScanKind::kNesting && !self_closing) {
      ++depth;
      max_depth = std::max(max_depth, depth);
      if (depth > limit) drop(lt, tag_end);
    }
    i = tag_end;
  }
  if (out != nullptr) out->append(html.substr(copied));
  return max_depth;
}

// Where the content of a section element (<nav>, <aside>, <footer>) whose start tag ends
// before `from` ends: the position of its end tag. npos when what lies between does not nest
// cleanly (the HTML5 parser may then close the section somewhere else) or holds what
// metadata is read from; `stop` is then where the scan gave up.
std::size_t section_content_end(std::string_view html, std::size_t from, std::string_view name,
                                std::size_t& stop) {
  std::vector<std::string_view> open;  // elements opened inside the section
  const std::size_t n = html.size();
  std::size_t i = from;
  auto give_up = [&](std::size_t at) {
    stop = at;
    return std::string_view::npos;
  };
  while (true) {
    std::size_t lt = html.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= n) return give_up(n);
    if (html[lt + 1] == '!') {
      i = declaration_end(html, lt);
      if (i == std::string_view::npos) return give_up(n);
      continue;
    }
    const ScannedTag scanned = read_tag(html, lt);
    if (scanned.name.empty()) {
      i = lt + 1;
      continue;
    }
    if (scanned.gt == std::string_view::npos) return give_up(n);
    const std::string_view tag = scanned.name;
    i = scanned.gt + 1;
    if (scanned.closing) {
      if (open.empty()) return equals_icase(tag, name) ? lt : give_up(lt);
      if (equals_icase(tag, open.back())) {
        open.pop_back();
      } else if (scan_kind(tag) != ScanKind::kNonNesting) {
        return give_up(lt);
      }
      continue;
    }
    for (std::string_view kept : {"meta", "link", "script", "title", "h1", "time", "base",
                                  "template", "html", "head", "body", "frameset"}) {
      if (equals_icase(tag, kept)) return give_up(lt);
    }
    const ScanKind kind = scan_kind(tag);
    if (kind == ScanKind::kNonNesting) continue;
    if (open.size() >= kMaxNestingDepth) return give_up(lt);
    open.push_back(tag);
    // Text and foreign content run to their end tag: markup inside is not HTML elements.
    if (kind == ScanKind::kRawText || equals_icase(tag, "svg") || equals_icase(tag, "math")) {
      std::size_t e = i;
      while ((e = html.find("</", e)) != std::string_view::npos &&
             !tag_name_at(html, e + 2, tag)) {
        e += 2;
      }
      if (e == std::string_view::npos) return give_up(n);
      i = e;
    }
  }
}

// Copy of `html` without what `prefilter` leaves out (see Prefilter).
std::string prefiltered(std::string_view html, Prefilter prefilter) {
  std::string out;
  out.reserve(html.size());
  std::size_t copied = 0;
  std::size_t i = 0;
  const std::size_t n = html.size();
  // A section scan that gave up is not repeated for sections nested in it: that keeps the
  // pass linear on pages of unclosed sections.
  std::size_t sections_from = 0;
  while (i < n) {
    std::size_t lt = html.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= n) break;
    // Most tags are none of those left out: their first letter says so.
    switch (html[lt + 1]) {
      case '!': case 'a': case 'A': case 'f': case 'F': case 'n': case 'N': case 's': case 'S':
        break;
      default:
        i = lt + 1;
        continue;
    }
    if (html.compare(lt, 4, "<!--") == 0) {
      // Comments never reach the tree: leave them out (HTML5: "<!-->" and "<!--->" are
      // complete comments, an unclosed one runs to the end).
      std::size_t end;
      if (html.compare(lt + 4, 1, ">") == 0) {
        end = lt + 5;
      } else if (html.compare(lt + 4, 2, "->") == 0) {
        end = lt + 6;
      } else {
        std::size_t e = html.find("-->", lt + 4);
        end = e == std::string_view::npos ? n : e + 3;
      }
      out.append(html.substr(copied, lt - copied));
      copied = end;
      i = end;
      continue;
    }
    if (prefilter == Prefilter::kScriptsAndSections && lt >= sections_from) {
      std::string_view section;
      for (std::string_view s : {"nav", "aside", "footer"}) {
        if (tag_name_at(html, lt + 1, s)) section = s;
      }
      std::size_t gt = section.empty() ? std::string_view::npos : html.find('>', lt);
      if (gt != std::string_view::npos) {
        std::size_t stop = 0;
        std::size_t end = section_content_end(html, gt + 1, section, stop);
        if (end != std::string_view::npos) {
          out.append(html.substr(copied, gt + 1 - copied));
          copied = end;
          i = end;
          continue;
        }
        sections_from = stop;
      }
    }
    // <svg>: icons and charts, drawing instructions, never text worth keeping.
    std::string_view name;
    for (std::string_view s : {"script", "style", "svg"}) {
      if (tag_name_at(html, lt + 1, s)) name = s;
    }
    if (name.empty()) {  // also <scripts>, <svg-icon>: other tags
      i = lt + 1;
      continue;
    }
    std::size_t after = lt + 1 + name.size();
    std::size_t gt = html.find('>', after);
    if (gt == std::string_view::npos) break;
    std::string_view open_tag = html.substr(lt, gt + 1 - lt);
    std::size_t close = gt + 1;
    while (true) {
      close = html.find("</", close);
      if (close == std::string_view::npos ||
          equals_icase(html.substr(close + 2, name.size()), name)) {
        break;
      }
      close += 2;
    }
    if (close == std::string_view::npos) break;
    bool keep = false;
    if (name == "script") {
      std::string lowered(open_tag);
      for (char& c : lowered) c = lower(c);
      keep = lowered.find("ld+json") != std::string::npos;
    }
    if (!keep) {
      out.append(html.substr(copied, gt + 1 - copied));
      copied = close;
    }
    i = close + 2;
  }
  out.append(html.substr(copied));
  return out;
}


// The parser configuration: tag and insertion-mode tables, read-only once built. Trees
// parsed in single mode (no worker threads) only read it, so one instance serves every
// thread.
myhtml_t* parser() {
  static myhtml_t* instance = [] {
    myhtml_t* m = myhtml_create();
    if (m != nullptr && myhtml_init(m, MyHTML_OPTIONS_PARSE_MODE_SINGLE, 1, 0) != MyHTML_STATUS_OK) {
      myhtml_destroy(m);
      m = nullptr;
    }
    return m;
  }();
  return instance;
}

Tag tag_of(myhtml_tag_id_t id) {
  switch (id) {
#define FEEDPIPE_HTML_TAG_CASE(name, parser_id) \
  case MyHTML_TAG_##parser_id:                  \
    return Tag::k##name;
    FEEDPIPE_HTML_TAGS(FEEDPIPE_HTML_TAG_CASE)
#undef FEEDPIPE_HTML_TAG_CASE
    default:
      return Tag::kUnknown;
  }
}

// One tree per thread kept between documents: setting up a tree's memory pools, and then
// faulting in their pages, costs as much as parsing a small page, and documents are parsed
// one after the other (pages by the extractor, entries by the sanitiser). A tree keeps the
// pools of the largest input it parsed, so only trees that parsed at most this much are
// kept.
constexpr std::size_t kMaxReusedTreeInput = 1 << 20;

struct SpareTree {
  myhtml_tree* tree = nullptr;
  SpareTree() = default;
  SpareTree(const SpareTree&) = delete;
  SpareTree& operator=(const SpareTree&) = delete;
  ~SpareTree() {
    if (tree != nullptr) myhtml_tree_destroy(tree);
  }
};

thread_local SpareTree spare_tree;

TreePtr new_tree() {
  if (spare_tree.tree != nullptr) return TreePtr(std::exchange(spare_tree.tree, nullptr));
  myhtml_t* config = parser();
  if (config == nullptr) return nullptr;
  TreePtr tree(myhtml_tree_create());
  if (tree != nullptr && myhtml_tree_init(tree.get(), config) != MyHTML_STATUS_OK) tree.reset();
  return tree;
}

}  // namespace

void TreeDeleter::operator()(myhtml_tree* tree) const {
  if (reuse && spare_tree.tree == nullptr) {
    spare_tree.tree = tree;
  } else {
    myhtml_tree_destroy(tree);
  }
}

Document::Document(std::string_view html, bool fragment, Prefilter prefilter) {
  if (prefilter != Prefilter::kNone) {
    input_ = prefiltered(html, prefilter);
    html = input_;
  }
  if (prefilter == Prefilter::kScriptsAndSections) {
    std::string spaced;
    spaced.reserve(html.size());
    scan_nesting(html, kMaxNestingDepth, &spaced, /*drop_block_space=*/true);
    input_ = std::move(spaced);
    html = input_;
  } else if (scan_nesting(html, kMaxNestingDepth, nullptr) > kMaxNestingDepth) {
    std::string limited;
    limited.reserve(html.size());
    scan_nesting(html, kMaxNestingDepth, &limited);
    input_ = std::move(limited);
    html = input_;
  }
  tree_ = new_tree();
  if (tree_ != nullptr) {
    // Input is UTF-8 already (encoding.h); the parser only replaces invalid sequences.
    mystatus_t status =
        fragment ? myhtml_parse_fragment_single(tree_.get(), MyENCODING_UTF_8, html.data(),
                                                html.size(), MyHTML_TAG_BODY,
                                                MyHTML_NAMESPACE_HTML)
                 : myhtml_parse_single(tree_.get(), MyENCODING_UTF_8, html.data(), html.size());
    if (status == MyHTML_STATUS_OK) flatten(tree_.get(), html.size());
    tree_.get_deleter().reuse = status == MyHTML_STATUS_OK && html.size() <= kMaxReusedTreeInput;
  }
  if (nodes_.empty()) {
    Node root;
    root.tag = Tag::kHtml;
    root.name = "html";
    root.end = 1;
    nodes_.push_back(root);
  }
}

std::string_view Document::own(std::string text) {
  owned_.push_back(std::move(text));
  return owned_.back();
}

void Document::flatten(myhtml_tree* tree, std::size_t input_size) {
  myhtml_tree_node_t* root = myhtml_tree_get_node_html(tree);
  if (root == nullptr) return;
  std::unordered_set<std::string_view> seen_attrs;
  // Room for a node per 16 bytes of input and an attribute per 32: more than most pages
  // use, and memory that is reserved but never written costs nothing.
  nodes_.reserve(input_size / 16);
  attrs_.reserve(input_size / 32);
  // Returns false for nodes that are left out (comments, doctype).
  auto add = [&](myhtml_tree_node_t* m, std::uint32_t parent, std::uint32_t depth) -> bool {
    Node n;
    n.parent = parent;
    n.depth = depth;
    myhtml_tag_id_t id = myhtml_node_tag_id(m);
    if (id == MyHTML_TAG__TEXT) {
      n.kind = NodeKind::kText;
      std::size_t length = 0;
      const char* text = myhtml_node_text(m, &length);
      if (text != nullptr) n.text = std::string_view(text, length);
      nodes_.push_back(n);
      return true;
    }
    if (id == MyHTML_TAG__COMMENT || id == MyHTML_TAG__DOCTYPE || id == MyHTML_TAG__UNDEF ||
        id == MyHTML_TAG__END_OF_FILE) {
      return false;
    }
    n.kind = NodeKind::kElement;
    n.tag = tag_of(id);
    std::size_t length = 0;
    const char* name = myhtml_tag_name_by_id(tree, id, &length);
    if (name != nullptr) n.name = std::string_view(name, length);
    n.first_attr = static_cast<std::uint32_t>(attrs_.size());
    // The tokenizer keeps repeated attributes; HTML5 keeps the first one only.
    std::uint32_t count = 0;
    bool many = false;
    for (myhtml_tree_attr_t* a = myhtml_node_attribute_first(m); a != nullptr;
         a = myhtml_attribute_next(a)) {
      std::size_t key_length = 0;
      std::size_t value_length = 0;
      const char* key = myhtml_attribute_key(a, &key_length);
      const char* value = myhtml_attribute_value(a, &value_length);
      Attribute attr{key == nullptr ? std::string_view() : std::string_view(key, key_length),
                     value == nullptr ? std::string_view() : std::string_view(value, value_length)};
      bool repeated = false;
      if (count == 16 && !many) {  // past a few attributes, look repeats up in a set
        many = true;
        seen_attrs.clear();
        for (std::uint32_t k = 0; k < count; ++k) seen_attrs.insert(attrs_[n.first_attr + k].name);
      }
      if (many) {
        repeated = !seen_attrs.insert(attr.name).second;
      } else {
        for (std::uint32_t k = 0; k < count && !repeated; ++k) {
          repeated = attrs_[n.first_attr + k].name == attr.name;
        }
      }
      if (repeated) continue;
      attrs_.push_back(attr);
      ++count;
    }
    n.attr_count = count;
    nodes_.push_back(n);
    return true;
  };
  if (!add(root, 0, 0)) return;
  // Iterative pre-order walk: `open` holds our indexes of the elements being visited.
  std::vector<std::uint32_t> open{0};
  myhtml_tree_node_t* current = myhtml_node_child(root);
  myhtml_tree_node_t* parent_of_current = root;
  while (!open.empty()) {
    if (current == nullptr) {
      // Children of the top element done: close it and continue with its next sibling.
      nodes_[open.back()].end = static_cast<std::uint32_t>(nodes_.size());
      open.pop_back();
      if (open.empty()) break;
      current = myhtml_node_next(parent_of_current);
      parent_of_current = myhtml_node_parent(parent_of_current);
      continue;
    }
    auto index = static_cast<std::uint32_t>(nodes_.size());
    std::uint32_t parent = open.back();
    if (!add(current, parent, nodes_[parent].depth + 1)) {
      current = myhtml_node_next(current);
      continue;
    }
    if (nodes_[index].kind == NodeKind::kElement) {
      open.push_back(index);
      parent_of_current = current;
      current = myhtml_node_child(current);
    } else {
      nodes_[index].end = index + 1;
      current = myhtml_node_next(current);
    }
  }
}

std::string_view Document::attr(std::uint32_t i, std::string_view name) const {
  for (const Attribute* a = attrs_begin(i); a != attrs_end(i); ++a) {
    if (a->name == name) return a->value;
  }
  return {};
}

bool Document::has_attr(std::uint32_t i, std::string_view name) const {
  for (const Attribute* a = attrs_begin(i); a != attrs_end(i); ++a) {
    if (a->name == name) return true;
  }
  return false;
}

std::uint32_t Document::find_first(Tag tag) const {
  for (std::uint32_t i = 0; i < size(); ++i) {
    if (nodes_[i].kind == NodeKind::kElement && nodes_[i].tag == tag) return i;
  }
  return size();
}

}  // namespace feedpipe::parser::html
