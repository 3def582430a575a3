#include "common/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <xxhash.h>

#include <cstdio>
#include <memory>

namespace feedpipe {
namespace {

std::string to_hex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string item_id(std::string_view key) {
  XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, h);
  return to_hex(canonical.digest, sizeof(canonical.digest));
}

std::string sha256_hex(std::string_view data) {
  // OpenSSL 3's one-shot SHA256() looks the algorithm up on every call, which costs as much
  // as hashing a kilobyte; the algorithm is fetched once and each thread keeps a context.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int size = 0;
  if (!kSha256 || !ctx || EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &size) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  }
  return to_hex(digest, sizeof(digest));
}

}  // namespace feedpipe
