#pragma once

// Character-set detection and transcoding to UTF-8, in feedparser's order of trust:
// BOM, then the HTTP charset (RFC 3023 rules for XML media types), then the XML declaration,
// then detection; the first candidate that decodes cleanly wins.

#include <string>
#include <string_view>

namespace feedpipe::parser {

struct DecodedText {
  std::string utf8;        // the document as UTF-8 with any BOM removed
  std::string encoding;    // charset the bytes were read as (lower-case)
  bool bozo = false;       // declared charset wrong or missing, or not an XML media type
  std::string bozo_reason;
  bool fatal = false;      // nothing decoded it
};

// `content_type` is the HTTP Content-Type header (empty when the bytes came from a file).
// `is_xml` selects the XML rules; JSON is always UTF-8/16/32.
DecodedText decode_document(std::string_view bytes, std::string_view content_type, bool is_xml);

// Transcodes `bytes` from `charset` with iconv; false when the charset is unknown or the
// bytes are not valid in it.
bool transcode_to_utf8(std::string_view bytes, std::string_view charset, std::string* out);

}  // namespace feedpipe::parser
