#include "parser/charset.h"

#include <iconv.h>
#include <uchardet/uchardet.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "parser/mac_charsets.h"
#include "parser/text.h"

namespace feedpipe::parser {
namespace {

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};
using IconvHandle = std::unique_ptr<void, IconvCloser>;

struct UchardetDeleter {
  void operator()(uchardet_t u) const { uchardet_delete(u); }
};
using Uchardet = std::unique_ptr<std::remove_pointer_t<uchardet_t>, UchardetDeleter>;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Charset names feedparser treats as aliases that iconv spells differently.
std::string iconv_name(std::string_view charset) {
  std::string c = ascii_lower(trim(charset));
  if (c == "gb2312") return "GB18030";
  if (c == "utf-16" || c == "utf16" || c == "u16" || c == "iso-10646-ucs-2" || c == "csunicode" ||
      c == "ucs-2")
    return "UTF-16";
  if (c == "utf-32" || c == "utf32" || c == "u32" || c == "iso-10646-ucs-4" || c == "csucs4" ||
      c == "ucs-4")
    return "UTF-32";
  if (c == "utf8" || c == "u8") return "UTF-8";
  if (c == "latin1" || c == "latin-1" || c == "l1") return "ISO-8859-1";
  if (c == "macintosh" || c == "mac-roman") return "MACINTOSH";
  if (c == "x-sjis" || c == "shift-jis") return "SHIFT_JIS";
  if (c == "cp-1252" || c == "win-1252") return "CP1252";
  if (c == "cp_is" || c == "cp-is") return "CP861";
  if (c == "maccentraleurope" || c == "maclatin2") return "MAC-CENTRALEUROPE";
  if (c == "maciceland") return "MAC-IS";
  if (c == "macroman") return "MACINTOSH";
  if (c == "ibm039") return "IBM037";
  if (c == "csibm861") return "IBM861";
  return c;
}

// Encoding named by the XML declaration of a document already in an ASCII-compatible form.
std::string xml_declared_encoding(std::string_view doc) {
  if (!starts_with(doc, "<?")) return {};
  size_t end = doc.find("?>");
  if (end == std::string_view::npos || end > 512) return {};
  std::string_view decl = doc.substr(0, end);
  size_t p = decl.find("encoding");
  if (p == std::string_view::npos) return {};
  p = decl.find_first_of("'\"", p);
  if (p == std::string_view::npos) return {};
  size_t q = decl.find(decl[p], p + 1);
  if (q == std::string_view::npos) return {};
  return ascii_lower(decl.substr(p + 1, q - p - 1));
}

// Media type and charset parameter of a Content-Type header.
void split_content_type(std::string_view header, std::string* type, std::string* charset) {
  size_t semi = header.find(';');
  *type = ascii_lower(trim(header.substr(0, semi)));
  while (semi != std::string_view::npos) {
    header.remove_prefix(semi + 1);
    semi = header.find(';');
    std::string_view param = trim(header.substr(0, semi));
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "charset")) {
      std::string cleaned;
      for (char c : trim(param.substr(eq + 1)))
        if (c != '"' && c != '\'') cleaned += c;
      *charset = ascii_lower(cleaned);
    }
  }
}

std::string detect_with_uchardet(std::string_view bytes) {
  Uchardet ud(uchardet_new());
  if (!ud) return {};
  uchardet_handle_data(ud.get(), bytes.data(), bytes.size() > (1 << 20) ? (1 << 20) : bytes.size());
  uchardet_data_end(ud.get());
  const char* cs = uchardet_get_charset(ud.get());
  return cs ? ascii_lower(cs) : std::string();
}

// Stateless single-byte charsets, where converting a text is converting each byte on its
// own. (glibc's CP1255 and CP1258 compose combining marks, so they are not in the list.)
bool is_single_byte_charset(std::string_view name) {
  std::string n = ascii_lower(name);
  if (n == "windows-1255" || n == "windows-1258" || n == "cp1255" || n == "cp1258") return false;
  for (std::string_view prefix : {"windows-125", "cp125", "iso-8859-", "iso8859-", "koi8-"})
    if (n.starts_with(prefix)) return true;
  return false;
}

