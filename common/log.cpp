#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <unordered_map>

namespace feedpipe::log {
namespace {

constexpr int kBurst = 20;
constexpr auto kWindow = std::chrono::seconds(10);

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

struct RepeatCounter {
  std::chrono::steady_clock::time_point window_start;
  int count = 0;
  std::int64_t suppressed = 0;
};

std::mutex g_mutex;
std::unordered_map<std::string, RepeatCounter> g_repeats;  // guarded by g_mutex

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

void append_timestamp(std::string& out) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  out += buf;
}

void append_value(std::string& out, const Field::Value& v) {
  if (auto s = std::get_if<std::string_view>(&v)) {
    append_json_string(out, *s);
  } else if (auto i = std::get_if<std::int64_t>(&v)) {
    out += std::to_string(*i);
  } else if (auto d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", *d);
    out += buf;
  } else if (auto b = std::get_if<bool>(&v)) {
    out += *b ? "true" : "false";
  }
}

}  // namespace

void set_level(Level level) { g_level.store(static_cast<int>(level)); }
bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

bool parse_level(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::kDebug;
  else if (text == "info") *out = Level::kInfo;
  else if (text == "warn" || text == "warning") *out = Level::kWarn;
  else if (text == "error") *out = Level::kError;
  else return false;
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void write(Level level, std::string_view component, std::string_view msg,
           std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::int64_t suppressed = 0;
  {
    std::lock_guard lock(g_mutex);
    std::string key;
    key.reserve(component.size() + msg.size() + 1);
    key.append(component).push_back('\0');
    key.append(msg);
    auto& rc = g_repeats[key];
    auto now = std::chrono::steady_clock::now();
    if (now - rc.window_start > kWindow) {
      suppressed = rc.suppressed;
      rc.window_start = now;
      rc.count = 0;
      rc.suppressed = 0;
    }
    if (++rc.count > kBurst) {
      ++rc.suppressed;
      return;
    }
    if (g_repeats.size() > 10000) g_repeats.clear();  // bounded: messages are not per item
  }
  std::string line;
  line.reserve(128);
  line += "{\"ts\":\"";
  append_timestamp(line);
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"component\":";
  append_json_string(line, component);
  line += ",\"msg\":";
  append_json_string(line, msg);
  for (const auto& f : fields) {
    line += ',';
    append_json_string(line, f.key);
    line += ':';
    append_value(line, f.value);
  }
  if (suppressed > 0) {
    line += ",\"suppressed_repeats\":";
    line += std::to_string(suppressed);
  }
  line += "}\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace feedpipe::log
