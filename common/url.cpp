#include "common/url.h"

#include <algorithm>
#include <vector>

namespace feedpipe {
namespace {

struct UrlParts {
  std::string_view scheme, authority, path, query, fragment;
  bool has_scheme = false, has_authority = false, has_query = false, has_fragment = false;
};

// ASCII classes, without the C library's locale lookups: URLs are ASCII syntax.
bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool ascii_alnum(char c) { return ascii_alpha(c) || (c >= '0' && c <= '9'); }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool scheme_char(char c) { return ascii_alnum(c) || c == '+' || c == '-' || c == '.'; }

UrlParts split(std::string_view u) {
  UrlParts p;
  size_t colon = u.find(':');
  if (colon != std::string_view::npos && colon > 0 && ascii_alpha(u[0])) {
    bool ok = true;
    for (size_t i = 0; i < colon; ++i) ok = ok && scheme_char(u[i]);
    if (ok) {
      p.scheme = u.substr(0, colon);
      p.has_scheme = true;
      u.remove_prefix(colon + 1);
    }
  }
  size_t hash = u.find('#');
  if (hash != std::string_view::npos) {
    p.fragment = u.substr(hash + 1);
    p.has_fragment = true;
    u = u.substr(0, hash);
  }
  size_t q = u.find('?');
  if (q != std::string_view::npos) {
    p.query = u.substr(q + 1);
    p.has_query = true;
    u = u.substr(0, q);
  }
  if (u.starts_with("//")) {
    u.remove_prefix(2);
    size_t slash = u.find('/');
    p.authority = u.substr(0, slash);
    p.has_authority = true;
    u = slash == std::string_view::npos ? std::string_view() : u.substr(slash);
  }
  p.path = u;
  return p;
}

bool has_dot_segment(std::string_view path) {
  if (path.find('.') == std::string_view::npos) return false;
  for (size_t i = 0; i <= path.size();) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(i, slash - i);
    if (seg == "." || seg == "..") return true;
    i = slash + 1;
  }
  return false;
}

std::string remove_dot_segments(std::string_view in) {
  if (!has_dot_segment(in)) return std::string(in);  // most paths: nothing to remove
  std::string out;
  std::string input(in);
  std::vector<std::string> segs;
  bool absolute = input.starts_with("/");
  size_t i = absolute ? 1 : 0;
  bool trailing = false;
  while (i <= input.size()) {
    size_t slash = input.find('/', i);
    std::string seg = input.substr(i, slash == std::string::npos ? std::string::npos : slash - i);
    bool last = slash == std::string::npos;
    if (seg == ".") {
      trailing = last;
    } else if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
      trailing = last;
    } else {
      segs.push_back(seg);
      trailing = false;
    }
    if (last) break;
    i = slash + 1;
  }
  if (absolute) out = "/";
  for (size_t k = 0; k < segs.size(); ++k) {
    if (k) out += '/';
    out += segs[k];
  }
  if (trailing && !out.ends_with("/")) out += '/';
  return out;
}