// Below this size the table costs more than it saves (256 conversions to build it).
constexpr size_t kTableMinimum = 64 << 10;

// Converts a single-byte charset through a table of what iconv makes of each byte: the
// same result as converting the whole text, several times faster on large documents.
bool transcode_single_byte(iconv_t cd, std::string_view bytes, std::string* out) {
  struct Mapping {
    char utf8[4] = {};
    std::uint8_t size = 0;
    bool valid = false;
  };
  std::array<Mapping, 256> table;
  for (int b = 0; b < 256; ++b) {
    char in_byte = static_cast<char>(b);
    char* in = &in_byte;
    size_t in_left = 1;
    char* dst = table[b].utf8;
    size_t dst_left = sizeof table[b].utf8;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
    if (iconv(cd, &in, &in_left, &dst, &dst_left) == static_cast<size_t>(-1) || in_left != 0)
      continue;
    table[b].size = static_cast<std::uint8_t>(sizeof table[b].utf8 - dst_left);
    table[b].valid = true;
  }
  // One pass sizes the output and finds bytes the charset lacks. A byte's entry is its
  // mapping's size less one (0-3), with the high bit set when there is no mapping.
  constexpr std::uint8_t kMissing = 0x80;
  std::array<std::uint8_t, 256> growth;
  for (int b = 0; b < 256; ++b)
    growth[b] = table[b].valid ? static_cast<std::uint8_t>(table[b].size - 1) : kMissing;
  // Charsets that keep ASCII as it is pass blocks of ASCII through without the table.
  bool ascii_same = true;
  for (int b = 0; b < 0x80 && ascii_same; ++b)
    ascii_same = table[b].size == 1 && table[b].utf8[0] == static_cast<char>(b);
  auto ascii_block = [](const char* p) {
    std::uint64_t w[2];
    std::memcpy(w, p, 16);
    return ((w[0] | w[1]) & 0x8080808080808080ULL) == 0;
  };
  size_t grown = 0;
  std::uint8_t missing = 0;
  for (size_t i = 0; i < bytes.size();) {
    if (ascii_same && bytes.size() - i >= 16 && ascii_block(bytes.data() + i)) {
      i += 16;
      continue;
    }
    const size_t stop = std::min(bytes.size(), i + 16);
    for (; i < stop; ++i) {
      const std::uint8_t g = growth[static_cast<unsigned char>(bytes[i])];
      grown += g & 3u;
      missing |= g;
    }
  }
  if (missing & kMissing) return false;
  const size_t total = bytes.size() + grown;
  out->resize(total + 4);  // every mapping is copied as four bytes, then overwritten
  char* dst = out->data();
  // Each mapping as one 4-byte word, stored whole; the output moves on by its size.
  std::array<std::uint32_t, 256> word;
  std::array<std::uint8_t, 256> size;
  for (int b = 0; b < 256; ++b) {
    std::memcpy(&word[b], table[b].utf8, 4);
    size[b] = table[b].size;
  }
  auto map_bytes = [&word, &size](const char* from, const char* stop, char* to) {
    for (; from < stop; ++from) {
      const auto c = static_cast<unsigned char>(*from);
      std::memcpy(to, &word[c], 4);
      to += size[c];
    }
    return to;
  };
  const char* src = bytes.data();
  const char* const end = src + bytes.size();
  for (; ascii_same && end - src >= 16; src += 16) {
    if (ascii_block(src)) {
      std::memcpy(dst, src, 16);
      dst += 16;
    } else {
      dst = map_bytes(src, src + 16, dst);
    }
  }
  map_bytes(src, end, dst);
  out->resize(total);
  return true;
}

}  // namespace

