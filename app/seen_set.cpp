#include <algorithm>
#include <unordered_set>

#include "app/pipeline.h"

namespace feedpipe::app {
namespace {

std::string seen_entry(const Item& item) {
  return item.id + ":" + item.content_sha256.substr(0, 8);
}

std::string_view id_part(std::string_view entry) { return entry.substr(0, entry.find(':')); }

}  // namespace

SeenUpdate update_seen_set(const std::vector<std::string>& seen, const std::vector<Item>& items,
                           bool publish_updates, std::size_t min_cap) {
  SeenUpdate out;
  std::unordered_set<std::string_view> seen_exact(seen.begin(), seen.end());
  std::unordered_set<std::string_view> seen_ids;
  for (const auto& s : seen) seen_ids.insert(id_part(s));

  std::vector<std::string> current;
  current.reserve(items.size());
  std::unordered_set<std::string> current_ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& item = items[i];
    if (!current_ids.insert(item.id).second) continue;  // the same item twice in one document
    std::string entry = seen_entry(item);
    if (seen_exact.count(entry)) {
      ++out.unchanged;
    } else if (!seen_ids.count(item.id) || publish_updates) {
      out.fresh.push_back(i);
    } else {
      ++out.unchanged;
    }
    current.push_back(std::move(entry));
  }
  // Older entries the document no longer shows stay, so a feed that shrinks and grows back
  // does not re-emit; the document's own entries go last (most recent).
  for (const auto& s : seen)
    if (!current_ids.count(std::string(id_part(s)))) out.seen.push_back(s);
  for (auto& c : current) out.seen.push_back(std::move(c));
  std::size_t cap = std::max(min_cap, 2 * current.size());
  if (out.seen.size() > cap)
    out.seen.erase(out.seen.begin(), out.seen.begin() + static_cast<std::ptrdiff_t>(out.seen.size() - cap));
  return out;
}

}  // namespace feedpipe::app
