#pragma once

#include <string>
#include <string_view>

namespace feedpipe::parser {

// Decoders for the Mac single-byte charsets glibc's iconv has no table for (MacGreek,
// MacTurkish). Returns false when `charset` is not one of them.
bool decode_mac_charset(std::string_view bytes, std::string_view charset, std::string* out);

}  // namespace feedpipe::parser