std::string merge(const UrlParts& base, std::string_view ref_path) {
  if (base.has_authority && base.path.empty()) return "/" + std::string(ref_path);
  size_t slash = base.path.rfind('/');
  if (slash == std::string_view::npos) return std::string(ref_path);
  return std::string(base.path.substr(0, slash + 1)) + std::string(ref_path);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

bool unreserved(unsigned char c) {
  return ascii_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Appends `s` with %XX of unreserved characters decoded, the hex of the rest upper-cased
// and the bytes that may not appear raw (spaces, non-ASCII) encoded.
void append_normalized_percent(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    const int high = c == '%' && i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    const int low = high >= 0 ? hex_value(s[i + 2]) : -1;
    if (low >= 0) {
      int v = high * 16 + low;
      if (unreserved(static_cast<unsigned char>(v))) {
        out += static_cast<char>(v);
      } else {
        out += '%';
        out += kHex[v >> 4];
        out += kHex[v & 15];
      }
      i += 2;
    } else if (c == '%' || c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' ||
               c == '^' || c == '`' || c == '{' || c == '|' || c == '}') {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

void append_lower(std::string& out, std::string_view s) {
  for (char c : s) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool param_dropped(std::string_view name, const std::vector<std::string>& drop) {
  std::string n = lower(name);
  for (const auto& d : drop) {
    if (!d.empty() && d.back() == '*') {
      if (n.starts_with(std::string_view(d).substr(0, d.size() - 1))) return true;
    } else if (n == d) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string resolve_url(std::string_view base, std::string_view ref) {
  std::string out;
  resolve_url(base, ref, out);
  return out;
}

void resolve_url(std::string_view base, std::string_view ref, std::string& out) {
  ref = trim(ref);
  base = trim(base);
  UrlParts r = split(ref);
  if (r.has_scheme) {
    out.assign(ref);
    return;
  }
  UrlParts b = split(base);
  if (!b.has_scheme) {
    out.assign(ref);
    return;
  }
  // Written in one string: the sanitiser resolves every link and image of every body.
  out.clear();
  out.reserve(base.size() + ref.size() + 1);
  out += b.scheme;
  out += ':';
  auto append_path = [&out](std::string_view path) {
    if (has_dot_segment(path)) out += remove_dot_segments(path);
    else out += path;
  };
  std::string_view query;
  bool has_query = false;
  if (r.has_authority) {
    out += "//";
    out += r.authority;
    append_path(r.path);
    query = r.query;
    has_query = r.has_query;
  } else {
    if (b.has_authority) {
      out += "//";
      out += b.authority;
    }
    if (r.path.empty()) {
      out += b.path;
      query = r.has_query ? r.query : b.query;
      has_query = r.has_query || b.has_query;
    } else {
      if (r.path.starts_with("/")) append_path(r.path);
      else append_path(merge(b, r.path));
      query = r.query;
      has_query = r.has_query;
    }
  }
  if (has_query) {
    out += '?';
    out += query;
  }
  if (r.has_fragment) {
    out += '#';
    out += r.fragment;
  }
}

const std::vector<std::string>& default_tracking_params() {
  static const std::vector<std::string> kParams = {
      "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid",
      "_hsenc", "_hsmi", "igshid", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
      "wt_mc", "ref_src"};
  return kParams;
}

std::string canonicalize_url(std::string_view url) {
  return canonicalize_url(url, default_tracking_params());
}

namespace {
std::string canonicalize_once(std::string_view url, const std::vector<std::string>& drop_params);
}  // namespace

// A malformed authority (two ports, "host.:4:443") comes out right only in steps: repeat
// until nothing changes, so the result is a fixed point (the fuzzer checks it).
std::string canonicalize_url(std::string_view url, const std::vector<std::string>& drop_params) {
  std::string out = canonicalize_once(url, drop_params);
  if (out == url) return out;  // already canonical: a fixed point as it stands
  for (int i = 0; i < 4; ++i) {
    std::string again = canonicalize_once(out, drop_params);
    if (again == out) break;
    out = std::move(again);
  }
  return out;
}

namespace {
std::string canonicalize_once(std::string_view url, const std::vector<std::string>& drop_params) {
  url = trim(url);
  UrlParts p = split(url);
  // Written into one string: every entry's link is canonicalised, most of them twice.
  const bool http = p.scheme.size() == 4 && lower(p.scheme) == "http";
  const bool https = p.scheme.size() == 5 && lower(p.scheme) == "https";
  if (!p.has_scheme || (!http && !https) || !p.has_authority) return std::string(url);
  std::string_view auth = p.authority;
  // Spaces or control characters in the authority: not a URL we can vouch for.
  if (std::any_of(auth.begin(), auth.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20; }))
    return std::string(url);
  size_t at = auth.rfind('@');
  std::string_view userinfo;
  if (at != std::string_view::npos) {
    userinfo = auth.substr(0, at + 1);
    auth = auth.substr(at + 1);
  }
  std::string_view host;
  std::string_view port;
  // A default port is dropped and what is left read again, so that a malformed authority
  // with the port repeated ("h:443:443") loses all of them in one pass: the result must be
  // a fixed point, and passes over a long run of ports would cost its square.
  while (true) {
    port = {};
    if (auth.starts_with("[")) {
      size_t close = auth.find(']');
      host = auth.substr(0, close == std::string_view::npos ? auth.size() : close + 1);
      if (close != std::string_view::npos && close + 1 < auth.size() && auth[close + 1] == ':')
        port = auth.substr(close + 2);
    } else {
      size_t colon = auth.rfind(':');
      std::string_view digits =
          colon == std::string_view::npos ? std::string_view() : auth.substr(colon + 1);
      bool numeric = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
                       return c >= '0' && c <= '9';
                     });
      // Only a numeric port is a port; anything else stays part of the host as written.
      host = numeric ? auth.substr(0, colon) : auth;
      if (numeric) port = digits;
    }
    if (!(http && port == "80") && !(https && port == "443")) break;
    port = {};
    auth = host;  // shorter than before: the port and its ':' are gone
  }
  if (host.find(':') == std::string_view::npos)
    while (host.ends_with(".")) host.remove_suffix(1);
  std::string out;
  out.reserve(url.size() + 1);
  out += http ? "http://" : "https://";
  out += userinfo;
  append_lower(out, host);
  if (!port.empty()) {
    out += ':';
    out += port;
  }
  const size_t path_at = out.size();
  append_normalized_percent(out, p.path);
  // Decoding can make a dot segment ("%2E%2E"), so they are removed from what was written.
  if (has_dot_segment(std::string_view(out).substr(path_at))) {
    std::string path = remove_dot_segments(std::string_view(out).substr(path_at));
    out.resize(path_at);
    out += path;
  }
  if (out.size() == path_at) out += '/';
  if (p.has_query) {
    bool first = true;
    std::string_view q = p.query;
    while (true) {
      size_t amp = q.find('&');
      std::string_view param = q.substr(0, amp);
      if (!param.empty()) {
        std::string_view name = param.substr(0, param.find('='));
        if (!param_dropped(name, drop_params)) {
          out += first ? '?' : '&';
          first = false;
          append_normalized_percent(out, param);
        }
      }
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
  }
  return out;
}
}  // namespace

std::string url_host(std::string_view url) {
  UrlParts p = split(trim(url));
  if (!p.has_authority) return {};
  std::string_view auth = p.authority;
  size_t at = auth.rfind('@');
  if (at != std::string_view::npos) auth = auth.substr(at + 1);
  if (auth.starts_with("[")) {
    size_t close = auth.find(']');
    return lower(auth.substr(0, close == std::string_view::npos ? auth.size() : close + 1));
  }
  return lower(auth.substr(0, auth.find(':')));
}

}  // namespace feedpipe
