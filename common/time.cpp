#include "common/time.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace feedpipe {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

std::optional<std::int64_t> make_time(int y, int mo, int d, int h, int mi, int s,
                                      int offset_seconds) {
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
  if (h < 0 || h > 24 || mi < 0 || mi > 59 || s < 0 || s > 61) return std::nullopt;
  if (s > 59) s = 59;
  return days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + s - offset_seconds;
}

// Reads exactly `n` digits at `p`.
bool digits(std::string_view s, size_t& p, size_t n, int* out) {
  if (n > 9 || p + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!is_digit(s[p + i])) return false;
    v = v * 10 + (s[p + i] - '0');
  }
  *out = v;
  p += n;
  return true;
}

// "+hh:mm", "-hhmm", "+hh", "Z": seconds east of UTC.
bool parse_offset(std::string_view s, int* out) {
  if (s.empty()) return false;
  if (s == "Z" || s == "z") {
    *out = 0;
    return true;
  }
  if (s[0] != '+' && s[0] != '-') return false;
  int sign = s[0] == '-' ? -1 : 1;
  size_t p = 1;
  int h = 0, m = 0;
  if (!digits(s, p, 2, &h)) {
    p = 1;
    if (!digits(s, p, 1, &h)) return false;
  }
  if (p < s.size() && s[p] == ':') ++p;
  if (p < s.size() && !digits(s, p, 2, &m)) return false;
  if (p != s.size() || h > 23 || m > 59) return false;
  *out = sign * (h * 3600 + m * 60);
  return true;
}

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
  size_t p = 0;
  int y = 0, mo = 1, d = 1, h = 0, mi = 0, sec = 0, off = 0;
  if (!digits(s, p, 4, &y)) return std::nullopt;
  bool compact = false;
  if (p < s.size() && s[p] == '-') {
    ++p;
    if (!digits(s, p, 2, &mo)) return std::nullopt;
    if (p < s.size() && s[p] == '-') {
      ++p;
      if (!digits(s, p, 2, &d)) {
        if (!digits(s, p, 1, &d)) return std::nullopt;
      }
    }
  } else if (p < s.size() && is_digit(s[p])) {
    if (!digits(s, p, 2, &mo) || !digits(s, p, 2, &d)) return std::nullopt;
    compact = true;
  }
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    ++p;
    while (p < s.size() && s[p] == ' ') ++p;
    if (!digits(s, p, 2, &h)) return std::nullopt;
    if (p < s.size() && s[p] == ':') ++p;
    else if (!compact && p < s.size() && is_digit(s[p]) == false) return std::nullopt;
    if (p < s.size() && is_digit(s[p])) {
      if (!digits(s, p, 2, &mi)) return std::nullopt;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size() && is_digit(s[p])) {
        if (!digits(s, p, 2, &sec)) return std::nullopt;
        if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
          ++p;
          while (p < s.size() && is_digit(s[p])) ++p;
        }
      }
    }
    while (p < s.size() && s[p] == ' ') ++p;
    std::string_view zone = s.substr(p);
    if (!zone.empty()) {
      if (zone == "UTC" || zone == "GMT" || zone == "UT") off = 0;
      else if (!parse_offset(zone, &off)) return std::nullopt;
    }
    p = s.size();
  }
  if (p != s.size()) return std::nullopt;
  return make_time(y, mo, d, h, mi, sec, off);
}

struct ZoneName {
  std::string_view name;
  int hours;
};
constexpr ZoneName kZones[] = {
    {"UT", 0},    {"UTC", 0},  {"GMT", 0},  {"Z", 0},    {"WET", 0},   {"BST", 1},
    {"CET", 1},   {"MET", 1},  {"CEST", 2}, {"MEST", 2}, {"EET", 2},   {"EEST", 3},
    {"MSK", 3},   {"IST", 5},  {"JST", 9},  {"KST", 9},  {"HKT", 8},   {"SGT", 8},
    {"AEST", 10}, {"AEDT", 11}, {"NZST", 12}, {"NZDT", 13}, {"AST", -4}, {"ADT", -3},
    {"EST", -5},  {"EDT", -4}, {"CST", -6}, {"CDT", -5}, {"MST", -7},  {"MDT", -6},
    {"PST", -8},  {"PDT", -7}, {"AKST", -9}, {"AKDT", -8}, {"HST", -10}, {"ET", -5},
    {"CT", -6},   {"MT", -7},  {"PT", -8},  {"AT", -4},  {"A", -1},    {"M", -12},
    {"N", 1},     {"Y", 12}};

char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Case-insensitive ASCII comparison with an upper-case name.
bool equals_upper(std::string_view t, std::string_view upper) {
  if (t.size() != upper.size()) return false;
  for (size_t i = 0; i < t.size(); ++i)
    if (ascii_upper(t[i]) != upper[i]) return false;
  return true;
}

bool starts_with_upper(std::string_view t, std::string_view upper) {
  return t.size() >= upper.size() && equals_upper(t.substr(0, upper.size()), upper);
}

