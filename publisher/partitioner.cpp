#include "publisher/partitioner.h"

namespace feedpipe::publisher {

std::int32_t murmur2(std::string_view data) {
  // Unsigned arithmetic gives Java's wrapping int multiplication without UB.
  constexpr std::uint32_t kSeed = 0x9747b28c;
  constexpr std::uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t length = data.size();
  std::uint32_t h = kSeed ^ static_cast<std::uint32_t>(length);
  const std::size_t length4 = length / 4;
  for (std::size_t i = 0; i < length4; ++i) {
    const std::size_t i4 = i * 4;
    std::uint32_t k = p[i4] | (p[i4 + 1] << 8) | (p[i4 + 2] << 16) |
                      (static_cast<std::uint32_t>(p[i4 + 3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const std::size_t tail = length & ~static_cast<std::size_t>(3);
  switch (length % 4) {
    case 3: h ^= static_cast<std::uint32_t>(p[tail + 2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<std::uint32_t>(p[tail + 1]) << 8; [[fallthrough]];
    case 1:
      h ^= p[tail];
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

int partition_for(std::string_view key, int partition_count) {
  if (partition_count <= 0) return 0;
  const auto positive = static_cast<std::uint32_t>(murmur2(key)) & 0x7fffffffu;
  return static_cast<int>(positive % static_cast<std::uint32_t>(partition_count));
}

}  // namespace feedpipe::publisher
