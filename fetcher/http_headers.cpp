#include "fetcher/http_headers.h"

#include <curl/curl.h>

#include <cctype>
#include <charconv>
#include <string>

namespace feedpipe::fetcher {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::optional<std::int64_t> parse_seconds(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  const std::string s(trim(text));
  if (s.empty()) return std::nullopt;
  const time_t t = curl_getdate(s.c_str(), nullptr);
  if (t == -1) return std::nullopt;
  return static_cast<std::int64_t>(t);
}

std::optional<Millis> parse_retry_after(std::string_view value, std::int64_t date_unix) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    auto secs = parse_seconds(value);
    if (!secs || *secs > 365LL * 24 * 3600) return std::nullopt;
    return Millis(*secs * 1000);
  }
  auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  const std::int64_t delta = *when - date_unix;
  return Millis(std::max<std::int64_t>(delta, 0) * 1000);
}

std::optional<Millis> freshness(std::string_view cache_control, std::string_view expires,
                                std::int64_t date_unix) {
  std::string_view rest = cache_control;
  std::optional<Millis> max_age;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view directive = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto eq = directive.find('=');
    const std::string_view name = trim(directive.substr(0, eq));
    if (iequals(name, "no-cache") || iequals(name, "no-store")) return std::nullopt;
    if (iequals(name, "max-age") && eq != std::string_view::npos) {
      if (auto secs = parse_seconds(directive.substr(eq + 1))) max_age = Millis(*secs * 1000);
    }
  }
  if (max_age) return max_age;
  if (!trim(expires).empty()) {
    auto when = parse_http_date(expires);
    if (!when) return Millis(0);  // RFC 9111: an invalid Expires means already expired
    return Millis(std::max<std::int64_t>(*when - date_unix, 0) * 1000);
  }
  return std::nullopt;
}

}  // namespace feedpipe::fetcher