// Every date has a month and many a weekday or zone name: these run without allocating.
int month_number(std::string_view t) {
  static constexpr std::string_view kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  if (t.size() < 3) return 0;
  for (int i = 0; i < 12; ++i)
    if (equals_upper(t.substr(0, 3), kMonths[i])) return i + 1;
  return 0;
}

bool zone_offset(std::string_view t, int* out) {
  std::string_view name = starts_with_upper(t, "ETC/") ? t.substr(4) : t;
  for (const auto& z : kZones)
    if (equals_upper(name, z.name)) {
      *out = z.hours * 3600;
      return true;
    }
  // "GMT+01:00", "UTC-5"
  for (std::string_view pre : {"GMT", "UTC", "UT"}) {
    if (name.size() > pre.size() && starts_with_upper(name, pre)) {
      return parse_offset(name.substr(pre.size()), out);
    }
  }
  return parse_offset(t, out);
}

// RFC 822 / 1123 / 850, asctime and their broken relatives: tokens in any order.
std::optional<std::int64_t> parse_tokens(std::string_view s) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t')) ++i;
    size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '\t') ++i;
    if (i > b) tokens.push_back(s.substr(b, i - b));
  }
  int y = -1, mo = 0, d = -1, h = 0, mi = 0, sec = 0, off = 0;
  bool have_time = false, have_zone = false;
  for (size_t k = 0; k < tokens.size(); ++k) {
    std::string_view t = tokens[k];
    if (t.find(':') != std::string_view::npos && is_digit(t[0]) && !have_time) {
      size_t p = 0;
      if (!digits(t, p, 2, &h) && !(p = 0, digits(t, p, 1, &h))) return std::nullopt;
      if (p >= t.size() || t[p] != ':') return std::nullopt;
      ++p;
      if (!digits(t, p, 2, &mi)) return std::nullopt;
      if (p < t.size() && t[p] == ':') {
        ++p;
        if (!digits(t, p, 2, &sec)) return std::nullopt;
        if (p < t.size() && t[p] == '.') {
          ++p;
          while (p < t.size() && is_digit(t[p])) ++p;
        }
      }
      have_time = true;
      if (p < t.size()) {
        if (!zone_offset(t.substr(p), &off)) return std::nullopt;
        have_zone = true;
      }
      continue;
    }
    if (is_digit(t[0])) {
      // "25-Jan-2017" (RFC 850) splits into pieces.
      size_t dash = t.find('-');
      if (dash != std::string_view::npos && dash > 0 && month_number(t.substr(dash + 1)) > 0) {
        size_t dash2 = t.find('-', dash + 1);
        if (dash2 == std::string_view::npos) return std::nullopt;
        size_t p = 0;
        if (!digits(t, p, dash, &d)) return std::nullopt;
        mo = month_number(t.substr(dash + 1));
        std::string_view ys = t.substr(dash2 + 1);
        p = 0;
        if (!digits(ys, p, ys.size(), &y) || ys.size() > 4) return std::nullopt;
        if (ys.size() <= 2) y += y < 90 ? 2000 : 1900;
        continue;
      }
      size_t p = 0;
      int v = 0;
      if (t.size() > 4 || !digits(t, p, t.size(), &v)) {
        // Trailing junk such as "2004." or "4th".
        while (p < t.size() && is_digit(t[p])) ++p;
        if (p == 0) return std::nullopt;
        v = 0;
        for (size_t q = 0; q < p && q < 5; ++q) v = v * 10 + (t[q] - '0');
        t = t.substr(0, p);
      }
      if (t.size() == 4 && y < 0) y = v;
      else if (t.size() <= 2 && d < 0 && mo == 0 && y < 0) d = v;
      else if (t.size() <= 2 && d < 0) d = v;
      else if (t.size() <= 2 && y < 0) y = v + (v < 90 ? 2000 : 1900);
      else if (t.size() == 4 && have_time && !have_zone) {
        if (!parse_offset(std::string("+") + std::string(t), &off)) return std::nullopt;
        have_zone = true;
      } else return std::nullopt;
      continue;
    }
    if (t[0] == '+' || t[0] == '-') {
      if (!parse_offset(t, &off)) return std::nullopt;
      have_zone = true;
      continue;
    }
    if (is_alpha(t[0])) {
      int m = month_number(t);
      if (m && mo == 0 && t.size() <= 9) {
        mo = m;
        continue;
      }
      if (!have_zone && zone_offset(t, &off)) {
        have_zone = true;
        continue;
      }
      continue;  // weekday names and noise words
    }
    if (t[0] == '(') continue;  // "(GMT)" comments
    return std::nullopt;
  }
  if (y < 0 || mo == 0 || d < 0) return std::nullopt;
  return make_time(y, mo, d, h, mi, sec, off);
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string_view s = text.substr(b, e - b);
  if (s.empty() || s.size() > 200) return std::nullopt;
  if (s.size() >= 4 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3])) {
    if (auto v = parse_iso8601(s)) return v;
  }
  return parse_tokens(s);
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace feedpipe
