#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parser/html/tag.h"

struct myhtml_tree;

namespace feedpipe::parser::html {

enum class NodeKind : std::uint8_t { kElement, kText };

struct Attribute {
  std::string_view name;   // lower-case
  std::string_view value;  // entities decoded
};

// One node of the flattened tree. Nodes are stored in document (pre-)order, so the
// descendants of node i are exactly the indexes [i + 1, end): subtrees can be skipped,
// and bottom-up sums computed, with plain loops instead of recursion.
struct Node {
  NodeKind kind = NodeKind::kElement;
  Tag tag = Tag::kUnknown;
  std::uint32_t parent = 0;
  std::uint32_t end = 0;
  std::uint32_t first_attr = 0;
  std::uint32_t attr_count = 0;
  std::uint32_t depth = 0;
  std::string_view name;  // element: lower-case tag name
  std::string_view text;  // text: decoded characters
};

// Destroys a tree, or keeps it as its thread's spare for the next document (`reuse`).
struct TreeDeleter {
  bool reuse = false;
  void operator()(myhtml_tree* tree) const;
};
using TreePtr = std::unique_ptr<myhtml_tree, TreeDeleter>;

// Bytes left out of a page before it is parsed: a large share of a page's bytes that is
// never its text, so that the parser does not spend its time on them.
enum class Prefilter : std::uint8_t {
  kNone,
  // Comments and the bodies of <script> (except JSON-LD), <style> and <svg>.
  kScripts,
  // kScripts, and the content of well-formed <nav>, <aside> and <footer> elements (the
  // elements themselves stay, empty), which the extractor drops unread. A section that
  // holds metadata (<meta>, <link>, <script>, <title>, <h1>, <time>) or whose tags do not
  // nest cleanly is kept as it is, for the HTML5 parser to read. Also the whitespace between
  // two block tags (</p> <p>, </li> <li>, outside <pre>): a third of a page's text nodes,
  // none of which a reader sees.
  kScriptsAndSections,
};

// An HTML5 parse (MyHTML) flattened into `Node`s. Node 0 is the <html> element. The
// document owns every string the nodes point to; it is neither copyable nor movable
// because the views point into it.
class Document {
 public:
  // `fragment`: parse as the content of a <body> (feed summaries, sanitiser input).
  // `prefilter`: what is left out before parsing (see Prefilter).
  Document(std::string_view html, bool fragment, Prefilter prefilter = Prefilter::kNone);
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(std::uint32_t i) const { return nodes_[i]; }
  std::uint32_t size() const { return static_cast<std::uint32_t>(nodes_.size()); }

  // Value of attribute `name` (lower-case) of element `i`, empty when absent.
  std::string_view attr(std::uint32_t i, std::string_view name) const;
  bool has_attr(std::uint32_t i, std::string_view name) const;
  const Attribute* attrs_begin(std::uint32_t i) const { return attrs_.data() + nodes_[i].first_attr; }
  const Attribute* attrs_end(std::uint32_t i) const {
    return attrs_.data() + nodes_[i].first_attr + nodes_[i].attr_count;
  }

  // First element with this tag, or size() when there is none.
  std::uint32_t find_first(Tag tag) const;

 private:
  void flatten(myhtml_tree* tree, std::size_t input_size);
  std::string_view own(std::string text);

  std::string input_;  // only set when the input had to be rewritten (see limit_nesting)
  TreePtr tree_;  // owns the text and attribute strings the nodes point to
  std::vector<Node> nodes_;
  std::vector<Attribute> attrs_;
  std::deque<std::string> owned_;
};

// Deepest element nesting the parser is given. HTML5 tree construction scans the stack of
// open elements for many start tags, so pathological nesting costs O(depth) per tag; browsers
// cap depth similarly (Blink at 512).
inline constexpr std::uint32_t kMaxNestingDepth = 1000;

}  // namespace feedpipe::parser::html