bool transcode_to_utf8(std::string_view bytes, std::string_view charset, std::string* out) {
  std::string name = iconv_name(charset);
  if (name.empty()) return false;
  if (decode_mac_charset(bytes, name, out)) return true;
  if (name == "utf-8") {
    if (!valid_utf8(bytes)) return false;
    out->assign(bytes);
    return true;
  }
  iconv_t raw = iconv_open("UTF-8", name.c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) {
    // Python spells some codecs with underscores where iconv uses dashes (ebcdic_cp_be).
    std::string dashed = name;
    for (auto& c : dashed)
      if (c == '_') c = '-';
    raw = iconv_open("UTF-8", dashed.c_str());
    if (raw == reinterpret_cast<iconv_t>(-1)) return false;
  }
  IconvHandle cd(raw);
  if (bytes.size() >= kTableMinimum && is_single_byte_charset(name))
    return transcode_single_byte(raw, bytes, out);
  out->clear();
  // Reserve a bound the output rarely exceeds instead of zero-filling a worst-case buffer:
  // reserved pages that are never written cost no memory, and the conversion goes through
  // a small buffer. Up to three bytes per non-ASCII byte covers single-byte charsets.
  size_t high = 0;
  for (char c : bytes) high += static_cast<unsigned char>(c) >> 7;
  bool wide = name.starts_with("UTF-16") || name.starts_with("UTF-32") ||
              name.starts_with("UCS") || name.find("16") != std::string::npos ||
              name.find("32") != std::string::npos;
  out->reserve(wide ? bytes.size() * 3 / 2 + 16 : bytes.size() + 2 * high + 16);
  char buffer[1 << 16];
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  while (true) {
    char* dst = buffer;
    size_t dst_left = sizeof buffer;
    size_t rc = iconv(raw, &in, &in_left, &dst, &dst_left);
    if (rc == static_cast<size_t>(-1) && errno != E2BIG) return false;  // not this charset
    out->append(buffer, static_cast<size_t>(dst - buffer));
    if (rc != static_cast<size_t>(-1)) break;
  }
  char* dst = buffer;
  size_t dst_left = sizeof buffer;
  iconv(raw, nullptr, nullptr, &dst, &dst_left);  // flush any shift state
  out->append(buffer, static_cast<size_t>(dst - buffer));
  return true;
}

