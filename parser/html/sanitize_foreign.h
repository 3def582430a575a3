#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace feedpipe::parser::html {

// Inline SVG and MathML in feed HTML (formulas, small diagrams). feedparser's
// `_HTMLSanitizer` lists are the reference (`svg_elements`, `svg_attributes`,
// `mathml_elements`, `mathml_attributes`), tightened where they let active content through:
// no `foreignObject`, no `xml:base`, `xlink:href` checked like any URL, references to other
// documents (`<use>`, `url(...)` paint) only to same-document `#id`s, and animation elements
// that would animate a link or an event handler dropped.
enum class Foreign : std::uint8_t { kNone, kSvg, kMathMl };

inline constexpr std::string_view kSvgNamespace = "http://www.w3.org/2000/svg";
inline constexpr std::string_view kMathMlNamespace = "http://www.w3.org/1998/Math/MathML";
inline constexpr std::string_view kXlinkNamespace = "http://www.w3.org/1999/xlink";

// Name an allow-listed element of `ns` is written with (SVG's camelCase restored from the
// lower-cased `name`); empty when the element is not on the list.
std::string_view foreign_element_name(Foreign ns, std::string_view name);

// Name an allow-listed attribute of `ns` is written with; empty when it is not on the list.
// `xmlns` and `xmlns:xlink` are not listed: the sanitiser writes its own declarations.
std::string_view foreign_attribute_name(Foreign ns, std::string_view name);

// SVG elements dropped with their content even though they belong to SVG: `foreignObject`
// (HTML in a hole of the allow-list) and `script`/`style` (dropped everywhere).
bool foreign_element_drops_content(std::string_view name);

// True for an SVG animation element (`animate`, `set`, ...) whose `attributeName` (decoded)
// would change a link (`href`, any prefix) or an event handler (`on*`): dropped entirely.
bool is_animation_element(std::string_view name);
bool animates_active_attribute(std::string_view attribute_name);

// Value an allow-listed foreign attribute is written with (false drops the attribute):
// links (`xlink:href` on SVG `<a>`, `href`/`xlink:href`/`src` in MathML) resolved against
// `base_url` and dropped unless their scheme is safe; other `xlink:href`s kept only as
// `#id`; values with `url(...)` kept only when every reference is a `#id`.
bool clean_foreign_attribute(Foreign ns, std::string_view element, std::string_view name,
                             std::string_view value, std::string_view base_url, std::string& out);

}  // namespace feedpipe::parser::html
