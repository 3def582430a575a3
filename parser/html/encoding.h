#pragma once

#include <string>
#include <string_view>

namespace feedpipe::parser::html {

// The page as UTF-8: valid UTF-8 is returned unchanged (BOM dropped); other bytes are
// converted from the charset the page declares (<meta charset>, http-equiv), or from
// windows-1252, which is what browsers assume for undeclared legacy pages.
std::string page_to_utf8(std::string_view bytes);

bool is_valid_utf8(std::string_view bytes);

}  // namespace feedpipe::parser::html
