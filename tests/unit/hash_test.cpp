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

TEST(Hash, Sha256KnownVectorsInTurnReuseNothingOfTheLastCall) {
  // FIPS 180-2's long vector, then the empty string and "abc" again on the same thread.
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace feedpipe
