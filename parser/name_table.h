#pragma once

// Fixed tables of short names, built once and looked up by open addressing. The sanitiser
// asks about every tag and attribute of every body, and the feed reader about every element;
// std::unordered_set answers with a murmur hash, a division by a prime and a walk down a
// bucket's list.
//
// The names are not copied: they must outlive the table (they are literals).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace feedpipe::parser {

// Names with a value each; the first of a repeated name keeps its value.
template <class Value>
class NameMap {
 public:
  NameMap(std::initializer_list<std::pair<std::string_view, Value>> entries)
      : NameMap(entries.begin(), entries.end()) {}

  // `It` yields pairs of a name and its value.
  template <class It>
  NameMap(It first, It last) {
    std::size_t size = 16;
    while (size < static_cast<std::size_t>(last - first) * 4) size *= 2;  // a quarter full at most
    slots_.resize(size);
    mask_ = size - 1;
    for (; first != last; ++first) {
      std::string_view name = first->first;
      std::size_t i = hash(name) & mask_;
      while (slots_[i].used && slots_[i].name != name) i = (i + 1) & mask_;
      if (slots_[i].used) continue;
      slots_[i] = {name, first->second, true};
    }
  }

  // The value of `name`, or null.
  const Value* find(std::string_view name) const {
    for (std::size_t i = hash(name) & mask_; slots_[i].used; i = (i + 1) & mask_)
      if (slots_[i].name == name) return &slots_[i].value;
    return nullptr;
  }

 private:
  struct Slot {
    std::string_view name;
    Value value{};
    bool used = false;
  };

  // FNV-1a: names are a few bytes long, so a byte loop beats a block hash's set-up.
  static std::size_t hash(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

class NameSet {
 public:
  NameSet(std::initializer_list<std::string_view> names) : NameSet(names.begin(), names.end()) {}

  template <class It>
  NameSet(It first, It last) : map_(with_values(first, last)) {}

  bool contains(std::string_view name) const { return map_.find(name) != nullptr; }

 private:
  struct Empty {};

  template <class It>
  static NameMap<Empty> with_values(It first, It last) {
    std::vector<std::pair<std::string_view, Empty>> entries;
    for (; first != last; ++first) entries.emplace_back(std::string_view(*first), Empty{});
    return NameMap<Empty>(entries.begin(), entries.end());
  }

  NameMap<Empty> map_;
};

}  // namespace feedpipe::parser
