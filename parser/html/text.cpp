#include <algorithm>

#include "parser/html/render.h"
#include "parser/html/text_writer.h"

namespace feedpipe::parser::html {

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
      writer.text(n.text, /*preformatted=*/!pres.empty());
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