DecodedText decode_document(std::string_view bytes, std::string_view content_type, bool is_xml) {
  DecodedText result;
  std::string bom;
  std::string_view data = bytes;
  auto b = [&](size_t i) { return i < data.size() ? static_cast<unsigned char>(data[i]) : 0x100; };
  if (b(0) == 0x00 && b(1) == 0x00 && b(2) == 0xFE && b(3) == 0xFF) {
    bom = "utf-32be", data.remove_prefix(4);
  } else if (b(0) == 0xFF && b(1) == 0xFE && b(2) == 0x00 && b(3) == 0x00) {
    bom = "utf-32le", data.remove_prefix(4);
  } else if (b(0) == 0xFE && b(1) == 0xFF) {
    bom = "utf-16be", data.remove_prefix(2);
  } else if (b(0) == 0xFF && b(1) == 0xFE) {
    bom = "utf-16le", data.remove_prefix(2);
  } else if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) {
    bom = "utf-8", data.remove_prefix(3);
  } else if (b(0) == 0x00 && b(1) == 0x3C && b(2) == 0x00 && b(3) == 0x3F) {
    bom = "utf-16be";
  } else if (b(0) == 0x3C && b(1) == 0x00 && b(2) == 0x3F && b(3) == 0x00) {
    bom = "utf-16le";
  } else if (b(0) == 0x00 && b(1) == 0x00 && b(2) == 0x00 && b(3) == 0x3C) {
    bom = "utf-32be";
  } else if (b(0) == 0x3C && b(1) == 0x00 && b(2) == 0x00 && b(3) == 0x00) {
    bom = "utf-32le";
  } else if (b(0) == 0x4C && b(1) == 0x6F && b(2) == 0xA7 && b(3) == 0x94) {
    bom = "cp037";
  }

  std::string xml_encoding;
  if (is_xml) {
    if (bom.empty() || bom == "utf-8") {
      xml_encoding = xml_declared_encoding(data.substr(0, 512));
    } else {
      std::string head;
      if (transcode_to_utf8(data.substr(0, std::min<size_t>(data.size(), 1024) & ~size_t{3}), bom,
                            &head))
        xml_encoding = xml_declared_encoding(head);
    }
    static constexpr std::string_view kWide[] = {"u16",   "utf-16", "utf16",  "utf_16",
                                                 "u32",   "utf-32", "utf32",  "utf_32",
                                                 "iso-10646-ucs-2", "iso-10646-ucs-4",
                                                 "csucs4", "csunicode", "ucs-2", "ucs-4"};
    if (!bom.empty())
      for (auto w : kWide)
        if (xml_encoding == w) xml_encoding = bom;
  }

  std::string http_type, http_charset;
  split_content_type(content_type, &http_type, &http_charset);
  bool have_http = !content_type.empty();
  std::string declared;
  bool acceptable = false;
  if (!is_xml) {
    declared = http_charset.empty() ? (bom.empty() ? "utf-8" : bom) : http_charset;
    acceptable = true;
  } else if (http_type == "application/xml" || http_type == "application/xml-dtd" ||
             http_type == "application/xml-external-parsed-entity" ||
             (starts_with(http_type, "application/") && http_type.ends_with("+xml"))) {
    acceptable = true;
    declared = !http_charset.empty() ? http_charset
               : !xml_encoding.empty() ? xml_encoding
                                       : "utf-8";
  } else if (http_type == "text/xml" || http_type == "text/xml-external-parsed-entity" ||
             (starts_with(http_type, "text/") && http_type.ends_with("+xml"))) {
    acceptable = true;
    declared = !http_charset.empty() ? http_charset : "us-ascii";
  } else if (starts_with(http_type, "text/")) {
    declared = !http_charset.empty() ? http_charset : "us-ascii";
  } else {
    declared = !xml_encoding.empty() ? xml_encoding : (bom.empty() ? "utf-8" : bom);
    acceptable = !have_http || http_type.empty();
  }
  if (have_http && !acceptable && is_xml) {
    result.bozo = true;
    result.bozo_reason = "not an XML media type: " + std::string(content_type);
  }

  // A document that declares a single-byte charset but is valid, non-ASCII UTF-8 was
  // mislabelled: real-world publishers do this far more often than the reverse.
  bool ascii_only = first_non_ascii(data) == data.size();
  bool wide = starts_with(iconv_name(declared), "UTF-16") ||
              starts_with(iconv_name(declared), "UTF-32") || declared.find("16") != std::string::npos ||
              declared.find("32") != std::string::npos;

  std::string candidates[] = {declared, xml_encoding, bom, "", "utf-8", "windows-1252",
                              "iso-8859-2"};
  // The UTF-8 check last: it reads the whole document.
  if (!ascii_only && !wide && bom.empty() && declared != "utf-8" && valid_utf8(data)) {
    candidates[0] = "utf-8";
  }
  std::string tried;
  for (int i = 0; i < 7; ++i) {
    std::string c = candidates[i];
    if (i == 3) {
      if (ascii_only || valid_utf8(data)) continue;
      c = detect_with_uchardet(data);
      if (c == "ascii") c.clear();
      // uchardet names the superset; report the common charset when the bytes fit it.
      std::string narrow = c == "uhc" ? "euc-kr" : c == "gb18030" ? "gb2312" : "";
      if (!narrow.empty() && transcode_to_utf8(data, narrow, &result.utf8)) c = narrow;
    }
    if (c.empty()) continue;
    if (c == "us-ascii" && !ascii_only) continue;
    if (transcode_to_utf8(data, c, &result.utf8)) {
      std::string name = c;
      if (name != declared) {
        result.bozo = true;
        if (result.bozo_reason.empty())
          result.bozo_reason = "document declared as " + declared + ", but parsed as " + name;
      }
      result.encoding = name;
      if (result.encoding == "gb2312" && i != 3) result.encoding = "gb18030";
      return result;
    }
  }
  // Nothing decoded it cleanly: keep the bytes that are valid, replace the rest.
  result.bozo = true;
  result.bozo_reason = "document encoding unknown";
  result.encoding.clear();
  result.utf8.clear();
  for (unsigned char c : data) {
    if (c < 0x80) result.utf8 += static_cast<char>(c);
    else append_utf8(result.utf8, 0xFFFD);
  }
  return result;
}

}  // namespace feedpipe::parser
