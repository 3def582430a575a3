#include "parser/html/dom.h"

#include <algorithm>
#include <cstring>

namespace feedpipe::parser::html {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool equals_lower(std::string_view a, std::string_view lower_b) {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower_b[i]) return false;
  }
  return true;
}

bool in_list(std::string_view name, std::initializer_list<std::string_view> list) {
  return std::any_of(list.begin(), list.end(),
                     [&](std::string_view s) { return equals_lower(name, s); });
}

// Elements that never nest in the tree (void) or are closed implicitly by a sibling; they
// do not count towards the nesting estimate.
bool non_nesting(std::string_view name) {
  return in_list(name, {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                        "meta", "param", "source", "track", "wbr", "p", "li", "dt", "dd",
                        "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot",
                        "rp", "rt", "html", "head", "body", "frame", "keygen", "basefont"});
}

bool raw_text(std::string_view name) {
  return in_list(name, {"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                        "noframes"});
}

// Estimates element nesting with a light tag scan. When `out` is set, copies the input
// leaving out start and end tags beyond `limit`; returns the deepest nesting seen.
std::uint32_t scan_nesting(std::string_view html, std::uint32_t limit, std::string* out) {
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
  while (i < n) {
    std::size_t lt = html.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= n) break;
    char c = html[lt + 1];
    if (c == '!') {
      if (html.compare(lt, 4, "<!--") == 0) {
        std::size_t e = html.find("-->", lt + 4);
        i = e == std::string_view::npos ? n : e + 3;
      } else {
        std::size_t e = html.find('>', lt);
        i = e == std::string_view::npos ? n : e + 1;
      }
      continue;
    }
    bool closing = c == '/';
    std::size_t name_start = lt + (closing ? 2 : 1);
    if (name_start >= n || !is_alpha(html[name_start])) {
      i = lt + 1;
      continue;
    }
    std::size_t name_end = name_start;
    while (name_end < n && html[name_end] != '>' && html[name_end] != '/' &&
           html[name_end] != ' ' && html[name_end] != '\t' && html[name_end] != '\n' &&
           html[name_end] != '\r' && html[name_end] != '\f') {
      ++name_end;
    }
    std::string_view name = html.substr(name_start, name_end - name_start);
    std::size_t gt = html.find('>', name_end);
    std::size_t tag_end = gt == std::string_view::npos ? n : gt + 1;
    if (closing) {
      if (!non_nesting(name) && depth > 0) {
        if (depth > limit) drop(lt, tag_end);
        --depth;
      }
      i = tag_end;
      continue;
    }
    bool self_closing = gt != std::string_view::npos && gt > 0 && html[gt - 1] == '/';
    if (raw_text(name)) {
      // Skip to the matching end tag: its content is text, not markup.
      std::size_t e = tag_end;
      while (true) {
        e = html.find("</", e);
        if (e == std::string_view::npos || equals_lower(html.substr(e + 2, name.size()), name)) {
          break;
        }
        e += 2;
      }
      i = e == std::string_view::npos ? n : e;
      continue;
    }
    if (!non_nesting(name) && !self_closing) {
      ++depth;
      max_depth = std::max(max_depth, depth);
      if (depth > limit) drop(lt, tag_end);
    }
    i = tag_end;
  }
  if (out != nullptr) out->append(html.substr(copied));
  return max_depth;
}

}  // namespace

void GumboOutputDeleter::operator()(GumboOutput* output) const {
  gumbo_destroy_output(&kGumboDefaultOptions, output);
}

Document::Document(std::string_view html, bool fragment) {
  if (scan_nesting(html, kMaxNestingDepth, nullptr) > kMaxNestingDepth) {
    input_.reserve(html.size());
    scan_nesting(html, kMaxNestingDepth, &input_);
    html = input_;
  }
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // errors are not reported; recording them costs time
  if (fragment) {
    options.fragment_context = GUMBO_TAG_BODY;
    options.fragment_namespace = GUMBO_NAMESPACE_HTML;
  }
  output_.reset(gumbo_parse_with_options(&options, html.data(), html.size()));
  if (output_ != nullptr && output_->root != nullptr) flatten(output_->root);
  if (nodes_.empty()) {
    Node root;
    root.tag = GUMBO_TAG_HTML;
    root.name = "html";
    root.end = 1;
    nodes_.push_back(root);
  }
}

std::string_view Document::own(std::string text) {
  owned_.push_back(std::move(text));
  return owned_.back();
}

void Document::flatten(const GumboNode* root) {
  struct Frame {
    const GumboNode* node;
    std::uint32_t index;      // our index of `node`
    unsigned next_child = 0;  // next child of `node` to visit
  };
  std::vector<Frame> stack;
  auto add = [&](const GumboNode* g, std::uint32_t parent, std::uint32_t depth) -> bool {
    Node n;
    n.parent = parent;
    n.depth = depth;
    switch (g->type) {
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE: {
        const GumboElement& e = g->v.element;
        n.kind = NodeKind::kElement;
        n.tag = e.tag;
        if (e.tag != GUMBO_TAG_UNKNOWN) {
          n.name = gumbo_normalized_tagname(e.tag);
        } else {
          GumboStringPiece piece = e.original_tag;
          gumbo_tag_from_original_text(&piece);
          std::string name(piece.data == nullptr ? "" : std::string(piece.data, piece.length));
          for (char& ch : name) ch = lower(ch);
          n.name = own(std::move(name));
        }
        n.first_attr = static_cast<std::uint32_t>(attrs_.size());
        n.attr_count = e.attributes.length;
        for (unsigned a = 0; a < e.attributes.length; ++a) {
          const auto* attr = static_cast<const GumboAttribute*>(e.attributes.data[a]);
          attrs_.push_back({attr->name, attr->value});
        }
        break;
      }
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        n.kind = NodeKind::kText;
        n.text = g->v.text.text;
        break;
      default:
        return false;  // comments, document
    }
    nodes_.push_back(n);
    return true;
  };
  if (!add(root, 0, 0)) return;
  stack.push_back({root, 0});
  while (!stack.empty()) {
    Frame& top = stack.back();
    const GumboNode* g = top.node;
    const GumboVector& children = g->v.element.children;
    if (top.next_child >= children.length) {
      nodes_[top.index].end = static_cast<std::uint32_t>(nodes_.size());
      stack.pop_back();
      continue;
    }
    const auto* child = static_cast<const GumboNode*>(children.data[top.next_child++]);
    auto index = static_cast<std::uint32_t>(nodes_.size());
    std::uint32_t parent = top.index;
    if (!add(child, parent, nodes_[parent].depth + 1)) continue;
    if (child->type == GUMBO_NODE_ELEMENT || child->type == GUMBO_NODE_TEMPLATE) {
      stack.push_back({child, index});
    } else {
      nodes_[index].end = index + 1;
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

std::uint32_t Document::find_first(GumboTag tag) const {
  for (std::uint32_t i = 0; i < size(); ++i) {
    if (nodes_[i].kind == NodeKind::kElement && nodes_[i].tag == tag) return i;
  }
  return size();
}

}  // namespace feedpipe::parser::html
