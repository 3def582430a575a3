#include "common/hash.h"

#include <gtest/gtest.h>

namespace feedpipe {
namespace {

TEST(Hash, ItemIdIs128BitHexAndStable) {
  std::string id = item_id("https://example.com/a");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id, item_id("https://example.com/a"));
  EXPECT_NE(id, item_id("https://example.com/b"));
}

TEST(Hash, Sha256KnownVector) {
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace feedpipe
