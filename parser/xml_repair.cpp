#include "parser/xml_repair.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace feedpipe::parser {
namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (static_cast<unsigned char>(c) >= 0x80);
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// Copies text, escaping '&' that starts no reference and '<', '>' in attribute values.
void copy_text(std::string_view text, std::string& out, bool attribute) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (control(c)) continue;
    if (c == '&') {
      size_t j = i + 1;
      if (j < text.size() && text[j] == '#') {
        ++j;
        if (j < text.size() && (text[j] == 'x' || text[j] == 'X')) ++j;
      }
      size_t start = j;
      while (j < text.size() && j - start < 40 && (std::isalnum(static_cast<unsigned char>(text[j]))))
        ++j;
      if (j > start && j < text.size() && text[j] == ';') {
        out.append(text.substr(i, j + 1 - i));
        i = j;
      } else {
        out += "&amp;";
      }
      continue;
    }
    if (c == '<') {
      out += "&lt;";
      continue;
    }
    if (attribute && c == '"') {
      out += "&quot;";
      continue;
    }
    out += c;
  }
}

}  // namespace

std::string repair_xml(std::string_view doc) {
  std::string out;
  out.reserve(doc.size() + 64);
  // Open elements, innermost last, and how many of each name are open: a stray end tag is
  // known without a scan of the stack (a hostile document opens a million elements and
  // ends as many that match none).
  std::vector<std::string_view> open;
  std::unordered_map<std::string_view, std::size_t> open_names;
  auto pop = [&] {
    --open_names[open.back()];
    open.pop_back();
  };
  bool root_closed = false;
  size_t i = 0;
  const size_t n = doc.size();
  while (i < n) {
    if (doc[i] != '<') {
      size_t next = doc.find('<', i);
      if (next == std::string_view::npos) next = n;
      if (!root_closed && !open.empty()) copy_text(doc.substr(i, next - i), out, false);
      i = next;
      continue;
    }
    std::string_view rest = doc.substr(i);
    if (rest.starts_with("<!--")) {
      size_t end = doc.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      if (!root_closed) out.append(doc.substr(i, end + 3 - i));
      i = end + 3;
      continue;
    }
    if (rest.starts_with("<![CDATA[")) {
      size_t end = doc.find("]]>", i + 9);
      std::string_view body = doc.substr(i + 9, (end == std::string_view::npos ? n : end) - i - 9);
      if (!root_closed && !open.empty()) {
        out += "<![CDATA[";
        for (char c : body)
          if (!control(c)) out += c;
        out += "]]>";
      }
      i = end == std::string_view::npos ? n : end + 3;
      continue;
    }
    if (rest.starts_with("<!")) {
      // DOCTYPE and other declarations: up to the '>' outside an internal subset.
      size_t j = i + 2;
      int bracket = 0;
      while (j < n && !(doc[j] == '>' && bracket == 0)) {
        if (doc[j] == '[') ++bracket;
        else if (doc[j] == ']') --bracket;
        ++j;
      }
      if (j >= n) break;
      if (open.empty() && !root_closed) out.append(doc.substr(i, j + 1 - i));
      i = j + 1;
      continue;
    }
    if (rest.starts_with("<?")) {
      size_t end = doc.find("?>", i + 2);
      if (end == std::string_view::npos) break;
      if (!root_closed) out.append(doc.substr(i, end + 2 - i));
      i = end + 2;
      continue;
    }
    if (rest.size() > 1 && rest[1] == '/') {
      size_t j = i + 2;
      while (j < n && name_char(doc[j])) ++j;
      std::string_view name = doc.substr(i + 2, j - i - 2);
      size_t close = doc.find('>', j);
      i = close == std::string_view::npos ? n : close + 1;
      if (auto it = open_names.find(name); it == open_names.end() || it->second == 0) continue;
      for (size_t k = open.size(); k-- > 0;) {
        if (open[k] == name) {
          while (open.size() > k) {
            out += "</";
            out += open.back();
            out += '>';
            pop();
          }
          if (open.empty()) root_closed = true;
          break;
        }
      }
      continue;
    }
    if (rest.size() < 2 || !name_start(rest[1])) {
      if (!root_closed && !open.empty()) out += "&lt;";
      ++i;
      continue;
    }
    // Start tag.
    size_t j = i + 1;
    while (j < n && name_char(doc[j])) ++j;
    std::string_view name = doc.substr(i + 1, j - i - 1);
    std::string tag = "<" + std::string(name);
    // Attribute names written so far; through a set once there are many.
    std::vector<std::string_view> seen;
    std::unordered_set<std::string_view> seen_many;
    bool self_closing = false;
    bool complete = false;
    while (j < n) {
      while (j < n && (space(doc[j]) || control(doc[j]))) ++j;
      if (j >= n) break;
      if (doc[j] == '>') {
        complete = true;
        ++j;
        break;
      }
      if (doc[j] == '/' && j + 1 < n && doc[j + 1] == '>') {
        self_closing = complete = true;
        j += 2;
        break;
      }
      if (doc[j] == '<') break;  // a tag that never closed
      size_t a = j;
      while (j < n && !space(doc[j]) && doc[j] != '=' && doc[j] != '>' && doc[j] != '/' &&
             doc[j] != '<')
        ++j;
      std::string_view attr = doc.substr(a, j - a);
      if (attr.empty()) {
        ++j;
        continue;
      }
      while (j < n && space(doc[j])) ++j;
      std::string_view value;
      bool has_value = false;
      if (j < n && doc[j] == '=') {
        ++j;
        while (j < n && space(doc[j])) ++j;
        if (j < n && (doc[j] == '"' || doc[j] == '\'')) {
          char q = doc[j];
          size_t end = doc.find(q, j + 1);
          if (end == std::string_view::npos) end = n;
          value = doc.substr(j + 1, end - j - 1);
          j = end < n ? end + 1 : n;
        } else {
          size_t v = j;
          while (j < n && !space(doc[j]) && doc[j] != '>') ++j;
          value = doc.substr(v, j - v);
        }
        has_value = true;
      }
      bool valid = name_start(attr[0]);
      for (char c : attr) valid = valid && name_char(c);
      if (!valid) continue;
      bool dup = false;
      if (seen_many.empty() && seen.size() < 16) {
        dup = std::find(seen.begin(), seen.end(), attr) != seen.end();
        if (!dup) seen.push_back(attr);
      } else {
        if (seen_many.empty()) seen_many.insert(seen.begin(), seen.end());
        dup = !seen_many.insert(attr).second;
      }
      if (dup) continue;
      tag += ' ';
      tag.append(attr);
      tag += "=\"";
      if (has_value) copy_text(value, tag, true);
      else tag.append(attr);
      tag += '"';
    }
    i = j;
    if (root_closed) continue;
    if (!complete && j >= n) break;  // truncated inside a tag
    out += tag;
    if (self_closing) {
      out += "/>";
      if (open.empty()) root_closed = true;
    } else {
      out += '>';
      open.push_back(name);
      ++open_names[name];
    }
  }
  while (!open.empty()) {
    out += "</";
    out += open.back();
    out += '>';
    open.pop_back();
  }
  return out;
}

}  // namespace feedpipe::parser
