#include "fetcher/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace feedpipe::fetcher {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

Bytes mapped_v4(const std::uint8_t* v4) {
  Bytes b{};
  b[10] = 0xff;
  b[11] = 0xff;
  std::memcpy(b.data() + 12, v4, 4);
  return b;
}

bool is_mapped_v4(const Bytes& a) {
  for (int i = 0; i < 10; ++i)
    if (a[i] != 0) return false;
  return a[10] == 0xff && a[11] == 0xff;
}

// IPv4-compatible (::a.b.c.d, deprecated) other than :: and ::1.
bool is_compat_v4(const Bytes& a) {
  for (int i = 0; i < 12; ++i)
    if (a[i] != 0) return false;
  return !(a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] <= 1);
}

bool v4_non_public(const std::uint8_t* v) {
  const std::uint8_t a = v[0], b = v[1];
  if (a == 0 || a == 10 || a == 127) return true;                // this-net, private, loopback
  if (a == 100 && (b & 0xc0) == 64) return true;                 // 100.64/10 CGNAT
  if (a == 169 && b == 254) return true;                         // link-local
  if (a == 172 && (b & 0xf0) == 16) return true;                 // 172.16/12
  if (a == 192 && b == 168) return true;                         // 192.168/16
  if (a == 192 && b == 0 && v[2] == 0) return true;              // 192.0.0/24 IETF
  if (a == 198 && (b & 0xfe) == 18) return true;                 // 198.18/15 benchmarking
  if (a >= 224) return true;                                     // multicast, reserved, broadcast
  return false;
}

}  // namespace

bool parse_ip(std::string_view text, Bytes* out) {
  std::string s(text);
  std::uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    *out = mapped_v4(buf);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    std::memcpy(out->data(), buf, 16);
    return true;
  }
  return false;
}

Result<Cidr> parse_cidr(std::string_view text) {
  Cidr c;
  const auto slash = text.find('/');
  const std::string_view ip = text.substr(0, slash);
  if (!parse_ip(ip, &c.addr)) {
    return Error{ErrorCode::kConfig, "not an IP network: " + std::string(text), false};
  }
  const bool v4 = ip.find(':') == std::string_view::npos;
  int len = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc() || p != digits.data() + digits.size() || len < 0 || len > (v4 ? 32 : 128)) {
      return Error{ErrorCode::kConfig, "bad prefix length: " + std::string(text), false};
    }
  }
  c.prefix_len = v4 ? 96 + len : len;
  return c;
}

bool to_v6_bytes(const struct sockaddr* sa, Bytes* out) {
  if (sa == nullptr) return false;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    *out = mapped_v4(reinterpret_cast<const std::uint8_t*>(&in->sin_addr));
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::memcpy(out->data(), &in6->sin6_addr, 16);
    if (is_compat_v4(*out)) *out = mapped_v4(out->data() + 12);
    return true;
  }
  return false;
}

bool cidr_contains(const Cidr& net, const Bytes& addr) {
  int bits = net.prefix_len;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((net.addr[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

bool is_non_public(const Bytes& a) {
  if (is_mapped_v4(a)) return v4_non_public(a.data() + 12);
  if (is_compat_v4(a)) return v4_non_public(a.data() + 12);
  bool all_zero = true;
  for (int i = 0; i < 15; ++i) all_zero = all_zero && a[i] == 0;
  if (all_zero && a[15] <= 1) return true;                              // :: and ::1
  if ((a[0] & 0xfe) == 0xfc) return true;                               // fc00::/7 ULA
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return true;               // fe80::/10 link-local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return true;               // fec0::/10 site-local
  if (a[0] == 0xff) return true;                                        // multicast
  // NAT64 64:ff9b::/96 and 6to4 2002::/16 carry an IPv4 address that is reached in the end.
  static const std::uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a.data(), kNat64, 12) == 0) return v4_non_public(a.data() + 12);
  if (a[0] == 0x20 && a[1] == 0x02) return v4_non_public(a.data() + 2);
  if (a[0] == 0x01 && a[1] == 0 && a[2] == 0 && a[3] == 0 && a[4] == 0 && a[5] == 0 && a[6] == 0 &&
      a[7] == 0)
    return true;                                                        // 100::/64 discard
  return false;
}

Result<AddressGuard> AddressGuard::from_config(const std::vector<std::string>& cidrs) {
  std::vector<Cidr> allowed;
  for (const auto& text : cidrs) {
    auto c = parse_cidr(text);
    if (!c) return c.error();
    allowed.push_back(*c);
  }
  return AddressGuard(std::move(allowed));
}

bool AddressGuard::allows(const Bytes& addr) const {
  if (!is_non_public(addr)) return true;
  for (const auto& net : allowed_)
    if (cidr_contains(net, addr)) return true;
  return false;
}

bool AddressGuard::allows(const struct sockaddr* sa) const {
  Bytes b;
  return to_v6_bytes(sa, &b) && allows(b);
}

bool AddressGuard::allows_text(std::string_view ip) const {
  Bytes b;
  if (!parse_ip(ip, &b)) return false;
  if (is_compat_v4(b)) b = mapped_v4(b.data() + 12);
  return allows(b);
}

}  // namespace feedpipe::fetcher
