#pragma once

#include <cstdint>

namespace feedpipe::parser::html {

// The HTML elements the sanitiser, the extractor and the text writer tell apart; every
// other element is `Tag::kUnknown` (its name is still in `Node::name`). X(Name, PARSER_ID):
// `Tag::kName`, and the parser's id for it (dom.cpp maps one onto the other).
#define FEEDPIPE_HTML_TAGS(X) \
  X(A, A) \
  X(Abbr, ABBR) \
  X(Address, ADDRESS) \
  X(Applet, APPLET) \
  X(Area, AREA) \
  X(Article, ARTICLE) \
  X(Aside, ASIDE) \
  X(Audio, AUDIO) \
  X(B, B) \
  X(Base, BASE) \
  X(Basefont, BASEFONT) \
  X(Bdo, BDO) \
  X(Big, BIG) \
  X(Blockquote, BLOCKQUOTE) \
  X(Body, BODY) \
  X(Br, BR) \
  X(Button, BUTTON) \
  X(Canvas, CANVAS) \
  X(Caption, CAPTION) \
  X(Center, CENTER) \
  X(Cite, CITE) \
  X(Code, CODE) \
  X(Col, COL) \
  X(Colgroup, COLGROUP) \
  X(Dd, DD) \
  X(Del, DEL) \
  X(Details, DETAILS) \
  X(Dfn, DFN) \
  X(Dir, DIR) \
  X(Div, DIV) \
  X(Dl, DL) \
  X(Dt, DT) \
  X(Em, EM) \
  X(Embed, EMBED) \
  X(Fieldset, FIELDSET) \
  X(Figcaption, FIGCAPTION) \
  X(Figure, FIGURE) \
  X(Font, FONT) \
  X(Footer, FOOTER) \
  X(Form, FORM) \
  X(Frame, FRAME) \
  X(Frameset, FRAMESET) \
  X(H1, H1) \
  X(H2, H2) \
  X(H3, H3) \
  X(H4, H4) \
  X(H5, H5) \
  X(H6, H6) \
  X(Head, HEAD) \
  X(Header, HEADER) \
  X(Hgroup, HGROUP) \
  X(Hr, HR) \
  X(Html, HTML) \
  X(I, I) \
  X(Iframe, IFRAME) \
  X(Img, IMG) \
  X(Input, INPUT) \
  X(Ins, INS) \
  X(Isindex, ISINDEX) \
  X(Kbd, KBD) \
  X(Keygen, KEYGEN) \
  X(Label, LABEL) \
  X(Legend, LEGEND) \
  X(Li, LI) \
  X(Link, LINK) \
  X(Main, MAIN) \
  X(Mark, MARK) \
  X(Menu, MENU) \
  X(Meta, META) \
  X(Nav, NAV) \
  X(Noembed, NOEMBED) \
  X(Noframes, NOFRAMES) \
  X(Noscript, NOSCRIPT) \
  X(Object, OBJECT) \
  X(Ol, OL) \
  X(Option, OPTION) \
  X(P, P) \
  X(Param, PARAM) \
  X(Pre, PRE) \
  X(Q, Q) \
  X(S, S) \
  X(Samp, SAMP) \
  X(Script, SCRIPT) \
  X(Section, SECTION) \
  X(Select, SELECT) \
  X(Small, SMALL) \
  X(Source, SOURCE) \
  X(Span, SPAN) \
  X(Strike, STRIKE) \
  X(Strong, STRONG) \
  X(Style, STYLE) \
  X(Sub, SUB) \
  X(Summary, SUMMARY) \
  X(Sup, SUP) \
  X(Svg, SVG) \
  X(Table, TABLE) \
  X(Tbody, TBODY) \
  X(Td, TD) \
  X(Template, TEMPLATE) \
  X(Textarea, TEXTAREA) \
  X(Tfoot, TFOOT) \
  X(Th, TH) \
  X(Thead, THEAD) \
  X(Time, TIME) \
  X(Title, TITLE) \
  X(Tr, TR) \
  X(Track, TRACK) \
  X(Tt, TT) \
  X(U, U) \
  X(Ul, UL) \
  X(Var, VAR) \
  X(Video, VIDEO) \
  X(Wbr, WBR) \

enum class Tag : std::uint8_t {
  kUnknown,
#define FEEDPIPE_HTML_TAG_ENUM(name, id) k##name,
  FEEDPIPE_HTML_TAGS(FEEDPIPE_HTML_TAG_ENUM)
#undef FEEDPIPE_HTML_TAG_ENUM
};

}  // namespace feedpipe::parser::html
