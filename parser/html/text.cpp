#include <algorithm>

#include "parser/html/render.h"

namespace feedpipe::parser::html {
namespace {

// Builds text with collapsed whitespace; breaks requested between blocks are written only
// when more text follows, so output never starts or ends with whitespace.
class TextWriter {
 public:
  TextWriter(std::string& out, bool paragraphs, bool keep_nbsp)
      : out_(out), paragraphs_(paragraphs), keep_nbsp_(keep_nbsp), start_(out.size()) {}

  void text(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t ws = whitespace_at(s, i);
      if (ws > 0) {
        space_ = true;
        i += ws;
        continue;
      }
      std::size_t j = i;
      while (j < s.size() && whitespace_at(s, j) == 0) ++j;
      word(s.substr(i, j - i));
      i = j;
    }
  }

  // Inside <pre>: line breaks are kept.
  void preformatted(std::string_view s) {
    std::size_t i = 0;
    while (i <= s.size()) {
      std::size_t nl = s.find('\n', i);
      std::string_view line = s.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
      text(line);
      if (nl == std::string_view::npos) break;
      line_break();
      i = nl + 1;
    }
  }

  void block_break() {
    if (paragraphs_) breaks_ = 2;
    space_ = true;
  }
  void line_break() {
    if (paragraphs_) breaks_ = std::max(breaks_, 1);
    space_ = true;
  }
  void space() { space_ = true; }

 private:
  std::size_t whitespace_at(std::string_view s, std::size_t i) const {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
    if (!keep_nbsp_ && c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') return 2;
    return 0;
  }

  void word(std::string_view w) {
    if (keep_nbsp_) {
      bool only_nbsp = w.size() % 2 == 0;
      for (std::size_t k = 0; only_nbsp && k < w.size(); k += 2) {
        only_nbsp = w[k] == '\xC2' && w[k + 1] == '\xA0';
      }
      if (only_nbsp) {
        space_ = true;
        return;
      }
    }
    if (out_.size() > start_) {
      if (breaks_ == 2) out_ += "\n\n";
      else if (breaks_ == 1) out_ += '\n';
      else if (space_) out_ += ' ';
    }
    breaks_ = 0;
    space_ = false;
    // Soft hyphens are invisible unless a line breaks there; text consumers never want them.
    std::size_t shy = w.find("\xC2\xAD");
    if (shy == std::string_view::npos) {
      out_.append(w);
      return;
    }
    while (shy != std::string_view::npos) {
      out_.append(w.substr(0, shy));
      w.remove_prefix(shy + 2);
      shy = w.find("\xC2\xAD");
    }
    out_.append(w);
  }

  std::string& out_;
  bool paragraphs_;
  bool keep_nbsp_;
  std::size_t start_;
  int breaks_ = 0;
  bool space_ = false;
};

}  // namespace

bool is_block(Tag tag) {
  switch (tag) {
    case Tag::kAddress: case Tag::kArticle: case Tag::kAside:
    case Tag::kBlockquote: case Tag::kBody: case Tag::kCaption:
    case Tag::kCenter: case Tag::kDd: case Tag::kDetails:
    case Tag::kDir: case Tag::kDiv: case Tag::kDl: case Tag::kDt:
    case Tag::kFieldset: case Tag::kFigcaption: case Tag::kFigure:
    case Tag::kFooter: case Tag::kForm: case Tag::kH1: case Tag::kH2:
    case Tag::kH3: case Tag::kH4: case Tag::kH5: case Tag::kH6:
    case Tag::kHeader: case Tag::kHgroup: case Tag::kHr: case Tag::kHtml:
    case Tag::kLegend: case Tag::kLi: case Tag::kMain: case Tag::kMenu:
    case Tag::kNav: case Tag::kOl: case Tag::kP: case Tag::kPre:
    case Tag::kSection: case Tag::kSummary: case Tag::kTable:
    case Tag::kTbody: case Tag::kThead: case Tag::kTfoot: case Tag::kTr:
    case Tag::kUl: case Tag::kOption: case Tag::kNoscript:
      return true;
    default:
      return false;
  }
}

bool is_invisible(Tag tag) {
  switch (tag) {
    case Tag::kScript: case Tag::kStyle: case Tag::kTemplate:
    case Tag::kSvg: case Tag::kIframe: case Tag::kNoembed:
    case Tag::kNoframes: case Tag::kHead: case Tag::kSelect:
    case Tag::kTextarea: case Tag::kObject: case Tag::kApplet:
    case Tag::kCanvas: case Tag::kAudio: case Tag::kVideo:
    case Tag::kFrameset:
      return true;
    default:
      return false;
  }
}

void write_text(const Document& doc, std::uint32_t root, bool paragraphs,
                const RemovedMask& removed, std::string& out, bool keep_nbsp) {
  const auto& nodes = doc.nodes();
  TextWriter writer(out, paragraphs, keep_nbsp);
  // Ends of open block elements (a break is due when we leave them) and of <pre> elements.
  std::vector<std::uint32_t> blocks;
  std::vector<std::uint32_t> pres;
  std::uint32_t end = nodes[root].end;
  std::uint32_t i = root;
  while (i < end) {
    while (!blocks.empty() && blocks.back() <= i) {
      writer.block_break();
      blocks.pop_back();
    }
    while (!pres.empty() && pres.back() <= i) pres.pop_back();
    const Node& n = nodes[i];
    if (!removed.empty() && removed[i]) {
      i = n.end;
      continue;
    }
    if (n.kind == NodeKind::kText) {
      if (pres.empty()) writer.text(n.text);
      else writer.preformatted(n.text);
      ++i;
      continue;
    }
    if (is_invisible(n.tag)) {
      i = n.end;
      continue;
    }
    switch (n.tag) {
      case Tag::kBr: writer.line_break(); break;
      case Tag::kTd: case Tag::kTh: writer.space(); break;
      case Tag::kPre: pres.push_back(n.end); break;
      default: break;
    }
    if (is_block(n.tag)) {
      writer.block_break();
      blocks.push_back(n.end);
    }
    ++i;
  }
}

}  // namespace feedpipe::parser::html
