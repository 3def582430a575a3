#pragma once

#include <string>
#include <string_view>

namespace feedpipe::parser::html {

// The page as UTF-8: valid UTF-8 is `bytes` itself (BOM dropped), without a copy; other
// bytes are converted, into `converted`, from the charset the page declares (<meta charset>,
// http-equiv), or from windows-1252, which is what browsers assume for undeclared legacy
// pages.
std::string_view page_to_utf8(std::string_view bytes, std::string& converted);

bool is_valid_utf8(std::string_view bytes);

}  // namespace feedpipe::parser::html
