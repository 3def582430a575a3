#include "parser/html/sanitize_foreign.h"

#include <initializer_list>
#include <string>
#include <unordered_map>

#include "parser/html/render.h"

namespace feedpipe::parser::html {
namespace {

// Lower-case name -> the name as the vocabulary spells it.
using NameMap = std::unordered_map<std::string, std::string_view>;

NameMap by_lower_case(std::initializer_list<std::string_view> names) {
  NameMap map;
  for (std::string_view n : names) {
    std::string lower(n);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    map.emplace(std::move(lower), n);
  }
  return map;
}

std::string_view lookup(const NameMap& map, std::string_view name) {
  auto it = map.find(std::string(name));
  return it == map.end() ? std::string_view() : it->second;
}

// feedparser's svg_elements (SVG Tiny plus gradients) without foreignObject.
const NameMap& svg_elements() {
  static const NameMap kMap = by_lower_case(
      {"a", "animate", "animateColor", "animateMotion", "animateTransform", "circle", "defs",
       "desc", "ellipse", "font-face", "font-face-name", "font-face-src", "g", "glyph",
       "hkern", "line", "linearGradient", "marker", "metadata", "missing-glyph", "mpath",
       "path", "polygon", "polyline", "radialGradient", "rect", "set", "stop", "svg",
       "switch", "text", "title", "tspan", "use"});
  return kMap;
}

// feedparser's svg_attributes without xml:base (it would move the base of every link under
// it) and the namespace declarations (written by the sanitiser).
const NameMap& svg_attributes() {
  static const NameMap kMap = by_lower_case(
      {"accent-height", "accumulate", "additive", "alphabetic", "arabic-form", "ascent",
       "attributeName", "attributeType", "baseProfile", "bbox", "begin", "by", "calcMode",
       "cap-height", "class", "color", "color-rendering", "content", "cx", "cy", "d", "descent",
       "display", "dur", "dx", "dy", "end", "fill", "fill-opacity", "fill-rule", "font-family",
       "font-size", "font-stretch", "font-style", "font-variant", "font-weight", "from", "fx",
       "fy", "g1", "g2", "glyph-name", "gradientUnits", "hanging", "height", "horiz-adv-x",
       "horiz-origin-x", "id", "ideographic", "k", "keyPoints", "keySplines", "keyTimes",
       "lang", "marker-end", "marker-mid", "marker-start", "markerHeight", "markerUnits",
       "markerWidth", "mathematical", "max", "min", "name", "offset", "opacity", "orient",
       "origin", "overline-position", "overline-thickness", "panose-1", "path", "pathLength",
       "points", "preserveAspectRatio", "r", "refX", "refY", "repeatCount", "repeatDur",
       "requiredExtensions", "requiredFeatures", "restart", "rotate", "rx", "ry", "slope",
       "stemh", "stemv", "stop-color", "stop-opacity", "strikethrough-position",
       "strikethrough-thickness", "stroke", "stroke-dasharray", "stroke-dashoffset",
       "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity",
       "stroke-width", "systemLanguage", "target", "text-anchor", "to", "transform", "type",
       "u1", "u2", "underline-position", "underline-thickness", "unicode", "unicode-range",
       "units-per-em", "values", "version", "viewBox", "visibility", "width", "widths", "x",
       "x-height", "x1", "x2", "xlink:actuate", "xlink:arcrole", "xlink:href", "xlink:role",
       "xlink:show", "xlink:title", "xlink:type", "xml:lang", "xml:space", "y", "y1", "y2",
       "zoomAndPan"});
  return kMap;
}

// feedparser's mathml_elements.
const NameMap& mathml_elements() {
  static const NameMap kMap = by_lower_case(
      {"annotation", "annotation-xml", "maction", "maligngroup", "malignmark", "math",
       "menclose", "merror", "mfenced", "mfrac", "mglyph", "mi", "mlabeledtr", "mlongdiv",
       "mmultiscripts", "mn", "mo", "mover", "mpadded", "mphantom", "mprescripts", "mroot",
       "mrow", "ms", "mscarries", "mscarry", "msgroup", "msline", "mspace", "msqrt", "msrow",
       "mstack", "mstyle", "msub", "msubsup", "msup", "mtable", "mtd", "mtext", "mtr",
       "munder", "munderover", "none", "semantics"});
  return kMap;
}

// feedparser's mathml_attributes without the namespace declarations.
const NameMap& mathml_attributes() {
  static const NameMap kMap = by_lower_case(
      {"accent", "accentunder", "actiontype", "align", "alignmentscope", "altimg",
       "altimg-height", "altimg-valign", "altimg-width", "alttext", "bevelled", "charalign",
       "close", "columnalign", "columnlines", "columnspacing", "columnspan", "columnwidth",
       "crossout", "decimalpoint", "denomalign", "depth", "dir", "display", "displaystyle",
       "edge", "encoding", "equalcolumns", "equalrows", "fence", "fontstyle", "fontweight",
       "form", "frame", "framespacing", "groupalign", "height", "href", "id", "indentalign",
       "indentalignfirst", "indentalignlast", "indentshift", "indentshiftfirst",
       "indentshiftlast", "indenttarget", "infixlinebreakstyle", "largeop", "length",
       "linebreak", "linebreakmultchar", "linebreakstyle", "lineleading", "linethickness",
       "location", "longdivstyle", "lquote", "lspace", "mathbackground", "mathcolor",
       "mathsize", "mathvariant", "maxsize", "minlabelspacing", "minsize", "movablelimits",
       "notation", "numalign", "open", "other", "overflow", "position", "rowalign", "rowlines",
       "rowspacing", "rowspan", "rquote", "rspace", "scriptlevel", "scriptminsize",
       "scriptsizemultiplier", "selection", "separator", "separators", "shift", "side", "src",
       "stackalign", "stretchy", "subscriptshift", "superscriptshift", "symmetric", "voffset",
       "width", "xlink:href", "xlink:show", "xlink:type"});
  return kMap;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A reference to an element of this document: `#id`, nothing else.
bool is_fragment_reference(std::string_view value) {
  value = trim(value);
  return value.size() > 1 && value.front() == '#';
}

// Every `url(...)` in `value` (any case, optional quotes) points to a `#id`; paint servers,
// markers and clip paths in other documents would be fetched by the reader's browser.
bool url_references_are_local(std::string_view value) {
  for (std::size_t i = 0; i + 3 < value.size(); ++i) {
    if (lower(value[i]) != 'u' || lower(value[i + 1]) != 'r' || lower(value[i + 2]) != 'l')
      continue;
    std::size_t j = i + 3;
    while (j < value.size() && is_space(value[j])) ++j;
    if (j >= value.size() || value[j] != '(') continue;
    ++j;
    while (j < value.size() && (is_space(value[j]) || value[j] == '"' || value[j] == '\''))
      ++j;
    if (j >= value.size() || value[j] != '#') return false;
  }
  return true;
}

// A link written out only with a scheme from the HTML sanitiser's safe list.
bool clean_link(std::string_view html_element, std::string_view html_attribute,
                std::string_view value, std::string_view base_url, std::string& out) {
  if (!clean_attribute(html_element, html_attribute, value, base_url, out)) return false;
  return !trim(out).empty();
}

}  // namespace

std::string_view foreign_element_name(Foreign ns, std::string_view name) {
  if (ns == Foreign::kSvg) return lookup(svg_elements(), name);
  if (ns == Foreign::kMathMl) return lookup(mathml_elements(), name);
  return {};
}

std::string_view foreign_attribute_name(Foreign ns, std::string_view name) {
  if (ns == Foreign::kSvg) return lookup(svg_attributes(), name);
  if (ns == Foreign::kMathMl) return lookup(mathml_attributes(), name);
  return {};
}

bool foreign_element_drops_content(std::string_view name) {
  return name == "foreignobject" || name == "script" || name == "style";
}

bool is_animation_element(std::string_view name) {
  return name == "animate" || name == "animatecolor" || name == "animatemotion" ||
         name == "animatetransform" || name == "set";
}

bool animates_active_attribute(std::string_view attribute_name) {
  std::string_view local = trim(attribute_name);
  std::size_t colon = local.rfind(':');
  if (colon != std::string_view::npos) local.remove_prefix(colon + 1);
  std::string name;
  for (char c : local) name += lower(c);
  return name == "href" || name.starts_with("on") || name == "style" || name == "src";
}

bool clean_foreign_attribute(Foreign ns, std::string_view element, std::string_view name,
                             std::string_view value, std::string_view base_url, std::string& out) {
  if (ns == Foreign::kMathMl && (name == "href" || name == "xlink:href")) {
    return clean_link("a", "href", value, base_url, out);
  }
  if (ns == Foreign::kMathMl && name == "src") {
    return clean_link("img", "src", value, base_url, out);
  }
  if (name == "xlink:href") {
    if (element == "a") return clean_link("a", "href", value, base_url, out);
    if (!is_fragment_reference(value)) return false;
  }
  if (!url_references_are_local(value)) return false;
  out.assign(value);
  return true;
}

}  // namespace feedpipe::parser::html
