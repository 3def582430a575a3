#pragma once

// A fixed set of short names, built once and looked up by open addressing. The sanitiser
// asks about every tag and attribute of every body; std::unordered_set answers with a murmur
// hash, a division by a prime and a walk down a bucket's list.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace feedpipe::parser {

// The names are not copied: they must outlive the set (the sanitiser's are literals).
class NameSet {
 public:
  NameSet(std::initializer_list<std::string_view> names) : NameSet(names.begin(), names.end()) {}

  template <class It>
  NameSet(It first, It last) {
    std::size_t size = 16;
    while (size < static_cast<std::size_t>(last - first) * 4) size *= 2;  // a quarter full at most
    slots_.resize(size);
    mask_ = size - 1;
    for (; first != last; ++first) {
      std::string_view n = *first;
      std::size_t i = hash(n) & mask_;
      while (slots_[i].data() != nullptr && slots_[i] != n) i = (i + 1) & mask_;
      slots_[i] = n.data() ? n : std::string_view("", 0);  // an empty name still fills its slot
    }
  }

  bool contains(std::string_view name) const {
    for (std::size_t i = hash(name) & mask_; slots_[i].data() != nullptr; i = (i + 1) & mask_)
      if (slots_[i] == name) return true;
    return false;
  }

 private:
  // FNV-1a: names are a few bytes long, so a byte loop beats a block hash's set-up.
  static std::size_t hash(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }

  std::vector<std::string_view> slots_;  // a null data() marks a free slot
  std::size_t mask_ = 0;
};

}  // namespace feedpipe::parser
